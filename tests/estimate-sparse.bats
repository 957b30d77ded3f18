#!/usr/bin/env bats
# The sparse form of a fit (ccmc-records(5)): at small K its listed entries
# are the dense record's, number for number; beyond 2048 tokens it is the
# only form, and costs what the data hold, not K^2; shards merge into it
# byte for byte.  Checked against the dense record and by python.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# text T: E7-like documents, one a line: Zipf words, capitals and
# punctuation (cut as E7 cuts them: --lower --punct drop --chunk 96),
# phrases copied from earlier in the document
make_text() {
	py "$1" <<'EOF2'
import random, sys
random.seed(7)
words = ["w%d" % i for i in range(900)]
with open(sys.argv[1], "w") as f:
    for d in range(40):
        doc = []
        for t in range(random.randint(100, 900)):
            if len(doc) > 8 and random.random() < 0.3:
                k = random.randint(1, len(doc) - 4)
                doc.extend(doc[k:k + 3])
            else:
                w = words[min(int(random.paretovariate(0.9)) - 1, 899)]
                doc.append(w.upper() + "," if random.random() < 0.05 else w)
        f.write(" ".join(doc) + "\n")
EOF2
}

# same DENSE SPARSE [TEXT]: the sparse record lists, in each row, exactly
# the entries the dense record determines (on text: every other one is the
# row's default), with the same numbers; the header carries the dense
# record's fit, identifiability summary and background.
same() {
	py "$1" "$2" "${3:-}" <<'EOF2'
import json, math, sys
d = json.load(open(sys.argv[1]))
lines = [json.loads(l) for l in open(sys.argv[2])]
text = sys.argv[3] == "text"
h, rows = lines[0], lines[1:]
K = d["K"]
assert h["type"] == "ccmc" and h["form"] == "sparse" and h["K"] == K
assert "A" not in h and "P" not in h
assert len(rows) == K and [r["i"] for r in rows] == list(range(K))
for k in ("fit", "meta", "posw", "unigram", "mix", "dev", "error"):
    assert h.get(k) == d.get(k), k
assert h["identifiability"]["determined_rows"] == \
    d["identifiability"]["determined_rows"]
assert h["default"] == (0 if text else None)
idr = d["identifiability"].get("rows")
listed = 0
for i, r in enumerate(rows):
    assert r["type"] == "ccmc-row"
    cols = r["cols"]
    assert cols == sorted(set(cols)) and len(r["A"]) == len(cols)
    zero = r.get("zero", [])
    assert not set(zero) & set(cols)
    cond = d["identifiability"]["conditional"][i]
    for k, j in enumerate(cols):
        assert r["A"][k] == d["A"][i][j], (i, j)
        assert "conditional" in r or h["fit"] and "rows" not in d["identifiability"]
        if "conditional" in r:
            assert r["conditional"][k] == cond[j], (i, j)
        if "stderr" in r:
            assert r["stderr"][k] == d["stderr"]["conditional"][i][j]
        if "conditional_lo" in r:
            b = d["stderr"]["bootstrap"]
            assert r["conditional_lo"][k] == b["conditional_lo"][i][j]
            assert r["conditional_hi"][k] == b["conditional_hi"][i][j]
    for j in range(K):
        if j in cols:
            continue
        # text: the rest of the row is its default; else not determined
        assert d["A"][i][j] == (r["default"] if text else None), (i, j)
        # a sunk token has conditional 0, unless its component ties
        assert cond[j] in ((0, None) if j in zero else (None,)), (i, j)
    listed += sum(a is not None for a in r["A"])
    if idr:
        assert idr[i]["zero"] == zero
        assert r["identifiability"]["components"] == idr[i]["components"]
        assert r["samples"] == idr[i]["samples"]
nonnull = sum(a is not None for row in d["A"] for a in row)
assert listed == (sum(len(r["cols"]) for r in rows) if text else nonnull)
print(listed)
EOF2
}

