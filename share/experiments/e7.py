"""E7 reducer: held-out coverage and perplexities of the CCMC and its
baselines, and the repetition of CCMC, bigram and human continuations.
See e7.mk for the claims and their thresholds."""

import os

import expt


def main():
    outdir, scale, files = expt.args()
    window, steps = int(os.environ["E7_W"]), int(os.environ["E7_C"])
    fit, ev, stats, gen = {}, {}, {}, {}
    for f in files:
        part, name = os.path.basename(os.path.dirname(f)), expt.stem(f)
        kind = name.split("_")[0]
        if part == "fit":
            fit[kind] = expt.one(f, "ccmc")
        elif part == "eval":
            ev[kind] = expt.one(f, "eval")
        elif part == "stats":
            stats.setdefault(kind, []).extend(expt.records(f, "traj-stats"))
        elif part == "gen":
            gen[kind] = list(expt.records(f, "trajectory"))

    measures = ["seq_rep_1", "seq_rep_2", "seq_rep_3", "seq_rep_4",
                "distinct_1", "distinct_2", "distinct_3", "distinct_4",
                "rep_16", "rep_32"]
    rep = {}
    for kind, rs in stats.items():
        rep[kind] = {m: expt.mean([r["repetition"][m] for r in rs]) for m in measures}
        rep[kind]["winner_set_size"] = expt.mean([len(r["winners"]["window"]) for r in rs])
        rep[kind]["distinct_words"] = expt.mean([r["distinct"] for r in rs])
        rep[kind]["continuations"] = len(rs)
    order = ["human", "markov", "ccmc"]
    expt.write_data(outdir, "repetition.dat",
                    [[m.replace("_", "-")] + [rep[k][m] for k in order] for m in
                     ["seq_rep_4", "rep_16", "rep_32", "distinct_1", "distinct_2",
                      "distinct_4"]],
                    "measure human bigram ccmc (means over continuations)")
    expt.write_data(outdir, "perplexity.dat",
                    [["unigram", ev["ccmc"]["unigram_perplexity"]],
                     ["bigram", ev["markov"]["full_perplexity"]],
                     ["ccmc+unigram", ev["ccmc"]["full_perplexity"]],
                     ["ccmc (covered steps)", ev["ccmc"]["perplexity"]]],
                    "model held-out perplexity")
    with open(os.path.join(outdir, "info.dat"), "w") as f:
        f.write("%d %d %d %d %.3f\n" % (fit["ccmc"]["K"], window, steps,
                                       rep["ccmc"]["continuations"],
                                       ev["ccmc"]["coverage"]))

    cov = ev["ccmc"]["coverage"]
    h, b, c = rep["human"], rep["markov"], rep["ccmc"]
    more = (c["seq_rep_4"] > h["seq_rep_4"] and c["seq_rep_4"] > b["seq_rep_4"]
            and c["rep_32"] > h["rep_32"] and c["rep_32"] > b["rep_32"])
    ok = cov < 0.9 and more
    example = lambda k: " ".join(gen[k][0]["tokens"][:24]) if gen.get(k) else ""
    summary = {
        "scale": scale, "K": fit["ccmc"]["K"], "window": window,
        "continuation_words": steps,
        "train": {"steps": fit["ccmc"]["fit"]["samples"] + fit["ccmc"]["fit"]["skipped"],
                  "coverage": fit["ccmc"]["fit"]["coverage"], "mix": fit["ccmc"]["mix"]},
        "heldout": {k: {x: ev[k].get(x) for x in
                        ["steps", "covered", "coverage", "unk_steps", "perplexity",
                         "full_perplexity", "unigram_perplexity", "mix"]}
                    for k in ev},
        "repetition": rep,
        "examples": {"prompt": " ".join(gen["ccmc"][0]["prompt"]) if gen.get("ccmc") else "",
                     "ccmc": example("ccmc"), "bigram": example("markov")},
        "agrees": ok}
    f = expt.g
    summary["verdict"] = expt.verdict(
        "E7", "real text",
        "held-out coverage %s (window %d, K %d); perplexity unigram %s, bigram %s, "
        "ccmc+unigram %s (ccmc on covered steps %s); seq-rep-4 human %s, bigram %s, "
        "ccmc %s; rep-32 human %s, bigram %s, ccmc %s; winner sets %s/%s/%s"
        % (f(cov), window, fit["ccmc"]["K"], f(ev["ccmc"]["unigram_perplexity"]),
           f(ev["markov"]["full_perplexity"]), f(ev["ccmc"]["full_perplexity"]),
           f(ev["ccmc"]["perplexity"]), f(h["seq_rep_4"]), f(b["seq_rep_4"]),
           f(c["seq_rep_4"]), f(h["rep_32"]), f(b["rep_32"]), f(c["rep_32"]),
           f(h["winner_set_size"]), f(b["winner_set_size"]), f(c["winner_set_size"])),
        "coverage < 0.9; ccmc repeats more than human and bigram (seq-rep-4, rep-32)", ok)
    expt.write_summary(outdir, summary)


main()
