#!/usr/bin/env bats
# ccmc-estimate --rows I/N and --merge: a shard keeps exactly the samples
# of its rows (counted independently in python), the merge of N shards is
# byte for byte the single fit (for N = 1, 3 and K, with every option that
# changes the record), and every wrong set of shards is refused.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# identical FILE N OPTIONS...: for each N, the N shards of FILE merged
# (files given in reverse order, then on stdin in order) are the single
# fit's record byte for byte, and the notes on stderr are the same.
identical() {
	local f=$1 n
	shift
	ccmc-estimate "$@" "$f" >"$T/single" 2>"$T/single.err"
	for n in $NS; do
		rm -f "$T"/shard.*
		for i in $(seq "$n"); do
			ccmc-estimate --quiet --rows "$i/$n" "$@" "$f" >"$T/shard.$i"
		done
		ccmc-estimate --merge $(ls "$T"/shard.* | sort -r) >"$T/merged" \
		    2>"$T/merged.err"
		cmp "$T/single" "$T/merged"
		cmp "$T/single.err" "$T/merged.err"
		cat "$T"/shard.* | ccmc-estimate --merge | cmp "$T/single" -
	done
}

@test "shard: --rows I/N keeps the samples of the rows i with i mod N = I - 1" {
	attn-gen-model --vocab 7 --seed 2 | attn-sample -n 2000 --len 4 --seed 3 >"$T/s"
	for i in 1 2 3; do
		ccmc-estimate --rows $i/3 "$T/s" >"$T/sh$i"
	done
	py "$T/s" "$T"/sh1 "$T"/sh2 "$T"/sh3 <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
per = [0] * 7
for r in recs:
    if r["type"] == "sample":
        per[r["prompt"][-1]] += 1
for I, f in enumerate(sys.argv[2:], 1):
    s = json.load(open(f))
    assert s["type"] == "ccmc-shard" and s["shard"] == I and s["shards"] == 3
    rows = [i for i in range(7) if i % 3 == I - 1]
    assert s["rows"] == rows, s["rows"]
    assert s["row_fits"]["samples"] == [per[i] for i in rows]
    assert s["fit"]["samples"] == sum(per[i] for i in rows)
PY
}

@test "shard: merged = single fit, N = 1, 3, K: ground truth (error), stderr, --brief, --bootstrap" {
	attn-gen-model --vocab 6 --seed 2 | attn-sample -n 3000 --len 5 --seed 4 >"$T/s"
	NS="1 3 6"
	identical "$T/s"
	identical "$T/s" --brief
	identical "$T/s" --bootstrap 20 --seed 9
	grep -q '"error":{' "$T/single"
	grep -q '"bootstrap":{' "$T/single"
}

@test "shard: merged = single fit with positions, a ridge and a window, trajectories, Newton-CG, no convergence" {
	attn-gen-model --vocab 5 --pos 10 --seed 3 | attn-sample -n 2000 --len 8 --seed 4 >"$T/pos"
	attn-gen-model --vocab 7 --seed 3 |
	    attn-sample --trajectory -n 3 --steps 300 --len 5 --seed 4 >"$T/traj"
	NS="1 3 5"
	identical "$T/pos"
	grep -q '"posw":\[\[' "$T/single"
	grep -q '"weights":"position-weighted counts"' "$T/single"
	NS="1 3 7"
	identical "$T/traj" --l2 0.5 --window 3
	identical "$T/traj" --method cg
	identical "$T/traj" --max-iter 1
	grep -q '"converged":false' "$T/single"
	# more shards than rows: the empty ones still count
	NS=9
	identical "$T/traj"
}

@test "shard: merged = single fit where rows are undetermined or have no MLE (notes alike)" {
	printf '%s\n' '{"type":"sample","prompt":[0,1],"y":1}' \
	    '{"type":"sample","prompt":[2,1],"y":2}' \
	    '{"type":"sample","prompt":[0,3],"y":0}' >"$T/tiny"
	NS="1 3 4"
	identical "$T/tiny" --vocab 6
	grep -q 'note: ' "$T/single.err"
}

