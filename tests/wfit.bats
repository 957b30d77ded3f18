#!/usr/bin/env bats
# ccmc-estimate --embeddings: learning W with E known, against the shared
# independent Newton fit (tests/vectors/wfit.ndjson), the A-fit, a
# brute-force rank and gradient in python, and theory with fixed seeds.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# headless K d SEED SCALE: a headless attn-model with Gaussian E and W
# (python's own generator), W_ab ~ N(0, SCALE^2), e_k ~ N(0, I/d).
headless() {
	py "$@" <<'EOF'
import json, random, sys
K, d, seed, scale = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
r = random.Random(seed)
E = [[r.gauss(0, 1) / d ** 0.5 for _ in range(d)] for _ in range(K)]
W = [[r.gauss(0, scale) for _ in range(d)] for _ in range(d)]
print(json.dumps({"type": "attn-model", "K": K, "d": d, "E": E, "W": W,
                  "C": None, "pos": None, "meta": {}}))
EOF
}

# The shared vector as an attn-model (E; W is not read) and its samples.
vector_split() {
	py "$VECTORS/wfit.ndjson" "$T" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
m = json.loads(lines[0])
with open(sys.argv[2] + "/model", "w") as f:
    print(json.dumps({"type": "attn-model", "K": m["K"], "d": m["d"], "E": m["E"],
                      "W": [[0] * m["d"]] * m["d"], "C": None, "pos": None}), file=f)
with open(sys.argv[2] + "/samples", "w") as f:
    for l in lines[1:-1]:
        print(l, file=f)
EOF
}

# match OUT: the fitted record against the vector's expectation
match() {
	py "$VECTORS/wfit.ndjson" "$1" <<'EOF'
import json, sys
exp = json.loads(open(sys.argv[1]).read().splitlines()[-1])
got = json.load(open(sys.argv[2]))
w = got["meta"]["wfit"]
assert got["type"] == "attn-model" and got["C"] is None, got["C"]
assert w["converged"] and w["samples"] == 4000, w
assert abs(w["loglik"] - exp["loglik"]) <= 1e-9 * abs(exp["loglik"]), (w["loglik"], exp["loglik"])
d = max(abs(a - b) for r, s in zip(got["W"], exp["W"]) for a, b in zip(r, s))
assert d <= 1e-6, d
EOF
}

@test "--embeddings matches the shared W-fit vector (Newton): loglik 1e-9 rel, W 1e-6" {
	vector_split
	ccmc-estimate --embeddings "$T/model" "$T/samples" >"$T/out"
	match "$T/out"
	py "$T/out" <<'EOF'
import json, sys
w = json.load(open(sys.argv[1]))["meta"]["wfit"]
assert w["method"] == "newton" and w["rank"] == 25 and w["null_dim"] == 0, w
assert w["undetermined_entries"] == 0
assert all(x > 0 for r in w["stderr"] for x in r)
EOF
}

@test "--embeddings --method cg matches the same vector" {
	vector_split
	ccmc-estimate --embeddings "$T/model" --method cg "$T/samples" >"$T/out"
	match "$T/out"
	grep -q '"method":"newton-cg"' "$T/out"
}

@test "passes over the samples: a taken step's pass is the next iteration's gradient (Newton-CG 1 + iterations + Hv; Newton 2 iterations + 1)" {
	vector_split
	ccmc-estimate --embeddings "$T/model" --method cg --brief "$T/samples" >"$T/cg"
	ccmc-estimate --embeddings "$T/model" "$T/samples" >"$T/nt"
	py "$T/cg" "$T/nt" <<'EOF'
import json, sys
cg = json.load(open(sys.argv[1]))["meta"]["wfit"]
nt = json.load(open(sys.argv[2]))["meta"]["wfit"]
assert cg["converged"] and cg["iterations"] >= 2, cg
# every first step of this fit is taken (its objective falls each time):
# a first pass at W = 0, one per step (the gradient there), one per Hv
assert cg["passes"] == 1 + cg["iterations"] + cg["hessian_vector_products"], cg
# Newton: the first pass (its Hessian's range too), the steps, the Hessian
# at each step's end but the last, the standard errors' pass
assert nt["passes"] == 2 * nt["iterations"] + 1, nt
EOF
}

