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

/* The prompt records of a --check file, with their lines for messages. */
struct prompts {
	const char *file;
	long    n;
	int   **tok, *len;
	long   *line;
	double **p;           /* the user's own "p" (plen entries), or NULL */
	int    *plen;
};

/* A prompt record's "p": probabilities the user computed elsewhere. */
static void
user_p(struct prompts *ps, const struct input *in, json_t *rec)
{
	json_t *a = json_object_get(rec, "p"), *v;
	size_t i;

	ps->p[ps->n] = NULL;
	ps->plen[ps->n] = 0;
	if (!a)
		return;
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > MAX_MODEL_VOCAB)
		input_fail(in, "\"p\" must be an array of K probabilities");
	ps->p[ps->n] = xmalloc(json_array_size(a) * sizeof **ps->p);
	json_array_foreach(a, i, v) {
		double x = json_number_value(v);

		if (!json_is_number(v) || !(x >= 0 && x <= 1))
			input_fail(in, "\"p\"[%zu] is not a probability", i);
		ps->p[ps->n][i] = x;
	}
	ps->plen[ps->n] = (int)json_array_size(a);
}

static void
prompts_read(struct prompts *ps, char *file)
{
	struct input in;
	json_t *rec;
	long cap = 0;

	memset(ps, 0, sizeof *ps);
	ps->file = file;
	input_open(&in, 1, &file);
	while ((rec = input_record(&in))) {
		if (strcmp(record_type(rec), "prompt") != 0)
			input_fail(&in, "--check needs prompt records, not \"%.40s\"",
			    record_type(rec));
		if (ps->n == cap) {
			cap = cap ? 2 * cap : 64;
			ps->tok = xrealloc(ps->tok, checked_size((size_t)cap,
			    sizeof *ps->tok));
			ps->len = xrealloc(ps->len, checked_size((size_t)cap,
			    sizeof *ps->len));
			ps->line = xrealloc(ps->line, checked_size((size_t)cap,
			    sizeof *ps->line));
			ps->p = xrealloc(ps->p, (size_t)cap * sizeof *ps->p);
			ps->plen = xrealloc(ps->plen, (size_t)cap * sizeof *ps->plen);
		}
		ps->tok[ps->n] = field_tokens(&in, rec, "prompt", MAX_VOCAB, NULL,
		    &ps->len[ps->n]);
		if (ps->len[ps->n] == 0)
			input_fail(&in, "empty prompt");
		user_p(ps, &in, rec);
		ps->line[ps->n++] = in.line;
		json_decref(rec);
	}
	if (ps->n == 0)
		input_fail(&in, "no prompt record to --check on");
	input_close(&in);
}

static void
prompts_free(struct prompts *ps)
{
	for (long i = 0; i < ps->n; i++) {
		free(ps->tok[i]);
		free(ps->p[i]);
	}
	free(ps->p);
	free(ps->plen);
	free(ps->tok);
	free(ps->len);
	free(ps->line);
}

/* The forward pass against the "p" the user computed in their own
 * framework, where the prompts carry one: "user" of "check", and past
 * max(1e-6, 10 X) (single precision, summed over a prompt), an error at
 * the prompt where they differ most: a W transposed, or another layer. */
static json_t *
check_user(const struct prompts *ps, const struct attn_model *m, double *p,
    double *work)
{
	struct input at = { .name = ps->file };
	double worst = -1, bound = fmax(1e-6, 10 * m->tol);
	long where = 0, n = 0;

	for (long s = 0; s < ps->n; s++) {
		double diff = 0;

		if (!ps->p[s])
			continue;
		at.line = ps->line[s];
		if (ps->plen[s] != m->K)
			input_fail(&at, "\"p\" has %d entries, the model K = %d",
			    ps->plen[s], m->K);
		attn_law(m, ps->tok[s], ps->len[s], p, work);
		for (int k = 0; k < m->K; k++)
			diff = fmax(diff, fabs(p[k] - ps->p[s][k]));
		n++;
		if (!(diff <= worst)) {
			worst = diff;
			where = s;
		}
	}
	if (!n)
		return json_null();
	at.line = ps->line[where];
	if (!(worst <= bound))
		input_fail(&at, "the forward pass and this prompt's \"p\" differ by "
		    "%.3g > %.3g: not the layer that computed p (W transposed? "
		    "\"query\":\"right\" in ccmc-records(5))", worst, bound);
	return jpack("{s:I,s:o,s:o,s:I}", "prompts", (json_int_t)n,
	    "max_abs_diff", jreal(worst), "bound", jreal(bound), "worst_line",
	    (json_int_t)ps->line[where]);
}

