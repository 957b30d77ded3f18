/*
 * attn-to-ccmc: turn attention models into their context-conditioned
 * Markov chains; every other record passes through unchanged.  With
 * --check, each model's forward pass is compared with its CCMC on the
 * user's prompts, the last step of bringing one's own weights in.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccmc.h"
#include "chain.h"
#include "layerdist.h"
#include "model.h"
#include "numeric.h"
#include "stream.h"
#include "util.h"

static const char usage[] =
"usage: attn-to-ccmc [--analyze] [--tie-tol X] [--retie] [--check PROMPTS]\n"
"                    [--head tied|linear|softmax] [file ...]\n";

static const char help[] =
"Read attn-model records and write each one's CCMC: logits A = E W E^T\n"
"(each row of mean 0), base chain P = row-softmax(A), and position weights\n"
"posw when the model has positional encodings.  A model with no exact CCMC\n"
"is refused, unless --check gives prompts: then the CCMC of its scores is\n"
"written with \"distance\", how far the model's law is from it there.\n"
"Records of other types pass through unchanged, in order.\n"
"\n"
"  --analyze        add \"chain\": communicating classes, their periods,\n"
"                   stationary laws and mean first-passage times, absorption\n"
"                   probabilities, entropy rate and self-dominant tokens of\n"
"                   P; ccmc records in the input are analysed too\n"
"  --tie-tol X      accept max|C E^T - I|, max|C r_t| and the separation of\n"
"                   tokens and positions up to X (default 1e-9), e.g. 1e-6\n"
"                   for float32 weights\n"
"  --retie          first replace C by (E E^T)^-1 E, tied to E; \"meta\"\n"
"                   \"retie\" says how much the tie and C changed\n"
"  --check PROMPTS  compare the forward pass with the CCMC on the prompt\n"
"                   records of PROMPTS; add \"check\", and fail (65) when\n"
"                   they differ by more than max(1e-9, 10 X); prompts that\n"
"                   carry \"p\" are compared with the forward pass too;\n"
"                   add \"distance\": the total-variation distance between\n"
"                   the model's law and the CCMC's on them, and for a model\n"
"                   with no exact CCMC, \"nearest\": from the CCMC nearest it\n"
"                   in KL on them\n"
"  --head H         the law of the head C: tied (default: C E^T = I),\n"
"                   linear (C x_att clamped at 0, normalised) or softmax\n"
"                   (softmax(C x_att)); default: the record's \"head\"\n"
"  -h, --help       this text;  --version  the version\n";

struct options {
	int     analyze, retie;
	double  tol;
	char   *check;
};

/* A model with no exact CCMC, but a law (learned positions, an untied or
 * softmax head): with prompts, the CCMC of its scores into c; else
 * refused, with why. */
static void
inexact(const struct input *in, const struct options *o,
    const struct attn_model *m, struct ccmc *c, const char *why)
{
	char lawwhy[256];

	if (m->K > MAX_VOCAB || !model_law_ok(m, lawwhy, sizeof lawwhy))
		input_fail(in, "%s", why);
	if (!o->check)
		input_fail(in, "%s; --check PROMPTS measures how far it is from the "
		    "CCMC of its scores on those prompts", why);
	ccmc_of_scores(m, c);
}

/* A record that passes through: a type close to attn-model is most often
 * a model misnamed, so say so (once; its line and type are kept). */
struct misnamed {
	long line;
	char type[48];
};

static void
pass_through(const struct input *in, const char *type, struct misnamed *mis)
{
	char low[64];
	size_t n = 0;

	for (; type[n] && n + 1 < sizeof low; n++)
		low[n] = type[n] == '_' || type[n] == ' ' ? '-' :
		    (char)tolower((unsigned char)type[n]);
	low[n] = '\0';
	if (!mis->line && (near_name(low, "attn-model") ||
	    strcmp(low, "attn-model") == 0)) {
		mis->line = in->line;
		snprintf(mis->type, sizeof mis->type, "%.40s", type);
		note("%s:%ld: a record of type \"%s\" passes through unchanged: "
		    "did you mean \"attn-model\"?", in->name, in->line, mis->type);
	}
	out_raw(in->buf, in->len);
	out_end();
}

/* A ccmc record (fitted, Kneser-Ney or converted) with its base chain
 * analysed: P as it stands, nulls (entries a fit left undetermined)
 * making their rows undetermined. */
