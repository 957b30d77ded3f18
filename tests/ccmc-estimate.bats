#!/usr/bin/env bats
# ccmc-estimate: the MLE against independent computations (shared vectors,
# closed forms, brute-force log-likelihoods in python), its statistics
# against theory with fixed seeds, and its refusal of bad input.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# same A B: two estimates agree (P to 1e-12, loglik to 1e-12 relative, the
# same identifiability); summation order may differ in the last bits.
same() {
	py "$1" "$2" <<'EOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for x, y in zip(sum(a["P"], []), sum(b["P"], [])):
    assert (x is None) == (y is None) and (x is None or abs(x - y) <= 1e-12), (x, y)
la, lb = a["fit"]["loglik"], b["fit"]["loglik"]
assert abs(la - lb) <= 1e-12 * abs(la), (la, lb)
assert a["identifiability"]["rows"] == b["identifiability"]["rows"]
assert a["fit"]["samples"] == b["fit"]["samples"] > 0
EOF
}

@test "ccmc-estimate: matches the shared MLE vector (loglik 1e-12 rel, P 1e-8)" {
	ccmc-estimate "$VECTORS/mle.ndjson" >"$T/est"
	py "$VECTORS/mle.ndjson" "$T/est" <<'EOF'
import json, sys
exp = [json.loads(l) for l in open(sys.argv[1]) if '"expect"' in l][0]
est = json.load(open(sys.argv[2]))
ll = est["fit"]["loglik"]
# the vector's optimum is refined to ~1e-12 in the log-likelihood and
# ~1e-9 in P; the final Newton step brings ours to rounding
assert abs(ll - exp["loglik"]) <= 1e-12 * abs(exp["loglik"]), (ll, exp["loglik"])
d = max(abs(a - b) for r, s in zip(est["P"], exp["P"]) for a, b in zip(r, s))
assert d <= 1e-8, d
assert est["fit"]["converged"] and est["fit"]["mle_exists"]
assert est["identifiability"]["determined_rows"] == 5
EOF
}

@test "ccmc-estimate: prompts holding every token once give N_ij / N_i (1e-12)" {
	py "$T/data" <<'EOF'
import json, random, sys
random.seed(7)
K = 4
with open(sys.argv[1], "w") as f:
    for s in range(3000):
        p = list(range(K)); random.shuffle(p)
        i = p[-1]
        y = random.choices(range(K), weights=[1 + (i * 3 + j) % 5 for j in range(K)])[0]
        f.write(json.dumps({"type": "sample", "prompt": p, "y": y}) + "\n")
EOF
	ccmc-estimate "$T/data" >"$T/est"
	py "$T/data" "$T/est" <<'EOF'
import json, sys
K = 4
N = [[0] * K for _ in range(K)]
for l in open(sys.argv[1]):
    r = json.loads(l); N[r["prompt"][-1]][r["y"]] += 1
P = json.load(open(sys.argv[2]))["P"]
for i in range(K):
    for j in range(K):
        f = N[i][j] / sum(N[i])
        assert abs(P[i][j] - f) <= 1e-12, (i, j, P[i][j], f)
EOF
}

@test "ccmc-estimate: exact to the last step: 3x10^5 samples of one context give N_j / N (1e-12 rel) and standard errors sqrt(q (1 - q) / N) at that point (1e-10 rel)" {
	# One context holding every token once: the MLE is the empirical
	# frequency q and the delta method's standard error of it is
	# sqrt(q (1 - q) / N).  Summed plainly, the objective over 3x10^5
	# samples carried more rounding than the final Newton step's gain and
	# the step was refused (7.8e-9 off); and the standard errors came from
	# the Hessian of the iterate before that step (3.8e-9 off).
	attn-gen-model --vocab 6 --seed 1 >"$T/m"
	(cat "$T/m"; yes '{"type":"prompt","prompt":[1,2,3,4,5,0]}' | head -300000) |
	    attn-sample --markov --seed 2 >"$T/s"
	ccmc-estimate --quiet "$T/s" >"$T/est"
	py "$T/s" "$T/est" <<'EOF'
import json, sys
n = [0] * 6
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "sample":
        n[r["y"]] += 1
N = sum(n)
est = json.load(open(sys.argv[2]))
assert est["fit"]["samples_per_row"][0] == N == 300000
for j in range(6):
    q = n[j] / N
    p, se = est["P"][0][j], est["stderr"]["P"][0][j]
    assert abs(p - q) <= 1e-12 * q, (j, p, q)
    want = (q * (1 - q) / N) ** 0.5
    assert abs(se - want) <= 1e-10 * want, (j, se, want)
EOF
}

