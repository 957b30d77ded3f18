/*
 * ccmc-estimate: learn a CCMC from samples and trajectories by maximum
 * likelihood, and say what the data determine and how well.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccmc.h"
#include "estimate.h"
#include "model.h"
#include "numeric.h"
#include "rng.h"
#include "sampleset.h"
#include "stream.h"
#include "util.h"

static const char usage[] =
"usage: ccmc-estimate [--vocab K] [--window L] [--l2 LAMBDA] [--tol X]\n"
"                     [--max-iter N] [--method auto|newton|cg]\n"
"                     [--bootstrap B] [--seed S] [--progress] [file ...]\n";

static const char help[] =
"Fit the logits A of a context-conditioned Markov chain to sample and\n"
"trajectory records by maximum likelihood, row by row, and print one ccmc\n"
"record: A and P (null where the data do not determine them), \"fit\",\n"
"\"identifiability\", \"stderr\", and \"error\" against a ground-truth\n"
"attn-model or ccmc record in the input.\n"
"\n"
"  --vocab K       vocabulary size when no ground truth gives it\n"
"                  (default: largest token + 1)\n"
"  --window L      keep only the last L tokens of each context; steps whose\n"
"                  token falls outside the window are skipped and counted\n"
"  --l2 LAMBDA     ridge: subtract LAMBDA/2 sum A_ij^2 (default 0: the plain\n"
"                  MLE; where it does not exist, the tokens it sends to\n"
"                  probability 0 are reported)\n"
"  --tol X         stop at max |gradient| / samples <= X (default 1e-8)\n"
"  --max-iter N    iterations per row (default 200)\n"
"  --method M      newton (dense), cg (Newton-CG) or auto (default: newton\n"
"                  up to 160 tokens per row)\n"
"  --bootstrap B   add 95% percentile intervals from B resamples\n"
"  --seed S        seed of the resampling (default 1)\n"
"  --progress      report progress on stderr\n"
"  -h, --help      this text;  --version  the version\n";

struct options {
	struct est_options est;
	int      vocab, window, bootstrap, progress;
	uint64_t seed;
};

/* What has been read: the samples, and the ground truth if any. */
struct reading {
	struct sampleset *set;
	struct ccmc truth;
	int      have_truth, K;
	const char *ksource;
	long     skipped;     /* steps outside the window */
	int     *ctx, ctxcap; /* scratch: a context, oldest first */
	double  *w;           /* scratch: its position weights */
};

/* ---- reading ---- */

static void
grow(struct reading *rd, int n)
{
	if (n <= rd->ctxcap)
		return;
	rd->ctxcap = n > 2 * rd->ctxcap ? n : 2 * rd->ctxcap;
	rd->ctx = xrealloc(rd->ctx, (size_t)rd->ctxcap * sizeof *rd->ctx);
	rd->w = xrealloc(rd->w, (size_t)rd->ctxcap * sizeof *rd->w);
}

static struct sampleset *
samples(struct reading *rd)
{
	if (!rd->set)
		rd->set = sampleset_new(rd->have_truth && rd->truth.lmax > 0);
	return rd->set;
}

/* The position weights of a context of L tokens, or NULL for counts. */
static const double *
weights(struct reading *rd, const struct input *in, int L)
{
	if (!rd->set->weighted)
		return NULL;
	if (L > rd->truth.lmax)
		input_fail(in, "context of %d tokens is longer than LMAX = %d of "
		    "the positional weights", L, rd->truth.lmax);
	return rd->truth.posw + (size_t)(L - 1) * rd->truth.lmax;
}

static void
check_tokens(const struct reading *rd, const struct input *in, const int *t,
    int n)
{
	int K = rd->K ? rd->K : MAX_VOCAB;

	for (int j = 0; j < n; j++)
		if (t[j] < 0 || t[j] >= K)
			input_fail(in, "token %d out of range (K = %d)", t[j], K);
}

static void
add_sample(struct reading *rd, const struct input *in, const int *prompt,
    int L, int y, int window)
{
	if (L < 1)
		input_fail(in, "empty prompt");
	check_tokens(rd, in, prompt, L);
	check_tokens(rd, in, &y, 1);
	if (window && L > window) {
		prompt += L - window;
		L = window;
	}
	samples(rd);
	if (sampleset_add(rd->set, prompt, L, y, weights(rd, in, L)) != 0) {
		if (window) {
			rd->skipped++;
			return;
		}
		input_fail(in, "y = %d is not in its prompt (a CCMC gives it "
		    "probability 0)", y);
	}
}

