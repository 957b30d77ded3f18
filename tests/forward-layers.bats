#!/usr/bin/env bats
# Layers that are not exactly a CCMC: learned (arbitrary) positional
# embeddings, an untied head ("head": "linear", C x_att clamped at 0 and
# normalised) and the usual LM head ("head": "softmax"): their forward
# pass against python's computation of the same layer, their draws
# against that law (chi-square, fixed seed), and attn-to-ccmc's distance
# from the CCMC of the scores, recomputed in python.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	cd "$T"
}

# layers: K 5, d 3, random E, W, C and learned positions R (python's
# generator): hlpos (headless, positions), smpos (softmax head,
# positions), lin (linear head, d < K, no positions); and prompts.
layers() {
	py <<'EOF2'
import json, random
r = random.Random(1)
K, d, LM = 5, 3, 6
g = lambda n, m: [[r.gauss(0, 1) for _ in range(m)] for _ in range(n)]
E, W, R, C = g(K, d), g(d, d), g(LM, d), g(K, d)
base = {"type": "attn-model", "K": K, "d": d, "E": E, "W": W}
for name, extra in (("hlpos", {"C": None, "pos": {"LMAX": LM, "R": R}}),
                    ("smpos", {"C": C, "head": "softmax", "pos": {"LMAX": LM, "R": R}}),
                    ("lin", {"C": C, "head": "linear", "pos": None})):
    with open(name, "w") as f:
        print(json.dumps(dict(base, **extra)), file=f)
with open("prompts", "w") as f:
    for n in range(40):
        L = 1 + n % LM
        print(json.dumps({"type": "prompt", "prompt": [r.randrange(K) for _ in range(L)]}), file=f)
EOF2
}

# law.py: the layer's next-token law and the CCMC of its scores, computed
# here from the record: scores s_t = (e_L + r_L)^T W (e_t + r_t), alpha =
# softmax(s); headless p_k = attention on k's positions; else z = C x_att,
# linear: z clamped at 0 and normalised, softmax: softmax(z).  The CCMC:
# p_k ~ sum over k's positions t of exp(e_q^T W e_k + r_L^T W r_t).
law_py() {
	cat >law.py <<'EOF2'
import json, math
def dot(a, b): return sum(x * y for x, y in zip(a, b))
def vm(v, M): return [sum(v[a] * M[a][b] for a in range(len(v))) for b in range(len(M[0]))]
def softmax(v):
    m = max(v); e = [math.exp(x - m) for x in v]; z = sum(e)
    return [x / z for x in e]
def layer(m, x, head=None):
    K, E, W, C = m["K"], m["E"], m["W"], m["C"]
    R = (m.get("pos") or {}).get("R")
    X = [[a + (R[t][i] if R else 0) for i, a in enumerate(E[k])] for t, k in enumerate(x)]
    u = vm(X[-1], W)
    al = softmax([dot(u, xt) for xt in X])
    if C is None:
        p = [0.0] * K
        for a, k in zip(al, x): p[k] += a
        return p
    xa = [sum(a * xt[i] for a, xt in zip(al, X)) for i in range(len(u))]
    z = [dot(c, xa) for c in C]
    if (head or m.get("head", "tied")) == "softmax":
        return softmax(z)
    z = [max(v, 0.0) for v in z]
    return [v / sum(z) for v in z]
def ccmc(m, x):
    K, E, W = m["K"], m["E"], m["W"]
    R = (m.get("pos") or {}).get("R")
    L = len(x); uq = vm(E[x[-1]], W)
    w = [0.0] * K
    s = [dot(uq, E[k]) + (dot(vm(R[L - 1], W), R[t]) if R else 0) for t, k in enumerate(x)]
    mx = max(s)
    for v, k in zip(s, x): w[k] += math.exp(v - mx)
    return [v / sum(w) for v in w]
EOF2
}

@test "forward pass: learned positions (headless), softmax and linear (d < K) heads, --head softmax: p as python computes the layer, 1e-12" {
	layers
	law_py
	for m in hlpos smpos lin; do
		attn-sample --probs --model $m prompts >s.$m
	done
	attn-sample --probs --head softmax --model lin prompts >s.linsm
	py <<'EOF2'
import json, sys
sys.path.insert(0, ".")
from law import layer
for name, model, head in (("hlpos", "hlpos", None), ("smpos", "smpos", None),
                          ("lin", "lin", None), ("linsm", "lin", "softmax")):
    recs = [json.loads(l) for l in open("s." + name)]
    m = json.load(open(model))
    assert recs[0]["type"] == "attn-model"
    if head:
        assert recs[0]["head"] == head, recs[0].get("head")
    n = 0
    for r in recs[1:]:
        p = layer(m, r["prompt"], head)
        worst = max(abs(a - b) for a, b in zip(p, r["p"]))
        assert worst <= 1e-12, (name, r["prompt"], worst)
        assert r["p"][r["y"]] > 0
        n += 1
    assert n == 40, n
EOF2
}

