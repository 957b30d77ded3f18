"""E1 equivalence: reduce the sample shards of each model variant.

Three routes to the next-token distribution are compared on the same
prompts: attn-sample's forward pass ("attention"), attn-sample --via ccmc,
and the CCMC formula of attn-ccmc(7) evaluated here from the P and
posw that attn-to-ccmc printed.  The sampled tokens are then tested against
the formula's probabilities, per query row: the vector of observed minus
expected counts has covariance sum_s (diag(p_s) - p_s p_s^T), so its
quadratic form in the inverse covariance (one coordinate dropped: the
counts sum to n) is chi-square with rank degrees of freedom."""

import itertools
import os
from functools import reduce
from itertools import chain
from operator import add, mul, neg, sub
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt

TOL = 1e-12      # claim: the routes agree to rounding
ALPHA = 1e-3     # chi-square test level
SCATTER = 1500   # samples per variant drawn in the scatter plot


def formula(P, posw, prompt):
    """Pr(y = j | prompt) = w_j P_ij / sum_l w_l P_il, i the last token."""
    L = len(prompt)
    w = [0.0] * len(P)
    if posw:
        for k, x in zip(prompt, posw[L - 1]):
            w[k] += x
    else:
        for k in prompt:
            w[k] += 1.0
    wp = [a * b for a, b in zip(w, P[prompt[-1]])]
    z = sum(wp)
    return [x / z for x in wp]


class ChiSquare:
    """Observed counts per path and query row, and the expected counts and
    the covariance of observed minus expected, accumulated one prompt at a
    time.  The paths draw on the same prompts, so expected counts and
    covariance are the same for all of them and summed once.  The
    probabilities wait in a buffer per row, summed a column at a time
    (C loops, in the order of the prompts: the same sums as one prompt at
    a time)."""

    FLUSH = 4096

    def __init__(self, K, paths):
        self.K = K
        self.O = {path: {} for path in paths}
        self.E, self.V, self.buf = {}, {}, {}

    def add(self, i, ys, p):
        """Prompt with last token i and probabilities p, drawn y by path."""
        K = self.K
        if i not in self.E:
            for O in self.O.values():
                O[i] = [0] * K
            self.E[i] = [0.0] * K
            self.V[i] = [[0.0] * K for _ in range(K)]
            self.buf[i] = []
        for path, y in ys:
            self.O[path][i][y] += 1
        self.buf[i].append(p)
        if len(self.buf[i]) == self.FLUSH:
            self.flush(i)

    def flush(self, i):
        """E_j += p_j, V_jj += p_j - p_j^2, V_jl -= p_j p_l, prompt by
        prompt, for the buffered prompts of row i."""
        cols = list(zip(*self.buf[i]))
        self.buf[i] = []
        if not cols:
            return
        E, V = self.E[i], self.V[i]
        for j, cj in enumerate(cols):
            E[j] = reduce(add, cj, E[j])
            Vj = V[j]
            for l, cl in enumerate(cols):
                minus = map(neg, map(mul, cj, cl))
                terms = chain.from_iterable(zip(cj, minus)) if l == j else minus
                Vj[l] = reduce(add, terms, Vj[l])

    def result(self, path):
        """Path's statistic summed over rows, its degrees of freedom, and
        the per-cell (expected, observed, standardised) rows."""
        stat, dof, cells = 0.0, 0, []
        for i in self.buf:
            self.flush(i)
        for i in sorted(self.E):
            O, E, V = self.O[path][i], self.E[i], self.V[i]
            act = [j for j in range(self.K) if V[j][j] > 1e-9 * max(1.0, E[j])]
            for j in act:
                cells.append((E[j], O[j], (O[j] - E[j]) / V[j][j] ** 0.5))
            act = act[:-1]
            if not act:
                continue
            d = [O[j] - E[j] for j in act]
            x = expt.solve([[V[j][l] for l in act] for j in act], d)
            stat += sum(a * b for a, b in zip(d, x))
            dof += len(act)
        return stat, dof, cells


