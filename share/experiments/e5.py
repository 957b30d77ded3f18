"""E5 learning from one trajectory: reduce the estimates made from the first
T steps of each seed's trajectory.

What one trajectory can teach about row i is the ratios P_ij / P_il among
the tokens of its context: ccmc-estimate's "conditional" (P itself is not
determined, since the tokens outside the prompt never appear).  The error
of row i is the squared distance of its estimated ratios from the true
ones, P_ij / sum_{l in its component} P_il.  Rows are classed per
trajectory by the growth exponent of their sample counts over the last
decade of T: winners (>= 0.9, the growth rule of traj-stats), fading
(below), absent (not in the prompt).  Transitions among tokens that keep
appearing are measured by the ratios P_ij / sum_{l in W} P_il of a winner
row i over the trajectory's winner set W (when |W| >= 2): their samples
grow like T, so their error should fall like 1/T, as in E2.  The whole
winner row also holds its ratios to fading tokens, learned only as fast as
those tokens come back; its slope is reported beside.  The among-winners
slope and the winner-minus-fading error at the largest T are judged by
their 95% intervals, the jackknife over the seeds (one trajectory each)."""

import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt

GROWTH = 0.9          # winners' sample counts grow like T^0.9 or faster
SLOPE, SLOPE_TOL = -1.0, 0.2   # ratios among winners, as in E2


