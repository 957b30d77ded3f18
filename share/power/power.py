#!/usr/bin/env python3
"""The power of traj-stats' classes: the share of trajectories decided
against their length T, on null families (ordinary Markov chains, which
must not be called collapsed more often than --alpha) and on CCMCs that
collapse (which should be decided collapsed), with the model in the stream
(its tests used) and without (model-free).  Writes DIR/power.dat (one line
per family, T and way), DIR/summary.json, and DIR/power.png with gnuplot
(share/plot/power.gp).

  python3 share/power/power.py [--bin DIR] [--out DIR] [--n N] [--quick]

Families (fixed before any outcome was seen):
  markov-k8     ordinary chain of attn-gen-model --vocab 8 --seed 1,
                uniform prompts of 8 tokens
  markov-k32x4  ordinary chain of --vocab 32 --scale 4 --seed 1, prompts 32
  markov-rare   K = 20, tokens 10..19 of stationary share about 1e-3 each,
                uniform prompts of 20 tokens (so a prompt over-represents
                them some fifty times)
  ccmc-forced   the CCMC where token 0 must win (every row of A favours it
                by 3, its own by 6), K = 5, prompts holding 0 and others
  ccmc-k8       the CCMC of the markov-k8 model (--diag 1)
  ccmc-k32x4    the CCMC of the markov-k32x4 model
Thresholds: a Markov family passes when its share called collapsed is at
most alpha + 2.33 sqrt(alpha (1 - alpha) / n) (a one-sided binomial margin
at 0.01), alpha = 0.01, traj-stats' default.
"""
import json, math, os, random, subprocess, sys

ALPHA = 0.01
TS = [100, 316, 1000, 3162, 10000, 31623, 100000]


def forced(K=5):
    A = [[0.0] * K for _ in range(K)]
    for i in range(K):
        A[i][0] = 3.0
    A[0][0] = 6.0
    return A


def rare(K=20, nrare=10, share=1e-3):
    # every row: each rare token with chance share, the rest spread evenly
    # over the common ones, so the stationary share of a rare token is share
    common = K - nrare
    P = [[share if j >= common else (1 - nrare * share) / common
          for j in range(K)] for _ in range(K)]
    return [[math.log(p) for p in row] for row in P]


def ccmc_record(A):
    P = [[math.exp(a - max(r)) / sum(math.exp(b - max(r)) for b in r) for a in r]
         for r in A]
    return json.dumps({"type": "ccmc", "K": len(A), "A": A, "P": P, "posw": None})


def prompts(K, L, n, seed, must=None):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        p = [rnd.randrange(K) for _ in range(L)]
        if must is not None:      # the winner and at least one other token
            p[rnd.randrange(L)] = must
            if all(x == must for x in p):
                p[0] = 1 + rnd.randrange(K - 1)
        out.append(json.dumps({"type": "prompt", "prompt": p}))
    return out


def run(cmd, data=None):
    r = subprocess.run(cmd, input=data, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("power.py: %s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


def families(bindir):
    gen = lambda *a: run([os.path.join(bindir, "attn-gen-model")] + list(a))
    k8 = gen("--vocab", "8", "--seed", "1", "--diag", "1").splitlines()[0]
    k32 = gen("--vocab", "32", "--scale", "4", "--seed", "1").splitlines()[0]
    f = ccmc_record(forced())
    r = ccmc_record(rare())
    return [  # name, model, K, prompt length, markov, must
        ("markov-k8", k8, 8, 8, True, None),
        ("markov-k32x4", k32, 32, 32, True, None),
        ("markov-rare", r, 20, 20, True, None),
        ("ccmc-forced", f, 5, 8, False, 0),
        ("ccmc-k8", k8, 8, 8, False, None),
        ("ccmc-k32x4", k32, 32, 32, False, None),
    ]


def main():
    args = sys.argv[1:]
    opt = lambda k, d: args[args.index(k) + 1] if k in args else d
    bindir = opt("--bin", "bin")
    out = opt("--out", "results/power")
    quick = "--quick" in args
    n = int(opt("--n", "40" if quick else "200"))
    ts = [100, 1000, 10000] if quick else TS
    os.makedirs(out, exist_ok=True)
    rows, summary = [], {"alpha": ALPHA, "n": n, "families": {}}
    for name, model, K, L, markov, must in families(bindir):
        for T in ts:
            m = n if T <= 10000 else max(20, n // 5)
            stream = "\n".join([model] + prompts(K, L, m, T, must)) + "\n"
            traj = run([os.path.join(bindir, "attn-sample"), "--trajectory",
                        "--steps", str(T), "--seed", str(T)] +
                       (["--markov"] if markov else []), stream)
            for way, extra in (("model", []), ("model-free", ["--model-free"])):
                s = json.loads(run([os.path.join(bindir, "traj-stats"),
                                    "--summary"] + extra, traj))
                c = s["classes"]
                tot = s["trajectories"]
                rec = {"T": T, "n": tot, "collapsed": c["collapsed"] / tot,
                       "not_collapsed": c["not_collapsed"] / tot,
                       "undecided": c["undecided"] / tot}
                if markov:
                    rec["bound"] = ALPHA + 2.33 * math.sqrt(ALPHA * (1 - ALPHA) / tot)
                    rec["passes"] = rec["collapsed"] <= rec["bound"]
                summary["families"].setdefault(name, {}).setdefault(way, []).append(rec)
                rows.append("%s %s %d %d %.6f %.6f %.6f" % (
                    name, way, T, tot, rec["collapsed"], rec["not_collapsed"],
                    rec["undecided"]))
                print("%-13s %-10s T %-6d n %-3d collapsed %.3f not %.3f undecided %.3f%s" % (
                    name, way, T, tot, rec["collapsed"], rec["not_collapsed"],
                    rec["undecided"], "" if not markov else
                    "  (bound %.3f: %s)" % (rec["bound"], "ok" if rec["passes"] else "EXCEEDED")),
                    file=sys.stderr)
    with open(os.path.join(out, "power.dat"), "w") as f:
        f.write("# family way T n collapsed not_collapsed undecided\n")
        for name in summary["families"]:
            for way in ("model", "model-free"):
                for r in rows:
                    if r.startswith(name + " " + way + " "):
                        f.write(r + "\n")
                f.write("\n\n")
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    plot = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plot", "power.gp")
    subprocess.run(["gnuplot", "-e", "dir='%s/'; out='%s/power.png'" % (out, out), plot],
                   check=True)
    bad = [k for k, v in summary["families"].items() for w in v.values()
           for r in w if r.get("passes") is False]
    print("power: figure %s/power.png; Markov families within the bound: %s" %
          (out, "all" if not bad else "NOT " + ",".join(sorted(set(bad)))))


if __name__ == "__main__":
    main()