def samples(files, v, path):
    """The sample records of one variant and path, shards in order."""
    shards = sorted((f for f in files if os.path.dirname(f).endswith("/" + v)
                     and os.path.basename(f).startswith(path + "-")),
                    key=lambda f: int(f.rsplit("-", 1)[1].split(".")[0]))
    for f in shards:
        yield from expt.records(f, "sample")


def main():
    outdir, scale, files = expt.args()
    variants = []
    for f in files:
        v = os.path.basename(os.path.dirname(f))
        if v not in variants:
            variants.append(v)
    summary = {"experiment": "E1", "scale": scale, "variants": {}}
    scatter, freqs = [], []
    worst, stat_all, dof_all = 0.0, 0.0, 0
    for v in variants:
        c = expt.one(os.path.join(outdir, v, "ccmc.json"), "ccmc")
        P, posw, K = c["P"], c["posw"], c["K"]
        d_att = d_via = d_pair = 0.0
        chi = ChiSquare(K, ("attention", "ccmc"))
        count = 0
        for a, b in itertools.zip_longest(samples(files, v, "attention"), samples(files, v, "ccmc")):
            if a is None or b is None or a["prompt"] != b["prompt"]:
                sys.exit("e1: %s: the two paths saw different prompts" % v)
            p = formula(P, posw, a["prompt"])
            pa, pb = a["p"], b["p"]
            d_att = max(d_att, max(map(abs, map(sub, pa, p))))
            d_via = max(d_via, max(map(abs, map(sub, pb, p))))
            d_pair = max(d_pair, max(map(abs, map(sub, pa, pb))))
            chi.add(a["prompt"][-1], (("attention", a["y"]), ("ccmc", b["y"])), p)
            if count < SCATTER:
                scatter += [(v, y, x, abs(x - y)) for x, y in zip(a["p"], p)]
            count += 1
        worst = max(worst, d_att, d_via, d_pair)
        entry = {"samples": count, "K": K, "positions": posw is not None,
                 "max_abs_attention_vs_formula": d_att,
                 "max_abs_ccmc_vs_formula": d_via,
                 "max_abs_attention_vs_ccmc": d_pair}
        for path in ("attention", "ccmc"):
            stat, dof, cells = chi.result(path)
            entry["chi2_" + path] = {"stat": stat, "dof": dof,
                                     "pvalue": expt.chi2_pvalue(stat, dof)}
            stat_all += stat
            dof_all += dof
            freqs += [(v + "/" + path, e, o, z) for e, o, z in cells]
        summary["variants"][v] = entry

    # One gnuplot index per variant (and per variant and path).
    def blocks(rows):
        out, names = [], []
        for r in rows:
            if r[0] not in names:
                if names:
                    out += [None, None]
                names.append(r[0])
                out.append(("#", r[0]))
            out.append(r[1:])
        return out, names
    rows, names = blocks(scatter)
    expt.write_data(outdir, "probs.dat", rows, "p_ccmc p_attention |diff| by variant")
    rows, fnames = blocks(freqs)
    expt.write_data(outdir, "freqs.dat", rows, "expected observed z by variant and path")
    with open(os.path.join(outdir, "names.dat"), "w") as f:
        f.write(" ".join(names) + "\n")
        f.write(" ".join(fnames) + "\n")

    pval = expt.chi2_pvalue(stat_all, dof_all)
    summary.update({
        "max_abs_difference": worst, "tolerance": TOL,
        "chi2": stat_all, "chi2_dof": dof_all, "chi2_pvalue": pval, "alpha": ALPHA})
    # The differences are computed, not sampled: their interval has width
    # 0.  The sampling part is a significance test: its p-value is judged
    # as computed, at level ALPHA (it can refute the sampler, not prove it).
    word = expt.record_verdict(summary, [
        ("max_abs_difference", expt.exact(worst), (0.0, TOL)),
        ("chi2_pvalue", expt.exact(pval), (ALPHA, 1.0))])
    summary["verdict"] = expt.verdict_line(
        "E1", "equivalence",
        "max |p_attention - p_ccmc| %s over %d variants (exact); sampled vs p chi2 %.1f on %d dof, p-value %s"
        % (expt.g(worst), len(variants), stat_all, dof_all, expt.g(pval)),
        "max diff <= 1e-12, p-value >= 0.001", word)
    expt.write_summary(outdir, summary)


main()
