#!/bin/sh
# bench/sparse.sh [V ...]: the sparse CCMC of text at real vocabularies
# (issue targets), on the licences and copyright files of this machine
# (share/experiments/e7-corpus.py --no-changelogs: repeated files and
# paragraphs dropped; E7 adds the Debian changelogs).
#
# 1. ccmc-estimate --text --lower --punct drop --chunk 96 --window 128
#    --max-vocab 20000 (the default record, not --brief): CPU seconds and
#    peak memory of the fit, the written model's size against the
#    input's, and how fast attn-sample --model loads it (MB/s of model,
#    one prompt drawn from).
# 2. For each V (default 1000 20000): the same pieces as integer
#    trajectories (the V most frequent words, then <unk>; each piece's
#    first word its prompt), fitted by ccmc-estimate --window 128 --l2 1
#    and by bench/sparse_ref.py (PyTorch float64 L-BFGS on the same
#    penalised likelihood, one thread, stopped as soon as its objective
#    is within 1e-9 relative of ours, or after SPARSE_REF_BUDGET seconds
#    of CPU, default 1800): the ratio of whole-process CPU times (a lower
#    bound, ">", when torch ran out of budget), the objectives' relative
#    gap, and torch's certificate of ours (the gradient at our logits
#    bounds how far below the optimum we can be: |g|^2 / (2 lambda),
#    relative); first on the first PIECES pieces (default 1500), then on
#    all of them.
# One line per target: met or MISSED.
set -eu
BIN=${BIN:-bin}
VS=${*:-1000 20000}
TEXT_V=${TEXT_V:-20000}   # the text fit's --max-vocab
PIECES=${PIECES:-1500}    # the first race's pieces: few enough for torch to
                          # reach our objective in minutes
D=$(mktemp -d "${TMPDIR:-/tmp}/sparse-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
timed() {    # timed NAME CMD...: user, system, wall seconds, peak KiB in NAME.time
	name=$1; shift
	/usr/bin/time -f "%U %S %e %M" -o "$D/$name.time" "$@"
}
python3 share/experiments/e7-corpus.py --no-changelogs >"$D/corpus.txt"
SPLIT="--text --lower --punct drop --chunk 96"
timed text "$BIN/ccmc-estimate" $SPLIT --window 128 --max-vocab "$TEXT_V" \
    "$D/corpus.txt" >"$D/text.json"
first=$(head -c 200000 "$D/corpus.txt" | tr -cs "A-Za-z" "\n" | grep -m1 .)
printf '{"type":"prompt","prompt":["%s"]}\n' "$(echo "$first" |
    tr "A-Z" "a-z")" >"$D/prompt"
timed load "$BIN/attn-sample" --model "$D/text.json" --seed 1 "$D/prompt" \
    >/dev/null
cat >"$D/traj.py" <<'PY'
import json, re, sys
V = int(sys.argv[1])
WORD = re.compile(r"(?:[A-Za-z0-9]|[^\x00-\x7f])+(?:'(?:[A-Za-z0-9]|[^\x00-\x7f])+)*")
docs = [WORD.findall("".join(c.lower() if "A" <= c <= "Z" else c for c in l))
        for l in sys.stdin]
count, first = {}, {}
for w in (w for d in docs for w in d):
    count[w] = count.get(w, 0) + 1
    first.setdefault(w, len(first))
keep = sorted(count, key=lambda w: (-count[w], first[w]))[:V]
ids = {w: i for i, w in enumerate(keep)}
for d in docs:
    for a in range(0, len(d), 96):
        p = [ids.get(w, V) for w in d[a:a + 96]]
        if len(p) >= 2:
            print(json.dumps({"type": "trajectory", "prompt": p[:1], "tokens": p[1:]}))
PY
race() {     # race NAME V FILE: ours, then torch to our objective
	timed fit$1 "$BIN/ccmc-estimate" --vocab $(($2 + 1)) --window 128 \
	    --l2 1 --brief "$3" >"$D/fit$1"
	timed ref$1 /usr/bin/python3 bench/sparse_ref.py 128 1 "$3" \
	    "$D/fit$1" >"$D/ref$1"
}
for V in $VS; do
	python3 "$D/traj.py" "$V" <"$D/corpus.txt" >"$D/t$V"
	head -n "$PIECES" "$D/t$V" >"$D/s$V"
	race "$V-first$PIECES" "$V" "$D/s$V"
	race "$V" "$V" "$D/t$V"
done
python3 - "$D" "$VS" "$TEXT_V" "$PIECES" <<'PY'
import json, os, sys
d, text_v, pieces = sys.argv[1], sys.argv[3], sys.argv[4]
vs = [x for v in sys.argv[2].split() for x in ("%s-first%s" % (v, pieces), v)]
t = lambda k: list(map(float, open(os.path.join(d, k + ".time")).read().split()))
cpu = lambda k: t(k)[0] + t(k)[1]
head = lambda f: json.loads(open(os.path.join(d, f)).readline())
size = lambda f: os.path.getsize(os.path.join(d, f))
text, model, inp = head("text.json"), size("text.json"), size("corpus.txt")
load = t("load")
print("text    --max-vocab %s --window 128 (not --brief): %.1f s CPU (%.1f s wall), %.0f MB peak; model %.1f MB, %.2fx the input (%.1f MB); K %d"
      % (text_v, cpu("text"), t("text")[2], t("text")[3] / 1024, model / 1e6, model / inp, inp / 1e6, text["K"]))
print("load    attn-sample --model: %.2f s wall (%.0f MB/s), %.2f s CPU (%.0f MB/s), %.0f MB peak"
      % (load[2], model / 1e6 / load[2], load[0] + load[1], model / 1e6 / (load[0] + load[1]), load[3] / 1024))
targets = [("text fit <= 600 s CPU", cpu("text") <= 600), ("text fit <= 6 GB", t("text")[3] <= 6 << 20),
           ("model <= 10x its input", model <= 10 * inp), ("load >= 50 MB/s", model / 1e6 / load[2] >= 50)]
for v in vs:
    ours, ref = head("fit" + v)["fit"], json.load(open(os.path.join(d, "ref" + v)))
    gap = (ours["objective"] - ref["objective"]) / abs(ref["objective"])
    ratio = cpu("ref" + v) / cpu("fit" + v)
    print("V %-5s ours %.1f s CPU, %.0f MB; torch %.1f s CPU (%.1f s fitting, %d evaluations, stopped: %s), %.0f MB; "
          "%d samples, %d parameters; torch / ours %s%.1fx; objective gap (ours - torch) / |torch| %.2g; "
          "certified: ours within %.2g of the optimum (torch's gradient at ours: %.2g)"
          % (v, cpu("fit" + v), t("fit" + v)[3] / 1024, cpu("ref" + v), ref["fit_seconds"],
             ref["evaluations"], ref["stopped"], t("ref" + v)[3] / 1024, ref["samples"],
             ref["parameters"], "" if ref["reached"] else ">", ratio, gap,
             ref["certified_gap"], ref["ours_gradient_norm"]))
    targets.append(("V %s: objective gap <= 1e-9 (certified)" % v,
                    gap >= -1e-9 and ref["certified_gap"] <= 1e-9))
for what, ok in targets:
    print("%-48s %s" % (what, "met" if ok else "MISSED"))
PY
