"""E4 winner-takes-all: reduce the traj-stats records.

curves/WAY.ndjson hold one traj-stats record per trajectory (the share of
the top token and the entropy of the context at log-spaced steps);
grid/WAY/xX_dD_sS.json one traj-stats --summary record per model.  Over the
grid: the distribution of winner-set sizes (growth rule), the share of
trajectories that collapsed, and the agreement of the mean-field
prediction with the observed winners, for the CCMC and the Markov chain."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt

COLLAPSE_GAP = 0.5    # CCMC collapsed share - Markov collapsed share
PREDICTED = 0.9       # (ours) observed winners among the attractors


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
        grid.setdefault(way, {}).setdefault(key, []).append(expt.one(f, "traj-stats"))

    rows, names = [], []
    for way in ("ccmc", "markov"):
        for r in curves[way]:
            c = r["curve"]
            rows += [(t, a, e) for t, a, e in zip(c["t"], c["top1"], c["entropy"])]
            rows += [None, None]
            names.append(way)
    expt.write_data(outdir, "shares.dat", rows, "t top1-share entropy; one index per trajectory")

    summary = {"experiment": "E4", "scale": scale, "grid": {}}
    tot = {}
    win_rows, pred_rows = [], []
    diags = sorted({d for (x, d) in grid["ccmc"]})
    scales = sorted({x for (x, d) in grid["ccmc"]})
    for way in ("ccmc", "markov"):
        t = tot.setdefault(way, {"n": 0, "collapsed": 0, "size_sum": 0, "sized": 0,
                                 "judged": 0, "hit": 0.0, "from_prompt": 0.0})
        for d in diags:
            for x in scales:
                recs = grid[way][(x, d)]
                n = sum(r["trajectories"] for r in recs)
                hist = {}
                for r in recs:
                    for size, cnt in enumerate(r["winner_set_size"]["growth"]):
                        hist[size] = hist.get(size, 0) + cnt
                undefined = sum(r["winner_set_size"]["growth_undefined"] for r in recs)
                collapsed = sum(r["collapsed"] for r in recs)
                judged = sum(r["prediction"]["growth"]["judged"] for r in recs if r.get("prediction"))
                rate = lambda rule, k: (sum(r["prediction"][rule][k] * r["prediction"][rule]["judged"]
                                            for r in recs if r.get("prediction") and r["prediction"][rule]["judged"])
                                        / max(1, sum(r["prediction"][rule]["judged"] for r in recs
                                                     if r.get("prediction"))))
                sized = sum(hist.values())
                mean_size = sum(s * c for s, c in hist.items()) / sized if sized else None
                cell = {"trajectories": n, "growth_sizes": [hist.get(s, 0) for s in range(max(hist) + 1)],
                        "growth_undefined": undefined, "mean_growth_size": mean_size,
                        "collapsed": collapsed / n,
                        "prediction_growth_in_attractors": rate("growth", "in_attractors"),
                        "prediction_growth_from_prompt": rate("growth", "from_prompt"),
                        "prediction_window_in_attractors": rate("window", "in_attractors"),
                        "prediction_window_from_prompt": rate("window", "from_prompt")}
                summary["grid"].setdefault(way, {})["scale=%g diag=%g" % (x, d)] = cell
                t["n"] += n
                t["collapsed"] += collapsed
                t["size_sum"] += sum(s * c for s, c in hist.items())
                t["sized"] += sized
                t["judged"] += judged
                t["hit"] += cell["prediction_growth_in_attractors"] * judged
                t["from_prompt"] += cell["prediction_growth_from_prompt"] * judged
                if way == "ccmc":
                    share = lambda lo, hi: sum(c for s, c in hist.items() if lo <= s <= hi) / n
                    win_rows.append(("%g" % x, share(1, 1), share(2, 2), share(3, 3),
                                     share(4, 10 ** 6), (hist.get(0, 0) + undefined) / n))
                    pred_rows.append((x, cell["prediction_growth_in_attractors"],
                                      cell["prediction_growth_from_prompt"],
                                      cell["prediction_window_in_attractors"],
                                      cell["prediction_window_from_prompt"]))
            if way == "ccmc":
                win_rows += [None, None]
                pred_rows += [None, None]
    expt.write_data(outdir, "winners.dat", win_rows,
                    "scale share-size1 size2 size3 size4+ none/undefined; one index per diag")
    expt.write_data(outdir, "prediction.dat", pred_rows,
                    "scale growth-in-attractors growth-from-prompt window-in-attractors window-from-prompt")
    mk = {w: tot[w]["size_sum"] / tot[w]["sized"] for w in tot}
    coll = {w: tot[w]["collapsed"] / tot[w]["n"] for w in tot}
    hit = tot["ccmc"]["hit"] / tot["ccmc"]["judged"]
    fromp = tot["ccmc"]["from_prompt"] / tot["ccmc"]["judged"]
    with open(os.path.join(outdir, "names.dat"), "w") as f:
        f.write("%d %d\n" % (names.count("ccmc"), names.count("markov")))
        f.write(" ".join("%g" % d for d in diags) + "\n")
        f.write("%.2f %.2f %.3f %.3f %d\n" % (mk["ccmc"], mk["markov"], coll["ccmc"],
                                             coll["markov"], tot["ccmc"]["n"]))
    ok_collapse = coll["ccmc"] - coll["markov"] >= COLLAPSE_GAP and mk["ccmc"] < mk["markov"]
    ok_pred = hit >= PREDICTED
    summary.update({"collapsed": coll, "mean_growth_winner_size": mk,
                    "prediction_in_attractors": hit, "prediction_from_prompt": fromp,
                    "trajectories": {w: tot[w]["n"] for w in tot},
                    "agrees_collapse": ok_collapse, "agrees_prediction": ok_pred,
                    "agrees": ok_collapse and ok_pred})
    summary["verdict"] = expt.verdict(
        "E4", "winner-takes-all",
        "collapsed %.0f%% of CCMC vs %.0f%% of Markov trajectories, mean winner set %.2f vs %.2f tokens; "
        "observed winners among predicted attractors %.1f%% (from the prompt's own start %.1f%%)"
        % (100 * coll["ccmc"], 100 * coll["markov"], mk["ccmc"], mk["markov"], 100 * hit, 100 * fromp),
        "CCMC collapses, Markov mixes; (ours) prediction >= 90%", ok_collapse and ok_pred)
    if ok_collapse != ok_pred:
        summary["verdict"] += (" [collapse vs mixing: %s; mean-field prediction: %s]"
                               % ("agrees" if ok_collapse else "DISAGREES",
                                  "agrees" if ok_pred else "DISAGREES"))
    expt.write_summary(outdir, summary)


main()
