#!/bin/sh
# attn-sample beside a vectorised numpy reference of the same IID sampling
# writing the same NDJSON (bench/sample_ref.py): K = 64, uniform prompts of
# L = 32 tokens, n = 10^6 samples to /dev/null; then trajectories, K = 64,
# T = 10^6 steps from a prompt of 64 uniform tokens.  Each figure is the
# best of 3 runs (the machine is shared).
# Targets: --via ccmc >= 2e6 samples/s and >= 20x the reference; the
# attention path no slower than 5x --via ccmc; trajectories >= 5e6 steps/s.
BIN=${BIN:-bin}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=1000000 T=1000000

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

"$BIN/attn-gen-model" --vocab 64 --seed 3 >"$tmp/model" || exit 1
ccmc=$(best "$BIN/attn-sample" --model "$tmp/model" --via ccmc -n $n --len 32 \
    --seed 5 </dev/null) || exit 1
attn=$(best "$BIN/attn-sample" --model "$tmp/model" --via attention -n $n \
    --len 32 --seed 5 </dev/null) || exit 1
ref=$(unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
	best /usr/bin/python3 bench/sample_ref.py "$tmp/model" $n 32 5) || exit 1
traj=$(best "$BIN/attn-sample" --model "$tmp/model" --trajectory --steps $T \
    --len 64 --seed 5 </dev/null) || exit 1
markov=$(best "$BIN/attn-sample" --model "$tmp/model" --trajectory --markov \
    --steps $T --len 64 --seed 5 </dev/null) || exit 1
# the records are alike: same fields, same kind of prompts
"$BIN/attn-sample" --model "$tmp/model" --via ccmc -n 3 --len 32 </dev/null |
    sed -n 2p | jq -c 'keys' >"$tmp/ours"
/usr/bin/python3 bench/sample_ref.py "$tmp/model" 3 32 5 | sed -n 2p |
    jq -c 'keys' | cmp -s - "$tmp/ours" || { echo "reference records differ"; exit 1; }

awk -v n=$n -v T=$T -v c="$ccmc" -v a="$attn" -v r="$ref" -v t="$traj" \
    -v m="$markov" 'BEGIN {
	printf "K=64 L=32 n=1e6        seconds   samples/s\n"
	printf "attn-sample --via ccmc %7.3f   %.3g\n", c, n / c
	printf "attn-sample attention  %7.3f   %.3g   (%.1fx slower than ccmc)\n", a, n / a, a / c
	printf "numpy reference        %7.3f   %.3g\n", r, n / r
	printf "speed-up over numpy    %.1fx (ccmc), %.1fx (attention)\n", r / c, r / a
	printf "K=64 T=1e6 prompt 64   seconds   steps/s\n"
	printf "trajectory (CCMC)      %7.3f   %.3g\n", t, T / t
	printf "trajectory (--markov)  %7.3f   %.3g\n", m, T / m
	bad = 0
	if (n / c < 2e6) { print "MISSED: --via ccmc below 2e6 samples/s"; bad = 1 }
	if (r / c < 20) { printf "MISSED: --via ccmc only %.1fx the numpy reference, not 20x\n", r / c; bad = 1 }
	if (a / c > 5) { print "MISSED: attention path more than 5x slower than --via ccmc"; bad = 1 }
	if (T / t < 5e6) { print "MISSED: trajectories below 5e6 steps/s"; bad = 1 }
	exit bad
}'
