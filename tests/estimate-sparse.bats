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
    # derivable: left out; the details come and go with --brief
    assert "conditional" not in r, i
    assert ("identifiability" in r) == bool(idr), i
    assert ("stderr" in r) == ("stderr" in d) == ("stderr" in h), i
    for k, j in enumerate(cols):
        assert r["A"][k] == d["A"][i][j], (i, j)
        if r.get("stderr"):
            se = d["stderr"]["conditional"][i][j]
            assert r["stderr"][k] == se, (i, j)
        elif "stderr" in r:
            assert d["stderr"]["conditional"][i][j] is None, (i, j)
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
        comps = r["identifiability"].get("components")
        if comps is None:
            # left out: one component of every listed column, or none
            ends = sorted(cols + zero)
            comps = [ends] if ends else []
        else:
            assert len(comps) > 1, r
        assert comps == idr[i]["components"], i
        assert r["samples"] == idr[i]["samples"]
        # the conditional as ccmc-records(5) says to compute it: the
        # softmax of A over each component, 0 at its "zero" columns, null
        # where its logits are null; null elsewhere
        a, c = dict(zip(cols, r["A"])), {}
        for comp in comps:
            la = [a[j] for j in comp if j in a]
            if None in la:
                c.update((j, None) for j in comp)
                continue
            top = max(la)
            z = sum(math.exp(x - top) for x in la)
            c.update((j, math.exp(a[j] - top) / z if j in a else 0.0)
                     for j in comp)
        for j in range(K):
            want, got = cond[j], c.get(j)
            assert (want is None) == (got is None), (i, j)
            if want is not None:
                assert abs(got - want) <= 1e-15, (i, j, got, want)
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
	for a in "--window 32 --brief" "--window 16 --l2 0.3" \
	    "--window 16 --stderr"; do
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
	# the bigram chain of the same text is sparse too, K rows after it
	ccmc-estimate --text --markov "$T/x" >"$T/mk"
	[ "$(head -1 "$T/mk" | jq '[.form, .K, .meta.chain]')" = "$(jq -n --argjson K "$K" '["sparse", $K, "markov"]')" ]
	[ "$(wc -l <"$T/mk")" -eq $((K + 1)) ]
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

# Without --brief (ccmc-records(5), "A sparse fit"): a row leaves out
# what a reader derives from it (the conditionals, a single component) and
# what is empty (standard errors that are all null), and rounds its
# standard errors; the conditional computed as the man page says is the
# dense record's, the merge of shards is still the single fit byte for
# byte, and the readers take such rows as they take the others.

# man_jq: the jq program ccmc-records(5) gives for a row's conditional
man_jq() {
	awk '/^For a row of one component, with jq:/ { on = 1; next }
	    on && /^\.Bd/ { next }
	    on && /^\.Ed/ { exit }
	    on' "$TOP/man/ccmc-records.5" |
	    sed -n "s/^jq -c '//; s/' fit.ndjson\$//; p"
}

# conditional DENSE SPARSE: the man page's jq program, run on the sparse
# record's rows, gives the dense record's identifiability.conditional at
# their columns to 1e-15; the dense conditional is 0 (or null where the
# component ties) at the "zero" columns and null at every other.
conditional() {
	jq -c "$(man_jq)" "$2" >"$T/cond"
	py "$1" "$2" "$T/cond" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])][1:]
got = [json.loads(l) for l in open(sys.argv[3])]
K = d["K"]
assert len(rows) == len(got) == K
worst, n = 0, 0
for i, (r, c) in enumerate(zip(rows, got)):
    assert "conditional" not in r, i
    want = d["identifiability"]["conditional"][i]
    tied = all(x is None for x in c)
    for k, j in enumerate(r["cols"]):
        if c[k] is None:
            assert want[j] is None, (i, j)
        else:
            worst = max(worst, abs(c[k] - want[j]))
            n += 1
    for j in set(range(K)) - set(r["cols"]):
        w = want[j]
        assert w is None if j not in r.get("zero", []) or tied else w == 0, (i, j)
