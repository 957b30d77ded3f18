#!/usr/bin/env bats
# The bad-input corpus (tests/bad/): every case must end with the documented
# exit status and exactly one error line "PROG: FILE:LINE: message", and
# whatever reached stdout before it must be whole records.  Cases of status
# 0 are variants the reader accepts (CRLF, no final newline, blank lines):
# they must print nothing on stderr and exactly what the file named in
# place of the line ("good") gives.  "NAME 0 ok" is a valid stream at the
# extremes: exit 0, whole records on stdout, nothing on stderr but notes.  A directory PROG.VARIANT runs PROG
# with the arguments tests/bad/ARGS gives that directory.
#
# No case may run longer than CASE_SECONDS (20): a hang is a failure (exit
# 124 from timeout), not a stuck run.  The slowest case takes well under a
# second here, under a few seconds with ASan.

load helper

CASE_SECONDS=20

# whole_records FILE: empty, or JSON records each ending with a newline.
whole_records() {
	[ ! -s "$1" ] && return 0
	jq -e . "$1" >/dev/null 2>&1 &&
	    [ "$(tail -c1 "$1" | od -An -c | tr -d ' ')" = '\n' ]
}

check_corpus() {
	local dir=$1 prog=${1%%.*} args name st ln n=0 bad=0
	args=$(sed -n "s/^$dir\( \|$\)//p" "$TOP/tests/bad/ARGS")
	cd "$TOP/tests/bad/$dir"
	while read -r name st ln; do
		n=$((n + 1))
		got=0
		timeout $CASE_SECONDS "$BIN/$prog" $args "$name" >"$BATS_TEST_TMPDIR/out" \
		    2>"$BATS_TEST_TMPDIR/err" </dev/null || got=$?
		msg=$(cat "$BATS_TEST_TMPDIR/err")
		if [ "$st" -eq 0 ] && [ "$ln" = ok ]; then
			if [ "$got" -ne 0 ] || grep -qv "^$prog: note: " "$BATS_TEST_TMPDIR/err" ||
			    ! whole_records "$BATS_TEST_TMPDIR/out"; then
				echo "$prog $name: exit $got, or not whole records, or: $msg"; bad=1
			fi
			continue
		fi
		if [ "$st" -eq 0 ]; then
			timeout $CASE_SECONDS "$BIN/$prog" $args "$ln" >"$BATS_TEST_TMPDIR/want" 2>/dev/null
			if [ "$got" -ne 0 ] || [ -s "$BATS_TEST_TMPDIR/err" ] ||
			    ! cmp -s "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/want"; then
				echo "$prog $name: not read like $ln: exit $got: $msg"; bad=1
			fi
			continue
		fi
		if [ "$got" -ne "$st" ]; then
			echo "$prog $name: exit $got, expected $st: $msg"; bad=1; continue
		fi
		if [ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -ne 1 ]; then
			echo "$prog $name: expected one error line, got: $msg"; bad=1; continue
		fi
		case $msg in
		"$prog: $name:$ln: "*) ;;
		*) echo "$prog $name: expected '$prog: $name:$ln: ...', got: $msg"; bad=1; continue ;;
		esac
		if ! whole_records "$BATS_TEST_TMPDIR/out"; then
			echo "$prog $name: stdout holds a partial record"; bad=1
		fi
	done <EXPECT
	echo "$dir: $n cases"
	[ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
}

@test "corpus: attn-to-ccmc" { check_corpus attn-to-ccmc; }
@test "corpus: attn-sample" { check_corpus attn-sample; }
@test "corpus: ccmc-estimate" { check_corpus ccmc-estimate; }
@test "corpus: traj-stats" { check_corpus traj-stats; }
@test "corpus: attn-sample --trajectory" { check_corpus attn-sample.traj; }
@test "corpus: attn-sample --markov" { check_corpus attn-sample.markov; }
@test "corpus: ccmc-estimate --markov" { check_corpus ccmc-estimate.markov; }
@test "corpus: traj-stats --summary" { check_corpus traj-stats.summary; }
@test "corpus: ccmc-estimate --eval" { check_corpus ccmc-estimate.eval; }
@test "corpus: ccmc-estimate --text (bytes that are not UTF-8, NUL)" { check_corpus ccmc-estimate.text; }
@test "corpus: traj-stats --text (bytes that are not UTF-8, NUL)" { check_corpus traj-stats.text; }
@test "corpus: ccmc-estimate --eval, contexts beyond LMAX" { check_corpus ccmc-estimate.evalpos; }
@test "corpus: ccmc-estimate --merge (shards with impossible fields)" { check_corpus ccmc-estimate.merge; }

@test "the corpus holds at least 438 bad inputs across the programs" {
	n=$(cat "$TOP"/tests/bad/*/EXPECT | awk '$2 != 0' | wc -l)
	echo "$n cases"
	[ "$n" -ge 438 ]
}
