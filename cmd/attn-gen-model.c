/*
 * attn-gen-model: make a ground-truth one-layer attention model and print
 * it as an attn-model record.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "rng.h"
#include "stream.h"
#include "util.h"
#include "weights.h"

static const char usage[] =
"usage: attn-gen-model [--vocab K] [--dim D] [--seed S] [--scale X]\n"
"                      [--embed onehot|gaussian] [--diag B] [--headless]\n"
"                      [--pos LMAX [--recency G | --pos-dim P --pos-scale X]]\n"
"                      [--weights FILE [--dtype T] [--compress]]\n";

static const char help[] =
"Make a one-layer self-attention model (E, W, tied head C with C E^T = I,\n"
"optional positional encodings) and print it as one attn-model record.\n"
"\n"
"  --vocab K        vocabulary size (default 8)\n"
"  --dim D          embedding dimension (default: K, plus room for positions)\n"
"  --seed S         random seed (default 1)\n"
"  --scale X        standard deviation of the entries of W; larger means\n"
"                   sharper attention (default 1)\n"
"  --embed KIND     onehot (default) or gaussian embeddings\n"
"  --diag B         add B to every diagonal logit A_kk (default 0)\n"
"  --headless       no output head (\"C\": null): the next token is the\n"
"                   token at the attended position; any --dim with\n"
"                   --embed gaussian, --vocab up to 1048576\n"
"  --pos LMAX       add positional encodings for LMAX positions, in a\n"
"                   subspace separate from the tokens (exact CCMC)\n"
"  --recency G      positions weigh exp(-G (L - t) / LMAX): a recency bias\n"
"  --pos-dim P      dimensions of random positional encodings (default 4)\n"
"  --pos-scale X    spread of the random position scores (default 1)\n"
"  --weights FILE   write E, W, C and R to FILE (.safetensors or .npz) and\n"
"                   print the record that names it\n"
"  --dtype T        of the weights: float64 (default), float32, float16,\n"
"                   bfloat16 (.safetensors only)\n"
"  --compress       deflate the members of a .npz (np.savez_compressed)\n"
"  -h, --help       this text;  --version  the version\n";

/* What the options ask for, beside the model's spec. */
struct request {
	const char *weights;     /* --weights FILE, or NULL: JSON arrays */
	int dtype;               /* --dtype, or -1 */
	int compress;            /* WEIGHTS_DEFLATE with --compress */
	int pos_random_opts;     /* --pos-dim or --pos-scale given */
};

/* The dtype of --weights as weights_write takes it (float64 by default). */
static int
weights_dtype(const struct request *rq)
{
	return (rq->dtype < 0 ? W_F64 : rq->dtype) | rq->compress;
}

