#!/bin/sh
# ccmc-estimate beside a numpy/scipy L-BFGS reference of the same fit
# (bench/estimate_ref.py), prompts of L = 16 uniform tokens, on two cases:
# n = 2x10^5, K = 16 (where start-up, parsing and output weigh most) and
# n = 10^6, K = 32.  Targets: >= 20x faster than the reference on both, at
# the same log-likelihood (relative 1e-6); on the larger, wall time
# (parsing included) <= 5 s and peak RSS <= 250 MB.
# ESTIMATE_BIGK="256 512 1024" also times larger vocabularies (n = 10^6).
BIN=${BIN:-bin}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

data() {   # data K N FILE: N samples with prompts of 16 uniform tokens
	"$BIN/attn-gen-model" --vocab "$1" --seed 3 >"$tmp/model" &&
	"$BIN/attn-sample" --model "$tmp/model" --via ccmc -n "$2" --len 16 \
	    --seed 5 </dev/null >"$3"
}

run() {    # run FILE: wall seconds and peak RSS (KB) of ccmc-estimate
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$BIN/ccmc-estimate" "$1" \
	    >"$tmp/est" || return 1
	cat "$tmp/time"
}

case_() {  # case_ K N LABEL: one comparison, its table and verdicts
	data "$1" "$2" "$tmp/s" || return 1
	set -- "$1" "$2" "$3" $(run "$tmp/s") || return 1
	wall=$4 rss=$5
	ll=$(jq .fit.loglik "$tmp/est")
	conv=$(jq .fit.converged "$tmp/est")
	ref=$( (unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
		/usr/bin/python3 bench/estimate_ref.py "$tmp/s" "$1") ) || return 1
	set -- "$1" "$2" "$3" $ref
	awk -v w="$wall" -v r="$rss" -v ll="$ll" -v rp="$4" -v rf="$5" \
	    -v rll="$6" -v conv="$conv" -v label="$3" -v big="$(( $2 >= 1000000 ))" 'BEGIN {
		rt = rp + rf; rel = (ll - rll) / (ll < 0 ? -ll : ll)
		printf "%-20s ccmc-estimate     reference (numpy/scipy L-BFGS)\n", label
		printf "wall time, s         %-17.2f %.2f (parse %.2f, fit %.2f)\n", w, rt, rp, rf
		printf "peak RSS, MB         %-17.1f\n", r / 1024
		printf "log-likelihood       %-17.10g %.10g (ours - ref: %.2g relative)\n", ll, rll, rel
		printf "converged            %s\n", conv
		printf "speed-up             %.1fx\n", rt / w
		bad = 0
		if (big && w > 5) { print "MISSED: wall time > 5 s"; bad = 1 }
		if (big && r > 250 * 1024) { print "MISSED: peak RSS > 250 MB"; bad = 1 }
		if (rt / w < 20) { print "MISSED: speed-up < 20x"; bad = 1 }
		if (rel < -1e-6) { print "MISSED: log-likelihood below the reference"; bad = 1 }
		if (!bad) print "met: >= 20x the reference at its log-likelihood"
		exit bad
	}'
}

case_ 16 200000 "n=2e5 K=16 L=16" || status=1
case_ 32 1000000 "n=1e6 K=32 L=16" || status=1

for K in ${ESTIMATE_BIGK:-}; do
	data "$K" 1000000 "$tmp/big" || exit 1
	set -- $(run "$tmp/big") || exit 1
	printf 'n=1e6 K=%-5d L=16  wall %6.2f s  RSS %6.1f MB  converged %s  method %s\n' \
	    "$K" "$1" "$(awk -v k="$2" 'BEGIN { print k / 1024 }')" \
	    "$(jq .fit.converged "$tmp/est")" "$(jq -r .fit.method "$tmp/est")"
done
exit $status