@test "ccmc-estimate: optimality: gradient below tolerance, every perturbation lowers the log-likelihood" {
	ccmc-estimate "$VECTORS/mle.ndjson" >"$T/est"
	py "$VECTORS/mle.ndjson" "$T/est" <<'EOF'
import json, math, sys
samples = [json.loads(l) for l in open(sys.argv[1]) if '"sample"' in l]
est = json.load(open(sys.argv[2]))
P = est["P"]; K = len(P)
A = [[math.log(x) for x in row] for row in P]
def loglik(A):
    # independent: Pr(y | prompt) = m_y exp(A_iy) / sum_l m_l exp(A_il)
    tot = 0.0
    for s in samples:
        i = s["prompt"][-1]; m = {}
        for t in s["prompt"]: m[t] = m.get(t, 0) + 1
        z = sum(c * math.exp(A[i][l]) for l, c in m.items())
        tot += math.log(m[s["y"]] * math.exp(A[i][s["y"]]) / z)
    return tot
base = loglik(A)
assert abs(base - est["fit"]["loglik"]) <= 1e-9 * abs(base)
# gradient, row by row, scaled by the row's samples
g = [[0.0] * K for _ in range(K)]; n = [0] * K
for s in samples:
    i = s["prompt"][-1]; n[i] += 1; m = {}
    for t in s["prompt"]: m[t] = m.get(t, 0) + 1
    z = sum(c * P[i][l] for l, c in m.items())
    g[i][s["y"]] += 1
    for l, c in m.items(): g[i][l] -= c * P[i][l] / z
worst = max(abs(g[i][j]) / n[i] for i in range(K) for j in range(K))
assert worst <= 1e-12, worst   # after the final Newton step: rounding
for i in range(K):
    for j in range(K):
        for h in (1e-3, -1e-3):
            B = [r[:] for r in A]; B[i][j] += h
            assert loglik(B) < base, (i, j, h)
EOF
}

