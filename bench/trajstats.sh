#!/bin/sh
# traj-stats beside its floor (bench/trajstats_floor.c: a C program that
# only pulls the integers out of the same lines): 50 trajectories of
# 2x10^5 steps of a K = 8 model (20 MB), --summary, without a model and
# with it (the mean-field predictions).  Each figure is the best of 3 runs
# (the machine is shared).
# Targets: without a model within 10x of the floor; the predictions cost
# at most as much again (with a model within 2x of without).
BIN=${BIN:-bin}
CC=${CC:-cc}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

now() { date +%s.%N; }

best() {   # best CMD...: least wall seconds of 3 runs, output to /dev/null
	b=
	for i in 1 2 3; do
		t0=$(now)
		"$@" >/dev/null || return 1
		t1=$(now)
		b=$(echo "$t0 $t1 ${b:-inf}" | awk '{ d = $2 - $1; print (d < $3 ? d : $3) }')
	done
	echo "$b"
}

$CC -O2 -o "$tmp/floor" bench/trajstats_floor.c || exit 1
"$BIN/attn-gen-model" --vocab 8 --seed 1 >"$tmp/model" || exit 1
"$BIN/attn-sample" --trajectory -n 50 --steps 200000 --len 8 --seed 1 \
    <"$tmp/model" | sed 1d >"$tmp/t" || exit 1
floor=$(best sh -c '"$0" <"$1"' "$tmp/floor" "$tmp/t") || exit 1
plain=$(best "$BIN/traj-stats" --summary "$tmp/t") || exit 1
model=$(best "$BIN/traj-stats" --summary --model "$tmp/model" "$tmp/t") || exit 1
awk -v f="$floor" -v p="$plain" -v m="$model" 'BEGIN {
	printf "%-36s %8s %8s %s\n", "traj-stats, 50 x 2e5 steps", "seconds", "ratio", "target"
	printf "%-36s %8.3f %8s\n", "floor (integers out of the lines)", f, ""
	printf "%-36s %8.3f %7.1fx %s\n", "--summary, no model", p, p / f, \
	    (p <= 10 * f ? "<= 10x floor: met" : "<= 10x floor: MISSED")
	printf "%-36s %8.3f %7.1fx %s\n", "--summary --model (predictions)", m, m / p, \
	    (m <= 2 * p ? "<= 2x no model: met" : "<= 2x no model: MISSED")
}'
