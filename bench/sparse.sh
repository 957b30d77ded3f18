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
#    is within 1e-9 relative of ours): the ratio of whole-process CPU
#    times and the objectives' relative gap.
# One line per target: met or MISSED.
set -eu
BIN=${BIN:-bin}
VS=${*:-1000 20000}
TEXT_V=${TEXT_V:-20000}   # the text fit's --max-vocab
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
for V in $VS; do
	python3 "$D/traj.py" "$V" <"$D/corpus.txt" >"$D/t$V"
	timed fit$V "$BIN/ccmc-estimate" --vocab $((V + 1)) --window 128 \
	    --l2 1 --brief "$D/t$V" >"$D/fit$V"
	target=$(head -n 1 "$D/fit$V" | jq .fit.objective)
	timed ref$V /usr/bin/python3 bench/sparse_ref.py 128 1 "$D/t$V" \
	    "$target" >"$D/ref$V"
done
python3 - "$D" "$VS" "$TEXT_V" <<'PY'
import json, os, sys
d, vs, text_v = sys.argv[1], sys.argv[2].split(), sys.argv[3]
t = lambda k: list(map(float, open(os.path.join(d, k + ".time")).read().split()))
cpu = lambda k: t(k)[0] + t(k)[1]
head = lambda f: json.loads(open(os.path.join(d, f)).readline())
size = lambda f: os.path.getsize(os.path.join(d, f))
text, model, inp = head("text.json"), size("text.json"), size("corpus.txt")
load = t("load")
print("text    --max-vocab %s --window 128 (not --brief): %.1f s CPU (%.1f s wall), %.0f MB peak; model %.1f MB, %.2fx the input (%.1f MB); K %d"
      % (text_v, cpu("text"), t("text")[2], t("text")[3] / 1024, model / 1e6, model / inp, inp / 1e6, text["K"]))
print("load    attn-sample --model: %.2f s wall, %.0f MB/s, %.0f MB peak" % (load[2], model / 1e6 / load[2], load[3] / 1024))
targets = [("text fit <= 600 s CPU", cpu("text") <= 600), ("text fit <= 6 GB", t("text")[3] <= 6 << 20),
           ("model <= 10x its input", model <= 10 * inp), ("load >= 50 MB/s", model / 1e6 / load[2] >= 50)]
for v in vs:
    ours, ref = head("fit" + v)["fit"], json.load(open(os.path.join(d, "ref" + v)))
    gap = (ours["objective"] - ref["objective"]) / abs(ref["objective"])
    ratio = cpu("ref" + v) / cpu("fit" + v)
    print("V %-5s ours %.1f s CPU, %.0f MB; torch %.1f s CPU (%.1f s fitting, %d evaluations, %s), %.0f MB; "
          "%d samples, %d parameters; torch / ours %.1fx; objective gap (ours - torch) / |torch| %.2g"
          % (v, cpu("fit" + v), t("fit" + v)[3] / 1024, cpu("ref" + v), ref["fit_seconds"],
             ref["evaluations"], "reached ours" if ref["reached"] else "stopped by its own tests",
             t("ref" + v)[3] / 1024, ref["samples"], ref["parameters"], ratio, gap))
    targets.append(("V %s: objective gap <= 1e-9 (or ours higher)" % v, gap >= -1e-9))
for what, ok in targets:
    print("%-48s %s" % (what, "met" if ok else "MISSED"))
PY
