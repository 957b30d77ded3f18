#!/usr/bin/env bats
# The sparse form of ccmc records (ccmc-records(5)): a header and K
# ccmc-row records.  Sparse records are written here by Python from dense
# ones (or dense ones from sparse), independently of the toolkit, and every
# reader gives the same bytes from either form; a sparse model of K =
# 300000 is sampled and scored in a small address space, its perplexity
# that of a brute-force computation; every malformed sparse record is
# refused with one located line (exit 65); a sparse Markov record's
# probabilities and draws are those of a brute-force computation.

load helper

# tosparse DENSE > SPARSE: each ccmc record rewritten in the sparse form,
# every column of every row listed, as written.
tosparse() {
	py "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") != "ccmc":
        sys.stdout.write(line)
        continue
    K, A = r["K"], r.pop("A")
    r.pop("P")
    h = {"type": "ccmc", "form": "sparse", "K": K, "default": None, "background": None}
    h.update({k: v for k, v in r.items() if k not in h})
    print(json.dumps(h, separators=(",", ":")))
    for i in range(K):
        print(json.dumps({"type": "ccmc-row", "i": i, "cols": list(range(K)), "A": A[i]},
                         separators=(",", ":")))
PY
}

# randsparse K SEED SPARSE DENSE: a sparse CCMC with a default, a
# background, a row with its own default, a row listing everything and an
# empty row; and its dense equivalent (A_ij = default_i + bg_j where row i
# does not list j, P its row softmax).
randsparse() {
	py "$@" <<'PY'
import json, math, random, sys
K, seed = int(sys.argv[1]), int(sys.argv[2])
random.seed(seed)
bg = [random.gauss(0, 1) for _ in range(K)]
d0 = -0.5
sp, A = [], []
for i in range(K):
    n = K if i == 1 else 0 if i == 2 else random.randint(1, K // 3)
    cols = sorted(random.sample(range(K), n))
    a = [random.gauss(0, 2) for _ in cols]
    row = {"type": "ccmc-row", "i": i, "cols": cols, "A": a}
    d = d0
    if i == 3:
        d = row["default"] = 0.75
    sp.append(json.dumps(row, separators=(",", ":")))
    full = [d + bg[j] for j in range(K)]
    for c, x in zip(cols, a):
        full[c] = x
    A.append(full)
def softmax(r):
    m = max(r)
    e = [math.exp(x - m) for x in r]
    s = sum(e)
    return [x / s for x in e]
meta = {"gauge": "row-mean-zero"}
with open(sys.argv[3], "w") as f:
    f.write(json.dumps({"type": "ccmc", "form": "sparse", "K": K, "default": d0,
                        "background": bg, "posw": None, "meta": meta},
                       separators=(",", ":")) + "\n")
    f.write("\n".join(sp) + "\n")
with open(sys.argv[4], "w") as f:
    f.write(json.dumps({"type": "ccmc", "K": K, "A": A, "P": [softmax(r) for r in A],
                        "posw": None, "meta": meta}, separators=(",", ":")) + "\n")
PY
}

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	attn-gen-model --vocab 12 --seed 3 | attn-to-ccmc >d1
	attn-gen-model --vocab 9 --pos 10 --recency 3 --seed 4 | attn-to-ccmc >d2
	tosparse d1 >s1
	tosparse d2 >s2
	randsparse 40 5 s3 d3
	for k in 1 2 3; do
		attn-sample --model d$k -n 4 --trajectory --steps 60 --len 6 \
		    $(win $k) --seed 2 </dev/null | grep '"trajectory"' >t$k
	done
}

# The window model 2 (positions for 10 tokens) is read with.
win() {
	[ "$1" != 2 ] || echo --window 8
}

# draws FILE ARGS...: the sample or trajectory records attn-sample prints
# from the model in FILE (the model's own lines left out).
draws() {
	local f=$1
	shift
	attn-sample --model "$f" "$@" </dev/null | grep -v '"ccmc'
}

@test "sparse: attn-sample prints the sparse record as read, then its draws" {
	cd "$BATS_FILE_TMPDIR"
	attn-sample -n 3 --seed 1 <s3 >out
	head -n 41 out | cmp - s3
	[ "$(tail -n +42 out | jq -r .type | sort -u)" = sample ]
	[ "$(wc -l <out)" -eq 44 ]
}

