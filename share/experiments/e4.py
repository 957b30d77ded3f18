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
trajectory: ALPHA is traj-stats' default level, the margin the binomial
one of the error-control test; COLLAPSE_GAP and PREDICTED are the values
this experiment had before the classes existed."""

import math
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
        grid.setdefault(way, {}).setdefault(key, []).append(expt.one(f, "traj-stats"))

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
                recs = grid[way][(x, d)]
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
    nm = tot["markov"]["n"]
    bound = ALPHA + 3.09 * math.sqrt(ALPHA * (1 - ALPHA) / nm)
    with open(os.path.join(outdir, "names.dat"), "w") as f:
        f.write("%d %d\n" % (names.count("ccmc"), names.count("markov")))
        f.write(" ".join("%g" % d for d in diags) + "\n")
        f.write("%.3f %.3f %.3f %.3f %.3f %d\n" % (coll["ccmc"], coll["markov"], undec["ccmc"],
                                                   undec["markov"], held["markov"], tot["ccmc"]["n"]))
    ok_collapse = coll["markov"] <= bound and coll["ccmc"] - coll["markov"] >= COLLAPSE_GAP
    ok_pred = cons is not None and cons >= PREDICTED
    summary.update({"collapsed": coll, "not_collapsed": held, "undecided": undec,
                    "markov_bound": bound, "mean_decided_winner_set_size": size,
                    "prediction_consistent": cons, "prediction_exact": exact,
                    "prediction_consistent_from_prompt": cons_p, "prediction_exact_from_prompt": exact_p,
                    "prediction_decided": c["decided_pred"],
                    "trajectories": {w: tot[w]["n"] for w in tot},
                    "agrees_collapse": ok_collapse, "agrees_prediction": ok_pred,
                    "agrees": ok_collapse and ok_pred})
    pct = lambda v: "n/a" if v is None else "%.1f%%" % (100 * v)
    summary["verdict"] = expt.verdict(
        "E4", "winner-takes-all",
        "decided collapsed %.0f%% of CCMC vs %.1f%% of Markov trajectories (bound %.1f%%), undecided %.0f%% vs %.0f%%, "
        "Markov decided not collapsed %.0f%%; mean decided winner set %s tokens; "
        "mean field consistent with %s of %d decided CCMC trajectories, exact %s (from the prompt's own start %s, %s)"
        % (100 * coll["ccmc"], 100 * coll["markov"], 100 * bound, 100 * undec["ccmc"], 100 * undec["markov"],
           100 * held["markov"], "n/a" if size["ccmc"] is None else "%.2f" % size["ccmc"],
           pct(cons), c["decided_pred"], pct(exact), pct(cons_p), pct(exact_p)),
        "Markov called collapsed at most at alpha, CCMC collapsed share >= 0.5 above it; "
        "(ours) mean field consistent with >= 90% of decided CCMC trajectories", ok_collapse and ok_pred)
    if ok_collapse != ok_pred:
        summary["verdict"] += (" [collapse vs mixing: %s; mean-field prediction: %s]"
                               % ("agrees" if ok_collapse else "DISAGREES",
                                  "agrees" if ok_pred else "DISAGREES"))
    expt.write_summary(outdir, summary)


main()
