#!/usr/bin/env bats
# The records every program prints, option family by option family, are
# valid under the JSON Schemas of share/schema (checked by Debian's
# python3-jsonschema, an implementation independent of the toolkit);
# broken records are rejected by the schemas and by the programs alike;
# and ccmc-records(5) names every field the programs print.

load helper

SCHEMAS=$TOP/share/schema
# The system python: python3-jsonschema is a Debian package.
SPY=${SCHEMA_PYTHON:-/usr/bin/python3}

# validate FILE...: every record of every NDJSON FILE (at least one each)
# is valid under the schema of its type; the field names met are added to
# $BATS_FILE_TMPDIR/keys.
validate() {
	"$SPY" - "$SCHEMAS" "$BATS_FILE_TMPDIR/keys" "$@" <<'PY'
import json, os, sys
from jsonschema import Draft202012Validator

schemas, keyfile, files = sys.argv[1], sys.argv[2], sys.argv[3:]
validators, keys, bad = {}, set(), 0

def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if not k.isdigit():     # a map's keys (sizes, ids) are data
                keys.add(k)
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)

for f in files:
    n = 0
    for lineno, line in enumerate(open(f, encoding="utf-8"), 1):
        if not line.strip():
            continue
        n += 1
        r = json.loads(line)
        t = r.get("type")
        if t not in validators:
            path = os.path.join(schemas, "%s.schema.json" % t)
            if not os.path.exists(path):
                print("%s:%d: no schema for type %r" % (f, lineno, t))
                bad += 1
                continue
            validators[t] = Draft202012Validator(json.load(open(path)))
        for e in validators[t].iter_errors(r):
            print("%s:%d: %s: %s" % (f, lineno, "/".join(map(str, e.absolute_path)), e.message[:300]))
            bad += 1
        walk(r)
    if n == 0:
        print("%s: no records" % f)
        bad += 1
with open(keyfile, "a") as k:
    k.write("".join(x + "\n" for x in sorted(keys)))
sys.exit(1 if bad else 0)
PY
}

# rejected TYPE JSON: the schema of TYPE rejects the record JSON.
rejected() {
	"$SPY" - "$SCHEMAS/$1.schema.json" "$2" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
v = Draft202012Validator(json.load(open(sys.argv[1])))
errors = list(v.iter_errors(json.loads(sys.argv[2])))
if not errors:
    print("accepted: " + sys.argv[2][:200])
    sys.exit(1)
PY
}

# refused PROGRAM ARGS...: the program refuses the broken record as
# invalid input: exit 65 and one located line.
refused() {
	local prog=$1
	shift
	run "$prog" "$@"
	assert_error 65 "$prog"
	assert_located "$prog"
}

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	: >keys
	attn-gen-model --vocab 4 --seed 2 >m
	attn-gen-model --vocab 5 --diag 2 --seed 3 >md
	attn-gen-model --vocab 4 --embed gaussian --seed 4 >mg
	attn-gen-model --vocab 4 --pos 24 --recency 4 >mr
	attn-gen-model --vocab 4 --pos 24 --pos-dim 3 --embed gaussian >mq
	attn-gen-model --vocab 40 --dim 3 --embed gaussian --headless >mh
	attn-gen-model --vocab 4 --pos 8 --weights mw.safetensors --dtype float32 >mw
	attn-to-ccmc m >c
	attn-to-ccmc --analyze mr >cr
	attn-to-ccmc --analyze md >cd
	printf '%s\n' '{"type":"ccmc","K":3,"P":[[0.5,0.3,0.2],[0.2,0.5,0.3],[0.3,0.2,0.5]],"vocab":["the","cat","<unk>"]}' >words
	printf '%s\n' '{"type":"prompt","prompt":[1,2,2,3]}' '{"type":"prompt","prompt":[0]}' >prompts
	printf '%s\n' '{"type":"prompt","prompt":["the","cat","sat"]}' >wprompts
	# the licences every Debian system has, as a small corpus
	tr -s ' \n\t' ' ' </usr/share/common-licenses/GPL-3 | fold -w 300 -s | head -80 >train.txt
	tr -s ' \n\t' ' ' </usr/share/common-licenses/Apache-2.0 | fold -w 300 -s | head -30 >held.txt
}

