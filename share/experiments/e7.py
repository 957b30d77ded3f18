"""E7 reducer: held-out coverage and perplexities of the CCMC and its
baselines on the same steps, and the repetition of CCMC, bigram and human
continuations.  See e7.mk for the claims and their thresholds."""

import json
import os
import sys

import expt

COVERAGE = 0.9    # (ours) held-out coverage far from 1: below this


def scan(files, outdir):
    """The scan over vocabularies and windows (reported, not judged): per
    (V, W) the CCMC's coverage and perplexities, per V the Kneser-Ney and
    the add-k chain whose k is best on the dev part, the continuations'
    repetition and the models' sizes.  Writes scan.dat, and what each fit
    took to resources.json; returns the rows."""
    rows, chains = {}, {}
    for f in files:
        if os.path.basename(os.path.dirname(f)) != "scan":
            continue
        name = expt.stem(f)
        a = dict((w[0], w[1:]) for w in name.split("_")[1:])
        kind, v = name.split("_")[0], int(a["v"])
        res = json.load(open(f + ".res"))
        rec = {"eval": expt.one(f, "eval"), "bytes": expt.one(f, "model")["bytes"],
               "cpu_s": res["cpu_s"], "max_rss_mb": res["max_rss_mb"]}
        if kind == "addk":
            rec["k"], rec["dev"] = float(a["k"]), expt.one(f, "dev")["perplexity"]
        else:
            rep = expt.one(f, "traj-stats")["repetition"]
            rec["seq_rep_4"], rec["rep_32"] = rep["seq_rep_4"], rep["rep_32"]
        if kind == "ccmc":
            rows[(v, int(a["w"]))] = rec
        else:
            chains.setdefault((kind, v), []).append(rec)
    out, took = [], []
    for (v, w), r in sorted(rows.items()):
        kn = chains[("markov", v)][0]
        addk = min(chains[("addk", v)], key=lambda x: x["dev"])
        e = r["eval"]
        out.append({"V": v, "window": w, "K": e["K"], "coverage": e["coverage"],
                    "ccmc_unigram_perplexity": e["full_perplexity"],
                    "ccmc_covered_perplexity": e["perplexity"],
                    "kneser_ney_perplexity": kn["eval"]["full_perplexity"],
                    "addk_k": addk["k"], "addk_perplexity": addk["eval"]["full_perplexity"],
                    "unigram_perplexity": e["unigram_perplexity"],
                    "seq_rep_4": {"ccmc": r["seq_rep_4"], "kneser_ney": kn["seq_rep_4"]},
                    "rep_32": {"ccmc": r["rep_32"], "kneser_ney": kn["rep_32"]},
                    "model_bytes": {"ccmc": r["bytes"], "kneser_ney": kn["bytes"]}})
        took.append({"V": v, "window": w,
                     "fit_cpu_s": {"ccmc": r["cpu_s"], "kneser_ney": kn["cpu_s"]},
                     "fit_max_rss_mb": {"ccmc": r["max_rss_mb"],
                                        "kneser_ney": kn["max_rss_mb"]}})
    # one gnuplot index per window, V ascending; the chains' lines from
    # the first (they have no window)
    windows = sorted({x["window"] for x in out})
    table = []
    for w in windows:
        table += [[x["V"], x["coverage"], x["ccmc_unigram_perplexity"],
                   x["kneser_ney_perplexity"], x["addk_perplexity"], t["fit_cpu_s"]["ccmc"],
                   t["fit_max_rss_mb"]["ccmc"]] for x, t in zip(out, took)
                  if x["window"] == w]
        table += [None, None]
    expt.write_data(outdir, "scan.dat", table,
                    "V coverage ppl_ccmc_unigram ppl_kneser_ney ppl_addk_best fit_cpu_s "
                    "fit_max_rss_mb (an index per window)")
    expt.write_data(outdir, "scan-windows.dat", [windows])
    # what the fits took differs from run to run: apart from summary.json,
    # whose bytes a rerun reproduces
    with open(os.path.join(outdir, "resources.json"), "w") as f:
        json.dump(took, f, indent=1, sort_keys=True)
        f.write("\n")
    return out


