#!/usr/bin/env bats
# Text end to end: string tokens, the vocabulary and <unk>, coverage, held-out
# scores and the baselines of ccmc-estimate, against independent counting in
# python and the exact entropy of a known CCMC.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	# a small text: 60 documents over 40 words, Zipf-like, with copying
	py "$T/text" <<'EOF2'
import random, sys
random.seed(5)
words = ["w%d" % i for i in range(40)]
with open(sys.argv[1], "w") as f:
    for d in range(60):
        doc = []
        for t in range(random.randint(2, 40)):
            if doc and random.random() < 0.4:
                doc.append(random.choice(doc[-6:]))
            else:
                doc.append(words[min(int(random.paretovariate(1.0)) - 1, 39)])
        f.write(" ".join(doc) + "\n")
EOF2
}

# vocabulary V T: the V most frequent words of text T (ties: first seen),
# then <unk>, as JSON
vocab_of() {
	py "$2" "$1" <<'EOF2'
import json, sys
words = open(sys.argv[1]).read().split()
V = int(sys.argv[2])
first = {}
for i, w in enumerate(words):
    first.setdefault(w, i)
count = {w: words.count(w) for w in first}
kept = sorted(first, key=lambda w: (-count[w], first[w]))[:V]
print(json.dumps(kept + ["<unk>"], separators=(",", ":")))
EOF2
}

@test "text: --max-vocab keeps the V most frequent words, then <unk>" {
	ccmc-estimate --text --markov --max-vocab 12 "$T/text" >"$T/m"
	vocab_of 12 "$T/text" >"$T/v"
	[ "$(jq -c .vocab "$T/m")" = "$(cat "$T/v")" ]
	[ "$(jq .K "$T/m")" -eq 13 ]
	# the CCMC fit builds it from its fit part alone: the dev part (every
	# 10th document, the 10th first) neither counts nor breaks ties
	ccmc-estimate --text --window 8 --max-vocab 12 --brief "$T/text" >"$T/c"
	awk 'NR % 10' "$T/text" >"$T/fitpart"
	vocab_of 12 "$T/fitpart" >"$T/vf"
	[ "$(jq -c .vocab "$T/c")" = "$(cat "$T/vf")" ]
	# without --max-vocab every word is kept, in order of first appearance
	ccmc-estimate --text --markov "$T/text" >"$T/all"
	py "$T/text" "$T/all" <<'EOF2'
import json, sys
words = open(sys.argv[1]).read().split()
order = list(dict.fromkeys(words))
assert json.load(open(sys.argv[2]))["vocab"] == order
EOF2
}

@test "text: the bigram baseline and the unigram equal independent counting" {
	ccmc-estimate --text --markov --max-vocab 15 --laplace 0.5 "$T/text" >"$T/m"
	vocab_of 15 "$T/text" >"$T/v"
	py "$T/text" "$T/v" "$T/m" <<'EOF2'
import json, sys
vocab = json.load(open(sys.argv[2]))
m = json.load(open(sys.argv[3]))
K, a = len(vocab), 0.5
ids = {w: i for i, w in enumerate(vocab)}
n = [[0] * K for _ in range(K)]
u = [0] * K
N = 0
for line in open(sys.argv[1]):
    d = [ids.get(w, K - 1) for w in line.split()]
    for x, y in zip(d, d[1:]):
        n[x][y] += 1; u[y] += 1; N += 1
for i in range(K):
    ni = sum(n[i])
    for j in range(K):
        p = (n[i][j] + a) / (ni + K * a)
        assert abs(m["P"][i][j] - p) <= 1e-15, (i, j, m["P"][i][j], p)
for j in range(K):
    assert abs(m["unigram"][j] - (u[j] + a) / (N + K * a)) <= 1e-15
assert m["meta"]["chain"] == "markov" and m["fit"]["steps"] == N
EOF2
	# --eval scores it as a chain: the log-likelihood of the counted P
	ccmc-estimate --text --eval "$T/m" "$T/text" >"$T/e"
	py "$T/text" "$T/m" "$T/e" <<'EOF2'
import json, math, sys
m = json.load(open(sys.argv[2])); e = json.load(open(sys.argv[3]))
ids = {w: i for i, w in enumerate(m["vocab"])}
ll = 0; n = 0
for line in open(sys.argv[1]):
    d = [ids.get(w, ids["<unk>"]) for w in line.split()]
    for x, y in zip(d, d[1:]):
        ll += math.log(m["P"][x][y]); n += 1
assert e["model"] == "markov" and e["steps"] == n and e["coverage"] == 1
assert abs(e["loglik"] - ll) <= 1e-9 * abs(ll), (e["loglik"], ll)
assert abs(e["full_loglik"] - ll) <= 1e-9 * abs(ll)
EOF2
}

