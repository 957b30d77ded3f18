#!/usr/bin/env bats
# The bigram baselines at any vocabulary: Kneser-Ney counted from the pairs
# seen (never K x K), written sparse (row i: the tokens seen after i, the
# others default_i + bg_j) and as an ARPA file, and the plain MLE with its
# exact zeros, against tests/kn.py and independent readers.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	# 80 documents over 120 words, Zipf-like, with copying
	py "$T/text" <<'EOF2'
import random, sys
random.seed(11)
words = ["w%d" % i for i in range(120)]
with open(sys.argv[1], "w") as f:
    for d in range(80):
        doc = []
        for t in range(random.randint(2, 50)):
            if doc and random.random() < 0.3:
                doc.append(random.choice(doc[-6:]))
            else:
                doc.append(words[min(int(random.paretovariate(0.8)) - 1, 119)])
        f.write(" ".join(doc) + "\n")
EOF2
}

@test "kn-sparse: the sparse Kneser-Ney record is Kneser-Ney in every entry, listed or not" {
	ccmc-estimate --text --markov --max-vocab 50 --form sparse "$T/text" >"$T/s"
	ccmc-estimate --text --markov --max-vocab 50 "$T/text" >"$T/d"
	[ "$(wc -l <"$T/s")" -eq 52 ]
	head -n 1 "$T/s" | jq -e '.form == "sparse" and .K == 51 and
	    .default == null and (.background | length) == 51 and .P == null and
	    .A == null and .meta.chain == "markov"'
	python3 "$TOP/tests/kn.py" "$T/text" "$T/s" >/dev/null
	python3 "$TOP/tests/kn.py" "$T/text" "$T/d" >/dev/null
	# the same chain: dense and sparse agree entry for entry, and a row
	# lists exactly the tokens seen after its query
	py "$T/s" "$T/d" "$T/text" <<'EOF2'
import json, math, sys
lines = open(sys.argv[1]).read().splitlines()
h = json.loads(lines[0]); rows = [json.loads(l) for l in lines[1:]]
d = json.load(open(sys.argv[2]))
ids = {w: i for i, w in enumerate(h["vocab"])}
seen = set()
for l in open(sys.argv[3]):
    t = [ids.get(w, ids["<unk>"]) for w in l.split()]
    seen |= set(zip(t, t[1:]))
for r in rows:
    i = r["i"]
    assert r["cols"] == sorted(j for (a, j) in seen if a == i)
    for j, a in zip(r["cols"], r["A"]):
        assert abs(math.exp(a) - d["P"][i][j]) <= 1e-15 * d["P"][i][j] * 4
    for j in range(h["K"]):
        if j not in r["cols"]:
            p = math.exp(r["default"] + h["background"][j])
            assert abs(p - d["P"][i][j]) <= 1e-14 * d["P"][i][j]
EOF2
	# the dev part is scored the same from either form
	ccmc-estimate --text --markov --max-vocab 50 --dev-share 0.25 "$T/text" >"$T/dd"
	ccmc-estimate --text --markov --max-vocab 50 --dev-share 0.25 --form sparse \
	    "$T/text" | head -n 1 >"$T/sd"
	a=$(jq '.fit.dev.cross_entropy' "$T/dd"); b=$(jq '.fit.dev.cross_entropy' "$T/sd")
	py "$a" "$b" <<<'import sys; a, b = map(float, sys.argv[1:]); assert abs(a - b) <= 1e-14 * a'
}

@test "kn-sparse: beyond 2048 words the chain is sparse, and no K x K array is made" {
	# about 82000 distinct words: a K x K array of doubles would be 54 GB
	py "$T/big" <<'EOF2'
import random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    for d in range(2000):
        f.write(" ".join("v%d" % min(int(random.paretovariate(0.5)), 149999)
                         if random.random() < 0.5 else "u%d" % random.randrange(100000)
                         for _ in range(150)) + "\n")
EOF2
	under_vmem 600000 ccmc-estimate --text --markov --arpa "$T/big.arpa" \
	    "$T/big" >"$T/bs"
	K=$(head -n 1 "$T/bs" | jq .K)
	[ "$K" -gt 80000 ]
	[ "$(wc -l <"$T/bs")" -eq $((K + 1)) ]
	head -n 1 "$T/bs" | jq -e '.form == "sparse"'
	# a few rows, all columns, against Kneser-Ney from its definition
	python3 "$TOP/tests/kn.py" "$T/big" "$T/bs" 0 25013 >/dev/null
	grep -q '^ngram 1='$((K + 2))'$' "$T/big.arpa"
}

