/*
 * traj-stats: measure trajectories (winner sets, collapse time, curves,
 * repetition) and, when a model is at hand, set them against the winner
 * sets the mean field predicts (attn-ccmc(7)).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "meanfield.h"
#include "prediction.h"
#include "progress.h"
#include "rng.h"
#include "stream.h"
#include "text.h"
#include "trajreader.h"
#include "trajstats.h"
#include "trajsummary.h"
#include "tsrecord.h"
#include "util.h"
#include "vocab.h"

static const char usage[] =
"usage: traj-stats [--summary] [--text [--lower] [--punct keep|split|drop]\n"
"                  [--chunk N] [--pieces I/M | --skip-pieces I/M]]\n"
"                  [--model FILE] [--window W] [--eps E]\n"
"                  [--from F] [--gamma G] [--min-count N] [--points N]\n"
"                  [--alpha A] [--delta D] [--blocks B] [--starts N]\n"
"                  [--horizon TAU] [--seed S] [--predict-markov]\n"
"                  [--tie-tol X] [--retie] [--progress] [--quiet]\n"
"                  [file ...]\n";

static const char help[] =
"Read trajectory records (or plain text with --text) and write one\n"
"traj-stats record per trajectory: final counts, each token's growth\n"
"exponent with a confidence interval and its class (winner, loser or\n"
"undecided), whether it collapsed and when, descriptive winner sets by a\n"
"window rule and a growth rule, curves at log-spaced steps and\n"
"repetition measures.  With an attn-model or ccmc record in the stream (or\n"
"--model), its base chain P sharpens the test of losers, and with\n"
"--predict the winner sets the mean field predicts from the prompt are added.\n"
"\n"
"  --summary        one record over all trajectories instead\n"
"  --text           input is text: one document per line, tokens split at\n"
"                   white space, ids in order of first appearance\n"
"  --lower          text: ASCII letters as lower case\n"
"  --punct MODE     text: punctuation marks inside words (keep, default),\n"
"                   as tokens of their own (split) or dropped (drop)\n"
"  --chunk N        text: cut each document into trajectories of N tokens\n"
"  --pieces I/M     text: only the I-th of every M of those (from the 1st)\n"
"  --skip-pieces I/M  text: all but those\n"
"  --model FILE     attn-model or ccmc record for predictions\n"
"  --window W       window of the window rule (default 1000)\n"
"  --eps E          winners hold >= 1 - E of a window (default 0.05)\n"
"  --from F         growth measured from step F*T (default 0.1)\n"
"  --gamma G        growth winners have exponent >= G (default 0.9)\n"
"  --min-count N    and >= N occurrences after F*T (default 10)\n"
"  --points N       curve checkpoints per decade of steps (default 10)\n"
"  --alpha A        classes: family-wise error level (default 0.01)\n"
"  --delta D        winners' exponents are >= 1 - D (default 0.1)\n"
"  --blocks B       blocks after F*T for the intervals (default 20)\n"
"  --model-free     classes without the model's test\n"
"  --exclude TOKEN  leave TOKEN out of the published measures (repeatable)\n"
"  --predict        the mean field's predictions (needs a model; costly)\n"
"  --starts N       random starting points of the mean field (default 32)\n"
"  --horizon TAU    give a mean-field flow up at this log-time (default 5000)\n"
"  --seed S         seed of those starts (default 1)\n"
"  --predict-markov --predict, also for trajectories of the ordinary chain\n"
"                   (\"chain\":\"markov\"), which are not by default\n"
"  --tie-tol X      accept an attn-model tied within X (default 1e-9)\n"
"  --retie          recompute an attn-model's head C from E first\n"
"  --progress       show progress on stderr\n"
"  --quiet          no notes on stderr\n"
"  -h, --help       this text;  --version  the version\n";

struct options {
	struct ts_opts ts;
	struct text split;
	int      summary, text, starts, progress, predict, predict_markov;
	int      model_free;
	int      nexclude;
	const char **exclude;
	double   horizon;
	uint64_t seed;
	const char *model_file;
};

/* ---- options ---- */