/* Every prompt within the model: tokens below K, at most LMAX of them. */
static void
prompts_fit(const struct prompts *ps, const struct attn_model *m)
{
	struct input at = { .name = ps->file };

	for (long s = 0; s < ps->n; s++) {
		at.line = ps->line[s];
		for (int k = 0; k < ps->len[s]; k++)
			if (ps->tok[s][k] >= m->K)
				input_fail(&at, "token %d out of range (K = %d)",
				    ps->tok[s][k], m->K);
		if (m->lmax && ps->len[s] > m->lmax)
			input_fail(&at, "prompt of %d tokens is longer than the "
			    "model's LMAX %d", ps->len[s], m->lmax);
	}
}

/* "distance": how far the model's law is from the CCMC c on the prompts
 * (lib/layerdist); why: why the model has no exact CCMC, or NULL. */
static json_t *
distance(const struct prompts *ps, const struct attn_model *m,
    const struct ccmc *c, const char *why)
{
	struct layer_distance r;

	prompts_fit(ps, m);
	layer_distance(m, c, ps->n, ps->tok, ps->len, &r);
	return jpack("{s:b,s:o,s:s,s:I,s:f,s:f,s:I,s:f,s:f}", "exact", !why,
	    "why", why ? jstr(why) : json_null(), "to", "the CCMC of the "
	    "scores, A = E W E^T (posw from R W R^T)", "prompts",
	    (json_int_t)r.prompts, "max_tv", r.max_tv, "mean_tv", r.mean_tv,
	    "worst_line", (json_int_t)ps->line[r.worst], "max_off_prompt",
	    r.max_out, "mean_off_prompt", r.mean_out);
}

/* "nearest": how far the model's law is from the CCMC nearest it in KL on
 * the prompts (lib/layerdist, ours), a tighter upper bound than the CCMC
 * of the scores. */
static json_t *
nearest(const struct prompts *ps, const struct attn_model *m)
{
	struct layer_distance r;
	struct layer_fit f;
	struct ccmc c;

	layer_nearest(m, ps->n, ps->tok, ps->len, &c, &f);
	layer_distance(m, &c, ps->n, ps->tok, ps->len, &r);
	ccmc_free(&c);
	return jpack("{s:s,s:f,s:f,s:I,s:f,s:b,s:i,s:I,s:I}", "to", "the CCMC "
	    "without positions nearest the layer in Kullback-Leibler divergence "
	    "on the prompts (ours)", "max_tv", r.max_tv, "mean_tv", r.mean_tv,
	    "worst_line", (json_int_t)ps->line[r.worst], "loglik", f.loglik,
	    "converged", f.converged, "iterations", f.iters, "rows",
	    (json_int_t)f.rows, "undetermined", (json_int_t)f.undetermined);
}

/* A model with no exact CCMC, but a law (learned positions, an untied or
 * softmax head): with prompts, the CCMC of its scores and "distance";
 * else refused, with why. */