@test "sparse: attn-sample --model gives the same next tokens, p and trajectories from both forms" {
	cd "$BATS_FILE_TMPDIR"
	for k in 1 2 3; do
		draws d$k -n 300 --len 6 --seed 11 --probs >a
		draws s$k -n 300 --len 6 --seed 11 --probs >b
		[ -s a ] && cmp a b
		draws d$k -n 3 --len 6 --trajectory --steps 400 $(win $k) --seed 12 >a
		draws s$k -n 3 --len 6 --trajectory --steps 400 $(win $k) --seed 12 >b
		[ -s a ] && cmp a b
		# positions decaying as rho^(L - t), no window: the decaying path
		draws d2 -n 20 --len 3 --trajectory --steps 7 --seed 14 >a
		draws s2 -n 20 --len 3 --trajectory --steps 7 --seed 14 >b
		[ -s a ] && cmp a b
		# prompts from the stream, a window
		jq -c '{type: "prompt", prompt: .prompt}' t$k >p
		attn-sample --model d$k --window 3 --seed 13 <p | grep -v ccmc >a
		attn-sample --model s$k --window 3 --seed 13 <p | grep -v ccmc >b
		[ -s a ] && cmp a b
	done
}

@test "sparse: traj-stats, ccmc-estimate --eval, a ground truth and attn-to-ccmc --analyze agree to the byte" {
	cd "$BATS_FILE_TMPDIR"
	for k in 1 2 3; do
		traj-stats --model d$k t$k >a
		traj-stats --model s$k t$k >b
		[ -s a ] && cmp a b
		cat d$k t$k | traj-stats >a
		cat s$k t$k | traj-stats >b
		cmp a b
		ccmc-estimate --eval d$k $(win $k) t$k >a
		ccmc-estimate --eval s$k $(win $k) t$k >b
		[ "$(jq .covered a)" -gt 0 ] && cmp a b
		attn-to-ccmc --analyze d$k | head -1 | jq -c .chain >a
		attn-to-ccmc --analyze s$k | head -1 | jq -c .chain >b
		[ -s a ] && cmp a b
	done
	# a ground truth: the same fit and the same errors against it
	attn-sample --model d1 -n 3000 --seed 3 </dev/null | tail -n +2 >x
	cat d1 x | ccmc-estimate >a 2>/dev/null
	cat s1 x | ccmc-estimate >b 2>/dev/null
	[ "$(jq '.error.P_entries' a)" -eq 144 ] && cmp a b
	# attn-to-ccmc --analyze prints the header with its chain, then the rows
	attn-to-ccmc --analyze s3 | tail -n +2 | cmp - <(tail -n +2 s3)
}

# bigsparse K N SEED: a sparse CCMC of K tokens with N listed entries in
# its first rows, default 0, and trajectories over a few hundred tokens.
bigsparse() {
	py "$@" <<'PY'
import json, random, sys
K, N, seed = map(int, sys.argv[1:4])
random.seed(seed)
hot = random.sample(range(K), 300)
with open("big", "w") as f:
    f.write('{"type":"ccmc","form":"sparse","K":%d,"default":0.0,"background":null,"posw":null,"meta":{"gauge":"row-mean-zero"}}\n' % K)
    left = N
    for i in range(K):
        n = min(left, 60) if i in hot else 0
        left -= n
        cols = sorted(random.sample(hot, n))
        a = [round(random.gauss(0, 2), 6) for _ in cols]
        f.write('{"type":"ccmc-row","i":%d,"cols":%s,"A":%s}\n' % (
            i, json.dumps(cols, separators=(",", ":")), json.dumps(a, separators=(",", ":"))))
with open("bigp", "w") as f:
    for t in range(20):
        f.write('{"type":"prompt","prompt":%s}\n' % json.dumps(random.sample(hot, 8)))
PY
}