@test "--l2: the fit is a stationary point of loglik - l2/2 |W|^2 (gradient in python)" {
	vector_split
	ccmc-estimate --embeddings "$T/model" --l2 50 --tol 1e-12 "$T/samples" >"$T/out"
	py "$T/out" "$T/model" "$T/samples" <<'EOF'
import json, math, sys
got = json.load(open(sys.argv[1])); E = json.load(open(sys.argv[2]))["E"]
W = got["W"]; d = len(W)
G = [[0.0] * d for _ in range(d)]
ll = 0
for line in open(sys.argv[3]):
    s = json.loads(line); x = s["prompt"]; y = s["y"]; q = E[x[-1]]
    u = [sum(q[a] * W[a][b] for a in range(d)) for b in range(d)]
    sc = [sum(u[b] * E[k][b] for b in range(d)) for k in x]
    mx = max(sc); al = [math.exp(v - mx) for v in sc]; z = sum(al)
    ll += math.log(sum(a for a, k in zip(al, x) if k == y) / z)
    m = [sum(a * E[k][b] for a, k in zip(al, x)) / z for b in range(d)]
    for a in range(d):
        for b in range(d):
            G[a][b] += q[a] * (E[y][b] - m[b])
worst = max(abs(G[a][b] - 50 * W[a][b]) for a in range(d) for b in range(d))
assert worst <= 1e-6, worst
w = got["meta"]["wfit"]
assert abs(w["loglik"] - ll) <= 1e-10 * abs(ll), (w["loglik"], ll)
obj = ll - 25 * sum(v * v for r in W for v in r)
assert abs(w["objective"] - obj) <= 1e-10 * abs(obj), (w["objective"], obj)
EOF
}

@test "one-hot E: W = A up to a constant per row; P as the A-fit, rank by brute force" {
	py >"$T/model" <<'EOF'
import json
K = 4
E = [[float(i == j) for j in range(K)] for i in range(K)]
W = [[0.5, -1, 0.3, 0.2], [1, 0, -0.7, 0.4], [-0.2, 0.9, 0.1, -1.1], [0.3, 0.3, -0.4, 0.8]]
print(json.dumps({"type": "attn-model", "K": K, "d": K, "E": E, "W": W, "C": None, "pos": None}))
EOF
	attn-sample -n 3000 --len 6 --seed 7 <"$T/model" >"$T/s"
	ccmc-estimate --embeddings "$T/model" "$T/s" >"$T/w"
	ccmc-estimate "$T/s" >"$T/a"
	py "$T/w" "$T/a" "$T/s" <<'EOF'
import json, math, sys
w = json.load(open(sys.argv[1])); a = json.load(open(sys.argv[2]))
W = w["W"]; K = 4; f = w["meta"]["wfit"]
for i in range(K):
    z = sum(math.exp(v) for v in W[i])
    for j in range(K):
        assert abs(math.exp(W[i][j]) / z - a["P"][i][j]) <= 1e-6, (i, j)
    assert abs(sum(W[i])) <= 1e-9       # the least-norm W: no row shift
assert abs(f["loglik"] - a["fit"]["loglik"]) <= 1e-9 * abs(f["loglik"])
# rank of the directions e_q (x) (e_k - e_l) the samples show, by elimination
rows = set()
for line in open(sys.argv[3]):
    s = json.loads(line)
    if s["type"] != "sample": continue
    x = s["prompt"]; q = x[-1]
    for k in x:
        if k != x[0]: rows.add((q, k, x[0]))
vecs = []
for q, k, l in rows:
    v = [0.0] * (K * K); v[q * K + k] += 1; v[q * K + l] -= 1; vecs.append(v)
rank = 0; cols = K * K
for c in range(cols):
    piv = next((r for r in range(rank, len(vecs)) if abs(vecs[r][c]) > 1e-9), None)
    if piv is None: continue
    vecs[rank], vecs[piv] = vecs[piv], vecs[rank]
    for r in range(len(vecs)):
        if r != rank and abs(vecs[r][c]) > 1e-12:
            t = vecs[r][c] / vecs[rank][c]
            vecs[r] = [x - t * y for x, y in zip(vecs[r], vecs[rank])]
    rank += 1
assert f["rank"] == rank == 12 and f["null_dim"] == 4, (f["rank"], rank)
assert f["undetermined_entries"] == 16
assert all(x is None for r in f["stderr"] for x in r)
EOF
}