assert worst <= 1e-15, worst
print(n)
EOF2
}

@test "estimate-sparse: without --brief: no row carries its conditional; the man page's jq gives the dense record's to 1e-15 (text, zero and tied rows)" {
	[ -n "$(man_jq)" ]
	make_text "$T/x"
	o="--text --lower --punct drop --chunk 96 --max-vocab 300 --window 16 --l2 0.3"
	ccmc-estimate --quiet $o "$T/x" >"$T/d"
	ccmc-estimate --quiet $o --form sparse "$T/x" >"$T/sp"
	[ "$(conditional "$T/d" "$T/sp")" -gt 3000 ]
	# integer tokens without a ridge: sunk tokens ("zero") and tied rows
	attn-gen-model --vocab 30 --seed 7 |
	    attn-sample -n 40 --trajectory --steps 60 --seed 2 >"$T/t"
	ccmc-estimate --quiet --window 10 --bootstrap 5 "$T/t" >"$T/d"
	ccmc-estimate --quiet --window 10 --bootstrap 5 --form sparse "$T/t" >"$T/sp"
	[ "$(tail -n +2 "$T/sp" | jq -s 'map(select(.identifiability.tied)) | length')" -gt 0 ]
	[ "$(tail -n +2 "$T/sp" | jq -s 'map(.zero // [] | length) | add')" -gt 0 ]
	[ "$(conditional "$T/d" "$T/sp")" -gt 100 ]
	# with a bootstrap the intervals stay, at the columns
	[ "$(tail -n +2 "$T/sp" | jq -s 'all((.conditional_lo | length) == (.cols | length))')" = true ]
}

@test "estimate-sparse: --stderr: stderr the dense record's, null where no entry is a number (no samples, blocks over 400 tokens); one component left out" {
	# "the" precedes a word of the last 15: its row sees some 500 tokens,
	# beyond the 400 the delta method is computed for; a document's last
	# word is never a query
	py "$T/y" <<'EOF2'
import random, sys
random.seed(11)
with open(sys.argv[1], "w") as f:
    for d in range(5):
        doc = []
        for t in range(200):
            doc += ["v%d" % random.randint(0, 600), "the"]
            doc.append(random.choice(doc[-15:]))
        f.write(" ".join(doc + ["end%d" % d]) + "\n")
EOF2
	ccmc-estimate --quiet --text --window 16 --stderr "$T/y" >"$T/d"
	ccmc-estimate --quiet --text --window 16 --stderr --form sparse "$T/y" >"$T/sp"
	py "$T/d" "$T/sp" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()[1:]
rows = [json.loads(l) for l in lines]
se, ids = d["stderr"]["conditional"], d["identifiability"]["rows"]
seen = {"empty": 0, "big": 0, "numbers": 0}
for i, (line, r) in enumerate(zip(lines, rows)):
    assert '"conditional"' not in line and '"components"' not in line, i
    assert ids[i]["components"] == ([r["cols"]] if r["cols"] else []), i
    if r["stderr"] is None:
        assert all(x is None for x in se[i]), i
        seen["big" if len(r["cols"]) > 400 else "empty"] += 1
        assert r["samples"] == 0 or len(r["cols"]) > 400, i
        continue
    seen["numbers"] += 1
    for k, j in enumerate(r["cols"]):
        assert r["stderr"][k] == se[i][j], (i, j)
assert all(seen.values()), seen
EOF2
}

@test "estimate-sparse: with --stderr a text model is at most twice the --brief one: its rows add one number per column, the standard error (the conditionals made it 2.5 times)" {
	make_text "$T/x"
	o="--text --lower --punct drop --chunk 96 --max-vocab 600 --window 32 --form sparse"
	ccmc-estimate --quiet $o --stderr "$T/x" >"$T/full"
	ccmc-estimate --quiet $o --brief "$T/x" >"$T/brief"
	full=$(wc -c <"$T/full")
	brief=$(wc -c <"$T/brief")
	[ "$full" -le $((2 * brief)) ]
}