@test "sparse: K = 300000 with a few thousand entries, sampled and scored in 200 MB of address space" {
	cd "$BATS_FILE_TMPDIR"
	bigsparse 300000 5000 7
	# dense, K x K doubles would take 720 GB
	under_vmem 200000 attn-sample --model big -n 1000 --seed 4 --len 8 </dev/null >out
	[ "$(grep -c '"sample"' out)" -eq 1000 ]
	under_vmem 200000 attn-sample --model big --trajectory --steps 300 \
	    --seed 5 <bigp | grep '"trajectory"' >traj
	[ "$(wc -l <traj)" -eq 20 ]
	under_vmem 200000 ccmc-estimate --eval big traj >ev
	# the perplexity by brute force: counts of the context, logits looked
	# up in the rows (0 where a row does not list a column)
	py big traj ev <<'PY'
import json, math, sys
rows = {}
with open(sys.argv[1]) as f:
    next(f)
    for line in f:
        r = json.loads(line)
        if r["cols"]:
            rows[r["i"]] = dict(zip(r["cols"], r["A"]))
ll, n = 0.0, 0
for line in open(sys.argv[2]):
    t = json.loads(line)
    seq = t["prompt"] + t["tokens"]
    cnt = {}
    for x in t["prompt"]:
        cnt[x] = cnt.get(x, 0) + 1
    for s in range(len(t["prompt"]), len(seq)):
        i, y = seq[s - 1], seq[s]
        a = rows.get(i, {})
        z = sum(c * math.exp(a.get(j, 0.0)) for j, c in cnt.items())
        ll += math.log(cnt[y] * math.exp(a.get(y, 0.0)) / z)
        n += 1
        cnt[y] = cnt.get(y, 0) + 1
e = json.load(open(sys.argv[3]))
assert e["steps"] == n == 6000 and e["covered"] == n, e
assert abs(e["loglik"] - ll) <= 1e-9 * abs(ll), (e["loglik"], ll)
PY
}

# bad LABEL WHERE EXPECT: attn-sample --model on the record in file "r"
# exits 65 with one line "attn-sample: WHERE ..." (WHERE: r:LINE:) that
# holds EXPECT.
bad() {
	run attn-sample --model r -n 1 </dev/null
	assert_error 65 attn-sample
	assert_located attn-sample
	[ "${#lines[@]}" -eq 1 ] || { echo "$1: ${#lines[@]} lines: $output" >&2; return 1; }
	case $output in
	"attn-sample: $2 "*"$3"*) ;;
	*) echo "$1: no '$2 ... $3' in: $output" >&2; return 1 ;;
	esac
}

