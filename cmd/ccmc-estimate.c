/*
 * ccmc-estimate: learn a CCMC from samples and trajectories by maximum
 * likelihood, and say what the data determine and how well; on text, also
 * the baselines it is compared with, and the held-out scores of all three.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccmc.h"
#include "ccmcfit.h"
#include "dataset.h"
#include "estimate.h"
#include "evalrecord.h"
#include "fitrecord.h"
#include "markovfit.h"
#include "rng.h"
#include "score.h"
#include "shard.h"
#include "stream.h"
#include "text.h"
#include "util.h"
#include "weights.h"
#include "wfit.h"

static const char usage[] =
"usage: ccmc-estimate [--vocab K | --max-vocab V] [TEXT] [--window L]\n"
"                     [--l2 LAMBDA] [--tol X] [--max-iter N]\n"
"                     [--method auto|newton|cg] [--bootstrap B] [--seed S]\n"
"                     [--brief | --stderr] [--laplace A] [--dev-share F]\n"
"                     [--progress] [--rows I/N] [--tie-tol X] [--retie] [--quiet]\n"
"                     [--form dense|sparse|auto] [--max-cost C] [--force]\n"
"                     [file ...]\n"
"       ccmc-estimate --merge [--quiet] [file ...]\n"
"       ccmc-estimate --markov [--laplace A | --arpa FILE] [--dev-share F]\n"
"                     [--form dense|sparse|auto]\n"
"                     [--vocab K | --max-vocab V] [TEXT] [file ...]\n"
"       ccmc-estimate --embeddings MODEL [--l2 LAMBDA] [--tol X]\n"
"                     [--max-iter N] [--method auto|newton|cg]\n"
"                     [--bootstrap B] [--seed S] [--brief] [--progress]\n"
"                     [--weights FILE] [--quiet] [file ...]\n"
"       ccmc-estimate --eval MODEL [--window L] [--mix W] [TEXT] [file ...]\n"
"  TEXT: --text [--lower] [--punct keep|split|drop] [--chunk N]\n"
"        [--pieces I/M | --skip-pieces I/M]\n";

static const char help[] =
"Fit the logits A of a context-conditioned Markov chain to sample and\n"
"trajectory records by maximum likelihood, row by row, and print one ccmc\n"
"record: A and P (null where the data do not determine them), \"fit\",\n"
"\"identifiability\", \"stderr\", and \"error\" against a ground-truth\n"
"attn-model or ccmc record in the input.  String tokens (text) build a\n"
"vocabulary; the record is then complete (ridge MAP) and carries \"vocab\",\n"
"a unigram background and its mixing weight.\n"
"\n"
"  --vocab K       vocabulary size when no ground truth gives it\n"
"                  (default: largest token + 1)\n"
"  --max-vocab V   string tokens: keep the V most frequent words, map the\n"
"                  others to \"<unk>\" (default: keep all, at most\n"
"                  1048576)\n"
"  --text          input is plain text: one document per line, words split\n"
"                  at white space, the first word the prompt\n"
"  --lower         text: ASCII letters as lower case\n"
"  --punct MODE    text: punctuation marks inside words (keep, default), as\n"
"                  words of their own (split) or dropped (drop)\n"
"  --chunk N       text: cut each document into pieces of N words\n"
"  --pieces I/M    text: only the I-th of every M pieces (from the 1st)\n"
"  --skip-pieces I/M  text: all pieces but those\n"
"  --window L      keep only the last L tokens of each context; steps whose\n"
"                  token falls outside the window are skipped and counted\n"
"  --l2 LAMBDA     ridge: subtract LAMBDA/2 sum A_ij^2 (default 0: the plain\n"
"                  MLE; where it does not exist, the tokens it sends to\n"
"                  probability 0 are reported; default 1 on text)\n"
"  --tol X         stop at max |gradient| / samples <= X (default 1e-8)\n"
"  --max-iter N    iterations per row (default 200)\n"
"  --method M      newton (dense), cg (Newton-CG) or auto (default: newton\n"
"                  up to 160 tokens per row)\n"
"  --bootstrap B   add 95% percentile intervals from B resamples\n"
"  --seed S        seed of the resampling (default 1)\n"
"  --brief         leave out \"stderr\" and the rows of \"identifiability\"\n"
"  --stderr        on string tokens (text), write \"stderr\" too (a fit on\n"
"                  them leaves it out unless asked, or --bootstrap is given)\n"
"  --markov        fit an ordinary bigram Markov chain instead (interpolated\n"
"                  Kneser-Ney), as a ccmc record marked in meta\n"
"  --laplace A     add-A smoothing of the unigram (default 1) and, with\n"
"                  --markov, of the bigram instead of Kneser-Ney (0: the\n"
"                  plain MLE, its zeros exact)\n"
"  --arpa FILE     --markov: also write the Kneser-Ney chain as ARPA\n"
"  --dev-share F   hold out this share of the sequences (evenly spread) as\n"
"                  a dev part: the mix weight is fitted there, and it is\n"
"                  scored (default 0.1 for a CCMC on text, else 0)\n"
"  --tie-tol X     accept attn-models tied within X (default 1e-9)\n"
"  --retie         recompute an attn-model's head C from E first\n"
"  --embeddings MODEL  fit W of the attention layer whose E (K x d) is\n"
"                  MODEL's, by maximum likelihood (d^2 parameters), and\n"
"                  print that attn-model; meta.wfit says what was fitted\n"
"  --weights FILE  --embeddings: write the model's E, W (and C) to FILE\n"
"                  (.safetensors or .npz, float64), the record naming it\n"
"  --eval MODEL    score the input under the ccmc record in MODEL instead of\n"
"                  fitting: coverage, cross-entropy and perplexity\n"
"  --mix W         weight of the unigram background in --eval (default:\n"
"                  the model's \"mix\")\n"
"  --rows I/N      fit only the rows i (query tokens, from 0) with\n"
"                  i mod N = I - 1, and print them as a ccmc-shard record\n"
"  --merge         join the ccmc-shard records of --rows 1/N .. N/N into\n"
"                  the record of the whole fit, byte for byte\n"
"  --form F        the record: dense (one line, K <= 2048), sparse (a\n"
"                  header and K ccmc-row lines, K <= 1048576) or auto\n"
"                  (default: dense up to K = 2048, else sparse)\n"
"  --max-cost C    refuse a fit without --window whose cost (context\n"
"                  tokens x row tokens) exceeds C (default 1e12)\n"
"  --force         fit however much it costs\n"
"  --progress      report progress on stderr: rows, time spent and left\n"
"  --quiet         no notes on stderr about weak results\n"
"  -h, --help      this text;  --version  the version\n";

struct options {
	struct fit_settings fit;
	struct dataset_options data;
	int      progress, markov, l2_given, laplace_given;
	int      dev_given, merge, others, force, stderr_given;
	double   mix;             /* < 0: the model's */
	double   max_cost;        /* of a windowless fit, unless force */
	const char *eval, *embeddings, *arpa, *weights;
};

