#!/usr/bin/env python3
"""Interpolated Kneser-Ney (Chen and Goodman 1998) from its definition
(stdlib only): the independent computation the bigram tests compare with.

usage: kn.py TEXT MODEL [SHARE [ROWSTEP]]
TEXT: one document a line, words split at white space, mapped through the
model's vocabulary (<unk> for the others); without the dev part of SHARE.
MODEL: a ccmc record of ccmc-estimate --markov, dense (P) or sparse (a
header and K ccmc-row lines, read as ccmc-records(5) says: listed columns
exp(A_ij) / Z_i, the others exp(default_i + bg_j) / Z_i).  Every ROWSTEP-th
row (default 1: all) must equal Kneser-Ney within 1e-12 and sum to 1.
Prints the number of rows never seen as a query.
"""
import json, math, sys
from collections import Counter

lines = open(sys.argv[2]).read().splitlines()
m = json.loads(lines[0])
share = float(sys.argv[3]) if len(sys.argv) > 3 else 0
step = int(sys.argv[4]) if len(sys.argv) > 4 else 1
vocab = m["vocab"]; K = len(vocab)

if m.get("form") == "sparse":
    rows = [json.loads(l) for l in lines[1:]]
    assert len(rows) == K and [r["i"] for r in rows] == list(range(K))
    bg = m["background"] or [0.0] * K
    S_bg = math.fsum(math.exp(b) for b in bg)

    def row_of(v):
        r = rows[v]
        d = r.get("default", m["default"])
        listed = dict(zip(r["cols"], r["A"]))
        assert r["cols"] == sorted(set(r["cols"]))
        Z = math.fsum(math.exp(a) for a in r["A"]) + math.exp(d) * (
            S_bg - math.fsum(math.exp(bg[j]) for j in r["cols"]))
        assert abs(Z - 1) <= 1e-12, (v, Z)     # A_ij = log P_ij
        return [math.exp(listed[w]) / Z if w in listed else
                math.exp(d + bg[w]) / Z for w in range(K)]
else:
    def row_of(v):
        return m["P"][v]

ids = {w: i for i, w in enumerate(vocab)}
unk = ids.get("<unk>")
docs = [[ids.get(w, unk) for w in l.split()] for l in open(sys.argv[1])]
docs = [d for d in docs if len(d) >= 2]
docs = [d for k, d in enumerate(docs)
        if not math.floor((k + 1) * share) > math.floor(k * share)]
pairs = Counter((a, b) for d in docs for a, b in zip(d, d[1:]))
count_of = Counter(pairs.values())
D = count_of[1] / (count_of[1] + 2 * count_of[2])
before = Counter(b for (a, b) in pairs)          # N1+(. w)
cc = Counter(before.values())
D1 = cc[1] / (cc[1] + 2 * cc[2])
types = len(pairs)


def p_cont(w):
    return max(before[w] - D1, 0) / types + D1 * len(before) / types / K


hist = Counter(); follow = Counter()
for (a, b), n in pairs.items():
    hist[a] += n; follow[a] += 1
assert abs(m["meta"]["discount"] - D) <= 1e-15 and abs(m["meta"]["discount_unigram"] - D1) <= 1e-15
assert m["meta"]["smoothing"] == "interpolated Kneser-Ney"
unseen_rows = 0
for v in range(0, K, step):
    row = row_of(v)
    if hist[v] == 0:
        unseen_rows += 1
        want = [p_cont(w) for w in range(K)]
    else:
        want = [max(pairs[(v, w)] - D, 0) / hist[v] +
                D * follow[v] / hist[v] * p_cont(w) for w in range(K)]
    assert abs(math.fsum(want) - 1) <= 1e-12
    assert abs(math.fsum(row) - 1) <= 1e-12, (v, math.fsum(row))
    for w in range(K):
        assert row[w] > 0 and abs(row[w] - want[w]) <= 1e-12 * want[w], (v, w, row[w], want[w])
print(unseen_rows)
