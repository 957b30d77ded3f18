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
	# the CCMC fit builds the same vocabulary
	ccmc-estimate --text --window 8 --max-vocab 12 --brief "$T/text" >"$T/c"
	[ "$(jq -c .vocab "$T/c")" = "$(cat "$T/v")" ]
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
	ccmc-estimate --text --window 5 --max-vocab 20 --brief "$T/text" >"$T/c"
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
	# the literal word <unk> is the unknown word too
	echo "a <unk> b a <unk>" >"$T/u"
	ccmc-estimate --text --markov "$T/u" >"$T/mu"
	[ "$(jq -c .vocab "$T/mu")" = '["a","b","<unk>"]' ]
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

@test "text: the unigram mix weight maximises the training log-likelihood" {
	ccmc-estimate --text --window 6 --max-vocab 20 --brief "$T/text" >"$T/c"
	w=$(jq .mix "$T/c")
	ccmc-estimate --text --eval "$T/c" "$T/text" | jq .full_loglik >"$T/l0"
	for f in 0.9 0.99 1.01 1.1; do
		x=$(awk -v w="$w" -v f="$f" 'BEGIN { printf "%.17g", w * f }')
		ccmc-estimate --text --eval "$T/c" --mix "$x" "$T/text" | jq .full_loglik
	done >"$T/ls"
	py "$T/l0" "$T/ls" "$T/c" <<'EOF2'
import json, sys
l0 = float(open(sys.argv[1]).read())
c = json.load(open(sys.argv[3]))
assert 0 < c["mix"] < 1
for l in open(sys.argv[2]):
    assert float(l) < l0, (l, l0)
# the unigram carried in the record is add-one over the steps
u = c["unigram"]
assert abs(sum(u) - 1) < 1e-12 and min(u) > 0
EOF2
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
	run ccmc-estimate --text --markov "$T/many"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ $output == *"--max-vocab"* ]]
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
	run ccmc-estimate --laplace 0 --markov
	assert_error 2 ccmc-estimate
}
