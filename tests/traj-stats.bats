#!/usr/bin/env bats
# traj-stats: statistics of trajectories against a brute-force python
# reimplementation and the shared vectors; winner-takes-all (attn-ccmc(7))
# against the ordinary Markov chain; the mean-field
# prediction against closed forms.

load helper

setup() { cd "$BATS_TEST_TMPDIR"; }

# The statistics by their definitions in traj-stats(1), written for
# clarity, not speed (stdlib only).
write_reference() {
	cat >ref.py <<'PY'
import math
from collections import Counter

def points(T, pd):
    t, k = [], 0
    while T >= 1:
        v = math.floor(10 ** (k / pd) + 0.5)
        if v >= T:
            break
        if not t or v > t[-1]:
            t.append(v)
        k += 1
    return t + [T] if T >= 1 else []

def at_least(have, share, total):
    return have >= share * total - 1e-9 * total

def repetition(y):
    T, r = len(y), {}
    for n in range(1, 5):
        if T < n:
            r["seq_rep_%d" % n] = r["distinct_%d" % n] = None
            continue
        grams = [tuple(y[i:i + n]) for i in range(T - n + 1)]
        r["distinct_%d" % n] = len(set(grams)) / len(grams)
        r["seq_rep_%d" % n] = 1 - len(set(grams)) / len(grams)
    for l in (16, 32, 128):
        r["rep_%d" % l] = (sum(y[t] in y[max(0, t - l):t] for t in range(1, T)) / (T - 1)
                           if T >= 2 else None)
    return r

def stats(prompt, y, W=1000, eps=0.05, frm=0.1, gmin=0.9, minc=10, pd=10,
          blocks=20, alpha=0.01, delta=0.1):
    ctx, L, T = prompt + y, len(prompt), len(y)
    n = L + T
    final = Counter(ctx)
    order = sorted(final, key=lambda s: (-final[s], s))
    out = {"tokens": order, "counts": [final[s] for s in order],
           "distinct": len(set(y)), "distinct_context": len(final)}
    Wn = min(W, n)
    win = Counter(ctx[n - Wn:])
    wset, cum = set(), 0
    for s in sorted(final, key=lambda s: (-win[s], -final[s], s)):
        if at_least(cum, 1 - eps, Wn):
            break
        cum += win[s]
        wset.add(s)
    out["window"] = sorted(wset)
    t1 = int(frm * T)
    if L + t1 == 0:
        t1 = 1
    gset = None
    if t1 < T:
        m1, n1, gset, gam = Counter(ctx[:L + t1]), L + t1, set(), {}
        for s in final:
            late = final[s] - m1[s]
            if m1[s] > 0:
                gam[s] = math.log(final[s] / m1[s]) / math.log(n / n1)
                if gam[s] >= gmin and late >= minc:
                    gset.add(s)
            else:
                gam[s] = None
                if late >= minc:
                    gset.add(s)
        out["exponent"] = [gam[s] for s in order]
        out["from"] = t1
    out["growth"] = sorted(gset) if gset is not None else None
    cl = classes(prompt, y, frm, blocks, alpha, delta)
    out["classes"] = cl
    collapse, collapsed = None, None
    if cl is not None:
        losers = {j for j in cl if cl[j][3] == "loser"}
        collapsed = (True if losers else
                     False if all(c[3] == "winner" for c in cl.values()) else None)
    ci = None
    if collapsed:
        collapse, ci = onset(y, losers)
    out["collapsed"], out["collapse_time"], out["collapse_ci"] = collapsed, collapse, ci
    tp = points(T, pd)
    out["t"] = tp
    top1, share, ent = [], [], []
    for t in tp:
        c = Counter(ctx[:L + t])
        top1.append(max(c.values()) / (L + t))
        ent.append(-sum(v / (L + t) * math.log(v / (L + t)) for v in c.values()))
        if gset is not None:
            share.append(sum(c[s] for s in gset) / (L + t))
    out["top1"], out["entropy"] = top1, ent
    out["winner_share"] = share if gset is not None else None
    out["repetition"] = repetition(y)
    return out

def onset(y, losers):
    """The change point of the losers' indicator x, a two-state chain with
    rates of its own on each side, uniform priors (traj-stats(1)):
    posterior median and 2.5%, 97.5% quantiles over u = 1 .. T-1 where the
    losers' share falls; (None, None) when it falls nowhere."""
    x = [int(v in losers) for v in y]
    T = len(x)
    lb = lambda a, b: math.lgamma(a + 1) + math.lgamma(b + 1) - math.lgamma(a + b + 2)
    logp = {}
    for u in range(1, T):
        if not (sum(x[u:]) + 1) / (T - u + 2) < (sum(x[:u]) + 1) / (u + 2):
            continue
        l = 0.0
        for side in (range(1, u), range(u, T)):
            for p in (0, 1):
                a = sum(1 for t in side if t >= 1 and x[t - 1] == p and x[t] == 1)
                b = sum(1 for t in side if t >= 1 and x[t - 1] == p and x[t] == 0)
                l += lb(a, b)
        logp[u] = l
    if not logp:
        return None, None
    top = max(logp.values())
    w = {u: math.exp(l - top) for u, l in logp.items()}
    tot, cum, q = sum(w.values()), 0.0, {}
    for u in sorted(w):
        cum += w[u]
        for name, level in (("lo", 0.025), ("med", 0.5), ("hi", 0.975)):
            if name not in q and cum >= level * tot:
                q[name] = u
    return q["med"], [q["lo"], q["hi"]]

TQ = {}
def t_upper(a, df):
    if (a, df) not in TQ:
        TQ[a, df] = t_upper_(a, df)
    return TQ[a, df]

def t_upper_(a, df):
    """t with P(T > t) = a: the tail of Student's density integrated by
    Simpson's rule after x = t / u, then bisection."""
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    f = lambda x: c * (1 + x * x / df) ** (-(df + 1) / 2)
    def tail(t):
        n, h, tot = 1000, 1 / 1000, 0
        for i in range(n + 1):
            u = max(i * h, 1e-12)     # the limit at u = 0 (nonzero for df = 1)
            w = 1 if i in (0, n) else (4 if i % 2 else 2)
            tot += w * f(t / u) * t / (u * u)
        return tot * h / 3
    lo, hi = 0.0, 1.0
    while tail(hi) > a:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if tail(mid) > a else (lo, mid)
    return (lo + hi) / 2

def classes(prompt, y, frm=0.1, blocks=20, alpha=0.01, delta=0.1):
    """Per token of the context (by id): (gamma, lo, hi, class), by the
    block multinomial of traj-stats(1) over the generated tokens only
    (block 0 the first max(t1, 1) of them); None when too short, and
    (None, None, None, "undecided") for a token never generated."""
    ctx, L, T = prompt + y, len(prompt), len(y)
    t1 = int(frm * T)
    if L + t1 == 0:
        t1 = 1
    c1 = max(t1, 1)
    if t1 >= T or c1 >= T or min(blocks, T - c1) < 2:
        return None
    B = min(blocks, T - c1)
    ends = [c1 + math.floor(k * (T - c1) / B + 0.5) for k in range(B + 1)]
    u = [e / T for e in ends]
    toks = sorted(set(ctx))
    tq = t_upper(alpha / (2 * len(toks)), B - 1)
    out = {}
    for j in toks:
        cnt = [y[:ends[0]].count(j)] + [y[ends[k - 1]:ends[k]].count(j) for k in range(1, B + 1)]
        M = sum(cnt)
        if M == 0:
            out[j] = (None, None, None, "undecided")
            continue
        def ll(g):
            tot = 0.0
            for k, c in enumerate(cnt):   # log(u_k^g - u_{k-1}^g), in logs
                if c:
                    r = (u[k - 1] / u[k]) ** g if k else 0.0
                    if r >= 1:
                        return -math.inf
                    tot += c * (g * math.log(u[k]) + math.log1p(-r))
            return tot
        if all(c == 0 for c in cnt[1:]):
            g = 0.0
        elif all(c == 0 for c in cnt[:-1]):
            g = math.inf
        else:        # concave: ternary search
            a, b = 1e-9, 1.0
            while ll(b) > ll(b / 2):
                b *= 2
            for _ in range(150):
                m1, m2 = a + (b - a) / 3, b - (b - a) / 3
                a, b = (m1, b) if ll(m1) < ll(m2) else (a, m2)
            g = (a + b) / 2
        def share(k):
            if g == math.inf:
                return 1.0 if k == B else 0.0
            return u[k] ** g - (u[k - 1] ** g if k else 0) if g > 0 else float(k == 0)
        x2 = sum((c - M * share(k)) ** 2 / (M * share(k)) for k, c in enumerate(cnt) if M * share(k) > 0)
        phi = max(1.0, x2 / (B - 1))
        top = 0.0 if g == math.inf else ll(g)
        target = top - phi * tq * tq / 2
        def root(a, b):   # ll - target changes sign on [a, b]
            fa = ll(a) - target
            for _ in range(100):
                m = (a + b) / 2
                fm = ll(m) - target
                if (fm < 0) == (fa < 0):
                    a, fa = m, fm
                else:
                    b = m
            return (a + b) / 2
        if g == math.inf:
            hi = math.inf
            b = 1.0
            while ll(b) <= target:
                b *= 2
            a = b / 2
            while ll(a) >= target:
                a /= 2
            lo = root(a, b)
        elif g == 0:
            lo, hi = 0.0, target / (M * math.log(u[0]))
        else:
            a = g / 2
            while ll(a) >= target and a > 1e-300:
                a /= 2
            lo = root(a, g)
            b = 2 * g
            while ll(b) >= target:
                b *= 2
            hi = root(g, b)
        cls = "loser" if hi < 1 else "winner" if lo >= 1 - delta else "undecided"
        out[j] = (g, lo, hi, cls)
    return out

def close(a, b, tol=1e-12):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, z, tol) for x, z in zip(a, b))
    return abs(a - b) <= tol
