#!/usr/bin/python3
"""Reference for bench/sample.sh: the IID sampling of `attn-sample --via ccmc`
with uniform prompts of fixed length, written in vectorised numpy, printing
the same NDJSON (the model line, then one sample record per line).

usage: sample_ref.py MODEL N L SEED > out
MODEL holds an attn-model record without positional encodings.  The draws
differ from attn-sample's (numpy's PCG64, not ChaCha20); the distribution
and the format are the same.
"""
import json
import sys

import numpy as np


def main():
    model_file, n, L, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with open(model_file) as f:
        line = f.readline()
    m = json.loads(line)
    if m.get("type") != "attn-model" or m.get("pos"):
        sys.exit("sample_ref.py: need an attn-model without positions")
    E, W = np.array(m["E"]), np.array(m["W"])
    K = m["K"]
    A = E @ W @ E.T                              # logits, attn-ccmc(7)
    P = np.exp(A - A.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)            # base chain

    rng = np.random.default_rng(seed)
    out = sys.stdout
    out.write(line if line.endswith("\n") else line + "\n")
    fmt = '{"type":"sample","prompt":[' + ",".join(["%d"] * L) + '],"y":%d}'
    chunk = 1 << 16
    rows = np.arange(chunk)
    for start in range(0, n, chunk):
        c = min(chunk, n - start)
        prompts = rng.integers(0, K, size=(c, L))
        # position t is chosen with weight P[last token, token at t]
        w = P[prompts[:, -1:], prompts]
        cum = np.cumsum(w, axis=1)
        u = rng.random(c) * cum[:, -1]
        pos = np.minimum((cum <= u[:, None]).sum(axis=1), L - 1)
        y = prompts[rows[:c], pos]
        table = np.concatenate([prompts, y[:, None]], axis=1).tolist()
        out.write("\n".join([fmt % tuple(r) for r in table]))
        out.write("\n")


if __name__ == "__main__":
    main()
