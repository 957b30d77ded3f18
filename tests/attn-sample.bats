#!/usr/bin/env bats
# attn-sample: samples and trajectories from the attention forward pass, the
# CCMC and the ordinary Markov chain, checked against computations done here
# in python (stdlib) and against the shared numpy vectors.
#
# Statistical tests use a fixed seed and the 0.999 quantile of the
# chi-square law (Wilson-Hilferty approximation): a correct sampler fails
# one of them with probability 1e-3 for a random seed; with the seed fixed
# the outcome is reproducible.  Categories expected fewer than 5 times are
# pooled; a category of probability 0 must never occur.

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	cat >ref.py <<'PY'
import json, math

def first(path):
    with open(path) as f:
        return json.loads(f.readline())

def records(path, kind):
    with open(path) as f:
        return [r for r in map(json.loads, f) if r["type"] == kind]

def forward(m, prompt):
    """p = C X^T softmax(X W x_L), as attn-ccmc(7) defines it."""
    E, W, C, d, K = m["E"], m["W"], m["C"], m["d"], m["K"]
    R = m["pos"]["R"] if m.get("pos") else None
    X = [[E[k][a] + (R[t][a] if R else 0.0) for a in range(d)]
         for t, k in enumerate(prompt)]
    u = [sum(X[-1][a] * W[a][b] for a in range(d)) for b in range(d)]
    s = [sum(u[b] * x[b] for b in range(d)) for x in X]
    mx = max(s)
    e = [math.exp(v - mx) for v in s]
    z = sum(e)
    xa = [sum(e[t] / z * X[t][b] for t in range(len(X))) for b in range(d)]
    return [sum(C[k][b] * xa[b] for b in range(d)) for k in range(K)]

def base_chain(m):
    """P = row-softmax(E W E^T)."""
    E, W, d, K = m["E"], m["W"], m["d"], m["K"]
    P = []
    for i in range(K):
        a = [sum(E[i][x] * W[x][y] * E[j][y] for x in range(d) for y in range(d))
             for j in range(K)]
        mx = max(a)
        e = [math.exp(v - mx) for v in a]
        P.append([v / sum(e) for v in e])
    return P

def chi2_999(df):
    z = 3.090232306167813
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3

def gof(counts, probs, what):
    """Chi-square goodness of fit of a Counter against probs (a dict)."""
    n = sum(counts.values())
    for k, c in counts.items():
        assert probs.get(k, 0) > 0, (what, "impossible outcome", k)
    stat, pool_e, pool_o, cats = 0.0, 0.0, 0, 0
    for k, p in probs.items():
        if p <= 0:
            continue
        if n * p < 5:
            pool_e += n * p
            pool_o += counts.get(k, 0)
            continue
        stat += (counts.get(k, 0) - n * p) ** 2 / (n * p)
        cats += 1
    if pool_e > 0:
        stat += (pool_o - pool_e) ** 2 / pool_e
        cats += 1
    if cats < 2:
        return
    crit = chi2_999(cats - 1)
    assert stat < crit, (what, stat, crit, cats)
    print(what, "chi2 %.2f < %.2f (df %d)" % (stat, crit, cats - 1))
PY
}

# quiet ARGS...: attn-sample with stdout discarded, to look at its errors
quiet() { attn-sample "$@" >/dev/null; }

# prompts N P...: N copies of each prompt record P (JSON arrays)
prompts() {
	local n=$1 p
	shift
	for p in "$@"; do
		yes "{\"type\":\"prompt\",\"prompt\":$p}" | head -n "$n"
	done
}

@test "--help, --version and usage errors" {
	run attn-sample --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == usage:* ]]
	run attn-sample --version
	[ "$status" -eq 0 ]
	attn-gen-model --vocab 4 >m
	for bad in "--bogus" "--prompts nope" "--prompts blocks:0" "--prompts zipf:x" \
	    "--len 0" "--len 5:3" "--len 3:" "--via foo" "--shard 2/2" "--shard 1" \
	    "-n -1" "--steps 5" "--trajectory --probs" "--markov --via ccmc" \
	    "--seed -3" "--prompts blocks:5"; do
		run attn-sample $bad m
		[ "$status" -eq 2 ] || { echo "$bad: status $status: $output"; false; }
		[[ ${lines[0]} == "attn-sample: "* ]] || { echo "$bad: $output"; false; }
	done
}

@test "the output starts with the model record, verbatim; then -n samples" {
	attn-gen-model --vocab 5 --seed 2 >m
	attn-sample -n 7 m >out
	cmp <(head -1 out) m
	[ "$(wc -l <out)" -eq 8 ]
	jq -s -e '[.[] | select(.type == "sample") | (.prompt | length) == 8 and (.y | type) == "number"] | length == 7 and all' out
	# --model FILE: the same, the input holding the prompts (none here)
	attn-sample --model m -n 7 </dev/null >out2
	cmp out out2
	# a ccmc record is re-emitted as well
	attn-to-ccmc m >c
	attn-sample -n 3 c | head -1 | cmp - c
}

