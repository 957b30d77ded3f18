#!/usr/bin/env bats
# The experiments E1-E7 (share/experiments) at SCALE=tiny: every verdict
# line and every figure is produced, the job list run by GNU parallel gives
# byte-identical files to the make run, and a failing stage fails its job
# without leaving a file behind.

load helper

xmake() { make -s --no-print-directory -C "$TOP" -f share/experiments/Makefile BIN="$BIN" SCALE=tiny "$@"; }

# is_png FILE: non-empty and starts with the 8-byte PNG signature
is_png() {
	[ -s "$1" ] || { echo "$1: missing or empty" >&2; return 1; }
	[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
		{ echo "$1: not a PNG" >&2; return 1; }
}

# make demo DEMO_SCALE=tiny, as a user runs it: stdout is the verdict
# table only (no build line, no note), stderr the progress and the notes
# counted, at most 40 lines.  At tiny size a claim that needs data is
# UNDECIDED, never DISAGREES.
@test "make demo DEMO_SCALE=tiny: the table alone on stdout, a short stderr, every figure a PNG" {
	r=$BATS_TEST_TMPDIR/make
	make -s --no-print-directory -C "$TOP" demo DEMO_SCALE=tiny BIN="$BIN" RESULTS="$r" \
	    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" ||
		{ cat "$BATS_TEST_TMPDIR/err"; false; }
	out=$(cat "$BATS_TEST_TMPDIR/out")
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 8 ] || { echo "$out"; false; }
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/out")" = "Verdicts (SCALE=tiny; figures and summary.json in $r/):" ]
	for e in 1 2 3 4 5 6 7; do
		n=$(printf '%s\n' "$out" | grep -Ec "^E$e [^:]+: .* \(claim: .*\) (AGREES|DISAGREES|UNDECIDED)\$")
		[ "$n" -eq 1 ] || { echo "E$e: $n verdict lines in: $out"; false; }
	done
	! grep -q DISAGREES "$BATS_TEST_TMPDIR/out"
	# E3's slope has one seed at tiny size: no interval, so UNDECIDED
	grep -q '^E3 .* slope -[0-9.]* \[unknown\] .* UNDECIDED$' "$BATS_TEST_TMPDIR/out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -le 40 ] || { cat "$BATS_TEST_TMPDIR/err"; false; }
	# the programs' notes are in the jobs' logs, not on stderr, and
	# counted in the summary
	cat "$r"/e*/*.log "$r"/e*/*/*.log 2>/dev/null | sort -u >"$BATS_TEST_TMPDIR/notes"
	[ -s "$BATS_TEST_TMPDIR/notes" ]
	! grep -qxF -f "$BATS_TEST_TMPDIR/notes" "$BATS_TEST_TMPDIR/err"
	grep -q '^e5: [0-9]* of [0-9]* jobs left notes' "$BATS_TEST_TMPDIR/err"
	figs=$(xmake RESULTS="$r" figures)
	[ "$(printf '%s\n' "$figs" | wc -l)" -eq 15 ]
	for f in $figs; do is_png "$f"; done
	for e in 1 2 3 4 5 6 7; do
		jq -e '.verdict | test("^E[1-7] ")' "$r/e$e/summary.json" >/dev/null
		jq -e '.result == (.claims | map(.verdict) | if index("DISAGREES") then "DISAGREES"
		    elif index("UNDECIDED") then "UNDECIDED" else "AGREES" end)' "$r/e$e/summary.json" >/dev/null
	done
	# a second run only prints the table: nothing is remade
	run xmake RESULTS="$r"
	[ "$status" -eq 0 ]
	! printf '%s\n' "$output" | grep -q 'jobs done'
}

# The one verdict rule of every reducer (expt.verdict), on made-up
# intervals: inside the tolerance, outside it, straddling an edge, and
# the claims of several parts.
@test "expt.verdict: AGREES inside, DISAGREES outside, UNDECIDED straddling" {
	py "$TOP/share/experiments" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import expt
inf, nan = float("inf"), float("nan")
cases = [
    ((-1.05, -0.95), (-1.2, -0.8), "AGREES"),       # inside
    ((-1.2, -0.8), (-1.2, -0.8), "AGREES"),         # the tolerance itself
    ((-1.5, -1.3), (-1.2, -0.8), "DISAGREES"),      # wholly below
    ((-0.7, -0.6), (-1.2, -0.8), "DISAGREES"),      # wholly above
    ((-1.3, -1.1), (-1.2, -0.8), "UNDECIDED"),      # straddles the lower edge
    ((-0.9, -0.7), (-1.2, -0.8), "UNDECIDED"),      # straddles the upper edge
    ((-1.5, -0.5), (-1.2, -0.8), "UNDECIDED"),      # wider than the tolerance
    ((0.2, 0.4), (0.0, inf), "AGREES"),             # one-sided claims
    ((-0.4, -0.2), (0.0, inf), "DISAGREES"),
    ((-0.1, 0.3), (0.0, inf), "UNDECIDED"),
    ((0.0, 0.0), (0, 0), "AGREES"),                 # exact counts
    ((2.0, 2.0), (0, 0), "DISAGREES"),
    ((nan, nan), (-1.2, -0.8), "UNDECIDED"),        # no interval (one seed)
]
for interval, tolerance, want in cases:
    got = expt.verdict(interval, tolerance)
    assert got == want, (interval, tolerance, got, want)
assert expt.combine(["AGREES", "AGREES"]) == "AGREES"
assert expt.combine(["AGREES", "UNDECIDED"]) == "UNDECIDED"
assert expt.combine(["UNDECIDED", "DISAGREES", "AGREES"]) == "DISAGREES"
# the jackknife of a mean is the t interval: mean 2.5, se 0.645, t(3)
est, (lo, hi) = expt.jackknife([1.0, 2.0, 3.0, 4.0], lambda u: sum(u) / len(u))
assert est == 2.5 and abs((hi - lo) / 2 - 3.182 * 0.6455) < 0.03, (lo, hi)
assert expt.jackknife([1.0], lambda u: u[0])[1] != expt.jackknife([1.0], lambda u: u[0])[1]
for dof, t in ((1, 12.706), (2, 4.303), (4, 2.776), (10, 2.228), (30, 2.042)):
    assert abs(expt.t_quantile(0.975, dof) - t) < 0.01 * t, (dof, expt.t_quantile(0.975, dof))
lo, hi = expt.wilson(0, 360)
assert abs(lo) < 1e-12 and abs(hi - 3.84 / 363.84) < 1e-3, hi
PY
}

# On a null model where the answer is known, the intervals hold it as
# often as they say: the jackknife interval of a mean over 5 normal units
# (as E2's 5 seeds) and of a ratio of means over 20, Wilson's interval of
# a share of 0.5% in 4800 draws (E4's Markov share), in 2000 replicates
# each with a fixed seed: coverage 0.95, binomial sd 0.005, so within
# 4 sd of it (0.93 to 0.97).
@test "expt: the 95% intervals cover the truth 95% of the time on a null model" {
	py "$TOP/share/experiments" <<'PY'
import random, sys
sys.path.insert(0, sys.argv[1])
import expt
rng = random.Random(1)
R = 2000
def coverage(draw, stat, truth):
    hit = 0
    for _ in range(R):
        _, (lo, hi) = expt.jackknife(draw(), stat)
        hit += lo <= truth <= hi
    return hit / R
mean = lambda u: sum(u) / len(u)
c = coverage(lambda: [rng.gauss(3.0, 2.0) for _ in range(5)], mean, 3.0)
assert 0.93 <= c <= 0.97, ("mean", c)
ratio = lambda u: sum(a for a, b in u) / sum(b for a, b in u)
c = coverage(lambda: [(rng.gauss(2.0, 0.3), rng.gauss(1.0, 0.1)) for _ in range(20)], ratio, 2.0)
assert 0.93 <= c <= 0.97, ("ratio", c)
hit = 0
for _ in range(R):
    k = sum(rng.random() < 0.005 for _ in range(4800))
    lo, hi = expt.wilson(k, 4800)
    hit += lo <= 0.005 <= hi
assert 0.93 <= hit / R <= 0.97, ("wilson", hit / R)
PY
}

# E2's and E8's "largest / smallest cell level at most B" is judged by
# the upper end of the ratio's jackknife interval (the ratio is at least 1
# by definition: a lower edge would only make noise UNDECIDED).  On null
# models of 8 cells whose level varies 10% from seed to seed, in 2000
# replicates each: at the bound (one cell, or seven, at twice the rest)
# AGREES must be at most 2.5% (the two-sided interval's one side) plus 4
# binomial sd, 3.9%; with all cells level it must be at least 90% at 3
# seeds (E8's demo) and at 8 (its full size).
@test "expt: a ratio at most B is judged one-sided: its error rate at B and its power at 1" {
	py "$TOP/share/experiments" <<'PY'
import random, sys
sys.path.insert(0, sys.argv[1])
import expt
rng = random.Random(1)
R = 2000
def agree_rate(mu, S, sd=0.1, bound=2.0):
    def stat(us):
        means = [sum(u[c] for u in us) / len(us) for c in range(len(mu))]
        return max(means) / min(means)
    hits = 0
    for _ in range(R):
        units = [[rng.gauss(m, sd * m) for m in mu] for _ in range(S)]
        _, ci = expt.jackknife(units, stat)
        hits += expt.verdict(ci, (-expt.INF, bound)) == "AGREES"
    return hits / R
for S in (3, 8):
    for mu in ([1] * 7 + [2], [1] + [2] * 7):
        r = agree_rate(mu, S)
        assert r <= 0.039, ("error rate", S, mu, r)
    r = agree_rate([1] * 8, S)
    assert r >= 0.9, ("power", S, r)
PY
}

@test "jobs run by GNU parallel give byte-identical files; make then only reduces" {
	a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b
	xmake RESULTS="$a" >/dev/null 2>&1
	xmake RESULTS="$b" jobs >"$BATS_TEST_TMPDIR/jobs.txt"
	n=$(wc -l <"$BATS_TEST_TMPDIR/jobs.txt")
	[ "$n" -eq "$(xmake RESULTS="$b" job-files | wc -l)" ]
	(cd "$TOP" && parallel --will-cite -j 2 --halt now,fail=1 <"$BATS_TEST_TMPDIR/jobs.txt")
	run xmake RESULTS="$b"
	[ "$status" -eq 0 ]
	! printf '%s\n' "$output" | grep -q 'jobs done'
	[ "$(printf '%s\n' "$output" | grep -Ec '^E[1-7] .* (AGREES|DISAGREES|UNDECIDED)$')" -eq 7 ]
	for f in $(xmake RESULTS="$a" job-files); do
		cmp "$f" "$b${f#"$a"}"
	done
	for e in 1 2 3 4 5 6 7; do cmp "$a/e$e/summary.json" "$b/e$e/summary.json"; done
}

@test "a failing stage fails its job and leaves no file" {
	fake=$BATS_TEST_TMPDIR/bin
	mkdir -p "$fake"
	for p in "$BIN"/*; do ln -s "$p" "$fake/"; done
	rm "$fake/attn-sample"
	# prints the model record, then fails: a pipeline without pipefail
	# would still hand ccmc-estimate a valid (empty) input
	printf '#!/bin/sh\nhead -n 1\nexit 3\n' >"$fake/attn-sample"
	chmod +x "$fake/attn-sample"
	r=$BATS_TEST_TMPDIR/fail
	run make -s --no-print-directory -C "$TOP" -f share/experiments/Makefile \
		BIN="$fake" SCALE=tiny RESULTS="$r" EXPERIMENTS=e2
	[ "$status" -ne 0 ]
	[ -z "$(find "$r" -name '*.ndjson*' ! -name '*.log' 2>/dev/null)" ]
	# its log is kept, and what it said is on stderr
	[ -n "$(find "$r" -name '*.ndjson.log')" ]
	printf '%s\n' "$output" | grep -q '^job failed: .*\.ndjson (its log'
}

@test "a bad SCALE is refused" {
	run make -s -C "$TOP" -f share/experiments/Makefile SCALE=huge jobs
	[ "$status" -ne 0 ]
	[[ $output == *"SCALE must be tiny, demo or full"* ]]
}

# The largest scale is `full`; `paper`, its old name, still works (with a
# note on stderr), for the experiments' Makefile and the top one.
@test "SCALE=paper and make paper are the full scale, with a note" {
	full=$(make -s -C "$TOP" -f share/experiments/Makefile SCALE=full job-files)
	paper=$(make -s -C "$TOP" -f share/experiments/Makefile SCALE=paper job-files 2>"$BATS_TEST_TMPDIR/err")
	[ "$paper" = "$full" ]
	printf '%s\n' "$full" | grep -q '^results/full/e2/runs/K40_n1000000_s10.ndjson$'
	grep -q 'SCALE=paper is now called SCALE=full' "$BATS_TEST_TMPDIR/err"
	[ "$(make -s -C "$TOP" jobs SCALE=paper 2>/dev/null)" = "$(make -s -C "$TOP" jobs)" ]
	run make -n -C "$TOP" paper
	[ "$status" -eq 0 ]
	[[ $output == *"make paper is now called make full"* ]]
}

# The reducers read a model's metadata with expt.one_without, which steps
# over the big arrays without parsing them: the record must be json's own,
# those keys aside, whatever the arrays hold (strings with brackets and
# escaped quotes, nested objects, spaces between tokens).
@test "expt.one_without: json's record, the skipped keys null" {
	f=$BATS_TEST_TMPDIR/m.ndjson
	attn-gen-model --vocab 6 --seed 3 --pos 16 | attn-to-ccmc >"$f"
	printf '%s\n' '{"type":"other","P":[1]}' \
	    '{ "type" : "x", "A" : [[1, "a]\"[", {"b": "}{"}], [2.5e-3, null]] ,"P":{"q":[1,[2]]}, "z" : [3], "w": "]"}' \
	    >"$BATS_TEST_TMPDIR/t.ndjson"
	py "$TOP/share/experiments" "$f" "$BATS_TEST_TMPDIR/t.ndjson" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import expt
for path, kind, skip in ((sys.argv[2], "ccmc", expt.MODEL_ARRAYS),
                         (sys.argv[3], "x", ("A", "P", "w"))):
    want = [json.loads(l) for l in open(path) if l.strip()]
    want = [r for r in want if r["type"] == kind]
    assert len(want) == 1, want
    want = {k: (None if k in skip and isinstance(v, (list, dict)) else v)
            for k, v in want[0].items()}
    got = expt.one_without(path, kind, skip)
    assert got == want, (got, want)
    assert list(got) == list(want)
PY
}

# An E7 job that needs a model reads the fit job's file when it is there
# and fits again when it is not (a job list run in any order): the same
# bytes either way.
@test "E7: a job gives the same file with and without its fit made first" {
	a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b
	for r in "$a" "$b"; do
		xmake RESULTS="$r" EXPERIMENTS=e7 jobs |
		    grep -E '>[^ ]*/(fit/markov.json|eval/markov.json|stats/markov_s1.ndjson).part' >"$r.jobs"
		[ "$(wc -l <"$r.jobs")" -eq 3 ]
	done
	(cd "$TOP" && bash -e "$a.jobs")
	(cd "$TOP" && grep -v '>[^ ]*/fit/' "$b.jobs" | bash -e)
	[ ! -e "$b/e7/fit/markov.json" ]
	cmp "$a/e7/eval/markov.json" "$b/e7/eval/markov.json"
	cmp "$a/e7/stats/markov_s1.ndjson" "$b/e7/stats/markov_s1.ndjson"
}

# A scan job of a sparse model (as every model past 2048 words is): its
# continuations reach traj-stats without the model's rows, which
# attn-sample prints first.
@test "E7: a scan job of a sparse model scores, measures and continues" {
	r=$BATS_TEST_TMPDIR/r
	f=$r/e7/scan/ccmc_v300_w32.json
	xmake RESULTS="$r" EXPERIMENTS=e7 E7_SCAN_V=300 E7_FORM=sparse "$f" \
	    2>"$BATS_TEST_TMPDIR/err" || { cat "$BATS_TEST_TMPDIR/err" "$f.log"; false; }
	[ "$(jq -s 'map(.type)' "$f" | jq -c .)" = '["eval","model","traj-stats"]' ]
	jq -se 'map(select(.type == "eval"))[0] | .K == 301 and .coverage > 0' "$f" >/dev/null
	jq -se 'map(select(.type == "traj-stats"))[0] | .trajectories > 0' "$f" >/dev/null
	jq -e '.cpu_s >= 0 and .max_rss_mb > 0' "$f.res" >/dev/null
}