static void
analyze_ccmc(const struct input *in, json_t *rec)
{
	int K = (int)field_long(in, rec, "K", 1, MAX_VOCAB);
	double *P = field_matrix(in, rec, "P", K, K, 1);

	for (int i = 0; i < K; i++) {
		double sum = 0;
		int null = 0;

		for (int j = 0; j < K; j++) {
			double p = P[(size_t)i * K + j];

			null |= isnan(p);
			if (p < 0) {
				free(P);
				input_fail(in, "P[%d][%d] is negative", i, j);
			}
			sum += isnan(p) ? 0 : p;
		}
		if (!null && fabs(sum - 1) > 1e-9) {
			free(P);
			input_fail(in, "row %d of P sums to %.17g, not 1", i, sum);
		}
	}
	json_object_set_new(rec, "chain", chain_analyze(P, K));
	free(P);
	out_json(rec);
	out_end();
}

/* A sparse ccmc record analysed as its dense equivalent: P the softmax of
 * each row as written (a row leaving a logit undetermined is null), the
 * header printed with "chain", then its rows as read.  Past the dense
 * form's K, where the analysis of a K x K P is out of reach, refused. */
static void
analyze_sparse(struct input *in, json_t *rec)
{
	json_int_t K = json_integer_value(json_object_get(rec, "K"));
	struct ccmc c;
	double *P;

	if (K > MAX_VOCAB)
		input_fail(in, "--analyze: the chain analysis needs the dense K x K "
		    "P, which stops at K = %d; this sparse ccmc has K = %lld",
		    MAX_VOCAB, (long long)K);
	ccmc_read(in, rec, &c, CCMC_KEEP_ROWS | CCMC_AS_WRITTEN);
	P = xmalloc((size_t)K * K * sizeof *P);
	for (int i = 0; i < K; i++) {
		double *row = P + (size_t)i * K;

		logits_full_row(&c.lg, i, row);
		softmax(row, row, (int)K);
	}
	json_object_set_new(rec, "chain", chain_analyze(P, (int)K));
	free(P);
	out_json(rec);
	out_end();
	ccmc_write_rows(&c);
	ccmc_free(&c);
}

static void
parse_options(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "analyze", no_argument, NULL, 'a' },
		{ "tie-tol", required_argument, NULL, 't' },
		{ "retie", no_argument, NULL, 'r' },
		{ "check", required_argument, NULL, 'c' },
		{ "head", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = opt_next(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'a':
			o->analyze = 1;
			break;
		case 't':
			o->tol = opt_double(usage, "--tie-tol", optarg, 0, 1e-2);
			break;
		case 'r':
			o->retie = 1;
			break;
		case 'c':
			o->check = opt_file("--check", optarg);
			break;
		case 'H':
			model_head_option(optarg);
			break;
		default:
			common_option(c, usage, help);
		}
	}
}

int
main(int argc, char **argv)
{
	struct options o = { .tol = TIE_TOL };
	struct check_prompts ps;
	struct input in;
	json_t *rec;
	int nmodels = 0;
	struct misnamed mis = { 0 };

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	parse_options(&o, argc, argv);
	if (o.check)
		check_prompts_read(&ps, o.check);

	input_open(&in, argc - optind, argv + optind);
	while ((rec = input_record(&in))) {
		struct attn_model model;
		struct ccmc chain;
		json_t *extra = NULL;
		char why[256];
		int exact;

		if (o.analyze && strcmp(record_type(rec), "ccmc") == 0) {
			if (ccmc_record_sparse(&in, rec))
				analyze_sparse(&in, rec);
			else
				analyze_ccmc(&in, rec);
			nmodels++;
			json_decref(rec);
			continue;
		}
		if (strcmp(record_type(rec), "attn-model") != 0) {
			pass_through(&in, record_type(rec), &mis);
			json_decref(rec);
			continue;
		}
		model_parse(&in, rec, &model);
		model.tol = o.tol;
		nmodels++;
		if (o.retie && model_retie(&model) != 0)
			input_fail(&in, "--retie: E E^T is singular, so no head is "
			    "tied to these embeddings");
		if (o.analyze || o.check)
			extra = json_object();
		exact = ccmc_from_model(&model, &chain, why, sizeof why) == 0;
		if (!exact)
			inexact(&in, &o, &model, &chain, why);
		if (o.check)
			layer_report(&ps, &model, &chain, exact ? NULL : why, extra);
		if (o.analyze)
			jset(extra, "chain", chain_analyze(chain.P, chain.K));
		ccmc_write(&chain, extra);
		if (extra)
			json_decref(extra);
		ccmc_free(&chain);
		model_free(&model);
		json_decref(rec);
	}
	/* An empty stream is most often a failed stage upstream: say so. */
	if (nmodels == 0 && mis.line)
		input_fail(&in, "no attn-model record in the input; line %ld has "
		    "type \"%s\": did you mean \"attn-model\"?", mis.line,
		    mis.type);
	if (nmodels == 0)
		input_fail(&in, "no attn-model record in the input");
	input_close(&in);
	out_flush();
	if (o.check)
		check_prompts_free(&ps);
	return 0;
}
