#!/usr/bin/env bats
# attn-gen-model: models that meet the conventions of attn-ccmc(7).

load helper

setup() { cd "$BATS_TEST_TMPDIR"; }

@test "equal seeds give byte-identical models, different seeds differ" {
	attn-gen-model --vocab 7 --seed 5 --embed gaussian --pos 9 >a
	attn-gen-model --vocab 7 --seed 5 --embed gaussian --pos 9 >b
	attn-gen-model --vocab 7 --seed 6 --embed gaussian --pos 9 >c
	cmp a b
	! cmp -s a c
	[ "$(wc -l <a)" -eq 1 ]
}

@test "a bare run is reproducible (fixed default seed)" {
	attn-gen-model >a
	attn-gen-model >b
	cmp a b
}

# Independent check in python: shapes, C E^T = I within 1e-10, separation
# conditions of attn-ccmc(7) when there are positions.
check_model() {
	py "$@" <<'PY'
import json, sys
m = json.loads(open(sys.argv[1]).read())
K, d = m["K"], m["d"]
E, W, C = m["E"], m["W"], m["C"]
assert len(E) == K and all(len(r) == d for r in E)
assert len(W) == d and all(len(r) == d for r in W)
dot = lambda a, b: sum(x * y for x, y in zip(a, b))
err = max(abs(dot(C[i], E[j]) - (i == j)) for i in range(K) for j in range(K))
assert err <= 1e-10, err
if m["pos"]:
    R = m["pos"]["R"]
    assert len(R) == m["pos"]["LMAX"]
    Wx = lambda v: [dot(row, v) for row in W]          # W v
    xW = lambda v: [dot(v, [W[a][b] for a in range(d)]) for b in range(d)]
    for r in R:
        assert max(abs(dot(c, r)) for c in C) <= 1e-9
        Wr, rW = Wx(r), xW(r)
        assert max(abs(dot(e, Wr)) for e in E) <= 1e-9
        assert max(abs(dot(rW, e)) for e in E) <= 1e-9
print("ok", K, d, err)
PY
}

@test "C E^T = I for one-hot and Gaussian embeddings, with and without positions" {
	for opts in "--vocab 5" "--vocab 6 --embed gaussian" "--vocab 4 --dim 9 --embed gaussian" \
	    "--vocab 5 --pos 12" "--vocab 6 --pos 10 --embed gaussian" "--vocab 5 --pos 8 --recency 3" \
	    "--vocab 5 --diag 4 --scale 3 --embed gaussian --pos 7"; do
		attn-gen-model $opts >m
		run check_model m
		[ "$status" -eq 0 ] || { echo "$opts: $output"; false; }
	done
}

@test "--dim: default K, room made for positions, D < K refused" {
	[ "$(attn-gen-model --vocab 5 | jq .d)" -eq 5 ]
	[ "$(attn-gen-model --vocab 5 --dim 8 | jq .d)" -eq 8 ]
	[ "$(attn-gen-model --vocab 5 --pos 6 | jq .d)" -eq 9 ]
	[ "$(attn-gen-model --vocab 5 --pos 6 --recency 1 | jq .d)" -eq 7 ]
	run attn-gen-model --vocab 5 --dim 4
	assert_error 2 attn-gen-model
	run attn-gen-model --vocab 5 --dim 6 --pos 6
	assert_error 2 attn-gen-model
	[[ $output == *"need --dim >= 9"* ]]
}

@test "--diag B adds B to every diagonal logit and nothing else" {
	attn-gen-model --vocab 6 --seed 3 --embed gaussian | attn-to-ccmc >plain
	attn-gen-model --vocab 6 --seed 3 --embed gaussian --diag 2.5 | attn-to-ccmc >diag
	run py plain diag <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["A"]
b = json.load(open(sys.argv[2]))["A"]
K = len(a)
# row-mean-zero gauge: +B on the diagonal shows as B - B/K there, -B/K elsewhere
for i in range(K):
    for j in range(K):
        want = 2.5 * ((i == j) - 1.0 / K)
        assert abs(b[i][j] - a[i][j] - want) <= 1e-12, (i, j)
PY
	[ "$status" -eq 0 ]
}

@test "--scale sharpens attention: logit spread grows with it" {
	s1=$(attn-gen-model --vocab 20 --scale 1 | attn-to-ccmc | jq '[.A[][]|.*.]|add/length|sqrt')
	s4=$(attn-gen-model --vocab 20 --scale 4 | attn-to-ccmc | jq '[.A[][]|.*.]|add/length|sqrt')
	# same seed, same Gaussian draws: exactly 4 times the spread
	run py "$s1" "$s4" <<'PY'
import sys
s1, s4 = map(float, sys.argv[1:])
assert abs(s4 / s1 - 4) < 1e-9, (s1, s4)
PY
	[ "$status" -eq 0 ]
}

@test "--help and --version print to stdout and exit 0" {
	run attn-gen-model --help
	[ "$status" -eq 0 ]
	[[ $output == *"--vocab"* ]]
	run attn-gen-model --version
	[ "$status" -eq 0 ]
	[[ $output == attn-gen-model* ]]
}

@test "bad options are usage errors (exit 2)" {
	for args in "--vocab 0" "--vocab x" "--vocab 5000" "--scale -1" "--scale nan" \
	    "--embed sparse" "--seed -3" "--recency 2" "--pos 5 --recency 1 --pos-dim 3" \
	    "--bogus" "extra-operand"; do
		run attn-gen-model $args
		[ "$status" -eq 2 ] || { echo "$args: status $status"; false; }
		[[ ${lines[0]} == "attn-gen-model: "* ]]
	done
}