@test "sparse: every malformed sparse record, one located line and exit 65" {
	cd "$BATS_FILE_TMPDIR"
	H='{"type":"ccmc","form":"sparse","K":3,"default":0.0,"background":null}'
	R0='{"type":"ccmc-row","i":0,"cols":[1],"A":[0.5]}'
	R1='{"type":"ccmc-row","i":1,"cols":[],"A":[]}'
	R2='{"type":"ccmc-row","i":2,"cols":[0,2],"A":[1.0,-1.0]}'
	# the good record is read
	printf '%s\n' "$H" "$R0" "$R1" "$R2" >r
	run attn-sample --model r -n 1 </dev/null
	[ "$status" -eq 0 ]
	printf '%s\n' "$H" "$R1" "$R0" "$R2" >r
	bad order r:2: "ccmc-row 1 where row 0 was expected"
	printf '%s\n' "$H" "$R0" "$R0" "$R2" >r
	bad repeated-row r:3: "ccmc-row 0 after row 0"
	printf '%s\n' "$H" "$R0" "$R2" >r
	bad missing r:3: "ccmc-row 2 where row 1 was expected"
	printf '%s\n' "$H" "$R0" "$R1" '{"type":"ccmc-row","i":3,"cols":[],"A":[]}' >r
	bad beyond r:4: "ccmc-row 3 is beyond K = 3"
	printf '%s\n' "$H" "$R0" "$R1" >r
	bad short r:1: "the sparse ccmc of K = 3 on this line has 2 of its 3 rows"
	printf '%s\n' "$H" "$R0" '{"type":"prompt","prompt":[1]}' >r
	bad not-a-row r:3: "expected ccmc-row 1 of the sparse ccmc of line 1"
	# LINE|label|fields of the offending line (row 0, or the header)|message
	HEAD='{"type":"ccmc","form":"sparse","K":3,'
	ROW0='{"type":"ccmc-row","i":0,'
	for case in \
	    '2|repeated|"cols":[0,0],"A":[1,2]|column 0 is repeated' \
	    '2|unsorted|"cols":[2,0],"A":[1,2]|must be ascending' \
	    '2|range|"cols":[3],"A":[1]|not a column id in [0, 3)' \
	    '2|negative|"cols":[-1],"A":[1]|not a column id in [0, 3)' \
	    '2|lengths|"cols":[0,1],"A":[1]|as long as "cols" (2)' \
	    '2|too-many|"cols":[0,1,2,3],"A":[1,2,3,4]|more than K = 3' \
	    '2|zero-in-cols|"cols":[0,1],"A":[1,2],"zero":[1]|column 1 is in both' \
	    '2|zero-all|"cols":[],"A":[],"zero":[0,1,2]|every column probability 0' \
	    '2|huge|"cols":[0],"A":[1e301]|not a finite logit within 1e+300' \
	    '2|overflow|"cols":[0],"A":[1e400]|invalid JSON' \
	    '2|string|"cols":[0],"A":["1"]|not a number or null' \
	    '2|default|"cols":[0],"A":[1],"default":"x"|default[0] is not a number' \
	    '2|no-cols|"A":[1]|"cols" must be an array' \
	    '1|with-A|"A":[[0]],"default":0|carries no "A"' \
	    '1|with-P|"P":[[1]],"default":0|carries no "P"' \
	    '1|bg-length|"default":0,"background":[1,2]|array of K = 3 numbers' \
	    '1|bg-value|"default":0,"background":[1,"a",2]|background[1] is not a finite' \
	    '1|no-default|"background":null|has no "default" field' \
	    '1|form|"form":"dense2","default":0|"form" must be'; do
		IFS='|' read -r line label body want <<<"$case"
		if [ "$line" = 1 ]; then
			printf '%s\n' "$HEAD$body}" "$R0" "$R1" "$R2"
		else
			printf '%s\n' "$H" "$ROW0$body}" "$R1" "$R2"
		fi >r
		[ "$label" != form ] || sed -i '1s/"form":"sparse",//' r
		bad "$label" "r:$line:" "$want"
	done
	printf '%s\n' '{"type":"ccmc","form":"sparse","K":1048577,"default":0}' >r
	bad K r:1: "\"K\" = 1048577 is out of range [1, 1048576]"
	# a record that leaves logits undetermined is read, but not drawn from
	printf '%s\n' '{"type":"ccmc","form":"sparse","K":3,"default":null}' \
	    "$R0" "$R1" "$R2" >r
	bad undetermined r:1: "no draws from this sparse ccmc: row 0"
	# an extra row, where each reader reads its next record
	printf '%s\n' "$H" "$R0" "$R1" "$R2" "$R2" >r
	for cmd in "ccmc-estimate r" "ccmc-estimate --eval d1 r" "traj-stats r"; do
		run $cmd
		assert_error 65 "${cmd%% *}"
		[[ $output == *"r:5: a ccmc-row record outside a sparse ccmc"* ]]
	done
	# each reader refuses the same way
	printf '%s\n' "$H" "$R0" "$R2" >r
	for cmd in "ccmc-estimate --eval r /dev/null" "traj-stats --model r /dev/null" \
	    "attn-to-ccmc --analyze r"; do
		run $cmd
		assert_error 65 "${cmd%% *}"
		[[ $output == *"r:3: ccmc-row 2 where row 1 was expected"* ]]
	done
}

