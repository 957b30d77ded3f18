#!/bin/sh
# ccmc-estimate beside a numpy/scipy L-BFGS reference of the same fit
# (bench/estimate_ref.py), prompts of L = 16 uniform tokens, on the two
# cases of bench/run's table: n = 2x10^5, K = 16 and n = 10^6, K = 32.
# The speed verdicts are the table's alone (CPU time, best of 3, the
# reference on one BLAS thread); this checks what the table does not:
# that the fit converged, at a log-likelihood no lower than the
# reference's (relative 1e-6), and on the larger case within 250 MB of
# peak RSS.
# ESTIMATE_BIGK="256 512 1024" also runs larger vocabularies (n = 10^6).
BIN=${BIN:-bin}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

data() {   # data K N FILE: N samples with prompts of 16 uniform tokens
	"$BIN/attn-gen-model" --vocab "$1" --seed 3 >"$tmp/model" &&
	"$BIN/attn-sample" --model "$tmp/model" --via ccmc -n "$2" --len 16 \
	    --seed 5 </dev/null >"$3"
}

run() {    # run FILE: peak RSS (KB) of ccmc-estimate
	/usr/bin/time -f '%M' -o "$tmp/time" "$BIN/ccmc-estimate" "$1" \
	    >"$tmp/est" || return 1
	cat "$tmp/time"
}

case_() {  # case_ K N LABEL: one comparison and its verdicts
	data "$1" "$2" "$tmp/s" || return 1
	rss=$(run "$tmp/s") || return 1
	ll=$(jq .fit.loglik "$tmp/est")
	conv=$(jq .fit.converged "$tmp/est")
	ref=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
	    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/python3 \
	    bench/estimate_ref.py "$tmp/s" "$1") || return 1
	set -- "$1" "$2" "$3" $ref
	awk -v r="$rss" -v ll="$ll" -v rll="$6" -v conv="$conv" -v label="$3" \
	    -v big="$(( $2 >= 1000000 ))" 'BEGIN {
		rel = (ll - rll) / (ll < 0 ? -ll : ll)
		printf "%-20s ccmc-estimate     reference (numpy/scipy L-BFGS)\n", label
		printf "log-likelihood       %-17.10g %.10g (ours - ref: %.2g relative)\n", ll, rll, rel
		printf "converged            %s\n", conv
		printf "peak RSS, MB         %.1f\n", r / 1024
		bad = 0
		if (conv != "true") { print "MISSED: the fit did not converge"; bad = 1 }
		if (rel < -1e-6) { print "MISSED: log-likelihood below the reference"; bad = 1 }
		if (big && r > 250 * 1024) { print "MISSED: peak RSS > 250 MB"; bad = 1 }
		if (!bad) print "met: converged, at the reference'"'"'s log-likelihood or above" (big ? ", RSS <= 250 MB" : "")
		exit bad
	}'
}

case_ 16 200000 "n=2e5 K=16 L=16" || status=1
case_ 32 1000000 "n=1e6 K=32 L=16" || status=1

for K in ${ESTIMATE_BIGK:-}; do
	data "$K" 1000000 "$tmp/big" || exit 1
	rss=$(run "$tmp/big") || exit 1
	printf 'n=1e6 K=%-5d L=16  RSS %6.1f MB  converged %s  method %s\n' \
	    "$K" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
	    "$(jq .fit.converged "$tmp/est")" "$(jq -r .fit.method "$tmp/est")"
done
exit $status
