#!/usr/bin/env bats
# The documented limits (lib/stream.h, lib/model.h) and numeric extremes.
# Each limit is refused with one located error and exit 65, with memory
# bounded; at the extremes of the model options every probability is
# finite and every distribution sums to 1 within 1e-12.
#
# The slow ones (about 1 minute each here, 3 under ASan) are marked HEAVY:
# K = 2000 through attn-to-ccmc and attn-sample, and a line whose JSON tree
# would outgrow MAX_TREE_BYTES.  QUICK=1 skips them, and so does valgrind.

load helper

setup() { cd "$BATS_TEST_TMPDIR"; }

READERS="attn-to-ccmc attn-sample ccmc-estimate traj-stats"

# peak_kb FILE: the peak RSS /usr/bin/time -f %M wrote to FILE, in KiB.
peak_kb() { tail -1 "$1"; }

heavy() {
	[ -z "${QUICK:-}" ] || skip "QUICK=1 skips the slow limit tests"
	[ -z "${VALGRIND:-}" ] || skip "too slow under valgrind"
}

@test "a 600 MiB line: exit 65, one located error, < 600 MiB above a small run" {
	[ -z "${VALGRIND:-}" ] || skip "reading 512 MiB under valgrind takes minutes"
	[ -x /usr/bin/time ] || skip "no /usr/bin/time"
	slack=600
	# ASan's realloc copies and quarantines the smaller buffers it frees
	# (the halves, 512 MiB in all, beside the 512 MiB buffer) and shadows
	# them (1/8): 1 GiB + 128 MiB, and the 88 MiB the release run allows.
	if ldd "$BIN/attn-to-ccmc" | grep -q libasan; then slack=1280; fi
	for p in $READERS; do
		echo '{"type":"x"}' | /usr/bin/time -f %M -o base $p >/dev/null 2>&1 || true
		st=0
		head -c 629145600 /dev/zero | tr '\0' x |
		    /usr/bin/time -f %M -o rss $p >out 2>err || st=$?
		[ "$st" -eq 65 ] || { echo "$p: exit $st: $(cat err)"; false; }
		[ "$(cat err)" = "$p: <stdin>:1: line longer than 536870912 bytes" ] ||
		    { echo "$p: $(cat err)"; false; }
		[ ! -s out ]
		grow=$(( ($(peak_kb rss) - $(peak_kb base)) / 1024 ))
		echo "$p: $grow MiB above a small run"
		[ "$grow" -lt "$slack" ]
	done
}

@test "HEAVY: a 300 MB line of zeros whose JSON tree would pass 4 GiB: exit 65, < 6 GiB (10 under ASan)" {
	heavy
	[ -z "${VALGRIND:-}" ] || skip "too slow under valgrind"
	{ printf '{"type":"x","v":['; yes 0, | head -n 150000000 | tr -d '\n'
	  printf '0]}\n'; } >zeros
	st=0
	/usr/bin/time -f %M -o rss attn-to-ccmc zeros >out 2>err || st=$?
	[ "$st" -eq 65 ]
	[ "$(cat err)" = "attn-to-ccmc: zeros:1: record too large: its JSON tree would take more than 4096 MiB" ]
	echo "peak $(( $(peak_kb rss) / 1024 )) MiB"
	# ASan's redzones and quarantine add about half again (6.6 GiB seen)
	limit=$((6 << 20))
	if ldd "$BIN/attn-to-ccmc" | grep -q libasan; then limit=$((10 << 20)); fi
	[ "$(peak_kb rss)" -lt "$limit" ]
}

# tokens N: a JSON array of N zeros
tokens() { printf '['; yes 0, | head -n $(($1 - 1)) | tr -d '\n'; printf '0]'; }