@test "text: coverage is counted exactly on a hand-built text" {
	# window 3: the step is covered iff its word is among the last 3
	printf '%s\n' "a b a c a b" "x y z x" "p" "q q q" "m n o p m" >"$T/hand"
	# a b a c a b: b no, a yes, c no, a yes, b no (last 3: a c a)  2 of 5
	# x y z x: y no, z no, x yes                                     1 of 3
	# p: no step;  q q q: 2 of 2
	# m n o p m: n, o, p no; m no (last 3: n o p)                    0 of 4
	ccmc-estimate --text --window 3 --brief "$T/hand" >"$T/c"
	[ "$(jq .fit.samples "$T/c")" -eq 5 ]
	[ "$(jq .fit.skipped "$T/c")" -eq 9 ]
	py "$(jq .fit.coverage "$T/c")" <<<'import sys; assert float(sys.argv[1]) == 5 / 14'
	ccmc-estimate --text --eval "$T/c" "$T/hand" >"$T/e"
	[ "$(jq .steps "$T/e")" -eq 14 ] && [ "$(jq .covered "$T/e")" -eq 5 ]
	# and on random text, against an independent count
	ccmc-estimate --text --window 5 --max-vocab 20 --brief --dev-share 0 \
	    "$T/text" >"$T/c"
	ccmc-estimate --text --eval "$T/c" "$T/text" >"$T/e"
	py "$T/text" "$T/c" "$T/e" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[2])); e = json.load(open(sys.argv[3]))
known = set(c["vocab"])
cov = steps = 0
for line in open(sys.argv[1]):
    d = [w if w in known else "<unk>" for w in line.split()]
    for t in range(1, len(d)):
        steps += 1
        cov += d[t] in d[max(0, t - 5):t]
assert c["fit"]["samples"] == cov and c["fit"]["skipped"] == steps - cov
assert e["covered"] == cov and e["steps"] == steps
assert abs(e["coverage"] - cov / steps) < 1e-15
assert c["meta"]["window"] == 5 and e["window"] == 5
EOF2
}

@test "text: strings and ids round-trip through the vocabulary" {
	ccmc-estimate --text --window 8 --max-vocab 15 --brief "$T/text" >"$T/c"
	# prompts in words, some unknown: attn-sample maps them through the
	# vocabulary (unknown -> <unk>) and prints words; --ids prints ids
	printf '{"type":"prompt","prompt":["w0","w1","nonesuch","w2","w0"]}\n{"type":"prompt","prompt":["w3","w3","w1"]}\n' >"$T/p"
	attn-sample --trajectory --steps 30 -n 2 --seed 4 --model "$T/c" "$T/p" >"$T/s"
	attn-sample --trajectory --steps 30 -n 2 --seed 4 --ids --model "$T/c" "$T/p" >"$T/i"
	py "$T/c" "$T/s" "$T/i" <<'EOF2'
import json, sys
v = json.load(open(sys.argv[1]))["vocab"]
s = [json.loads(l) for l in open(sys.argv[2]) if '"trajectory"' in l]
i = [json.loads(l) for l in open(sys.argv[3]) if '"trajectory"' in l]
assert len(s) == len(i) == 2
for a, b in zip(s, i):
    assert [v[k] for k in b["prompt"]] == a["prompt"]
    assert [v[k] for k in b["tokens"]] == a["tokens"]
    assert set(a["tokens"]) <= set(a["prompt"])      # a CCMC only copies
assert "<unk>" in s[0]["prompt"] and "nonesuch" not in s[0]["prompt"]
EOF2
	# the same data as strings or as ids score the same under the model
	grep '"trajectory"' "$T/s" >"$T/s.traj"
	grep '"trajectory"' "$T/i" >"$T/i.traj"
	ccmc-estimate --eval "$T/c" "$T/s.traj" >"$T/es"
	ccmc-estimate --eval "$T/c" "$T/i.traj" >"$T/ei"
	cmp "$T/es" "$T/ei"
	# and a fit on the strings (the model record first: its vocabulary)
	# is the fit on the ids (the same ridge; the text record is then
	# completed, the other not)
	{ head -1 "$T/s"; cat "$T/s.traj"; } >"$T/s.all"
	{ head -1 "$T/i"; cat "$T/i.traj"; } >"$T/i.all"
	ccmc-estimate --brief --l2 1 --window 8 "$T/s.all" |
	    jq -c '.fit | [.loglik, .samples, .skipped, .samples_per_row]' >"$T/fs"
	ccmc-estimate --brief --l2 1 --window 8 "$T/i.all" |
	    jq -c '.fit | [.loglik, .samples, .skipped, .samples_per_row]' >"$T/fi"
	cmp "$T/fs" "$T/fi"
}