@test "draws: a softmax head's and learned positions' tokens follow the law (chi-square at 0.999, fixed seed); trajectories through the forward pass" {
	layers
	for i in $(seq 20000); do echo '{"type":"prompt","prompt":[3,1,4,1]}'; done >same
	attn-sample --model smpos --seed 5 --probs -n 1 same | tail -1 >p1
	attn-sample --model smpos --seed 5 same >ssm
	attn-sample --model hlpos --seed 6 --probs -n 1 same | tail -1 >p2
	attn-sample --model hlpos --seed 6 same >shl
	py <<'EOF2'
import json
def chi2_999(df):
    z = 3.090232306167813
    return df * (1 - 2 / (9 * df) + z * (2 / (9 * df)) ** 0.5) ** 3
for pf, sf in (("p1", "ssm"), ("p2", "shl")):
    p = json.loads(open(pf).read())["p"]
    ys = [json.loads(l)["y"] for l in open(sf) if '"sample"' in l]
    n = len(ys); assert n == 20000
    cells = [k for k in range(len(p)) if p[k] > 0]
    assert all(p[y] > 0 for y in ys)
    stat = sum((ys.count(k) - n * p[k]) ** 2 / (n * p[k]) for k in cells)
    assert stat < chi2_999(len(cells) - 1), (pf, stat)
EOF2
	# no CCMC to draw trajectories from: they come from the forward pass
	attn-sample --model hlpos --trajectory --steps 3 -n 2 --len 2 --seed 1 </dev/null >tr
	[ "$(grep -c '"trajectory"' tr)" -eq 2 ]
	run attn-sample --model hlpos --trajectory --via ccmc -n 1 --len 2 </dev/null
	assert_error 65 attn-sample
	[[ $output == *"tokens and positions interact"* ]]
}

@test "attn-to-ccmc --check: distance 0 (1e-12) for models that are exactly a CCMC, python's TV for those that are not" {
	layers
	law_py
	attn-gen-model --vocab 5 --seed 3 >tied
	attn-gen-model --vocab 5 --dim 3 --headless --embed gaussian --seed 3 >hl
	attn-gen-model --vocab 5 --pos 6 --seed 3 >rec
	for m in tied hl rec; do
		attn-to-ccmc --check prompts $m | jq -c .distance >d.$m
	done
	for m in hlpos smpos lin; do
		attn-to-ccmc --check prompts $m >c.$m
	done
	py <<'EOF2'
import json, sys
sys.path.insert(0, ".")
from law import layer, ccmc
for m in ("tied", "hl", "rec"):
    d = json.load(open("d." + m))
    assert d["exact"] and d["why"] is None, d
    assert d["max_tv"] <= 1e-12 and d["mean_tv"] <= 1e-12, (m, d)
    assert d["max_off_prompt"] <= 1e-12, d
prompts = [json.loads(l)["prompt"] for l in open("prompts")]
for name in ("hlpos", "smpos", "lin"):
    m = json.load(open(name))
    rec = json.load(open("c." + name))
    d = rec["distance"]
    assert rec["type"] == "ccmc" and not d["exact"] and d["why"], d
    tv, off = [], []
    for x in prompts:
        p, q = layer(m, x), ccmc(m, x)
        tv.append(sum(abs(a - b) for a, b in zip(p, q)) / 2)
        off.append(sum(v for k, v in enumerate(p) if k not in x))
    assert abs(d["max_tv"] - max(tv)) <= 1e-12 and abs(d["mean_tv"] - sum(tv) / len(tv)) <= 1e-12, (name, d, max(tv))
    assert abs(d["max_off_prompt"] - max(off)) <= 1e-12, (name, d)
    assert d["max_tv"] > 0.1, d
    assert d["worst_line"] == 1 + tv.index(max(tv)), d
    # the off-prompt mass bounds the distance from any CCMC from below
    assert all(o <= t + 1e-15 for o, t in zip(off, tv))
EOF2
}