@test "ccmc-estimate: consistency: squared P error falls like 1/n (log-log slope -1 +/- 0.2)" {
	# ||P_hat - P||^2 is asymptotically a weighted sum of ~K(K-1) = 30
	# chi-square(1) terms over n; for this model n * error is ~32 with a
	# relative spread of ~0.35 per replicate (measured at n = 1e3 and 1e5).
	# Averaging R = 8, 8, 4, 2 replicates at n = 1e3..1e6 and fitting a line
	# gives a slope standard deviation of about 0.037: the tolerance 0.2 is
	# over 5 sigma, so the test fails only if the rate is wrong.
	attn-gen-model --vocab 6 --seed 2 >"$T/model"
	for spec in 1000:1:8 10000:11:8 100000:21:4 1000000:31:2; do
		n=${spec%%:*}; r=${spec#*:}; s0=${r%%:*}; R=${r#*:}
		for k in $(seq 0 $((R - 1))); do
			attn-sample --model "$T/model" --via ccmc -n "$n" --len 8 \
			    --seed $((s0 + k)) </dev/null | ccmc-estimate >"$T/est"
			py "$n" "$T/est" <<'EOF' >>"$T/err"
import json, sys
e = json.load(open(sys.argv[2]))
assert e["fit"]["converged"], e["fit"]
print(sys.argv[1], e["error"]["P_sq"])
EOF
		done
	done
	py "$T/err" <<'EOF'
import math, sys
by = {}
for l in open(sys.argv[1]):
    n, e = l.split(); by.setdefault(int(n), []).append(float(e))
xs = [math.log(n) for n in sorted(by)]
ys = [math.log(sum(by[n]) / len(by[n])) for n in sorted(by)]
mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
print("slope", slope)
assert abs(slope + 1) <= 0.2, slope
EOF
}

@test "ccmc-estimate: blocks prompts: cross-block entries unidentified, within-block ones recovered" {
	attn-gen-model --vocab 9 --seed 4 >"$T/model"
	attn-to-ccmc "$T/model" >"$T/truth"
	attn-sample --model "$T/model" --via ccmc -n 40000 --len 6 \
	    --prompts blocks:3 --seed 9 </dev/null | ccmc-estimate >"$T/est"
	py "$T/truth" "$T/est" <<'EOF'
import json, sys
P = json.load(open(sys.argv[1]))["P"]
e = json.load(open(sys.argv[2]))
K = 9
blk = lambda j: j // 3
assert e["identifiability"]["determined_rows"] == 0
for i in range(K):
    r = e["identifiability"]["rows"][i]
    assert r["components"] == [[j for j in range(K) if blk(j) == blk(i)]], r
    assert r["unseen"] == [j for j in range(K) if blk(j) != blk(i)], r
    assert not r["determined"]
    assert all(x is None for x in e["P"][i])
    for j in range(K):
        c = e["identifiability"]["conditional"][i][j]
        se = e["stderr"]["conditional"][i][j]
        if blk(j) != blk(i):
            assert c is None and se is None and e["A"][i][j] is None
            continue
        truth = P[i][j] / sum(P[i][l] for l in range(K) if blk(l) == blk(i))
        # 27 estimates: |z| < 4.5 for all of them unless something is wrong
        assert abs(c - truth) <= 4.5 * se, (i, j, c, truth, se)
assert e["error"]["P_entries"] == 0 and e["error"]["conditional_entries"] == 27
assert e["error"]["conditional_max_abs"] < 0.05
EOF
}

@test "ccmc-estimate: nominal 95% intervals from standard errors cover the truth 90-99% of the time" {
	attn-gen-model --vocab 4 --seed 6 >"$T/model"
	attn-to-ccmc "$T/model" >"$T/truth"
	for s in $(seq 1 25); do
		attn-sample --model "$T/model" --via ccmc -n 3000 --len 5 \
		    --seed "$s" </dev/null | ccmc-estimate >>"$T/est"
	done
	py "$T/truth" "$T/est" <<'EOF'
import json, sys
P = json.load(open(sys.argv[1]))["P"]
hit = tot = 0
for l in open(sys.argv[2]):
    e = json.loads(l)
    for i in range(4):
        for j in range(4):
            tot += 1
            hit += abs(e["P"][i][j] - P[i][j]) <= 1.96 * e["stderr"]["P"][i][j]
# 400 intervals: binomial sd of the rate ~0.011 around 0.95
print(hit, tot)
assert tot == 400 and 0.90 <= hit / tot <= 0.99, (hit, tot)
EOF
}

@test "ccmc-estimate: bootstrap intervals are ordered, hold the estimate and repeat under a seed" {
	attn-gen-model --vocab 4 --seed 6 >"$T/model"
	attn-sample --model "$T/model" --via ccmc -n 2000 --len 5 --seed 3 \
	    </dev/null >"$T/data"
	ccmc-estimate --bootstrap 60 --seed 5 "$T/data" >"$T/a"
	ccmc-estimate --bootstrap 60 --seed 5 "$T/data" >"$T/b"
	cmp "$T/a" "$T/b"
	py "$T/a" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
b = e["stderr"]["bootstrap"]
assert b["B"] == 60
for i in range(4):
    for j in range(4):
        lo, hi, p, se = b["P_lo"][i][j], b["P_hi"][i][j], e["P"][i][j], e["stderr"]["P"][i][j]
        assert lo <= p <= hi, (lo, p, hi)
        # percentile and normal intervals agree roughly in width
        assert 0.5 < (hi - lo) / (2 * 1.96 * se) < 2, (lo, hi, se)
EOF
}

@test "ccmc-estimate: a trajectory is the samples of its steps" {
	attn-gen-model --vocab 5 --seed 8 >"$T/model"
	attn-sample --model "$T/model" --trajectory -n 3 --steps 400 --len 12 \
	    --seed 2 </dev/null >"$T/traj"
	py "$T/traj" <<'EOF' >"$T/samples"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] != "trajectory":
        print(l, end=""); continue
    ctx = list(r["prompt"])
    for t in r["tokens"]:
        print(json.dumps({"type": "sample", "prompt": ctx, "y": t}))
        ctx = ctx + [t]
EOF
	ccmc-estimate "$T/traj" >"$T/a"
	ccmc-estimate "$T/samples" >"$T/b"
	same "$T/a" "$T/b"
	# a window: the same as cutting each context to its last 7 tokens
	py "$T/traj" <<'EOF' >"$T/samples7"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] != "trajectory":
        print(l, end=""); continue
    ctx = list(r["prompt"])
    for t in r["tokens"]:
        if t in ctx[-7:]:
            print(json.dumps({"type": "sample", "prompt": ctx[-7:], "y": t}))
        ctx = ctx + [t]