@test "text: <unk> stands for every dropped word, in fitting and in scoring" {
	ccmc-estimate --text --window 8 --max-vocab 6 --brief "$T/text" >"$T/c"
	[ "$(jq -r '.vocab[-1]' "$T/c")" = "<unk>" ]
	echo "w0 zzz w1 yyy w0 zzz qqq" >"$T/h"
	ccmc-estimate --text --eval "$T/c" "$T/h" >"$T/e"
	py "$T/c" "$T/h" "$T/e" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[3]))
d = open(sys.argv[2]).read().split()
known = set(c["vocab"]) - {"<unk>"}
assert e["unk_steps"] == sum(w not in known for w in d[1:]), e
EOF2
	# the literal word <unk> is the unknown word too, in every --punct
	# mode: one step, not "<", "unk" and ">"
	echo "a <unk> b a <unk>" >"$T/u"
	ccmc-estimate --text --markov "$T/u" >"$T/mu"
	[ "$(jq -c .vocab "$T/mu")" = '["a","b","<unk>"]' ]
	for punct in split drop; do
		ccmc-estimate --text --punct $punct --markov --max-vocab 6 "$T/text" >"$T/cs"
		echo "w0 <unk> w0" >"$T/hu"
		ccmc-estimate --text --eval "$T/cs" "$T/hu" >"$T/eu"
		[ "$(jq -c '[.steps, .unk_steps]' "$T/eu")" = '[2,1]' ]
	done
	# a model without <unk> refuses unknown words, naming the line
	ccmc-estimate --text --markov "$T/text" >"$T/all"
	printf 'w0 w1\nw0 nonesuch\n' >"$T/h2"
	run ccmc-estimate --text --eval "$T/all" "$T/h2"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ $output == *"h2:2: "*nonesuch* ]]
}

@test "text: --eval cross-entropy of a known CCMC's draws is its conditional entropy (2%)" {
	attn-gen-model --vocab 6 --seed 12 | attn-to-ccmc >"$T/truth"
	# 25 fixed prompts, each used 800 times
	py "$T/prompts" <<'EOF2'
import json, random, sys
random.seed(3)
ps = [[random.randrange(6) for _ in range(random.randint(2, 10))] for _ in range(25)]
with open(sys.argv[1], "w") as f:
    for p in ps:
        for r in range(800):
            f.write(json.dumps({"type": "prompt", "prompt": p}) + "\n")
EOF2
	attn-sample --model "$T/truth" --seed 9 "$T/prompts" >"$T/draws"
	ccmc-estimate --eval "$T/truth" "$T/draws" >"$T/e"
	py "$T/truth" "$T/prompts" "$T/e" <<'EOF2'
import json, math, sys
P = json.load(open(sys.argv[1]))["P"]
H = []
for l in open(sys.argv[2]):
    p = json.loads(l)["prompt"]
    i = p[-1]
    w = [p.count(j) * P[i][j] for j in range(6)]
    z = sum(w)
    H.append(-sum(x / z * math.log(x / z) for x in w if x > 0))
exact = sum(H) / len(H)
e = json.load(open(sys.argv[3]))
assert e["steps"] == 20000 and e["coverage"] == 1, e
assert abs(e["cross_entropy"] - exact) <= 0.02 * exact, (e["cross_entropy"], exact)
assert abs(e["perplexity"] - math.exp(e["cross_entropy"])) <= 1e-12 * e["perplexity"]
EOF2
	# a CCMC fitted on other draws scores them nearly as well (within 2%)
	attn-sample --model "$T/truth" -n 20000 --len 8 --seed 10 </dev/null >"$T/train"
	ccmc-estimate --brief "$T/train" >"$T/fit"
	ccmc-estimate --eval "$T/fit" "$T/draws" >"$T/ef"
	py "$T/e" "$T/ef" <<'EOF2'
import json, sys
a, b = (json.load(open(f))["cross_entropy"] for f in sys.argv[1:3])
assert a <= b * 1.02 and b <= a * 1.02, (a, b)
EOF2
}

