#!/usr/bin/python3
"""The fit of ccmc-estimate --window W --l2 LAMBDA on trajectory records,
done as a PyTorch user would: one parameter per (query, context token)
pair the data hold (a sparse CCMC: nothing else enters the likelihood,
and the ridge keeps the rest at 0), float64, L-BFGS (strong Wolfe line
search, history 20) on the whole penalised log-likelihood at once, one
CPU thread.  A step's context is the last W tokens before it (prompt
included); its query the last of them; a step whose token is not in its
context is left out, as ccmc-estimate counts it not covered.

With TARGET (ccmc-estimate's objective on the same data), the run is a
race to the same optimum: it stops at the first evaluation whose
objective is within 1e-9 relative of TARGET ("reached": true), as a
user who knew the answer would stop it; without TARGET, or if L-BFGS
stops first, it runs to its own tests (largest |gradient| <= 1e-9,
100000 iterations).  The penalised objective is strictly concave, so
there is one optimum and the gap measures the distance to it.  Progress
(evaluations, CPU seconds, objective, gap to TARGET) goes to stderr
every 10 evaluations.

Prints one JSON object: fit seconds (CPU, the optimisation alone),
seconds (CPU, the whole process), the objective (log-likelihood minus
LAMBDA/2 times the sum of squared logits), the log-likelihood, samples,
parameters, L-BFGS evaluations, the final largest |gradient| and
whether TARGET was reached.

usage: sparse_ref.py W LAMBDA TRAJECTORIES.ndjson [TARGET]
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


class Reached(Exception):
    """The objective came within 1e-9 relative of the target."""


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: sparse_ref.py W LAMBDA TRAJECTORIES.ndjson [TARGET]")
    W, l2 = int(sys.argv[1]), float(sys.argv[2])
    target = float(sys.argv[4]) if len(sys.argv) == 5 else None
    evals = [0]
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
        evals[0] += 1
        if evals[0] % 10 == 0:
            print("sparse_ref: %d evaluations, %.0f s CPU, objective %.12g%s"
                  % (evals[0], time.process_time(), f.item(), "" if target is None
                     else ", gap %.3g" % ((target - f.item()) / abs(target))),
                  file=sys.stderr, flush=True)
        if target is not None and target - f.item() <= 1e-9 * abs(target):
            raise Reached
        return -f.item()

    opt = torch.optim.LBFGS([theta], lr=1, max_iter=100000, history_size=20,
                            tolerance_grad=1e-9, tolerance_change=0,
                            line_search_fn="strong_wolfe")
    t0 = time.process_time()
    reached = False
    try:
        opt.step(closure)
    except Reached:
        reached = True
    fit = time.process_time() - t0
    opt.zero_grad()
    loglik, f = objective()
    (-f).backward()
    print(json.dumps({"fit_seconds": fit, "seconds": time.process_time(),
                      "objective": f.item(), "loglik": loglik.item(),
                      "samples": n, "parameters": len(pairs),
                      "evaluations": evals[0], "reached": reached,
                      "gradient": theta.grad.abs().max().item()}))


main()
