#!/usr/bin/env python3
"""Exact long-run law of a finite Markov chain, in rationals (stdlib only):
the independent computation the chain tests compare with.

stdin: {"P": [[...]], "f": [...]} (P row-stochastic up to rounding; its
diagonal is taken as 1 minus the rest of the row, so that the chain is
exactly stochastic).  stdout: the limit of the averages of f P^t, i.e. the
mass f sends into each closed class times that class's stationary law.
"""
import json, sys
from fractions import Fraction as F


def solve(M, b):
    n = len(M)
    M = [row[:] + [bb] for row, bb in zip(M, b)]
    for c in range(n):
        p = next(r for r in range(c, n) if M[r][c] != 0)
        M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c and M[r][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [x - f * y for x, y in zip(M[r], M[c])]
    return [M[i][n] / M[i][i] for i in range(n)]


def long_run(P, f):
    n = len(P)
    P = [[F(x) for x in row] for row in P]
    for i in range(n):
        P[i][i] = 1 - sum(P[i][j] for j in range(n) if j != i)
    reach = []
    for i in range(n):
        seen, todo = {i}, [i]
        while todo:
            a = todo.pop()
            for b in range(n):
                if P[a][b] > 0 and b not in seen:
                    seen.add(b)
                    todo.append(b)
        reach.append(seen)
    cls = [frozenset(j for j in reach[i] if i in reach[j]) for i in range(n)]
    closed = sorted({c for i, c in enumerate(cls) if reach[i] <= c}, key=min)
    T = [i for i in range(n) if not any(i in c for c in closed)]
    pi = [F(0)] * n
    for c in closed:
        mem = sorted(c)
        # mass: f on c plus what the transient states send into c
        mass = sum(F(f[i]) for i in mem)
        if T:
            M = [[(1 if a == b else 0) - P[a][b] for b in T] for a in T]
            h = solve(M, [sum(P[a][j] for j in mem) for a in T])
            mass += sum(F(f[a]) * h[k] for k, a in enumerate(T))
        m = len(mem)
        A = [[(1 if r == s else 0) - P[mem[s]][mem[r]] for s in range(m)]
             for r in range(m)]
        A[m - 1] = [F(1)] * m
        x = solve(A, [F(0)] * (m - 1) + [F(1)])
        for k, i in enumerate(mem):
            pi[i] += mass * x[k]
    return pi


if __name__ == "__main__":
    d = json.load(sys.stdin)
    print(json.dumps([float(x) for x in long_run(d["P"], d["f"])]))
