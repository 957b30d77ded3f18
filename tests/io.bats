#!/usr/bin/env bats
# I/O failures, for every program: a closed stdout and SIGPIPE end it
# quietly; a full disk and a read error give one line "PROG: ..." and
# exit 1.  A program that dies inside a record leaves only whole records.

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	attn-gen-model --vocab 5 --seed 1 >m
	attn-sample -n 3000 --len 1:6 m >s
	attn-sample --trajectory -n 300 --steps 200 m >t
	attn-gen-model --vocab 40 --seed 1 | attn-sample -n 4000 >s40
	for i in $(seq 200); do cat m; done >mm
	make_big
}

# ./big PROG: each program with input that makes well over a pipe buffer
# of output (the program replaces the script: its status is the program's).
make_big() {
	cat >big <<'EOF'
#!/bin/sh
case $1 in
attn-gen-model) exec attn-gen-model --vocab 120 ;;
attn-to-ccmc) exec attn-to-ccmc mm ;;
attn-sample) exec attn-sample -n 100000 m ;;
ccmc-estimate) exec ccmc-estimate --quiet s40 ;;
traj-stats) exec traj-stats t ;;
esac
EOF
	chmod +x big
}

PROGS="attn-gen-model attn-to-ccmc attn-sample ccmc-estimate traj-stats"

# quiet_when_closed [TRAP]: every program, its stdout closed after the
# first line (or the first bytes of a program's one record), ends by
# SIGPIPE (status 128 + 13) and says nothing.
quiet_when_closed() {
	local p st close
	for p in $PROGS; do
		case $p in
		attn-gen-model | ccmc-estimate) close="head -c 100" ;;
		*) close="head -1" ;;
		esac
		st=$(bash -c "$1 ./big $p 2>err | $close >/dev/null
		    echo \${PIPESTATUS[0]}")
		if [ "$st" -ne 141 ]; then
			echo "$p: exit $st: $(cat err)"; return 1
		fi
		if [ -s err ]; then
			echo "$p: said: $(cat err)"; return 1
		fi
	done
}

@test "a closed stdout (| head -1) ends every program quietly" {
	quiet_when_closed ""
}

@test "SIGPIPE ignored by the parent: still a quiet end, not a write error" {
	quiet_when_closed "trap '' PIPE;"
}

@test "a full disk (>/dev/full): one error line and exit 1, for every program" {
	for p in $PROGS; do
		st=0
		./big $p >/dev/full 2>err || st=$?
		[ "$st" -eq 1 ] || { echo "$p: exit $st: $(cat err)"; false; }
		[ "$(wc -l <err)" -eq 1 ] || { echo "$p: $(cat err)"; false; }
		grep -q "^$p: write error on stdout: No space left on device$" err ||
		    { echo "$p: $(cat err)"; false; }
	done
}

# read_error PROG EXPECTED-LINE ARGS...: exit 1 and exactly that one line.
read_error() {
	local p=$1 want=$2 st=0
	shift 2
	"$p" "$@" </dev/null >out 2>err || st=$?
	if [ "$st" -ne 1 ] || [ "$(cat err)" != "$want" ]; then
		echo "$p $*: exit $st, said: $(cat err); expected: $want"
		return 1
	fi
}

@test "a read error (a directory, a missing file, a closed stdin): one line, exit 1" {
	mkdir dir
	for p in attn-to-ccmc attn-sample ccmc-estimate traj-stats; do
		read_error $p "$p: dir: read error: Is a directory" dir
		read_error $p "$p: nosuch: No such file or directory" nosuch
		st=0
		$p <&- >out 2>err || st=$?
		[ "$st" -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] &&
		    grep -q "^$p: <stdin>: read error: " err ||
		    { echo "$p <&-: exit $st: $(cat err)"; false; }
	done
	read_error attn-sample "attn-sample: dir: read error: Is a directory" --model dir
	read_error traj-stats "traj-stats: dir: read error: Is a directory" --model dir
	read_error ccmc-estimate "ccmc-estimate: dir: read error: Is a directory" --eval dir s
	# a read error after good records: what was written stays, whole
	st=0
	attn-to-ccmc m dir >out 2>err || st=$?
	[ "$st" -eq 1 ] && [ "$(wc -l <out)" -eq 1 ] && jq -e .P out >/dev/null
}