@test "--probs equals a forward pass computed in python, within 1e-12 (both paths)" {
	for opts in "--vocab 6 --dim 9 --embed gaussian --seed 3" \
	    "--vocab 5 --dim 11 --embed gaussian --pos 12 --seed 4" \
	    "--vocab 4 --pos 9 --recency 3 --seed 5" "--vocab 7 --scale 3 --seed 6"; do
		attn-gen-model $opts >m
		for via in attention ccmc; do
			attn-sample --via $via --probs -n 150 --len 1:9 --seed 8 m >out
			run py m out <<'PY'
import sys
sys.path.insert(0, ".")
from ref import *
m = first(sys.argv[1])
worst = 0.0
for r in records(sys.argv[2], "sample"):
    q = forward(m, r["prompt"])
    worst = max(worst, max(abs(a - b) for a, b in zip(r["p"], q)))
    assert r["p"][r["y"]] > 0
assert worst <= 1e-12, worst
print("max |p - forward| = %.3g" % worst)
PY
			[ "$status" -eq 0 ] || { echo "$opts --via $via: $output"; false; }
		done
	done
}

@test "--via attention on scores of 1e3 and more (weights below 1e-200 of the row's largest) and on prompts longer than K: the python forward pass within 1e-12" {
	for opts in "--vocab 8 --scale 1000 --seed 3" \
	    "--vocab 6 --dim 9 --embed gaussian --scale 1000 --diag -1000 --seed 4" \
	    "--vocab 3 --seed 5" "--vocab 4 --dim 7 --embed gaussian --seed 6"; do
		attn-gen-model $opts >m
		attn-sample --via attention --probs -n 200 --len 1:12 --seed 8 m >out
		run py m out <<'PY'
import sys
sys.path.insert(0, ".")
from ref import *
m = first(sys.argv[1])
worst, far = 0.0, 0
for r in records(sys.argv[2], "sample"):
    q = forward(m, r["prompt"])
    worst = max(worst, max(abs(a - b) for a, b in zip(r["p"], q)))
    # scores of the prompt's tokens all far below the row's largest
    E, W, d = m["E"], m["W"], m["d"]
    i = r["prompt"][-1]
    s = [sum(E[i][x] * W[x][y] * E[j][y] for x in range(d) for y in range(d))
         for j in range(m["K"])]
    far += max(s[k] for k in r["prompt"]) < max(s) - 461
assert worst <= 1e-12, worst
print("max |p - forward| = %.3g, %d prompts far below the row's largest" % (worst, far))
PY
		[ "$status" -eq 0 ] || { echo "$opts: $output"; false; }
		echo "$opts: $output"
	done
}

@test "--probs reproduces the shared numpy vectors within 1e-12 (both paths)" {
	awk '/"attn-model"/ { f = "model" ++n ".ndjson" } { print > f }' "$VECTORS/forward.ndjson"
	for f in model*.ndjson; do
		jq -c 'select(.type == "vector") | {type: "prompt", prompt}' "$f" >prompts
		jq -c 'select(.type == "vector") | .p' "$f" >want
		head -1 "$f" >m
		for via in attention ccmc; do
			attn-sample --via $via --probs --model m prompts >out
			[ "$(wc -l <out)" -eq 41 ]
			jq -c 'select(.type == "sample") | .p' out >got
			run py got want <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
want = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == len(want) == 40
worst = max(abs(a - b) for g, w in zip(got, want) for a, b in zip(g, w))
assert worst <= 1e-12, worst
PY
			[ "$status" -eq 0 ] || { echo "$f --via $via: $output"; false; }
		done
	done
}

@test "chi-square: sampled y against the forward pass, fixed prompts, both paths" {
	attn-gen-model --vocab 6 --dim 9 --embed gaussian --scale 1.5 --seed 4 >m
	attn-gen-model --vocab 6 --embed gaussian --pos 10 --pos-scale 2 --seed 7 >mp
	prompts 3000 '[0,1,2,3,1,4]' '[2,2,5,0,5]' '[3,0,4,1,2,5,3,3,0,1]' >prompts
	for model in m mp; do
		for via in attention ccmc; do
			attn-sample --via $via --seed 11 $model - <prompts >out
			run py $model out <<'PY'
import sys, collections
sys.path.insert(0, ".")
from ref import *
m = first(sys.argv[1])
by = collections.defaultdict(collections.Counter)
for r in records(sys.argv[2], "sample"):
    by[tuple(r["prompt"])][r["y"]] += 1
assert len(by) == 3 and all(sum(c.values()) == 3000 for c in by.values())
for prompt, counts in by.items():
    p = forward(m, list(prompt))
    gof(counts, {k: max(v, 0.0) for k, v in enumerate(p)}, str(prompt))
PY
			[ "$status" -eq 0 ] || { echo "$model --via $via: $output"; false; }
			echo "$output"
		done
	done
}