@test "shard: the shard record is valid under its schema and ccmc-records(5) names its fields" {
	attn-gen-model --vocab 4 --pos 6 --seed 2 | attn-sample -n 500 --len 4 >"$T/s"
	ccmc-estimate --rows 2/3 --bootstrap 3 "$T/s" >"$T/sh"
	/usr/bin/python3 - "$TOP/share/schema/ccmc-shard.schema.json" "$T/sh" \
	    "$TOP/man/ccmc-records.5" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
v = Draft202012Validator(json.load(open(sys.argv[1])))
r = json.load(open(sys.argv[2]))
errs = list(v.iter_errors(r))
assert not errs, errs[0].message
man = open(sys.argv[3]).read()
keys = set()
def walk(x):
    if isinstance(x, dict):
        for k, y in x.items():
            keys.add(k); walk(y)
    elif isinstance(x, list):
        for y in x: walk(y)
walk(r)
missing = [k for k in sorted(keys) if k not in man]
assert not missing, missing
PY
}

@test "shard: --merge refuses missing, duplicate, foreign and mixed shards, one located line each (65)" {
	attn-gen-model --vocab 6 --seed 2 | attn-sample -n 1000 --len 5 --seed 4 >"$T/s"
	attn-gen-model --vocab 6 --seed 2 | attn-sample -n 1000 --len 5 --seed 5 >"$T/other"
	for i in 1 2 3; do
		ccmc-estimate --rows $i/3 "$T/s" >"$T/a$i"
	done
	ccmc-estimate --rows 2/3 "$T/other" >"$T/input2"
	ccmc-estimate --rows 2/3 --l2 1 "$T/s" >"$T/opt2"
	ccmc-estimate --rows 2/4 "$T/s" >"$T/four2"
	cd "$T"
	run ccmc-estimate --merge a1 a3
	assert_error 65 ccmc-estimate
	[ "${lines[0]}" = "ccmc-estimate: a3:1: 1 of 3 shards missing, the first shard 2/3" ]
	run ccmc-estimate --merge a1 a2 a2 a3
	assert_error 65 ccmc-estimate
	[ "${lines[0]}" = "ccmc-estimate: a2:1: shard 2/3 again (first at a2:1)" ]
	run ccmc-estimate --merge a1 input2 a3
	assert_error 65 ccmc-estimate
	[[ ${lines[0]} == "ccmc-estimate: input2:1: a shard of another input than a1:1"* ]]
	run ccmc-estimate --merge a1 opt2 a3
	assert_error 65 ccmc-estimate
	# the option that differs, with both values
	[ "${lines[0]}" = 'ccmc-estimate: opt2:1: a shard fitted with other options than a1:1: "l2" is 1.0 here, 0.0 there' ]
	run ccmc-estimate --merge a1 four2
	assert_error 65 ccmc-estimate
	[ "${lines[0]}" = "ccmc-estimate: four2:1: shard 2/4, but a1:1 is one of 3" ]
	run ccmc-estimate --merge a1 a2 a3 s
	assert_error 65 ccmc-estimate
	[[ ${lines[0]} == 'ccmc-estimate: s:1: a record of type "attn-model"'* ]]
	run ccmc-estimate --merge /dev/null
	assert_error 65 ccmc-estimate
	[ "${lines[0]}" = "ccmc-estimate: /dev/null:0: no ccmc-shard records to merge" ]
	# a tampered record: a component beyond ncomp
	jq -c '.row_fits.components[0][0] = 5' a2 >bad2
	run ccmc-estimate --merge a1 bad2 a3
	assert_error 65 ccmc-estimate
	assert_located ccmc-estimate
	for r in "$output"; do [ "$(printf '%s\n' "$r" | wc -l)" -eq 1 ]; done
}

