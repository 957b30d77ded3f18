#!/usr/bin/env bats
# The bad-input corpus (tests/bad/): every case must end with the documented
# exit status and exactly one error line "PROG: FILE:LINE: message", and
# whatever reached stdout before it must be whole records.

load helper

check_corpus() {
	local prog=$1 args name st ln n=0 bad=0
	args=$(sed -n "s/^$prog\( \|$\)//p" "$TOP/tests/bad/ARGS")
	cd "$TOP/tests/bad/$prog"
	while read -r name st ln; do
		n=$((n + 1))
		got=0
		"$prog" $args "$name" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || got=$?
		msg=$(cat "$BATS_TEST_TMPDIR/err")
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
		if [ -s "$BATS_TEST_TMPDIR/out" ] &&
		    ! jq -e . "$BATS_TEST_TMPDIR/out" >/dev/null 2>&1; then
			echo "$prog $name: stdout holds a partial record"; bad=1
		fi
		if [ -s "$BATS_TEST_TMPDIR/out" ] && [ "$(tail -c1 "$BATS_TEST_TMPDIR/out" | od -An -c | tr -d ' ')" != '\n' ]; then
			echo "$prog $name: stdout does not end with a newline"; bad=1
		fi
	done <EXPECT
	echo "$prog: $n cases"
	[ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
}

@test "corpus: attn-to-ccmc" { check_corpus attn-to-ccmc; }

@test "the corpus holds at least 150 cases across the programs" {
	n=$(cat "$TOP"/tests/bad/*/EXPECT | wc -l)
	echo "$n cases"
	[ "$n" -ge 150 ]
}