# What a fit adds to a row (ccmc-records(5), "A sparse fit"), which no
# reader uses, must still hold what it says: "stderr" and the bootstrap's
# "conditional_lo"/"conditional_hi" one entry per column, the components a
# partition of the listed columns (cols and zero).  Each bad row is
# refused at its line, in the layout a fit writes (read without a JSON
# tree) and with a space (read with one); every record a fit writes reads.
@test "sparse: a fit's row fields hold what ccmc-records(5) says, or the row is refused at its line" {
	cd "$BATS_FILE_TMPDIR"
	H='{"type":"ccmc","form":"sparse","K":4,"default":0.0,"background":null}'
	R1='{"type":"ccmc-row","i":1,"cols":[],"A":[]}'
	R2='{"type":"ccmc-row","i":2,"cols":[],"A":[]}'
	R3='{"type":"ccmc-row","i":3,"cols":[],"A":[]}'
	ROW0='{"type":"ccmc-row","i":0,"cols":[0,2],"A":[1.0,-1.0]'
	ID='"identifiability":{"determined":true,"mle_exists":true,"tied":false'
	# good rows: components of cols and zero, in any order; null entries
	for body in ',"samples":3.0' ",$ID}" ",$ID,\"components\":[[2],[0]]}" \
	    ',"zero":[1],'"$ID"',"components":[[1,2],[0]]}' \
	    ',"stderr":[0.5,null]' ',"stderr":null' \
	    ',"conditional_lo":[0.25,null],"conditional_hi":[0.5,null]'; do
		printf '%s\n' "$H" "$ROW0$body}" "$R1" "$R2" "$R3" >r
		run attn-sample --model r -n 1 </dev/null
		[ "$status" -eq 0 ] || { echo "$body: $output"; return 1; }
	done
	for case in \
	    'stderr-short|,"stderr":[0.5]|"stderr" must be an array as long as "cols" (2)' \
	    'stderr-long|,"stderr":[0.5,0.5,0.5]|"stderr" must be an array as long as "cols" (2)' \
	    'stderr-negative|,"stderr":[0.5,-0.5]|stderr[1] is not null or a number in [0, inf]' \
	    'stderr-string|,"stderr":[0.5,"x"]|stderr[1] is not null or a number' \
	    'stderr-number|,"stderr":0.5|"stderr" must be an array' \
	    'lo-short|,"conditional_lo":[0.1],"conditional_hi":[0.2,0.3]|"conditional_lo" must be an array as long as "cols" (2)' \
	    'hi-long|,"conditional_lo":[0.1,0.2],"conditional_hi":[0.2,0.3,0.4]|"conditional_hi" must be an array as long as "cols" (2)' \
	    'lo-alone|,"conditional_lo":[0.1,0.2]|"conditional_lo" without "conditional_hi"' \
	    'hi-alone|,"conditional_hi":[0.1,0.2]|"conditional_hi" without "conditional_lo"' \
	    'lo-above-hi|,"conditional_lo":[0.1,0.5],"conditional_hi":[0.2,0.3]|conditional_lo[1] = 0.5 is above conditional_hi[1] = 0.3' \
	    'hi-beyond-1|,"conditional_lo":[0.1,0.5],"conditional_hi":[0.2,1.5]|conditional_hi[1] is not null or a number in [0, 1]' \
	    "comp-unlisted|,$ID,\"components\":[[0],[2],[3]]}|components[2][0] is not a column the row lists" \
	    "comp-beyond-K|,$ID,\"components\":[[0],[2,9]]}|components[1][1] is not a column the row lists" \
	    "comp-twice|,$ID,\"components\":[[0,2],[2]]}|components[1][0]: column 2 is in a component already" \
	    "comp-missing|,$ID,\"components\":[[2]]}|components leave out column 0" \
	    "comp-zero-missing|,\"zero\":[1],$ID,\"components\":[[0],[2]]}|components leave out column 1" \
	    "comp-empty|,$ID,\"components\":[[0,2],[]]}|components[1] must be a non-empty array" \
	    "comp-flat|,$ID,\"components\":[0,2]}|components[0] must be a non-empty array" \
	    "comp-string|,$ID,\"components\":[[0],[\"2\"]]}|components[1][0] is not a column the row lists" \
	    'flag|,"identifiability":{"determined":1,"mle_exists":true,"tied":false}|identifiability.determined must be true or false' \
	    'flag-missing|,"identifiability":{"determined":true,"tied":false}|identifiability.mle_exists must be true or false' \
	    'samples|,"samples":-1.0|"samples" must be a number >= 0'; do
		IFS='|' read -r label body want <<<"$case"
		printf '%s\n' "$H" "$ROW0$body}" "$R1" "$R2" "$R3" >r
		bad "$label" r:2: "$want"
		sed -i '2s/,"A"/, "A"/' r
		bad "$label-tree" r:2: "$want"
	done
	# every sparse record a fit writes reads back: integer tokens with
	# sunk tokens and a bootstrap, text, and shards merged
	attn-gen-model --vocab 8 --seed 5 >g
	attn-sample --model g --len 3 -n 40 --seed 4 </dev/null >few
	printf '%s\n' "the cat sat on the mat and the cat ran" \
	    "a dog sat on a log and the dog ran to the cat" >txt
	ccmc-estimate --quiet --form sparse --bootstrap 20 --seed 1 few >f1
	grep -q '"zero"' f1
	grep -q '"conditional_lo"' f1
	ccmc-estimate --quiet --text --form sparse --bootstrap 10 --seed 2 txt >f2
	ccmc-estimate --quiet --form sparse --bootstrap 10 --rows 1/2 few >s1
	ccmc-estimate --quiet --form sparse --bootstrap 10 --rows 2/2 few >s2
	ccmc-estimate --quiet --merge s1 s2 >f3
	for f in f1 f2 f3; do
		attn-to-ccmc --analyze "$f" >/dev/null
	done
	ccmc-estimate --quiet --eval f1 few >/dev/null
	ccmc-estimate --quiet --text --eval f2 txt >/dev/null
}

