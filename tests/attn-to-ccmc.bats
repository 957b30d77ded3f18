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
