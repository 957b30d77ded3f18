#!/usr/bin/env bats
# rng: the draws the samplers are built on.  Chi-square statistics use a
# fixed seed and the 0.999 quantile of the chi-square law (Wilson-Hilferty
# approximation): a correct generator fails one with probability 1e-3 for a
# random seed; with the seed fixed the outcome is reproducible.

load helper

setup() { cd "$BATS_TEST_TMPDIR"; }

@test "rng_fill_below: pairs of draws uniform and independent; rng_pick follows its weights, never a zero one" {
	"$UNIT" draws 7 100000 >out
	cat out
	py out <<'PY'
import math, sys
def chi2_999(df):
    z = 3.090232306167813
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3
lines = [l.split() for l in open(sys.argv[1])]
got = {}
for l in lines:
    if l[0] == "below":
        n, cells, stat = int(l[1]), int(l[2]), float(l[3])
        assert cells == n * n
        assert stat < chi2_999(cells - 1), l
        got[n] = 1
    elif l[0] == "pick":
        assert float(l[2]) < chi2_999(int(l[1]) - 1), l
        got["pick"] = 1
    elif l[0] == "items":
        assert l[1] == "same", l
        got["items"] = 1
assert set(got) == {7, 64, 100, 3, "pick", "items"}, got
PY
}
