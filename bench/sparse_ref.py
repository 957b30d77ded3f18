#!/usr/bin/python3
"""The fit of ccmc-estimate --window W --l2 LAMBDA on trajectory records,
done as a PyTorch user would: one parameter per (query, context token)
pair the data hold (a sparse CCMC: nothing else enters the likelihood,
and the ridge keeps the rest at 0), float64, L-BFGS (strong Wolfe line
search, history 20) on the whole penalised log-likelihood at once, one
CPU thread.  A step's context is the last W tokens before it (prompt
included); its query the last of them; a step whose token is not in its
context is left out, as ccmc-estimate counts it not covered.

With OURS (ccmc-estimate's fit record on the same data, dense or
sparse), two things are done.  First a certificate: torch evaluates the
objective and its gradient g at our logits; the objective is
LAMBDA-strongly concave, so no point scores more than ours by more than
|g|^2 / (2 LAMBDA), whatever torch's optimiser later reaches
("certified_gap", relative to |objective|).  Then a race to the same
optimum: L-BFGS from zero stops at the first evaluation whose objective
is within 1e-9 relative of ours ("reached": true), as a user who knew
the answer would stop it; without OURS, or if L-BFGS
stops first, it runs to its own tests (largest |gradient| <= 1e-9,
100000 iterations); and it stops when its optimisation has spent
SPARSE_REF_BUDGET seconds of CPU (environment; default 1800).  The penalised objective is strictly concave, so
there is one optimum and the gap measures the distance to it.  Progress
(evaluations, CPU seconds, objective, gap to ours) goes to stderr
every 10 evaluations.

Prints one JSON object: fit seconds (CPU, the optimisation alone),
seconds (CPU, the whole process), the objective (log-likelihood minus
LAMBDA/2 times the sum of squared logits), the log-likelihood, samples,
parameters, L-BFGS evaluations, the final largest |gradient|, whether
ours was reached and what stopped it ("stopped": reached, budget or
its own tests); with OURS also our objective as torch computes it, the
gradient's norm there and the certified gap.

usage: sparse_ref.py W LAMBDA TRAJECTORIES.ndjson [OURS.json]
"""
import json
import os
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


def our_logits(path, pairs):
    """The logits of ccmc-estimate's record at each (query << 21 | token)
    pair: a dense record's A[q][t], or a sparse record's rows (i, cols,
    A); an entry the record leaves out (null) is 0, as the ridge has it."""
    want = {int(k): n for n, k in enumerate(pairs)}
    theta = np.zeros(len(pairs))
    with open(path) as f:
        head = json.loads(f.readline())
        rows = ((i, range(len(a)), a) for i, a in enumerate(head["A"])) \
            if head.get("form", "dense") == "dense" else \
            ((r["i"], r["cols"], r["A"]) for r in map(json.loads, f)
             if r.get("type") == "ccmc-row")
        for i, cols, a in rows:
            for t, x in zip(cols, a):
                n = want.get((i << 21) | t)
                if n is not None and x is not None:
                    theta[n] = x
    return head["fit"]["objective"], theta


class Reached(Exception):
    """The objective came within 1e-9 relative of the target."""


class Budget(Exception):
    """The optimisation spent its CPU budget."""


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: sparse_ref.py W LAMBDA TRAJECTORIES.ndjson [OURS.json]")
    W, l2 = int(sys.argv[1]), float(sys.argv[2])
    budget = float(os.environ.get("SPARSE_REF_BUDGET", "1800"))
    evals = [0]
    sample, key, count, chosen, n = steps(sys.argv[3], W)
    pairs, param = np.unique(key, return_inverse=True)
    seg = torch.from_numpy(sample)
    idx = torch.from_numpy(param.astype(np.int64))
    logc = torch.from_numpy(np.log(count))
    ych = torch.from_numpy(chosen)
    theta = torch.zeros(len(pairs), requires_grad=True)
    target, cert = None, {}

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
        if time.process_time() - t0 > budget:
            raise Budget
        return -f.item()

    if len(sys.argv) == 5:
        target, ours = our_logits(sys.argv[4], pairs)
        with torch.no_grad():
            theta.copy_(torch.from_numpy(ours))
        _, f = objective()
        (-f).backward()
        g2 = (theta.grad * theta.grad).sum().item()
        cert = {"ours_objective": f.item(), "ours_gradient_norm": g2 ** 0.5,
                "certified_gap": g2 / (2 * l2) / abs(f.item())}
        with torch.no_grad():
            theta.zero_()
        theta.grad = None
    opt = torch.optim.LBFGS([theta], lr=1, max_iter=100000, history_size=20,
                            tolerance_grad=1e-9, tolerance_change=0,
                            line_search_fn="strong_wolfe")
    t0 = time.process_time()
    stopped = "its own tests"
    try:
        opt.step(closure)
    except Reached:
        stopped = "reached"
    except Budget:
        stopped = "budget"
    fit = time.process_time() - t0
    opt.zero_grad()
    loglik, f = objective()
    (-f).backward()
    print(json.dumps({"fit_seconds": fit, "seconds": time.process_time(),
                      "objective": f.item(), "loglik": loglik.item(),
                      "samples": n, "parameters": len(pairs),
                      "evaluations": evals[0], "reached": stopped == "reached",
                      "stopped": stopped,
                      "gradient": theta.grad.abs().max().item(), **cert}))


main()
