#!/usr/bin/env bats
# E8 (ours, share/experiments/e8.*): learning W beats learning A, at
# SCALE=tiny: it runs, its verdict line and figures come out, and the
# excess it measures is that of classical asymptotics (excess * n /
# params near 1/2: a wide band, 0.25 to 1, at tiny size).

load helper

xmake() { make -s --no-print-directory -C "$TOP" -f share/experiments/Makefile BIN="$BIN" SCALE=tiny "$@"; }

@test "E8 at tiny scale: a verdict line, two PNG figures, levels near 1/2, the A-fit's excess * n / params as the W-fit's" {
	r=$BATS_TEST_TMPDIR/res
	xmake RESULTS="$r" EXPERIMENTS=e8 JOBS=2 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" ||
		{ cat "$BATS_TEST_TMPDIR/err"; false; }
	grep -Eq '^E8 \(ours\) learning W beats learning A: W-fit slope .* A-fit \(K=64\) .* \(claim: .*\) (AGREES|UNDECIDED)$' "$BATS_TEST_TMPDIR/out"
	for f in excess scaled; do
		[ "$(head -c 8 "$r/e8/$f.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
	done
	py "$r/e8/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
lv = s["levels"]
assert set(lv) == {"wfit K=64 d=8", "wfit K=1024 d=8", "afit K=64 d=8"}, lv
assert all(0.25 <= v <= 1 for v in lv.values()), lv
assert s["claims"]["level_ratio"]["tolerance"] == [None, 2.0]   # one-sided
assert all(abs(a - b) < 1e-12 for a, b in zip(s["claims"]["wfit_slope"]["tolerance"], [-1.2, -0.8]))
PY
	# the jobs list is the job files, one line each
	[ "$(xmake RESULTS="$r" EXPERIMENTS=e8 jobs | wc -l)" -eq "$(xmake RESULTS="$r" EXPERIMENTS=e8 job-files | wc -l)" ]
}
