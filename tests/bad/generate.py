#!/usr/bin/env python3
"""Writes the bad-input corpus: tests/bad/PROG/NAME files and, per program,
tests/bad/PROG/EXPECT with one line "NAME STATUS LINE" (the exit status and
the input line the one error message must name; for the variants a reader
accepts, "NAME 0 good": read exactly like the file good).  tests/bad/ARGS
holds the arguments each program runs with.  Run from the top of the tree after
`make`; the corpus is committed, so this only needs rerunning to change it.
"""
import json, os, subprocess, sys

BIN = os.environ.get("BIN", "bin")
OUT = os.path.dirname(os.path.abspath(__file__))


def run(*cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, check=True).stdout


def gen(*args):
    return run(os.path.join(BIN, "attn-gen-model"), *args)


def first_record(b):
    return json.loads(b.decode().splitlines()[0])


def dumps(r):
    return json.dumps(r, separators=(",", ":")).encode()


# Malformations of the stream itself, each given as the bytes of one line.
def stream_cases(template):
    t = dumps(template)
    return {
        "truncated": t[: len(t) // 2],
        "trailing-garbage": t + b" x",
        "two-objects": t + t,
        "wrong-nesting": b'{"type":"prompt","prompt":[1,2}',
        "unclosed-string": b'{"type":"prompt',
        "invalid-utf8": b'{"type":"\xff\xfe"}',
        "overlong-utf8": b'{"type":"\xc0\xaf"}',
        "nul-byte": t[:5] + b"\0" + t[5:],
        "nul-in-string": b'{"type":"pro\\u0000mpt"}',
        "nul-after-number": b'{"type":"x","v":[1\0]}',
        "nul-after-real": b'{"type":"x","v":1.5\0}',
        "nul-after-token": t.replace(b"]", b"\0]", 1),
        "nul-after-key": b'{"type"\0:"x"}',
        "nul-in-key": b'{"type":"x","v\0":1}',
        "num-leading-zero": b'{"type":"x","v":01}',
        "num-trailing-dot": b'{"type":"x","v":1.}',
        "num-plus": b'{"type":"x","v":+1}',
        "num-hex": b'{"type":"x","v":0x1}',
        "num-bare-exponent": b'{"type":"x","v":1e+}',
        "utf8-raw-surrogate": b'{"type":"x","v":"\xed\xa0\x80"}',
        "utf8-cut-short": b'{"type":"x","v":"\xe2\x82"}',
        "array": b"[" + t + b"]",
        "string": b'"hello"',
        "number": b"42",
        "null": b"null",
        "missing-type": b'{"prompt":[0,1]}',
        "type-number": b'{"type":3}',
        "type-null": b'{"type":null}',
        "duplicate-key": b'{"type":"a","type":"b"}',
        "nan-literal": b'{"type":"x","v":NaN}',
        "infinity-literal": b'{"type":"x","v":Infinity}',
        "huge-number": b'{"type":"x","v":1e999}',
        "huge-integer": b'{"type":"x","v":123456789012345678901234567890}',
        "deep-nesting": b'{"type":"x","v":' + b"[" * 5000 + b"]" * 5000 + b"}",
        "bom": b"\xef\xbb\xbf" + t,
        "lone-surrogate": b'{"type":"\\ud800"}',
        "raw-control-char": b'{"type":"a\x01b"}',
        "binary": bytes(range(1, 200)),
        "single-quotes": b"{'type':'prompt'}",
        "comment": b"// comment",
    }


def write(prog, cases, first=b"", line=2, status=65, expect=None):
    d = os.path.join(OUT, prog)
    os.makedirs(d, exist_ok=True)
    for name, body in cases.items():
        if isinstance(body, tuple):      # (bytes, line, status)
            body, ln, st = body
        else:
            ln, st = line, status
        with open(os.path.join(d, name), "wb") as f:
            if first or body:
                f.write(first + body + b"\n")
        expect.append(f"{name} {st} {ln}")


# Variants a reader accepts and must read exactly like the file "good":
# EXPECT names it in place of the line ("NAME 0 good").
def accepted(prog, good, expect):
    d = os.path.join(OUT, prog)
    os.makedirs(d, exist_ok=True)
    variants = {
        "good": good,
        "no-final-newline": good.rstrip(b"\n"),
        "crlf": good.replace(b"\n", b"\r\n"),
        "blank-lines": b"\n \t\n" + good.replace(b"\n", b"\n\n"),
    }
    for name, body in variants.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(body)
        if name != "good":
            expect.append(f"{name} 0 good")


def save(prog, expect):
    with open(os.path.join(OUT, prog, "EXPECT"), "w") as f:
        f.write("\n".join(expect) + "\n")


def mut(base, f):
    r = json.loads(json.dumps(base))
    f(r)
    return dumps(r)


def to_ccmc(model_bytes):
    return first_record(run(os.path.join(BIN, "attn-to-ccmc"), stdin=model_bytes))


# Finite entries whose logits E W E^T are not.
def w_overflow(model):
    return mut(model, lambda r: r.update(
        W=[[1.7e308, 1.7e308] + [-1.7e308] * (len(row) - 2) for row in r["W"]]))


# A head whose C e_j is inf - inf: a NaN that fmax would drop.
def head_nan(model):
    def f(r):
        d = r["d"] + 2
        r["d"] = d
        for k, row in enumerate(r["E"]):
            row += [1e10, 1e10] if k == 0 else [0, 0]
        for k, row in enumerate(r["C"]):
            row += [1e300, -1e300] if k == 0 else [0, 0]
        for row in r["W"]:
            row += [0, 0]
        r["W"] += [[0] * d, [0] * d]
    return mut(model, f)


# Positions whose C r_t is inf - inf (C near 1e300, R near 1e10).
def c_r_nan():
    r = first_record(gen("--vocab", "3", "--pos", "4", "--seed", "4"))
    r["pos"]["R"] = [[0, 0, 0, 1e10, 1e10, 0, 0] for _ in range(4)]
    r["C"][0][3], r["C"][0][4] = 1e300, -1e300
    return dumps(r)


# A model's own malformations, each an attn-model or ccmc line; every
# program that reads a model refuses them at the model's line.
def model_cases(model, ccmc):
    K = model["K"]
    return {
        "model-head-nan": head_nan(model),
        "model-C-r-nan": c_r_nan(),
        "model-K-huge": mut(model, lambda r: r.update(K=10**9)),
        "model-d-huge": mut(model, lambda r: r.update(d=10**9)),
        "model-E-ragged": mut(model, lambda r: r["E"][1].append(0)),
        "model-W-not-square": mut(model, lambda r: r.update(W=[row[:-1] for row in r["W"]])),
        "model-C-untied": mut(model, lambda r: r["C"][0].__setitem__(0, 0.5)),
        "model-W-overflow": w_overflow(model),
        "ccmc-K-huge": mut(ccmc, lambda r: r.update(K=10**9)),
        "ccmc-K-mismatch": mut(ccmc, lambda r: r.update(K=K + 1)),
        "ccmc-P-row-sum": mut(ccmc, lambda r: (r.pop("A"), r["P"][1].__setitem__(0, r["P"][1][0] + 0.01))),
        "ccmc-P-negative": mut(ccmc, lambda r: (r.pop("A"), r["P"][0].__setitem__(0, -0.1),
                                                r["P"][0].__setitem__(1, r["P"][0][1] + 0.1))),
        "ccmc-P-zero-no-A": mut(ccmc, lambda r: (r.pop("A"), r.update(P=[[1.0] + [0.0] * (K - 1)] * K))),
        "ccmc-P-ragged": mut(ccmc, lambda r: r["P"][2].pop()),
        "ccmc-A-not-square": mut(ccmc, lambda r: r.update(A=[row[:-1] for row in r["A"]])),
        "ccmc-A-not-P": mut(ccmc, lambda r: r["A"][0].__setitem__(0, r["A"][0][0] + 1)),
        "ccmc-A-overflow": mut(ccmc, lambda r: r.update(A=[[1e308, -1e308] + [0.0] * (K - 2)] * K,
                                                        P=[[1.0] + [0.0] * (K - 1)] * K)),
        "ccmc-no-P": mut(ccmc, lambda r: r.pop("P")),
        "ccmc-posw-ragged": mut(ccmc, lambda r: r.update(posw=[[1.0], [1.0]])),
        "ccmc-posw-zero": mut(ccmc, lambda r: r.update(posw=[[1.0], [0.0, 1.0]])),
        "ccmc-vocab-short": mut(ccmc, lambda r: r.update(vocab=["a"])),
        "ccmc-vocab-twice": mut(ccmc, lambda r: r.update(vocab=["a"] * K)),
        "ccmc-vocab-number": mut(ccmc, lambda r: r.update(vocab=list(range(K)))),
    }


# Token arrays gone wrong; f(tokens) makes the bad record.
def token_cases(f, K):
    return {
        "token-out-of-range": f([0, K]),
        "token-negative": f([0, -1]),
        "token-huge": f([0, 10**9]),
        "token-beyond-int": f([0, 2**40]),
        "token-real": f([0, 1.5]),
        "token-integral-real": f([0, 1.0]),
        "token-bool": f([0, True]),
        "token-null": f([0, None]),
        "token-nested": f([0, [1]]),
        "token-object": f([0, {}]),
    }


# What every reader of sample records refuses, f(prompt, y) making one:
# the token cases of its prompt, then those of y and of missing fields.
def sample_cases(f, K):
    c = token_cases(f, K)
    c.update({
        "y-out-of-range": f([0, 1], K),
        "y-negative": f([0, 1], -1),
        "y-real": f([0, 1], 1.5),
        "y-null": f([0, 1], None),
        "no-y": b'{"type":"sample","prompt":[0,1]}',
        "no-prompt": b'{"type":"sample","y":0}',
        "empty-prompt": f([], 0),
    })
    return c


def attn_to_ccmc():
    model = first_record(gen("--vocab", "3", "--seed", "4"))
    posm = first_record(gen("--vocab", "3", "--pos", "4", "--seed", "4"))
    good = dumps(model) + b"\n"
    exp = []
    write("attn-to-ccmc", stream_cases(model), first=good, expect=exp)

    sem = {
        "no-K": mut(model, lambda r: r.pop("K")),
        "K-string": mut(model, lambda r: r.update(K="3")),
        "K-zero": mut(model, lambda r: r.update(K=0)),
        "K-negative": mut(model, lambda r: r.update(K=-3)),
        "K-huge": mut(model, lambda r: r.update(K=10**9)),
        "K-real": mut(model, lambda r: r.update(K=3.5)),
        "d-less-than-K": mut(model, lambda r: r.update(d=2)),
        "d-huge": mut(model, lambda r: r.update(d=10**9)),
        "no-E": mut(model, lambda r: r.pop("E")),
        "no-W": mut(model, lambda r: r.pop("W")),
        "no-C": mut(model, lambda r: r.pop("C")),
        "E-not-array": mut(model, lambda r: r.update(E=1)),
        "E-short": mut(model, lambda r: r.update(E=r["E"][:2])),
        "E-ragged": mut(model, lambda r: r["E"][1].append(0)),
        "W-not-square": mut(model, lambda r: r.update(W=[row[:2] for row in r["W"]])),
        "W-row-not-array": mut(model, lambda r: r["W"].__setitem__(1, 5)),
        "W-string-entry": mut(model, lambda r: r["W"][0].__setitem__(0, "x")),
        "W-null-entry": mut(model, lambda r: r["W"][0].__setitem__(0, None)),
        "W-bool-entry": mut(model, lambda r: r["W"][0].__setitem__(0, True)),
        "C-untied": mut(model, lambda r: r["C"][0].__setitem__(0, 0.5)),
        "C-zero": mut(model, lambda r: r.update(C=[[0] * 3] * 3)),
        "pos-number": mut(model, lambda r: r.update(pos=3)),
        "pos-no-R": mut(model, lambda r: r.update(pos={"LMAX": 2})),
        "pos-LMAX-zero": mut(model, lambda r: r.update(pos={"LMAX": 0, "R": []})),
        "pos-R-short": mut(posm, lambda r: r["pos"].update(R=r["pos"]["R"][:2])),
        "pos-breaks-separation": mut(posm, lambda r: r["pos"]["R"][0].__setitem__(0, 1.0)),
        "pos-LMAX-huge": mut(posm, lambda r: r["pos"].update(LMAX=10**6)),
        "W-overflow": w_overflow(model),
    }
    write("attn-to-ccmc", sem, first=good, expect=exp)
    write("attn-to-ccmc", {"empty-stream": (b"", 0, 65)}, expect=exp)
    write("attn-to-ccmc", {"no-model": (b'{"type":"prompt","prompt":[0]}', 1, 65)},
          expect=exp)
    accepted("attn-to-ccmc", good + b'{"type":"prompt","prompt":[0,1]}\n', exp)
    save("attn-to-ccmc", exp)


def attn_sample():
    mb = gen("--vocab", "3", "--seed", "4")
    model, ccmc = first_record(mb), to_ccmc(mb)
    posm = first_record(gen("--vocab", "3", "--pos", "4", "--seed", "4"))
    words = dict(ccmc, vocab=["a", "b", "c"])
    good = dumps(model) + b"\n" + b'{"type":"prompt","prompt":[0,2,1]}\n'
    exp = []

    def prompt(t):
        return dumps({"type": "prompt", "prompt": t})

    write("attn-sample", stream_cases({"type": "prompt", "prompt": [0, 2, 1]}),
          first=good, line=3, expect=exp)
    sem = token_cases(prompt, 3)
    sem.update({
        "token-string-no-vocab": prompt([0, "a"]),
        "prompt-not-array": b'{"type":"prompt","prompt":2}',
        "prompt-string": b'{"type":"prompt","prompt":"0 1"}',
        "no-prompt": b'{"type":"prompt"}',
        "empty-prompt": prompt([]),
        "sample-record": b'{"type":"sample","prompt":[0],"y":1}',
        "second-model": dumps(model),
        "ccmc-after-model": dumps(ccmc),
    })
    write("attn-sample", sem, first=good, line=3, expect=exp)
    write("attn-sample", {"prompt-longer-than-LMAX": prompt([0] * 5)},
          first=dumps(posm) + b"\n", line=2, expect=exp)
    write("attn-sample", {
        "word-not-in-vocab": prompt(["a", "zz"]),
        "word-and-id-out-of-range": prompt(["a", 3]),
    }, first=dumps(words) + b"\n", line=2, expect=exp)
    write("attn-sample", model_cases(model, ccmc), line=1, expect=exp)
    write("attn-sample", {
        "prompt-first": (prompt([0, 1]), 1, 65),
        "sample-first": (b'{"type":"sample","prompt":[0],"y":0}', 1, 65),
        "empty-stream": (b"", 0, 65),
    }, expect=exp)
    accepted("attn-sample", good, exp)
    save("attn-sample", exp)


def ccmc_estimate():
    mb = gen("--vocab", "3", "--seed", "4")
    model, ccmc = first_record(mb), to_ccmc(mb)
    posm = first_record(gen("--vocab", "3", "--pos", "4", "--seed", "4"))
    other = first_record(gen("--vocab", "3", "--seed", "5"))
    small = first_record(gen("--vocab", "2", "--seed", "4"))
    big = first_record(gen("--vocab", "4", "--seed", "4"))
    good = b'{"type":"sample","prompt":[0,2,1],"y":1}\n'
    traj = b'{"type":"trajectory","prompt":[0,2],"tokens":[2,0,0]}\n'
    exp = []

    def sample(t, y=0):
        return dumps({"type": "sample", "prompt": t, "y": y})

    write("ccmc-estimate", stream_cases({"type": "sample", "prompt": [0, 2, 1], "y": 1}),
          first=good, expect=exp)
    sem = sample_cases(sample, 2048)
    sem.update({
        "y-array": sample([0, 1], [0, 1]),
        "y-not-in-prompt": sample([0, 1], 2),
        "y-string": sample([0, 1], "a"),
        "prompt-not-array": b'{"type":"sample","prompt":0,"y":0}',
        "strings-after-ids": b'{"type":"sample","prompt":["a","b"],"y":"a"}',
        "ids-and-strings": b'{"type":"sample","prompt":[0,"a"],"y":0}',
        "traj-not-in-context": b'{"type":"trajectory","prompt":[0],"tokens":[0,1]}',
        "traj-empty-prompt": b'{"type":"trajectory","prompt":[],"tokens":[0,0]}',
        "traj-tokens-not-array": b'{"type":"trajectory","prompt":[0],"tokens":0}',
        "traj-no-tokens": b'{"type":"trajectory","prompt":[0]}',
        "traj-token-out-of-range": b'{"type":"trajectory","prompt":[0],"tokens":[0,4096]}',
        "truth-after-bigger-token": dumps(small),
        "pos-truth-after-samples": dumps(posm),
    })
    write("ccmc-estimate", sem, first=good, expect=exp)
    write("ccmc-estimate", {
        "token-out-of-truth-K": sample([0, 3], 0),
        "y-out-of-truth-K": sample([0, 1], 3),
        "truth-other-K": dumps(big),
        "truth-different": dumps(other),
        "traj-out-of-truth-K": b'{"type":"trajectory","prompt":[0],"tokens":[0,3]}',
    }, first=dumps(model) + b"\n" + good, line=3, expect=exp)
    write("ccmc-estimate", {"context-longer-than-LMAX": sample([0] * 5, 0)},
          first=dumps(posm) + b"\n", expect=exp)
    write("ccmc-estimate", model_cases(model, ccmc), line=1, expect=exp)
    write("ccmc-estimate", {
        "empty-stream": (b"", 0, 65),
        "truth-only": (dumps(model), 1, 65),
        "nothing-in-context": (b'{"type":"trajectory","prompt":[0],"tokens":[1]}', 1, 65),
    }, expect=exp)
    accepted("ccmc-estimate", good + traj + b'{"type":"sample","prompt":[1,2],"y":2}\n', exp)
    save("ccmc-estimate", exp)


def traj_stats():
    mb = gen("--vocab", "3", "--seed", "4")
    model, ccmc = first_record(mb), to_ccmc(mb)
    good = b'{"type":"trajectory","prompt":[0,2],"tokens":[2,0,0,2,2,2]}\n'
    exp = []

    def traj(t):
        return dumps({"type": "trajectory", "prompt": [0], "tokens": t})

    write("traj-stats", stream_cases({"type": "trajectory", "prompt": [0, 2], "tokens": [2, 0]}),
          first=good, expect=exp)
    sem = token_cases(traj, 2**31 - 1)
    del sem["token-huge"]       # ids may be any int without a model
    sem.update({
        "prompt-token-real": b'{"type":"trajectory","prompt":[0.5],"tokens":[0]}',
        "no-tokens": b'{"type":"trajectory","prompt":[0]}',
        "no-prompt": b'{"type":"trajectory","tokens":[0]}',
        "tokens-not-array": b'{"type":"trajectory","prompt":[0],"tokens":0}',
        "prompt-not-array": b'{"type":"trajectory","prompt":"0","tokens":[0]}',
        "ids-and-strings": traj([0, "a"]),
        "string-prompt-id-tokens": b'{"type":"trajectory","prompt":["a"],"tokens":[0]}',
    })
    write("traj-stats", sem, first=good, expect=exp)
    write("traj-stats", {
        "token-out-of-model-K": traj([0, 3]),
        "prompt-out-of-model-K": b'{"type":"trajectory","prompt":[5],"tokens":[0]}',
    }, first=dumps(model) + b"\n" + good, line=3, expect=exp)
    write("traj-stats", model_cases(model, ccmc), line=1, expect=exp)
    write("traj-stats", {
        "empty-stream": (b"", 0, 65),
        "model-only": (dumps(model), 1, 65),
    }, expect=exp)
    accepted("traj-stats", dumps(model) + b"\n" + good + good, exp)
    save("traj-stats", exp)


# Extreme but valid models (the option maxima: logits of thousands, P
# underflowing, position weights of 1e308) through every program and
# option: the model and whole valid records first, so that each program
# computes everything it would on them (predictions, analysis, errors
# against a ground truth), then one bad line that must be refused at its
# number.  Directories PROG.VARIANT run PROG with the arguments ARGS gives
# them.
EXTREME = {
    "x-diag-neg": ["--vocab", "20", "--scale", "1000", "--diag", "-1000"],
    "x-diag-pos": ["--vocab", "12", "--scale", "1000", "--diag", "1000", "--seed", "3"],
    "x-gauss": ["--vocab", "16", "--scale", "700", "--embed", "gaussian", "--seed", "2"],
    "x-recency": ["--vocab", "8", "--pos", "16", "--recency", "1000", "--scale", "1000",
                  "--seed", "5"],
    "x-posscale": ["--vocab", "8", "--pos", "16", "--pos-scale", "1000", "--embed",
                   "gaussian", "--scale", "1000", "--seed", "6"],
    "x-flat": ["--vocab", "3", "--scale", "0"],
}


def extreme_models():
    out = {}
    for name, opts in EXTREME.items():
        out[name] = dumps(first_record(gen(*opts)))
    # the CCMC of one, as a ccmc record, and hand-written weights at the
    # ends of the doubles
    out["x-ccmc"] = dumps(to_ccmc(gen(*EXTREME["x-diag-pos"])))
    c = to_ccmc(gen(*EXTREME["x-recency"]))
    c["posw"] = [[1e308 if t % 2 else 5e-324 for t in range(L)] for L in range(1, 17)]
    out["x-posw"] = dumps(c)
    return out


# Where fitting meets a y whose position weights all underflowed to 0 (a
# probability of 0, like a y not in the prompt): the hand-written weights'
# first sample, and x-posscale's trajectory (line 4).
ZERO_WEIGHT = {"x-posw": 2, "x-posscale": 4}


def extreme(prog, data, tails, models, expect):
    for mname, mline in models.items():
        zero = ZERO_WEIGHT.get(mname) if prog == "ccmc-estimate" else None
        write(prog, {f"{mname}-valid": b"\n".join([mline] + data)}, expect=expect)
        expect[-1] = f"{mname}-valid 65 {zero}" if zero else f"{mname}-valid 0 ok"
        for tname, tail in tails.items():
            lines = [mline] + data
            write(prog, {f"{mname}-{tname}": b"\n".join(lines + [tail])},
                  line=zero or len(lines) + 1, expect=expect)


def extreme_all():
    models = extreme_models()
    no_ccmc = {k: v for k, v in models.items() if not k.startswith("x-ccmc")
               and k != "x-posw"}
    prompt = b'{"type":"prompt","prompt":[0,2,1]}'
    sample = b'{"type":"sample","prompt":[0,2,1],"y":1}'
    traj = b'{"type":"trajectory","prompt":[0,2,1],"tokens":[2,0,0,2,2,0,1,1]}'
    broken = {
        "truncated": b'{"type":"prompt","prom',
        "nan-literal": b'{"type":"prompt","prompt":[0],"v":NaN}',
        "binary": bytes(range(1, 120)),
    }
    runs = {
        "attn-to-ccmc": ([prompt], dict(broken, **{"model-K-huge":
                         b'{"type":"attn-model","K":1000000000}'}), no_ccmc),
        "attn-sample": ([prompt, prompt], dict(broken, **{
            "token-out-of-range": b'{"type":"prompt","prompt":[0,99]}',
            "empty-prompt": b'{"type":"prompt","prompt":[]}'}), models),
        "attn-sample.traj": ([prompt, prompt], dict(broken, **{
            "token-out-of-range": b'{"type":"prompt","prompt":[0,99]}'}), models),
        "attn-sample.markov": ([prompt, prompt], dict(broken, **{
            "token-negative": b'{"type":"prompt","prompt":[-1]}'}), models),
        "ccmc-estimate": ([sample, sample, traj], dict(broken, **{
            "y-not-in-prompt": b'{"type":"sample","prompt":[0,1],"y":2}',
            "token-out-of-truth-K": b'{"type":"sample","prompt":[0,99],"y":0}'}), models),
        "ccmc-estimate.markov": ([sample, traj], dict(broken, **{
            "y-null": b'{"type":"sample","prompt":[0,1],"y":null}'}), models),
        "traj-stats": ([traj, traj], dict(broken, **{
            "token-out-of-model-K": b'{"type":"trajectory","prompt":[0],"tokens":[0,99]}',
            "no-tokens": b'{"type":"trajectory","prompt":[0]}'}), models),
        "traj-stats.summary": ([traj], dict(broken, **{
            "token-real": b'{"type":"trajectory","prompt":[0],"tokens":[0,1.5]}'}), models),
    }
    # logits of 1e300 and a fit 1e300 away: squared errors beyond a double
    ov = (b'{"type":"ccmc","K":3,"A":[[1e300,0,-1e300],[0,1e300,-1e300],'
          b'[-1e300,0,1e300]],"P":[[1,0,0],[0,1,0],[0,0,1]]}')
    models_ov = dict(models, **{"x-logits-1e300": ov})
    runs["ccmc-estimate"] = runs["ccmc-estimate"][:2] + (models_ov,)
    runs["ccmc-estimate"][0].extend([b'{"type":"sample","prompt":[1,0],"y":0}',
                                     b'{"type":"sample","prompt":[1,0],"y":1}'])
    for d, (data, tails, ms) in runs.items():
        path = os.path.join(OUT, d, "EXPECT")
        exp = open(path).read().split("\n")[:-1] if os.path.exists(path) else []
        exp = [e for e in exp if not e.startswith("x-")]
        for f in os.listdir(os.path.join(OUT, d)) if os.path.isdir(os.path.join(OUT, d)) else []:
            if f.startswith("x-"):
                os.remove(os.path.join(OUT, d, f))
        extreme(d, data, tails, ms, exp)
        save(d, exp)


# ccmc-estimate --eval MODEL: the data path of scoring, with the model
# (K = 3, no positions) in the file eval-model beside the cases.
def ccmc_estimate_eval():
    d = "ccmc-estimate.eval"
    mb = gen("--vocab", "3", "--seed", "4")
    os.makedirs(os.path.join(OUT, d), exist_ok=True)
    with open(os.path.join(OUT, d, "eval-model"), "wb") as f:
        f.write(mb)
    good = b'{"type":"sample","prompt":[0,2,1],"y":1}\n'
    exp = []

    def sample(t, y=0):
        return dumps({"type": "sample", "prompt": t, "y": y})

    write(d, stream_cases({"type": "sample", "prompt": [0, 2, 1], "y": 1}),
          first=good, expect=exp)
    sem = sample_cases(sample, 3)
    sem.update({
        "traj-token-out-of-range": b'{"type":"trajectory","prompt":[0],"tokens":[0,3]}',
        "traj-no-tokens": b'{"type":"trajectory","prompt":[0]}',
        "traj-empty-prompt": b'{"type":"trajectory","prompt":[],"tokens":[0]}',
        "string-tokens-no-vocab": b'{"type":"sample","prompt":["a","b"],"y":"a"}',
    })
    write(d, sem, first=good, expect=exp)
    accepted(d, good + b'{"type":"trajectory","prompt":[0,2],"tokens":[2,0,0]}\n', exp)
    save(d, exp)


# Text input (--text): every line must be valid UTF-8 without NUL; the
# bad bytes come on line 2, after a good line.
def text_dirs():
    good = "the cat sat on the mat\n".encode()
    bad = {
        "invalid-ff": b"a \xff b",
        "lone-continuation": b"a \x80 b",
        "overlong-slash": b"a \xc0\xaf b",
        "overlong-3": b"a \xe0\x80\xaf b",
        "surrogate": b"a \xed\xa0\x80 b",
        "beyond-10ffff": b"a \xf4\x90\x80\x80 b",
        "five-byte": b"a \xf8\x88\x80\x80\x80 b",
        "truncated-2": b"a b \xc3",
        "truncated-4": b"a \xf0\x9f\x98 b",
        "nul": b"a b\x00 c d",
        "nul-first": b"\x00a b",
        "latin1": "caf\xe9 au lait".encode("latin-1"),
    }
    for d in ("ccmc-estimate.text", "traj-stats.text"):
        exp = []
        write(d, bad, first=good, expect=exp)
        accepted(d, good + "caf\u00e9 na\u00efve \u20ac \U0001f600 the\n".encode(), exp)
        save(d, exp)


# --eval with a model of 4 positions: contexts beyond them are refused,
# as fitting refuses them.
def eval_positions():
    d = "ccmc-estimate.evalpos"
    os.makedirs(os.path.join(OUT, d), exist_ok=True)
    with open(os.path.join(OUT, d, "eval-pos"), "wb") as f:
        f.write(gen("--vocab", "3", "--pos", "4", "--seed", "4"))
    good = b'{"type":"sample","prompt":[0,2,1,1],"y":1}\n'
    exp = []
    write(d, {
        "sample-longer-than-LMAX": b'{"type":"sample","prompt":[0,2,1,1,0],"y":1}',
        "sample-far-longer": dumps({"type": "sample", "prompt": [0, 1] * 3000, "y": 1}),
        "traj-grows-beyond-LMAX": b'{"type":"trajectory","prompt":[0,2,1],"tokens":[1,0,1]}',
        "traj-prompt-beyond-LMAX": b'{"type":"trajectory","prompt":[0,2,1,1,0],"tokens":[1]}',
    }, first=good, expect=exp)
    accepted(d, good + b'{"type":"trajectory","prompt":[0,2,1],"tokens":[1]}\n', exp)
    save(d, exp)


if __name__ == "__main__":
    attn_to_ccmc()
    attn_sample()
    ccmc_estimate()
    traj_stats()
    extreme_all()
    ccmc_estimate_eval()
    text_dirs()
    eval_positions()