@test "standard errors: sum of squared z-scores of W against the truth is chi-square(16)" {
	headless 30 4 11 1.5 >"$T/model"
	attn-sample -n 20000 --len 8 --seed 5 <"$T/model" >"$T/s"
	ccmc-estimate --embeddings "$T/model" "$T/s" >"$T/w"
	py "$T/w" "$T/model" <<'EOF'
import json, sys
w = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
f = w["meta"]["wfit"]; d = 4
z2 = sum(((w["W"][a][b] - t["W"][a][b]) / f["stderr"][a][b]) ** 2 for a in range(d) for b in range(d))
# chi-square, 16 degrees of freedom: 0.1% and 99.9% quantiles (fixed seed)
assert 3.94 <= z2 <= 39.25, z2
assert f["truth"]["loglik"] <= f["loglik"]
err = max(abs(w["W"][a][b] - t["W"][a][b]) for a in range(d) for b in range(d))
assert abs(f["truth"]["W_max_abs_error"] - err) <= 1e-12, (f["truth"], err)
EOF
}

@test "K 20000: samples and the W-fit need no K x K (run under a 400 MB limit)" {
	headless 20000 3 2 2 >"$T/model"
	attn-sample -n 4000 --len 16 --seed 1 <"$T/model" >"$T/s"
	under_vmem 400000 ccmc-estimate --embeddings "$T/model" "$T/s" >"$T/w"
	py "$T/w" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))["meta"]["wfit"]
assert f["converged"] and f["rank"] == 9 and f["samples"] == 4000, f
EOF
}

@test "trajectories: each step is a sample (the same fit as the samples spelled out)" {
	headless 12 3 4 1 >"$T/model"
	echo '{"type":"prompt","prompt":[0,1,2,3,4,5,6,7,8,9,10,11]}' >"$T/p"
	attn-sample --model "$T/model" --trajectory --steps 400 --seed 2 "$T/p" >"$T/tr"
	py "$T/tr" >"$T/spelled" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] != "trajectory":
        print(line, end="")         # the model: the truth of both
        continue
    ctx = r["prompt"]
    for y in r["tokens"]:
        print(json.dumps({"type": "sample", "prompt": ctx, "y": y}))
        ctx = ctx + [y]
EOF
	ccmc-estimate --embeddings "$T/model" --brief "$T/tr" >"$T/a"
	ccmc-estimate --embeddings "$T/model" --brief "$T/spelled" >"$T/b"
	cmp "$T/a" "$T/b"
}

