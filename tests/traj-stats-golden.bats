#!/usr/bin/env bats
# traj-stats against outputs recorded from an earlier build on fixed inputs
# (tests/golden/traj-stats: the inputs, "runs" naming each run, its options and input,
# NAME.out its recorded output).  Every field must be the same text, in
# the same order, except the ones a later change redefined on purpose,
# listed below with that change.

load helper

setup() { cd "$BATS_TEST_TMPDIR"; }

@test "recorded outputs: unchanged fields are byte-identical" {
	g=$TOP/tests/golden/traj-stats
	while IFS='|' read -r name opts in; do
		traj-stats $opts "$g/$in" >"$name.out" </dev/null
	done <"$g/runs"
	run py "$g" <<'PY'
import json, os, sys
g = sys.argv[1]
# Fields redefined on purpose, with the change that did it.  Winners
# with error control: the classes, their exponents and intervals, the
# verdict "collapsed" and the collapse time defined from them (with
# "why"), the prediction's agreement with the classes; in the summary
# the verdict counts and shares, collapse times and prediction agreement.
DROP = {"record": ["classes", "gamma", "gamma_ci", "collapsed",
                   "collapse_time", "why", "prediction.classes"],
        "summary": ["classes", "collapsed", "collapse_time", "prediction"]}
def load(line):
    # numbers kept as their text, objects as ordered pairs: a comparison
    # of the bytes of every value, not of what they parse to
    return json.loads(line, parse_float=str, parse_int=str, object_pairs_hook=list)
def strip(rec, drop=None, prefix=""):
    if drop is None:
        drop = DROP["summary" if ("summary", True) in rec else "record"]
    return [(k, strip(v, drop, prefix + k + ".") if isinstance(v, list) and v and
             isinstance(v[0], tuple) else v)
            for k, v in rec if prefix + k not in drop]
runs = [l.rstrip("\n").split("|") for l in open(os.path.join(g, "runs"))]
n = 0
for name, opts, inp in runs:
    want = [strip(load(l)) for l in open(os.path.join(g, name + ".out"))]
    got = [strip(load(l)) for l in open(name + ".out")]
    assert len(want) == len(got), (name, len(want), len(got))
    for i, (w, h) in enumerate(zip(want, got)):
        if w != h:
            wd, hd = dict(w), dict(h)
            keys = [k for k in set(wd) | set(hd) if wd.get(k) != hd.get(k)]
            raise SystemExit("%s record %d differs in %s" % (name, i, keys))
    n += len(want)
print(len(runs), "runs,", n, "records")
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

# Recorded from the build before the mean field was made cheaper
# (exact/runs: name, options, input as above): every byte the same, the
# predictions included, so a faster mean field computes the same numbers.
@test "recorded outputs with predictions: byte-identical" {
	g=$TOP/tests/golden/traj-stats
	n=0
	while IFS='|' read -r name opts in; do
		traj-stats $opts "$g/$in" >"$name.out" </dev/null
		cmp "$g/exact/$name.out" "$name.out"
		n=$((n + 1))
	done <"$g/exact/runs"
	[ "$n" -eq 7 ]
}