EOF
	ccmc-estimate --window 7 "$T/traj" >"$T/a"
	ccmc-estimate "$T/samples7" >"$T/b"
	same "$T/a" "$T/b"
}

@test "ccmc-estimate: the fast reader and the JSON parser read alike" {
	attn-gen-model --vocab 5 --seed 8 >"$T/model"
	attn-sample --model "$T/model" -n 500 --len 6 --seed 2 </dev/null >"$T/a"
	sed 's/,"y":/, "y" : /; s/"prompt":\[/"prompt": [ /' "$T/a" >"$T/b"
	! cmp -s "$T/a" "$T/b"
	ccmc-estimate "$T/a" >"$T/ea"
	ccmc-estimate "$T/b" >"$T/eb"
	cmp "$T/ea" "$T/eb"
}

@test "ccmc-estimate: a token present but never chosen: no MLE, reported; a ridge keeps it finite" {
	py >"$T/data" <<'EOF'
import json
# row 0: token 2 is in every prompt and never chosen; 0 and 1 trade places
for s in range(40):
    print(json.dumps({"type": "sample", "prompt": [2, 1, 0] if s % 2 else [1, 2, 0], "y": s % 3 % 2}))
EOF
	ccmc-estimate --vocab 3 "$T/data" >"$T/est"
	py "$T/est" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
r = e["identifiability"]["rows"][0]
assert r["mle_exists"] is False and r["zero"] == [2] and r["determined"]
assert e["fit"]["mle_exists"] is False
assert e["P"][0][2] == 0.0 and e["A"][0][2] is None
assert abs(e["P"][0][0] + e["P"][0][1] - 1) < 1e-15
# rows 1 and 2 have no samples: nothing is determined
assert all(x is None for x in e["P"][1] + e["P"][2] + e["A"][1])
EOF
	ccmc-estimate --vocab 3 --l2 0.1 "$T/data" >"$T/est"
	py "$T/est" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["identifiability"]["rows"][0]["zero"] == []
assert 0 < e["P"][0][2] < 0.1 and e["fit"]["converged"]
EOF
}

