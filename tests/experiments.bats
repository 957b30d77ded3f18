#!/usr/bin/env bats
# The experiments E1-E6 (share/experiments) at SCALE=tiny: every verdict
# line and every figure is produced, the job list run by GNU parallel gives
# byte-identical files to the make run, and a failing stage fails its job
# without leaving a file behind.

load helper

xmake() { make -s --no-print-directory -C "$TOP" -f share/experiments/Makefile BIN="$BIN" SCALE=tiny "$@"; }

# is_png FILE: non-empty and starts with the 8-byte PNG signature
is_png() {
	[ -s "$1" ] || { echo "$1: missing or empty" >&2; return 1; }
	[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
		{ echo "$1: not a PNG" >&2; return 1; }
}

@test "tiny run: one verdict line per experiment, every figure a PNG" {
	r=$BATS_TEST_TMPDIR/make
	run xmake RESULTS="$r"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# stdout (bats merges stderr too): the table header and six verdicts
	for e in 1 2 3 4 5 6; do
		n=$(printf '%s\n' "$output" | grep -Ec "^E$e [^:]+: .* \(claim: .*\) (AGREES|DISAGREES)")
		[ "$n" -eq 1 ] || { echo "E$e: $n verdict lines in: $output"; false; }
	done
	figs=$(xmake RESULTS="$r" figures)
	[ "$(printf '%s\n' "$figs" | wc -l)" -ge 12 ]
	for f in $figs; do is_png "$f"; done
	for e in 1 2 3 4 5 6; do
		jq -e '.verdict | test("^E[1-6] ")' "$r/e$e/summary.json" >/dev/null
	done
	# a second run only prints the table: nothing is remade
	run xmake RESULTS="$r"
	[ "$status" -eq 0 ]
	! printf '%s\n' "$output" | grep -q 'jobs done'
}

@test "jobs run by GNU parallel give byte-identical files; make then only reduces" {
	a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b
	xmake RESULTS="$a" >/dev/null 2>&1
	xmake RESULTS="$b" jobs >"$BATS_TEST_TMPDIR/jobs.txt"
	n=$(wc -l <"$BATS_TEST_TMPDIR/jobs.txt")
	[ "$n" -eq "$(xmake RESULTS="$b" job-files | wc -l)" ]
	(cd "$TOP" && parallel --will-cite -j 2 --halt now,fail=1 <"$BATS_TEST_TMPDIR/jobs.txt")
	run xmake RESULTS="$b"
	[ "$status" -eq 0 ]
	! printf '%s\n' "$output" | grep -q 'jobs done'
	[ "$(printf '%s\n' "$output" | grep -Ec '^E[1-6] .* (AGREES|DISAGREES)')" -eq 6 ]
	for f in $(xmake RESULTS="$a" job-files); do
		cmp "$f" "$b${f#"$a"}"
	done
	for e in 1 2 3 4 5 6; do cmp "$a/e$e/summary.json" "$b/e$e/summary.json"; done
}

@test "a failing stage fails its job and leaves no file" {
	fake=$BATS_TEST_TMPDIR/bin
	mkdir -p "$fake"
	for p in "$BIN"/*; do ln -s "$p" "$fake/"; done
	rm "$fake/attn-sample"
	# prints the model record, then fails: a pipeline without pipefail
	# would still hand ccmc-estimate a valid (empty) input
	printf '#!/bin/sh\nhead -n 1\nexit 3\n' >"$fake/attn-sample"
	chmod +x "$fake/attn-sample"
	r=$BATS_TEST_TMPDIR/fail
	run make -s --no-print-directory -C "$TOP" -f share/experiments/Makefile \
		BIN="$fake" SCALE=tiny RESULTS="$r" EXPERIMENTS=e2
	[ "$status" -ne 0 ]
	[ -z "$(find "$r" -name '*.ndjson*' 2>/dev/null)" ]
}

@test "a bad SCALE is refused" {
	run make -s -C "$TOP" -f share/experiments/Makefile SCALE=huge jobs
	[ "$status" -ne 0 ]
	[[ $output == *"SCALE must be tiny, demo or paper"* ]]
}
