#!/usr/bin/python3
"""The W-fit of ccmc-estimate --embeddings done as a PyTorch user would:
float64, L-BFGS (strong Wolfe line search, history 20) on the same
log-likelihood, on one CPU thread, the samples in chunks (their gathered
embeddings do not fit in memory at once).  Prints one JSON object: fit
seconds (CPU, the optimisation only, not the reading), the log-likelihood
and the final max |gradient| per sample.

usage: wfit_ref.py MODEL.json SAMPLES.ndjson   (MODEL's E: JSON or weights)
"""
import json, os, struct, sys, time

import numpy as np
import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def embeddings(path):
    rec = json.loads(open(path).readline())
    if "E" in rec:
        return np.array(rec["E"], dtype=np.float64)
    w = os.path.join(os.path.dirname(path), rec["weights"])
    b = open(w, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    t = json.loads(b[8:8 + n])["E"]
    dt = {"F64": "<f8", "F32": "<f4", "F16": "<f2"}[t["dtype"]]
    lo, hi = t["data_offsets"]
    return np.frombuffer(b[8 + n + lo:8 + n + hi], dtype=dt).astype(np.float64).reshape(t["shape"])


def samples(path):
    P, Y = [], []
    for line in open(path):
        if '"sample"' not in line:
            continue
        r = json.loads(line)
        P.append(r["prompt"])
        Y.append(r["y"])
    return torch.tensor(P), torch.tensor(Y)


def main():
    E = torch.from_numpy(embeddings(sys.argv[1]))
    X, Y = samples(sys.argv[2])          # prompts of one length
    n, d = len(Y), E.shape[1]
    W = torch.zeros(d, d, requires_grad=True)
    chunk = 20000

    def closure():
        opt.zero_grad()
        total = 0.0
        for a in range(0, n, chunk):
            x, y = X[a:a + chunk], Y[a:a + chunk]
            u = E[x[:, -1]] @ W                       # query rows of E W
            s = torch.einsum("nd,nld->nl", u, E[x])   # scores
            keep = x == y[:, None]
            lp = torch.logsumexp(s.masked_fill(~keep, float("-inf")), 1) - \
                torch.logsumexp(s, 1)
            loss = -lp.sum()
            loss.backward()
            total += loss.item()
        return total

    opt = torch.optim.LBFGS([W], lr=1, max_iter=10000, history_size=20,
                            tolerance_grad=1e-8 * n, tolerance_change=0,
                            line_search_fn="strong_wolfe")
    t0 = time.process_time()
    opt.step(closure)
    secs = time.process_time() - t0
    f = closure()
    print(json.dumps({"seconds": secs, "loglik": -f, "samples": n,
                      "gradient": W.grad.abs().max().item() / n,
                      "evaluations": opt.state[opt._params[0]]["func_evals"]}))


main()
