"""E2 sample complexity: reduce the ccmc-estimate records of the (K, n, seed)
runs to the error curves, the log-log slope and the K^2 / n scaling.

The slope is fitted by least squares on log error against log n over every
run with n >= ASYMPTOTIC * K^2, with one intercept per K and one common
slope (so the differing constants of the K do not bend it).  The slope
and (ours) the level ratio are judged by their 95% intervals, the
jackknife over the seeds: seed s of every K is one replicate of the
whole design."""

import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt

ASYMPTOTIC = 10       # the fit uses n >= 10 K^2
SLOPE, SLOPE_TOL = -1.0, 0.2
FLAT = 3.0            # error * n / K^2: largest / smallest mean across K


def fit(pts):
    """Per K with two sample sizes or more: the means of log n and log
    error, and the mean of error * n / K^2, over pts."""
    per_K = {}
    for K in sorted({p[0] for p in pts}):
        xs = [p[2] for p in pts if p[0] == K]
        ys = [p[3] for p in pts if p[0] == K]
        if len(set(xs)) < 2:
            continue
        b, _, se = expt.fit_line(xs, ys)
        per_K[K] = {"slope": b, "slope_se": se, "points": len(xs),
                    "mean_err_n_over_K2": expt.mean([math.exp(x + y) / K ** 2 for x, y in zip(xs, ys)]),
                    "mx": expt.mean(xs), "my": expt.mean(ys)}
    return per_K


def common_slope(pts, per_K):
    """The least-squares slope with one intercept per K, and its standard
    error from the residuals."""
    sxy = sxx = 0.0
    for K, _, x, y in pts:
        if K in per_K:
            sxy += (x - per_K[K]["mx"]) * (y - per_K[K]["my"])
            sxx += (x - per_K[K]["mx"]) ** 2
    slope = sxy / sxx
    res = sum((y - per_K[K]["my"] - slope * (x - per_K[K]["mx"])) ** 2
              for K, _, x, y in pts if K in per_K)
    dof = sum(p["points"] for p in per_K.values()) - len(per_K) - 1
    return slope, math.sqrt(res / dof / sxx) if dof > 0 else float("nan")


def flat_ratio(per_K):
    """(ours) error * n / K^2: the largest mean over K over the smallest."""
    flat = [p["mean_err_n_over_K2"] for p in per_K.values()]
    return max(flat) / min(flat)


def main():
    outdir, scale, files = expt.args()
    runs = {}
    for f in files:
        m = re.match(r"K(\d+)_n(\d+)_s(\d+)$", expt.stem(f))
        K, n, s = int(m.group(1)), int(m.group(2)), int(m.group(3))
        c = expt.one(f, "ccmc")
        e = c["error"]
        runs.setdefault(K, {}).setdefault(n, []).append({
            "seed": s, "err": e["P_sq"], "entries": e["P_entries"],
            "rows": c["identifiability"]["determined_rows"],
            "mle_exists": c["fit"]["mle_exists"],
            "converged": c["fit"]["converged"]})

    rows, fitrows, curves = [], [], {}
    pts = []     # (K, seed, log n, log error) of the fit: n >= ASYMPTOTIC K^2
    for K in sorted(runs):
        curves[K] = []
        for n in sorted(runs[K]):
            rs = runs[K][n]
            # a fit that determines no entry of P has no error (null)
            errs = [r["err"] for r in rs if r["err"] is not None]
            if not errs:
                continue
            full = sum(1 for r in rs if r["entries"] == K * K)
            c = n / K ** 2
            rows.append((K, n, expt.mean(errs), min(errs), max(errs),
                         expt.mean(errs) * c, min(errs) * c, max(errs) * c,
                         full / len(rs)))
            curves[K].append({"n": n, "mean": expt.mean(errs), "sd": expt.sd(errs),
                              "min": min(errs), "max": max(errs), "seeds": len(rs),
                              "fully_identified": full, "mle_exists": sum(r["mle_exists"] for r in rs)})
            if n >= ASYMPTOTIC * K * K:
                pts += [(K, r["seed"], math.log(n), math.log(r["err"]))
                        for r in rs if (r["err"] or 0) > 0]
        rows.append(None)
        rows.append(None)
    per_K = fit(pts)
    if not per_K:
        sys.exit("e2: no K has two sample sizes with n >= %d K^2" % ASYMPTOTIC)
    slope, slope_se = common_slope(pts, per_K)
    used = len(pts)
    for K in sorted(per_K):
        p = per_K[K]
        lo = ASYMPTOTIC * K * K
        hi = max(runs[K])
        for n in (lo, hi):
            fitrows.append((K, n, math.exp(p["my"] + slope * (math.log(n) - p["mx"]))))
        fitrows += [None, None]
    expt.write_data(outdir, "error.dat", rows,
                    "K n mean min max mean*n/K^2 min*n/K^2 max*n/K^2 fully-identified-share")
    expt.write_data(outdir, "fit.dat", fitrows, "K n fitted error (common slope)")

    # The seeds are the independent replicates: seed s of every K, the
    # unit the jackknife leaves out.
    seeds = sorted({p[1] for p in pts})
    of = lambda units: [p for p in pts if p[1] in units]
    _, slope_ci = expt.jackknife(seeds, lambda u: common_slope(of(u), fit(of(u)))[0])
    ratio, ratio_ci = expt.jackknife(seeds, lambda u: flat_ratio(fit(of(u))))
    with open(os.path.join(outdir, "names.dat"), "w") as f:
        f.write(" ".join("K=%d" % K for K in sorted(runs)) + "\n")
        nseeds = max(len(v) for r in runs.values() for v in r.values())
        f.write("%.2f %s %d %d\n" % (slope, expt.show(slope_ci, "%.2f").replace(" ", ""),
                                     ASYMPTOTIC, nseeds))

    summary = {
        "experiment": "E2", "scale": scale, "slope": slope, "slope_se": slope_se,
        "slope_interval": list(slope_ci), "fit_points": used, "asymptotic_n_over_K2": ASYMPTOTIC,
        "per_K": {str(K): {k: v for k, v in p.items() if k not in ("mx", "my")}
                  for K, p in per_K.items()},
        "curves": {str(K): v for K, v in curves.items()},
        "flat_ratio": ratio, "flat_ratio_interval": list(ratio_ci)}
    word = expt.record_verdict(summary, [
        ("slope", slope_ci, (SLOPE - SLOPE_TOL, SLOPE + SLOPE_TOL)),
        ("flat_ratio", ratio_ci, (-expt.INF, FLAT))])   # one-sided: at most FLAT
    summary["verdict"] = expt.verdict_line(
        "E2", "sample complexity",
        "log-log slope %.2f %s over K = %s; (ours) error*n/K^2 max/min across K %.2f %s "
        "(%d%% intervals, jackknife over %d seeds)"
        % (slope, expt.show(slope_ci, "%.2f"), ",".join(str(K) for K in sorted(per_K)),
           ratio, expt.show(ratio_ci, "%.2f"), round(100 * expt.LEVEL), len(seeds)),
        "slope -1 +/- 0.2; (ours) ratio <= %g" % FLAT, word)
    expt.write_summary(outdir, summary)


main()
