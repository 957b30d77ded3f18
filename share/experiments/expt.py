"""What the reducers of share/experiments have in common: reading the
NDJSON the jobs wrote, a least-squares line, the chi-square tail, and
writing summary.json (which carries the verdict line) and the data files
the gnuplot scripts plot.  Standard library only."""

import json
import math
import os
import re
import sys


def records(path, kind=None):
    """The records of an NDJSON file, or only those of type kind."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except ValueError as e:
                sys.exit("%s:%d: %s" % (path, n, e))
            if kind is None or r.get("type") == kind:
                yield r


# Where a value ends, found without building it: its brackets counted,
# strings (which may hold brackets) stepped over whole.  str.find for each
# kind of character, each found once: a regular expression scanning for
# any of them is ten times slower on a 40 MB array of numbers.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SPACE = re.compile(r"\s*")
_DECODER = json.JSONDecoder()


def _value_end(s, pos):
    """Where the array or object starting at s[pos] ends."""
    nxt = {c: s.find(c, pos) for c in '[]{}"'}
    depth = 0
    while True:
        found = [(p, c) for c, p in nxt.items() if p >= 0]
        if not found:
            raise ValueError("unterminated value")
        p, c = min(found)
        if c == '"':
            m = _STRING.match(s, p)
            if m is None:
                raise ValueError("unterminated string")
            pos = m.end()
            for c in nxt:
                if 0 <= nxt[c] < pos:
                    nxt[c] = s.find(c, pos)
            continue
        pos = p + 1
        nxt[c] = s.find(c, pos)
        depth += 1 if c in "[{" else -1
        if depth == 0:
            return pos


def _object_without(s, skip):
    """The JSON object s with the top-level values of the keys in skip
    left unparsed (None in their place)."""
    pos = _SPACE.match(s, 0).end()
    if s[pos:pos + 1] != "{":
        raise ValueError("not an object")
    r, pos = {}, _SPACE.match(s, pos + 1).end()
    while s[pos:pos + 1] != "}":
        key, pos = _DECODER.raw_decode(s, pos)
        pos = _SPACE.match(s, pos).end()
        if s[pos:pos + 1] != ":":
            raise ValueError("':' expected")
        pos = _SPACE.match(s, pos + 1).end()
        if key in skip and s[pos:pos + 1] in ("[", "{"):
            r[key], pos = None, _value_end(s, pos)
        else:
            r[key], pos = _DECODER.raw_decode(s, pos)
        pos = _SPACE.match(s, pos).end()
        if s[pos:pos + 1] == ",":
            pos = _SPACE.match(s, pos + 1).end()
        elif s[pos:pos + 1] != "}":
            raise ValueError("',' or '}' expected")
    if s[pos + 1:].strip():
        raise ValueError("extra data")
    return r


# The arrays of a model record that a reducer never looks at.
MODEL_ARRAYS = ("A", "P", "identifiability")


def one_without(path, kind, skip):
    """The single record of type kind in path, the values of the keys in
    skip (a model's big arrays) not read: None.  A 40 MB model's
    metadata in a tenth of the time json takes for all of it."""
    rs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = _object_without(line, skip)
            except ValueError as e:
                sys.exit("%s:%d: %s" % (path, n, e))
            if r.get("type") == kind:
                rs.append(r)
    if len(rs) != 1:
        sys.exit("%s: %d %s records, expected 1" % (path, len(rs), kind))
    return rs[0]


def stem(path):
    """A job file's name without directory and extension: its parameters."""
    return os.path.splitext(os.path.basename(path))[0]


def one(path, kind):
    """The single record of type kind in path."""
    rs = list(records(path, kind))
    if len(rs) != 1:
        sys.exit("%s: %d %s records, expected 1" % (path, len(rs), kind))
    return rs[0]


def fit_line(xs, ys):
    """Least squares y = a + b x: (b, a, standard error of b)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    if n <= 2:
        return b, a, float("nan")
    res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    return b, a, math.sqrt(res / (n - 2) / sxx)


def gamma_q(a, x):
    """Regularised upper incomplete gamma Q(a, x) (series below a + 1,
    continued fraction above, as in Numerical Recipes)."""
    if x <= 0:
        return 1.0
    lg = math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(10000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - lg))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - lg) * h


def chi2_pvalue(x, dof):
    """Pr(chi-square with dof degrees of freedom >= x)."""
    return gamma_q(dof / 2.0, x / 2.0)


def solve(M, v):
    """x with M x = v (Gaussian elimination with partial pivoting)."""
    n = len(v)
    A = [list(M[i]) + [v[i]] for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(A[r][c]))
        A[c], A[p] = A[p], A[c]
        if A[c][c] == 0:
            raise ZeroDivisionError("singular")
        for r in range(c + 1, n):
            f = A[r][c] / A[c][c]
            for k in range(c, n + 1):
                A[r][k] -= f * A[c][k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (A[r][n] - sum(A[r][k] * x[k] for k in range(r + 1, n))) / A[r][r]
    return x


def mean(xs):
    return sum(xs) / len(xs)


def sd(xs):
    if len(xs) < 2:
        return 0.0
    m = mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def g(x):
    """A number for a verdict line: 3 significant digits."""
    return "%.3g" % x


# Verdicts.  Every claim is judged by one rule: the confidence interval of
# the quantity it is about (LEVEL, two-sided) against the claim's
# tolerance, a closed interval (an open side: -inf or inf).  A quantity
# computed exactly (no sampling in it) has an interval of width 0.
LEVEL = 0.95
INF = float("inf")


def verdict(interval, tolerance):
    """AGREES if the interval lies inside the tolerance, DISAGREES if it
    lies wholly outside, UNDECIDED if it straddles an edge (or is not
    known: a NaN end)."""
    lo, hi = interval
    a, b = tolerance
    if lo != lo or hi != hi:
        return "UNDECIDED"
    if a <= lo and hi <= b:
        return "AGREES"
    if hi < a or lo > b:
        return "DISAGREES"
    return "UNDECIDED"


def combine(verdicts):
    """A claim of several parts: DISAGREES if one part does, AGREES if all
    do, UNDECIDED otherwise."""
    vs = list(verdicts)
    for v in ("DISAGREES", "UNDECIDED"):
        if v in vs:
            return v
    return "AGREES"


def t_quantile(p, dof):
    """The p-quantile of Student's t with dof degrees of freedom (exact for
    1 and 2, Cornish-Fisher beyond: within 1% for dof >= 3)."""
    from statistics import NormalDist
    if dof != dof or dof < 1:
        return float("nan")
    q = 2 * min(p, 1 - p)
    sign = 1 if p >= 0.5 else -1
    if dof == 1:
        return sign * math.tan(math.pi * (0.5 - q / 2))
    if dof == 2:
        return sign * math.sqrt(2 / (q * (2 - q)) - 2)
    z = NormalDist().inv_cdf(p)
    v = dof
    return (z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3))


def t_interval(est, se, dof, level=LEVEL):
    """est +/- t * se: the interval of an estimate with a standard error on
    dof degrees of freedom (unknown, (nan, nan), when dof < 1)."""
    if se != se or dof < 1:
        return (float("nan"), float("nan"))
    t = t_quantile(0.5 + level / 2, dof)
    return (est - t * se, est + t * se)


def jackknife(units, stat, level=LEVEL):
    """The estimate stat(units) and its interval by the delete-one
    jackknife over independent units (the seeds of a design: each a
    replicate of the whole experiment), with Student's t on len(units) - 1
    degrees of freedom.  One unit: the interval is unknown (nan, nan)."""
    est = stat(units)
    S = len(units)
    if S < 2:
        return est, (float("nan"), float("nan"))
    loo = [stat(units[:k] + units[k + 1:]) for k in range(S)]
    m = sum(loo) / S
    se = math.sqrt((S - 1) / S * sum((x - m) ** 2 for x in loo))
    return est, t_interval(est, se, S - 1, level)


def wilson(k, n, level=LEVEL):
    """Wilson's score interval of a binomial share k / n."""
    from statistics import NormalDist
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, c - h), min(1.0, c + h))