/* The maximum-likelihood CCMC and what is known about it (the ridge MAP
 * on text; with --rows, the rows of the shard). */
static void
fit_ccmc(const struct dataset *d, const struct options *o)
{
	struct ccmcfit_options c = { o->fit, o->l2_given, o->stderr_given,
	    o->progress, o->max_cost, o->force };

	ccmcfit_write(d, &c);
}

/* The ordinary bigram chain of the same steps; its unigram background
 * takes --laplace's A, or 1 for the MLE's 0. */
static void
fit_markov(const struct dataset *d, const struct options *o)
{
	struct markov_settings m = { !o->laplace_given, o->fit.laplace,
	    o->fit.laplace > 0 ? o->fit.laplace : 1, o->fit.form, o->arpa };

	markovfit_write(d, &m);
}

/* W of the attention layer whose E is the model's, by the fit's own
 * settings. */
static void
fit_w(const struct options *o, int nfiles, char **files)
{
	const struct est_options *e = &o->fit.est;
	struct wfit_options w = { e->l2, e->tol, e->max_iter, e->method ==
	    EST_NEWTON ? WFIT_NEWTON : e->method == EST_CG ? WFIT_CG : WFIT_AUTO,
	    o->progress, o->fit.bootstrap, o->fit.seed, o->weights };

	wfit_run(o->embeddings, &w, o->fit.brief, nfiles, files);
}