@test "estimate-sparse: a fit on text writes no stderr unless --stderr or --bootstrap asks, its other bytes the same; integer tokens keep them; --stderr with --brief, --markov or --eval is a usage error" {
	make_text "$T/x"
	o="--quiet --text --lower --punct drop --chunk 96 --max-vocab 300 --window 16"
	for f in dense sparse; do
		ccmc-estimate $o --form $f "$T/x" >"$T/$f"
		ccmc-estimate $o --form $f --stderr "$T/x" >"$T/$f.se"
		! grep -q '"stderr"' "$T/$f"
		head -1 "$T/$f.se" | jq -e '.stderr.method | test("delta method")'
	done
	sed -n 2,\$p "$T/sparse.se" | grep -q '"stderr":\['
	# only the standard errors differ
	sed 's/,"stderr":\(null\|\[[^]]*\]\)//; 1s/,"stderr":{[^}]*}//' \
	    "$T/sparse.se" | cmp - "$T/sparse"
	[ "$(jq -cS 'del(.stderr)' "$T/dense.se")" = "$(jq -cS . "$T/dense")" ]
	ccmc-estimate $o --bootstrap 3 "$T/x" | jq -e '.stderr.bootstrap.B == 3'
	attn-gen-model --vocab 12 --seed 3 | attn-sample -n 30 --trajectory \
	    --steps 20 --seed 1 | ccmc-estimate --quiet --window 8 |
	    jq -e '.stderr.conditional | length == 12'
	for a in --brief --markov "--eval $T/dense"; do
		run ccmc-estimate --text --stderr $a "$T/x"
		assert_error 2 ccmc-estimate
		[[ ${lines[0]} == *"--stderr"*"not with --brief, --markov or --eval" ]]
	done
}

@test "estimate-sparse: --rows I/N and --merge without --brief: the single sparse fit byte for byte; a row that contradicts itself is refused at its line" {
	attn-gen-model --vocab 30 --seed 7 |
	    attn-sample -n 40 --trajectory --steps 60 --seed 2 >"$T/t"
	o="--window 10 --l2 0.5 --form sparse"
	for i in 1 2 3; do
		ccmc-estimate --quiet --rows $i/3 $o "$T/t" >"$T/r$i"
	done
	ccmc-estimate --quiet --merge "$T/r2" "$T/r3" "$T/r1" >"$T/m"
	ccmc-estimate --quiet $o "$T/t" | cmp - "$T/m"
	grep -q '"stderr":\[' "$T/m"
	! grep -q '"conditional"' "$T/m"
	# the shards still carry the conditionals, and the merge checks them
	# against the logits though the record it writes leaves them out
	jq -c '.row_fits.conditional[1] |= (.[0] as $a | .[1] as $b |
	    .[0] = $b | .[1] = $a)' "$T/r2" >"$T/bad"
	! cmp -s "$T/r2" "$T/bad"
	run ccmc-estimate --merge "$T/r1" "$T/bad" "$T/r3"
	assert_error 65 ccmc-estimate
	[[ ${lines[0]} == "ccmc-estimate: $T/bad:1: row "*'"conditional"'* ]]
}