def main():
    outdir, scale, files = expt.args()
    prompt = set(json.loads(os.environ["PROMPT"]))
    truth = None
    est = {}
    for f in files:
        if expt.stem(f) == "truth":
            truth = expt.one(f, "ccmc")["P"]
            continue
        m = re.match(r"T(\d+)_s(\d+)$", expt.stem(f))
        est.setdefault(int(m.group(2)), {})[int(m.group(1))] = expt.one(f, "ccmc")
    K = len(truth)
    Ts = sorted(next(iter(est.values())))
    T2 = Ts[-1]
    T1 = max([T for T in Ts if T <= T2 / 10] or [Ts[0]])

    def row_error(c, i):
        cond = c["identifiability"]["conditional"][i]
        comp = [j for j in range(K) if cond[j] is not None]
        if not comp:
            return None
        z = sum(truth[i][j] for j in comp)
        return sum((cond[j] - truth[i][j] / z) ** 2 for j in comp)

    classes, lines, absent_given = {}, [], 0
    for s in sorted(est):
        n1 = est[s][T1]["fit"]["samples_per_row"]
        n2 = est[s][T2]["fit"]["samples_per_row"]
        for i in range(K):
            if i not in prompt:
                cls = "absent"
            else:
                gamma = math.log((n2[i] + 1) / (n1[i] + 1)) / math.log(T2 / T1)
                cls = "winner" if gamma >= GROWTH else "fading"
            classes[(s, i)] = cls
            pts = []
            for T in Ts:
                c = est[s][T]
                cond = c["identifiability"]["conditional"]
                if cls == "absent":
                    absent_given += sum(x is not None for x in cond[i])
                    absent_given += sum(cond[r][i] is not None for r in range(K))
                    continue
                pts.append((T, c["fit"]["samples_per_row"][i], row_error(c, i)))
            if pts:
                lines.append((s, i, cls, pts))

    among, among_pts = {}, []
    for s in sorted(est):
        W = [i for i in range(K) if classes[(s, i)] == "winner"]
        if len(W) < 2:
            continue
        for T in Ts:
            cond = est[s][T]["identifiability"]["conditional"]
            for i in W:
                if any(cond[i][j] is None for j in W) or sum(cond[i][j] for j in W) == 0:
                    continue
                z = sum(cond[i][j] for j in W)
                zt = sum(truth[i][j] for j in W)
                among.setdefault(T, []).append(
                    sum((cond[i][j] / z - truth[i][j] / zt) ** 2 for j in W))
                among_pts.append((s, math.log(T), among[T][-1]))

    rows, names = [], []
    per_class = {}
    for s, i, cls, pts in lines:
        for T, n, e in pts:
            rows.append((T, n, e if e is not None else "NaN"))
            if e is not None:
                per_class.setdefault(cls, {}).setdefault(T, []).append(e)
        rows += [None, None]
        names.append(cls)
    expt.write_data(outdir, "rows.dat", rows, "T samples row-error; one index per (seed, row)")
    mean_rows = []
    for cls in ("winner", "fading"):
        for T in Ts:
            es = per_class.get(cls, {}).get(T)
            if es:
                mean_rows.append((T, expt.mean(es)))
        mean_rows += [None, None]
    for T in Ts:
        if among.get(T):
            mean_rows.append((T, expt.mean(among[T])))
    expt.write_data(outdir, "means.dat", mean_rows,
                    "T mean row error; winners, fading, ratios among winners")

    # Per-entry errors of the first seed at four T: heat maps.
    s0 = min(est)
    pick = sorted({Ts[round(k * (len(Ts) - 1) / 3)] for k in range(4)})
    ent = []
    for T in pick:
        c = est[s0][T]
        cond = c["identifiability"]["conditional"]
        for i in range(K):
            comp = [j for j in range(K) if cond[i][j] is not None]
            z = sum(truth[i][j] for j in comp)
            for j in range(K):
                ent.append((j, i, abs(cond[i][j] - truth[i][j] / z) if cond[i][j] is not None else "NaN"))
            ent.append(None)
        ent.append(None)
    expt.write_data(outdir, "entries.dat", ent, "column row |error|; one index per T")
    with open(os.path.join(outdir, "names.dat"), "w") as f:
        f.write(" ".join(names) + "\n")
        f.write(" ".join(str(T) for T in pick) + "\n")
        f.write("(" + ", ".join('"%d %s" %d' % (i, classes[(s0, i)], i) for i in range(K)) + ")\n")
        f.write("%d %d %s\n" % (s0, len(est), ",".join(str(t) for t in sorted(prompt))))

    def slope_of(by_T):
        xs, ys = [], []
        for T, es in by_T.items():
            for e in es:
                if e > 0:
                    xs.append(math.log(T))
                    ys.append(math.log(e))
        return expt.fit_line(xs, ys)[::2] if len(set(xs)) >= 2 else (None, None)
    slope, se = slope_of(per_class.get("winner", {}))

    # The seeds (each its own trajectory) are the independent units.
    def among_slope_of(units):
        xy = [(x, math.log(e)) for s, x, e in among_pts if s in units and e > 0]
        if len({x for x, _ in xy}) < 2:
            return float("nan")
        return expt.fit_line([x for x, _ in xy], [y for _, y in xy])[0]

    def top_gap(units):
        """Mean winner row error minus mean fading row error at T2."""
        err = lambda cls: [e for (s, i, c, pts) in lines if s in units and c == cls
                           for T, _, e in pts if T == T2 and e is not None]
        w, f = err("winner"), err("fading")
        return expt.mean(w) - expt.mean(f) if w and f else float("nan")
    seeds = sorted(est)
    among_slope, among_ci = expt.jackknife(seeds, among_slope_of)
    win_top = expt.mean(per_class["winner"][T2]) if per_class.get("winner", {}).get(T2) else None
    fad_top = expt.mean(per_class["fading"][T2]) if per_class.get("fading", {}).get(T2) else None
    gap, gap_ci = expt.jackknife(seeds, top_gap)
    counts = {c: sum(1 for v in classes.values() if v == c) for c in ("winner", "fading", "absent")}
    summary = {"experiment": "E5", "scale": scale, "T": Ts, "seeds": len(est),
               "rows_by_class": counts, "absent_entries_given_a_number": absent_given,
               "winner_row_error_slope": slope, "winner_row_error_slope_se": se,
               "among_winners_error_slope": among_slope,
               "among_winners_error_slope_interval": list(among_ci),
               "among_winners_mean_error": {str(T): expt.mean(v) for T, v in among.items()},
               "winner_row_error_at_largest_T": win_top, "fading_row_error_at_largest_T": fad_top,
               "winner_minus_fading_error_at_largest_T": gap,
               "winner_minus_fading_interval": list(gap_ci),
               "mean_row_error": {c: {str(T): expt.mean(v) for T, v in d.items()}
                                  for c, d in per_class.items()}}
    parts = [("absent_given", expt.exact(absent_given), (0, 0)),
             ("among_winners_slope", among_ci, (SLOPE - SLOPE_TOL, SLOPE + SLOPE_TOL))]
    if fad_top is not None:     # no fading row: nothing to be better known than
        parts.append(("winner_minus_fading", gap_ci, (-expt.INF, 0.0)))
    word = expt.record_verdict(summary, parts)
    fmt = lambda x, f="%.2f": f % x if x is not None and x == x else "n/a"
    summary["verdict"] = expt.verdict_line(
        "E5", "one trajectory",
        "absent tokens: %d numbers given; ratios among winners: error slope %s %s; whole winner rows (%d): "
        "slope %s, error at T=%d %s vs fading rows (%d) %s, difference %s (%d%% intervals, jackknife over %d seeds)"
        % (absent_given, fmt(among_slope), expt.show(among_ci, "%.2f"), counts["winner"], fmt(slope), T2,
           fmt(win_top, "%.3g"), counts["fading"], fmt(fad_top, "%.3g"), expt.show(gap_ci),
           round(100 * expt.LEVEL), len(seeds)),
        "absent never; among winners slope -1 +/- 0.2; winners better known than fading", word)
    expt.write_summary(outdir, summary)


main()
