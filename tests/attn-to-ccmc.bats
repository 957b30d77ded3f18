#!/usr/bin/env bats
# attn-to-ccmc and the theorem of attn-ccmc(7): the attention
# forward pass and the CCMC give the same next-token distribution.

load helper

setup() { cd "$BATS_TEST_TMPDIR"; }

@test "A = E W E^T (row-mean-zero gauge) and P = row-softmax(A), checked in python" {
	for opts in "--vocab 5" "--vocab 6 --dim 9 --embed gaussian" "--vocab 4 --pos 6 --embed gaussian"; do
		attn-gen-model $opts >m
		attn-to-ccmc m >c
		run py m c <<'PY'
import json, math, sys
m = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
E, W, K, d = m["E"], m["W"], m["K"], m["d"]
EW = [[sum(E[i][a] * W[a][b] for a in range(d)) for b in range(d)] for i in range(K)]
A = [[sum(EW[i][b] * E[j][b] for b in range(d)) for j in range(K)] for i in range(K)]
for i in range(K):
    mean = sum(A[i]) / K
    for j in range(K):
        assert abs(c["A"][i][j] - (A[i][j] - mean)) <= 1e-12, (i, j)
    mx = max(A[i]); z = sum(math.exp(a - mx) for a in A[i])
    for j in range(K):
        assert abs(c["P"][i][j] - math.exp(A[i][j] - mx) / z) <= 1e-12
    assert abs(sum(c["P"][i]) - 1) <= 1e-12
assert c["meta"]["gauge"] == "row-mean-zero"
PY
		[ "$status" -eq 0 ] || { echo "$opts: $output"; false; }
	done
}

@test "posw: exp(B_Lt) recomputed in python from R and W" {
	attn-gen-model --vocab 4 --pos 7 --embed gaussian --seed 9 >m
	attn-to-ccmc m >c
	run py m c <<'PY'
import json, math, sys
m = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
R, W, d = m["pos"]["R"], m["W"], m["d"]
B = lambda L, t: sum(R[L-1][a] * W[a][b] * R[t-1][b] for a in range(d) for b in range(d))
pw = c["posw"]
assert len(pw) == 7
for L in range(1, 8):
    assert len(pw[L-1]) == L
    mx = max(B(L, t) for t in range(1, L + 1))
    for t in range(1, L + 1):
        assert abs(pw[L-1][t-1] - math.exp(B(L, t) - mx)) <= 1e-12
PY
	[ "$status" -eq 0 ]
}

@test "recency encodings weigh each older position by exp(-G/LMAX)" {
	attn-gen-model --vocab 3 --pos 10 --recency 5 | attn-to-ccmc >c
	run jq -e '.posw[9] as $r | [range(9)] | all(($r[.] / $r[.+1] - (-0.5|exp)) | fabs < 1e-12)' c
	[ "$status" -eq 0 ]
}

@test "the shared vectors: forward pass and CCMC both reproduce p within 1e-12" {
	run "$UNIT" vectors "$VECTORS/forward.ndjson"
	[ "$status" -eq 0 ]
	echo "$output"
	set -- $output          # vectors N forward F ccmc C
	[ "$2" -eq 160 ]
	py "$4" "$6" <<'PY'
import sys
assert all(float(x) <= 1e-12 for x in sys.argv[1:]), sys.argv
PY
}

