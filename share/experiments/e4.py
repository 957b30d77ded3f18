"""E4 winner-takes-all: reduce the traj-stats records.

curves/WAY.ndjson hold one traj-stats record per trajectory (the share of
the top token and the entropy of the context at log-spaced steps);
grid/WAY/xX_dD_sS.json one traj-stats --summary record per model.  Over the
grid, from the classes of traj-stats (winner / loser / undecided, by a test
at family-wise level alpha = 0.01): the shares of trajectories decided
collapsed, decided not collapsed and undecided, the winner-set sizes of
the decided ones, and the mean field's agreement with the decided CCMC
trajectories ("consistent": a predicted attractor holds every decided
winner and no decided loser; "exact": moreover it is exactly the winners
and every other token a decided loser).

The thresholds were fixed before the classes were run on any CCMC
trajectory: ALPHA is traj-stats' default level; COLLAPSE_GAP and PREDICTED
are the values this experiment had before the classes existed.  Each is
judged by expt.verdict against the 95% interval of its share: the
jackknife over the models (each cell's --scale and --diag with a seed),
widened to Wilson's binomial interval where that is wider (the Markov
share, at or near 0, has no spread to jackknife)."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt

ALPHA = 0.01          # traj-stats --alpha: Markov called collapsed at most this
COLLAPSE_GAP = 0.5    # CCMC collapsed share - Markov collapsed share
PREDICTED = 0.9       # (ours) consistent agreement among decided CCMC trajectories


def main():
    outdir, scale, files = expt.args()
    curves, grid = {}, {}
    for f in files:
        way = expt.stem(f) if "/curves/" in f else os.path.basename(os.path.dirname(f))
        if "/curves/" in f:
            curves[way] = list(expt.records(f, "traj-stats"))
            continue
        m = re.match(r"x([0-9.]+)_d([0-9.-]+)_s(\d+)$", expt.stem(f))
        key = (float(m.group(1)), float(m.group(2)))
        grid.setdefault(way, {}).setdefault(key, []).append((int(m.group(3)), expt.one(f, "traj-stats")))

    rows, names = [], []
    for way in ("ccmc", "markov"):
        for r in curves[way]:
            c = r["curve"]
            rows += [(t, a, e) for t, a, e in zip(c["t"], c["top1"], c["entropy"])]
            rows += [None, None]
            names.append(way)
    expt.write_data(outdir, "shares.dat", rows, "t top1-share entropy; one index per trajectory")

    summary = {"experiment": "E4", "scale": scale, "alpha": ALPHA, "grid": {}}
    keys = ("collapsed", "not_collapsed", "undecided")
    tot = {w: {"n": 0, "size_sum": 0, "sized": 0, "decided_pred": 0, "consistent": 0,
               "exact": 0, "consistent_prompt": 0, "exact_prompt": 0, **{k: 0 for k in keys}}
           for w in ("ccmc", "markov")}
    win_rows, pred_rows = [], []
    diags = sorted({d for (x, d) in grid["ccmc"]})
    scales = sorted({x for (x, d) in grid["ccmc"]})
    share = lambda a, b: a / b if b else None
    for way in ("ccmc", "markov"):
        t = tot[way]
        for d in diags:
            for x in scales:
                recs = [r for _, r in grid[way][(x, d)]]
                n = sum(r["trajectories"] for r in recs)
                counts = {k: sum(r["classes"][k] for r in recs) for k in keys}
                hist = {}
                for r in recs:
                    for size, cnt in r["classes"]["winner_set_size"].items():
                        hist[int(size)] = hist.get(int(size), 0) + cnt
                sized = sum(hist.values())
                preds = [r["prediction"] for r in recs if r.get("prediction")]
                dec = sum(p["decided"] for p in preds)
                agree = {(w, k): sum(p[w][k] for p in preds)
                         for w in ("attractors", "from_prompt") for k in ("consistent", "exact")}
                cell = {"trajectories": n,
                        **{k: counts[k] / n for k in keys},
                        "decided_winner_set_sizes": [hist.get(s, 0) for s in range(max(hist, default=0) + 1)],
                        "mean_decided_winner_set_size": share(sum(s * c for s, c in hist.items()), sized),
                        "predicted_decided": dec,
                        "consistent": share(agree["attractors", "consistent"], dec),
                        "exact": share(agree["attractors", "exact"], dec),
                        "consistent_from_prompt": share(agree["from_prompt", "consistent"], dec),
                        "exact_from_prompt": share(agree["from_prompt", "exact"], dec)}
                summary["grid"].setdefault(way, {})["scale=%g diag=%g" % (x, d)] = cell
                t["n"] += n
                for k in keys:
                    t[k] += counts[k]
                t["size_sum"] += sum(s * c for s, c in hist.items())
                t["sized"] += sized
                t["decided_pred"] += dec
                t["consistent"] += agree["attractors", "consistent"]
                t["exact"] += agree["attractors", "exact"]
                t["consistent_prompt"] += agree["from_prompt", "consistent"]
                t["exact_prompt"] += agree["from_prompt", "exact"]
                if way == "ccmc":
                    sh = lambda lo, hi: sum(c for s, c in hist.items() if lo <= s <= hi) / n
                    win_rows.append(("%g" % x, sh(1, 1), sh(2, 2), sh(3, 3), sh(4, 10 ** 6),
                                     counts["undecided"] / n))
                    nan = lambda v: "NaN" if v is None else v
                    pred_rows.append((x, nan(cell["consistent"]), nan(cell["exact"]),
                                      nan(cell["consistent_from_prompt"]), nan(cell["exact_from_prompt"]),
                                      cell["undecided"]))
            if way == "ccmc":
                win_rows += [None, None]
                pred_rows += [None, None]
    expt.write_data(outdir, "winners.dat", win_rows,
                    "scale decided-with-1-winner 2 3 4+ undecided (shares of all); one index per diag")
    expt.write_data(outdir, "prediction.dat", pred_rows,
                    "scale consistent exact consistent-from-prompt exact-from-prompt undecided-share")
    coll = {w: tot[w]["collapsed"] / tot[w]["n"] for w in tot}
    undec = {w: tot[w]["undecided"] / tot[w]["n"] for w in tot}
    held = {w: tot[w]["not_collapsed"] / tot[w]["n"] for w in tot}
    size = {w: share(tot[w]["size_sum"], tot[w]["sized"]) for w in tot}
    c = tot["ccmc"]
    cons, exact = share(c["consistent"], c["decided_pred"]), share(c["exact"], c["decided_pred"])
    cons_p, exact_p = share(c["consistent_prompt"], c["decided_pred"]), share(c["exact_prompt"], c["decided_pred"])
    with open(os.path.join(outdir, "names.dat"), "w") as f:
        f.write("%d %d\n" % (names.count("ccmc"), names.count("markov")))
        f.write(" ".join("%g" % d for d in diags) + "\n")
        f.write("%.3f %.3f %.3f %.3f %.3f %d\n" % (coll["ccmc"], coll["markov"], undec["ccmc"],
                                                   undec["markov"], held["markov"], tot["ccmc"]["n"]))
    # Per model (a cell's --scale and --diag, a seed; both ways: the
    # independent units the jackknife leaves out), the counts the shares
    # are of.
    per_seed = {}
    for way in ("ccmc", "markov"):
        for key, cell in grid[way].items():
            for seed, r in cell:
                t = per_seed.setdefault(key + (seed,), {"ccmc": [0, 0], "markov": [0, 0], "pred": [0, 0]})
                t[way][0] += r["classes"]["collapsed"]
                t[way][1] += r["trajectories"]
                if way == "ccmc" and r.get("prediction"):
                    t["pred"][0] += r["prediction"]["attractors"]["consistent"]
                    t["pred"][1] += r["prediction"]["decided"]
    seeds = sorted(per_seed)
    total = lambda units, key, k: sum(per_seed[u][key][k] for u in units)
    rate = lambda units, key: total(units, key, 0) / max(1, total(units, key, 1))
    # A share's interval: the wider of the jackknife over models (their
    # spread) and Wilson's binomial interval (all the jackknife has when
    # nothing, or everything, is observed), within [0, 1].
    wilson = lambda key: expt.wilson(total(seeds, key, 0), total(seeds, key, 1))

    def share(key):
        est, jk = expt.jackknife(seeds, lambda u: rate(u, key))
        lo, hi = expt.hull(jk, wilson(key))
        return est, (max(0.0, lo), min(1.0, hi))
    _, markov_ci = share("markov")
    # the gap's binomial interval: the ends of the two shares' intervals
    gap, gap_ci = expt.jackknife(seeds, lambda u: rate(u, "ccmc") - rate(u, "markov"))
    (c_lo, c_hi), (m_lo, m_hi) = wilson("ccmc"), wilson("markov")
    gap_ci = expt.hull(gap_ci, (c_lo - m_hi, c_hi - m_lo))
    gap_ci = (max(-1.0, gap_ci[0]), min(1.0, gap_ci[1]))
    _, pred_ci = share("pred") if c["decided_pred"] else (None, (float("nan"), float("nan")))
    summary.update({"collapsed": coll, "not_collapsed": held, "undecided": undec,
                    "mean_decided_winner_set_size": size,
                    "prediction_consistent": cons, "prediction_exact": exact,
                    "prediction_consistent_from_prompt": cons_p, "prediction_exact_from_prompt": exact_p,
                    "prediction_decided": c["decided_pred"],
                    "trajectories": {w: tot[w]["n"] for w in tot},
                    "markov_collapsed_interval": list(markov_ci),
                    "collapse_gap": gap, "collapse_gap_interval": list(gap_ci),
                    "prediction_consistent_interval": list(pred_ci)})
    word = expt.record_verdict(summary, [
        ("markov_collapsed", markov_ci, (0.0, ALPHA)),
        ("collapse_gap", gap_ci, (COLLAPSE_GAP, 1.0)),
        ("prediction_consistent", pred_ci, (PREDICTED, 1.0))])
    each = {k: v["verdict"] for k, v in summary["claims"].items()}
    collapse_word = expt.combine([each["markov_collapsed"], each["collapse_gap"]])
    summary["agrees_collapse"] = collapse_word == "AGREES"
    summary["agrees_prediction"] = each["prediction_consistent"] == "AGREES"
    pct = lambda v: "n/a" if v is None else "%.1f%%" % (100 * v)
    pci = lambda i: expt.show(tuple(100 * x for x in i), "%.1f")
    summary["verdict"] = expt.verdict_line(
        "E4", "winner-takes-all",
        "decided collapsed %.0f%% of CCMC vs %.1f%% %s of Markov trajectories, gap %.0f%% %s, undecided %.0f%% vs %.0f%%, "
        "Markov decided not collapsed %.0f%%; mean decided winner set %s tokens; "
        "(ours) mean field consistent with %s %s of %d decided CCMC trajectories, exact %s (from the prompt's own start %s, %s) "
        "(%d%% intervals, jackknife over %d models)"
        % (100 * coll["ccmc"], 100 * coll["markov"], pci(markov_ci), 100 * gap, pci(gap_ci),
           100 * undec["ccmc"], 100 * undec["markov"],
           100 * held["markov"], "n/a" if size["ccmc"] is None else "%.2f" % size["ccmc"],
           pct(cons), pci(pred_ci), c["decided_pred"], pct(exact), pct(cons_p), pct(exact_p),
           round(100 * expt.LEVEL), len(seeds)),
        "Markov called collapsed at most at alpha = 0.01, CCMC collapsed share >= 0.5 above it; "
        "(ours) mean field consistent with >= 90% of decided CCMC trajectories", word)
    if collapse_word != each["prediction_consistent"]:
        summary["verdict"] += " [collapse vs mixing: %s; (ours) mean-field prediction: %s]" % (
            collapse_word, each["prediction_consistent"])
    expt.write_summary(outdir, summary)


main()