# arpa_check ARPA MODEL: P(j | i) of the ARPA file, read by the backoff rule,
# equals the model's P within 1e-12, and each row sums to 1.
arpa_check() {
	py "$1" "$2" <<'EOF2'
import json, sys
m = json.load(open(sys.argv[2]))
uni, bow, bi, count, order = {}, {}, {}, {}, None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line:
        continue
    if line == "\\data\\":
        order = "data"; continue
    if line.startswith("\\") and line.endswith("-grams:"):
        order = int(line[1]); continue
    if line == "\\end\\":
        order = "end"; continue
    if order == "data":
        n, c = line.split()[1].split("=")
        count[int(n)] = int(c)
    elif order == 1:
        f = line.split("\t")
        uni[f[1]] = float(f[0])
        bow[f[1]] = float(f[2]) if len(f) > 2 else 0.0
    elif order == 2:
        p, ws = line.split("\t")
        a, b = ws.split(" ")
        bi[(a, b)] = float(p)
assert order == "end" and count == {1: len(uni), 2: len(bi)}
V = m["vocab"]
for i, a in enumerate(V):
    row = []
    for j, b in enumerate(V):
        lp = bi[(a, b)] if (a, b) in bi else bow[a] + uni[b]
        row.append(10 ** lp)
        want = m["P"][i][j]
        assert abs(row[-1] - want) <= 1e-12 * want, (a, b, row[-1], want)
    assert abs(sum(row) - 1) <= 1e-12
assert uni["<s>"] == -99 and uni["</s>"] == -99
EOF2
}

# An ARPA consumer that is not ours: CMU Sphinx's sphinx_lm_eval
# (sphinxbase) loads the file and scores every pair "a b" of the
# vocabulary, P(b | a) by its own backoff rule.  It keeps log-probabilities
# as integers in base 1.0001 (resolution 1e-4 in ln), so it agrees with
# the record's P within 1e-3 in ln; a wrong backoff weight or a misread
# line is off by far more.  Pairs it backs off on are counted: there must
# be some.
@test "kn-sparse: the ARPA file loads in CMU Sphinx and gives the record's P(b | a)" {
	ccmc-estimate --text --markov --max-vocab 50 --arpa "$T/a.arpa" "$T/text" >"$T/d"
	jq -r '.vocab[] as $a | .vocab[] | "\($a) \(.)"' "$T/d" >"$T/pairs"
	sphinx_lm_eval -lm "$T/a.arpa" -lsn "$T/pairs" -verbose yes >"$T/eval" 2>&1
	py "$T/d" "$T/eval" "$T/a.arpa" <<'EOF2'
import json, math, re, sys
m = json.load(open(sys.argv[1]))
V = {w: i for i, w in enumerate(m["vocab"])}
seen = {tuple(l.split("\t")[1].split()) for l in open(sys.argv[3])
        if l.count("\t") == 1 and " " in l.split("\t")[1]}
n = backoff = 0
for line in open(sys.argv[2]):
    r = re.match(r"log P\((\S+)\|(\S+) \) = (-?\d+)$", line.strip())
    if not r:
        continue
    b, a, lp = r.group(1), r.group(2), int(r.group(3))
    want = math.log(m["P"][V[a]][V[b]])
    assert abs(lp * math.log(1.0001) - want) <= 1e-3, (a, b, lp, want)
    n += 1
    backoff += (a, b) not in seen
assert n == len(V) ** 2, (n, len(V))
assert backoff > n // 4, (backoff, n)
EOF2
}

# A word of the input that ARPA reserves (<s>, </s>: its sentence
# markers) or cannot hold (empty, white space) is refused, naming it,
# before the ARPA file is made; without it the file loads in Sphinx.
# <unk> is the unknown word of both: written as a word, P(<unk> | a) read
# back as the record's.
@test "kn-sparse: --arpa refuses a word ARPA reserves or cannot hold, naming it, before writing; <unk> is a word" {
	cd "$T"
	printf '%s\n' "a <s> b a b" "b a </s> a b" "a b b a <s> a <unk> b" >marked
	run sh -c 'ccmc-estimate --text --markov --arpa m.arpa marked >out'
	assert_error 65 ccmc-estimate
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "ccmc-estimate: marked:3: --arpa m.arpa: vocabulary word "[0-9]" is <s>, ARPA's start of a sentence"* ]]
	[ ! -e m.arpa ] && [ ! -s out ]
	sed 's/<s>/<S>/g' marked >end
	run sh -c 'ccmc-estimate --text --markov --arpa m.arpa end >out'
	assert_error 65 ccmc-estimate
	[[ $output == *"is </s>, ARPA's end of a sentence"* ]]
	[ ! -e m.arpa ]
	# string tokens ARPA cannot hold
	printf '%s\n' '{"type":"trajectory","prompt":["a b"],"tokens":["c","a b","c"]}' >ws
	run sh -c 'ccmc-estimate --markov --arpa m.arpa ws >out'
	assert_error 65 ccmc-estimate
	[[ $output == *"vocabulary word 0 holds white space"* ]]
	printf '%s\n' '{"type":"trajectory","prompt":[""],"tokens":["c","","c"]}' >empty
	run sh -c 'ccmc-estimate --markov --arpa m.arpa empty >out'
	assert_error 65 ccmc-estimate
	[[ $output == *"vocabulary word 0 is empty"* ]]
	[ ! -e m.arpa ]
	# --punct split parts < and > from the words (<unk> stays whole)
	ccmc-estimate --text --punct split --markov --arpa m.arpa marked >m
	[ "$(jq -c .vocab m)" = '["a","<","s",">","b","/","<unk>"]' ]
	[ "$(grep -c '<s>' m.arpa)" -eq 1 ] && [ "$(grep -c '</s>' m.arpa)" -eq 1 ]
	# respelt: written, and Sphinx reads P(<unk> | a) as the record's
	sed 's/<s>/s/g; s#</s>#e#g' marked >plain
	ccmc-estimate --text --markov --arpa m.arpa plain >m
	echo "a <unk>" >pair
	sphinx_lm_eval -lm m.arpa -lsn pair -verbose yes >eval 2>&1
	py m eval <<'EOF2'
