"""E2 sample complexity: reduce the ccmc-estimate records of the (K, n, seed)
runs to the error curves, the log-log slope and the K^2 / n scaling.

The slope is fitted by least squares on log error against log n over every
run with n >= ASYMPTOTIC * K^2, with one intercept per K and one common
slope (so the differing constants of the K do not bend it)."""

import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expt

ASYMPTOTIC = 10       # the fit uses n >= 10 K^2
SLOPE, SLOPE_TOL = -1.0, 0.2
FLAT = 3.0            # error * n / K^2: largest / smallest mean across K


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
    used = 0
    sxy = sxx = 0.0
    per_K = {}
    for K in sorted(runs):
        curves[K] = []
        xs, ys = [], []
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
                for r in rs:
                    if (r["err"] or 0) > 0:
                        xs.append(math.log(n))
                        ys.append(math.log(r["err"]))
        rows.append(None)
        rows.append(None)
        if len(set(xs)) >= 2:
            b, a, se = expt.fit_line(xs, ys)
            mx, my = expt.mean(xs), expt.mean(ys)
            sxy += sum((x - mx) * (y - my) for x, y in zip(xs, ys))
            sxx += sum((x - mx) ** 2 for x in xs)
            scaled = [math.exp(y) * math.exp(x) / K ** 2 for x, y in zip(xs, ys)]
            per_K[K] = {"slope": b, "slope_se": se, "points": len(xs),
                        "mean_err_n_over_K2": expt.mean(scaled), "mx": mx, "my": my}
            used += len(xs)
    if not per_K or sxx == 0:
        sys.exit("e2: no K has two sample sizes with n >= %d K^2" % ASYMPTOTIC)
    slope = sxy / sxx
    res = 0.0    # residuals about the common slope, for its standard error
    for K in per_K:
        p = per_K[K]
        for n in sorted(runs[K]):
            if n >= ASYMPTOTIC * K * K:
                for r in runs[K][n]:
                    if (r["err"] or 0) > 0:
                        y = math.log(r["err"])
                        res += (y - p["my"] - slope * (math.log(n) - p["mx"])) ** 2
    dof = used - len(per_K) - 1
    slope_se = math.sqrt(res / dof / sxx) if dof > 0 else float("nan")
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
    with open(os.path.join(outdir, "names.dat"), "w") as f:
        f.write(" ".join("K=%d" % K for K in sorted(runs)) + "\n")
        seeds = max(len(v) for r in runs.values() for v in r.values())
        f.write("%.2f %.2f %d %d\n" % (slope, slope_se, ASYMPTOTIC, seeds))

    flat = [p["mean_err_n_over_K2"] for p in per_K.values()]
    ratio = max(flat) / min(flat)
    ok_slope = abs(slope - SLOPE) <= SLOPE_TOL
    ok_flat = ratio <= FLAT
    summary = {
        "experiment": "E2", "scale": scale, "slope": slope, "slope_se": slope_se,
        "fit_points": used, "asymptotic_n_over_K2": ASYMPTOTIC,
        "per_K": {str(K): {k: v for k, v in p.items() if k not in ("mx", "my")}
                  for K, p in per_K.items()},
        "curves": {str(K): v for K, v in curves.items()},
        "flat_ratio": ratio, "agrees": ok_slope and ok_flat}
    summary["verdict"] = expt.verdict(
        "E2", "sample complexity",
        "log-log slope %.2f +/- %.2f over K = %s; error*n/K^2 max/min across K %.2f"
        % (slope, slope_se, ",".join(str(K) for K in sorted(per_K)), ratio),
        "slope -1 +/- 0.2, ratio <= %g" % FLAT, ok_slope and ok_flat)
    expt.write_summary(outdir, summary)


main()
