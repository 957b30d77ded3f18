#!/usr/bin/python3
"""The fit of ccmc-estimate --window W --l2 LAMBDA on trajectory records,
done as a PyTorch user would: one parameter per (query, context token)
pair the data hold (a sparse CCMC: nothing else enters the likelihood,
and the ridge keeps the rest at 0), float64, L-BFGS (strong Wolfe line
search, history 20) on the whole penalised log-likelihood at once, one
CPU thread.  A step's context is the last W tokens before it (prompt
included); its query the last of them; a step whose token is not in its
context is left out, as ccmc-estimate counts it not covered.

Prints one JSON object: fit seconds (CPU, the optimisation alone),
seconds (CPU, the whole process), the objective (log-likelihood minus
LAMBDA/2 times the sum of squared logits), the log-likelihood, samples,
parameters, L-BFGS evaluations and the final largest |gradient|.

usage: sparse_ref.py W LAMBDA TRAJECTORIES.ndjson
"""
import json
import sys
import time
import warnings

import numpy as np
import torch

torch.set_num_threads(1)
warnings.filterwarnings("ignore", "scatter_reduce")   # "in beta" in torch 1.13
torch.set_default_dtype(torch.float64)


def steps(path, W):
    """Flat arrays of the samples: per context entry its sample, (query,
    token) key and count; per sample its chosen token's entry."""
    sample, key, count, chosen = [], [], [], []
    n = 0
    for line in open(path):
        r = json.loads(line)
        if r.get("type") != "trajectory":
            continue
        seq, L = r["prompt"] + r["tokens"], len(r["prompt"])
        for k in range(max(L, 1), len(seq)):
            ctx = seq[max(0, k - W):k]
            c = {}
            for t in ctx:
                c[t] = c.get(t, 0) + 1
            if seq[k] not in c:
                continue
            q = ctx[-1]
            for t, m in c.items():
                if t == seq[k]:
                    chosen.append(len(key))
                sample.append(n)
                key.append((q << 21) | t)
                count.append(m)
            n += 1
    return (np.array(sample, dtype=np.int64), np.array(key, dtype=np.int64),
            np.array(count, dtype=np.float64), np.array(chosen, dtype=np.int64), n)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: sparse_ref.py W LAMBDA TRAJECTORIES.ndjson")
    W, l2 = int(sys.argv[1]), float(sys.argv[2])
    sample, key, count, chosen, n = steps(sys.argv[3], W)
    pairs, param = np.unique(key, return_inverse=True)
    seg = torch.from_numpy(sample)
    idx = torch.from_numpy(param.astype(np.int64))
    logc = torch.from_numpy(np.log(count))
    ych = torch.from_numpy(chosen)
    theta = torch.zeros(len(pairs), requires_grad=True)

    def objective():
        v = theta[idx] + logc
        m = torch.full((n,), -float("inf")).scatter_reduce(
            0, seg, v.detach(), "amax", include_self=True)
        z = torch.zeros(n).index_add(0, seg, torch.exp(v - m[seg]))
        loglik = (v[ych] - m - torch.log(z)).sum()
        return loglik, loglik - 0.5 * l2 * (theta * theta).sum()

    def closure():
        opt.zero_grad()
        _, f = objective()
        (-f).backward()
        return -f.item()

    opt = torch.optim.LBFGS([theta], lr=1, max_iter=100000, history_size=20,
                            tolerance_grad=1e-9, tolerance_change=0,
                            line_search_fn="strong_wolfe")
    t0 = time.process_time()
    opt.step(closure)
    fit = time.process_time() - t0
    closure()
    with torch.no_grad():
        loglik, f = objective()
    print(json.dumps({"fit_seconds": fit, "seconds": time.process_time(),
                      "objective": f.item(), "loglik": loglik.item(),
                      "samples": n, "parameters": len(pairs),
                      "evaluations": opt.state[opt._params[0]]["func_evals"],
                      "gradient": theta.grad.abs().max().item()}))


main()