static json_t *
inexact(const struct input *in, const struct options *o,
    const struct prompts *ps, const struct attn_model *m, struct ccmc *c,
    const char *why)
{
	char lawwhy[256];
	json_t *d;
	size_t nwork = (size_t)m->K;
	double *p, *work;

	if (m->K > MAX_VOCAB || !model_law_ok(m, lawwhy, sizeof lawwhy))
		input_fail(in, "%s", why);
	if (!o->check)
		input_fail(in, "%s; --check PROMPTS measures how far it is from the "
		    "CCMC of its scores on those prompts", why);
	ccmc_of_scores(m, c);
	d = distance(ps, m, c, why);
	jset(d, "nearest", nearest(ps, m));
	for (long s = 0; s < ps->n; s++)
		if (model_work_size(m, ps->len[s]) > nwork)
			nwork = model_work_size(m, ps->len[s]);
	p = xmalloc((size_t)m->K * sizeof *p);
	work = xmalloc(checked_size(nwork, sizeof *work));
	jset(d, "user", check_user(ps, m, p, work));
	free(p);
	free(work);
	return d;
}

/* The largest difference between the forward pass's law (attn_law) and the
 * CCMC over the prompts, as "check"; past the bound, an error at the
 * prompt where it is largest.  With C E^T = I + D and |C r_t| <= X the
 * two differ by at most 2 X per entry (alpha sums to 1), so 10 X leaves
 * room for rounding and the separation terms. */
static json_t *
check(const struct prompts *ps, const struct attn_model *m,
    const struct ccmc *c)
{
	struct input at = { .name = ps->file };
	double *p = xmalloc(2 * (size_t)m->K * sizeof *p), *q = p + m->K;
	double *work = NULL, worst = 0, bound = fmax(1e-9, 10 * m->tol);
	size_t nwork = 0;
	long where = 0;
	json_t *user;

	prompts_fit(ps, m);
	for (long s = 0; s < ps->n; s++) {
		const int *t = ps->tok[s];
		int L = ps->len[s];
		double diff = 0;

		at.line = ps->line[s];
		if (model_work_size(m, L) > nwork || (size_t)m->K > nwork) {
			/* ccmc_probs needs K: more than 2d + L when headless */
			nwork = model_work_size(m, L) > (size_t)m->K ?
			    model_work_size(m, L) : (size_t)m->K;
			work = xrealloc(work, checked_size(nwork, sizeof *work));
		}
		attn_law(m, t, L, p, work);
		ccmc_probs(c, t, L, q, work);
		for (int k = 0; k < m->K; k++)
			diff = fmax(diff, fabs(p[k] - q[k]));
		if (isnan(diff))
			diff = INFINITY;
		if (diff <= worst)
			continue;
		worst = diff;
		where = s;
	}
	user = check_user(ps, m, p, work);
	free(p);
	free(work);
	at.line = ps->line[where];
	if (!(worst <= bound))
		input_fail(&at, "the forward pass and the CCMC differ by %.3g > "
		    "%.3g on this prompt: the model has no exact CCMC here",
		    worst, bound);
	return jpack("{s:I,s:o,s:o,s:I,s:o}", "prompts", (json_int_t)ps->n,
	    "max_abs_diff", jreal(worst), "bound", jreal(bound), "worst_line",
	    (json_int_t)ps->line[where], "user", user);
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
			o->check = optarg;
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
	struct prompts ps;
	struct input in;
	json_t *rec;
	int nmodels = 0;
	struct misnamed mis = { 0 };

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	parse_options(&o, argc, argv);
	if (o.check)
		prompts_read(&ps, o.check);

	input_open(&in, argc - optind, argv + optind);
	while ((rec = input_record(&in))) {
		struct attn_model model;
		struct ccmc chain;
		json_t *extra = NULL;
		char why[256];

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
		if (ccmc_from_model(&model, &chain, why, sizeof why) != 0)
			jset(extra, "distance", inexact(&in, &o, &ps, &model, &chain,
			    why));
		else if (o.check) {
			jset(extra, "check", check(&ps, &model, &chain));
			jset(extra, "distance", distance(&ps, &model, &chain, NULL));
		}
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
		prompts_free(&ps);
	return 0;
}
