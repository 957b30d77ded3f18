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

@test "integer options and seeds: digits only; every printed seed reproduces the model" {
	# strtol and strtoull would take a blank, a sign or skip to a wrap
	for args in "--vocab 1e1" "--vocab ' 5'" "--vocab +5" "--vocab 0x5" \
	    "--pos 1e2" "--seed ' -1'" "--seed ' 3'" "--seed +3" "--seed 1e3" \
	    "--seed 18446744073709551616"; do
		eval "run attn-gen-model $args"
		[ "$status" -eq 2 ] || { echo "$args: status $status: $output"; false; }
		[[ ${lines[0]} == "attn-gen-model: "* ]]
	done
	# meta.seed reads back through --seed, above 2^63 - 1 too (as a
	# string of digits: a JSON integer there would not read back)
	for seed in 0 9223372036854775807 9223372036854775808 18446744073709551615; do
		attn-gen-model --vocab 3 --seed "$seed" >m
		# (jq reads numbers as doubles: take the digits as printed)
		printed=$(grep -o '"seed":[^,}]*' m | cut -d: -f2 | tr -d '"')
		[ "$printed" = "$seed" ]
		attn-gen-model --vocab 3 --seed "$printed" | cmp - m
	done
	grep -q '"seed":"18446744073709551615"' m
}

@test "an unknown option: one line, with the nearest valid name" {
	run attn-gen-model --vocb 5
	[ "$status" -eq 2 ]
	[ "$output" = "attn-gen-model: unknown option --vocb; did you mean --vocab?" ]
	run attn-gen-model --sede 5
	[ "$output" = "attn-gen-model: unknown option --sede; did you mean --seed?" ]
	run attn-gen-model -vocab 5
	[ "$output" = "attn-gen-model: unknown option -v; did you mean --vocab?" ]
	run attn-gen-model --pos-sacle 2
	[ "$output" = "attn-gen-model: unknown option --pos-sacle; did you mean --pos-scale?" ]
	run attn-gen-model --vocab
	[ "$output" = "attn-gen-model: --vocab needs a value (see --help)" ]
	# every program: one line, exit 2
	for p in attn-sample attn-to-ccmc ccmc-estimate traj-stats; do
		run $p --no-such-option </dev/null
		[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$p: $output"; false; }
	done
	run ccmc-estimate --max-vocb 5 </dev/null
	[ "$output" = "ccmc-estimate: unknown option --max-vocb; did you mean --max-vocab?" ]
}

@test "--headless: C null, E and W those of the tied model; any --dim with gaussian; K past 2048" {
	attn-gen-model --vocab 6 --embed gaussian --dim 9 --seed 4 >tied
	attn-gen-model --vocab 6 --embed gaussian --dim 9 --seed 4 --headless >hl
	python3 - tied hl <<'PY'
import json, sys
t, h = (json.load(open(f)) for f in sys.argv[1:3])
assert h["C"] is None and t["C"] is not None
assert h["E"] == t["E"] and h["W"] == t["W"]
PY
	attn-gen-model --headless --vocab 3000 --dim 5 --embed gaussian >big
	python3 - big <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["K"] == 3000 and m["d"] == 5 and len(m["E"]) == 3000 and len(m["W"]) == 5
PY
	run attn-gen-model --headless --vocab 6 --dim 3
	[ "$status" -eq 2 ] && [[ $output == *"one-hot"* ]]
	run attn-gen-model --vocab 3000
	[ "$status" -eq 2 ] && [[ $output == *"--headless"* ]]
	run attn-gen-model --headless --vocab 6 --dim 3 --embed gaussian --diag 1
	[ "$status" -eq 2 ] && [[ $output == *"--diag"* ]]
}