@test "estimate-sparse: samples and trajectories: the sparse record's entries are the dense record's, number for number (no MLE, ridge, bootstrap, window)" {
	attn-gen-model --vocab 12 --seed 5 | attn-sample -n 2000 --len 6 --seed 3 >"$T/s"
	attn-gen-model --vocab 30 --seed 7 | attn-sample -n 40 --trajectory --steps 60 --seed 2 >"$T/t"
	for a in "" "--l2 0.5" "--bootstrap 20 --seed 3" "--window 3" "--brief --method cg"; do
		ccmc-estimate --quiet $a "$T/s" >"$T/d"
		ccmc-estimate --quiet --form sparse $a "$T/s" >"$T/sp"
		same "$T/d" "$T/sp"
	done
	ccmc-estimate --quiet --window 10 --bootstrap 5 "$T/t" >"$T/d"
	ccmc-estimate --quiet --window 10 --bootstrap 5 --form sparse "$T/t" >"$T/sp"
	same "$T/d" "$T/sp"
	# the samples whose MLE does not exist: "zero" lists the sunk tokens
	[ "$(jq -s '[.[1:][] | .zero // [] | length] | add' "$T/sp")" -ge 0 ]
}

@test "estimate-sparse: E7-like text at V 300: listed logits, conditionals, unigram, mix and dev scores equal the dense record's" {
	make_text "$T/x"
	for a in "--window 32 --brief" "--window 16 --l2 0.3"; do
		ccmc-estimate --text --lower --punct drop --chunk 96 --skip-pieces 5/5 \
		    --dev-share 0.2 --max-vocab 300 $a "$T/x" >"$T/d"
		ccmc-estimate --text --lower --punct drop --chunk 96 --skip-pieces 5/5 \
		    --dev-share 0.2 --max-vocab 300 --form sparse $a "$T/x" >"$T/sp"
		n=$(same "$T/d" "$T/sp" text)
		[ "$n" -gt 3000 ]
		# the record's log-likelihood is the dense one's (same code path)
		[ "$(jq -c .fit.loglik "$T/d")" = "$(head -1 "$T/sp" | jq -c .fit.loglik)" ]
	done
	# a row's default is what makes it sum: P_i from the sparse row alone
	py "$T/d" "$T/sp" <<'EOF2'
import json, math, sys
d = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])][1:]
K = d["K"]
for i in (0, 1, 7, K - 1):
    r = rows[i]
    a = dict(zip(r["cols"], r["A"]))
    z = [a.get(j, r["default"]) for j in range(K)]
    m = max(z)
    s = sum(math.exp(x - m) for x in z)
    for j in range(K):
        assert abs(math.exp(z[j] - m) / s - d["P"][i][j]) < 1e-12
EOF2
}

@test "estimate-sparse: beyond 2048 tokens the record is sparse, refused as dense with the way out, and costs no K^2" {
	attn-gen-model --vocab 12 --seed 5 | attn-sample -n 300 --len 6 --seed 3 |
	    grep -v '"attn-model"' >"$T/s"
	run ccmc-estimate --vocab 3000 --form dense "$T/s"
	assert_error 65 ccmc-estimate
	[[ $output == *"--form sparse"* ]]
	run ccmc-estimate --form bogus "$T/s"
	assert_error 2 ccmc-estimate
	# K = 300000: K^2 doubles would be 720 GB; the fit stays within 400 MB,
	# and a minute of CPU (O(K) per row would take an hour)
	(ulimit -t 60; under_vmem 400000 ccmc-estimate --quiet --vocab 300000 \
	    --l2 1 "$T/s" >"$T/big")
	[ "$(wc -l <"$T/big")" -eq 300001 ]
	[ "$(head -1 "$T/big" | jq -c '[.form, .K, .default]')" = '["sparse",300000,null]' ]
	# its rows 0..11 are those of the fit at K = 12, but for the tokens
	# K = 12 would call unseen in rows that see them all
	ccmc-estimate --quiet --vocab 12 --l2 1 --form sparse "$T/s" >"$T/small"
	diff <(sed -n '2,13p' "$T/small" | jq -c '[.i, .cols, .A]') \
	    <(sed -n '2,13p' "$T/big" | jq -c '[.i, .cols, .A]')
	[ "$(sed -n '14,$p' "$T/big" | jq -c 'select(.cols != [])' | wc -l)" -eq 0 ]
}