def main():
    outdir, scale, files = expt.args()
    window, steps = int(os.environ["E7_W"]), int(os.environ["E7_C"])
    fit, ev, stats, gen, data = {}, {}, {}, {}, {}
    by_prompt = {}   # kind -> prompt index -> its continuations' records
    for f in files:
        part, name = os.path.basename(os.path.dirname(f)), expt.stem(f)
        kind = name.split("_")[0]
        if part == "fit":
            fit[name] = expt.one_without(f, "ccmc", expt.MODEL_ARRAYS)
        elif part == "eval":
            ev[name] = expt.one(f, "eval")
        elif part == "stats":
            rs = list(expt.records(f, "traj-stats"))
            stats.setdefault(kind, []).extend(rs)
            for k, r in enumerate(rs):
                by_prompt.setdefault(kind, {}).setdefault(k, []).append(r)
        elif part == "gen":
            gen[kind] = list(expt.records(f, "trajectory"))
        elif part == "data":
            data[name] = expt.one(f, None) if name == "corpus" else int(open(f).read())

    # Every model scores the same steps, cut alike by the toolkit and by
    # the prompts' helper; otherwise nothing here compares.
    counts = {(e["steps"], e["unk_steps"]) for e in ev.values()}
    if len(counts) != 1 or data["steps"] != ev["ccmc"]["steps"]:
        sys.exit("e7: the models scored different steps (%s; the helper "
                 "counts %d)" % (sorted(counts), data["steps"]))

    # add-k: k chosen on the dev part, reported on the held-out steps
    addk = sorted((fit[n]["fit"]["dev"]["perplexity"], fit[n]["meta"]["laplace"], n)
                  for n in fit if n.startswith("addk_"))
    dev_best, k_best, n_best = addk[0]
    c, m = ev["ccmc"], ev["markov"]
    ppl = [("unigram", c["unigram_perplexity"]),
           ("bigram Kneser-Ney", m["full_perplexity"]),
           ("bigram add-%g (best on dev)" % k_best, ev[n_best]["full_perplexity"]),
           ("ccmc+unigram", c["full_perplexity"])]
    best = min(ppl, key=lambda x: x[1])

    measures = ["seq_rep_1", "seq_rep_2", "seq_rep_3", "seq_rep_4",
                "distinct_1", "distinct_2", "distinct_3", "distinct_4",
                "rep_16", "rep_32"]
    rep = {}
    for kind, rs in stats.items():
        rep[kind] = {x: expt.mean([r["repetition"][x] for r in rs]) for x in measures}
        rep[kind]["winner_set_size"] = expt.mean([len(r["winners"]["window"]) for r in rs])
        rep[kind]["distinct_words"] = expt.mean([r["distinct"] for r in rs])
        rep[kind]["continuations"] = len(rs)
    order = ["human", "markov", "ccmc"]
    expt.write_data(outdir, "repetition.dat",
                    [[x.replace("_", "-")] + [rep[k][x] for k in order] for x in
                     ["seq_rep_4", "rep_16", "rep_32", "distinct_1", "distinct_2",
                      "distinct_4"]],
                    "measure human bigram ccmc (means over continuations)")
    expt.write_data(outdir, "perplexity.dat",
                    [[short, v] for short, (_, v) in
                     zip(["unigram", "KN bigram", "add-%g bigram" % k_best,
                          "CCMC+unigram"], ppl)],
                    "model held-out perplexity (all held-out steps)")
    # the CCMC's perplexity on its covered steps alone is of other steps:
    # the figure gives it apart, not as a bar beside the others
    with open(os.path.join(outdir, "info.dat"), "w") as f:
        f.write("%d %d %d %d %.3f %.3g\n" % (fit["ccmc"]["K"], window, steps,
                                            rep["ccmc"]["continuations"], c["coverage"],
                                            c["perplexity"]))

    cov = c["coverage"]
    h, b, cc = rep["human"], rep["markov"], rep["ccmc"]
    # The held-out prompts are the independent units of the repetition
    # claims (every kind continues the same prompts: paired); coverage is a
    # share of held-out steps (Wilson's interval, the steps taken as
    # independent draws).
    prompts = sorted(by_prompt["human"])
    if any(sorted(by_prompt[k]) != prompts for k in by_prompt):
        sys.exit("e7: the continuations are not of the same prompts")

    def excess(x, other):
        # per prompt the sum and count of its continuations' measure, so
        # that each of the jackknife's S passes costs S, not every record
        tally = {kind: {k: (sum(r["repetition"][x] for r in rs), len(rs))
                        for k, rs in by_prompt[kind].items()}
                 for kind in ("ccmc", other)}
        def m(kind, u):
            t = tally[kind]
            n = sum(t[k][1] for k in u)
            return sum(t[k][0] for k in u) / n if n else float("nan")
        return lambda u: m("ccmc", u) - m(other, u)
    parts = [("coverage", expt.wilson(c["covered"], c["steps"]), (0.0, COVERAGE))]
    shown = []
    for x in ("seq_rep_4", "rep_32"):
        for other in ("human", "markov"):
            _, ci = expt.jackknife(prompts, excess(x, other))
            parts.append(("%s_ccmc_minus_%s" % (x, other), ci, (0.0, expt.INF)))
            shown.append(expt.show(ci))
    example = lambda k: " ".join(gen[k][0]["tokens"][:24]) if gen.get(k) else ""
    keys = ["steps", "covered", "coverage", "unk_steps", "perplexity",
            "full_perplexity", "unigram_perplexity", "mix"]
    summary = {
        "scale": scale, "K": fit["ccmc"]["K"], "window": window,
        "continuation_words": steps,
        "train": {"steps": fit["ccmc"]["fit"]["samples"] + fit["ccmc"]["fit"]["skipped"],
                  "coverage": fit["ccmc"]["fit"]["coverage"], "mix": fit["ccmc"]["mix"],
                  "mix_fitted_on": fit["ccmc"]["mix_fitted_on"],
                  "dev": fit["ccmc"]["dev"],
                  "kneser_ney": {x: fit["markov"]["meta"][x] for x in
                                 ["discount", "discount_unigram", "n1", "n2"]}},
        "heldout": {k: {x: ev[k].get(x) for x in keys} for k in ev},
        "addk_dev_perplexity": {"%g" % k: p for p, k, _ in addk},
        "addk_best": {"k": k_best, "dev_perplexity": dev_best,
                      "heldout_perplexity": ev[n_best]["full_perplexity"]},
        "perplexity": dict(ppl), "lowest_perplexity": best[0],
        "corpus": data["corpus"], "scan": scan(files, outdir),
        "repetition": rep,
        "examples": {"prompt": " ".join(gen["ccmc"][0]["prompt"]) if gen.get("ccmc") else "",
                     "ccmc": example("ccmc"), "bigram": example("markov")}}
    word = expt.record_verdict(summary, parts)
    f = expt.g
    summary["verdict"] = expt.verdict_line(
        "E7", "real text",
        "held-out coverage %s %s (window %d, K %d); perplexity on the same %d steps: "
        "unigram %s, bigram Kneser-Ney %s, bigram add-%g (best on dev) %s, "
        "ccmc+unigram %s, lowest: %s (ccmc on covered steps only %s); seq-rep-4 "
        "human %s, bigram %s, ccmc %s; rep-32 human %s, bigram %s, ccmc %s; "
        "winner sets %s/%s/%s; ccmc's excess seq-rep-4 over human %s, over bigram %s, "
        "rep-32 over human %s, over bigram %s (%d%% intervals, jackknife over %d prompts)"
        % (f(cov), expt.show(parts[0][1]), window, fit["ccmc"]["K"], c["steps"], f(ppl[0][1]), f(ppl[1][1]),
           k_best, f(ppl[2][1]), f(ppl[3][1]), best[0], f(c["perplexity"]),
           f(h["seq_rep_4"]), f(b["seq_rep_4"]), f(cc["seq_rep_4"]), f(h["rep_32"]),
           f(b["rep_32"]), f(cc["rep_32"]), f(h["winner_set_size"]),
           f(b["winner_set_size"]), f(cc["winner_set_size"]), *shown,
           round(100 * expt.LEVEL), len(prompts)),
        "(ours) coverage < 0.9; ccmc repeats more than human and bigram (seq-rep-4, rep-32)", word)
    expt.write_summary(outdir, summary)


main()