@test "estimate-sparse: rows without --brief read alike with and without a JSON tree; a broken detail is refused at its line" {
	make_text "$T/x"
	o="--text --lower --punct drop --chunk 96 --max-vocab 300 --window 16"
	ccmc-estimate --quiet $o --stderr --form sparse "$T/x" >"$T/fast"
	sed -n 2p "$T/fast" | grep -q '"samples":[^,]*,"identifiability":{"determined":[a-z]*,"mle_exists":[a-z]*,"tied":[a-z]*},"stderr":[[n]'
	sed 's/,"stderr"/, "stderr"/' "$T/fast" >"$T/slow"
	! cmp -s "$T/fast" "$T/slow"
	ccmc-estimate --quiet $o --brief --form sparse "$T/x" >"$T/brief"
	for m in fast slow brief; do
		ccmc-estimate --text --eval "$T/$m" "$T/x" >"$T/e.$m"
		echo '{"type":"prompt","prompt":["w1"]}' |
		    attn-sample --model "$T/$m" --trajectory --steps 50 --seed 2 |
		    tail -1 >"$T/t.$m"
	done
	cmp "$T/e.fast" "$T/e.slow"
	cmp "$T/t.fast" "$T/t.slow"
	cmp "$T/t.fast" "$T/t.brief"
	# what the JSON parser refuses, the reader without a tree does not take
	for bad in 's/"stderr":\[[^]]*\]/"stderr":[1e999]/' \
	    's/"tied":false/"tied":false,"tied":false/' \
	    's/"stderr":\[/"stderr":[,/' \
	    's/"identifiability":{/"identifiability":{,/' \
	    's/"mle_exists":true/"mle_exists":tru/'; do
		sed "3$bad" "$T/fast" >"$T/bad"
		! cmp -s "$T/fast" "$T/bad"
		run attn-sample --model "$T/bad" --seed 1 /dev/null
		assert_error 65 attn-sample
		[[ ${lines[0]} == "attn-sample: $T/bad:3: "* ]] || { echo "$bad: $output"; return 1; }
	done
}

@test "estimate-sparse: a row of two components (a merged shard) lists them, and its conditional is the softmax of A over each" {
	# a fit's rows have one component (every context holds its query): a
	# shard's row 0 is split by hand into two, consistent in every field
	# the merge checks, to reach the other case
	attn-gen-model --vocab 5 --seed 3 | attn-sample -n 300 --len 3 --seed 2 >"$T/s"
	ccmc-estimate --quiet --rows 1/1 --l2 0.5 --form sparse "$T/s" >"$T/sh"
	py "$T/sh" >"$T/sp.sh" <<'EOF2'
import json, math, sys
s = json.load(open(sys.argv[1]))
f = s["row_fits"]
assert f["tokens"][0] == list(range(5)) and f["ncomp"][0] == 1
comp, m = [0, 0, 1, 1, 1], f["map"][0]
A, cond = [0.0] * 5, [0.0] * 5
for c in (0, 1):
    idx = [l for l in range(5) if comp[l] == c]
    mean = sum(m[l] for l in idx) / len(idx)
    for l in idx:
        A[l] = m[l] - mean
    top = max(A[l] for l in idx)
    z = sum(math.exp(A[l] - top) for l in idx)
    for l in idx:
        cond[l] = math.exp(A[l] - top) / z
f["components"][0], f["A"][0], f["conditional"][0] = comp, A, cond
f["P"][0], f["ncomp"][0], f["determined"][0] = [None] * 5, 2, False
print(json.dumps(s))
EOF2
	jq -c '.options.form = "dense"' "$T/sp.sh" >"$T/d.sh"
	ccmc-estimate --quiet --merge "$T/sp.sh" >"$T/sp"
	ccmc-estimate --quiet --merge "$T/d.sh" >"$T/d"
	[ "$(sed -n 2p "$T/sp" | jq -c .identifiability.components)" = '[[0,1],[2,3,4]]' ]
	same "$T/d" "$T/sp" >/dev/null
	# read alike with and without a JSON tree
	sed 's/,"stderr"/, "stderr"/' "$T/sp" >"$T/slow"
	echo '{"type":"prompt","prompt":[1,0]}' >"$T/p"
	attn-sample --model "$T/sp" --trajectory --steps 50 --seed 3 "$T/p" |
	    tail -1 >"$T/x1"
	attn-sample --model "$T/slow" --trajectory --steps 50 --seed 3 "$T/p" |
	    tail -1 >"$T/x2"
	grep -q '"tokens"' "$T/x1"
	cmp "$T/x1" "$T/x2"
}