static void
add_trajectory(struct reading *rd, const struct input *in, const int *prompt,
    int L, const int *tokens, int T, int window)
{
	struct context c;
	int K = rd->K ? rd->K : MAX_VOCAB;

	if (L < 1)
		input_fail(in, "empty prompt");
	check_tokens(rd, in, prompt, L);
	check_tokens(rd, in, tokens, T);
	samples(rd);
	context_init(&c, K, window);
	for (int t = 0; t < L; t++)
		context_push(&c, prompt[t]);
	for (int k = 0; k < T; k++) {
		int query = k ? tokens[k - 1] : prompt[L - 1], ok;

		if (rd->set->weighted) {
			grow(rd, c.len);
			context_tokens(&c, rd->ctx);
			ok = sampleset_add(rd->set, rd->ctx, c.len, tokens[k],
			    weights(rd, in, c.len)) == 0;
		} else
			ok = sampleset_add_context(rd->set, &c, query,
			    tokens[k]) == 0;
		if (!ok && !window) {
			context_free(&c);
			input_fail(in, "token %d at step %d is not in its context "
			    "(a CCMC gives it probability 0)", tokens[k], k);
		}
		rd->skipped += !ok;
		context_push(&c, tokens[k]);
	}
	context_free(&c);
}

static void
add_truth(struct reading *rd, const struct input *in, json_t *rec,
    const struct options *o)
{
	struct ccmc c;

	if (strcmp(record_type(rec), "ccmc") == 0)
		ccmc_parse(in, rec, &c);
	else {
		struct attn_model m;
		char why[256];

		model_parse(in, rec, &m);
		if (ccmc_from_model(&m, &c, why, sizeof why) != 0)
			input_fail(in, "%s", why);
		model_free(&m);
	}
	if (rd->have_truth) {
		if (c.K != rd->truth.K)
			input_fail(in, "mixed K: this record has K = %d, an earlier "
			    "one K = %d", c.K, rd->truth.K);
		if (max_abs_diff(c.P, rd->truth.P, (size_t)c.K * c.K) != 0 ||
		    c.lmax != rd->truth.lmax)
			input_fail(in, "a second ground truth, different from the "
			    "first");
		ccmc_free(&c);
		return;
	}
	if (o->vocab && o->vocab != c.K)
		input_fail(in, "mixed K: the ground truth has K = %d, --vocab "
		    "says %d", c.K, o->vocab);
	if (rd->set && rd->set->maxtok >= c.K)
		input_fail(in, "mixed K: the ground truth has K = %d, earlier "
		    "samples use token %d", c.K, rd->set->maxtok);
	if (rd->set && c.lmax)
		input_fail(in, "a ground truth with positional weights must come "
		    "before the samples");
	rd->truth = c;
	rd->have_truth = 1;
	rd->K = c.K;
	rd->ksource = "ground truth";
}

/* The common line shapes, read without building a JSON tree:
 * {"type":"sample","prompt":[..],"y":k} and
 * {"type":"trajectory","prompt":[..],"tokens":[..]} with no spaces and
 * plain non-negative integers.  Anything else returns 0 and goes to the
 * JSON parser, so what is accepted here is exactly what it accepts. */
static const char *
fast_int(const char *p, int *v)
{
	int n = 0;

	if (*p == '0') {
		*v = 0;
		return p[1] >= '0' && p[1] <= '9' ? NULL : p + 1;
	}
	for (*v = 0; *p >= '0' && *p <= '9'; p++) {
		if (++n > 9)
			return NULL;
		*v = *v * 10 + (*p - '0');
	}
	return n ? p : NULL;
}