@test "shard: what does not go with --rows or --merge is refused up front (2), string tokens as invalid input (65)" {
	attn-gen-model --vocab 4 --seed 2 | attn-sample -n 200 --len 3 >"$T/s"
	for a in "--rows 0/3" "--rows 4/3" "--rows 1/" "--rows 1/3x" "--rows 1/1048577" \
	    "--rows 1/2 --markov" "--rows 1/2 --eval $T/s" "--rows 1/2 --text" \
	    "--rows 1/2 --dev-share 0.2" "--rows 1/2 --max-vocab 3" \
	    "--rows 1/2 --laplace 2" "--merge --l2 1" "--merge --rows 1/2" \
	    "--merge --bootstrap 3"; do
		run ccmc-estimate $a "$T/s"
		assert_error 2 ccmc-estimate
		[ "${#lines[@]}" -eq 1 ]
	done
	printf '%s\n' '{"type":"sample","prompt":["a","b"],"y":"b"}' >"$T/w"
	run ccmc-estimate --rows 1/2 "$T/w"
	assert_error 65 ccmc-estimate
	assert_located ccmc-estimate
}

@test "shard: the README's GNU parallel recipe gives the single fit" {
	command -v parallel >/dev/null || skip "no GNU parallel"
	cd "$T"
	attn-gen-model --vocab 20 --seed 3 | attn-sample -n 3000 --len 6 >samples.ndjson
	# as in README.md
	parallel ccmc-estimate --rows {}/16 samples.ndjson '>' shard.{} ::: $(seq 16)
	ccmc-estimate --merge shard.* >fit.json
	ccmc-estimate samples.ndjson | cmp - fit.json
}

# hostile SHARDS WANT JQ...: shard 2 of SHARDS (a1 a2 a3 in $T) changed by
# the jq program is refused with exit 65 and one line naming it and line 1,
# holding WANT.  "BIG" in the program stands for 2^63 - 1 (jq rounds it).
hostile() {
	local want=$1 prog=$2
	jq -c "$prog" "$T/a2" | sed 's/"BIG"/9223372036854775807/g' >"$T/bad"
	run ccmc-estimate --merge "$T/a1" "$T/bad" "$T/a3"
	assert_error 65 ccmc-estimate
	[ "${#lines[@]}" -eq 1 ] || { echo "$prog: $output"; return 1; }
	[[ ${lines[0]} == "ccmc-estimate: $T/bad:1: "*"$want"* ]] ||
	    { echo "$prog: $output"; return 1; }
}

@test "shard: --merge checks every field as strictly as the fit that wrote it: impossible values are refused at their line (65), not merged" {
	attn-gen-model --vocab 5 --seed 2 | attn-sample -n 600 --len 4 --seed 4 >"$T/s"
	for i in 1 2 3; do
		ccmc-estimate --quiet --rows $i/3 --bootstrap 5 "$T/s" >"$T/a$i"
	done
	# totals that wrapped or overflowed
	hostile '"samples[0]"' '.row_fits.samples[0] = "BIG"'
	hostile '"samples"' '.fit.samples = "BIG"'
	hostile '"skipped"' '.data.skipped = "BIG"'
	hostile '"loglik"' '.row_fits.loglik[0] = -1.7e308 | .row_fits.objective[0] = -1.7e308 | .row_fits.loglik[1] = -1.7e308 | .row_fits.objective[1] = -1.7e308'
	# options out of their range, or of the wrong type
	hostile '"l2"' '.options.l2 = -1'
	hostile '"tol"' '.options.tol = 0'
	hostile '"seed"' '.options.seed = "abc"'
	hostile '"brief"' '.options.brief = "yes"'
	hostile '"method"' '.options.method = "bfgs"'
	hostile '"max_iter"' '.options.max_iter = 1.5'
	hostile 'version' '.options.version = "0.0.9"'
	# rows that no fit gives
	hostile '"samples[0]"' '.row_fits.samples[0] = -5'
	hostile 'probability' '.row_fits.conditional[0][1] = 1.5'
	hostile '"P"[0]' '.row_fits.P[0][0] = null'
	hostile '"determined"' '.row_fits.determined[0] = false'
	hostile '"tied"' '.row_fits.tied[0] = true'
	hostile 'mean 0' '.row_fits.A[0][0] += 1'
	hostile 'softmax' '.row_fits.A[0][0] += 0.001 | .row_fits.A[0][1] -= 0.001'
	hostile '"mle_exists"' '.row_fits.zero[0][0] = 1'
	hostile 'above --tol' '.row_fits.grad_norm[0] = 1'
	hostile 'reason' '.row_fits.converged[0] = false | .fit.converged = false | .row_fits.why[0] = "tired"'
	hostile 'standard error' '.row_fits.stderr[0][0] = -1'
	hostile 'bootstrap interval' '.row_fits.bootstrap_lo[0][0] = 2'
	hostile '"fit": "samples"' '.fit.samples += 1'
	hostile '"fit": "loglik"' '.fit.loglik -= 1'
	hostile '"truth"' '.truth = {}'
	hostile '"data"' '.data.weighted = true'
}

