#!/usr/bin/env bats
# share/experiments/e7-corpus.py on a made-up /usr/share/doc: the expected
# corpus is written out by hand from the files below.
load helper

setup() {
	D=$(mktemp -d)
	mkdir -p "$D/lic" "$D/doc/a" "$D/doc/b" "$D/doc/c"
	printf 'Licence one.\n\nShared   Paragraph.\n' >"$D/lic/L1"
	printf 'Package a\nby A.\n\nshared paragraph.\n\nOwn text of a.\n' >"$D/doc/a/copyright"
	cp "$D/doc/a/copyright" "$D/doc/b/copyright"    # a repeated file
	printf 'c (1.0-2) unstable; urgency=medium\n\n  * Fix the\n    crash.\n\n -- Jo Doe <jo@example.org>  Mon, 02 Jan 2023 13:06:21 +0100\n\nc (1.0-1) unstable; urgency=low\n\n  * Own text of a.\n  * First upload.\n\n -- Jo Doe <jo@example.org>  Sun, 01 Jan 2023 10:00:00 +0100\n' |
	    gzip -n >"$D/doc/c/changelog.Debian.gz"
	printf 'not gzip' >"$D/doc/b/changelog.Debian.gz"
}

teardown() { rm -rf "$D"; }

@test "e7-corpus: licences, copyright files, then changelogs without their header and trailer lines" {
	run python3 "$TOP/share/experiments/e7-corpus.py" "$D/lic" "$D/doc"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Licence one. Shared Paragraph." ]
	[ "${lines[1]}" = "Package a by A. Own text of a." ]
	[ "${lines[2]}" = "* Fix the crash. * Own text of a. * First upload." ]
	[ "${#lines[@]}" -eq 3 ]
	run python3 "$TOP/share/experiments/e7-corpus.py" --about "$D/lic" "$D/doc"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.files_read == 5 and .files_kept == 3 and
	    .unreadable == 1 and .not_utf8 == 0 and .words == 24' >/dev/null
	run python3 "$TOP/share/experiments/e7-corpus.py" --no-changelogs "$D/lic" "$D/doc"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ] && [ "${lines[1]}" = "Package a by A. Own text of a." ]
}
