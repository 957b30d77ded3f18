#!/usr/bin/env python3
"""Writes the bad-input corpus: tests/bad/PROG/NAME files and, per program,
tests/bad/PROG/EXPECT with one line "NAME STATUS LINE" (the exit status and
the input line the one error message must name).  tests/bad/ARGS holds the
arguments each program runs with.  Run from the top of the tree after
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


def attn_to_ccmc():
    model = first_record(gen("--vocab", "3", "--seed", "4"))
    posm = first_record(gen("--vocab", "3", "--pos", "4", "--seed", "4"))
    good = dumps(model) + b"\n"
    exp = []
    write("attn-to-ccmc", stream_cases(model), first=good, expect=exp)

    def mut(base, f):
        r = json.loads(json.dumps(base))
        f(r)
        return dumps(r)

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
    }
    write("attn-to-ccmc", sem, first=good, expect=exp)
    write("attn-to-ccmc", {"empty-stream": (b"", 0, 65)}, expect=exp)
    with open(os.path.join(OUT, "attn-to-ccmc", "EXPECT"), "w") as f:
        f.write("\n".join(exp) + "\n")


if __name__ == "__main__":
    attn_to_ccmc()