@test "bad input: next token not in the context, positions, markov draws, no samples (exit 65); --bootstrap with cg (exit 2)" {
	headless 5 2 1 1 >"$T/model"
	echo '{"type":"sample","prompt":[0,1],"y":3}' >"$T/bad"
	run ccmc-estimate --embeddings "$T/model" "$T/bad"
	assert_error 65 ccmc-estimate
	assert_located ccmc-estimate
	[[ $output == *"not in its context"* ]]
	echo '{"type":"sample","prompt":[0,1],"y":1,"chain":"markov"}' >"$T/mk"
	run ccmc-estimate --embeddings "$T/model" "$T/mk"
	assert_error 65 ccmc-estimate
	run ccmc-estimate --embeddings "$T/model" /dev/null
	assert_error 65 ccmc-estimate
	[[ $output == *"no sample"* ]]
	attn-gen-model --vocab 3 --pos 8 >"$T/pos"
	echo '{"type":"sample","prompt":[0,1],"y":1}' >"$T/ok"
	run ccmc-estimate --embeddings "$T/pos" "$T/ok"
	assert_error 65 ccmc-estimate
	[[ $output == *"positional"* ]]
	run ccmc-estimate --embeddings "$T/model" --bootstrap 10 --method cg "$T/ok"
	assert_error 2 ccmc-estimate
}