@test "text: the unigram mix weight maximises the log-likelihood of the dev part" {
	# --dev-share 0.25: of the documents with a step, the 4th, 8th, ...
	# (k from 0 with floor((k + 1) / 4) > floor(k / 4)) are held out
	ccmc-estimate --text --window 6 --max-vocab 20 --brief --dev-share 0.25 \
	    "$T/text" >"$T/c"
	py "$T/text" "$T/train" "$T/dev" <<'EOF2'
import sys
docs = [l for l in open(sys.argv[1]) if len(l.split()) >= 2]
with open(sys.argv[2], "w") as t, open(sys.argv[3], "w") as d:
    for k, l in enumerate(docs):
        (d if (k + 1) // 4 > k // 4 else t).write(l)
EOF2
	w=$(jq .mix "$T/c")
	[ "$(jq -r .mix_fitted_on "$T/c")" = "dev part" ]
	ccmc-estimate --text --eval "$T/c" "$T/dev" >"$T/e0"
	jq .full_loglik "$T/e0" >"$T/l0"
	for f in 0.9 0.99 1.01 1.1; do
		x=$(awk -v w="$w" -v f="$f" 'BEGIN { printf "%.17g", w * f }')
		ccmc-estimate --text --eval "$T/c" --mix "$x" "$T/dev" | jq .full_loglik
	done >"$T/ls"
	py "$T/l0" "$T/ls" "$T/c" "$T/e0" "$T/text" <<'EOF2'
import json, sys
l0 = float(open(sys.argv[1]).read())
c = json.load(open(sys.argv[3])); e = json.load(open(sys.argv[4]))
assert 0 < c["mix"] < 1
for l in open(sys.argv[2]):
    assert float(l) < l0, (l, l0)
# the record's dev scores are those of the dev documents
assert c["dev"]["steps"] == e["steps"] and c["dev"]["covered"] == e["covered"]
assert abs(c["dev"]["full_perplexity"] - e["full_perplexity"]) <= 1e-12 * e["full_perplexity"]
# the unigram carried in the record is add-one over the fit part's steps
ids = {w: i for i, w in enumerate(c["vocab"])}
K = len(ids); n = [0] * K; N = 0
docs = [l.split() for l in open(sys.argv[5]) if len(l.split()) >= 2]
for k, d in enumerate(docs):
    if (k + 1) // 4 > k // 4:
        continue
    for w in d[1:]:
        n[ids.get(w, ids["<unk>"])] += 1; N += 1
for j in range(K):
    assert abs(c["unigram"][j] - (n[j] + 1) / (N + K)) <= 1e-15
# and the CCMC was fitted on those steps alone
assert c["fit"]["samples"] + c["fit"]["skipped"] == N
EOF2
	# without a dev part the weight is fitted on the training steps, and
	# the record says so
	ccmc-estimate --text --window 6 --max-vocab 20 --brief --dev-share 0 \
	    "$T/text" >"$T/c0"
	jq -e '.dev == null and (.mix_fitted_on | startswith("training steps"))' "$T/c0"
}

@test "text: mixed token kinds, too many words, models without a vocabulary: exit 65" {
	printf '{"type":"trajectory","prompt":["a"],"tokens":["b",1]}\n' >"$T/a"
	run ccmc-estimate "$T/a"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ $output == *"mixes integer and string"* ]]
	printf '{"type":"trajectory","prompt":[0],"tokens":[0,0,0]}\n{"type":"trajectory","prompt":["a"],"tokens":["a"]}\n' >"$T/b"
	run ccmc-estimate "$T/b"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ $output == *":2: string tokens after integer"* ]]
	printf '{"type":"sample","prompt":["a","b"],"y":"a"}\n{"type":"sample","prompt":[0,1],"y":0}\n' >"$T/c"
	run ccmc-estimate --window 4 "$T/c"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	py "$T/many" <<<'import sys; open(sys.argv[1], "w").write(" ".join("w%d" % i for i in range(3000)) + "\n")'
	# beyond a dense record's 2048 tokens a chain is sparse; dense refused
	ccmc-estimate --text --markov "$T/many" | head -n 1 |
	    jq -e '.form == "sparse" and .K == 3000'
	run ccmc-estimate --text --markov --form dense "$T/many"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ $output == *"--form sparse"* ]]
	ccmc-estimate --text --markov --max-vocab 100 "$T/many" >/dev/null
	attn-gen-model --vocab 4 | attn-to-ccmc >"$T/novocab"
	run ccmc-estimate --text --eval "$T/novocab" "$T/text"
	assert_error 65 ccmc-estimate
	run ccmc-estimate --eval "$T/novocab" --mix 0.5 "$T/b"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	run ccmc-estimate --markov --eval "$T/novocab"
	assert_error 2 ccmc-estimate
	run ccmc-estimate --mix 0.5
	assert_error 2 ccmc-estimate
	run ccmc-estimate --max-vocab 0
	assert_error 2 ccmc-estimate
	run ccmc-estimate --laplace 0
	assert_error 2 ccmc-estimate
}