@test "ccmc-estimate: positional weights: loglik matches an independent computation" {
	attn-gen-model --vocab 4 --pos 10 --seed 3 >"$T/model"
	attn-to-ccmc "$T/model" >"$T/truth"
	attn-sample --model "$T/model" -n 800 --len 3:10 --seed 4 </dev/null >"$T/data"
	ccmc-estimate "$T/data" >"$T/est"
	py "$T/truth" "$T/data" "$T/est" <<'EOF'
import json, math, sys
posw = json.load(open(sys.argv[1]))["posw"]
e = json.load(open(sys.argv[3]))
assert e["fit"]["weights"] == "position-weighted counts"
P = e["P"]; ll = 0.0
for l in open(sys.argv[2]):
    s = json.loads(l)
    if s["type"] != "sample": continue
    p = s["prompt"]; L = len(p); i = p[-1]; w = {}
    for t, k in enumerate(p): w[k] = w.get(k, 0.0) + posw[L - 1][t]
    ll += math.log(w[s["y"]] * P[i][s["y"]] / sum(c * P[i][k] for k, c in w.items()))
assert abs(ll - e["fit"]["loglik"]) <= 1e-9 * abs(ll), (ll, e["fit"]["loglik"])
assert e["fit"]["converged"]
EOF
}

@test "ccmc-estimate: bad input exits 65 with FILE:LINE" {
	attn-gen-model --vocab 4 >"$T/model"
	{ cat "$T/model"; echo '{"type":"sample","prompt":[1,2],"y":2}'
	  echo '{"type":"sample","prompt":[1,4],"y":1}'; } >"$T/a"
	run ccmc-estimate "$T/a"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ $output == *":3: token 4 out of range (K = 4)"* ]]
	{ cat "$T/model"; echo '{"type":"sample","prompt":[1,2],"y":3}'; } >"$T/b"
	run ccmc-estimate "$T/b"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ $output == *":2: y = 3 is not in its prompt"* ]]
	attn-gen-model --vocab 5 >"$T/model5"
	cat "$T/model" "$T/model5" >"$T/c"
	run ccmc-estimate "$T/c"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ $output == *":2: mixed K"* ]]
	printf '{"type":"sample","prompt":[1,2],"y":2}\n{"type":"sample","prompt":[1,2],"y":2\n' >"$T/d"
	run ccmc-estimate "$T/d"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	[[ $output == *"d:2: invalid JSON"* ]]
	echo '{"type":"sample","prompt":[1,02],"y":1}' >"$T/e"
	run ccmc-estimate "$T/e"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	echo '{"type":"trajectory","prompt":[1,2],"tokens":[2,0]}' >"$T/f"
	run ccmc-estimate "$T/f"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	echo '{"type":"sample","prompt":[],"y":1}' >"$T/g"
	run ccmc-estimate "$T/g"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
	run ccmc-estimate --vocab 2 "$T/d"
	assert_error 65 ccmc-estimate; assert_located ccmc-estimate
}

@test "ccmc-estimate: usage errors exit 2; --help exits 0" {
	run ccmc-estimate --l2 -1
	assert_error 2 ccmc-estimate
	run ccmc-estimate --method magic
	assert_error 2 ccmc-estimate
	run ccmc-estimate --bogus
	assert_error 2 ccmc-estimate
	run ccmc-estimate --help
	[ "$status" -eq 0 ] && [[ $output == usage:* ]]
}

@test "ccmc-estimate: --window reports coverage = samples / (samples + skipped); --brief drops the details, keeps the conditionals" {
	attn-gen-model --vocab 6 --seed 8 >"$T/model"
	attn-sample --model "$T/model" --trajectory -n 2 --steps 300 --len 10 \
	    --seed 3 </dev/null >"$T/traj"
	ccmc-estimate --window 4 "$T/traj" >"$T/a"
	py "$T/traj" "$T/a" <<'EOF2'
import json, sys
cov = n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] != "trajectory":
        continue
    ctx = list(r["prompt"])
    for t in r["tokens"]:
        n += 1; cov += t in ctx[-4:]; ctx.append(t)
