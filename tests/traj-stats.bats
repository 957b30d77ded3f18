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

def stats(prompt, y, W=1000, eps=0.05, frm=0.1, gmin=0.9, minc=10, pd=10):
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
    collapse = None
    if gset is not None and 0 < len(gset) < len(final):
        Wc = min(W, T)
        bad = [v for v in range(1, T - Wc + 2)
               if not at_least(sum(y[i] in gset for i in range(v - 1, v - 1 + Wc)), 1 - eps, Wc)]
        collapse = 0 if not bad else (None if bad[-1] == T - Wc + 1 else bad[-1])
    out["collapse_time"] = collapse
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
	# Collapse: winners {0}; the last window of 5 that holds a non-winner
	# starts at step 7 (the last 1 is y_7).
	echo '{"type":"trajectory","prompt":[],"tokens":[1,2,1,2,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}' >c
	[ "$(traj-stats --window 5 --eps 0 --from 0.5 --min-count 1 c | jq -c '[.winners.growth, .collapse_time]')" = "[[0],7]" ]
	# a non-winner in the last window: no collapse
	echo '{"type":"trajectory","prompt":[],"tokens":[1,2,1,2,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]}' >c
	[ "$(traj-stats --window 5 --eps 0 --from 0.5 --min-count 1 c | jq -c '.collapse_time')" = "null" ]
	# winners = every token of the context: nothing lost, no collapse
	echo '{"type":"trajectory","prompt":[],"tokens":[0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1]}' >c
	[ "$(traj-stats --window 4 --min-count 1 c | jq -c '[.winners.growth, .collapse_time]')" = "[[0,1],null]" ]
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
        y = []
        for t in range(T):       # sticky sequences collapse now and then
            y.append(y[-1] if y and rnd.random() < stick else rnd.randrange(K) * 7)
        f.write(json.dumps({"type": "trajectory", "prompt": prompt, "tokens": y}) + "\n")
PY
	for opts in "" "--window 20 --eps 0.1" "--window 7 --eps 0 --from 0.5 --min-count 2" \
	    "--window 50 --eps 0.2 --gamma 0.8 --min-count 1 --points 3"; do
		traj-stats $opts in >out
		run py in out $opts <<'PY'
import json, sys
sys.path.insert(0, ".")
from ref import stats, close
args = sys.argv[3:]
opt = dict(zip(args[::2], args[1::2]))
kw = dict(W=int(opt.get("--window", 1000)), eps=float(opt.get("--eps", 0.05)),
          frm=float(opt.get("--from", 0.1)), gmin=float(opt.get("--gamma", 0.9)),
          minc=int(opt.get("--min-count", 10)), pd=int(opt.get("--points", 10)))
ins = [json.loads(l) for l in open(sys.argv[1])]
outs = [json.loads(l) for l in open(sys.argv[2])]
assert len(ins) == len(outs)
collapsed = 0
for i, (a, r) in enumerate(zip(ins, outs)):
    w = stats(a["prompt"], a["tokens"], **kw)
    assert r["index"] == i
    assert r["final"]["tokens"] == w["tokens"] and r["final"]["counts"] == w["counts"], i
    assert r["distinct"] == w["distinct"] and r["distinct_context"] == w["distinct_context"]
    assert r["winners"]["window"] == w["window"], (i, r["winners"], w["window"])
    assert r["winners"]["growth"] == w["growth"], (i, r["winners"], w["growth"])
    if w["growth"] is not None:
        assert r["growth"]["from"] == w["from"] and close(r["growth"]["exponent"], w["exponent"])
    assert r["collapse_time"] == w["collapse_time"], (i, r["collapse_time"], w["collapse_time"])
    collapsed += w["collapse_time"] is not None
    c = r["curve"]
    assert c["t"] == w["t"] and close(c["top1"], w["top1"]) and close(c["entropy"], w["entropy"])
    assert close(c["winner_share"], w["winner_share"])
    for k, v in w["repetition"].items():
        assert close(r["repetition"][k], v), (i, k)
print(len(ins), "trajectories,", collapsed, "collapsed")
assert collapsed >= 3
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
	traj-stats c >out
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
	traj-stats c >out
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
	attn-sample --trajectory --steps 3000 --seed 4 <in | traj-stats >out
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

@test "--summary agrees with the per-trajectory records" {
	attn-gen-model --vocab 5 --seed 2 | attn-sample --trajectory --steps 3000 -n 30 --len 5 --seed 3 >t
	traj-stats t >each
	traj-stats --summary t >sum
	[ "$(wc -l <sum)" -eq 1 ]
	run py each sum <<'PY'
import json, statistics, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
s = json.load(open(sys.argv[2]))
assert s["summary"] is True and s["trajectories"] == len(rs) == 30
for rule in ("window", "growth"):
    sizes = [len(r["winners"][rule]) for r in rs]
    h = s["winner_set_size"][rule]
    assert all(h[k] == sizes.count(k) for k in range(len(h))) and sum(h) == 30
ct = [r["collapse_time"] for r in rs if r["collapse_time"] is not None]
assert s["collapsed"] == len(ct)
if ct:
    assert abs(s["collapse_time"]["mean"] - sum(ct) / len(ct)) < 1e-9
    assert s["collapse_time"]["median"] == statistics.median(ct)
for k, v in s["repetition"].items():
    assert abs(v - sum(r["repetition"][k] for r in rs) / 30) < 1e-12, k
assert s["curve"]["t"] == rs[0]["curve"]["t"]
for i in range(len(s["curve"]["t"])):
    for k in ("top1", "entropy", "winner_share"):
        assert abs(s["curve"][k][i] - sum(r["curve"][k][i] for r in rs) / 30) < 1e-12
for rule in ("window", "growth"):
    for k in ("in_attractors", "from_prompt"):
        want = sum(r["prediction"][rule][k] for r in rs) / 30
        assert abs(s["prediction"][rule][k] - want) < 1e-12, (rule, k)
print("agreement", s["prediction"])
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "--model FILE, other records ignored, output deterministic" {
	attn-gen-model --vocab 4 --seed 5 >m
	attn-sample --trajectory --steps 500 -n 3 --seed 2 <m >t
	grep -v attn-model t >only
	traj-stats t >a
	traj-stats --model m only >b
	cmp a b
	traj-stats t >c
	cmp a c
	[ "$(jq -s 'map(has("prediction")) | all' a)" = true ]
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