# kn_check TEXT MODEL [SHARE]: the bigram of MODEL is interpolated Kneser-Ney
# (Chen and Goodman 1998) of the documents of TEXT (without the dev part of
# SHARE), computed by tests/kn.py from its definition; every row sums to 1.
kn_check() {
	python3 "$TOP/tests/kn.py" "$1" "$2" "${3:-0}"
}

@test "text: the default bigram is interpolated Kneser-Ney, as an independent implementation computes it" {
	# the words at the ends of documents only are rows never seen as a
	# query: they must be the continuation unigram
	printf '%s\n' "a b a c a b d" "b b a c e" "c a a b f" >>"$T/text"
	ccmc-estimate --text --markov "$T/text" >"$T/m"
	kn_check "$T/text" "$T/m" >"$T/unseen"
	[ "$(cat "$T/unseen")" -ge 1 ]
	# counted on the fit part only with a dev part, which is scored
	ccmc-estimate --text --markov --max-vocab 25 --dev-share 0.3 "$T/text" >"$T/md"
	kn_check "$T/text" "$T/md" 0.3 >/dev/null
	jq -e '.fit.dev.steps > 0 and .fit.dev.coverage == 1 and .fit.dev.perplexity > 1' "$T/md"
	# --laplace A is add-A instead
	ccmc-estimate --text --markov --laplace 0.5 "$T/text" |
	    jq -e '.meta.smoothing == "add-A (Laplace)" and .meta.laplace == 0.5'
}

# The licence texts of E7, one a line (what share/experiments/e7.mk reads).
e7_text() {
	local d=/usr/share/common-licenses f
	for f in Apache-2.0 Artistic BSD CC0-1.0 GFDL-1.3 GPL-2 GPL-3 LGPL-2.1 \
	    LGPL-3 MPL-1.1 MPL-2.0; do
		[ -r "$d/$f" ] || return 1
		tr -s '[:space:]' ' ' <"$d/$f"
		echo
	done
}

@test "text: on E7's held-out text Kneser-Ney beats the best add-k bigram" {
	e7_text >"$T/lic" || skip "no /usr/share/common-licenses"
	split=(--text --lower --punct drop --chunk 96)
	# add-k with k chosen on the dev part of the training pieces
	for k in 0.001 0.003 0.01 0.03 0.1 0.3 1; do
		ccmc-estimate "${split[@]}" --skip-pieces 5/5 --markov --max-vocab 1000 \
		    --dev-share 0.2 --laplace $k "$T/lic" >"$T/m$k"
		echo "$(jq .fit.dev.perplexity "$T/m$k") $k"
	done | sort -g | head -1 | cut -d' ' -f2 >"$T/best"
	ccmc-estimate "${split[@]}" --skip-pieces 5/5 --markov --max-vocab 1000 \
	    --dev-share 0.2 "$T/lic" >"$T/kn"
	ccmc-estimate "${split[@]}" --pieces 5/5 --eval "$T/kn" "$T/lic" >"$T/ekn"
	ccmc-estimate "${split[@]}" --pieces 5/5 --eval "$T/m$(cat "$T/best")" \
	    "$T/lic" >"$T/eadd"
	py "$T/ekn" "$T/eadd" <<'EOF2'
import json, sys
kn, add = (json.load(open(f)) for f in sys.argv[1:3])
assert kn["steps"] == add["steps"] > 5000 and kn["coverage"] == 1
assert kn["perplexity"] < add["perplexity"], (kn["perplexity"], add["perplexity"])
EOF2
}

