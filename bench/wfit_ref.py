#!/usr/bin/python3
"""The W-fit of ccmc-estimate --embeddings done as a PyTorch user would:
float64, torch.optim.LBFGS with its defaults (history 100, lr 1) and the
strong Wolfe line search, on the mean negative log-likelihood of the same
headless law, one CPU thread (torch.set_num_threads(1): the C fit is
single-threaded, so CPU seconds compare), the samples in chunks of 1000
(environment WFIT_REF_CHUNK): their gathered embeddings would not fit in
memory all at once at 10^6 samples (16 GB), and of the chunks tried at
K 50000, d 64 (250 to 20000 samples) 500-1000 were the fastest, 7x faster
an evaluation than 20000 (whose 330 MB buffers the allocator maps and
unmaps every time).

Stops at the first evaluation whose log-likelihood is within 1e-9
relative of TARGET (ccmc-estimate's; "time to the same objective"), or
where its own tests stop it (max |gradient| per sample <= 1e-8, the C
fit's --tol, or LBFGS's tolerance_change, or 10000 iterations), or after
the first evaluation that ends past BUDGET CPU seconds of optimisation
(environment WFIT_REF_BUDGET, default none).

Prints one JSON object: seconds (CPU of the optimisation, not of reading),
read_seconds, evaluations, per_evaluation (CPU seconds), loglik, gradient
(max |gradient| per sample at the last evaluation), reached (the target),
stopped ("target", "own tests" or "budget"), samples, threads.

usage: wfit_ref.py MODEL.json SAMPLES.ndjson [TARGET]   (MODEL's E: JSON or
a .safetensors of float64, float32 or float16)
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


class Stop(Exception):
    pass


def main():
    t0 = time.process_time()
    E = torch.from_numpy(embeddings(sys.argv[1]))
    X, Y = samples(sys.argv[2])          # prompts of one length
    target = float(sys.argv[3]) if len(sys.argv) > 3 else None
    n, d = len(Y), E.shape[1]
    W = torch.zeros(d, d, requires_grad=True)
    chunk = int(os.environ.get("WFIT_REF_CHUNK", 1000))
    state = {"evals": 0, "loglik": None, "stopped": "own tests"}
    budget = float(os.environ.get("WFIT_REF_BUDGET", "inf"))

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
            loss = -lp.sum() / n
            loss.backward()
            total += loss.item()
        state["evals"] += 1
        state["loglik"] = -total * n
        state["gradient"] = W.grad.abs().max().item()
        if target is not None and state["loglik"] >= target - 1e-9 * abs(target):
            state["stopped"] = "target"
            raise Stop
        if time.process_time() - t1 > budget:
            state["stopped"] = "budget"
            raise Stop
        return total

    opt = torch.optim.LBFGS([W], lr=1, max_iter=10000, tolerance_grad=1e-8,
                            line_search_fn="strong_wolfe")
    t1 = time.process_time()
    try:
        opt.step(closure)
    except Stop:
        pass
    t2 = time.process_time()
    stopped = state["stopped"]
    print(json.dumps({"seconds": t2 - t1, "read_seconds": t1 - t0,
                      "evaluations": state["evals"],
                      "per_evaluation": (t2 - t1) / max(state["evals"], 1),
                      "loglik": state["loglik"], "gradient": state["gradient"],
                      "reached": stopped == "target", "stopped": stopped,
                      "samples": n, "threads": torch.get_num_threads()}))


main()