static int
parse_options(struct options *o, int argc, char **argv)
{
	const struct option longopts[] = {
		OPT_FLAG("summary", &o->summary), OPT_FLAG("text", &o->text),
		OPT_VALUE("model", 'm'), OPT_VALUE("window", 'w'),
		OPT_VALUE("eps", 'e'), OPT_VALUE("from", 'f'),
		OPT_VALUE("gamma", 'g'), OPT_VALUE("min-count", 'c'),
		OPT_VALUE("points", 'p'), OPT_VALUE("alpha", 'a'),
		OPT_VALUE("delta", 'd'), OPT_VALUE("blocks", 'b'),
		OPT_FLAG("quiet", &quiet), OPT_VALUE("starts", 'n'),
		OPT_VALUE("horizon", 'H'), OPT_VALUE("seed", 's'),
		OPT_FLAG("progress", &o->progress),
		OPT_BARE("predict-markov", 'M'), OPT_VALUE("tie-tol", 'T'),
		OPT_BARE("retie", 'r'), OPT_FLAG("predict", &o->predict),
		OPT_FLAG("model-free", &o->model_free), OPT_VALUE("exclude", 'X'),
		TEXT_LONGOPTS, OPT_END
	};
	int c;

	*o = (struct options){
		.ts = { .window = 1000, .eps = 0.05, .from = 0.1, .gamma_min = 0.9,
		    .min_count = 10, .per_decade = 10, .blocks = 20, .alpha = 0.01,
		    .delta = 0.1 },
		.starts = 32, .horizon = MF_HORIZON, .seed = RNG_DEFAULT_SEED,
	};
	while ((c = opt_next(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 0:   /* a flag */
			break;
		case 'm':
			o->model_file = opt_file("--model", optarg);
			break;
		case 'w':
			o->ts.window = opt_long(usage, "--window", optarg, 1, LONG_MAX);
			break;
		case 'e':
			o->ts.eps = opt_double(usage, "--eps", optarg, 0, 0.999999);
			break;
		case 'f':
			o->ts.from = opt_double(usage, "--from", optarg, 0, 0.999999);
			break;
		case 'g':
			o->ts.gamma_min = opt_double(usage, "--gamma", optarg, 0, 10);
			break;
		case 'c':
			o->ts.min_count = opt_long(usage, "--min-count", optarg, 0,
			    LONG_MAX);
			break;
		case 'p':
			o->ts.per_decade = (int)opt_long(usage, "--points", optarg, 1,
			    1000);
			break;
		case 'a':
			o->ts.alpha = opt_double(usage, "--alpha", optarg, 1e-12, 0.5);
			break;
		case 'd':
			o->ts.delta = opt_double(usage, "--delta", optarg, 0, 1);
			break;
		case 'b':
			o->ts.blocks = (int)opt_long(usage, "--blocks", optarg, 2,
			    100000);
			break;
		case 'n':
			o->starts = (int)opt_long(usage, "--starts", optarg, 0, 100000);
			break;
		case 'H':
			o->horizon = opt_double(usage, "--horizon", optarg, 1, 1e9);
			break;
		case 's':
			o->seed = opt_seed(usage, optarg);
			break;
		case 'M':
			o->predict_markov = o->predict = 1;
			break;
		case 'X':
			o->exclude = xrealloc(o->exclude, ((size_t)o->nexclude + 1) *
			    sizeof *o->exclude);
			o->exclude[o->nexclude++] = optarg;
			break;
		case 'T':
			model_set_tie(opt_double(usage, "--tie-tol", optarg, 0, 1e-2),
			    -1);
			break;
		case 'r':
			model_set_tie(-1, 1);
			break;
		default:
			if (!text_option(&o->split, c, optarg, usage))
				common_option(c, usage, help);
		}
	}
	if (text_options_given(&o->split) && !o->text)
		usage_error(usage, "--lower, --punct, --chunk and --pieces go "
		    "with --text");
	if (o->text && o->model_file)
		usage_error(usage, "--text takes no model: text has no token ids");
	if (o->text && o->predict)
		usage_error(usage, "--text takes no model, so --predict has none");
	if (!o->progress)
		o->progress = isatty(STDERR_FILENO);
	return optind;
}

/* The ids of the --exclude tokens in this trajectory's naming: words of
 * its vocabulary, else integers; a token it cannot name is left out of
 * nothing.  Returns how many, into ids. */
static int
excluded_ids(const struct options *o, const struct vocab *names, int *ids)
{
	int n = 0;

	for (int k = 0; k < o->nexclude; k++) {
		const char *w = o->exclude[k];
		char *end;
		long v;

		if (names) {
			if ((ids[n] = vocab_find(names, w)) >= 0)
				n++;
			continue;
		}
		v = strtol(w, &end, 10);
		if (*w && !*end && v >= 0 && v <= INT_MAX)
			ids[n++] = (int)v;
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct predictor pr;
	struct ts_summary sum = { 0 };
	struct traj_reader rd;
	struct progress shown;
	long index = 0, L, T, short_text = 0;
	const struct vocab *names = NULL;
	int *ctx, first, markov, *exclude;

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	first = parse_options(&o, argc, argv);
	input_text_hint = !o.text;
	predictor_init(&pr, o.starts, o.horizon, o.seed);
	if (o.model_file)
		trajreader_model(&pr, o.model_file);

	exclude = xmalloc(((size_t)o.nexclude + 1) * sizeof *exclude);
	trajreader_open(&rd, o.text, &o.split, argc - first, argv + first);
	progress_start(&shown, o.progress, "trajectories", 0, 1);
	while ((ctx = trajreader_next(&rd, &pr, &L, &T, &names, &markov))) {
		struct ts_result r;
		struct prediction pred;
		int predicted = 0, skipped;

		o.ts.P = pr.have ? pr.chain.P : NULL;
		o.ts.K = pr.have ? pr.chain.K : 0;
		o.ts.model_test = pr.have && !o.model_free;
		o.ts.whole = pr.have && !pr.chain.posw;
		o.ts.nexclude = excluded_ids(&o, names, exclude);
		o.ts.exclude = exclude;
		trajstats_compute(ctx, L, T, &o.ts, &r);
		if (o.summary)
			ts_summary_tokens(&sum, ctx + L, T, exclude, o.ts.nexclude);
		short_text += o.text && T < o.ts.window;
		/* The ordinary chain mixes: no attractor to predict. */
		skipped = o.predict && markov && !o.predict_markov && pr.have &&
		    L > 0;
		if (o.predict && !skipped)
			predicted = predict(&pr, ctx, L, &r, &pred);
		sum.skipped_markov += skipped;
		if (o.summary)
			ts_summary_add(&sum, &r, predicted ? &pred : NULL);
		else
			tsrecord_write(index, &r, markov, skipped,
			    predicted ? &pred : NULL, names);
		if (predicted)
			prediction_free(&pred);
		trajstats_free(&r);
		free(ctx);
		index++;
		progress_tick(&shown);
	}
	trajreader_notes(&rd);
	if (short_text)
		note("%ld of %ld documents are shorter than the window (%ld "
		    "tokens): their window rule uses the whole "
		    "document", short_text, index, o.ts.window);
	/* Nothing to measure is most often a failed stage upstream. */
	if (index == 0)
		input_fail(&rd.in, o.text ? "no text in the input" :
		    "no trajectory record in the input");
	if (o.summary) {
		ts_summary_end(&sum);
		tsrecord_write_summary(&sum, names);
		ts_summary_free(&sum);
	}
	progress_end(&shown);
	trajreader_close(&rd);
	predictor_free(&pr);
	free(exclude);
	free(o.exclude);
	out_flush();
	return 0;
}