# A ccmc-row belongs to the K lines after its sparse header: whether a
# program reads the record, passes it through or skips it, and in a file
# read for its first record only (--model, --eval), a row past them, or
# with no header before it, is refused at its line.
@test "sparse: a stray ccmc-row is refused by every reader, at its line" {
	cd "$BATS_FILE_TMPDIR"
	H='{"type":"ccmc","form":"sparse","K":3,"default":0.0,"background":null}'
	R0='{"type":"ccmc-row","i":0,"cols":[1],"A":[0.5]}'
	R1='{"type":"ccmc-row","i":1,"cols":[],"A":[]}'
	R2='{"type":"ccmc-row","i":2,"cols":[0,2],"A":[1.0,-1.0]}'
	attn-gen-model --vocab 3 --seed 1 >m
	attn-gen-model --vocab 3 --seed 1 --headless >mh
	attn-sample --model mh -n 50 --seed 2 </dev/null | tail -n +2 >smp
	echo '{"type":"prompt","prompt":[0,1,2]}' >p
	# the good record passes through attn-to-ccmc whole, and a model file
	# may go on with other records
	printf '%s\n' "$H" "$R0" "$R1" "$R2" >good
	cat good m >gm
	[ "$(attn-to-ccmc gm | head -n 4)" = "$(cat good)" ]
	cat good smp >gs
	attn-sample --model gs -n 1 p >/dev/null
	ccmc-estimate --quiet --embeddings mh gs >/dev/null
	stray() {   # FILE:LINE, then the command
		local at=$1
		shift
		run sh -c '"$@" >/dev/null' sh "$@"
		assert_error 65 "$1"
		assert_located "$1"
		[ "${#lines[@]}" -eq 1 ]
		[[ $output == *"$at: a ccmc-row record outside a sparse ccmc"* ]]
	}
	printf '%s\n' "$H" "$R0" "$R1" "$R2" "$R2" >extra
	cat extra m >extram
	cat extra smp >extras
	printf '%s\n' "$R0" >alone
	{ cat m; echo "$R0"; } >afterm
	for f in extra extram alone afterm; do
		at=$f:$(grep -n ccmc-row "$f" | tail -n 1 | cut -d: -f1)
		stray "$at" attn-to-ccmc "$f"
		stray "$at" attn-to-ccmc --analyze "$f"
	done
	for f in extra afterm; do
		at=$f:$(grep -n ccmc-row "$f" | tail -n 1 | cut -d: -f1)
		stray "$at" attn-sample --model "$f" p
		stray "$at" ccmc-estimate --eval "$f" smp
		stray "$at" traj-stats --model "$f" /dev/null
		stray "$at" ccmc-estimate --markov "$f"
	done
	stray extra:5 attn-sample -n 1 extra
	stray extras:5 ccmc-estimate --embeddings mh extras
	# a model on stdin is followed by the prompts, which stay theirs
	cat good p p >gpp
	[ "$(attn-sample --model - --seed 1 <gpp | grep -c '"sample"')" -eq 2 ]
	cat extra p >extrap
	run sh -c 'attn-sample --model - --seed 1 <extrap >/dev/null'
	assert_error 65 attn-sample
	[[ $output == *"<stdin>:5: a ccmc-row record outside a sparse ccmc"* ]]
	# a record where a row is due, and the end of the stream, in a record
	# passed through or skipped
	printf '%s\n' "$H" "$R0" "$R1" >short
	cat short m >shortm
	run sh -c 'attn-to-ccmc shortm >/dev/null'
	assert_error 65 attn-to-ccmc
	[[ $output == *"shortm:4: expected ccmc-row 2 of the sparse ccmc of line 1, not a \"attn-model\" record"* ]]
	cat m short >mshort
	run sh -c 'attn-to-ccmc mshort >/dev/null'
	assert_error 65 attn-to-ccmc
	[[ $output == *"mshort:2: the sparse ccmc of K = 3 on this line has 2 of its 3 rows: the stream ends"* ]]
	cat smp short >sshort
	run sh -c 'ccmc-estimate --quiet --embeddings mh sshort >/dev/null'
	assert_error 65 ccmc-estimate
	[[ $output == *"sshort:51: the sparse ccmc of K = 3 on this line has 2 of its 3 rows"* ]]
}