@test "schema: one valid draft 2020-12 schema per record type" {
	for t in attn-model ccmc prompt sample trajectory traj-stats eval; do
		[ -f "$SCHEMAS/$t.schema.json" ] || { echo "no schema for $t" >&2; return 1; }
	done
	"$SPY" - "$SCHEMAS"/*.schema.json <<'PY'
import json, sys
from jsonschema import Draft202012Validator
for f in sys.argv[1:]:
    s = json.load(open(f))
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema", f
    Draft202012Validator.check_schema(s)
PY
}

@test "schema: attn-gen-model, every kind of model" {
	cd "$BATS_FILE_TMPDIR"
	validate m md mg mr mq mh mw
}

@test "schema: ccmc-estimate --embeddings, Newton and Newton-CG, with a truth" {
	cd "$BATS_FILE_TMPDIR"
	attn-sample -n 2000 mh >sh
	ccmc-estimate --embeddings mh sh >w1
	tail -n +2 sh | ccmc-estimate --embeddings mh --method cg --brief >w2
	ccmc-estimate --embeddings mh --bootstrap 5 sh >w3
	validate w1 w2 w3
}

@test "schema: attn-to-ccmc, with and without positions and --analyze" {
	cd "$BATS_FILE_TMPDIR"
	{ cat m prompts; } | attn-to-ccmc >pass
	# users' weights: retied, checked on prompts
	attn-to-ccmc --retie --check prompts mq >cq
	attn-gen-model --vocab 4 --seed 18446744073709551615 >mbig
	attn-to-ccmc --check prompts mbig >cbig
	# prompts that carry the user's own p
	attn-sample --probs -n 3 m | tail -n +2 |
	    sed 's/"type":"sample"/"type":"prompt"/; s/,"y":[0-9]*//' >pp
	attn-to-ccmc --check pp m >cu
	# a layer that is no CCMC: a softmax head, its distance from one
	jq -c '.head = "softmax"' m >msm
	attn-to-ccmc --check prompts msm >csm
	attn-sample --head linear -n 2 m >sl
	validate c cr cd pass cq mbig cbig pp cu msm csm sl
}

@test "schema: attn-sample, samples, probabilities, paths and prompts" {
	cd "$BATS_FILE_TMPDIR"
	attn-sample -n 50 m >s1
	attn-sample -n 50 --probs --via ccmc --prompts blocks:2 --len 1:6 mr >s2
	attn-sample -n 50 --markov --prompts zipf:1.2 c >s3
	attn-sample --model m --probs prompts >s4
	attn-sample --model words --probs wprompts >s5
	attn-sample --model words --ids wprompts >s6
	attn-sample -n 50 --shard 1/3 mg >s7
	attn-sample -n 50 --window 3 --retie --probs mq >s8
	validate s1 s2 s3 s4 s5 s6 s7 s8
}

@test "schema: attn-sample, trajectories by the chain, the attention pass and the Markov chain" {
	cd "$BATS_FILE_TMPDIR"
	attn-sample --trajectory -n 3 --steps 40 m >t1
	attn-sample --trajectory -n 3 --steps 10 --len 4 --via attention mr >t2
	attn-sample --trajectory -n 3 --steps 40 --markov md >t3
	attn-sample --model words --trajectory --steps 10 wprompts >t4
	attn-sample --trajectory -n 2 --steps 30 --window 5 mr >t5
	attn-sample -n 20 --window 2 m >t6
	validate t1 t2 t3 t4 t5 t6
}

@test "schema: ccmc-estimate fits, with and without ground truth, nulls, ridge, bootstrap" {
	cd "$BATS_FILE_TMPDIR"
	attn-sample -n 3000 m | ccmc-estimate --bootstrap 5 >e1
	attn-sample -n 3000 --prompts blocks:2 md | ccmc-estimate >e2
	attn-sample -n 2000 mr | ccmc-estimate --l2 0.5 --method cg >e3
	attn-sample -n 2000 m | tail -n +2 | ccmc-estimate --vocab 4 --brief >e4
	# a few samples: the MLE does not exist, some logits are -infinity
	attn-sample -n 12 --len 3 md | ccmc-estimate >e5
	attn-sample --trajectory -n 2 --steps 500 md | ccmc-estimate >e6
	validate e1 e2 e3 e4 e5 e6
	"$SPY" -c 'import json,sys; r=json.loads(open("e5").read()); sys.exit(r["fit"]["mle_exists"])'
}