@test "estimate-sparse: text with more than 2048 words fits as a sparse record with its vocabulary" {
	py "$T/x" <<'EOF2'
import random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    for d in range(30):
        doc = ["v%d" % random.randint(0, 4000) for _ in range(400)]
        doc += doc[:200]
        f.write(" ".join(doc) + "\n")
EOF2
	ccmc-estimate --text --window 64 --brief "$T/x" >"$T/sp"
	K=$(head -1 "$T/sp" | jq .K)
	[ "$K" -gt 3000 ]
	[ "$(head -1 "$T/sp" | jq '[.form, (.vocab | length), (.unigram | length), .default] == ["sparse", .K, .K, 0]')" = true ]
	[ "$(wc -l <"$T/sp")" -eq $((K + 1)) ]
	[ "$(head -1 "$T/sp" | jq '.dev.coverage > 0')" = true ]
	run ccmc-estimate --text --window 64 --brief --markov "$T/x"
	assert_error 65 ccmc-estimate
}

@test "estimate-sparse: --rows I/N and --merge give the single sparse fit byte for byte" {
	attn-gen-model --vocab 20 --seed 3 | attn-sample -n 3000 --len 6 --seed 4 |
	    grep -v '"attn-model"' >"$T/s"
	for a in "--form sparse --bootstrap 4" "--vocab 2500 --l2 1"; do
		for i in 1 2 3; do
			ccmc-estimate --quiet --rows $i/3 $a "$T/s" >"$T/r$i"
		done
		ccmc-estimate --quiet --merge "$T/r3" "$T/r1" "$T/r2" >"$T/m"
		ccmc-estimate --quiet $a "$T/s" | cmp - "$T/m"
		[ "$(head -1 "$T/m" | jq -r .form)" = sparse ]
	done
	# a shard claiming the dense form beyond 2048 tokens is refused
	jq -c '.options.form = "dense"' "$T/r1" >"$T/bad"
	run ccmc-estimate --merge "$T/bad" "$T/r2" "$T/r3"
	assert_error 65 ccmc-estimate
}

@test "estimate-sparse: a fit without a window beyond --max-cost is refused up front with its cost; --window or --force goes ahead" {
	attn-gen-model --vocab 30 --seed 7 | attn-sample -n 5 --trajectory --steps 400 --seed 2 >"$T/t"
	run ccmc-estimate --max-cost 1e5 "$T/t"
	assert_error 65 ccmc-estimate
	[[ $output == *"would cost about "*"--window L"* ]]
	[ "${#lines[@]}" -eq 1 ]
	ccmc-estimate --quiet --max-cost 1e5 --force --brief "$T/t" >/dev/null
	ccmc-estimate --quiet --max-cost 1e5 --window 20 --brief "$T/t" >/dev/null
	# the cost is the rows' context tokens times their tokens: under it, no refusal
	py "$T/t" >"$T/cost" <<'EOF2'
import json, sys
rows = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] != "trajectory":
        continue
    x = r["prompt"] + r["tokens"]
    for t in range(len(r["prompt"]), len(x)):
        ctx = set(x[:t])
        q = rows.setdefault(x[t - 1], [0, set()])
        q[0] += len(ctx)
        q[1] |= ctx
print(sum(n * len(s) for n, s in rows.values()))
EOF2
	c=$(cat "$T/cost")
	ccmc-estimate --quiet --max-cost "$c" --brief "$T/t" >/dev/null
	run ccmc-estimate --max-cost $((c - 1)) --brief "$T/t"
	assert_error 65 ccmc-estimate
}

@test "estimate-sparse: --progress reports rows done of all, time spent and left" {
	attn-gen-model --vocab 12 --seed 5 | attn-sample -n 500 --len 6 --seed 3 >"$T/s"
	ccmc-estimate --quiet --progress "$T/s" 2>"$T/err" >/dev/null
	grep -q 'ccmc-estimate: rows 12/12, 0:00:0[0-9] elapsed' "$T/err"
}