@test "sparse: what needs a dense K x K chain refuses a large sparse record, with the reason" {
	cd "$BATS_FILE_TMPDIR"
	bigsparse 5000 100 3
	run attn-to-ccmc --analyze big
	assert_error 65 attn-to-ccmc
	[[ $output == *"big:1: --analyze: the chain analysis needs the dense K x K P, which stops at K = 2048; this sparse ccmc has K = 5000"* ]]
	run traj-stats --model big /dev/null
	assert_error 65 traj-stats
	[[ $output == *"big:1: traj-stats' model tests and mean field need the dense K x K chain; this sparse ccmc has K = 5000, beyond its limit 2048"* ]]
	run ccmc-estimate big
	assert_error 65 ccmc-estimate
	[[ $output == *"big:1: a ground truth (its errors) needs the dense K x K chain"* ]]
}

# markov K SEED: a sparse Markov record (interpolated-Kneser-Ney-like:
# default log lambda_i, background log P_cont) with zero columns, a row
# with its own default, a row listing every column; and in "probs" its
# rows by brute force, P_ij = exp(A_ij) / sum_l exp(A_il) over all K.
markov() {
	py "$@" <<'PY'
import json, math, random, sys
K, seed = int(sys.argv[1]), int(sys.argv[2])
random.seed(seed)
w = [random.random() + 0.05 for _ in range(K)]
bg = [math.log(x / sum(w)) for x in w]
P, lines = [], []
for i in range(K):
    n = K if i == 4 else random.randint(0, 6)
    cols = sorted(random.sample(range(K), n))
    rest = [j for j in range(K) if j not in cols]
    zero = sorted(random.sample(rest, 2)) if i % 5 == 1 and len(rest) > 3 else []
    row = {"type": "ccmc-row", "i": i, "cols": cols,
           "A": [math.log(random.random() + 0.01) for _ in cols]}
    d = math.log(0.3)
    if zero:
        row["zero"] = zero
    if i == 7:
        d = row["default"] = math.log(0.05)
    full = [d + bg[j] for j in range(K)]
    for c, a in zip(cols, row["A"]):
        full[c] = a
    z = sum(math.exp(x) for j, x in enumerate(full) if j not in zero)
    P.append([0.0 if j in zero else math.exp(full[j]) / z for j in range(K)])
    lines.append(json.dumps(row))
with open("mk", "w") as f:
    f.write(json.dumps({"type": "ccmc", "form": "sparse", "K": K, "default": math.log(0.3),
                        "background": bg, "posw": None, "unigram": [x / sum(w) for x in w],
                        "meta": {"gauge": "none", "chain": "markov"}}) + "\n")
    f.write("\n".join(lines) + "\n")
json.dump(P, open("probs", "w"))
with open("mkp", "w") as f:
    for i in range(K):
        f.write('{"type":"prompt","prompt":[%d]}\n' % i)
PY
}