@test "schema: ccmc-estimate on text, the bigram baseline and --eval" {
	cd "$BATS_FILE_TMPDIR"
	ccmc-estimate --text --window 16 --max-vocab 60 train.txt >x1
	ccmc-estimate --text --markov --max-vocab 60 train.txt >x2
	ccmc-estimate --text --eval x1 held.txt >x3
	ccmc-estimate --text --eval x2 held.txt >x4
	ccmc-estimate --text --eval x1 --mix 0.3 --window 16 held.txt >x5
	attn-sample -n 500 m | ccmc-estimate --eval m >x6
	attn-sample --model x1 --trajectory --steps 20 wprompts >x7
	ccmc-estimate --eval words x7 >x8
	attn-sample --model x1 --trajectory --steps 20 --mix model --window none wprompts >x9
	attn-sample --model x1 --probs --mix 0.5 wprompts >x10
	attn-sample --model x1 --trajectory --steps 20 --mix model --window 8 wprompts >x11
	# the text options, a dev part, the add-A chain
	t=(--text --lower --punct split --chunk 12)
	ccmc-estimate "${t[@]}" --markov --dev-share 0.3 --max-vocab 60 train.txt >x12
	ccmc-estimate "${t[@]}" --markov --laplace 0.1 --max-vocab 60 train.txt >x13
	ccmc-estimate "${t[@]}" --window 8 --dev-share 0.3 --max-vocab 60 --brief \
	    train.txt >x14
	ccmc-estimate "${t[@]}" --pieces 2/3 --eval x14 held.txt >x15
	validate x1 x2 x3 x4 x5 x6 x7 x8 x9 x10 x11 x12 x13 x14 x15
	jq -e '.fit.dev.steps > 0' x12 >/dev/null
	jq -e '.dev.steps > 0 and .mix_fitted_on == "dev part"' x14 >/dev/null
}

@test "schema: traj-stats per trajectory and summary, with and without a model, on text" {
	cd "$BATS_FILE_TMPDIR"
	attn-sample --trajectory -n 4 --steps 300 md >tr
	traj-stats --predict tr >y1
	tail -n +2 tr | traj-stats >y2
	traj-stats --predict --summary tr >y3
	tail -n +2 tr | traj-stats --summary >y4
	traj-stats --text held.txt >y5
	traj-stats --text --summary held.txt >y6
	printf '%s\n' '{"type":"trajectory","prompt":[],"tokens":[1,2,1]}' | traj-stats >y7
	# the ordinary chain's trajectories: not predicted, and counted apart
	attn-sample --trajectory -n 3 --steps 300 --markov md >trm
	traj-stats --predict trm >y8
	cat trm tr | traj-stats --predict --summary >y9
	validate y1 y2 y3 y4 y5 y6 y7 y8 y9
}

@test "schema: broken records are rejected, and the programs refuse them" {
	cd "$BATS_FILE_TMPDIR"
	noW=$(jq -c 'del(.W)' m)
	rejected attn-model "$noW"
	echo "$noW" >bad
	refused attn-to-ccmc bad
	rejected attn-model "$(jq -c '.pos = {"LMAX":2}' m)"
	rejected attn-model "$(jq -c '.E = [1,2,3]' m)"
	notmatrix=$(jq -c '.P = [0.25,0.25,0.25,0.25]' c)
	rejected ccmc "$notmatrix"
	echo "$notmatrix" >bad
	refused attn-sample -n 1 bad
	rejected ccmc "$(jq -c 'del(.P)' c)"
	rejected ccmc "$(jq -c '.P[0][0] = -0.1' c)"
	rejected ccmc "$(jq -c '.posw = [[1],[0,1]]' c)"
	rejected ccmc "$(jq -c '.vocab = ["a","a","b","c"]' c)"
	neg='{"type":"sample","prompt":[0,-1,2],"y":1}'
	rejected sample "$neg"
	{ cat m; echo "$neg"; } >bad
	refused ccmc-estimate bad
	rejected sample '{"type":"sample","prompt":[0,1],"y":-2}'
	rejected sample '{"type":"sample","prompt":[],"y":1}'
	rejected sample '{"type":"sample","prompt":[0,1],"y":"a"}'
	rejected sample '{"type":"sample","prompt":[0,1]}'
	rejected prompt '{"type":"prompt","prompt":[]}'
	rejected prompt '{"type":"prompt","prompt":[0,"a"]}'
	rejected trajectory '{"type":"trajectory","prompt":[0],"tokens":[1,-3]}'
	{ cat m; echo '{"type":"trajectory","prompt":[0],"tokens":[1,-3]}'; } >bad
	refused traj-stats bad
	rejected trajectory '{"type":"trajectory","prompt":["a"],"tokens":[1]}'
	rejected trajectory '{"type":"trajectory","prompt":[0]}'
	rejected traj-stats "$(head -1 y1 | jq -c 'del(.final)')"
	rejected traj-stats "$(head -1 y1 | jq -c '.winners.window = "0"')"
	rejected traj-stats "$(jq -c 'del(.winner_set_size)' y3)"
	rejected eval "$(jq -c 'del(.steps)' x3)"
	rejected eval "$(jq -c '.coverage = 1.5' x3)"
	rejected ccmc "$(jq -c '.fit.samples = -1' e1)"
}