static const char *
fast_array(const char *p, int **a, int *cap, int *n)
{
	*n = 0;
	if (*p++ != '[')
		return NULL;
	if (*p == ']')
		return p + 1;
	for (;;) {
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			if (*cap > MAX_PROMPT)
				return NULL;
			*a = xrealloc(*a, (size_t)*cap * sizeof **a);
		}
		if (!(p = fast_int(p, &(*a)[(*n)++])))
			return NULL;
		if (*p == ']')
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static int
fast_record(struct reading *rd, const struct input *in, const struct options *o)
{
	static const char sample[] = "{\"type\":\"sample\",\"prompt\":";
	static const char traj[] = "{\"type\":\"trajectory\",\"prompt\":";
	static int *prompt, *tokens, pcap, tcap;
	const char *p = in->buf;
	int L, T, y;

	if (strncmp(p, sample, sizeof sample - 1) == 0) {
		p = fast_array(p + sizeof sample - 1, &prompt, &pcap, &L);
		if (!p || strncmp(p, ",\"y\":", 5) != 0 ||
		    !(p = fast_int(p + 5, &y)) || *p != '}' ||
		    p + 1 != in->buf + in->len)
			return 0;
		add_sample(rd, in, prompt, L, y, o->window);
		return 1;
	}
	if (strncmp(p, traj, sizeof traj - 1) == 0) {
		p = fast_array(p + sizeof traj - 1, &prompt, &pcap, &L);
		if (!p || strncmp(p, ",\"tokens\":", 10) != 0 ||
		    !(p = fast_array(p + 10, &tokens, &tcap, &T)) || *p != '}' ||
		    p + 1 != in->buf + in->len)
			return 0;
		add_trajectory(rd, in, prompt, L, tokens, T, o->window);
		return 1;
	}
	return 0;
}

static void
read_input(struct reading *rd, int nfiles, char **files, const struct options *o)
{
	struct input in;

	input_open(&in, nfiles, files);
	while (input_line(&in)) {
		json_t *rec;
		const char *type;
		int *prompt, *tokens, L, T, K;

		if (fast_record(rd, &in, o))
			continue;
		rec = input_parse(&in);
		type = record_type(rec);
		K = rd->K ? rd->K : MAX_VOCAB;
		if (strcmp(type, "sample") == 0) {
			prompt = field_tokens(&in, rec, "prompt", K, NULL, &L);
			add_sample(rd, &in, prompt, L, (int)field_long(&in, rec, "y",
			    0, K - 1), o->window);
			free(prompt);
		} else if (strcmp(type, "trajectory") == 0) {
			prompt = field_tokens(&in, rec, "prompt", K, NULL, &L);
			tokens = field_tokens(&in, rec, "tokens", K, NULL, &T);
			add_trajectory(rd, &in, prompt, L, tokens, T, o->window);
			free(prompt);
			free(tokens);
		} else if (strcmp(type, "attn-model") == 0 ||
		    strcmp(type, "ccmc") == 0)
			add_truth(rd, &in, rec, o);
		json_decref(rec);
	}
	input_close(&in);
	if (!rd->set || rd->set->n == 0)
		die(EXIT_DATA, "no samples in the input");
	if (!rd->K) {
		rd->K = rd->set->maxtok + 1;
		rd->ksource = "largest token + 1";
	}
}

/* ---- output helpers ---- */

static json_t *
number_or_null(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *
matrix_json(const double *m, int K)
{
	json_t *a = json_array();

	for (int i = 0; i < K; i++) {
		json_t *row = json_array();

		for (int j = 0; j < K; j++)
			json_array_append_new(row, number_or_null(m[(size_t)i * K + j]));
		json_array_append_new(a, row);
	}
	return a;
}

static json_t *
token_list(const int *which, int K, int value)
{
	json_t *a = json_array();

	for (int j = 0; j < K; j++)
		if (which[j] == value)
			json_array_append_new(a, json_integer(j));
	return a;
}

/* ---- the fit ---- */

static void
progress(const struct options *o, const char *what, long done, long total)
{
	if (o->progress)
		fprintf(stderr, "\r%s: %s %ld/%ld%s", progname, what, done, total,
		    done == total ? "\n" : "");
}

static json_t *
identifiability(const struct est_row *row, int K, const double *cond)
{
	json_t *rows = json_array(), *id;
	int ndet = 0;

	for (int i = 0; i < K; i++) {
		const struct est_row *r = &row[i];
		json_t *comps = json_array();

		for (int c = 0; c < r->ncomp; c++)
			json_array_append_new(comps, token_list(r->comp, K, c));
		ndet += r->determined && !r->tied;
		json_array_append_new(rows, json_pack("{s:i,s:f,s:o,s:o,s:b,s:b,"
		    "s:o,s:b}", "row", i, "samples", r->n, "components", comps,
		    "unseen", token_list(r->comp, K, -1), "determined",
		    r->determined, "mle_exists", r->mle_exists, "zero",
		    token_list(r->zero, K, 1), "tied", r->tied));
	}
	id = json_pack("{s:i,s:o,s:o}", "determined_rows", ndet, "rows", rows,
	    "conditional", matrix_json(cond, K));
	return id;
}

static json_t *
fit_summary(const struct est_row *row, int K, const struct reading *rd,
    const struct options *o)
{
	json_t *per = json_array(), *iters = json_array(), *fit;
	double loglik = 0, objective = 0, gnorm = 0;
	int maxit = 0, converged = 1, exists = 1, cg = 0, newton = 0;
	char why[160] = "";

	for (int i = 0; i < K; i++) {
		const struct est_row *r = &row[i];

		loglik += r->loglik;
		objective += r->objective;
		gnorm = fmax(gnorm, r->gnorm);
		maxit = r->iters > maxit ? r->iters : maxit;
		exists &= r->mle_exists;
		cg |= r->cg;
		newton |= r->n > 0 && !r->cg;
		if (!r->converged && converged) {
			converged = 0;
			snprintf(why, sizeof why, "row %d: %s", i, r->why);
		}
		json_array_append_new(per, json_real(r->n));
		json_array_append_new(iters, json_integer(r->iters));
	}
	fit = json_pack("{s:I,s:o,s:f,s:i,s:o,s:f,s:f,s:b,s:o,s:b,s:s,s:f,"
	    "s:s,s:s,s:I}",
	    "samples", (json_int_t)rd->set->n, "samples_per_row", per,
	    "loglik", loglik, "iterations", maxit, "iterations_per_row", iters,
	    "grad_norm", gnorm, "tol", o->est.tol, "converged", converged,
	    "why_not", converged ? json_null() : json_string(why),
	    "mle_exists", exists,
	    "method", cg && newton ? "newton and newton-cg" : cg ? "newton-cg" :
	    "newton", "l2", o->est.l2,
	    "weights", rd->set->weighted ? "position-weighted counts" : "counts",
	    "K_from", rd->ksource, "skipped", (json_int_t)rd->skipped);
	if (o->est.l2 > 0)
		json_object_set_new(fit, "objective", json_real(objective));
	return fit;
}

/* Percentile intervals of the conditional probabilities over B resamples
 * of each row's samples (a stratified bootstrap: rows are independent). */
static json_t *
bootstrap(const struct reading *rd, int K, const struct options *o,
    const struct est_row *row)
{
	int B = o->bootstrap;
	double *draw, *lo, *hi, *Plo, *Phi, *sorted;
	json_t *out;

	draw = xmalloc(checked_size(checked_size((size_t)K * K, (size_t)B),
	    sizeof *draw));
	lo = xmalloc(4 * (size_t)K * K * sizeof *lo);
	hi = lo + (size_t)K * K;
	Plo = hi + (size_t)K * K;
	Phi = Plo + (size_t)K * K;
	sorted = xmalloc((size_t)B * sizeof *sorted);
	for (int i = 0; i < K; i++) {
		const struct sample_row *sr = &rd->set->row[i];
		double *mult = xmalloc(((size_t)sr->n + 1) * sizeof *mult);

		progress(o, "bootstrap row", i, K);
		for (int b = 0; b < B; b++) {
			struct est_row r;
			struct rng rng;

			rng_init(&rng, o->seed, (uint64_t)b * MAX_VOCAB + (uint64_t)i);
			memset(mult, 0, (size_t)sr->n * sizeof *mult);
			for (long s = 0; s < sr->n; s++)
				mult[rng_below(&rng, (uint32_t)sr->n)] += 1;
			est_fit_row(rd->set, K, i, mult, &o->est, 0, &r);
			for (int j = 0; j < K; j++)
				draw[((size_t)i * K + j) * B + b] =
				    row[i].comp[j] >= 0 && r.comp[j] >= 0 &&
				    r.ncomp == row[i].ncomp ? r.cond[j] : NAN;
			est_row_free(&r);
		}
		free(mult);
		for (int j = 0; j < K; j++) {
			size_t e = (size_t)i * K + j;
			int nan = 0;

			for (int b = 0; b < B; b++) {
				sorted[b] = draw[e * B + b];
				nan |= isnan(sorted[b]);
			}
			lo[e] = hi[e] = NAN;
			if (!nan && !isnan(row[i].cond[j])) {
				double x, f;
				int k;

				for (int b = 1; b < B; b++)   /* insertion sort */
					for (k = b; k > 0 && sorted[k - 1] > sorted[k]; k--) {
						x = sorted[k];
						sorted[k] = sorted[k - 1];
						sorted[k - 1] = x;
					}
				/* quantiles with linear interpolation */
				x = 0.025 * (B - 1);
				k = (int)x;
				f = x - k;
				lo[e] = sorted[k] + (k + 1 < B ? f * (sorted[k + 1] -
				    sorted[k]) : 0);
				x = 0.975 * (B - 1);
				k = (int)x;
				f = x - k;
				hi[e] = sorted[k] + (k + 1 < B ? f * (sorted[k + 1] -
				    sorted[k]) : 0);
			}
			Plo[e] = isnan(row[i].P[j]) ? NAN : lo[e];
			Phi[e] = isnan(row[i].P[j]) ? NAN : hi[e];
		}
	}
	progress(o, "bootstrap row", K, K);
	out = json_pack("{s:i,s:I,s:f,s:o,s:o,s:o,s:o}", "B", B, "seed",
	    (json_int_t)o->seed, "level", 0.95, "P_lo", matrix_json(Plo, K),
	    "P_hi", matrix_json(Phi, K), "conditional_lo", matrix_json(lo, K),
	    "conditional_hi", matrix_json(hi, K));
	free(draw);
	free(lo);
	free(sorted);
	return out;
}

/* Errors against the ground truth, over what the data determine. */
static json_t *
errors(const struct ccmc *t, const struct est_row *row, int K)
{
	double psq = 0, pmax = 0, kl = 0, asq = 0, amax = 0, csq = 0, cmax = 0;
	int klrows = 0, klinf = 0;
	long np = 0, na = 0, nc = 0;

	for (int i = 0; i < K; i++) {
		const struct est_row *r = &row[i];
		const double *P = t->P + (size_t)i * K, *A = t->A + (size_t)i * K;

		if (!isnan(r->P[0])) {
			double d = 0;
			int inf = 0;

			for (int j = 0; j < K; j++) {
				double e = r->P[j] - P[j];

				psq += e * e;
				pmax = fmax(pmax, fabs(e));
				np++;
				if (P[j] > 0) {
					if (r->P[j] > 0)
						d += P[j] * log(P[j] / r->P[j]);
					else
						inf = 1;
				}
			}
			if (inf)
				klinf++;
			else {
				kl += d;
				klrows++;
			}
		}
		for (int c = 0; c < r->ncomp; c++) {
			double ta = 0, tp = 0;
			int n = 0;

			for (int j = 0; j < K; j++)
				if (r->comp[j] == c) {
					tp += P[j];
					if (!isnan(r->A[j])) {
						ta += A[j];
						n++;
					}
				}
			for (int j = 0; j < K; j++) {
				if (r->comp[j] != c)
					continue;
				if (!isnan(r->A[j])) {
					double e = r->A[j] - (A[j] - ta / n);

					asq += e * e;
					amax = fmax(amax, fabs(e));
					na++;
				}
				if (!isnan(r->cond[j])) {
					double e = r->cond[j] - P[j] / tp;

					csq += e * e;
					cmax = fmax(cmax, fabs(e));
					nc++;
				}
			}
		}
	}
	return json_pack("{s:I,s:f,s:f,s:o,s:i,s:I,s:f,s:f,s:I,s:f,s:f}",
	    "P_entries", (json_int_t)np, "P_sq", psq, "P_max_abs", pmax,
	    "kl_mean", klrows ? json_real(kl / klrows) : json_null(),
	    "kl_infinite_rows", klinf,
	    "A_entries", (json_int_t)na, "A_sq", asq, "A_max_abs", amax,
	    "conditional_entries", (json_int_t)nc, "conditional_sq", csq,
	    "conditional_max_abs", cmax);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vocab", required_argument, NULL, 'K' },
		{ "window", required_argument, NULL, 'w' },
		{ "l2", required_argument, NULL, 'l' },
		{ "tol", required_argument, NULL, 't' },
		{ "max-iter", required_argument, NULL, 'i' },
		{ "method", required_argument, NULL, 'm' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "seed", required_argument, NULL, 's' },
		{ "progress", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o = { .est = EST_OPTIONS_DEFAULT, .seed = RNG_DEFAULT_SEED };
	struct reading rd;
	struct est_row *row;
	struct ccmc est;
	double *cond, *se, *sep;
	json_t *extra, *sej;
	int c, K;

	prog_init(argv[0]);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'K':
			o.vocab = (int)opt_long(usage, "--vocab", optarg, 1, MAX_VOCAB);
			break;
		case 'w':
			o.window = (int)opt_long(usage, "--window", optarg, 1,
			    MAX_PROMPT);
			break;
		case 'l':
			o.est.l2 = opt_double(usage, "--l2", optarg, 0, 1e12);
			break;
		case 't':
			o.est.tol = opt_double(usage, "--tol", optarg, 1e-15, 1);
			break;
		case 'i':
			o.est.max_iter = (int)opt_long(usage, "--max-iter", optarg, 0,
			    1000000);
			break;
		case 'm':
			if (strcmp(optarg, "auto") == 0)
				o.est.method = EST_AUTO;
			else if (strcmp(optarg, "newton") == 0)
				o.est.method = EST_NEWTON;
			else if (strcmp(optarg, "cg") == 0)
				o.est.method = EST_CG;
			else
				usage_error(usage, "--method: auto, newton or cg, not "
				    "'%s'", optarg);
			break;
		case 'B':
			o.bootstrap = (int)opt_long(usage, "--bootstrap", optarg, 0,
			    100000);
			break;
		case 's':
			o.seed = opt_seed(usage, optarg);
			break;
		case 'p':
			o.progress = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			fputs(help, stdout);
			return 0;
		case 'V':
			print_version();
		default:
			usage_error(usage, "unknown option");
		}
	}
	if (isatty(2))
		o.progress = 1;

	memset(&rd, 0, sizeof rd);
	if (o.vocab) {
		rd.K = o.vocab;
		rd.ksource = "--vocab";
	}
	read_input(&rd, argc - optind, argv + optind, &o);
	K = rd.K;

	row = xcalloc((size_t)K, sizeof *row);
	cond = xmalloc(3 * (size_t)K * K * sizeof *cond);
	se = cond + (size_t)K * K;
	sep = se + (size_t)K * K;
	memset(&est, 0, sizeof est);
	est.K = K;
	est.A = xmalloc(2 * (size_t)K * K * sizeof *est.A);
	est.P = est.A + (size_t)K * K;
	for (int i = 0; i < K; i++) {
		progress(&o, "row", i, K);
		est_fit_row(rd.set, K, i, NULL, &o.est, 1, &row[i]);
		for (int j = 0; j < K; j++) {
			size_t e = (size_t)i * K + j;

			est.A[e] = row[i].A[j];
			est.P[e] = row[i].P[j];
			cond[e] = row[i].cond[j];
			se[e] = row[i].se[j];
			sep[e] = isnan(row[i].P[j]) ? NAN : se[e];
		}
	}
	progress(&o, "row", K, K);
	if (rd.have_truth && rd.truth.lmax) {
		est.lmax = rd.truth.lmax;
		est.posw = rd.truth.posw;
	}
	est.meta = json_pack("{s:s,s:s}", "gauge", "component-mean-zero",
	    "gauge_note", "in each row, the logits of each connected component "
	    "of the co-occurrence graph G_i have mean 0; null where the data "
	    "determine nothing or the MLE logit is -infinity");

	extra = json_object();
	json_object_set_new(extra, "fit", fit_summary(row, K, &rd, &o));
	json_object_set_new(extra, "identifiability", identifiability(row, K,
	    cond));
	sej = json_pack("{s:s,s:o,s:o}", "method", "delta method, inverse "
	    "observed information over the identified logits", "P",
	    matrix_json(sep, K), "conditional", matrix_json(se, K));
	if (o.bootstrap > 0)
		json_object_set_new(sej, "bootstrap", bootstrap(&rd, K, &o, row));
	json_object_set_new(extra, "stderr", sej);
	if (rd.have_truth)
		json_object_set_new(extra, "error", errors(&rd.truth, row, K));
	ccmc_write(&est, extra);
	out_flush();

	json_decref(extra);
	json_decref(est.meta);
	free(est.A);
	free(cond);
	for (int i = 0; i < K; i++)
		est_row_free(&row[i]);
	free(row);
	if (rd.have_truth)
		ccmc_free(&rd.truth);
	sampleset_free(rd.set);
	free(rd.ctx);
	free(rd.w);
	return 0;
}