@test "chi-square: first two steps of trajectories (counts, positions, markov)" {
	attn-gen-model --vocab 5 --dim 8 --embed gaussian --scale 1.5 --seed 2 >m
	attn-gen-model --vocab 5 --embed gaussian --pos 8 --pos-scale 2 --seed 3 >mp
	prompts 3000 '[0,3,1,3,2]' >prompts
	for run_opts in "m --trajectory" "mp --trajectory" "m --trajectory --markov" \
	    "m --trajectory --via attention"; do
		set -- $run_opts
		attn-sample $run_opts --steps 2 --seed 5 - <prompts >out
		run py "$1" out "$*" <<'PY'
import sys, collections
sys.path.insert(0, ".")
from ref import *
m = first(sys.argv[1])
markov = "--markov" in sys.argv[3]
P = base_chain(m)
pairs = collections.Counter()
trajs = records(sys.argv[2], "trajectory")
assert len(trajs) == 3000
for r in trajs:
    assert len(r["tokens"]) == 2
    pairs[tuple(r["tokens"])] += 1
prompt = trajs[0]["prompt"]
step = (lambda ctx: P[ctx[-1]]) if markov else (lambda ctx: forward(m, ctx))
probs = {}
p1 = step(prompt)
for a in range(m["K"]):
    p2 = step(prompt + [a])
    for b in range(m["K"]):
        probs[(a, b)] = max(p1[a], 0.0) * max(p2[b], 0.0)
gof(pairs, probs, sys.argv[3])
PY
		[ "$status" -eq 0 ] || { echo "$run_opts: $output"; false; }
		echo "$output"
	done
}

@test "trajectories keep to the tokens of their prompt; --markov does not" {
	attn-gen-model --vocab 10 --scale 0.5 --seed 3 >m
	attn-gen-model --vocab 10 --pos 40 --embed gaussian --seed 3 >mp
	attn-sample --trajectory -n 20 --len 1:4 --steps 300 m >out
	attn-sample --trajectory -n 20 --len 1:4 --steps 30 mp >>out
	attn-sample --trajectory -n 5 --len 1:4 --steps 30 --via attention m >>out
	jq -s -e '[.[] | select(.type == "trajectory") | (.tokens - .prompt) == []] | all' out
	[ "$(grep -c '"trajectory"' out)" -eq 45 ]
	attn-sample --trajectory --markov -n 20 --len 1:4 --steps 300 m >out
	jq -s -e '[.[] | select(.type == "trajectory") | (.tokens - .prompt) != []] | all' out
	jq -s -e '[.[] | select(.type == "trajectory") | (.tokens | length) == 300] | all' out
}

@test "records of the ordinary chain say \"chain\":\"markov\"; attention and CCMC ones have no chain" {
	attn-gen-model --vocab 6 --seed 3 >m
	attn-sample -n 1000 --len 1:4 --seed 2 m | tail -n +2 >s
	ccmc-estimate --markov --quiet s >b
	for opts in "--markov m" "--markov --probs m" \
	    "--markov --trajectory --steps 20 m" "--model b" \
	    "--model b --trajectory --steps 20"; do
		attn-sample -n 5 --len 3 $opts </dev/null | tail -n +2 >out
		[ "$(wc -l <out)" -eq 5 ]
		jq -s -e 'map(.chain == "markov") | all' out
		# the field is the record's last, as the fast readers expect
		grep -c ',"chain":"markov"}$' out | grep -qx 5
	done
	for opts in "" "--probs" "--via ccmc" "--trajectory --steps 20" \
	    "--trajectory --steps 20 --via attention"; do
		attn-sample -n 5 --len 3 $opts m | tail -n +2 >out
		jq -s -e 'map(has("chain") | not) | all' out
	done
	# what else the records hold is what it was: without the field, the
	# same bytes as the draws of a ccmc record of P that is not one
	attn-sample -n 5 --len 3 --markov m | tail -n +2 | sed 's/,"chain":"markov"}$/}/' >a
	attn-sample -n 5 --len 3 --markov m | tail -n +2 | jq -c 'del(.chain)' >b2
	cmp a b2
}

@test "same seed: byte-identical; another seed: different" {
	attn-gen-model --vocab 8 --seed 4 >m
	for opts in "" "--trajectory --steps 50 -n 3" "--probs --via ccmc" "--markov"; do
		attn-sample $opts --seed 9 m >a
		attn-sample $opts --seed 9 m >b
		attn-sample $opts --seed 10 m >c
		cmp a b
		run cmp -s a c
		[ "$status" -ne 0 ]
	done
}

@test "--shard I/N: shards concatenated are byte-identical to the whole run" {
	attn-gen-model --vocab 8 --seed 4 >m
	prompts 1 '[1,2,3]' '[4,4,0]' '[7]' '[0,1]' '[5,6,7,5]' >prompts
	for opts in "-n 1000 --len 2:9 --prompts zipf:1" "--trajectory -n 7 --steps 40" \
	    "--model m prompts" "--model m -n 4 prompts" "--trajectory --steps 9 --model m prompts"; do
		case $opts in *--model*) src= ;; *) src=m ;; esac
		attn-sample $opts --seed 3 $src >whole
		rm -f parts
		for i in 0 1 2; do
			attn-sample $opts --seed 3 --shard $i/3 $src >part
			cmp <(head -1 part) <(head -1 whole)
			tail -n +2 part >>parts
		done
		cmp parts <(tail -n +2 whole) || { echo "$opts"; false; }
	done
	# more shards than items: the empty ones print the model only
	attn-sample -n 2 --shard 1/5 m >part
	[ "$(wc -l <part)" -eq 1 ]
}

