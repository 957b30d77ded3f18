#!/bin/sh
# bench/wfit.sh [N]: learning W at K 50000, d 64 (issue targets), beside
# PyTorch: N prompts of 32 tokens (default 10^6) sampled from a headless
# model, W fitted by ccmc-estimate --embeddings, then by bench/wfit_ref.py
# (float64 L-BFGS, strong Wolfe, on the same likelihood, one thread) until
# its log-likelihood is within 1e-9 relative of ours (time to the same
# objective), its own tests stop it, or WFIT_REF_BUDGET CPU seconds of
# optimisation (default 1500) have passed.  Prints the load, the CPU
# seconds and peak memory of each step (whole processes: reading included),
# the time ratio (a lower bound when torch ran out of budget) and the
# relative log-likelihood gap, and one line per target: met or MISSED.
# Beside them, bench/floor-wfit.c: one pass over the same sizes that only
# fetches each sample's rows of E and takes the log-sum-exp of their dot
# products with the query's, the least any exact float64 evaluation of the
# likelihood does; against it, what a pass of ours, an evaluation of
# torch's, and the 20x goal amount to.
set -eu
BIN=${BIN:-bin}
N=${1:-1000000}
D=$(mktemp -d "${TMPDIR:-/tmp}/wfit-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
timed() {    # timed NAME CMD...: CPU seconds and peak KiB into $D/NAME
	name=$1; shift
	/usr/bin/time -f "%U %S %e %M" -o "$D/$name" "$@"
}
echo "load: $(uptime)"
${CC:-cc} -O3 -std=c11 -D_GNU_SOURCE -Wall -Wextra -o "$D/floor-wfit" \
    bench/floor-wfit.c -lm
"$D/floor-wfit" 50000 64 "$N" 32 3 >"$D/floor"
"$BIN/attn-gen-model" --headless --vocab 50000 --dim 64 --embed gaussian \
    --scale 0.3 --weights "$D/m.safetensors" >"$D/m.json"
timed sample "$BIN/attn-sample" -n "$N" --len 32 --seed 1 "$D/m.json" >"$D/s.ndjson"
timed fit "$BIN/ccmc-estimate" --embeddings "$D/m.json" --brief "$D/s.ndjson" >"$D/w.json"
target=$(python3 -c 'import json, sys; print(repr(json.load(open(sys.argv[1]))["meta"]["wfit"]["loglik"]))' "$D/w.json")
WFIT_REF_BUDGET=${WFIT_REF_BUDGET:-1500} timed ref /usr/bin/python3 bench/wfit_ref.py \
    "$D/m.json" "$D/s.ndjson" "$target" >"$D/ref.json"
echo "load: $(uptime)"
python3 - "$D" "$N" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
t = {k: list(map(float, open(d + "/" + k).read().split())) for k in ("sample", "fit", "ref")}
w = json.load(open(d + "/w.json"))["meta"]["wfit"]
ref = json.load(open(d + "/ref.json"))
cpu = lambda k: t[k][0] + t[k][1]
gap = (w["loglik"] - ref["loglik"]) / abs(ref["loglik"])
ratio = cpu("ref") / cpu("fit")
bound = "" if ref["reached"] else ">= "
print("sample  %d prompts: %.1f s CPU (%.1f s wall), %.0f MB" % (n, cpu("sample"), t["sample"][2], t["sample"][3] / 1024))
print("fit     ccmc-estimate --embeddings: %.1f s CPU (%.1f s wall), %.0f MB, %s, %d iterations, %d Hv, %d passes, loglik %.12g"
      % (cpu("fit"), t["fit"][2], t["fit"][3] / 1024, w["method"], w["iterations"], w["hessian_vector_products"],
         w["passes"], w["loglik"]))
print("torch   L-BFGS float64, %d thread: %.1f s CPU (%.1f s optimising, %.1f s reading), %.0f MB, %d evaluations (%.2f s each), stopped: %s"
      % (ref["threads"], cpu("ref"), ref["seconds"], ref["read_seconds"], t["ref"][3] / 1024, ref["evaluations"],
         ref["per_evaluation"], ref["stopped"]))
print("        loglik %.12g, gradient %.2g per sample" % (ref["loglik"], ref["gradient"]))
print("ratio   torch / ours, whole processes: %s%.1fx;  loglik gap (ours - torch) / |torch| = %.2g" % (bound, ratio, gap))
floor = float(open(d + "/floor").read().split()[0])
print("floor   one pass of row fetches and log-sum-exp (bench/floor-wfit.c): %.2f s CPU; a pass of ours, reading "
      "included: %.1f floors (%d passes); an evaluation of torch's: %.1f floors; the 20x goal leaves %.1f floor "
      "passes, reading included" % (floor, cpu("fit") / w["passes"] / floor, w["passes"],
                                    ref["per_evaluation"] / floor, cpu("ref") / 20 / floor))
for what, ok in [("sample <= 30 s", cpu("sample") <= 30), ("fit <= 120 s CPU", cpu("fit") <= 120),
                 ("fit <= 4 GB", t["fit"][3] <= 4 << 20), ("ours >= 20x torch", ratio >= 20)]:
    print("%-40s %s" % (what, "met" if ok else "MISSED"))
print("%-40s %s" % ("loglik gap <= 1e-9 relative", "met" if abs(gap) <= 1e-9 else
                    "not measured (torch stopped short, ours higher)" if gap > 0 else "MISSED (torch higher)"))
PY