@test "theorem: forward pass = CCMC on 1000 random prompts, each kind of model" {
	for opts in "--vocab 6" "--vocab 8 --embed gaussian --dim 11" "--vocab 5 --pos 40" \
	    "--vocab 7 --pos 32 --embed gaussian" "--vocab 5 --pos 24 --recency 4" \
	    "--vocab 6 --scale 4 --diag 3 --embed gaussian" ; do
		attn-gen-model $opts --seed 11 >m
		run "$UNIT" theorem m 1000 7
		[ "$status" -eq 0 ]
		echo "$opts: $output"
		py ${lines[0]##* } <<'PY'
import sys
assert float(sys.argv[1]) <= 1e-12
PY
	done
}

@test "other records pass through unchanged and in order" {
	{
		echo '{"type":"prompt","prompt":[0,1]}'
		attn-gen-model --vocab 3
		echo '{"type":"note","x":[1.5,"a"]}'
	} >in
	attn-to-ccmc in >out
	[ "$(sed -n 1p out)" = "$(sed -n 1p in)" ]
	[ "$(sed -n 2p out | jq -r .type)" = ccmc ]
	[ "$(sed -n 3p out)" = "$(sed -n 3p in)" ]
}

@test "--analyze: stationary law solves pi P = pi; self-dominant tokens from --diag" {
	attn-gen-model --vocab 5 --diag 6 | attn-to-ccmc --analyze >c
	run py c <<'PY'
import json, math, sys
c = json.load(open(sys.argv[1])); P = c["P"]; K = c["K"]; ch = c["chain"]
pi = ch["stationary"]
assert abs(sum(pi) - 1) < 1e-12
for j in range(K):
    assert abs(sum(pi[i] * P[i][j] for i in range(K)) - pi[j]) < 1e-12
rate = -sum(pi[i] * P[i][j] * math.log(P[i][j]) for i in range(K) for j in range(K))
assert abs(rate - ch["entropy_rate"]) < 1e-12
dom = [k for k in range(K) if all(P[k][k] > P[k][j] for j in range(K) if j != k)]
assert dom == ch["self_dominant"] and len(dom) == K
assert ch["irreducible"]
PY
	[ "$status" -eq 0 ]
}

@test "--analyze on a reducible chain: classes, closed ones" {
	# logits so negative that P underflows to 0: {0,1} closed, 2 transient
	py >c <<'PY'
import json, math
A = [[0, 0, -900], [0, 0, -900], [math.log(.2), math.log(.2), math.log(.6)]]
P = [[math.exp(a) / sum(math.exp(b) for b in r) for a in r] for r in A]
print(json.dumps({"type": "ccmc", "K": 3, "A": A, "P": P}))
PY
	run "$UNIT" chain c
	[ "$status" -eq 0 ]
	[ "$output" = "classes 2 closed 1 stationary 0.5 0.5 0" ]
}

@test "a model whose head is not tied (C E^T != I) is refused" {
	attn-gen-model --vocab 3 | jq -c '.C[0][0] = 0.9' >bad
	run attn-to-ccmc bad
	assert_error 65 attn-to-ccmc
	assert_located attn-to-ccmc
	[[ $output == *"C E^T"* ]]
}

@test "positional encodings that break the separation conditions are refused" {
	attn-gen-model --vocab 3 --pos 4 | jq -c '.pos.R[1][0] = 0.3' >bad
	run attn-to-ccmc bad
	assert_error 65 attn-to-ccmc
	[[ $output == *"bad:1: no exact CCMC"* ]]
}

@test "bad input: exit 65 with program, file and line" {
	good=$(attn-gen-model --vocab 3)
	i=0
	while IFS= read -r bad; do
		i=$((i + 1))
		{ echo '{"type":"note"}'; printf '%s\n' "$bad"; } >in$i
		run attn-to-ccmc in$i
		[ "$status" -eq 65 ] || { echo "case $i: status $status: $output"; false; }
		[ "${#lines[@]}" -ge 1 ]
		[[ ${lines[-1]} == "attn-to-ccmc: in$i:2: "* ]] || { echo "case $i: $output"; false; }
	done <<EOF2
{"type":"attn-model",
not json
[1,2,3]
{"K":3}
$(echo "$good" | jq -c 'del(.W)')
$(echo "$good" | jq -c '.K = "3"')
$(echo "$good" | jq -c '.K = 0')
$(echo "$good" | jq -c '.d = 2')
$(echo "$good" | jq -c '.E = .E[:2]')
$(echo "$good" | jq -c '.W[1] = [1,2]')
$(echo "$good" | jq -c '.W[1][1] = "x"')
$(echo "$good" | jq -c '.W[1][1] = null')
$(echo "$good" | sed 's/"W":\[\[[-0-9.e]*/"W":[[1e999/')
$(echo "$good" | jq -c '.pos = {"LMAX":2,"R":[[0,0,0]]}')
$(echo "$good" | jq -c '.pos = 7')
EOF2
}

@test "an empty stream, or one without a model, is an error; stdout closed early is quiet" {
	run attn-to-ccmc </dev/null
	assert_error 65 attn-to-ccmc
	[[ $output == *"<stdin>:0: no attn-model record"* ]]
	echo '{"type":"prompt","prompt":[1]}' >p
	run attn-to-ccmc p
	[ "$status" -eq 65 ]
	[ "${lines[0]}" = '{"type":"prompt","prompt":[1]}' ]
	[ "${lines[1]}" = "attn-to-ccmc: p:1: no attn-model record in the input" ]
	attn-gen-model --vocab 200 >big
	for i in 1 2 3 4 5 6 7 8; do cat big; done >many
	run bash -c 'attn-to-ccmc many | head -c 10 >/dev/null'
	[ -z "$output" ]
}

# float32 FILE: the model of FILE with every weight rounded to float32 and
# back, as weights trained in float32 and saved as JSON are.
float32() {
	py "$1" <<'PY'
import json, struct, sys
f = lambda x: struct.unpack("<f", struct.pack("<f", x))[0]
m = json.load(open(sys.argv[1]))
for k in ("E", "W", "C"):
    m[k] = [[f(x) for x in row] for row in m[k]]
if m.get("pos"):
    m["pos"]["R"] = [[f(x) for x in row] for row in m["pos"]["R"]]
print(json.dumps(m))
PY
}

@test "float32 weights: refused by default, accepted with --tie-tol, retied with --retie" {
	attn-gen-model --vocab 8 --dim 12 --embed gaussian --seed 3 >m64
	float32 m64 >m
	# the tie error of the float32 model, computed here
	tie=$(py m <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
E, C, K, d = m["E"], m["C"], m["K"], m["d"]
print(repr(max(abs(sum(C[i][a] * E[j][a] for a in range(d)) - (i == j))
               for i in range(K) for j in range(K))))
PY
)
	awk -v t="$tie" 'BEGIN { exit !(t > 1e-9 && t < 1e-6) }'
	for prog in attn-to-ccmc "attn-sample -n 5"; do
		run $prog m
		assert_error 65 ${prog%% *}
		assert_located ${prog%% *}
		[[ $output == *"max|C E^T - I|"* ]]
		$prog --tie-tol 1e-6 m >/dev/null
		$prog --retie m >/dev/null
	done
	# the CCMC of the float32 model is that of the original to float32
	# precision; --retie reports the tie before and after
	attn-to-ccmc m64 >c64
	attn-to-ccmc --tie-tol 1e-6 m >c
	attn-to-ccmc --retie m >cr
	run py c64 c cr "$tie" <<'PY'
import json, sys
c64, c, cr = (json.load(open(f)) for f in sys.argv[1:4])
tie = float(sys.argv[4])
d = max(abs(a - b) for r, s in zip(c64["P"], c["P"]) for a, b in zip(r, s))
assert d < 1e-5, d
assert cr["P"] == c["P"]
rt = cr["meta"]["model"]["retie"]
assert abs(rt["tie_before"] - tie) <= 1e-12 * max(1, tie), (rt, tie)
assert rt["tie_after"] <= 1e-12 and 0 < rt["max_change_C"] < 1e-5, rt
PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# attn-sample prints the retied model it draws from
	attn-sample --retie -n 3 m | head -1 | attn-to-ccmc >/dev/null
	run attn-to-ccmc --tie-tol 0.5 m
	assert_error 2 attn-to-ccmc
}

@test "--check PROMPTS: forward pass against the CCMC on the user's prompts (python)" {
	attn-gen-model --vocab 6 --dim 12 --embed gaussian --pos 6 --seed 5 >m64
	float32 m64 >m
	attn-sample --tie-tol 1e-6 -n 50 --len 1:6 --seed 2 m |
	    jq -c 'select(.type == "sample") | {type: "prompt", prompt}' >prompts
	attn-to-ccmc --tie-tol 1e-6 --check prompts m >c
	run py m c prompts <<'PY'
import json, math, sys
m, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
E, W, C, d, K = m["E"], m["W"], m["C"], m["d"], m["K"]
R = m["pos"]["R"]
worst = 0.0
for line in open(sys.argv[3]):
    t = json.loads(line)["prompt"]
    X = [[E[k][a] + R[s][a] for a in range(d)] for s, k in enumerate(t)]
    u = [sum(X[-1][a] * W[a][b] for a in range(d)) for b in range(d)]
    sc = [sum(u[b] * x[b] for b in range(d)) for x in X]
    e = [math.exp(v - max(sc)) for v in sc]
    xa = [sum(e[s] / sum(e) * X[s][b] for s in range(len(X))) for b in range(d)]
    p = [max(sum(C[k][b] * xa[b] for b in range(d)), 0) for k in range(K)]
    p = [x / sum(p) for x in p]   # the law: negatives clamped, renormalised
    # the CCMC: position-weighted counts times P, from A = E W E^T
    A = [[sum(E[i][a] * W[a][b] * E[j][b] for a in range(d) for b in range(d))
          for j in range(K)] for i in range(K)]
    L, i = len(t), t[-1]
    B = [sum(R[L - 1][a] * W[a][b] * R[s][b] for a in range(d) for b in range(d))
         for s in range(L)]
    w = [0.0] * K
    for s, k in enumerate(t):
        w[k] += math.exp(B[s] - max(B))
    q = [w[j] * math.exp(A[i][j] - max(A[i])) for j in range(K)]
    q = [x / sum(q) for x in q]
    worst = max(worst, max(abs(a - b) for a, b in zip(p, q)))
ch = c["check"]
assert ch["prompts"] == 50 and abs(ch["bound"] - 1e-5) < 1e-18, ch
assert 0 < ch["max_abs_diff"] <= ch["bound"], ch
assert abs(ch["max_abs_diff"] - worst) <= 1e-9, (ch, worst)
PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# bad prompt files: errors located in them
	echo '{"type":"sample","prompt":[1],"y":1}' >bad
	run attn-to-ccmc --tie-tol 1e-6 --check bad m
	assert_error 65 attn-to-ccmc
	[[ ${lines[0]} == "attn-to-ccmc: bad:1: "* ]]
	printf '{"type":"prompt","prompt":[1]}\n{"type":"prompt","prompt":[6]}\n' >bad
	run attn-to-ccmc --tie-tol 1e-6 --check bad m
	assert_error 65 attn-to-ccmc
	[[ ${lines[0]} == "attn-to-ccmc: bad:2: token 6 out of range"* ]]
	# one line and 65 under ASan too (the prompt's tokens are freed: no
	# leak report after the error, make check-sanitize)
	printf '{"type":"prompt","prompt":[1]}\n{"type":"prompt","prompt":[]}\n' >bad
	run attn-to-ccmc --tie-tol 1e-6 --check bad m
	assert_error 65 attn-to-ccmc
	[ "${#lines[@]}" -eq 1 ] && [[ ${lines[0]} == "attn-to-ccmc: bad:2: empty prompt"* ]]
}

@test "a record whose type is close to attn-model is named: did you mean" {
	attn-gen-model --vocab 3 >m
	sed 's/"attn-model"/"attn_model"/' m >typo
	run bash -c 'attn-to-ccmc typo 2>&1 >/dev/null'
	[ "$status" -eq 65 ]
	# the error alone: a failing run drops its notes
	[ "$output" = 'attn-to-ccmc: typo:1: no attn-model record in the input; line 1 has type "attn_model": did you mean "attn-model"?' ]
	# beside a real model: a note, and the stream goes through
	cat m typo >both
	attn-to-ccmc both 2>err >out
	[ "$(wc -l <err)" -eq 1 ] && grep -q 'did you mean "attn-model"' err
	[ "$(wc -l <out)" -eq 2 ]
	# unrelated types pass silently
	echo '{"type":"prompt","prompt":[1]}' | cat m - | attn-to-ccmc 2>err >/dev/null
	[ ! -s err ]
}

@test "an unknown option: one line naming the nearest valid one" {
	run attn-to-ccmc --analyse
	[ "$status" -eq 2 ]
	[ "$output" = "attn-to-ccmc: unknown option --analyse; did you mean --analyze?" ]
	run attn-to-ccmc --tie-tol
	[ "$status" -eq 2 ]
	[ "$output" = "attn-to-ccmc: --tie-tol needs a value (see --help)" ]
	run attn-to-ccmc --retie=1
	[ "$output" = "attn-to-ccmc: --retie takes no value" ]
	run attn-to-ccmc --frobnicate
	[ "$output" = "attn-to-ccmc: unknown option --frobnicate (see --help)" ]
}

# The chain quantities in exact rationals (stdlib only), written from
# their definitions: periods from the return lengths of P^n, stationary
# laws, absorption and mean first-passage times by solving their linear
# systems; the doubles of P taken exactly, each row divided by its sum.
write_chain_reference() {
	cat >chainref.py <<'PY'
import json, math, os, sys
from fractions import Fraction as F
sys.path.insert(0, os.environ["TESTS"])
from markov import solve     # Gauss-Jordan in rationals

def analyse(P):
    K = len(P)
    P = [[F(x) / sum(F(y) for y in row) for x in row] for row in P]
    reach = []
    for i in range(K):
        seen, todo = {i}, [i]
        while todo:
            a = todo.pop()
            for b in range(K):
                if P[a][b] > 0 and b not in seen:
                    seen.add(b); todo.append(b)
        reach.append(seen)
    cls = sorted({frozenset(j for j in reach[i] if i in reach[j]) for i in range(K)}, key=min)
    out = {}
    for c in cls:
        mem = sorted(c)
        closed = all(reach[i] <= c for i in mem)
        # period: gcd of the n <= 3K with (P^n)_ii > 0 (boolean powers)
        B = [[P[a][b] > 0 for b in range(K)] for a in range(K)]
        Bn, g = B, 0
        for n in range(1, 3 * K + 1):
            if any(Bn[i][i] for i in mem):
                g = math.gcd(g, n)
            Bn = [[any(Bn[a][k] and B[k][b] for k in range(K)) for b in range(K)] for a in range(K)]
        rec = {"closed": closed, "period": g or None}
        if closed:
            n = len(mem)
            # pi (I - P_C) = 0, sum pi = 1: the transposed system, one row replaced
            M = [[(1 if a == b else 0) - P[mem[b]][mem[a]] for b in range(n)] for a in range(n)]
            M[-1] = [F(1)] * n
            rec["stationary"] = solve(M, [F(0)] * (n - 1) + [F(1)])
            m = [[None] * n for _ in range(n)]
            for j in range(n):
                others = [i for i in range(n) if i != j]
                if others:
                    A = [[(1 if a == b else 0) - P[mem[a]][mem[b]] for b in others] for a in others]
                    t = solve(A, [F(1)] * len(others))
                else:
                    t = []
                for q, i in enumerate(others):
                    m[i][j] = t[q]
                m[j][j] = 1 + sum(P[mem[j]][mem[i]] * t[q] for q, i in enumerate(others))
            rec["mean_first_passage"] = m
        out[tuple(mem)] = rec
    tr = sorted(i for c in cls for i in c if not all(reach[x] <= c for x in c))
    closed = [c for c in cls if all(reach[x] <= c for x in c)]
    absorb = None
    if tr:
        A = [[(1 if a == b else 0) - P[a][b] for b in tr] for a in tr]
        absorb = []
        cols = [solve(A, [sum(P[a][j] for j in c) for a in tr]) for c in closed]
        absorb = [[cols[k][q] for k in range(len(closed))] for q in range(len(tr))]
    return out, tr, absorb

def check(rec):
    ch = rec["chain"]
    out, tr, absorb = analyse(rec["P"])
    assert len(ch["classes"]) == len(out)
    worst = 0
    for c in ch["classes"]:
        want = out[tuple(c["tokens"])]
        assert c["closed"] == want["closed"] and c["period"] == want["period"], (c, want)
        if want["closed"]:
            for x, y in zip(c["stationary"], want["stationary"]):
                worst = max(worst, abs(x - y))
            for rx, ry in zip(c["mean_first_passage"], want["mean_first_passage"]):
                for x, y in zip(rx, ry):
                    worst = max(worst, abs(x - y) / max(1, abs(y)))
    if absorb is None:
        assert ch["absorption"] is None
    else:
        assert ch["absorption"]["transient"] == tr
        for rx, ry in zip(ch["absorption"]["probabilities"], absorb):
            for x, y in zip(rx, ry):
                worst = max(worst, abs(x - y))
    return float(worst)
PY
}

@test "--analyze on ccmc records: periods, laws, absorption, first passage equal exact rationals to 1e-12" {
	write_chain_reference
	# a fitted chain (ccmc-estimate), and a reducible one: {0,1} closed of
	# period 2, {2,3,4} closed and aperiodic, 5 and 6 transient into both;
	# and a fit with undetermined rows (blocks prompts)
	attn-gen-model --vocab 6 --seed 3 | attn-sample -n 20000 --len 6 --seed 2 |
	    ccmc-estimate 2>/dev/null >fit
	py >red <<'PY'
import json
P = [[0, 1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0],
     [0, 0, 0.5, 0.25, 0.25, 0, 0], [0, 0, 0.1, 0.2, 0.7, 0, 0], [0, 0, 0.9, 0, 0.1, 0, 0],
     [0.125, 0, 0.375, 0, 0, 0.25, 0.25], [0, 0.3, 0, 0.1, 0, 0.4, 0.2]]
print(json.dumps({"type": "ccmc", "K": 7, "A": None, "P": P}))
PY
	attn-gen-model --vocab 6 --seed 1 | attn-sample -n 5000 --len 3 --prompts blocks:2 --seed 2 |
	    ccmc-estimate 2>/dev/null >nulls
	cat fit red nulls | attn-to-ccmc --analyze >out
	[ "$(wc -l <out)" -eq 3 ]
	TESTS=$TOP/tests run py out <<'PY'
import json, sys
sys.path.insert(0, ".")
from chainref import check
recs = [json.loads(l) for l in open(sys.argv[1])]
w = [check(r) for r in recs[:2]]
print("worst difference", w)
assert max(w) <= 1e-12
ch = recs[1]["chain"]
assert ch["absorption"]["closed_classes"] == [k for k, c in enumerate(ch["classes"]) if c["closed"]]
assert sorted(c["period"] for c in ch["classes"] if c["closed"]) == [1, 2]
nul = recs[2]["chain"]
assert nul["undetermined_rows"] and nul["classes"] is None and nul["stationary"] is None
# the records themselves pass unchanged but for "chain"
assert recs[1]["P"][5] == [0.125, 0, 0.375, 0, 0, 0.25, 0.25]
PY
	echo "$output"
	[ "$status" -eq 0 ]
	# without --analyze a ccmc record passes through untouched
	run attn-to-ccmc red
	[ "$status" -eq 65 ]
	[ "${lines[0]}" = "$(cat red)" ]
}

@test "one law: attn-sample --probs and attn-to-ccmc --check both clamp a loosely tied head's negative p at 0 and renormalise" {
	attn-gen-model --vocab 6 --dim 8 --embed gaussian --seed 3 >m
	# a head tied only within 1e-3: its raw p goes below 0 off the prompt
	py m loose <<'PY'
import json, random, sys
random.seed(5)
m = json.load(open(sys.argv[1]))
m["C"] = [[c + 2e-5 * random.gauss(0, 1) for c in row] for row in m["C"]]
json.dump(m, open(sys.argv[2], "w"))
PY
	attn-sample -n 300 --via attention --probs --tie-tol 1e-3 loose >s
	# the law by hand: raw C X^T alpha has negative entries, and the
	# sampler's p is exactly it clamped and renormalised
	py loose s <<'PY'
import json, math, sys
m = json.load(open(sys.argv[1])); E, W, C, K, d = m["E"], m["W"], m["C"], m["K"], m["d"]
neg = worst = 0
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r["type"] != "sample":
        continue
    x = r["prompt"]; q = E[x[-1]]
    Wq = [sum(q[a] * W[a][b] for a in range(d)) for b in range(d)]
    s = [sum(Wq[b] * E[t][b] for b in range(d)) for t in x]
    mx = max(s); e = [math.exp(v - mx) for v in s]; al = [v / sum(e) for v in e]
    xa = [sum(al[t] * E[x[t]][b] for t in range(len(x))) for b in range(d)]
    raw = [sum(C[k][b] * xa[b] for b in range(d)) for k in range(K)]
    neg += min(raw) < -1e-7
    cl = [max(v, 0) for v in raw]
    worst = max(worst, max(abs(a / sum(cl) - b) for a, b in zip(cl, r["p"])))
assert neg >= 100, neg
assert worst <= 1e-13, worst
PY
	# the user's p from the sampler: --check compares the same law
	jq -c 'select(.type == "sample") | {type: "prompt", prompt, p}' s >prompts
	attn-to-ccmc --tie-tol 1e-3 --check prompts loose >c
	jq -e '.check.user.prompts == 300 and .check.user.max_abs_diff <= 1e-13' c
}