@test "prompts and trajectories: 2^20 tokens accepted, 2^20 + 1 refused with the line" {
	attn-gen-model --vocab 3 --seed 1 >m
	for n in 1048576 1048577; do
		{ cat m; printf '{"type":"prompt","prompt":%s}\n' "$(tokens $n)"; } >p$n
		printf '{"type":"sample","prompt":%s,"y":0}\n' "$(tokens $n)" >s$n
		printf '{"type":"trajectory","prompt":[0],"tokens":%s}\n' "$(tokens $n)" >t$n
		yes w | head -n $n | tr '\n' ' ' >w$n
		echo >>w$n
	done
	attn-sample --probs p1048576 >out
	[ "$(jq -s '.[1].prompt | length' out)" -eq 1048576 ]
	ccmc-estimate --vocab 3 s1048576 | jq -e '.fit.samples == 1' >/dev/null
	traj-stats t1048576 | jq -e '.length == 1048576' >/dev/null
	traj-stats --text w1048576 | jq -e '.length == 1048576' >/dev/null
	ccmc-estimate --text --markov w1048576 >/dev/null
	for c in "attn-sample p1048577 2 prompt" "ccmc-estimate s1048577 1 prompt" \
	    "traj-stats t1048577 1 tokens"; do
		set -- $c
		st=0
		$1 $2 >/dev/null 2>err || st=$?
		[ "$st" -eq 65 ]
		[ "$(cat err)" = "$1: $2:$3: \"$4\" has 1048577 tokens, more than the limit 1048576" ] ||
		    { cat err; false; }
	done
	for p in traj-stats ccmc-estimate; do
		st=0
		$p --text w1048577 >/dev/null 2>err || st=$?
		[ "$st" -eq 65 ] && [ "$(wc -l <err)" -eq 1 ]
		[[ $(cat err) == "$p: w1048577:1: more than 1048576 words"* ]] || { cat err; false; }
	done
}

@test "K, d and LMAX: the maxima accepted in range, refused one beyond" {
	attn-gen-model --vocab 3 --pos 4 --seed 1 >m
	for e in '.K = 2049' '.d = 4097' '.pos.LMAX = 4097'; do
		jq -c "$e" m >bad
		for p in $READERS; do
			run $p bad
			assert_error 65 $p
			[ "${#lines[@]}" -eq 1 ]
			[[ ${lines[0]} == "$p: bad:1: "*"out of range"* ]] ||
			    { echo "$e: $output"; false; }
		done
	done
	attn-gen-model --vocab 2 --pos 4096 --seed 1 | attn-to-ccmc |
	    jq -e '.posw | length == 4096' >/dev/null
}

# check_probs FILE...: every "p" and every row of "P" is finite, >= 0,
# and sums to 1 within 1e-12 (fsum: exact); y has p > 0.
check_probs() {
	py "$@" <<'PY'
import json, math, sys
def refuse(c):
    raise ValueError("non-finite literal " + c)
n = 0
for f in sys.argv[1:]:
    for line in open(f):
        r = json.loads(line, parse_constant=refuse)
        rows = r.get("P", []) if r["type"] == "ccmc" else [r["p"]] if "p" in r else []
        for p in rows:
            assert all(isinstance(x, float) and math.isfinite(x) and x >= 0 for x in p)
            assert abs(math.fsum(p) - 1) <= 1e-12, (f, math.fsum(p) - 1)
            n += 1
        if "p" in r:
            assert r["p"][r["y"]] > 0
assert n > 0
print(n, "distributions")
PY
}

@test "the option maxima (--scale 1000, --diag +-1000, --recency 1000): finite, rows sum to 1" {
	i=0
	for opts in "--vocab 64 --scale 100" "--vocab 64 --scale 1000 --diag 1000" \
	    "--vocab 48 --embed gaussian --scale 1000 --diag -1000" \
	    "--vocab 16 --pos 64 --recency 1000 --scale 100" \
	    "--vocab 16 --pos 64 --pos-scale 1000 --embed gaussian --scale 1000"; do
		i=$((i + 1))
		attn-gen-model $opts --seed $i >m$i
		attn-to-ccmc m$i >c$i
		attn-sample --probs -n 300 --len 1:64 m$i >a$i
		attn-sample --probs -n 300 --len 1:64 --via ccmc m$i >b$i
		run check_probs c$i a$i b$i
		[ "$status" -eq 0 ] || { echo "$opts: $output"; false; }
	done
}

@test "prompts of 4096 tokens, with --pos 4096 and without positions: rows sum to 1" {
	attn-gen-model --vocab 16 --pos 4096 --scale 100 --embed gaussian --seed 3 >p
	attn-gen-model --vocab 16 --scale 100 --seed 3 >n
	for m in p n; do
		for via in attention ccmc; do
			attn-sample --probs -n 20 --len 4096 --via $via $m >$m-$via
			attn-sample --probs -n 20 --len 4096 --via $via --prompts zipf:2 $m >>$m-$via
		done
		run check_probs $m-attention $m-ccmc
		[ "$status" -eq 0 ] || { echo "$m: $output"; false; }
	done
}