f = json.load(open(sys.argv[2]))["fit"]
assert f["samples"] == cov and f["skipped"] == n - cov, (f["samples"], cov)
assert abs(f["coverage"] - cov / n) < 1e-15
EOF2
	[ "$(jq .meta.window "$T/a")" -eq 4 ]
	ccmc-estimate --window 4 --brief "$T/traj" >"$T/b"
	[ "$(jq -c 'has("stderr"), has("error"), (.identifiability | keys)' "$T/b" | tr -d '\n')" = 'falsetrue["conditional","determined_rows"]' ]
	[ "$(jq -c .P "$T/a")" = "$(jq -c .P "$T/b")" ]
	[ "$(jq -c .identifiability.conditional "$T/a")" = "$(jq -c .identifiability.conditional "$T/b")" ]
}

@test "ccmc-estimate: --window: a skipped sample whose L prompt tokens are distinct and none is y, at every fill of its row (sanitizer and valgrind builds see a write past the row)" {
	py >"$T/s" <<'EOF2'
for i in range(300):
    print('{"type":"sample","prompt":[1,2,3,0],"y":1}')
    print('{"type":"sample","prompt":[1,2,3,0],"y":5}')
EOF2
	ccmc-estimate --quiet --vocab 6 --window 4 "$T/s" >"$T/a"
	[ "$(jq -c '[.fit.samples, .fit.skipped]' "$T/a")" = '[300,300]' ]
}

@test "ccmc-estimate: a truth with logits near 1e300 keeps its \"error\" object; the overflowing squares are null with a note" {
	# Each sample set gives A_hat = 0, so the logit error is 1e300 per
	# entry: its square overflows a double, its largest size does not.
	cat >"$T/in" <<'IN'
{"type":"ccmc","K":2,"A":[[1e300,-1e300],[-1e300,1e300]],"P":[[1,0],[0,1]],"posw":null}
{"type":"sample","prompt":[0,1],"y":1}
{"type":"sample","prompt":[0,1],"y":0}
{"type":"sample","prompt":[1,0],"y":1}
{"type":"sample","prompt":[1,0],"y":0}
IN
	ccmc-estimate --brief "$T/in" >"$T/out" 2>"$T/err"
	[ "$(cat "$T/err")" = "ccmc-estimate: note: error.A_sq exceeds the range of a double; written as null" ]
	py "$T/out" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["A_entries"] == 4 and e["A_sq"] is None, e
assert e["A_max_abs"] == 1e300, e
assert e["P_entries"] == 4 and abs(e["P_sq"] - 1) < 1e-15, e
PY
	ccmc-estimate --quiet --brief "$T/in" >"$T/quiet" 2>"$T/err"
	[ ! -s "$T/err" ]
	cmp "$T/out" "$T/quiet"
}

@test "ccmc-estimate: weak fits say so: one note each for undetermined rows, no MLE, skipped records; --quiet silences them; measures over nothing are null" {
	# Row 1 sees tokens 0 and 1 and only ever chooses 1: the MLE sends
	# A_10 to -infinity, and token 2 is unseen; rows 0 and 2 have no
	# samples.  Nothing of P is determined, so every P measure is null.
	cat >"$T/in" <<'IN'
{"type":"ccmc","K":3,"A":[[0,0,0],[0,0,0],[0,0,0]],"P":[[0.3333333333333333,0.3333333333333333,0.3333333333333333],[0.3333333333333333,0.3333333333333333,0.3333333333333333],[0.3333333333333333,0.3333333333333333,0.3333333333333333]],"posw":null}
{"type":"prompt","prompt":[0,1]}
{"type":"foo"}
{"type":"sample","prompt":[0,1],"y":1}
{"type":"foo","x":[1]}
{"type":"sample","prompt":[1,0,1],"y":1}
IN
	ccmc-estimate "$T/in" >"$T/out" 2>"$T/err"
	cat >"$T/want" <<'W'
ccmc-estimate: note: skipped 1 record of type "prompt", 2 of type "foo": not samples, trajectories or a ground truth
ccmc-estimate: note: 3 of 3 rows of P are not determined by the data (null in "P"; see "identifiability")
ccmc-estimate: note: the MLE does not exist in 1 of 3 rows: 1 logit goes to -infinity (probability 0, "zero" in "identifiability"); --l2 LAMBDA keeps them finite
W
	diff "$T/want" "$T/err"
	py "$T/out" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["P_entries"] == 0 and e["kl_infinite_rows"] is None, e
assert e["P_sq"] is None and e["P_max_abs"] is None and e["kl_mean"] is None, e
assert e["conditional_entries"] == 2 and e["conditional_sq"] is not None, e
PY
	ccmc-estimate --quiet "$T/in" >"$T/quiet" 2>"$T/err"
	[ ! -s "$T/err" ]
	cmp "$T/out" "$T/quiet"
	# a full fit says nothing
	attn-gen-model --vocab 3 --seed 1 | attn-sample -n 3000 --len 4 --seed 1 |
	    ccmc-estimate >/dev/null 2>"$T/err"
	[ ! -s "$T/err" ]
}