@test "prompt records: each used once, in order; -n takes the first N" {
	attn-gen-model --vocab 6 --seed 1 >m
	prompts 1 '[1,2]' '[3]' '[5,5,0,1]' >prompts
	cat m prompts | attn-sample >out
	[ "$(jq -c 'select(.type == "sample") | .prompt' out | tr -d '\n')" = '[1,2][3][5,5,0,1]' ]
	cat m prompts | attn-sample -n 2 >out
	[ "$(jq -c 'select(.type == "sample") | .prompt' out | tr -d '\n')" = '[1,2][3]' ]
	# a file operand works as stdin does
	cat m prompts >in
	attn-sample -n 2 in | cmp - out
	run quiet -n 4 in
	assert_error 65 attn-sample
	[ "${lines[-1]}" = "attn-sample: in:4: -n 4 asks for more prompts than the 3 prompt records" ]
	run quiet --len 3 in
	assert_error 65 attn-sample
	assert_located attn-sample
}

@test "bad input: exit 65 and 'attn-sample: FILE:LINE: message'" {
	attn-gen-model --vocab 4 >m
	attn-gen-model --vocab 4 --pos 5 >mp
	check() {   # check FILE LINE PATTERN [options...]
		local f=$1 ln=$2 pat=$3
		shift 3
		run quiet "$@" "$f"
		assert_error 65 attn-sample
		[ "${#lines[@]}" -eq 1 ] || { echo "$output"; return 1; }
		[[ ${lines[0]} == "attn-sample: $f:$ln: "$pat ]] || { echo "$output"; return 1; }
	}
	{ cat m; echo '{"type":"prompt","prompt":[0,1]}'; echo '{"type":"prompt","prompt":[0,4]}'; } >f
	check f 3 "token 4 out of range (K = 4)"
	{ cat m; echo '{"type":"prompt","prompt":[]}'; } >f
	check f 2 "empty prompt"
	{ cat mp; echo '{"type":"prompt","prompt":[0,1,2,3,0,1]}'; } >f
	check f 2 "prompt of 6 tokens is longer than the model's LMAX 5"
	{ cat mp; echo '{"type":"prompt","prompt":[0,1,2]}'; } >f
	check f 2 "*outgrow*" --trajectory --steps 3
	{ cat m; echo '{"type":"prompt","prompt":[0,1]'; } >f
	check f 2 "invalid JSON*"
	{ cat m; echo '{"type":"prompt","prompt":[0,"a"]}'; } >f
	check f 2 "*no vocabulary*"
	{ cat m; echo '{"type":"prompt","prompt":[0.5]}'; } >f
	check f 2 "*not a token*"
	{ cat m; echo '{"type":"sample","prompt":[0],"y":1}'; } >f
	check f 2 "expected a prompt record*"
	printf '\n\n' >f
	check f 2 "no attn-model or ccmc record*"
	echo '{"type":"prompt","prompt":[0]}' >f
	check f 1 "the first record must be*"
	: >f
	check f 0 "no attn-model or ccmc record*"
	# on stdin, and through --model
	run attn-sample </dev/null
	assert_error 65 attn-sample
	[[ ${lines[0]} == "attn-sample: <stdin>:0: no attn-model"* ]]
	run attn-sample --model f </dev/null
	assert_error 65 attn-sample
	[[ ${lines[0]} == "attn-sample: f:0: "* ]]
	run attn-sample --model m m
	assert_error 65 attn-sample
	[[ ${lines[0]} == "attn-sample: m:1: a model record in the input"* ]]
	# a head not tied to the embeddings
	jq -c '.C[0][0] += 0.01' m >f
	check f 1 "*not tied*"
	# the CCMC has no forward pass
	attn-to-ccmc m >f
	check f 1 "*no forward pass*" --via attention
	# generated prompts that do not fit the positions: a usage error
	run attn-sample --len 6 mp
	assert_error 2 attn-sample
	run attn-sample --trajectory --len 3 --steps 3 mp
	assert_error 2 attn-sample
	attn-sample --trajectory --len 3 --steps 2 mp >/dev/null
}

@test "a closed stdout ends it quietly" {
	attn-gen-model --vocab 8 >m
	for opts in "-n 1000000" "--trajectory --steps 1048576 -n 100"; do
		bash -c "attn-sample $opts m 2>err | head -1 >first"
		[ ! -s err ]
		cmp first m
	done
}