@test "HEAVY: K = 2000, --scale 100: the CCMC's rows and 4096-token samples sum to 1" {
	heavy
	attn-gen-model --vocab 2000 --scale 100 --seed 7 >m
	attn-to-ccmc m >c
	attn-sample --probs -n 3 --len 4096 m >a
	run check_probs c a
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

# Models whose logits span thousands (the option maxima): P underflows to
# zeros and to subnormals, and the stationary weights span more than the
# range of a double.  Every numerical routine must give the right answer
# or say it has none, in bounded time: `timeout` is only a hang guard, the
# work is O(K^3) per stationary law and O(horizon / 0.5 n^3) per flow.
EXTREME="--vocab 20 --scale 1000 --diag -1000|--vocab 12 --scale 1000 --diag 1000 --seed 3|--vocab 16 --scale 700 --embed gaussian --seed 2|--vocab 9 --scale 1000 --seed 4|--vocab 6 --scale 0"

@test "extreme models: --analyze's stationary law and entropy rate equal an exact rational solve" {
	IFS='|' read -ra all <<<"$EXTREME"
	for opts in "${all[@]}"; do
		attn-gen-model $opts >m
		timeout 60 attn-to-ccmc --analyze m >c
		jq -c '{P, chain}' c >d
		py "$TOP/tests" d <<'PY' ||
import json, math, sys
sys.path.insert(0, sys.argv[1])
from markov import long_run
d = json.load(open(sys.argv[2]))
P, ch = d["P"], d["chain"]
n = len(P)
if ch["stationary"] is None:
    assert sum(c["closed"] for c in ch["classes"]) != 1, "no law for a unique closed class"
    sys.exit(0)
exact = long_run(P, [1 / n] * n)    # a unique closed class: its law from any f
for got, want in zip(ch["stationary"], exact):
    want = float(want)
    assert abs(got - want) <= 1e-10 * want + 1e-300, (got, want)
rate = sum(float(w) * -sum(p * math.log(p) for p in row if p > 0)
           for w, row in zip(exact, P))
assert abs(ch["entropy_rate"] - rate) <= 1e-9 * rate + 1e-300, (ch["entropy_rate"], rate)
print("ok", sum(1 for x in ch["stationary"] if x > 0), "positive")
PY
		{ echo "$opts"; false; }
	done
}

@test "the long-run law of a reducible, nearly reducible chain equals the exact one" {
	# {0,1} and {2} closed; 3 and 4 transient, 3 -> 4 with P ~ 3e-305 and
	# 4 -> 2 with a subnormal P: the linear elimination underflows and the
	# one on logarithms takes over.
	py >c <<'PY'
import json, math
N = -1e4
A = [[0, 0, N, N, N], [0, -2, N, N, N], [N, N, 0, N, N],
     [-1, N, 0.5, 0, -700], [N, N, -710, -3, 0]]
P = []
for row in A:
    m = max(row)
    z = sum(math.exp(a - m) for a in row)
    P.append([math.exp(a - m) / z for a in row])
print(json.dumps({"type": "ccmc", "K": 5, "A": A, "P": P}))
PY
	run "$UNIT" longrun c
	[ "$status" -eq 0 ]
	jq -c '{P, f: [0.2, 0.2, 0.2, 0.2, 0.2]}' c | python3 "$TOP/tests/markov.py" >want
	py "$output" want <<'PY'
import json, sys
got = sys.argv[1].split()
assert got[:3] == ["status", "0", "law"], got
want = json.load(open(sys.argv[2]))
for g, w in zip(map(float, got[3:]), want):
    assert abs(g - w) <= 1e-12, (g, w)
PY
}

@test "extreme models: traj-stats --model ends, and its prompt limit is a fixed point of pi(f)" {
	IFS='|' read -ra all <<<"$EXTREME"
	for opts in "${all[@]}"; do
		attn-gen-model $opts >m
		attn-to-ccmc m >c
		attn-sample --trajectory --steps 300 -n 3 --len 8 m >t
		timeout 60 traj-stats --predict --model m t >s || { echo "$opts: exit $?"; false; }
		{ jq -c '{A}' c; jq -c 'select(.prediction.from_prompt.status == "stable") |
		    .prediction.from_prompt' s; } >d
		py "$TOP/tests" d <<'PY' ||
import json, math, sys
sys.path.insert(0, sys.argv[1])
from markov import long_run
lines = open(sys.argv[2]).read().split("\n")
A = json.loads(lines[0])["A"]
for ln in filter(None, lines[1:]):
    p = json.loads(ln)
    tok, f = p["tokens"], p["f"]
    Q = []
    for a in tok:               # Q_f(a, b) from the logits, in logs
        row = [A[a][b] + math.log(fb) for b, fb in zip(tok, f)]
        m = max(row)
        z = sum(math.exp(x - m) for x in row)
        Q.append([math.exp(x - m) / z for x in row])
    pi = long_run(Q, f)
    for x, y in zip(pi, f):
        assert abs(float(x) - y) <= 1e-6, (tok, f, [float(v) for v in pi])
PY
		{ echo "$opts"; false; }
	done
}

@test "position weights of 1e308 in a ccmc record: --probs equal the exact ratio" {
	attn-gen-model --vocab 3 --pos 4 --seed 4 | attn-to-ccmc | jq -c \
	    '.posw = [range(1; 5) as $L | [range($L) | 1e308]]' >c
	printf '%s\n' '{"type":"prompt","prompt":[0,1,1,2]}' \
	    '{"type":"prompt","prompt":[2,2,0]}' >>c
	attn-sample --probs c >out
	py c out <<'PY'
import json, sys
c = json.loads(open(sys.argv[1]).readline())
P = c["P"]
recs = [json.loads(l) for l in open(sys.argv[2])][1:]
assert len(recs) == 2
for r in recs:
    pr = r["prompt"]
    w = [pr.count(j) for j in range(3)]      # equal weights: counts
    q = [w[j] * P[pr[-1]][j] for j in range(3)]
    for got, want in zip(r["p"], q):
        assert abs(got - want / sum(q)) <= 1e-15, (got, q)
PY
}

@test "hash flooding: 2^15 keys aimed at one slot of FNV-1a and of the n-gram hash cost O(1) probes each" {
	# the unit builds words equal under FNV-1a in their low 20 bits and
	# 4-grams whose numbers share a slot of the former multiplicative hash;
	# under those hashes the probes grow like the square of the keys
	# (10^9 for the 4-grams), under the keyed hash (lib/hash) like the keys
	run "$UNIT" flood
	echo "$output"
	[ "$status" -eq 0 ]
	set -- ${lines[0]}
	[ "$1" = vocab ] && [ "$2" -eq 32768 ] && [ "$4" -gt 0 ] && [ "$4" -le $((4 * 32768)) ]
	set -- ${lines[1]}
	[ "$1" = ngrams ] && [ "$4" -gt 0 ] && [ "$4" -le $((4 * 131072)) ]
	set -- ${lines[2]}
	[ "$1" = distinct ] && [ "$2" -eq "$4" ]
}

@test "nothing the toolkit writes is longer than a reader takes: attn-gen-model refuses up front, out_end at the line" {
	# attn-gen-model bounds the record from K, d and LMAX before making the
	# model (LIMITS in attn-gen-model(1)): K 2048 and d 4096 with Gaussian
	# embeddings would print 688 MB, refused at once with exit 2
	for a in "--vocab 2048 --dim 4096 --embed gaussian" \
	    "--vocab 2048 --dim 3019 --embed gaussian" \
	    "--vocab 2048 --dim 4096 --pos 4096 --recency 1" \
	    "--vocab 2 --dim 4096 --pos 4096 --embed gaussian"; do
		st=0
		timeout 20 attn-gen-model $a >out 2>err || st=$?
		[ "$st" -eq 2 ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] ||
		    { echo "$a: exit $st: $(cat err)"; false; }
		grep -q "^attn-gen-model: K [0-9]*, d [0-9]*, .* embeddings, LMAX [0-9]*: the record may take [0-9]* bytes, more than the 536870912 of a line that every reader takes" err
	done
	# every program: a line of 2^29 + 1 bytes is not written (exit 1), the
	# records before it are
	[ -z "${VALGRIND:-}" ] || skip "a 512 MiB line under valgrind takes minutes"
	run "$UNIT" longline 536870913
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = '{"type":"x"}' ]
	[ "${lines[1]}" = "unit: refusing to write a line of 536870913 bytes: a reader takes at most 536870912" ]
}

@test "HEAVY: a line of exactly 2^29 bytes is written, and read back" {
	heavy
	"$UNIT" longline 536870912 >ll
	[ "$(wc -c <ll)" -eq $((13 + 536870912 + 1)) ]
	run traj-stats ll
	[ "$status" -eq 65 ]
	[ "$output" = "traj-stats: ll:2: no trajectory record in the input" ]
	rm ll
}