@test "ccmc-estimate: --l2 0 on text or string tokens is refused up front (exit 2), not printed as a record attn-sample rejects" {
	printf 'a b a c\nb a b\n' >"$T/text"
	run ccmc-estimate --text --l2 0 "$T/text"
	[ "$status" -eq 2 ]
	[ "$output" = "ccmc-estimate: --l2 0 with --text: the plain MLE leaves the logits of unseen words undetermined, and the record must be complete to be sampled or scored; give --l2 LAMBDA > 0" ]
	printf '{"type":"sample","prompt":["a","b"],"y":"a"}\n' >"$T/words"
	run ccmc-estimate --l2 0 "$T/words"
	[ "$status" -eq 2 ]
	[ "$output" = "ccmc-estimate: --l2 0 with string tokens: the plain MLE leaves the logits of unseen words undetermined, and the record must be complete to be sampled or scored; give --l2 LAMBDA > 0" ]
	# with a ridge the record is complete and attn-sample takes it
	ccmc-estimate --text --l2 0.5 "$T/text" | attn-sample -n 3 --len 2 >/dev/null
}

@test "ccmc-estimate: the samples kept grow with the input: a trajectory over a context of 2048 distinct tokens is refused at its line (65), with --window as the way out" {
	# 2 x 10^4 steps after a prompt of all 2048 tokens: each step's context
	# holds 2048 distinct tokens, 4x10^7 in all from 2.2x10^4 tokens read,
	# past 2^25 + 64 per token (sampleset.h).  Before, 2^18 steps kept 5 GB.
	py "$T/traj" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"type": "trajectory", "prompt": list(range(2048)),
        "tokens": [(k * 7919) % 2048 for k in range(20000)]}) + "\n")
EOF
	run ccmc-estimate --quiet "$T/traj"
	assert_error 65 ccmc-estimate
	[[ ${lines[0]} == "ccmc-estimate: $T/traj:1: the samples' contexts hold more than 33554432 + 64 distinct tokens per token read"*"--window L keeps at most L" ]]
	# with a window the same steps fit (one shard of rows keeps it quick)
	ccmc-estimate --quiet --brief --window 32 --rows 1/512 "$T/traj" |
	    jq -e '.fit.samples > 0 and .type == "ccmc-shard"'
}

@test "ccmc-estimate: the bootstrap resamples only rows with samples: --vocab 512 --bootstrap 10000 on one sample stays within 8 s of CPU" {
	# A bound on the work, not a timing: each of the 511 empty rows was
	# refitted B times (20 s of CPU); now only the row with a sample is
	# (under 1 s).  Not under valgrind, which is 50 times slower.
	[ -z "${VALGRIND:-}" ] || skip "a CPU bound"
	echo '{"type":"sample","prompt":[0,1],"y":1}' >"$T/one"
	(ulimit -t 8; ccmc-estimate --quiet --vocab 512 --bootstrap 10000 "$T/one" >"$T/est")
	jq -e '.stderr.bootstrap.B == 10000 and .stderr.bootstrap.conditional_lo[1][1] == 1
	    and .stderr.bootstrap.conditional_lo[0][1] == null' "$T/est"
}