def hull(*intervals):
    """The smallest interval holding all of them."""
    return (min(i[0] for i in intervals), max(i[1] for i in intervals))


def exact(x):
    """The interval of a quantity computed without sampling."""
    return (x, x)


def show(interval, fmt="%.3g"):
    """An interval as "[lo, hi]" ("[unknown]" when it is not known)."""
    lo, hi = interval
    if lo != lo or hi != hi:
        return "[unknown]"
    return "[%s, %s]" % (fmt % lo, fmt % hi)


def judge(parts):
    """parts: (name, interval, tolerance).  The combined verdict and each
    part's verdict, by name."""
    each = {name: verdict(i, t) for name, i, t in parts}
    return combine(each.values()), each


def verdict_line(tag, title, measured, claim, word):
    """The verdict table's line: measured numbers (with their intervals),
    the claim, the verdict word."""
    return "%s %s: %s (claim: %s) %s" % (tag, title, measured, claim, word)


def record_verdict(summary, parts):
    """Judge parts, and store the verdict and the parts (intervals,
    tolerances, verdicts) in summary; returns the combined word."""
    word, each = judge(parts)
    summary["confidence_level"] = LEVEL
    finite = lambda xs: [x if math.isfinite(x) else None for x in xs]
    summary["claims"] = {name: {"interval": finite(i), "tolerance": finite(t),
                                "verdict": each[name]} for name, i, t in parts}
    summary["agrees"] = word == "AGREES"
    summary["result"] = word
    return word


def write_data(outdir, name, rows, header=None):
    """A whitespace-separated table for gnuplot; a blank row (None) ends a
    data block, two end a gnuplot index."""
    with open(os.path.join(outdir, name), "w") as f:
        if header:
            f.write("# " + header + "\n")
        for r in rows:
            if r is None:
                f.write("\n")
            else:
                f.write(" ".join(_cell(x) for x in r) + "\n")


def _cell(x):
    if isinstance(x, float):
        return repr(x)
    s = str(x)
    return '"%s"' % s if (" " in s or s == "") else s


def write_summary(outdir, summary):
    """summary.json, written whole or not at all; the verdict must be in it."""
    assert "verdict" in summary
    path = os.path.join(outdir, "summary.json")
    with open(path + ".part", "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(path + ".part", path)


def args():
    """outdir, scale, job files: the reducer's command line."""
    if len(sys.argv) < 3:
        sys.exit("usage: %s OUTDIR SCALE [JOBFILE ...]" % sys.argv[0])
    return sys.argv[1], sys.argv[2], sys.argv[3:]