@test "attn-to-ccmc --check: the nearest CCMC (KL on the prompts) equals python's Newton fit of the same objective, between the two bounds" {
	layers
	law_py
	for m in hlpos smpos lin; do
		attn-to-ccmc --check prompts $m | jq -c .distance >d.$m
	done
	py <<'EOF2'
import json, math, sys
sys.path.insert(0, ".")
from law import layer
prompts = [json.loads(l)["prompt"] for l in open("prompts")]

def solve(H, g):
    """H x = g by Gaussian elimination with partial pivoting."""
    n = len(g); M = [H[r][:] + [g[r]] for r in range(n)]
    for c in range(n):
        piv = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[piv] = M[piv], M[c]
        for r in range(c + 1, n):
            f = M[r][c] / M[c][c]
            M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    x = [0.0] * n
    for r in reversed(range(n)):
        x[r] = (M[r][n] - sum(M[r][k] * x[k] for k in range(r + 1, n))) / M[r][r]
    return x

def law(a, x):
    """The CCMC's law on prompt x with row logits a."""
    c = {}
    for k in x: c[k] = c.get(k, 0) + 1
    mx = max(a[k] for k in c)
    w = {k: n * math.exp(a[k] - mx) for k, n in c.items()}
    z = sum(w.values())
    return {k: v / z for k, v in w.items()}

for name in ("hlpos", "smpos", "lin"):
    m = json.load(open(name)); K = m["K"]
    laws = [layer(m, x) for x in prompts]
    A = [[0.0] * K for _ in range(K)]
    for i in range(K):
        S = [(x, p) for x, p in zip(prompts, laws) if x[-1] == i]
        for it in range(300):   # Newton, a 1e-12 ridge for the gauge
            g = [0.0] * K; H = [[1e-12 * (j == k) for k in range(K)] for j in range(K)]
            for x, p in S:
                q = law(A[i], x); ms = sum(p[j] for j in q)
                for j in q:
                    g[j] += p[j] - ms * q[j]
                    for k in q:
                        H[j][k] += ms * ((j == k) * q[j] - q[j] * q[k])
            step = solve(H, g)
            A[i] = [a + s for a, s in zip(A[i], step)]
    tv, ll, off = [], 0.0, []
    for x, p in zip(prompts, laws):
        q = law(A[x[-1]], x)
        tv.append((sum(abs(p[k] - q.get(k, 0)) for k in range(K))) / 2)
        ll += sum(p[j] * math.log(q[j]) for j in q if p[j] > 0)
        off.append(sum(v for k, v in enumerate(p) if k not in q))
    d = json.load(open("d." + name)); n = d["nearest"]
    assert n["converged"] and n["rows"] == len({x[-1] for x in prompts}), n
    assert abs(n["mean_tv"] - sum(tv) / len(tv)) <= 1e-7, (name, n, sum(tv) / len(tv))
    assert abs(n["max_tv"] - max(tv)) <= 1e-7, (name, n, max(tv))
    assert abs(n["loglik"] - ll) <= 1e-7 * abs(ll), (name, n, ll)
    # any CCMC is at least the off-prompt mass away
    assert n["mean_tv"] >= d["mean_off_prompt"] - 1e-15, (name, n, d)
EOF2
}

@test "bad: an unknown \"head\", a head on a headless model, --head bad, no --check for a layer without CCMC; --retie ties a head" {
	layers
	jq -c '.head = "sigmoid"' lin >b1
	run attn-sample -n 1 b1
	assert_error 65 attn-sample
	assert_located attn-sample
	[[ $output == *'"head" must be'* ]]
	jq -c '.head = "linear"' hlpos >b2
	run attn-to-ccmc b2
	assert_error 65 attn-to-ccmc
	[[ $output == *"headless"* ]]
	run attn-sample --head sigmoid -n 1 lin
	assert_error 2 attn-sample
	run attn-to-ccmc smpos
	assert_error 65 attn-to-ccmc
	[[ $output == *"softmax head"*"--check PROMPTS"* ]]
	# a head declared tied (the default) that is not stays refused
	jq -c 'del(.head)' smpos >b3
	run attn-sample -n 1 --len 2 b3
	assert_error 65 attn-sample
	[[ $output == *"no head with C E^T = I"*'"head": "linear" or "softmax"'* ]]
	# --retie makes a head tied: a softmax head retied samples as tied
	py <<'EOF2' >sq
import json, random
r = random.Random(2)
K = d = 4
E = [[r.gauss(0, 1) for _ in range(d)] for _ in range(K)]
print(json.dumps({"type": "attn-model", "K": K, "d": d, "E": E,
    "W": [[0.0] * d] * d, "C": E, "head": "softmax", "pos": None}))
EOF2
	attn-sample --retie -n 2 --len 3 sq | head -1 >rt
	[ "$(jq -r '.head // "tied"' rt)" = tied ]
	attn-to-ccmc rt >/dev/null
}