/* How well the model of --eval predicts the input. */
static void
evaluate(struct dataset *d, const struct options *o, int nfiles,
    char **files)
{
	struct scored_model s;
	struct input at = { .name = o->eval, .line = 1 };   /* its record */

	scored_model_read(&s, o->eval, o->data.window, o->mix);
	dataset_use_model(d, &s.m, &at);
	dataset_read(d, nfiles, files);
	evalrecord_write(d, &s);
	scored_model_free(&s);
}

/* --rows I/N: 1 <= I <= N. */
static void
parse_rows(struct options *o, const char *arg)
{
	long i, n;

	if (opt_fraction(arg, &i, &n) != 0 || i < 1 || n < i ||
	    n > MAX_SPARSE_VOCAB)
		usage_error(NULL, "--rows: I/N with 1 <= I <= N <= %d, not '%s'",
		    MAX_SPARSE_VOCAB, arg);
	o->data.shard = (int)i - 1;
	o->data.shards = (int)n;
}

/* The options of the fit itself, its estimator and record: 1 if c is
 * one (its value in optarg), 0 if not. */
static int
fit_option(struct options *o, int c)
{
	/* in the order of EST_AUTO.., FIT_AUTO.. */
	static const char *const method[] = { "auto", "newton", "cg" };
	static const char *const form[] = { "auto", "dense", "sparse" };

	switch (c) {
	case 'l':
		o->fit.est.l2 = opt_double(usage, "--l2", optarg, 0, 1e12);
		o->l2_given = 1;
		return 1;
	case 't':
		o->fit.est.tol = opt_double(usage, "--tol", optarg, 1e-15, 1);
		return 1;
	case 'i':
		o->fit.est.max_iter = (int)opt_long(usage, "--max-iter", optarg, 0,
		    1000000);
		return 1;
	case 'm':
		if ((o->fit.est.method = name_index(optarg, method, 3)) < 0)
			usage_error(NULL, "--method: auto, newton or cg, not "
			    "'%s'", optarg);
		return 1;
	case 'B':
		o->fit.bootstrap = (int)opt_long(usage, "--bootstrap", optarg, 0,
		    100000);
		return 1;
	case 's':
		o->fit.seed = opt_seed(usage, optarg);
		return 1;
	case 'a':
		/* 0 (the MLE), or from 1e-300 on: no subnormal A */
		o->fit.laplace = opt_double(usage, "--laplace", optarg, 0, 1e12);
		if (o->fit.laplace > 0 && o->fit.laplace < 1e-300)
			opt_double(usage, "--laplace", optarg, 1e-300, 1e12);
		o->laplace_given = 1;
		return 1;
	case 'F':
		if ((o->fit.form = name_index(optarg, form, 3)) < 0)
			usage_error(NULL, "--form: dense, sparse or auto, not "
			    "'%s'", optarg);
		return 1;
	case 'C':
		o->max_cost = opt_double(usage, "--max-cost", optarg, 0, 1e300);
		return 1;
	}
	return 0;
}

