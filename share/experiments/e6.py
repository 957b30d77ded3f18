"""E6 positional encoding: reduce the traj-stats summaries of the recency
sweep to winner-set sizes, collapse and mean curves per G.

The claim (ours): the mean window winner-set size is smaller at the
largest G than at G = 0.  The difference is judged by its 95% interval,
the jackknife over the model seeds (seed s has the same logits A at
every G: the difference is paired within a seed).  It read "by more than
2 standard errors" before the verdicts were tests: the same threshold,
0, with the uncertainty now in the interval."""

import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt



def hist_stats(h):
    """mean, variance and count of the sizes in a histogram (index = size)."""
    n = sum(h)
    m = sum(s * c for s, c in enumerate(h)) / n
    v = sum(c * (s - m) ** 2 for s, c in enumerate(h)) / max(1, n - 1)
    return m, v, n


def pooled(recs, key):
    """The winner-set size histograms of key in recs (maps size -> count),
    summed into a list indexed by size."""
    return [sum(x) for x in zip(*[[r["winner_set_size"][key].get(str(s), 0) for s in range(64)]
                                  for r in recs])]


def main():
    outdir, scale, files = expt.args()
    byG, seed_of = {}, {}
    for f in files:
        m = re.match(r"G([0-9.]+)_s(\d+)$", expt.stem(f))
        byG.setdefault(float(m.group(1)), []).append(expt.one(f, "traj-stats"))
        seed_of[id(byG[float(m.group(1))][-1])] = int(m.group(2))
    Gs = sorted(byG)
    summary = {"experiment": "E6", "scale": scale, "G": {}}
    win_rows, curve_rows = [], []
    for G in Gs:
        recs = byG[G]
        wm, wv, n = hist_stats(pooled(recs, "window"))
        gm, gv, _ = hist_stats(pooled(recs, "growth"))
        collapsed = sum(r["classes"]["collapsed"] for r in recs) / n
        times = [r["collapse_time"]["median"] for r in recs if r["collapse_time"]["median"] is not None]
        cell = {"trajectories": n, "window_winners_mean": wm, "window_winners_se": math.sqrt(wv / n),
                "growth_winners_mean": gm, "growth_winners_se": math.sqrt(gv / n),
                "collapsed": collapsed,
                "median_collapse_time_median_over_models": expt.median(times) if times else None}
        t = recs[0]["curve"]["t"]
        top1 = [sum(r["curve"]["top1"][k] * r["trajectories"] for r in recs) / n for k in range(len(t))]
        ent = [sum(r["curve"]["entropy"][k] * r["trajectories"] for r in recs) / n for k in range(len(t))]
        cell["final_top1"] = top1[-1]
        cell["final_entropy"] = ent[-1]
        summary["G"]["%g" % G] = cell
        win_rows.append((G, wm, math.sqrt(wv / n), gm, math.sqrt(gv / n), collapsed, top1[-1]))
        curve_rows += [(a, b, c) for a, b, c in zip(t, top1, ent)] + [None, None]
    expt.write_data(outdir, "winners.dat", win_rows,
                    "G window-mean se growth-mean se collapsed-share final-top1")
    expt.write_data(outdir, "curves.dat", curve_rows, "t mean-top1 mean-entropy; one index per G")
    T = recs[0]["curve"]["t"][-1]
    with open(os.path.join(outdir, "names.dat"), "w") as f:
        f.write(" ".join("%g" % G for G in Gs) + "\n")
        f.write("%d %d %d\n" % (T, n, len(recs)))

    # The model seeds are the independent units (seed s: the same logits A
    # at every G, so the difference is paired within a seed).
    def diff_of(units):
        m = lambda G: hist_stats(pooled([r for r in byG[G] if seed_of[id(r)] in units], "window"))[0]
        return m(Gs[0]) - m(Gs[-1])
    seeds = sorted(set(seed_of.values()))
    a, b = summary["G"]["%g" % Gs[0]], summary["G"]["%g" % Gs[-1]]
    diff, diff_ci = expt.jackknife(seeds, diff_of)
    summary.update({"difference": diff, "difference_interval": list(diff_ci)})
    word = expt.record_verdict(summary, [("difference", diff_ci, (0.0, expt.INF))])
    summary["verdict"] = expt.verdict_line(
        "E6", "positional encoding",
        "window winner set %.2f at G=%g vs %.2f at G=%g, difference %.2f %s (%d%%, jackknife over %d models); "
        "collapsed %.0f%% vs %.0f%%, final top-1 share %.2f vs %.2f"
        % (a["window_winners_mean"], Gs[0], b["window_winners_mean"], Gs[-1], diff,
           expt.show(diff_ci, "%.2f"), round(100 * expt.LEVEL), len(seeds),
           100 * a["collapsed"], 100 * b["collapsed"], a["final_top1"], b["final_top1"]),
        "(ours) recency makes window winner sets smaller: difference > 0", word)
    expt.write_summary(outdir, summary)


main()