# The unknown word <unk> is one word in every --punct mode (<UNK> too
# with --lower), and the last id of the vocabulary, as in keep.
@test "text: --lower, --punct, --chunk and --pieces cut words as an independent splitter does" {
	printf '%s\n' "The licensee's RIGHTS: (a) to copy; (b) to run -- version 2.0!" \
	    "Ça va? Élan, naïve café... don't 'quote' a''b x'" \
	    "one two three four five six seven eight nine ten eleven" \
	    "-- ,,, ..." "Fin." "x<unk>y <UNK> <unk>, (<unk>) <unk <unk>" >"$T/p"
	for punct in keep split drop; do
		for lower in "" --lower; do
			for chunk in 0 3 4; do
				opts=(--text --punct $punct $lower)
				[ $chunk = 0 ] || opts+=(--chunk $chunk)
				ccmc-estimate "${opts[@]}" --markov "$T/p" >"$T/m"
				ccmc-estimate "${opts[@]}" --pieces 2/3 --markov "$T/p" >"$T/m2" || true
				traj-stats "${opts[@]}" --skip-pieces 2/3 "$T/p" >"$T/s"
				py "$T/p" "$punct" "${lower:-no}" "$chunk" "$T/m" "$T/m2" "$T/s" <<'EOF2'
import json, re, sys
text, punct, lower, chunk = sys.argv[1], sys.argv[2], sys.argv[3] == "--lower", int(sys.argv[4])
W = r"(?:[A-Za-z0-9]|[^\x00-\x7f])"
docs = []
for line in open(text, encoding="utf-8"):
    line = line.rstrip("\n")
    if lower:
        line = "".join(c.lower() if "A" <= c <= "Z" else c for c in line)
    if punct == "keep":
        words = line.split()
    else:
        pat = "<unk>|" + W + "+(?:'" + W + "+)*"
        if punct == "split":
            pat += r"|[!-/:-@\[-`{-~]"
        words = re.findall(pat, line)
    docs.append(words)
pieces = []
for d in docs:
    size = chunk or len(d)
    pieces += [d[i:i + size] for i in range(0, len(d), size or 1)]
m = json.load(open(sys.argv[5]))
order = list(dict.fromkeys(w for p in pieces if len(p) >= 2 for w in p))
if "<unk>" in order:
    order = [w for w in order if w != "<unk>"] + ["<unk>"]
assert m["vocab"] == order, (m["vocab"], order)
assert m["fit"]["steps"] == sum(len(p) - 1 for p in pieces if len(p) >= 2)
assert m["fit"]["sequences"] == sum(len(p) >= 2 for p in pieces)
kept = [p for k, p in enumerate(pieces) if k % 3 == 1]
try:
    m2 = json.load(open(sys.argv[6]))
    assert m2["fit"]["steps"] == sum(len(p) - 1 for p in kept if len(p) >= 2)
except ValueError:
    assert sum(len(p) - 1 for p in kept if len(p) >= 2) == 0
rest = [p for k, p in enumerate(pieces) if k % 3 != 1]
s = [json.loads(l) for l in open(sys.argv[7])]
assert [r["length"] for r in s] == [len(p) for p in rest], ([r["length"] for r in s], rest)
EOF2
			done
		done
	done
	# the options go with --text, and take checked values
	for bad in "--lower" "--chunk 3" "--pieces 1/2" "--text --chunk 1" \
	    "--text --punct some" "--text --pieces 3/2" "--text --pieces 0/2" \
	    "--text --pieces 1/2x" "--text --pieces 1/2 --skip-pieces 1/3"; do
		run ccmc-estimate $bad --markov "$T/p"
		assert_error 2 ccmc-estimate
		run traj-stats $bad "$T/p"
		assert_error 2 traj-stats
	done
}