@test "--weights FILE: the fitted model's arrays in .safetensors and .npz are the JSON record's, bit for bit (python); one too long for a line is refused before any sample is read" {
	headless 30 4 5 1 >"$T/model"
	attn-sample -n 2000 --len 12 --seed 3 "$T/model" >"$T/s"
	ccmc-estimate --embeddings "$T/model" "$T/s" >"$T/a"
	cd "$T"
	ccmc-estimate --embeddings model --weights w.safetensors s >b
	ccmc-estimate --embeddings model --weights w.npz s >c
	py <<'PY'
import json, struct, zipfile
a, b, c = (json.load(open(f)) for f in "abc")
assert b["weights"] == "w.safetensors" and c["weights"] == "w.npz" and b["C"] is None
assert a["meta"] == b["meta"] == c["meta"]
flat = lambda m: struct.pack("<%dd" % sum(map(len, m)), *[x for r in m for x in r])
raw = open("w.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h, data = json.loads(raw[8:8 + n]), raw[8 + n:]
assert sorted(k for k in h if k != "__metadata__") == ["E", "W"], h
for name, shape in [("E", [30, 4]), ("W", [4, 4])]:
    lo, hi = h[name]["data_offsets"]
    assert h[name]["dtype"] == "F64" and h[name]["shape"] == shape
    assert data[lo:hi] == flat(a[name]), name
z = zipfile.ZipFile("w.npz")
assert sorted(z.namelist()) == ["E.npy", "W.npy"]
for name in "EW":
    m = z.read(name + ".npy")
    hl = struct.unpack("<H", m[8:10])[0]
    assert m[10 + hl:] == flat(a[name]), name
PY
	# the JSON record would exceed a reader's line: refused at once (exit 2),
	# not after the fit, whatever the samples hold
	attn-gen-model --headless --vocab 524288 --dim 48 --embed gaussian \
	    --weights big.safetensors --dtype bfloat16 >big
	echo '{"type":"sample","prompt":[0,1],"y":7}' >bad
	run ccmc-estimate --embeddings big bad
	assert_error 2 ccmc-estimate
	[[ $output == *"more than the 536870912 of a line"*"--weights FILE"* ]]
	# a name no writer takes: said before the samples, not after the fit
	run ccmc-estimate --embeddings model --weights w.bin bad
	assert_error 2 ccmc-estimate
	[ "$output" = "ccmc-estimate: --weights w.bin: the name must end in .safetensors or .npz" ]
	# and before the model is made (at 512 MB of E, beyond the cap)
	for a in "--weights x.bin" "--weights x.npz --dtype bfloat16"; do
		run under_vmem 100000 attn-gen-model --headless --vocab 1048576 --dim 64 \
		    --embed gaussian $a
		assert_error 2 attn-gen-model
	done
}

@test "--embeddings MODEL: a ccmc-row after the model is refused at its line, as every reader refuses one" {
	headless 6 2 1 1 >"$T/model"
	echo '{"type":"ccmc-row","i":0,"cols":[0],"A":[0]}' >>"$T/model"
	echo '{"type":"sample","prompt":[0,1],"y":1}' >"$T/ok"
	run ccmc-estimate --embeddings "$T/model" "$T/ok"
	assert_error 65 ccmc-estimate
	assert_located ccmc-estimate
	[[ $output == *":2: "*"ccmc-row"* ]]
}

@test "--embeddings MODEL: samples where a sparse ccmc in the data still owes rows are refused at the first, as when a tree reads them" {
	headless 6 2 1 1 >"$T/model"
	printf '%s\n' '{"type":"ccmc","form":"sparse","K":3,"default":null,"background":null,"posw":null}' \
	    '{"type":"ccmc-row","i":0,"cols":[0],"A":[0]}' >"$T/data"
	for i in 1 2 3; do
		echo '{"type":"sample","prompt":[0,1],"y":1}' >>"$T/data"
	done
	run ccmc-estimate --embeddings "$T/model" "$T/data"
	assert_error 65 ccmc-estimate
	[ "${lines[0]}" = "ccmc-estimate: $T/data:3: expected ccmc-row 1 of the sparse ccmc of line 1, not a \"sample\" record" ]
	# the same sample with a space in it (no fast path) was refused so
	sed '3s/,"y"/, "y"/' "$T/data" >"$T/tree"
	run ccmc-estimate --embeddings "$T/model" "$T/tree"
	[ "${lines[0]}" = "ccmc-estimate: $T/tree:3: expected ccmc-row 1 of the sparse ccmc of line 1, not a \"sample\" record" ]
	# once the rows are all there, the samples are data
	sed -n 1,2p "$T/data" >"$T/whole"
	echo '{"type":"ccmc-row","i":1,"cols":[1],"A":[0]}' >>"$T/whole"
	echo '{"type":"ccmc-row","i":2,"cols":[2],"A":[0]}' >>"$T/whole"
	sed -n '3,$p' "$T/data" >>"$T/whole"
	ccmc-estimate --quiet --embeddings "$T/model" "$T/whole" | jq -e '.meta.wfit.samples == 3'
}

@test "--embeddings at K 2^19, d 64: a ground truth whose E is the model's weight file shares the model's E, not a second copy (peak RSS < 1.75 x E); its report is the one a copy of the file gives" {
	if ldd "$BIN/ccmc-estimate" | grep -q libasan || [ -n "${VALGRIND:-}" ]; then
		skip "the peak RSS under ASan or valgrind is theirs"
	fi
	[ -x /usr/bin/time ] || skip "no /usr/bin/time"
	attn-gen-model --headless --vocab 524288 --dim 64 --embed gaussian \
	    --weights "$T/m.safetensors" --dtype float32 >"$T/m"
	attn-sample -n 300 --len 16 --seed 1 "$T/m" >"$T/s"
	/usr/bin/time -f %M -o "$T/rss" ccmc-estimate --quiet --max-iter 2 \
	    --embeddings "$T/m" --weights "$T/w.safetensors" "$T/s" >"$T/fit"
	# E in float64 is 256 MiB, the float32 file read into it 128 MiB; the
	# truth's own E would be 256 MiB more
	echo "peak $(tail -1 "$T/rss") KiB"
	[ "$(tail -1 "$T/rss")" -lt $((262144 * 7 / 4)) ]
	# the truth read from a copy of the file (another file: E read again
	# and compared) reports the same
	cp "$T/m.safetensors" "$T/copy.safetensors"
	sed '1s/m\.safetensors/copy.safetensors/' "$T/s" >"$T/s2"
	ccmc-estimate --quiet --max-iter 2 --embeddings "$T/m" \
	    --weights "$T/w2.safetensors" "$T/s2" >"$T/fit2"
	jq -e '.meta.wfit.truth.loglik < 0' "$T/fit"
	[ "$(jq -c .meta.wfit.truth "$T/fit")" = "$(jq -c .meta.wfit.truth "$T/fit2")" ]
}