@test "--prompts blocks:B keeps each prompt inside one block, and uses them all" {
	attn-gen-model --vocab 10 >m
	attn-sample --prompts blocks:3 --len 1:6 -n 600 m >out
	run py out <<'PY'
import sys, collections
sys.path.insert(0, ".")
from ref import *
K, B = 10, 3
block = lambda k: next(b for b in range(B) if K * b // B <= k < K * (b + 1) // B)
used = collections.Counter()
for r in records(sys.argv[1], "sample"):
    bs = {block(k) for k in r["prompt"]}
    assert len(bs) == 1, r["prompt"]
    used[bs.pop()] += 1
    assert 1 <= len(r["prompt"]) <= 6
gof(used, {b: 1 / B for b in range(B)}, "blocks")
PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "--prompts zipf:S: frequencies decrease with the id and fit Zipf; uniform fits" {
	attn-gen-model --vocab 8 >m
	attn-sample --prompts zipf:1.2 --len 10 -n 2000 m >zipf
	attn-sample --len 10 -n 2000 m >uniform
	attn-sample --len 2:5 -n 2000 m >lens
	run py <<'PY'
import sys, collections
sys.path.insert(0, ".")
from ref import *
def tokens(f):
    c = collections.Counter()
    for r in records(f, "sample"):
        c.update(r["prompt"])
    return c
z = tokens("zipf")
assert all(z[k] > z[k + 1] for k in range(7)), z
w = [(k + 1) ** -1.2 for k in range(8)]
gof(z, {k: w[k] / sum(w) for k in range(8)}, "zipf")
gof(tokens("uniform"), {k: 1 / 8 for k in range(8)}, "uniform")
lens = collections.Counter(len(r["prompt"]) for r in records("lens", "sample"))
gof(lens, {L: 1 / 4 for L in range(2, 6)}, "lengths")
PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "string tokens: a ccmc with a vocabulary, <unk>, --ids, round trip" {
	cat >c <<'EOF'
{"type":"ccmc","K":4,"P":[[0.1,0.2,0.3,0.4],[0.25,0.25,0.25,0.25],[0.4,0.3,0.2,0.1],[0.7,0.1,0.1,0.1]],"posw":null,"vocab":["the","cat","sat","<unk>"]}
EOF
	{ cat c; echo '{"type":"prompt","prompt":["the","cat","dog"]}'; \
	  echo '{"type":"prompt","prompt":["sat",1,"the"]}'; } >in
	attn-sample --seed 2 in >words
	attn-sample --seed 2 --ids in >ids
	cmp <(head -1 words) c
	[ "$(sed -n 2p words | jq -c .prompt)" = '["the","cat","<unk>"]' ]
	[ "$(sed -n 3p words | jq -c .prompt)" = '["sat","cat","the"]' ]
	[ "$(sed -n 2p ids | jq -c .prompt)" = '[0,1,3]' ]
	# the strings map back to the ids the same draws gave
	jq -c 'select(.type == "sample") | [.prompt, .y]' words >w
	jq -c --slurpfile c c 'select(.type == "sample") | [.prompt, .y] |
	    map(if type == "array" then map($c[0].vocab[.]) else $c[0].vocab[.] end)' ids >i
	cmp w i
	# string prompts go back in: the same samples again
	tail -n +2 words | jq -c '{type: "prompt", prompt}' | cat c - | attn-sample --seed 2 | cmp - words
	# trajectories and generated prompts print words too
	attn-sample --trajectory --steps 20 -n 2 --len 3 c >traj
	jq -s -e '[.[] | select(.type == "trajectory") | (.prompt + .tokens) | all(type == "string")] | all' traj
	# without "<unk>" an unknown word is an error
	jq -c '.vocab[3] = "mat"' c >c2
	{ cat c2; echo '{"type":"prompt","prompt":["the","dog"]}'; } >in2
	run quiet in2
	assert_error 65 attn-sample
	[ "${lines[0]}" = 'attn-sample: in2:2: token "dog" is not in the vocabulary' ]
}

@test "a ccmc input samples like its model; --model with a ccmc file" {
	attn-gen-model --vocab 5 --embed gaussian --pos 6 --seed 6 >m
	attn-to-ccmc m >c
	prompts 1 '[0,1,2]' '[4,4,3,1,0,2]' '[3]' >prompts
	attn-sample --via ccmc --probs --model m prompts | tail -n +2 >a
	attn-sample --probs --model c prompts | tail -n +2 >b
	cmp a b
}

# inwindow FILE W: every next token (sample y, trajectory token) is one of
# the last W tokens of its context; prints the share outside otherwise.
inwindow() {
	py "$1" "$2" <<'PY'
import json, sys
W, out, n = int(sys.argv[2]), 0, 0
with open(sys.argv[1]) as f:
    next(f)
    for r in map(json.loads, f):
        ctx = list(r["prompt"])
        for y in ([r["y"]] if r["type"] == "sample" else r["tokens"]):
            n += 1
            out += y not in ctx[-W:]
            ctx.append(y)
print("%d of %d tokens outside the last %d" % (out, n, W))
sys.exit(1 if out else 0)
PY
}

@test "a ccmc's meta.window holds in generation: every token from the last L of its context" {
	attn-gen-model --vocab 16 --seed 2 >m
	attn-to-ccmc m | jq -c '.meta.window = 5' >c
	attn-sample --trajectory --steps 300 -n 40 --len 20 --seed 3 c >out
	inwindow out 5
	attn-sample -n 2000 --len 20 --seed 3 c >out
	inwindow out 5
	# --window overrides it, on every path; positions count from the
	# window's oldest token, so LMAX need only cover the window
	attn-sample --trajectory --steps 300 -n 40 --len 20 --window 3 c >out
	inwindow out 3
	attn-gen-model --vocab 12 --pos 6 --recency 2 --seed 4 >mp
	for via in attention ccmc; do
		attn-sample --via $via --trajectory --steps 200 -n 20 --len 6 \
		    --window 6 mp >out
		inwindow out 6
	done
	# --window none: the whole context, and then the check above fails
	attn-sample --trajectory --steps 300 -n 40 --len 20 --window none c >out
	run inwindow out 5
	[ "$status" -eq 1 ]
}

@test "--window: --probs is the model on the last L tokens, positions 1..L (python)" {
	for opts in "--vocab 5 --dim 11 --embed gaussian --pos 4 --seed 4" \
	    "--vocab 6 --dim 9 --embed gaussian --seed 3"; do
		attn-gen-model $opts >m
		for via in attention ccmc; do
			attn-sample --via $via --probs --window 4 -n 100 --len 1:12 \
			    --seed 8 m >out
			run py m out <<'PY'
import sys
sys.path.insert(0, ".")
from ref import *
m = first(sys.argv[1])
worst = 0.0
for r in records(sys.argv[2], "sample"):
    q = forward(m, r["prompt"][-4:])
    worst = max(worst, max(abs(a - b) for a, b in zip(q, r["p"])))
assert worst < 1e-12, worst
PY
			[ "$status" -eq 0 ] || { echo "$opts $via: $output"; false; }
		done
	done
	# the printed model says which window the draws saw
	attn-sample --window 4 -n 1 m | head -1 | jq -e '.meta.window == 4'
	attn-sample -n 1 m | head -1 | cmp - m
	# a window the positions cannot cover
	attn-gen-model --vocab 5 --pos 4 >mp
	run attn-sample --window 5 mp
	assert_error 2 attn-sample
	attn-to-ccmc mp | jq -c '.meta.window = 5' >cp
	run attn-sample cp
	assert_error 65 attn-sample
	assert_located attn-sample
}

@test "--mix W draws from (1 - W) p + W u, the ccmc's unigram; off by default" {
	cat >c <<'EOF'
{"type":"ccmc","K":4,"P":[[0.1,0.2,0.3,0.4],[0.4,0.3,0.2,0.1],[0.25,0.25,0.25,0.25],[0.7,0.1,0.1,0.1]],"unigram":[0.5,0.2,0.2,0.1],"mix":0.3,"meta":{"window":3}}
EOF
	prompts 1 '[0,1,1,3,2]' '[2,2,2]' '[3]' >p
	attn-sample --model c --probs --mix 0.25 p >out
	py c out <<'PY'
import json, sys
c = json.loads(open(sys.argv[1]).readline())
P, u = c["P"], c["unigram"]
rs = [json.loads(l) for l in open(sys.argv[2])]
assert rs[0]["mix"] == 0.25 and rs[0]["meta"]["window"] == 3, rs[0]
for r in rs[1:]:
    ctx = r["prompt"][-3:]
    i = ctx[-1]
    w = [ctx.count(j) * P[i][j] for j in range(4)]
    q = [0.75 * x / sum(w) + 0.25 * u[j] for j, x in enumerate(w)]
    assert max(abs(a - b) for a, b in zip(q, r["p"])) < 1e-15, (q, r["p"])
PY
	# without --mix, draws never leave the context; with the model's mix
	# a trajectory reaches tokens from the background
	attn-sample --model c --trajectory --steps 2000 p >out
	inwindow out 3
	attn-sample --model c --trajectory --steps 2000 --mix model p >out
	head -1 out | jq -e '.mix == 0.3'
	run inwindow out 3
	[ "$status" -eq 1 ]
	# no background to mix in: an attn-model, or a ccmc without one
	attn-gen-model --vocab 4 >m
	run attn-sample --mix 0.1 m
	assert_error 65 attn-sample
	jq -c 'del(.unigram)' c >c2
	run attn-sample --mix 0.1 --model c2 p
	assert_error 65 attn-sample
	run attn-sample --mix 1.5 --model c p
	assert_error 2 attn-sample
}

@test "limits of the records are usage errors here: --steps above 2^20 is refused" {
	attn-gen-model --vocab 4 >m
	run bash -c 'attn-sample --trajectory --steps 1048577 --len 1 m 2>&1 >/dev/null'
	assert_error 2 attn-sample
	[[ ${lines[0]} == *"--steps"* ]]
	# the longest trajectory allowed is read back by the other programs
	attn-sample --trajectory --steps 1048576 --len 1 m >t
	traj-stats t >/dev/null
	ccmc-estimate t >/dev/null
	ccmc-estimate --eval m t >/dev/null
}

@test "windowed trajectories on counts, with and without --mix: the law of the last token (chi-square, exact enumeration)" {
	cat >c <<'EOF'
{"type":"ccmc","K":4,"P":[[0.1,0.2,0.3,0.4],[0.4,0.3,0.2,0.1],[0.25,0.25,0.25,0.25],[0.7,0.1,0.1,0.1]],"unigram":[0.4,0.1,0.2,0.3],"mix":0.2,"meta":{"window":3}}
EOF
	prompts 20000 '[0,1,1,3,2]' >p
	for mix in "" "--mix model"; do
		attn-sample --model c --trajectory --steps 6 --seed 11 $mix p >out
		run py c out "$mix" <<'PY'
import json, sys, collections
sys.path.insert(0, ".")
from ref import *
c = first(sys.argv[1])
P, u = c["P"], c["unigram"]
mix = c["mix"] if sys.argv[3] else 0.0
def step(ctx):
    w = ctx[-3:]
    i = w[-1]
    q = [w.count(j) * P[i][j] for j in range(4)]
    return [(1 - mix) * x / sum(q) + mix * u[j] for j, x in enumerate(q)]
law = collections.defaultdict(float)
def walk(ctx, pr, n):
    if n == 0:
        law[ctx[-1]] += pr
        return
    for j, x in enumerate(step(ctx)):
        if x > 0:
            walk(ctx + [j], pr * x, n - 1)
walk([0, 1, 1, 3, 2], 1.0, 6)
last = collections.Counter(r["tokens"][-1] for r in records(sys.argv[2], "trajectory"))
gof(last, law, "last token" + (" with mix" if mix else ""))
PY
		[ "$status" -eq 0 ] || { echo "$mix: $output"; false; }
	done
}

@test "a trajectory step at a fixed context follows the CCMC: tables plus tokens since (up to the last step before they lapse), a new token, underflow (chi-square)" {
	"$UNIT" grow 7 1000000 >out
	run py out <<'PY'
import sys
sys.path.insert(0, ".")
from ref import *
seen = set()
for l in open(sys.argv[1]):
    w = l.split()
    assert w[0] == "grow" and len(w) == 4, l
    cells, stat = int(w[2]), float(w[3])
    assert stat < chi2_999(cells - 1), l
    seen.add(w[1])
assert seen == {"since", "full", "fresh", "underflow"}, seen
PY
	[ "$status" -eq 0 ] || { cat out; echo "$output"; false; }
}

@test "recency positions: trajectories update the weighted counts, equal to the sums of the weights, and draw from the exact law (chi-square)" {
	attn-gen-model --vocab 5 --pos 256 --recency 8 --seed 2 >m
	attn-gen-model --vocab 5 --pos 256 --recency 3 --embed gaussian --seed 4 >mg
	attn-gen-model --vocab 5 --pos 64 --seed 2 >mr
	for f in m mg; do
		"$UNIT" decay $f 7 1000000 >out
		run py out <<'PY'
import sys
sys.path.insert(0, ".")
from ref import *
w = open(sys.argv[1]).read().split()
assert w[0] == "decay" and len(w) == 4, w
assert float(w[1]) < 1e-9, w
assert float(w[3]) < chi2_999(int(w[2]) - 1), w
PY
		[ "$status" -eq 0 ] || { cat out; echo "$output"; false; }
	done
	# random positions are not a recency bias: weighed position by position
	[ "$("$UNIT" decay mr 7 10)" = "decay off" ]
}

@test "long trajectories on counts, with and without --mix: every step against its exact law (martingale chi-square)" {
	# K = 3; with --mix the prompt lacks token 2, which comes in from the
	# background.  For each query i the sum over its steps of e_y - p (p
	# the exact law given the context so far, first two coordinates) has
	# covariance the sum of diag(p) - p p^T; its quadratic form is
	# chi-square with 2 degrees of freedom per query when every step
	# follows its law (martingale central limit theorem).  Trajectories of
	# 2000 steps make and remake the tables of each row many times.
	cat >c <<'EOF'
{"type":"ccmc","K":3,"P":[[0.5,0.3,0.2],[0.2,0.6,0.2],[0.3,0.3,0.4]],"unigram":[0.2,0.3,0.5],"mix":0.1}
EOF
	prompts 200 '[0,1,2,0,0,1,2,1,0,2,0,1]' >p
	prompts 200 '[0,1,0,0,1,1,0,1]' >p0
	for run_opts in "p" "p0 --mix model"; do
		set -- $run_opts
		attn-sample --model c --trajectory --steps 2000 --seed 13 "$@" >out
		run py c out "$run_opts" <<'PY'
import sys
sys.path.insert(0, ".")
from ref import *
c = first(sys.argv[1])
P, u = c["P"], c["unigram"]
mix = c["mix"] if "--mix" in sys.argv[3] else 0.0
X = [[0.0, 0.0] for _ in range(3)]
C = [[0.0, 0.0, 0.0] for _ in range(3)]
steps, fresh = 0, 0
for r in records(sys.argv[2], "trajectory"):
    m = [0, 0, 0]
    for k in r["prompt"]:
        m[k] += 1
    i = r["prompt"][-1]
    for y in r["tokens"]:
        w = [m[j] * P[i][j] for j in range(3)]
        z = sum(w)
        p = [(1 - mix) * w[j] / z + mix * u[j] for j in range(3)]
        x, cv = X[i], C[i]
        x[0] += (y == 0) - p[0]
        x[1] += (y == 1) - p[1]
        cv[0] += p[0] * (1 - p[0])
        cv[1] -= p[0] * p[1]
        cv[2] += p[1] * (1 - p[1])
        fresh += m[y] == 0
        m[y] += 1
        i = y
        steps += 1
assert steps == 200 * 2000, steps
assert (fresh == 200) == bool(mix), fresh
stat, df = 0.0, 0
for x, (a, b, d) in zip(X, C):
    det = a * d - b * b
    assert det > 0
    stat += (d * x[0] * x[0] - 2 * b * x[0] * x[1] + a * x[1] * x[1]) / det
    df += 2
assert stat < chi2_999(df), (stat, chi2_999(df))
print("chi2 %.2f < %.2f (df %d)" % (stat, chi2_999(df), df))
PY
		[ "$status" -eq 0 ] || { echo "$run_opts: $output"; false; }
	done
}

@test "a meta.window beyond the limits, or not an integer, is refused, not truncated" {
	attn-gen-model --vocab 4 >m
	attn-sample -n 20 m >s
	for w in 4294967301 -1 1048577 '"5"' 2.5; do
		attn-to-ccmc m | jq -c ".meta.window = $w" >c
		run attn-sample -n 1 c
		assert_error 65 attn-sample
		assert_located attn-sample
		run ccmc-estimate --eval c s
		assert_error 65 ccmc-estimate
		assert_located ccmc-estimate
	done
}

# headless p in python: the attention summed over each token's positions
headless_ref() {
	cat >>ref.py <<'PY'

def forward_headless(m, prompt):
    E, W, d, K = m["E"], m["W"], m["d"], m["K"]
    u = [sum(E[prompt[-1]][a] * W[a][b] for a in range(d)) for b in range(d)]
    s = [sum(u[b] * E[k][b] for b in range(d)) for k in prompt]
    mx = max(s)
    e = [math.exp(v - mx) for v in s]
    p = [0.0] * K
    for k, v in zip(prompt, e):
        p[k] += v / sum(e)
    return p
PY
}

@test "headless: --probs is the attention summed per token (python, 1e-12, both paths); the draw does not depend on --probs" {
	headless_ref
	attn-gen-model --headless --vocab 30 --dim 4 --embed gaussian --scale 2 --seed 3 >m
	for via in attention ccmc; do
		attn-sample --via $via --probs -n 200 --len 1:12 --seed 8 m >out
		py m out <<'PY'
import sys
sys.path.insert(0, ".")
from ref import *
m = first(sys.argv[1])
assert m["C"] is None and m["d"] == 4
worst = 0.0
for r in records(sys.argv[2], "sample"):
    q = forward_headless(m, r["prompt"])
    worst = max(worst, max(abs(a - b) for a, b in zip(r["p"], q)))
    assert r["y"] in r["prompt"]
assert worst <= 1e-12, worst
PY
	done
	attn-sample -n 200 --len 1:12 --seed 8 m | cut -d, -f1-20 >a
	attn-sample --probs -n 200 --len 1:12 --seed 8 m | sed 's/,"p":.*}$/}/' | cut -d, -f1-20 >b
	cmp a b
}

@test "headless: chi-square of draws at fixed prompts against the python law" {
	headless_ref
	attn-gen-model --headless --vocab 12 --dim 3 --embed gaussian --scale 2 --seed 5 >m
	prompts 3000 '[0,1,2,3,1,4]' '[2,2,5,0,5,11]' >prompts
	attn-sample --seed 11 m - <prompts >out
	py m out <<'PY'
import sys, collections
sys.path.insert(0, ".")
from ref import *
m = first(sys.argv[1])
by = collections.defaultdict(collections.Counter)
for r in records(sys.argv[2], "sample"):
    by[tuple(r["prompt"])][r["y"]] += 1
assert len(by) == 2
for prompt, counts in by.items():
    p = forward_headless(m, list(prompt))
    gof(counts, {k: v for k, v in enumerate(p)}, str(prompt))
PY
}

@test "headless at K 2^19, d 64: attn-sample holds E and the rows of E W its queries ask for, not the whole of E W (peak RSS < 1.75 x E)" {
	if ldd "$BIN/attn-sample" | grep -q libasan || [ -n "${VALGRIND:-}" ]; then
		skip "the peak RSS under ASan or valgrind is theirs"
	fi
	[ -x /usr/bin/time ] || skip "no /usr/bin/time"
	attn-gen-model --headless --vocab 524288 --dim 64 --embed gaussian \
	    --weights m.safetensors --dtype float32 >m
	/usr/bin/time -f %M -o rss attn-sample -n 200 --len 32 --seed 1 m >s
	[ "$(grep -c '"type":"sample"' s)" -eq 200 ]
	# E in float64 is 256 MiB, the float32 file read into it 128 MiB;
	# the whole of E W would be 256 MiB more
	echo "peak $(tail -1 rss) KiB"
	[ "$(tail -1 rss)" -lt $((262144 * 7 / 4)) ]
}

@test "headless at K 200000: samples and trajectories with no K x K (400 MB limit); attn-to-ccmc refuses with the reason" {
	attn-gen-model --headless --vocab 200000 --dim 4 --embed gaussian --seed 2 >m
	under_vmem 400000 attn-sample -n 2000 --len 32 --seed 1 m >s
	[ "$(grep -c '"type":"sample"' s)" -eq 2000 ]
	echo '{"type":"prompt","prompt":[199999,5,77,123456]}' >p
	under_vmem 400000 attn-sample --model m --trajectory --steps 300 --seed 1 p >t
	py t <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
assert r["type"] == "trajectory" and len(r["tokens"]) == 300
assert set(r["tokens"]) <= {199999, 5, 77, 123456}
PY
	run attn-to-ccmc m
	assert_error 65 attn-to-ccmc
	[[ $output == *"K = 200000"*"stops at K = 2048"* ]]
}