static void
parse_options(int argc, char **argv, struct model_spec *spec,
    struct request *rq)
{
	static const struct option longopts[] = {
		{ "vocab", required_argument, NULL, 'K' },
		{ "dim", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "scale", required_argument, NULL, 'x' },
		{ "embed", required_argument, NULL, 'e' },
		{ "diag", required_argument, NULL, 'b' },
		{ "pos", required_argument, NULL, 'p' },
		{ "recency", required_argument, NULL, 'r' },
		{ "pos-dim", required_argument, NULL, 'D' },
		{ "pos-scale", required_argument, NULL, 'S' },
		{ "headless", no_argument, NULL, 'H' },
		{ "weights", required_argument, NULL, 'w' },
		{ "dtype", required_argument, NULL, 't' },
		{ "compress", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = opt_next(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'K':
			spec->K = (int)opt_long(usage, "--vocab", optarg, 1,
			    MAX_MODEL_VOCAB);
			break;
		case 'd':
			spec->d = (int)opt_long(usage, "--dim", optarg, 1, MAX_DIM);
			break;
		case 's':
			spec->seed = opt_seed(usage, optarg);
			break;
		case 'x':
			spec->scale = opt_double(usage, "--scale", optarg, 0, 1e3);
			break;
		case 'e':
			if (strcmp(optarg, "onehot") == 0)
				spec->gaussian = 0;
			else if (strcmp(optarg, "gaussian") == 0)
				spec->gaussian = 1;
			else
				usage_error(NULL, "--embed: expected onehot or gaussian, "
				    "not '%s'", optarg);
			break;
		case 'b':
			spec->diag = opt_double(usage, "--diag", optarg, -1e3, 1e3);
			break;
		case 'p':
			spec->lmax = (int)opt_long(usage, "--pos", optarg, 1, MAX_LMAX);
			break;
		case 'r':
			spec->recency = 1;
			spec->pos_scale = opt_double(usage, "--recency", optarg, -1e3,
			    1e3);
			break;
		case 'D':
			spec->pos_dim = (int)opt_long(usage, "--pos-dim", optarg, 1, 64);
			rq->pos_random_opts = 1;
			break;
		case 'S':
			spec->pos_scale = opt_double(usage, "--pos-scale", optarg, 0,
			    1e3);
			rq->pos_random_opts = 1;
			break;
		case 'H':
			spec->headless = 1;
			break;
		case 'w':
			rq->weights = opt_file("--weights", optarg);
			break;
		case 't':
			if ((rq->dtype = wdtype_parse(optarg)) < 0)
				usage_error(usage, "--dtype: float64, float32, float16 or "
				    "bfloat16, not '%s'", optarg);
			break;
		case 'z':
			rq->compress = WEIGHTS_DEFLATE;
			break;
		default:
			common_option(c, usage, help);
		}
	}
	if (optind < argc)
		usage_error(usage, "unexpected operand '%s'", argv[optind]);
}

/* Options that contradict each other, and a record no reader would take. */
static void
check_options(const struct model_spec *spec, const struct request *rq)
{
	const char *w = rq->weights, *why;
	double bound;
	int d;

	if ((spec->recency || rq->pos_random_opts) && !spec->lmax)
		usage_error(usage, "--recency, --pos-dim and --pos-scale need --pos");
	if (spec->recency && rq->pos_random_opts)
		usage_error(usage, "--recency excludes --pos-dim and --pos-scale");
	if (spec->K > MAX_VOCAB && !spec->headless)
		usage_error(NULL, "--vocab: %d is beyond [1, %d] for a model with "
		    "a head (it needs d >= K); --headless goes to %d", spec->K,
		    MAX_VOCAB, MAX_MODEL_VOCAB);
	if (spec->d && spec->d < spec->K && !spec->headless)
		usage_error(NULL, "--dim %d is smaller than --vocab %d", spec->d,
		    spec->K);
	if (rq->dtype >= 0 && !w)
		usage_error(usage, "--dtype goes with --weights");
	if (rq->compress && (!w || !ends_with(w, ".npz")))
		usage_error(usage, "--compress goes with --weights FILE.npz");
	/* said before the model is made (minutes at the limits) */
	if (w && (why = weights_unwritable(w, weights_dtype(rq))))
		usage_error(NULL, "--weights %s: %s", w, why);

	/* every reader refuses a longer line: refuse to write one, from the
	 * sizes alone, before the model is made (minutes at the limits); d as
	 * model_generate makes it: K plus the dimensions of the positions.
	 * Weight files have no such limit. */
	d = spec->d ? spec->d : spec->K + (spec->lmax ? (spec->recency ? 2 :
	    spec->pos_dim) : 0);
	bound = model_json_bound(spec->K, d, spec->lmax, !spec->headless,
	    spec->gaussian ? MODEL_NUMBER_BYTES : 4, 1024);
	if (!w && bound > MAX_LINE_BYTES)
		usage_error(NULL, "K %d, d %d, %s embeddings, LMAX %d: the record "
		    "may take %.0f bytes, more than the %ld of a line that every "
		    "reader takes (LIMITS in attn-gen-model(1); --weights FILE "
		    "keeps the arrays out of the line)", spec->K, d,
		    spec->gaussian ? "gaussian" : "one-hot", spec->lmax, bound,
		    MAX_LINE_BYTES);
}

int
main(int argc, char **argv)
{
	struct model_spec spec = {
		.K = 8, .scale = 1, .pos_dim = 4, .pos_scale = 1,
		.seed = RNG_DEFAULT_SEED,
	};
	struct request rq = { .dtype = -1 };
	struct attn_model model;
	char why[256];

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	parse_options(argc, argv, &spec, &rq);
	check_options(&spec, &rq);
	if (model_generate(&spec, &model, why, sizeof why) != 0)
		usage_error(NULL, "%s", why);
	model_output(&model, rq.weights, weights_dtype(&rq));
	out_flush();
	model_free(&model);
	return 0;
}