PY
}

@test "--help, --version, usage errors" {
	run traj-stats --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == usage:* ]]
	[[ "$output" == *--window* ]]
	run traj-stats --version
	[ "$status" -eq 0 ]
	for bad in "--window 0" "--eps 1" "--eps x" "--from -0.1" "--points 0" "--starts -1" "--horizon 0" "--nope"; do
		run traj-stats $bad </dev/null
		[ "$status" -eq 2 ] || { echo "$bad: $status"; false; }
		assert_error 2 traj-stats
	done
	run traj-stats --text --model x </dev/null
	assert_error 2 traj-stats
}

@test "the shared vectors: repetition measures within 1e-12" {
	traj-stats "$VECTORS/repetition.ndjson" >out
	run py "$VECTORS/repetition.ndjson" out <<'PY'
import json, sys
want = [json.loads(l)["expect"] for l in open(sys.argv[1])]
got = [json.loads(l)["repetition"] for l in open(sys.argv[2])]
assert len(want) == len(got) == 4
for e, g in zip(want, got):
    for k in e:
        assert abs(e[k] - g[k]) <= 1e-12, (k, e[k], g[k])
print(sum(len(e) for e in want), "values")
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "hand-built: window rule, growth exponents, collapse time, counts" {
	# last 10 tokens: 1 x7, 2 x2, 3 x1 -> {1,2} at eps 0.2, {1} at 0.3
	echo '{"type":"trajectory","prompt":[9],"tokens":[3,3,3,1,1,1,1,1,1,1,2,2,3]}' >w
	[ "$(traj-stats --window 10 --eps 0.2 w | jq -c .winners.window)" = "[1,2]" ]
	[ "$(traj-stats --window 10 --eps 0.3 w | jq -c .winners.window)" = "[1]" ]
	[ "$(traj-stats --window 10 --eps 0 w | jq -c .winners.window)" = "[1,2,3]" ]
	[ "$(traj-stats --window 10 w | jq -c '[.final.tokens, .final.counts, .distinct, .distinct_context, .prompt_length, .length]')" = "[[1,3,2,9],[7,4,2,1],3,4,1,13]" ]
	# Growth: T = 1000, t1 = 10; token 0: 5 -> 500 (exponent 1), token 1:
	# 5 -> 50 (exponent 1/2), token 2 absent at t1 (null), 450 later.
	py <<'PY' >g
import json
y = [0] * 5 + [1] * 5 + [0] * 495 + [1] * 45 + [2] * 450
print(json.dumps({"type": "trajectory", "prompt": [], "tokens": y}))
PY
	traj-stats --from 0.01 g >out
	run jq -e '.growth.from == 10 and .final.tokens == [0,2,1] and
	    (.growth.exponent[0] - 1 | fabs) < 1e-15 and .growth.exponent[1] == null and
	    (.growth.exponent[2] - 0.5 | fabs) < 1e-15 and .winners.growth == [0,2]' out
	[ "$status" -eq 0 ]
	# Classes, closed form: token 1 fills the prompt (30 times), which
	# the classes do not count, and the first 30 generated steps and
	# comes once more at step 37, all of it before t1 = 300, so its
	# estimate is 0 and its interval [0, q / (2 M log(T / t1))] with
	# M = 31, q the squared t quantile (19 degrees of freedom, level
	# alpha / 2 per token, two tokens): a decided loser; 0 a winner.
	# Collapse: the last window of 5 that holds the loser starts at 37.
	write_reference
	py <<'PY' >c
import json
print(json.dumps({"type": "trajectory", "prompt": [1] * 30, "tokens": [1] * 30 + [0] * 6 + [1] + [0] * 2963}))
PY
	traj-stats --window 5 --eps 0 c >out
	run py out <<'PY'
import json, math, sys
sys.path.insert(0, ".")
from ref import t_upper
r = json.load(open(sys.argv[1]))
assert r["final"]["tokens"] == [0, 1] and r["gamma"][1] == 0, r["gamma"]
T, t1 = 3000, 300
want = t_upper(0.01 / 4, 19) ** 2 / (2 * 31 * math.log(T / t1))
assert r["gamma_ci"][1][0] == 0 and abs(r["gamma_ci"][1][1] - want) < 1e-9 * want, (r["gamma_ci"], want)
assert r["gamma_ci"][0][0] >= 0.9 and r["classes"] == {"winners": [0], "losers": [1], "undecided": []}
from ref import onset
y = json.load(open("c"))["tokens"]
assert r["collapsed"] is True and r["why"] is None
assert [r["collapse_time"], r["collapse_ci"]] == list(onset(y, {1})), (r["collapse_time"], r["collapse_ci"])
assert r["collapse_ci"][0] <= 30 <= r["collapse_ci"][1]
print(r["gamma_ci"], r["collapse_time"], r["collapse_ci"])
PY
	echo "$output"
	[ "$status" -eq 0 ]
	# the onset does not depend on --window
	[ "$(traj-stats --window 5 c | jq -c '[.collapse_time, .collapse_ci]')" = "$(traj-stats --window 3000 c | jq -c '[.collapse_time, .collapse_ci]')" ]
	# too short to judge: every class undecided, why says so
	echo '{"type":"trajectory","prompt":[0,1],"tokens":[1]}' >c
	[ "$(traj-stats c | jq -c '[.classes.undecided, .gamma, .gamma_ci, .collapsed, .why]')" = '[[0,1],[null,null],[null,null],null,"too short: fewer than 2 blocks after the early checkpoint"]' ]
}

@test "hand-built: curve and repetition of a short sequence" {
	# context [0,0,1] then 1,1,1,1,1: at t = 1..5 top-1 share and entropy
	echo '{"type":"trajectory","prompt":[0,0,1],"tokens":[1,1,1,1,1]}' >s
	traj-stats s >out
	run py out <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["curve"]["t"] == [1, 2, 3, 4, 5]
H = lambda *p: -sum(x * math.log(x) for x in p)
want_top1 = [2/4, 3/5, 4/6, 5/7, 6/8]
want_H = [H(2/4, 2/4), H(2/5, 3/5), H(2/6, 4/6), H(2/7, 5/7), H(2/8, 6/8)]
assert all(abs(a - b) < 1e-15 for a, b in zip(r["curve"]["top1"], want_top1))
assert all(abs(a - b) < 1e-15 for a, b in zip(r["curve"]["entropy"], want_H))
rep = r["repetition"]   # over 1,1,1,1,1 only: the prompt is excluded
assert rep["distinct_1"] == 1/5 and rep["seq_rep_1"] == 1 - 1/5
assert rep["distinct_4"] == 1/2 and rep["rep_16"] == 1.0
assert r["distinct"] == 1 and r["distinct_context"] == 2
PY
	[ "$status" -eq 0 ]
	# empty and one-token trajectories: undefined measures are null
	printf '%s\n' '{"type":"trajectory","prompt":[],"tokens":[]}' '{"type":"trajectory","prompt":[4],"tokens":[4]}' >e
	run jq -e -s '.[0].repetition.seq_rep_1 == null and .[0].winners.window == [] and
	    .[1].repetition.rep_16 == null and .[1].repetition.distinct_1 == 1 and
	    .[1].repetition.seq_rep_2 == null' < <(traj-stats e)
	[ "$status" -eq 0 ]
}

@test "brute force in python: every statistic on random sequences" {
	write_reference
	py <<'PY'
import json, random
rnd = random.Random(20240605)
with open("in", "w") as f:
    for i in range(60):
        K = rnd.choice([1, 2, 3, 5, 12])
        L, T = rnd.choice([0, 1, 4, 9]), rnd.choice([0, 1, 2, 3, 5, 40, 150, 400])
        stick = rnd.choice([0, 0.5, 0.97])
        prompt = [rnd.randrange(K) for _ in range(L)]
        y, switch = [], rnd.choice([T, T, 0.1 * T, 0.3 * T])
        for t in range(T):       # sticky sequences collapse now and then,
            # and some switch to one token for good
            y.append(0 if t >= switch else
                     y[-1] if y and rnd.random() < stick else rnd.randrange(K) * 7)
        f.write(json.dumps({"type": "trajectory", "prompt": prompt, "tokens": y}) + "\n")
PY
	for opts in "" "--window 20 --eps 0.1" "--window 7 --eps 0 --from 0.5 --min-count 2 --blocks 40" \
	    "--window 50 --eps 0.2 --gamma 0.8 --min-count 1 --points 3 --alpha 0.2 --delta 0.3"; do
		traj-stats $opts in >out
		run py in out $opts <<'PY'
import json, math, sys
sys.path.insert(0, ".")
from ref import stats, close
args = sys.argv[3:]
opt = dict(zip(args[::2], args[1::2]))
kw = dict(W=int(opt.get("--window", 1000)), eps=float(opt.get("--eps", 0.05)),
          frm=float(opt.get("--from", 0.1)), gmin=float(opt.get("--gamma", 0.9)),
          minc=int(opt.get("--min-count", 10)), pd=int(opt.get("--points", 10)),
          blocks=int(opt.get("--blocks", 20)), alpha=float(opt.get("--alpha", 0.01)),
          delta=float(opt.get("--delta", 0.1)))
ins = [json.loads(l) for l in open(sys.argv[1])]
outs = [json.loads(l) for l in open(sys.argv[2])]
assert len(ins) == len(outs)
collapsed = decided = 0
for i, (a, r) in enumerate(zip(ins, outs)):
    w = stats(a["prompt"], a["tokens"], **kw)
    assert r["index"] == i
    assert r["final"]["tokens"] == w["tokens"] and r["final"]["counts"] == w["counts"], i
    assert r["distinct"] == w["distinct"] and r["distinct_context"] == w["distinct_context"]
    assert r["winners"]["window"] == w["window"], (i, r["winners"], w["window"])
    assert r["winners"]["growth"] == w["growth"], (i, r["winners"], w["growth"])
    if w["growth"] is not None:
        assert r["growth"]["from"] == w["from"] and close(r["growth"]["exponent"], w["exponent"])
    cl = w["classes"]
    if cl is None:
        assert r["gamma"] == [None] * len(w["tokens"]) and r["collapsed"] is None
    else:
        for k, j in enumerate(w["tokens"]):
            g, lo, hi, c = cl[j]
            if g is None:
                assert r["gamma"][k] is None and r["gamma_ci"][k] is None and j in r["classes"]["undecided"]
                continue
            inf = lambda x: None if x == math.inf else x
            assert close(r["gamma"][k], inf(g), 1e-6 * (1 + abs(g))), (i, j, r["gamma"][k], g)
            assert close(r["gamma_ci"][k], [inf(lo), inf(hi)], 1e-6 * (1 + abs(hi))), (i, j, r["gamma_ci"][k], lo, hi)
            if abs(hi - 1) > 1e-6 and abs(lo - (1 - kw["delta"])) > 1e-6:
                assert j in r["classes"][c + "s" if c != "undecided" else c], (i, j, c, r["classes"])
    assert r["collapsed"] == w["collapsed"], (i, r["collapsed"], w["collapsed"])
    assert r["collapse_time"] == w["collapse_time"], (i, r["collapse_time"], w["collapse_time"])
    assert r["collapse_ci"] == w["collapse_ci"], (i, r["collapse_ci"], w["collapse_ci"])
    assert (r["why"] is None) == (w["collapse_time"] is not None)
    collapsed += w["collapsed"] is True
    decided += w["collapsed"] is not None
    c = r["curve"]
    assert c["t"] == w["t"] and close(c["top1"], w["top1"]) and close(c["entropy"], w["entropy"])
    assert close(c["winner_share"], w["winner_share"])
    for k, v in w["repetition"].items():
        assert close(r["repetition"][k], v), (i, k)
print(len(ins), "trajectories,", decided, "decided,", collapsed, "collapsed")
assert collapsed >= 2
PY
		echo "$opts: $output"
		[ "$status" -eq 0 ]
	done
}

@test "brute force in python: repetition measures on long random sequences" {
	write_reference
	py <<'PY' >in
import json, random
rnd = random.Random(7)
for T in (2, 17, 129, 1000, 3000):
    for K in (2, 4, 30):
        y = [rnd.randrange(K) for _ in range(T)]
        print(json.dumps({"type": "trajectory", "prompt": [rnd.randrange(K)], "tokens": y}))
PY
	traj-stats in >out
	run py in out <<'PY'
import json, sys
sys.path.insert(0, ".")
from ref import repetition, close
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    w, g = repetition(json.loads(a)["tokens"]), json.loads(b)["repetition"]
    for k in w:
        assert close(g[k], w[k]), (k, g[k], w[k])
PY
	[ "$status" -eq 0 ]
}

@test "string tokens and --text: ids by first appearance, words printed" {
	printf 'the cat saw the cat\n\nA  b\tA\n' >doc
	traj-stats --text doc >out
	run jq -e -s 'length == 2 and .[0].final.tokens == ["the","cat","saw"] and
	    .[0].final.counts == [2,2,1] and .[0].prompt_length == 0 and
	    .[1].final.tokens == ["A","b"] and .[0].repetition.rep_16 == 0.5' out
	[ "$status" -eq 0 ]
	echo '{"type":"trajectory","prompt":["x"],"tokens":["y","x","x"]}' | traj-stats >out
	run jq -e '.final.tokens == ["x","y"] and .final.counts == [3,1]' out
	[ "$status" -eq 0 ]
	# the same statistics as the ids
	echo '{"type":"trajectory","prompt":[0],"tokens":[1,0,0]}' | traj-stats >ids
	[ "$(jq -c '[.repetition, .curve]' out)" = "$(jq -c '[.repetition, .curve]' ids)" ]
}

@test "mean field, two tokens that prefer each other: the mixture solves pi(f) = f" {
	# P = [[a, 1-a], [1-b, b]] with a, b < 1/2: neither vertex is stable
	# (P_kk < P_kj), the interior fixed point is; python finds it by bisection.
	py <<'PY' >c
import json
a, b = 0.3, 0.2
print(json.dumps({"type": "ccmc", "K": 2, "P": [[a, 1 - a], [1 - b, b]], "posw": None}))
print(json.dumps({"type": "trajectory", "prompt": [0, 1, 1], "tokens": [1, 0]}))
PY
	traj-stats --predict c >out
	run py out <<'PY'
import json, sys
a, b = 0.3, 0.2
def g(x):   # pi_0(f) - x for f = (x, 1 - x)
    q01 = (1 - x) * (1 - a) / (x * a + (1 - x) * (1 - a))
    q10 = x * (1 - b) / (x * (1 - b) + (1 - x) * b)
    return q10 / (q01 + q10) - x
lo, hi = 1e-9, 1 - 1e-9
for _ in range(200):
    mid = (lo + hi) / 2
    if g(lo) * g(mid) <= 0: hi = mid
    else: lo = mid
x = (lo + hi) / 2
p = json.load(open(sys.argv[1]))["prediction"]
att = p["attractors"]
assert len(att) == 1 and att[0]["tokens"] == [0, 1], att
assert abs(att[0]["f"][0] - x) < 1e-6, (att[0]["f"], x)
assert p["from_prompt"]["status"] == "stable" and p["from_prompt"]["tokens"] == [0, 1]
print(x)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "mean field: vertices by self-dominance, loser rates c_j = P_kj / P_kk" {
	attn-gen-model --vocab 6 --seed 3 | attn-to-ccmc --analyze >c
	printf '%s\n' '{"type":"trajectory","prompt":[0,1,2,3,4,5],"tokens":[2]}' >>c
	traj-stats --predict c >out
	run py c out <<'PY'
import json, sys
c = json.loads(open(sys.argv[1]).readline())
P, dom = c["P"], c["chain"]["self_dominant"]
p = json.load(open(sys.argv[2]))["prediction"]
singles = [a["tokens"][0] for a in p["attractors"] if len(a["tokens"]) == 1]
assert singles == dom, (singles, dom)
fp = p["from_prompt"]
if len(fp["tokens"]) == 1:
    k = fp["tokens"][0]
    for j, r in enumerate(fp["rates"]):
        assert (r is None) == (j == k)
        if j != k:
            assert abs(r - P[k][j] / P[k][k]) < 1e-12
print(singles, fp["tokens"])
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a model where token 2 must win: >= 99% of trajectories end on {2}, as predicted" {
	# Every row prefers 2 (logit +3) and 2 prefers itself (+6): the rate of
	# any loser j at {2} is P_2j / P_22 = e^-6, so losers die out fast.
	py <<'PY' >in
import json, math, random
K, k = 5, 2
A = [[0.0] * K for _ in range(K)]
for i in range(K):
    A[i][k] = 3.0
A[k][k] = 6.0
P = [[math.exp(x) / sum(math.exp(z) for z in r) for x in r] for r in A]
print(json.dumps({"type": "ccmc", "K": K, "A": A, "P": P, "posw": None}))
rnd = random.Random(11)
for _ in range(100):
    p = [rnd.randrange(K) for _ in range(rnd.randrange(1, 8))]
    p.insert(rnd.randrange(len(p) + 1), k)
    print(json.dumps({"type": "prompt", "prompt": p}))
PY
	attn-sample --trajectory --steps 3000 --seed 4 <in | traj-stats --predict >out
	[ "$(wc -l <out)" -eq 100 ]
	won=$(jq -s '[.[] | select(.winners.growth == [2] and .winners.window == [2])] | length' out)
	echo "won: $won of 100"
	[ "$won" -ge 99 ]
	run jq -e -s 'all(.[]; .prediction.attractors == [{"tokens":[2],"f":[1],"basin":1}] and
	    .prediction.from_prompt.tokens == [2] and .prediction.from_prompt.status == "stable" and
	    .prediction.growth.in_attractors)' out
	[ "$status" -eq 0 ]
}

@test "the ordinary Markov chain does not collapse where the CCMC of the same P does" {
	# --diag 2 makes most tokens self-dominant, so the CCMC has small
	# winner sets; T = 1e5 so that the growth exponents of the Markov
	# chain's tokens (all shares tending to pi > 0.1) are near 1 within noise
	attn-gen-model --vocab 6 --seed 4 --diag 2 >m
	attn-to-ccmc --analyze m >c
	for i in $(seq 20); do echo '{"type":"prompt","prompt":[0,1,2,3,4,5]}'; done >p
	cat m p | attn-sample --trajectory --steps 100000 --seed 7 | traj-stats >ccmc
	cat m p | attn-sample --trajectory --steps 100000 --seed 7 --markov | traj-stats >markov
	run py c ccmc markov <<'PY'
import json, sys
pi = json.loads(open(sys.argv[1]).readline())["chain"]["stationary"]
cc = [json.loads(l) for l in open(sys.argv[2])]
mk = [json.loads(l) for l in open(sys.argv[3])]
assert len(cc) == len(mk) == 20
# Markov: ergodic, every share tends to pi > 0, so every token keeps
# growing in proportion (exponent near 1) and nothing collapses.
for r in mk:
    assert r["collapse_time"] is None and r["winners"]["growth"] == list(range(6)), r["winners"]
    f = dict(zip(r["final"]["tokens"], r["final"]["freq"]))
    assert max(abs(f[j] - pi[j]) for j in range(6)) < 0.05
# CCMC: every trajectory ends on a strict subset of its tokens, most of
# them already collapsed.
ncoll = sum(r["collapse_time"] is not None for r in cc)
for r in cc:
    assert len(r["winners"]["growth"]) < 6, r["winners"]
    assert len(r["winners"]["window"]) < 6, r["winners"]
print("CCMC collapsed", ncoll, "of 20; Markov 0; top-1 share CCMC",
      min(r["final"]["freq"][0] for r in cc), "Markov", max(r["final"]["freq"][0] for r in mk))
assert ncoll >= 10
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "chain markov trajectories: no prediction unless --predict-markov; the summary counts them apart" {
	attn-gen-model --vocab 5 --seed 2 >m
	attn-sample --trajectory --markov --steps 2000 -n 6 --len 5 --seed 3 m |
	    tail -n +2 >mk
	attn-sample --trajectory --steps 2000 -n 4 --len 5 --seed 4 m |
	    tail -n +2 >cc
	sed 's/,"chain":"markov"}$/}/' mk >mk-bare
	[ "$(grep -c '"chain":"markov"' mk)" -eq 6 ]
	cat mk cc >both
	traj-stats --predict --model m both >a
	# the Markov ones: null with a reason, and the record says chain markov
	jq -s -e '.[:6] | map(.chain == "markov" and .prediction == null and
	    (.prediction_why | test("markov"))) | all' a
	jq -s -e '.[6:] | map((has("chain") | not) and (.prediction | type) ==
	    "object" and (has("prediction_why") | not)) | all' a
	# everything else as for the same trajectories without the field
	traj-stats --predict --model m mk-bare cc >b
	jq -c 'del(.chain, .prediction, .prediction_why)' a >a1
	jq -c 'del(.prediction)' b >b1
	cmp a1 b1
	jq -c '.prediction' a | tail -n 4 >a2
	jq -c '.prediction' b | tail -n 4 >b2
	cmp a2 b2
	# --predict-markov: the predictions of the bare records
	traj-stats --model m --predict-markov both | jq -c 'del(.chain)' >c
	jq -c . b >b3
	cmp c b3
	# the summary: agreement over the CCMC ones only, 6 skipped
	traj-stats --predict --summary --model m both | jq -c .prediction >s
	traj-stats --predict --summary --model m cc | jq -c '.prediction' >s-cc
	jq -e '.skipped_markov == 6' s
	jq -e '.skipped_markov == 0' s-cc
	[ "$(jq -c 'del(.skipped_markov)' s)" = "$(jq -c 'del(.skipped_markov)' s-cc)" ]
	traj-stats --summary --model m --predict-markov both | jq -c .prediction >s2
	traj-stats --predict --summary --model m mk-bare cc | jq -c .prediction >s3
	cmp s2 s3
	jq -e '.trajectories == 10 and .skipped_markov == 0' s2
	# only Markov ones: no prediction, all skipped; without a model null
	traj-stats --predict --summary --model m mk | jq -e '.prediction.trajectories == 0 and
	    .prediction.skipped_markov == 6 and .prediction.attractors.shares.exact == null'
	traj-stats --summary mk | jq -e '.prediction == null'
	traj-stats mk | jq -s -e 'map((has("prediction") | not) and .chain == "markov") | all'
	# the JSON parser's path (records with spaces) reads the field alike
	py mk >mk-spaced <<'PY'
import json, sys
for l in open(sys.argv[1]):
    print(json.dumps(json.loads(l)))
PY
	traj-stats --predict --model m mk-spaced >d
	traj-stats --predict --model m mk >e
	cmp d e
	# any other value is refused
	echo '{"type":"trajectory","prompt":[0,1],"tokens":[1,1],"chain":"ccmc"}' >bad
	run traj-stats bad
	[ "$status" -eq 65 ]
	[ "$output" = 'traj-stats: bad:1: "chain" is "markov" or absent' ]
}