/* The options, as given. */
static void
options_parse(struct options *o, int argc, char **argv)
{
	const struct option longopts[] = {
		OPT_VALUE("vocab", 'K'), OPT_VALUE("max-vocab", 'X'),
		OPT_FLAG("text", &o->data.text), OPT_VALUE("window", 'w'),
		OPT_VALUE("l2", 'l'), OPT_VALUE("tol", 't'),
		OPT_VALUE("max-iter", 'i'), OPT_VALUE("method", 'm'),
		OPT_VALUE("bootstrap", 'B'), OPT_VALUE("seed", 's'),
		OPT_FLAG("brief", &o->fit.brief), OPT_FLAG("markov", &o->markov),
		OPT_FLAG("stderr", &o->stderr_given),
		OPT_VALUE("laplace", 'a'), OPT_VALUE("eval", 'E'),
		OPT_VALUE("embeddings", 'W'), OPT_VALUE("tie-tol", 'Y'),
		OPT_BARE("retie", 'Z'), OPT_VALUE("mix", 'x'),
		OPT_VALUE("dev-share", 'D'), OPT_BARE("progress", 'p'),
		OPT_BARE("quiet", 'q'), OPT_VALUE("rows", 'R'),
		OPT_BARE("merge", 'G'), OPT_VALUE("form", 'F'),
		OPT_VALUE("arpa", 'P'), OPT_FLAG("force", &o->force),
		OPT_VALUE("max-cost", 'C'), OPT_VALUE("weights", 'O'),
		TEXT_LONGOPTS, OPT_END
	};
	int c;

	while ((c = opt_next(argc, argv, "h", longopts)) != -1) {
		o->others += c != 'p' && c != 'q' && c != 'G';
		switch (c) {
		case 0:   /* a flag */
			break;
		case 'K':
			o->data.vocab = (int)opt_long(usage, "--vocab", optarg, 1,
			    MAX_SPARSE_VOCAB);
			break;
		case 'X':
			o->data.maxvocab = (int)opt_long(usage, "--max-vocab", optarg, 1,
			    MAX_SPARSE_VOCAB - 1);
			break;
		case 'w':
			o->data.window = (int)opt_long(usage, "--window", optarg, 1,
			    MAX_PROMPT);
			break;
		case 'D':
			o->data.dev_share = opt_double(usage, "--dev-share", optarg, 0,
			    0.9);
			o->dev_given = 1;
			break;
		case 'E':
			o->eval = opt_file("--eval", optarg);
			break;
		case 'W':
			o->embeddings = opt_file("--embeddings", optarg);
			break;
		case 'O':
			o->weights = opt_file("--weights", optarg);
			break;
		case 'Y':
			model_set_tie(opt_double(usage, "--tie-tol", optarg, 0, 1e-2),
			    -1);
			break;
		case 'Z':
			model_set_tie(-1, 1);
			break;
		case 'x':
			o->mix = opt_double(usage, "--mix", optarg, 0, 1);
			break;
		case 'p':
			o->progress = 1;
			break;
		case 'R':
			parse_rows(o, optarg);
			break;
		case 'G':
			o->merge = 1;
			break;
		case 'P':
			o->arpa = opt_file("--arpa", optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			if (!fit_option(o, c) &&
			    !text_option(&o->data.split, c, optarg, usage))
				common_option(c, usage, help);
		}
	}
}

/* What goes together, and the defaults that follow from the rest. */
static void
options_check(struct options *o)
{
	const char *why;

	input_text_hint = !o->data.text && !o->merge;
	if (o->merge && o->others)
		usage_error(NULL, "--merge takes its options from the shards' "
		    "records: only --progress and --quiet go with it");
	if (o->data.shards && (o->markov || o->eval || o->data.text ||
	    o->data.maxvocab || o->dev_given || o->laplace_given))
		usage_error(NULL, "--rows fits a CCMC on integer tokens: not with "
		    "--markov, --eval, --text, --max-vocab, --dev-share or "
		    "--laplace");
	if (o->data.vocab && o->data.maxvocab)
		usage_error(usage, "--vocab and --max-vocab exclude each other");
	if (o->markov && o->eval)
		usage_error(usage, "--markov and --eval exclude each other");
	if (o->eval && (o->data.vocab || o->data.maxvocab))
		usage_error(usage, "--eval takes K and the vocabulary from the model");
	if (o->mix >= 0 && !o->eval)
		usage_error(usage, "--mix goes with --eval");
	if (o->data.text && o->l2_given && o->fit.est.l2 == 0 && !o->markov &&
	    !o->eval)
		usage_error(NULL, "--l2 0 with --text: the plain MLE leaves the "
		    "logits of unseen words undetermined, and the record must be "
		    "complete to be sampled or scored; give --l2 LAMBDA > 0");
	if (o->stderr_given && (o->fit.brief || o->markov || o->eval))
		usage_error(NULL, "--stderr asks a CCMC fit for its standard "
		    "errors: not with --brief, --markov or --eval");
	if (o->dev_given && o->eval)
		usage_error(usage, "--dev-share goes with a fit, not --eval");
	if (text_options_given(&o->data.split) && !o->data.text)
		usage_error(usage, "--lower, --punct, --chunk and --pieces go "
		    "with --text");
	if (o->laplace_given && o->fit.laplace == 0 && !o->markov)
		usage_error(NULL, "--laplace 0 goes with --markov (the plain MLE "
		    "bigram): a CCMC's unigram background must give every token "
		    "a positive probability");
	if (o->laplace_given && o->fit.laplace == 0 && o->fit.form == FIT_DENSE)
		usage_error(NULL, "--laplace 0 --form dense: the MLE's zeros are "
		    "logits of minus infinity, which a dense record cannot hold");
	if (o->arpa && (!o->markov || o->laplace_given))
		usage_error(NULL, "--arpa writes the Kneser-Ney bigram: it goes "
		    "with --markov, without --laplace");
	if (o->embeddings && o->data.shards)
		usage_error(NULL, "--rows with --embeddings: the rows share one W, "
		    "and every Newton step needs every sample's attention at the "
		    "current W, so no shard can be fitted alone and merged; fit W "
		    "in one run");
	if (o->embeddings && (o->markov || o->eval || o->data.text ||
	    o->data.window || o->data.vocab || o->data.maxvocab))
		usage_error(NULL, "--embeddings fits W to integer samples: not with "
		    "--markov, --eval, --text, --window, --vocab or --max-vocab");
	if (o->weights && !o->embeddings)
		usage_error(NULL, "--weights writes the model of --embeddings: it "
		    "goes with --embeddings");
	if (o->weights && (why = weights_unwritable(o->weights, W_F64)))
		usage_error(NULL, "--weights %s: %s", o->weights, why);
	/* a CCMC on text needs held-out steps for its mix weight */
	if (!o->dev_given && !o->markov && !o->eval && o->data.text)
		o->data.dev_share = 0.1;
	if (isatty(2))
		o->progress = 1;
	o->fit.vocab = o->data.vocab;
	o->fit.window = o->data.window;
}

int
main(int argc, char **argv)
{
	struct options o = { .fit = { .est = EST_OPTIONS_DEFAULT,
	    .seed = RNG_DEFAULT_SEED, .laplace = 1 }, .mix = -1,
	    .max_cost = FIT_MAX_COST };
	struct dataset d;

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	options_parse(&o, argc, argv);
	options_check(&o);
	if (o.embeddings || o.merge) {
		if (o.embeddings)
			fit_w(&o, argc - optind, argv + optind);
		else
			shard_merge(argc - optind, argv + optind);
		out_flush();
		return 0;
	}
	o.data.fit = !o.markov && !o.eval;
	dataset_init(&d, &o.data);
	if (o.eval)
		evaluate(&d, &o, argc - optind, argv + optind);
	else {
		dataset_read(&d, argc - optind, argv + optind);
		if (o.markov)
			fit_markov(&d, &o);
		else
			fit_ccmc(&d, &o);
	}
	out_flush();
	dataset_free(&d);
	return 0;
}