import json, math, re, sys
m = json.load(open(sys.argv[1]))
V = {w: i for i, w in enumerate(m["vocab"])}
lp = [int(r.group(1)) for r in (re.match(r"log P\(<unk>\|a \) = (-?\d+)$", l.strip())
      for l in open(sys.argv[2])) if r]
assert len(lp) == 1, lp
want = math.log(m["P"][V["a"]][V["<unk>"]])
assert abs(lp[0] * math.log(1.0001) - want) <= 1e-3, (lp, want)
EOF2
}

@test "kn-sparse: --arpa writes the Kneser-Ney bigram that an ARPA reader computes back" {
	ccmc-estimate --text --markov --max-vocab 50 --arpa "$T/a.arpa" "$T/text" >"$T/d"
	arpa_check "$T/a.arpa" "$T/d"
	# the same file from the sparse form, and the record is unchanged
	ccmc-estimate --text --markov --max-vocab 50 --form sparse \
	    --arpa "$T/b.arpa" "$T/text" >/dev/null
	cmp "$T/a.arpa" "$T/b.arpa"
	ccmc-estimate --text --markov --max-vocab 50 "$T/text" | cmp - "$T/d"
	# log10 printed round-trip
	awk -F'\t' '/^-[0-9]/ && $1 != "-99" { if (length($1) < 12) exit 1 }' "$T/a.arpa"
	run ccmc-estimate --text --markov --laplace 1 --arpa "$T/c.arpa" "$T/text"
	assert_error 2 ccmc-estimate
	run ccmc-estimate --text --arpa "$T/c.arpa" "$T/text"
	assert_error 2 ccmc-estimate
	run ccmc-estimate --text --markov --arpa /nonexistent/dir/x.arpa "$T/text"
	[ "$status" -ne 0 ]
	[[ $output == *"/nonexistent/dir/x.arpa"* ]]
}

@test "kn-sparse: --laplace 0 is the plain MLE: exact ratios, unseen pairs not covered" {
	ccmc-estimate --text --markov --laplace 0 --max-vocab 50 --dev-share 0.25 \
	    "$T/text" >"$T/mle"
	head -n 1 "$T/mle" | jq -e '.form == "sparse" and .background == null and
	    .meta.smoothing == "none (maximum likelihood)" and .meta.laplace == 0
	    and .meta.unigram_laplace == 1'
	py "$T/mle" "$T/text" <<'EOF2'
import json, math, sys
from collections import Counter
lines = open(sys.argv[1]).read().splitlines()
h = json.loads(lines[0]); rows = [json.loads(l) for l in lines[1:]]
ids = {w: i for i, w in enumerate(h["vocab"])}
docs = [[ids.get(w, ids["<unk>"]) for w in l.split()] for l in open(sys.argv[2])]
docs = [d for d in docs if len(d) >= 2]
dev = [d for k, d in enumerate(docs) if math.floor((k + 1) * 0.25) > math.floor(k * 0.25)]
fit = [d for k, d in enumerate(docs) if not math.floor((k + 1) * 0.25) > math.floor(k * 0.25)]
n = Counter((a, b) for d in fit for a, b in zip(d, d[1:]))
ni = Counter(a for d in fit for a in d[:-1])
for r in rows:
    i = r["i"]
    assert r["default"] is None
    assert r["cols"] == sorted(b for (a, b) in n if a == i)
    for j, a in zip(r["cols"], r["A"]):
        assert abs(math.exp(a) - n[(i, j)] / ni[i]) <= 4e-16 * n[(i, j)] / ni[i] * 4
# the dev part: a step is covered iff its pair was seen in the fit part,
# and its probability is the ratio of counts
steps = [(a, b) for d in dev for a, b in zip(d, d[1:])]
cov = [s for s in steps if s in n]
ll = sum(math.log(n[s] / ni[s[0]]) for s in cov)
f = h["fit"]["dev"]
assert f["steps"] == len(steps) and f["covered"] == len(cov) < len(steps), (f, len(cov))
assert abs(f["cross_entropy"] - (-ll / len(cov))) <= 1e-12
EOF2
	# the dense form cannot hold the zeros; a CCMC's background needs A > 0
	run ccmc-estimate --text --markov --laplace 0 --form dense "$T/text"
	assert_error 2 ccmc-estimate
	run ccmc-estimate --text --laplace 0 "$T/text"
	assert_error 2 ccmc-estimate
	run ccmc-estimate --text --markov --laplace 1e-310 "$T/text"
	assert_error 2 ccmc-estimate
}
