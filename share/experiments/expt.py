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


def verdict(tag, title, measured, claim, agrees):
    return "%s %s: %s (claim: %s) %s" % (
        tag, title, measured, claim, "AGREES" if agrees else "DISAGREES")


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
