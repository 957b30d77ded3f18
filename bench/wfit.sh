#!/bin/sh
# bench/wfit.sh [N]: learning W at K 50000, d 64 (issue targets), beside
# PyTorch: N prompts of 32 tokens (default 10^6) sampled from a headless
# model, W fitted by ccmc-estimate --embeddings and by bench/wfit_ref.py
# (float64 L-BFGS on the same likelihood, one thread).  Prints the CPU
# seconds and peak memory of each step, the time ratio and the relative
# log-likelihood gap, and one line per target: met or MISSED.
set -eu
BIN=${BIN:-bin}
N=${1:-1000000}
D=$(mktemp -d "${TMPDIR:-/tmp}/wfit-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
timed() {    # timed NAME CMD...: CPU seconds and peak KiB into $D/NAME
	name=$1; shift
	/usr/bin/time -f "%U %S %e %M" -o "$D/$name" "$@"
}
"$BIN/attn-gen-model" --headless --vocab 50000 --dim 64 --embed gaussian \
    --scale 0.3 --weights "$D/m.safetensors" >"$D/m.json"
timed sample "$BIN/attn-sample" -n "$N" --len 32 --seed 1 "$D/m.json" >"$D/s.ndjson"
timed fit "$BIN/ccmc-estimate" --embeddings "$D/m.json" --brief "$D/s.ndjson" >"$D/w.json"
timed ref /usr/bin/python3 bench/wfit_ref.py "$D/m.json" "$D/s.ndjson" >"$D/ref.json"
python3 - "$D" "$N" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
t = {k: list(map(float, open(d + "/" + k).read().split())) for k in ("sample", "fit", "ref")}
w = json.load(open(d + "/w.json"))["meta"]["wfit"]
ref = json.load(open(d + "/ref.json"))
cpu = lambda k: t[k][0] + t[k][1]
gap = (w["loglik"] - ref["loglik"]) / abs(ref["loglik"])
ratio = ref["seconds"] / cpu("fit")
print("sample  %d prompts: %.1f s CPU (%.1f s wall), %.0f MB" % (n, cpu("sample"), t["sample"][2], t["sample"][3] / 1024))
print("fit     ccmc-estimate --embeddings: %.1f s CPU (%.1f s wall), %.0f MB, %s, %d iterations, %d Hv, loglik %.12g"
      % (cpu("fit"), t["fit"][2], t["fit"][3] / 1024, w["method"], w["iterations"], w["hessian_vector_products"], w["loglik"]))
print("torch   L-BFGS float64: %.1f s CPU in the fit (%.1f s with reading), %d evaluations, loglik %.12g, gradient %.2g"
      % (ref["seconds"], cpu("ref"), ref["evaluations"], ref["loglik"], ref["gradient"]))
print("ratio   torch / ours (ours with reading): %.1fx;  loglik gap (ours - torch) / |torch| = %.2g" % (ratio, gap))
for what, ok in [("sample <= 30 s", cpu("sample") <= 30), ("fit <= 120 s CPU", cpu("fit") <= 120),
                 ("fit <= 4 GB", t["fit"][3] <= 4 << 20), ("ours >= 20x torch", ratio >= 20),
                 ("loglik gap <= 1e-9 (or ours higher)", gap >= -1e-9)]:
    print("%-40s %s" % (what, "met" if ok else "MISSED"))
PY