@test "sparse: a Markov record's rows, perplexity and draws are those of brute force" {
	cd "$BATS_FILE_TMPDIR"
	markov 30 8
	attn-sample --model mk --probs --seed 2 <mkp | grep '"sample"' >rows
	attn-sample --model mk --trajectory --steps 500 --seed 3 <mkp |
	    grep '"trajectory"' >mt
	ccmc-estimate --eval mk mt >ev
	# draws from row 0, whose unlisted columns come from the background
	yes '{"type":"prompt","prompt":[0]}' | head -40000 >p0
	attn-sample --model mk --seed 4 <p0 | grep -o '"y":[0-9]*' | cut -d: -f2 >y0
	py probs rows mt ev y0 <<'PY'
import json, math, sys
P = json.load(open(sys.argv[1]))
K = len(P)
for line in open(sys.argv[2]):
    r = json.loads(line)
    i = r["prompt"][-1]
    assert max(abs(a - b) for a, b in zip(r["p"], P[i])) <= 1e-13, i
ll, n = 0.0, 0
for line in open(sys.argv[3]):
    t = json.loads(line)
    s = t["prompt"] + t["tokens"]
    for k in range(len(t["prompt"]), len(s)):
        ll += math.log(P[s[k - 1]][s[k]])
        n += 1
e = json.load(open(sys.argv[4]))
assert e["steps"] == n and e["covered"] == n, e
assert abs(e["loglik"] - ll) <= 1e-10 * abs(ll), (e["loglik"], ll)
# Pearson's chi-square of the draws from row 0, cells of expectation
# below 5 pooled; the level 1e-6 fixed first (Wilson-Hilferty quantile)
y = [int(x) for x in open(sys.argv[5])]
N = len(y)
cnt = [0] * K
for v in y:
    cnt[v] += 1
assert all(cnt[j] == 0 for j in range(K) if P[0][j] == 0)
cells, pool_o, pool_e = [], 0, 0.0
for j in range(K):
    if P[0][j] * N >= 5:
        cells.append((cnt[j], P[0][j] * N))
    else:
        pool_o += cnt[j]
        pool_e += P[0][j] * N
if pool_e > 0:
    cells.append((pool_o, pool_e))
chi = sum((o - e) ** 2 / e for o, e in cells)
df = len(cells) - 1
z = 4.753  # the 1 - 1e-6 quantile of the standard normal
crit = df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3
assert chi < crit, (chi, crit, df)
PY
}

# A text fit's rows carry their own "default" and "samples": the row
# reader without a JSON tree takes them, and reads them as the JSON
# parser does (a space after a comma sends a line to the parser).
@test "sparse: a text fit's rows read alike with and without a JSON tree" {
	py <<'PY' >doc
import random
random.seed(5)
for d in range(40):
    w = ["w%d" % random.randint(0, 3000) for _ in range(150)]
    print(" ".join(w + w[:100]))
PY
	ccmc-estimate --text --window 32 --brief doc >fast
	[ "$(head -1 fast | jq -r .form)" = sparse ]
	sed -n 2p fast | grep -q '^{"type":"ccmc-row","i":0,"cols":\[.*\],"A":\[.*\],"default":[^,]*,"samples":[0-9.e+]*}$'
	sed 's/,"default"/, "default"/' fast >slow
	ccmc-estimate --text --eval fast doc >e1
	ccmc-estimate --text --eval slow doc >e2
	cmp e1 e2
	echo '{"type":"prompt","prompt":["w1"]}' >p
	attn-sample --model fast --trajectory --steps 50 --seed 2 p | tail -1 >t1
	attn-sample --model slow --trajectory --steps 50 --seed 2 p | tail -1 >t2
	cmp t1 t2
	# the rows' defaults are read, not skipped: on text whose contexts
	# hold words a row never saw, other defaults give other scores
	tr ' ' '\n' <doc | sort | tr '\n' ' ' >mixed
	ccmc-estimate --text --eval fast mixed >e3
	sed 's/"default":[^,]*,/"default":-3,/' fast >other
	ccmc-estimate --text --eval other mixed >e4
	! cmp -s e3 e4
}
