#!/usr/bin/env bats
# traj-stats: the classes' error control (traj-stats(1), CLASSES).  On
# ordinary Markov chains every token keeps its share, so a trajectory
# called collapsed is an error; the test's family-wise level alpha bounds
# their share.  On a model whose winner is forced the tool must decide,
# and decide right.  Fixed seeds: the thresholds follow from alpha and a
# binomial margin, not from the outcome.

load helper

setup() { cd "$BATS_TEST_TMPDIR"; }

@test "Markov chains: the share called collapsed is at most alpha plus a binomial margin" {
	# 5 models of different K, --scale and --diag; uniform prompts of 8
	# tokens; T = 10^3, 10^4 and 10^5: 1000 trajectories in all.
	n=0
	for spec in "5 3 1 2" "8 1 0.5 0" "8 2 2 0" "12 7 2 0" "16 4 1 1"; do
		set -- $spec
		attn-gen-model --vocab "$1" --seed "$2" --scale "$3" --diag "$4" >m
		for tn in "1000 100" "10000 80" "100000 20"; do
			set -- $tn
			attn-sample --trajectory --markov -n "$2" --steps "$1" --len 8 \
			    --seed $((n += 1)) <m | traj-stats >>out
		done
	done
	run py out <<'PY'
import json, math, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
n, alpha = len(rs), 0.01
called = sum(r["collapsed"] is True for r in rs)
held = sum(r["collapsed"] is False for r in rs)
# X ~ Binomial(n, p <= alpha): X / n > alpha + 3.09 sd has chance < 0.001
margin = 3.09 * math.sqrt(alpha * (1 - alpha) / n)
print("n", n, "called collapsed", called, "(%.4f, bound %.4f)" % (called / n, alpha + margin),
      "decided not collapsed", held)
assert n == 1000 and called / n <= alpha + margin
# and at T = 10^5 most are decided: every token a winner
long = [r for r in rs if r["length"] == 100000]
assert sum(r["collapsed"] is False for r in long) >= len(long) / 2
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a forced winner (every row prefers 0, 0 prefers itself): >= 98% decided collapsed onto {0} at T = 4000" {
	# Logit +3 for token 0 in every row, +6 on its own row: a loser's rate
	# is e^-6.  Prompts: 15 uniform tokens over K = 5 and a 0; the losers
	# seldom come back, and the model's test (the model is in the stream)
	# sees that the ordinary chain would have drawn them.
	py <<'PY' >in
import json, math, random
K = 5
A = [[3.0 if j == 0 else 0.0 for j in range(K)] for i in range(K)]
A[0][0] = 6.0
P = [[math.exp(x) / sum(math.exp(z) for z in r) for x in r] for r in A]
print(json.dumps({"type": "ccmc", "K": K, "A": A, "P": P, "posw": None}))
rnd = random.Random(5)
for _ in range(200):
    p = [rnd.randrange(K) for _ in range(15)]
    p.insert(rnd.randrange(16), 0)
    print(json.dumps({"type": "prompt", "prompt": p}))
PY
	attn-sample --trajectory --steps 4000 --seed 8 <in | traj-stats --predict >out
	run py out <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = sum(r["collapsed"] is True and r["classes"]["winners"] == [0] for r in rs)
wrong = sum(0 in r["classes"]["losers"] or any(t != 0 for t in r["classes"]["winners"]) for r in rs)
print(ok, "of", len(rs), "decided collapsed onto {0};", wrong, "with a wrong class")
assert len(rs) == 200 and ok >= 0.98 * len(rs) and wrong == 0
# the prediction agrees: {0} is the one attractor, consistent and exact
assert all(r["prediction"]["classes"]["consistent"] for r in rs if r["collapsed"] is not None)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}
