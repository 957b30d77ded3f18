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

@test "the corpus holds at least 735 bad inputs across the programs" {
	n=$(cat "$TOP"/tests/bad/*/EXPECT | awk '$2 != 0' | wc -l)
	echo "$n cases"
	[ "$n" -ge 735 ]
}

@test "a failing run says one line: the notes before its error are dropped, a good run's kept" {
	cd "$BATS_TEST_TMPDIR"
	printf '{"type":"x"}\na b a b a b a b\n' >ok.txt
	printf '{"type":"x"}\na b \377\n' >bad.txt
	for p in ccmc-estimate traj-stats; do
		st=0
		$p --text bad.txt >/dev/null 2>err || st=$?
		[ "$st" -eq 65 ] && [ "$(cat err)" = "$p: bad.txt:2: invalid UTF-8 at column 5 (byte 0xff)" ] ||
		    { echo "$p: exit $st: $(cat err)"; false; }
		$p --text ok.txt >/dev/null 2>err
		grep -q "^$p: note: ok.txt:1: this looks like a JSON record" err
	done
	attn-gen-model --vocab 3 >m
	{ attn-sample --trajectory -n 1 --steps 5 m; echo '{"type":"foo"}'
	  echo '{"type":"trajectory","prompt":[0],"tokens":[9]}'; } >t
	run sh -c 'traj-stats t 2>&1 >/dev/null'
	[ "$status" -eq 65 ] && [ "$output" = "traj-stats: t:4: token 9 out of range (K = 3)" ]
}

# bad_value PROG ARGS...: exit 2 and one line "PROG: --OPT: ..." naming the
# option (the first of ARGS), its range or choices, and the value (last).
bad_value() {
	local p=$1 opt=${*: -2:1} val=${*: -1} st=0 err=$BATS_TEST_TMPDIR/err
	shift
	$p "$@" </dev/null >/dev/null 2>"$err" || st=$?
	if [ "$st" -ne 2 ] || [ "$(wc -l <"$err")" -ne 1 ] ||
	    ! grep -qF "$p: $opt: " "$err" || ! grep -qF "'$val'" "$err" &&
	    ! grep -qF " $val " "$err"; then
		echo "$p $*: exit $st: $(cat "$err")"
		return 1
	fi
	case $(cat "$err") in
	*\[*,*\]* | *" or "* | *"<="*) ;;
	*) echo "$p $*: no range: $(cat "$err")"; return 1 ;;
	esac
}

@test "a wrong option value: one line naming option, range and value, not the usage" {
	cd "$BATS_TEST_TMPDIR"
	bad_value attn-gen-model --vocab 0
	bad_value attn-gen-model --vocab 99999
	bad_value attn-gen-model --scale -1
	bad_value attn-gen-model --scale 1e999
	bad_value attn-gen-model --embed sparse
	bad_value attn-gen-model --seed -3
	bad_value attn-gen-model --seed -0
	bad_value attn-gen-model --vocab ' 5'
	bad_value attn-gen-model --vocab 0x10
	bad_value attn-gen-model --vocab 99999999999999999999
	bad_value attn-gen-model --diag 1000.5
	bad_value attn-gen-model --pos-scale -inf
	bad_value attn-sample -n 1x
	bad_value attn-sample --tie-tol 0.5
	bad_value attn-sample --tie-tol nan
	bad_value attn-sample --mix 2
	bad_value attn-sample --via forward
	bad_value attn-sample --shard 3/2
	bad_value attn-to-ccmc --tie-tol ' 1e-6'
	bad_value attn-to-ccmc --tie-tol ''
	bad_value attn-to-ccmc --tie-tol '1e-3 '
	bad_value attn-to-ccmc --tie-tol 0.0100000001
	bad_value ccmc-estimate --l2 -1
	bad_value ccmc-estimate --window 0
	bad_value ccmc-estimate --method gd
	bad_value ccmc-estimate --dev-share inf
	bad_value ccmc-estimate --text --punct some
	bad_value ccmc-estimate --text --chunk 1
	bad_value traj-stats --eps 1
	bad_value traj-stats --alpha 0
	bad_value traj-stats --eps 0.9999995
	bad_value traj-stats --seed 1.5
	bad_value ccmc-estimate --laplace 1e-310
	bad_value traj-stats --text --pieces 3/2
	# --help still prints the usage
	for p in attn-gen-model attn-sample attn-to-ccmc ccmc-estimate traj-stats; do
		$p --help | head -1 | grep -q "^usage: $p"
	done
}

@test "option values in the subnormal range are values, not 'not a finite number'" {
	cd "$BATS_TEST_TMPDIR"
	attn-gen-model --vocab 3 --seed 1 >m
	attn-sample -n 200 --len 2:5 m >s
	attn-to-ccmc --tie-tol 1e-310 m >/dev/null
	attn-to-ccmc --tie-tol 4.9e-324 m >/dev/null
	attn-sample --tie-tol 2.2e-308 -n 2 m >/dev/null
	ccmc-estimate --quiet --l2 5e-324 s >/dev/null
	ccmc-estimate --quiet --dev-share 1e-310 s >/dev/null
	printf 'a b a c a b\n' | ccmc-estimate --quiet --text --window 2 >c
	attn-sample --mix 1e-320 -n 2 c >/dev/null
	ccmc-estimate --quiet --eval c --mix 1e-320 s >/dev/null
	# beyond the doubles: 1e-400 is 0, as strtod and the JSON reader read it
	attn-to-ccmc --tie-tol 1e-400 m >/dev/null
	run attn-to-ccmc --tie-tol 1e999 m
	[ "$status" -eq 2 ] && [[ $output == *"not '1e999'" ]]
}

@test "plain text without --text: did you mean --text? (programs that have it)" {
	cd "$BATS_TEST_TMPDIR"
	printf 'Apache License\nVersion 2.0, January 2004\n' >LICENSE
	for p in ccmc-estimate traj-stats; do
		run $p LICENSE
		[ "$status" -eq 65 ]
		[ "$output" = "$p: LICENSE:1: invalid JSON at column 6: '[' or '{' expected near 'Apache'; plain text? did you mean --text?" ]
		# a broken record is not taken for text
		run $p <<<'{"type":"sample",'
		[ "$status" -eq 65 ] && [[ $output != *--text* ]]
	done
	for p in attn-to-ccmc attn-sample; do
		run $p LICENSE
		[ "$status" -eq 65 ] && [[ $output != *--text* ]]
	done
}

@test "a model whose head is not tied: the error names --tie-tol and --retie" {
	cd "$BATS_TEST_TMPDIR"
	attn-gen-model --vocab 3 --seed 1 | jq -c '.C[0][0] += 1e-7' >m
	for p in attn-to-ccmc "attn-sample -n 1"; do
		run $p m
		[ "$status" -eq 65 ]
		[[ $output == *"max|C E^T - I| = 1e-07 > 1e-09"*"(--tie-tol X accepts a looser tie, --retie refits C to E: attn-to-ccmc, attn-sample)" ]]
	done
}

@test "I/N values (--shard, --rows, --pieces): digits only, one line naming the option" {
	cd "$BATS_TEST_TMPDIR"
	attn-gen-model --vocab 4 >m
	for v in ' 1/2' '1/ 2' '+1/2' '1/+2' '-1/2' '1/2x' '1/0x2' '0x1/2' 'a/2' \
	    '1' '1/' '/2' '' '1/2/3' '99999999999999999999/2'; do
		bad_value attn-sample --shard "$v"
		bad_value ccmc-estimate --rows "$v"
		bad_value ccmc-estimate --text --pieces "$v"
		bad_value traj-stats --text --skip-pieces "$v"
	done
	# the ranges: 0 <= I < N for --shard, 1 <= I <= N for the others
	bad_value attn-sample --shard 1/1
	bad_value ccmc-estimate --rows 0/1
	bad_value ccmc-estimate --text --pieces 2/1
	[ "$(attn-sample -n 3 --shard 0/1 m | wc -l)" = 4 ]
	[ "$(attn-sample -n 3 --shard 2/3 m | wc -l)" = 2 ]
	echo 'a b c' | ccmc-estimate --text --markov --pieces 1/1 >/dev/null
	attn-sample -n 10 m | ccmc-estimate --quiet --rows 1/1 >/dev/null
}

# An empty name given to an option that takes a file is a usage error
# (exit 2, one line naming the option), not an I/O error (exit 1) naming
# no file and no option.
@test "an empty file name given to a file option: exit 2, one line naming the option" {
	for c in "ccmc-estimate --text --markov --arpa" "ccmc-estimate --eval" \
	    "ccmc-estimate --embeddings" "attn-sample --model" "traj-stats --model" \
	    "attn-to-ccmc --check" "attn-gen-model --weights"; do
		set -- $c
		prog=$1 opt=${!#}
		run "$@" "" </dev/null
		assert_error 2 "$prog"
		[ "${#lines[@]}" -eq 1 ]
		[[ ${lines[0]} == "$prog: $opt: expected a file name, not ''" ]]
	done
}