@test "shard: a truth is checked as a ccmc record is (rows of P summing to 1, positive position weights), and carried by shard 1 alone" {
	attn-gen-model --vocab 4 --pos 300 --seed 3 | attn-sample -n 300 --len 5 --seed 4 >"$T/s"
	for i in 1 2 3; do
		ccmc-estimate --quiet --rows $i/3 "$T/s" >"$T/a$i"
	done
	# the 300 x 300 position weights once, in shard 1
	[ "$(jq 'has("truth")' "$T/a1")" = true ]
	[ "$(jq 'has("truth")' "$T/a2")" = false ]
	! grep -q posw "$T/a2" "$T/a3"
	[ "$(wc -c <"$T/a2")" -lt 20000 ]
	cd "$T"
	for prog in '.truth.P[0][0] += 0.5' '.truth.posw[3][1] = 0' \
	    '.truth.posw[5][0] = -1' '.truth.A[0][0] += 1' 'del(.truth)'; do
		jq -c "$prog" a1 >bad1
		run ccmc-estimate --merge bad1 a2 a3
		assert_error 65 ccmc-estimate
		[[ ${lines[0]} == "ccmc-estimate: bad1:1: "* ]]
	done
	jq -c '.truth = .truth' a1 >t2
	jq -c --slurpfile t a1 '.truth = $t[0].truth' a2 >bad2
	run ccmc-estimate --merge a1 bad2 a3
	assert_error 65 ccmc-estimate
	[[ ${lines[0]} == 'ccmc-estimate: bad2:1: a "truth" where only shard 1 carries it' ]]
}

@test "shard: merged records are valid ccmc records under share/schema/ccmc.schema.json" {
	attn-gen-model --vocab 5 --pos 8 --seed 2 | attn-sample -n 800 --len 4 --seed 4 >"$T/s"
	for opts in "" "--bootstrap 4" "--l2 0.5 --window 3" "--brief"; do
		for i in 1 2; do
			ccmc-estimate --quiet --rows $i/2 $opts "$T/s" >"$T/b$i"
		done
		ccmc-estimate --quiet --merge "$T/b1" "$T/b2" >>"$T/merged"
	done
	/usr/bin/python3 - "$TOP/share/schema/ccmc.schema.json" "$T/merged" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
v = Draft202012Validator(json.load(open(sys.argv[1])))
n = 0
for l in open(sys.argv[2]):
    errs = list(v.iter_errors(json.loads(l)))
    assert not errs, errs[0].message
    n += 1
assert n == 4
PY
}

@test "shard: a shard of many rows (64 rows of K = 128) merges into the single fit" {
	printf '%s\n' '{"type":"sample","prompt":[0,1],"y":1}' \
	    '{"type":"sample","prompt":[2,1],"y":2}' \
	    '{"type":"sample","prompt":[0,3],"y":0}' >"$T/tiny"
	NS="1 2"
	identical "$T/tiny" --vocab 128
}