@test "schema: the sparse form of ccmc, header and ccmc-row records" {
	cd "$BATS_FILE_TMPDIR"
	printf '%s\n' '{"type":"ccmc","form":"sparse","K":3,"default":0.0,"background":[0.5,-1,0],"posw":null,"meta":{"gauge":"row-mean-zero","chain":"markov"},"unigram":[0.2,0.3,0.5]}' \
	    '{"type":"ccmc-row","i":0,"cols":[1],"A":[0.5]}' \
	    '{"type":"ccmc-row","i":1,"cols":[],"A":[],"default":null}' \
	    '{"type":"ccmc-row","i":2,"cols":[0,2],"A":[1.0,null],"zero":[1]}' >sp
	# every logit determined: drawn from
	sed 's/,"default":null//; s/null\],"zero"/2],"zero"/' sp >spd
	attn-sample -n 2 --seed 1 <spd >sps
	attn-to-ccmc --analyze spd >spa
	validate sps spa
	rejected ccmc '{"type":"ccmc","form":"sparse","K":3,"default":0,"A":[[0]]}'
	rejected ccmc '{"type":"ccmc","form":"sparse","K":3}'
	rejected ccmc '{"type":"ccmc","K":3000,"P":[[1]]}'
	rejected ccmc-row '{"type":"ccmc-row","i":0,"A":[]}'
	rejected ccmc-row '{"type":"ccmc-row","i":0,"cols":[1,1],"A":[0,0]}'
	# a sparse fit's rows: samples, identifiability, stderr, intervals
	attn-gen-model --vocab 5 --seed 3 | attn-sample -n 800 --len 4 --seed 2 |
	    ccmc-estimate --quiet --form sparse --bootstrap 3 >fs
	printf '%s\n' "the cat sat on the mat" "the dog sat on the cat" >ft.txt
	ccmc-estimate --quiet --text --window 4 --form sparse ft.txt >ft
	validate fs ft
	row=$(sed -n 2p fs)
	rejected ccmc-row "$(jq -c '.stderr = [-1]' <<<"$row")"
	rejected ccmc-row "$(jq -c '.identifiability.components = [.cols]' <<<"$row")"
	rejected ccmc-row "$(jq -c '.identifiability.zero = []' <<<"$row")"
	rejected ccmc-row "$(jq -c '.conditional_lo = [2]' <<<"$row")"
	# which the dense record, its rows in K x K matrices, still requires
	attn-gen-model --vocab 5 --seed 3 | attn-sample -n 800 --len 4 --seed 2 |
	    ccmc-estimate --quiet --bootstrap 3 >fd
	validate fd
	rejected ccmc "$(jq -c 'del(.identifiability.conditional)' fd)"
	rejected ccmc "$(jq -c 'del(.stderr.conditional)' fd)"
	rejected ccmc "$(jq -c 'del(.stderr.bootstrap.P_lo)' fd)"
}

# Run after the tests above have gathered the field names they met.
@test "schema: ccmc-records(5) names every field the programs print" {
	cd "$BATS_FILE_TMPDIR"
	[ -s keys ] || skip "no records validated"
	mandoc -Tascii "$TOP/man/ccmc-records.5" | sed 's/.\x08//g' >page
	missing=""
	for k in $(sort -u keys); do
		grep -qE "(^|[^[:alnum:]_])$k([^[:alnum:]_]|$)" page || missing="$missing $k"
	done
	[ -z "$missing" ] || { echo "not in man/ccmc-records.5:$missing" >&2; return 1; }
}