# cut_while_read PROG FILE ARGS...: PROG reads FILE (mapped) and writes
# far more than a pipe holds to a FIFO; once 70000 bytes have come (more
# than a model record and the 64 KiB it holds back), PROG has mapped FILE
# and read part of it, and it soon waits on the full pipe with most of
# FILE unread: FILE is cut to nothing and the pipe drained.
# PROG must end with exit 1 and one line naming FILE, never by SIGBUS.
cut_while_read() {
	local p=$1 f=$2 st=0
	shift 2
	rm -f fifo && mkfifo fifo
	"$p" "$@" "$f" >fifo 2>err &
	exec 5<fifo
	head -c 70000 <&5 >/dev/null
	: >"$f"
	cat <&5 >/dev/null
	exec 5<&-
	wait $! || st=$?
	if [ "$st" -ne 1 ] || [ "$(wc -l <err)" -ne 1 ] ||
	    ! grep -q "^$p: $f:[0-9]*: read error: the file was cut short while being read$" err; then
		echo "$p: exit $st: $(cat err)"
		return 1
	fi
}

@test "a file cut short while a program reads it (mapped): exit 1, one located line, no SIGBUS" {
	run "$UNIT" cut cutme
	[ "$status" -eq 1 ]
	[ "$output" = "unit: cutme:2: read error: the file was cut short while being read" ]
	attn-sample --trajectory -n 3000 --steps 20 m >t3000
	for i in $(seq 1500); do cat m; done >m1500
	for i in $(seq 20000); do echo '{"type":"prompt","prompt":[0,1,2]}'; done >p2
	{ cat m; cat p2; } >p20000
	cut_while_read traj-stats t3000
	cut_while_read attn-to-ccmc m1500
	cut_while_read attn-sample p20000
	# with --model, the prompts in a file of their own
	cut_while_read attn-sample p2 --model m
}

@test "records held back are written before the error they led to; an error line comes last" {
	attn-gen-model --vocab 3 --seed 1 >m
	printf '%s\n' '{"type":"prompt","prompt":[0,1]}' \
	    '{"type":"prompt","prompt":[2,1]}' '{"type":"prompt","prompt":[7]}' >p
	run sh -c 'attn-sample --model m p 2>&1'
	[ "$status" -eq 65 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" == '{"type":"attn-model"'* ]]
	[[ "${lines[1]}" == '{"type":"sample","prompt":[0,1],'* ]]
	[[ "${lines[2]}" == '{"type":"sample","prompt":[2,1],'* ]]
	[[ "${lines[3]}" == "attn-sample: p:3: "* ]]
}

@test "dying inside a record, small or of megabytes, leaves only the records before it" {
	for n in 3 1000000; do
		run "$UNIT" partial $n
		[ "$status" -eq 1 ]
		[ "${lines[0]}" = '{"type":"x"}' ]
		[ "${lines[1]}" = 'unit: refusing to write a non-finite number (nan)' ]
		[ "${#lines[@]}" -eq 2 ]
		"$UNIT" partial $n 2>/dev/null >out || true
		[ "$(cat out)" = '{"type":"x"}' ]
	done
}

@test "doubles are printed as printf's shortest %.Ng that reads back (a subnormal from 1 digit)" {
	# format_double rounds 15 and 16 digits from printf's 17, except where
	# those end in 5 or 50 (a double rounding); the unit compares it with
	# printf itself on doubles of every kind, those cases included, and
	# subnormals, which may need fewer than 15 digits (5e-324)
	run "$UNIT" format 7 600000
	echo "$output"
	[ "$status" -eq 0 ]
	set -- ${lines[0]}
	[ "$1" -eq 0 ]
	for k in "$2" "$3" "$4" "$5" "$6" "$7"; do [ "$k" -ge 90000 ]; done
}