@test "text: bytes that are not UTF-8, and NUL, are errors naming line and column" {
	printf 'fine words\nna\xc3\xafve caf\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80 caf\xc3\xa9\n' >"$T/ok"
	ccmc-estimate --text --markov "$T/ok" | jq -e '.vocab | index("na\u00efve") != null'
	traj-stats --text "$T/ok" >/dev/null
	# a stray continuation byte, an overlong '/', a surrogate, a code point
	# past U+10FFFF, a truncated character at the end of the line, NUL
	for bytes in 'ab \x80 c' 'ab \xc0\xaf' 'ab \xed\xa0\x80' 'ab \xf4\x90\x80\x80' \
	    'ab c\xe6\xbc' 'ab \x00 c'; do
		printf "fine words\n$bytes\n" >"$T/bad"
		for prog in "ccmc-estimate --text --markov" "ccmc-estimate --text" \
		    "traj-stats --text"; do
			run bash -c "$prog \"\$1\" 2>&1 >/dev/null" - "$T/bad"
			assert_error 65 ${prog%% *}; assert_located ${prog%% *}
			[[ ${lines[0]} == *"bad:2: "*"column "[45]* ]]
		done
	done
	printf 'ab \x00 c\n' | { run ccmc-estimate --text --markov; }
	[[ ${lines[0]} == *"NUL byte at column 4"* ]]
	# and the fitted model reads back: its vocabulary is valid JSON text
	ccmc-estimate --text --window 4 --brief --dev-share 0 "$T/ok" >"$T/c"
	ccmc-estimate --text --eval "$T/c" "$T/ok" >/dev/null
}

@test "text: JSON records read with --text get one note" {
	printf '%s\n' '{"type": "trajectory", "prompt": ["a"], "tokens": ["b", "a"]}' \
	    ' {"type": "trajectory", "prompt": ["a"], "tokens": ["a", "b"]} ' >"$T/j"
	run ccmc-estimate --text --markov "$T/j"
	[ "$status" -eq 0 ]
	# notes come at the end of the run, after the records
	printf '%s\n' "$output" | grep -qxF "ccmc-estimate: note: $T/j:1: this looks like a JSON record, but --text reads every line as plain words"
	[ "$(printf '%s\n' "$output" | grep -c note:)" -eq 1 ]
	run traj-stats --text "$T/j"
	printf '%s\n' "$output" | grep -qxF "traj-stats: note: $T/j:1: this looks like a JSON record, but --text reads every line as plain words"
	# plain text gets none
	run ccmc-estimate --text --markov "$T/text"
	[[ $output != *note:* ]]
}

@test "text: --eval refuses contexts longer than the model's positions, as a fit does" {
	attn-gen-model --vocab 3 --pos 4 --seed 2 | attn-to-ccmc >"$T/pm"
	printf '%s\n' '{"type":"sample","prompt":[0,1],"y":1}' \
	    '{"type":"trajectory","prompt":[0,1],"tokens":[0,1,0,1,0,1]}' >"$T/long"
	run ccmc-estimate --eval "$T/pm" "$T/long"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ ${lines[0]} == *"long:2: context of 7 tokens is longer than LMAX = 4"* ]]
	{ head -1 "$T/pm"; cat "$T/long"; } >"$T/fit"
	run ccmc-estimate "$T/fit"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	# a window within LMAX scores them; the longest context, 4 tokens, is
	# scored by the general formula, checked here by hand
	ccmc-estimate --eval "$T/pm" --window 4 "$T/long" >"$T/e"
	py "$T/pm" "$T/long" "$T/e" <<'EOF2'
import json, math, sys
m = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[3]))
P, W = m["P"], m["posw"]
ll = 0
for l in open(sys.argv[2]):
    r = json.loads(l)
    ctx, ys = r["prompt"], (r["tokens"] if "tokens" in r else [r["y"]])
    for y in ys:
        c = ctx[-4:]; L = len(c); i = c[-1]
        w = [0.0] * 3
        for t, k in enumerate(c):
            w[k] += W[L - 1][t]
        z = sum(w[j] * P[i][j] for j in range(3))
        if w[y] > 0:
            ll += math.log(w[y] * P[i][y] / z)
        ctx = ctx + [y]
assert e["steps"] == 7 and abs(e["loglik"] - ll) <= 1e-12 * abs(ll), (e, ll)
EOF2
	# a meta.window no int can hold is an error, not a wrapped number
	for w in 4294967300 -1 '"32"' 2.5; do
		jq -c ".meta.window = $w" "$T/pm" >"$T/pw"
		run ccmc-estimate --eval "$T/pw" "$T/long"
		assert_error 65 ccmc-estimate; assert_located ccmc-estimate
		[[ ${lines[0]} == *meta.window* ]]
	done
}
