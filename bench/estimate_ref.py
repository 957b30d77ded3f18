#!/usr/bin/env python3
"""Reference for bench/estimate.sh: the CCMC maximum-likelihood fit with
numpy/scipy, minimising the same objective as ccmc-estimate (the negative
log-likelihood, row by row) with L-BFGS.  Usage: estimate_ref.py FILE K.
Prints: parse seconds, fit seconds, log-likelihood."""
import json
import sys
import time

import numpy as np
from scipy.optimize import minimize

t0 = time.perf_counter()
K = int(sys.argv[2])
prompts, ys = [], []
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)
        if r["type"] == "sample":
            prompts.append(r["prompt"])
            ys.append(r["y"])
L = max(len(p) for p in prompts)
n = len(prompts)
# counts m (n x K) from the prompts
tok = np.full((n, L), K, dtype=np.int64)
for s, p in enumerate(prompts):
    tok[s, :len(p)] = p
query = np.array([p[-1] for p in prompts])
y = np.array(ys)
M = np.zeros((n, K + 1))
np.add.at(M, (np.repeat(np.arange(n), L), tok.ravel()), 1.0)
M = M[:, :K]
t1 = time.perf_counter()

total = 0.0
for i in range(K):
    rows = query == i
    Mi, yi = M[rows], y[rows]
    logm = np.where(Mi > 0, np.log(np.where(Mi > 0, Mi, 1.0)), -np.inf)
    chosen = np.bincount(yi, minlength=K).astype(float)
    const = logm[np.arange(len(yi)), yi].sum()

    def negll(a):
        z = logm + a
        mx = z.max(axis=1, keepdims=True)
        e = np.exp(z - mx)
        s = e.sum(axis=1, keepdims=True)
        f = -(const + a @ chosen - (mx[:, 0] + np.log(s[:, 0])).sum())
        g = -(chosen - (e / s).sum(axis=0))
        return f, g

    res = minimize(negll, np.zeros(K), jac=True, method="L-BFGS-B",
                   options={"maxiter": 10000, "gtol": 1e-8 * len(yi),
                            "ftol": 1e-15, "maxcor": 20})
    total += -res.fun
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {total!r}")
