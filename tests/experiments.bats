#!/usr/bin/env bats
# The experiments E1-E6 (share/experiments) at SCALE=tiny: every verdict
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

@test "tiny run: one verdict line per experiment, every figure a PNG" {
	r=$BATS_TEST_TMPDIR/make
	run xmake RESULTS="$r"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# stdout (bats merges stderr too): the table header and six verdicts
	for e in 1 2 3 4 5 6; do
		n=$(printf '%s\n' "$output" | grep -Ec "^E$e [^:]+: .* \(claim: .*\) (AGREES|DISAGREES)")
		[ "$n" -eq 1 ] || { echo "E$e: $n verdict lines in: $output"; false; }
	done
	figs=$(xmake RESULTS="$r" figures)
	[ "$(printf '%s\n' "$figs" | wc -l)" -ge 12 ]
	for f in $figs; do is_png "$f"; done
	for e in 1 2 3 4 5 6; do
		jq -e '.verdict | test("^E[1-6] ")' "$r/e$e/summary.json" >/dev/null
	done
	# a second run only prints the table: nothing is remade
	run xmake RESULTS="$r"
	[ "$status" -eq 0 ]
	! printf '%s\n' "$output" | grep -q 'jobs done'
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
	[ "$(printf '%s\n' "$output" | grep -Ec '^E[1-6] .* (AGREES|DISAGREES)')" -eq 6 ]
	for f in $(xmake RESULTS="$a" job-files); do
		cmp "$f" "$b${f#"$a"}"
	done
	for e in 1 2 3 4 5 6; do cmp "$a/e$e/summary.json" "$b/e$e/summary.json"; done
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
	[ -z "$(find "$r" -name '*.ndjson*' 2>/dev/null)" ]
}

@test "a bad SCALE is refused" {
	run make -s -C "$TOP" -f share/experiments/Makefile SCALE=huge jobs
	[ "$status" -ne 0 ]
	[[ $output == *"SCALE must be tiny, demo or paper"* ]]
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