@test "--summary agrees with the per-trajectory records" {
	attn-gen-model --vocab 5 --seed 2 | attn-sample --trajectory --steps 3000 -n 30 --len 5 --seed 3 >t
	traj-stats --predict t >each
	traj-stats --predict --summary t >sum
	[ "$(wc -l <sum)" -eq 1 ]
	run py each sum <<'PY'
import json, statistics, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
s = json.load(open(sys.argv[2]))
assert s["summary"] is True and s["trajectories"] == len(rs) == 30
for rule in ("window", "growth"):
    sizes = [len(r["winners"][rule]) for r in rs]
    h = s["winner_set_size"][rule]
    assert h == {str(k): sizes.count(k) for k in sorted(set(sizes))}, (h, sizes)
ct = [r["collapse_time"] for r in rs if r["collapse_time"] is not None]
assert s["collapse_time"]["trajectories"] == len(ct)
if ct:
    assert abs(s["collapse_time"]["mean"] - sum(ct) / len(ct)) < 1e-9
    assert s["collapse_time"]["median"] == statistics.median(ct)
c = s["classes"]
verdict = lambda r: {True: "collapsed", False: "not_collapsed", None: "undecided"}[r["collapsed"]]
for k in ("collapsed", "not_collapsed", "undecided"):
    n = sum(verdict(r) == k for r in rs)
    assert c[k] == n and c["shares"][k] == n / 30, (k, c)
decided = [r for r in rs if r["collapsed"] is not None]
won = {}
for r in decided:
    for t in r["classes"]["winners"]:
        won[str(t)] = won.get(str(t), 0) + 1
assert c["winner_tokens"] == won, (c["winner_tokens"], won)
sizes = [len(r["classes"]["winners"]) for r in decided]
assert c["winner_set_size"] == {str(k): sizes.count(k) for k in sorted(set(sizes))}
assert len(decided) >= 10
p = s["prediction"]
assert p["trajectories"] == 30 and p["decided"] == len(decided)
for where in ("attractors", "from_prompt"):
    for k in ("consistent", "exact"):
        n = sum((r["prediction"]["classes"] if where == "attractors" else
                 r["prediction"]["classes"]["from_prompt"])[k] for r in decided)
        assert p[where][k] == n and p[where]["shares"][k] == n / len(decided), (where, k)
assert all(r["prediction"]["classes"] is None for r in rs if r["collapsed"] is None)
for k, v in s["repetition"].items():
    assert abs(v - sum(r["repetition"][k] for r in rs) / 30) < 1e-12, k
assert s["curve"]["t"] == rs[0]["curve"]["t"]
for i in range(len(s["curve"]["t"])):
    for k in ("top1", "entropy", "winner_share"):
        assert abs(s["curve"][k][i] - sum(r["curve"][k][i] for r in rs) / 30) < 1e-12
print("agreement", s["prediction"])
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "--model FILE, other records ignored, output deterministic" {
	attn-gen-model --vocab 4 --seed 5 >m
	attn-sample --trajectory --steps 500 -n 3 --seed 2 <m >t
	grep -v attn-model t >only
	traj-stats --predict t >a
	traj-stats --predict --model m only >b
	cmp a b
	traj-stats --predict t >c
	cmp a c
	[ "$(jq -s 'map(has("prediction")) | all' a)" = true ]
	# predictions only when asked: the rest the same
	traj-stats t >d
	[ "$(jq -s 'map(has("prediction")) | any' d)" = false ]
	[ "$(jq -c 'del(.prediction)' a)" = "$(jq -c . d)" ]
	[ "$(traj-stats --summary t | jq -c .prediction)" = null ]
	# without a model: no prediction
	[ "$(traj-stats only | jq -s 'map(has("prediction")) | any')" = false ]
	# a closed stdout ends it quietly
	run sh -c 'traj-stats t | head -1 >/dev/null'
	[ "$status" -eq 0 ]
}

@test "bad input: exit 65 with FILE:LINE" {
	echo '{"type":"trajectory","prompt":[0],"tokens":[1]}' >ok
	# records before the bad line stay written, whole
	printf '%s\n' '{"type":"trajectory","prompt":[0],"tokens":[1]}' '{"type":"trajectory","prompt":[0]}' >f1
	run sh -c 'traj-stats f1 2>&1 >out'
	assert_error 65 traj-stats
	assert_located traj-stats
	[[ "${lines[0]}" == "traj-stats: f1:2: "* ]]
	[ "$(jq -s length out)" -eq 1 ]
	printf '%s\n' '{"type":"trajectory","prompt":[0],"tokens":[1' >f2
	run traj-stats f2
	assert_error 65 traj-stats
	[[ "${lines[0]}" == "traj-stats: f2:1: "* ]]
	echo '{"type":"trajectory","prompt":[0],"tokens":[-1]}' >f3
	run traj-stats f3
	assert_error 65 traj-stats
	echo '{"type":"trajectory","prompt":[0],"tokens":[1.5]}' >f4
	run traj-stats f4
	assert_error 65 traj-stats
	echo '{"type":"trajectory","prompt":[0],"tokens":["a",1]}' >f5
	run traj-stats f5
	assert_error 65 traj-stats
	assert_located traj-stats
	echo '{"type":"trajectory","prompt":0,"tokens":[1]}' >f6
	run traj-stats f6
	assert_error 65 traj-stats
	# token out of range of the model
	attn-gen-model --vocab 3 >m
	printf '%s\n' '{"type":"trajectory","prompt":[0],"tokens":[3]}' >f7
	run traj-stats --model m f7
	assert_error 65 traj-stats
	[[ "${lines[0]}" == "traj-stats: f7:1: "* ]]
	# --model FILE that holds no model
	run traj-stats --model ok ok
	assert_error 65 traj-stats
	[[ "${lines[0]}" == "traj-stats: ok:1: "* ]]
	# a bad ccmc record in the stream
	printf '%s\n' '{"type":"ccmc","K":2,"P":[[0.5,0.6],[0.5,0.5]]}' >f8
	run traj-stats f8
	assert_error 65 traj-stats
	run traj-stats no-such-file
	[ "$status" -eq 1 ]
}

@test "man page: sections and examples" {
	man=$TOP/man/traj-stats.1
	[ -f "$man" ]
	for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -q "^\.Sh $s" "$man" || { echo "no $s"; false; }
	done
	if command -v mandoc >/dev/null; then
		run mandoc -T lint -W warning "$man"
		echo "$output"
		[ "$status" -eq 0 ]
	fi
}

@test "notes: skipped record types counted, short --text documents, --quiet" {
	printf '%s\n' '{"type":"sample","prompt":[0,1],"y":1}' '{"type":"sample","prompt":[0],"y":0}' \
	    '{"type":"sample", "prompt":[0], "y":0}' '{"type":"prompt","prompt":[0]}' >s
	run traj-stats s
	[ "$status" -eq 65 ]
	# a failing run says its error alone, without the notes
	[ "$output" = "traj-stats: s:4: no trajectory record in the input" ]
	run traj-stats --quiet s
	[ "$status" -eq 65 ] && [ "${#lines[@]}" -eq 1 ]
	# with a trajectory: the records are written, the notes on stderr
	echo '{"type":"trajectory","prompt":[0],"tokens":[1]}' >>s
	run sh -c 'traj-stats s 2>err >out'
	[ "$status" -eq 0 ] && [ "$(wc -l <out)" -eq 1 ] && [ "$(wc -l <err)" -eq 2 ]
	grep -qxF 'traj-stats: note: skipped 3 records of type "sample" (reads trajectory records, and attn-model or ccmc ones for predictions)' err
	grep -qxF 'traj-stats: note: skipped 1 record of type "prompt" (reads trajectory records, and attn-model or ccmc ones for predictions)' err
	# a trajectory alone: nothing on stderr
	echo '{"type":"trajectory","prompt":[0],"tokens":[1]}' >t
	[ -z "$(traj-stats t 2>&1 >/dev/null)" ]
	printf 'a b c\nd e f g\n' >d
	run sh -c 'traj-stats --text --window 4 d 2>&1 >/dev/null'
	[ "$output" = "traj-stats: note: 1 of 2 documents are shorter than the window (4 tokens): their window rule uses the whole document" ]
	[ -z "$(traj-stats --text --window 3 d 2>&1 >/dev/null)" ]
	[ -z "$(traj-stats --text --quiet d 2>&1 >/dev/null)" ]
}

@test "published measures: Welleck et al. 2020 and Li et al. 2016 by their definitions, exactly" {
	# The definitions written here from the papers and Welleck et al.'s
	# evaluation code (traj-stats(1), PUBLISHED MEASURES), set-based and
	# slow: seq-rep-n over the continuation averaged over sequences; rep/l
	# and the model's next-token rep/l, wrep/l and uniq summed over target
	# tokens (the first one included) with the prefix in the window;
	# corpus-level distinct-n over all tokens; --exclude leaves tokens out.
	attn-gen-model --vocab 7 --seed 3 --scale 2 >m
	attn-to-ccmc m >c
	{ attn-sample --trajectory -n 5 --steps 300 --len 9 --seed 2 m;
	  echo '{"type":"trajectory","prompt":[],"tokens":[4,4,4,1]}';
	  echo '{"type":"trajectory","prompt":[2],"tokens":[2]}'; } >t
	printf '%s\n' "the license of the license of the <unk> of" "a b a b <unk> <unk> a" "x" >text
	for ex in "" "--exclude 4 --exclude 2" ; do
		traj-stats $ex t >r
		traj-stats --summary $ex t >s
		run py c t r s $ex <<'PY'
import json, math, sys
P = json.loads(open(sys.argv[1]).readline())["P"]
ex = {int(a) for a in sys.argv[6::2]}
ts = [json.loads(l) for l in open(sys.argv[2]) if '"trajectory"' in l]
rs = [json.loads(l)["published"] for l in open(sys.argv[3])]
S = json.load(open(sys.argv[4]))["published"]
def grams(y, n):
    return [tuple(y[i:i + n]) for i in range(len(y) - n + 1) if not ex & set(y[i:i + n])]
def pred(ctx, at):
    if at == 0:
        return None
    i, m = ctx[at - 1], {}
    for s in ctx[:at]:
        m[s] = m.get(s, 0) + 1
    return max(sorted(m), key=lambda j: m[j] * P[i][j])   # first maximum: smallest id
tot = {"targets": 0, "rep": [0] * 4, "next": [0] * 4, "wnext": [0] * 4}
uniq, corpus, seqrep, liseq = set(), [set() for _ in range(4)], [[] for _ in range(4)], [[] for _ in range(4)]
for t, r in zip(ts, rs):
    p, y = t["prompt"], t["tokens"]
    ctx, L = p + y, len(p)
    targets = [k for k in range(len(y)) if y[k] not in ex]
    mine = set()
    for k, l in enumerate((16, 32, 128, 512)):
        hits = [y[s] in ctx[max(0, L + s - l):L + s] for s in targets]
        preds = [pred(ctx, L + s) for s in targets]
        nh = [q is not None and q in ctx[max(0, L + s - l):L + s] for s, q in zip(targets, preds)]
        wh = [h and q != y[s] for h, q, s in zip(nh, preds, targets)]
        want = sum(hits) / len(targets) if targets else None
        assert r["rep_%d" % l] == want, (l, r["rep_%d" % l], want)
        assert r["next_rep_%d" % l] == (sum(nh) / len(targets) if targets else None)
        assert r["next_wrep_%d" % l] == (sum(wh) / len(targets) if targets else None)
        tot["rep"][k] += sum(hits); tot["next"][k] += sum(nh); tot["wnext"][k] += sum(wh)
        mine |= {q for q in preds if q is not None}
    assert r["next_uniq"] == len(mine), (r["next_uniq"], mine)
    uniq |= mine
    tot["targets"] += len(targets)
    for n in range(1, 5):
        g = grams(y, n)
        want = 1 - len(set(g)) / len(g) if g else None
        assert r["seq_rep_%d" % n] == want, (n, r["seq_rep_%d" % n], want)
        if g:
            seqrep[n - 1].append(want)
        assert r["distinct_%d" % n] == (len(set(g)) / len(targets) if targets else None)
        if targets:
            liseq[n - 1].append(len(set(g)) / len(targets))
        corpus[n - 1] |= set(g)
    assert r["uniq_seq"] == len(set(y) - ex)
T = tot["targets"]
for n in range(1, 5):
    assert S["seq_rep_%d" % n] == sum(seqrep[n - 1]) / len(seqrep[n - 1])
    assert S["distinct_%d" % n] == len(corpus[n - 1]) / T
    assert S["distinct_per_sequence_%d" % n] == sum(liseq[n - 1]) / len(liseq[n - 1])
for k, l in enumerate((16, 32, 128, 512)):
    assert S["rep_%d" % l] == tot["rep"][k] / T
    assert S["next_rep_%d" % l] == tot["next"][k] / T
    assert S["next_wrep_%d" % l] == tot["wnext"][k] / T
assert S["next_uniq"] == len(uniq) and S["uniq_seq"] == len(corpus[0])
print(T, "targets", S["distinct_2"], S["rep_16"], S["next_wrep_16"])
PY
		echo "$ex: $output"
		[ "$status" -eq 0 ]
	done
	# text: words, <unk> left out; no model, so no next-token measures
	traj-stats --text --summary --exclude '<unk>' text >s
	run py text s <<'PY'
import json, sys
docs = [l.split() for l in open(sys.argv[1])]
S = json.load(open(sys.argv[2]))["published"]
grams = [set() for _ in range(4)]
toks = 0
for d in docs:
    toks += sum(w != "<unk>" for w in d)
    for n in range(1, 5):
        grams[n - 1] |= {tuple(d[i:i + n]) for i in range(len(d) - n + 1) if "<unk>" not in d[i:i + n]}
for n in range(1, 5):
    assert S["distinct_%d" % n] == len(grams[n - 1]) / toks, n
assert S["uniq_seq"] == len(grams[0]) and S["next_uniq"] is None and S["next_rep_16"] is None
print(S["distinct_1"], S["distinct_2"])
PY
	echo "$output"
	[ "$status" -eq 0 ]
}
