"""E3 coverage: count what the estimates identify, inside and across the
prompt blocks, and their errors.

Token j is in block j * B // K (K divisible by B: equal contiguous blocks,
as attn-sample's blocks:B makes them).  For each run: entries of P given a
number, entries of the within-component ratios ("conditional") given a
number, each split into within-block and cross-block entries; the squared
errors ccmc-estimate reports.  Unidentified entries have no error: what a
blind guess would risk there is shown by the truth's own cross-block mass
(sum of P_ij^2 over cross-block entries: the squared error of guessing 0).

The counts are judged exactly (an interval of width 0); the within-block
error slope by its 95% interval, the jackknife over the seeds."""

import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt

SLOPE, SLOPE_TOL = -1.0, 0.2


def main():
    outdir, scale, files = expt.args()
    B = int(os.environ["BLOCKS"])
    truth, runs = {}, {}
    for f in files:
        dist = os.path.basename(os.path.dirname(f))
        m = re.match(r"(?:n(\d+)_)?s(\d+)$", expt.stem(f))
        s = int(m.group(2))
        if dist == "truth":
            truth[s] = expt.one(f, "ccmc")
        else:
            runs.setdefault(dist, {}).setdefault(int(m.group(1)), {})[s] = expt.one(f, "ccmc")

    summary = {"experiment": "E3", "scale": scale, "blocks": B, "runs": {}}
    err_rows, id_rows = [], []
    for dist in ("uniform", "blocks"):
        for n in sorted(runs[dist]):
            counts = {"P_within": [], "P_across": [], "cond_within": [], "cond_across": [],
                      "P_sq": [], "cond_sq": [], "unseen_sq": []}
            for s, c in sorted(runs[dist][n].items()):
                K = c["K"]
                blk = [j * B // K for j in range(K)]
                cond = c["identifiability"]["conditional"]
                tally = dict.fromkeys(("P_within", "P_across", "cond_within", "cond_across"), 0)
                for i in range(K):
                    for j in range(K):
                        where = "within" if blk[i] == blk[j] else "across"
                        tally["P_" + where] += c["P"][i][j] is not None
                        tally["cond_" + where] += cond[i][j] is not None
                for k, v in tally.items():
                    counts[k].append(v)
                counts["P_sq"].append(c["error"]["P_sq"])
                counts["cond_sq"].append(c["error"]["conditional_sq"])
                T = truth[s]["P"]
                counts["unseen_sq"].append(sum(T[i][j] ** 2 for i in range(K) for j in range(K)
                                               if blk[i] != blk[j]))
            within = sum(1 for i in range(K) for j in range(K) if blk[i] == blk[j])
            # P_sq is null in a fit that determines no row of P
            entry = {k: None if None in v else expt.mean(v) for k, v in counts.items()}
            entry.update({"seeds": len(runs[dist][n]), "within_entries": within,
                          "across_entries": K * K - within,
                          "cond_sq_min": min(counts["cond_sq"]), "cond_sq_max": max(counts["cond_sq"]),
                          "min_cond_within": min(counts["cond_within"]),
                          "min_P_identified": min(a + b for a, b in zip(counts["P_within"], counts["P_across"])),
                          "max_across_given": max(a + b for a, b in zip(counts["P_across"], counts["cond_across"]))})
            summary["runs"].setdefault(dist, {})[str(n)] = entry
            err_rows.append((n, entry["cond_sq"], entry["cond_sq_min"], entry["cond_sq_max"],
                             entry["P_sq"] if entry["min_P_identified"] else -1, entry["unseen_sq"],
                             entry["P_within"] + entry["P_across"], entry["cond_within"],
                             entry["cond_across"]))
        err_rows += [None, None]

    # The identification map of the largest n, first seed: 2 = entry of P
    # identified, 1 = only its ratio within a component, 0 = nothing.
    for dist in ("uniform", "blocks"):
        n = max(runs[dist])
        s, c = min(runs[dist][n].items())
        K = c["K"]
        cond = c["identifiability"]["conditional"]
        for i in range(K):
            for j in range(K):
                id_rows.append((j, i, 2 if c["P"][i][j] is not None else
                                1 if cond[i][j] is not None else 0))
            id_rows.append(None)
        id_rows.append(None)
    expt.write_data(outdir, "error.dat", err_rows,
                    "n cond_sq min max P_sq(-1: none) unseen_sq P_given cond_within cond_across; uniform, then blocks")
    expt.write_data(outdir, "identified.dat", id_rows, "column row status; uniform, then blocks")
    with open(os.path.join(outdir, "names.dat"), "w") as f:
        f.write("%d %d %d\n" % (K, B, max(runs["blocks"])))

    blocks = summary["runs"]["blocks"]
    uni = summary["runs"]["uniform"]
    ns = sorted(runs["blocks"])
    pts = [(s, math.log(n), math.log(c["error"]["conditional_sq"]))
           for n in ns for s, c in runs["blocks"][n].items()]
    slope_of = lambda units: expt.fit_line([p[1] for p in pts if p[0] in units],
                                           [p[2] for p in pts if p[0] in units])[0]
    # the seeds (each a model and its samples) are the independent units
    slope, slope_ci = expt.jackknife(sorted({p[0] for p in pts}), slope_of)
    top = str(ns[-1])
    across_given = max(e["max_across_given"] for e in blocks.values())
    within_missing = blocks[top]["within_entries"] - blocks[top]["min_cond_within"]
    uniform_missing = K * K - uni[str(max(runs["uniform"]))]["min_P_identified"]
    summary.update({"within_block_slope": slope, "within_block_slope_interval": list(slope_ci),
                    "cross_block_entries_given_a_number": across_given,
                    "within_identified_at_largest_n": within_missing == 0,
                    "uniform_fully_identified_at_largest_n": uniform_missing == 0})
    # Counts of entries are exact (intervals of width 0); the slope is
    # estimated from the seeds.
    word = expt.record_verdict(summary, [
        ("cross_block_given", expt.exact(across_given), (0, 0)),
        ("within_block_missing", expt.exact(within_missing), (0, 0)),
        ("uniform_missing", expt.exact(uniform_missing), (0, 0)),
        ("within_block_slope", slope_ci, (SLOPE - SLOPE_TOL, SLOPE + SLOPE_TOL))])
    summary["verdict"] = expt.verdict_line(
        "E3", "coverage",
        "blocks:%d: %d of %d cross-block entries given a number, within-block ratios %s identified, "
        "their error slope %.2f %s (%d%%, jackknife over %d seeds); uniform: %s"
        % (B, across_given, blocks[top]["across_entries"], "all" if within_missing == 0 else "NOT all",
           slope, expt.show(slope_ci, "%.2f"), round(100 * expt.LEVEL), len(runs["blocks"][ns[-1]]),
           "all %d entries identified" % (K * K) if uniform_missing == 0 else "NOT all identified"),
        "cross-block none, within-block all, slope -1 +/- 0.2, uniform all", word)
    expt.write_summary(outdir, summary)


main()
