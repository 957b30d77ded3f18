/*
 * ccmc-estimate: learn a CCMC from samples and trajectories by maximum
 * likelihood, and say what the data determine and how well; on text, also
 * the baselines it is compared with, and the held-out scores of all three.
 */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "ccmc.h"
#include "dataset.h"
#include "estimate.h"
#include "rng.h"
#include "score.h"
#include "stream.h"
#include "text.h"
#include "util.h"
#include "vocab.h"
#include "wfit.h"

static const char usage[] =
"usage: ccmc-estimate [--vocab K | --max-vocab V] [TEXT] [--window L]\n"
"                     [--l2 LAMBDA] [--tol X] [--max-iter N]\n"
"                     [--method auto|newton|cg] [--bootstrap B] [--seed S]\n"
"                     [--brief] [--laplace A] [--dev-share F] [--progress]\n"
"                     [--rows I/N] [--tie-tol X] [--retie] [--quiet]\n"
"                     [file ...]\n"
"       ccmc-estimate --merge [--quiet] [file ...]\n"
"       ccmc-estimate --markov [--laplace A] [--dev-share F]\n"
"                     [--vocab K | --max-vocab V] [TEXT] [file ...]\n"
"       ccmc-estimate --embeddings MODEL [--l2 LAMBDA] [--tol X]\n"
"                     [--max-iter N] [--method auto|newton|cg] [--brief]\n"
"                     [--progress] [--quiet] [file ...]\n"
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
"                  others to \"<unk>\" (default: keep all, at most 2048)\n"
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
"  --markov        fit an ordinary bigram Markov chain instead (interpolated\n"
"                  Kneser-Ney), as a ccmc record marked in meta\n"
"  --laplace A     add-A smoothing of the unigram (default 1) and, with\n"
"                  --markov, of the bigram instead of Kneser-Ney\n"
"  --dev-share F   hold out this share of the sequences (evenly spread) as\n"
"                  a dev part: the mix weight is fitted there, and it is\n"
"                  scored (default 0.1 for a CCMC on text, else 0)\n"
"  --tie-tol X     accept attn-models tied within X (default 1e-9)\n"
"  --retie         recompute an attn-model's head C from E first\n"
"  --embeddings MODEL  fit W of the attention layer whose E (K x d) is\n"
"                  MODEL's, by maximum likelihood (d^2 parameters), and\n"
"                  print that attn-model; meta.wfit says what was fitted\n"
"  --eval MODEL    score the input under the ccmc record in MODEL instead of\n"
"                  fitting: coverage, cross-entropy and perplexity\n"
"  --mix W         weight of the unigram background in --eval (default:\n"
"                  the model's \"mix\")\n"
"  --rows I/N      fit only the rows i (query tokens, from 0) with\n"
"                  i mod N = I - 1, and print them as a ccmc-shard record\n"
"  --merge         join the ccmc-shard records of --rows 1/N .. N/N into\n"
"                  the record of the whole fit, byte for byte\n"
"  --progress      report progress on stderr\n"
"  --quiet         no notes on stderr about weak results\n"
"  -h, --help      this text;  --version  the version\n";

struct options {
	struct est_options est;
	struct dataset_options data;
	int      bootstrap, progress, markov, brief, l2_given, laplace_given;
	int      dev_given, merge, others;
	double   laplace, mix;    /* mix < 0: the model's */
	const char *eval, *embeddings;
	uint64_t seed;
};

/* A fit as its record tells it: the rows, and what the record says about
 * the data they come from.  A merge rebuilds it from the shards' records. */
struct fitted {
	int      K;
	struct est_row *row;
	double  *lo, *hi;        /* bootstrap intervals (K x K each), or NULL */
	long     samples, skipped;
	int      weighted;
	const char *ksource;
	const struct ccmc *truth;   /* NULL without one */
};

static void
progress(const struct options *o, const char *what, long done, long total)
{
	if (o->progress)
		fprintf(stderr, "\r%s: %s %ld/%ld%s", progname, what, done, total,
		    done == total ? "\n" : "");
}

/* ---- JSON of numbers ---- */

static json_t *
number_or_null(double x)
{
	return isfinite(x) ? jreal(x) : json_null();
}

/* A JSON array of K doubles. */
static json_t *
vector_json(const double *v, int K)
{
	json_t *a = json_array();

	for (int j = 0; j < K; j++)
		jappend(a, jreal(v[j]));
	return a;
}

/* rows x K, NaN as null. */
static json_t *
matrix_json(const double *m, int rows, int K)
{
	json_t *a = json_array();

	for (int i = 0; i < rows; i++) {
		json_t *row = json_array();

		for (int j = 0; j < K; j++)
			jappend(row, number_or_null(m[(size_t)i * K + j]));
		jappend(a, row);
	}
	return a;
}

static json_t *
token_list(const int *which, int K, int value)
{
	json_t *a = json_array();

	for (int j = 0; j < K; j++)
		if (which[j] == value)
			jappend(a, jint(j));
	return a;
}

/* x where the fit determines the row of P, else NaN. */
static void
where_P(const struct est_row *row, int K, const double *x, double *out)
{
	for (int i = 0; i < K; i++)
		for (int j = 0; j < K; j++) {
			size_t e = (size_t)i * K + j;

			out[e] = isnan(row[i].P[j]) ? NAN : x[e];
		}
}

/* ---- the parts of the fitted record ---- */

static json_t *
fit_json(const struct fitted *f, const struct options *o)
{
	const struct est_row *row = f->row;
	int K = f->K;
	json_t *per = json_array(), *iters = json_array(), *fit;
	struct est_total t;
	char why[160] = "";

	est_total(row, K, &t);
	if (!t.converged)
		snprintf(why, sizeof why, "row %d: %s", t.unconverged,
		    row[t.unconverged].why);
	for (int i = 0; i < K; i++) {
		jappend(per, jreal(row[i].n));
		jappend(iters, jint(row[i].iters));
	}
	fit = jpack("{s:I,s:o,s:f,s:i,s:o,s:f,s:f,s:b,s:o,s:b,s:s,s:f,"
	    "s:s,s:s,s:I}",
	    "samples", (json_int_t)f->samples, "samples_per_row", per,
	    "loglik", t.loglik, "iterations", t.iters, "iterations_per_row",
	    iters, "grad_norm", t.gnorm, "tol", o->est.tol, "converged",
	    t.converged, "why_not", t.converged ? json_null() : jstr(why),
	    "mle_exists", t.mle_exists,
	    "method", t.cg && t.newton ? "newton and newton-cg" : t.cg ?
	    "newton-cg" : "newton", "l2", o->est.l2,
	    "weights", f->weighted ? "position-weighted counts" : "counts",
	    "K_from", f->ksource, "skipped", (json_int_t)f->skipped);
	/* the share of steps a CCMC can explain: those whose token is in
	 * their (windowed) context */
	jset(fit, "coverage", f->samples + f->skipped ? jreal((double)f->samples /
	    (double)(f->samples + f->skipped)) : json_null());
	if (o->est.l2 > 0)
		jset(fit, "objective", jreal(t.objective));
	return fit;
}

/* What the data identify; brief: only the conditionals (under blocks
 * prompts they are all that is identified), not the rows' details. */
static json_t *
identifiability_json(const struct est_row *row, int K, const double *cond,
    int brief)
{
	json_t *rows = json_array(), *out;
	int ndet = 0;

	for (int i = 0; i < K; i++) {
		const struct est_row *r = &row[i];
		json_t *comps;

		ndet += r->determined && !r->tied;
		if (brief)
			continue;
		comps = json_array();
		for (int c = 0; c < r->ncomp; c++)
			jappend(comps, token_list(r->comp, K, c));
		jappend(rows, jpack("{s:i,s:f,s:o,s:o,s:b,s:b,"
		    "s:o,s:b}", "row", i, "samples", r->n, "components", comps,
		    "unseen", token_list(r->comp, K, -1), "determined",
		    r->determined, "mle_exists", r->mle_exists, "zero",
		    token_list(r->zero, K, 1), "tied", r->tied));
	}
	out = jpack("{s:i}", "determined_rows", ndet);
	if (brief)
		json_decref(rows);
	else
		jset(out, "rows", rows);
	jset(out, "conditional", matrix_json(cond, K, K));
	return out;
}

/* A fit weaker than its record looks says so on stderr. */
static void
weak_fit_notes(const struct est_row *row, int K, int text)
{
	int undetermined = 0, nomle = 0, zero = 0;

	for (int i = 0; i < K; i++) {
		undetermined += !(row[i].determined && !row[i].tied);
		if (!row[i].mle_exists) {
			nomle++;
			for (int j = 0; j < K; j++)
				zero += row[i].zero[j];
		}
	}
	/* text records are completed by the ridge's prior */
	if (undetermined && !text)
		note("%d of %d rows of P %s not determined by the data (null in "
		    "\"P\"; see \"identifiability\")", undetermined, K,
		    undetermined == 1 ? "is" : "are");
	if (nomle)
		note("the MLE does not exist in %d of %d rows: %d %s to "
		    "-infinity (probability 0, \"zero\" in \"identifiability\"); "
		    "--l2 LAMBDA keeps them finite", nomle, K, zero, zero == 1 ?
		    "logit goes" : "logits go");
}

static json_t *
bootstrap_json(const struct fitted *f, const struct options *o)
{
	int K = f->K;
	double *Plo = xmalloc(2 * (size_t)K * K * sizeof *Plo);
	double *Phi = Plo + (size_t)K * K;
	json_t *out;

	where_P(f->row, K, f->lo, Plo);
	where_P(f->row, K, f->hi, Phi);
	out = jpack("{s:i,s:o,s:f,s:o,s:o,s:o,s:o}", "B", o->bootstrap,
	    "seed", jseed(o->seed), "level", 0.95, "P_lo",
	    matrix_json(Plo, K, K), "P_hi", matrix_json(Phi, K, K),
	    "conditional_lo", matrix_json(f->lo, K, K), "conditional_hi",
	    matrix_json(f->hi, K, K));
	free(Plo);
	return out;
}

/* How far n entries are from the truth: null where nothing was compared,
 * and null with a note where the squares overflow (logits near MAX_SCORE). */
static void
deviation(json_t *e, const char *what, long n, double sq, double max_abs)
{
	char key[64];

	snprintf(key, sizeof key, "%s_entries", what);
	jset(e, key, jint(n));
	snprintf(key, sizeof key, "error.%s_sq", what);
	jset(e, key + 6, n ? jmeasure(key, sq) : json_null());
	snprintf(key, sizeof key, "error.%s_max_abs", what);
	jset(e, key + 6, n ? jmeasure(key, max_abs) : json_null());
}

static json_t *
error_json(const struct ccmc *truth, const struct est_row *row, int K)
{
	struct est_error e;
	json_t *out = json_object();
	int rows;

	est_error(row, K, truth->A, truth->P, &e);
	rows = e.kl_rows + e.kl_infinite_rows;
	deviation(out, "P", e.P_entries, e.P_sq, e.P_max_abs);
	jset(out, "kl_mean", e.kl_rows ? jreal(e.kl / e.kl_rows) : json_null());
	jset(out, "kl_infinite_rows", rows ? jint(e.kl_infinite_rows) :
	    json_null());
	deviation(out, "A", e.A_entries, e.A_sq, e.A_max_abs);
	deviation(out, "conditional", e.cond_entries, e.cond_sq,
	    e.cond_max_abs);
	return out;
}

/* Nats per step and its exponential, or nulls over no steps. */
static void
per_step(json_t *rep, const char *ce, const char *ppl, double loglik, long n)
{
	int ok = n > 0 && isfinite(loglik);

	json_object_set_new(rep, ce, ok ? json_real(-loglik / n) : json_null());
	json_object_set_new(rep, ppl, ok && isfinite(exp(-loglik / n)) ?
	    json_real(exp(-loglik / n)) : json_null());
}

/* How the model scores the dev part: p and, for a CCMC, u (the unigram
 * mixed in with weight mix) per step. */
static json_t *
dev_json(const struct dataset *d, const double *p, const double *u,
    double mix)
{
	struct score_sum sum;
	long n = d->dev.steps;
	json_t *dev;

	score_sum(p, u, n, mix, &sum);
	dev = json_pack("{s:f,s:I,s:I,s:I,s:f}", "share", d->o.dev_share,
	    "sequences", (json_int_t)d->dev.nseq, "steps", (json_int_t)n,
	    "covered", (json_int_t)sum.covered, "coverage",
	    (double)sum.covered / (double)n);
	per_step(dev, "cross_entropy", "perplexity", sum.loglik, sum.covered);
	if (u)
		per_step(dev, "full_cross_entropy", "full_perplexity",
		    sum.mixed_loglik, n);
	return dev;
}

/* The unigram background of text, counted on the steps the CCMC was
 * fitted to, and the weight that mixes it in best on the dev part: steps
 * the fit has not seen, like those it will be scored on.  Without a dev
 * part (--dev-share 0) the weight is fitted on the training steps, which
 * leans towards the CCMC, and the record says so. */
static void
background(const struct dataset *d, const struct options *o,
    const struct ccmc *c, json_t *extra)
{
	const struct corpus *on = d->dev.steps ? &d->dev : &d->corpus;
	long n = on->steps;
	double *u = xmalloc((size_t)c->K * sizeof *u), mix;
	double *p = xmalloc(2 * (size_t)n * sizeof *p), *pu = p + n;

	unigram_fit(&d->corpus, c->K, o->laplace, u);
	score_steps(on, c, 0, o->data.window, u, p, pu);
	mix = score_fit_mix(p, pu, n);
	jset(extra, "unigram", vector_json(u, c->K));
	jset(extra, "mix", jreal(mix));
	jset(extra, "mix_fitted_on", jstr(d->dev.steps ? "dev part" :
	    "training steps (no dev part: leans towards the CCMC)"));
	if (d->dev.steps)
		jset(extra, "dev", dev_json(d, p, pu, mix));
	free(u);
	free(p);
}

/* ---- the three jobs ---- */

/* The record of a fit.  d: the data of a fit on text (for its background),
 * NULL otherwise. */
static void
write_fit(const struct fitted *f, const struct options *o,
    const struct dataset *d)
{
	int K = f->K, text = d && d->kind == 2;
	const struct est_row *row = f->row;
	struct ccmc est;
	double *cond, *se, *map = NULL;
	json_t *extra, *sej;

	cond = xmalloc(2 * (size_t)K * K * sizeof *cond);
	se = cond + (size_t)K * K;
	if (text)
		map = xmalloc((size_t)K * K * sizeof *map);
	memset(&est, 0, sizeof est);
	est.K = K;
	est.A = xmalloc(2 * (size_t)K * K * sizeof *est.A);
	est.P = est.A + (size_t)K * K;
	for (int i = 0; i < K; i++)
		for (int j = 0; j < K; j++) {
			size_t e = (size_t)i * K + j;

			est.A[e] = row[i].A[j];
			est.P[e] = row[i].P[j];
			cond[e] = row[i].cond[j];
			se[e] = row[i].se[j];
			if (map)
				map[e] = row[i].map[j];
		}
	weak_fit_notes(row, K, text);
	if (f->truth && f->truth->lmax) {
		est.lmax = f->truth->lmax;
		est.posw = f->truth->posw;
	}
	if (text) {
		ccmc_set_logits(&est, map);
		est.vocab = d->words;
		est.meta = jpack("{s:s,s:s,s:f}", "gauge", CCMC_GAUGE,
		    "estimate", "ridge MAP of each whole row (prior A_ij ~ "
		    "N(0, 1/l2)); logits the data leave free at the prior mean 0",
		    "l2", o->est.l2);
	} else
		est.meta = jpack("{s:s,s:s}", "gauge", "component-mean-zero",
		    "gauge_note", "in each row, the logits of each connected "
		    "component of the co-occurrence graph G_i have mean 0; null "
		    "where the data determine nothing or the MLE logit is "
		    "-infinity");
	jset(est.meta, "window", o->data.window ?
	    jint(o->data.window) : json_null());

	extra = json_object();
	jset(extra, "fit", fit_json(f, o));
	jset(extra, "identifiability", identifiability_json(row, K, cond,
	    o->brief));
	if (!o->brief) {
		double *sep = xmalloc((size_t)K * K * sizeof *sep);

		where_P(row, K, se, sep);
		sej = jpack("{s:s,s:o,s:o}", "method", "delta method, inverse "
		    "observed information over the identified logits", "P",
		    matrix_json(sep, K, K), "conditional", matrix_json(se, K, K));
		if (f->lo)
			jset(sej, "bootstrap", bootstrap_json(f, o));
		jset(extra, "stderr", sej);
		free(sep);
	}
	if (f->truth)
		jset(extra, "error", error_json(f->truth, row, K));
	if (text)
		background(d, o, &est, extra);
	ccmc_write(&est, extra);

	json_decref(extra);
	json_decref(est.meta);
	free(est.A);
	free(cond);
	free(map);
}

static void
fitted_free(struct fitted *f)
{
	for (int i = 0; i < f->K; i++)
		est_row_free(&f->row[i]);
	free(f->row);
	free(f->lo);
}

/* Is row i one this run fits?  All of them, or those of its shard. */
static int
own_row(const struct options *o, int i)
{
	return !o->data.shards || i % o->data.shards == o->data.shard;
}

/* ---- shards: fits of some rows, and their merge ---- */

static const char *const method_name[] = { "auto", "newton", "cg" };

/* The options that shape the record: a merge takes them from the shards,
 * and refuses shards fitted with different ones. */
static json_t *
options_json(const struct options *o)
{
	return jpack("{s:o,s:o,s:f,s:f,s:i,s:s,s:b,s:i,s:o,s:s}",
	    "vocab", o->data.vocab ? jint(o->data.vocab) : json_null(),
	    "window", o->data.window ? jint(o->data.window) : json_null(),
	    "l2", o->est.l2, "tol", o->est.tol, "max_iter", o->est.max_iter,
	    "method", method_name[o->est.method], "brief", o->brief,
	    "bootstrap", o->bootstrap, "seed", jseed(o->seed),
	    "version", TOOLKIT_VERSION);
}

static json_t *
ints_json(const int *v, int n)
{
	json_t *a = json_array();

	for (int k = 0; k < n; k++)
		jappend(a, jint(v[k]));
	return a;
}

/* What a merge needs to rebuild the rows of the shard exactly: every field
 * of each fitted row (NaN as null), with the data's facts and the truth. */
static void
write_shard(const struct fitted *f, const struct dataset *d,
    const struct options *o)
{
	int K = f->K, N = o->data.shards, nr = 0;
	double *A, *P, *cond, *se, *map, *lo, *hi, loglik = 0;
	int *comp, *zero, converged = 1;
	json_t *rows = json_array(), *rf, *data, *rec;
	json_t *v[12];
	static const char *const key[12] = { "samples", "ncomp",
	    "determined", "mle_exists", "tied", "loglik", "objective",
	    "grad_norm", "iterations", "converged", "cg", "why" };

	for (int i = o->data.shard; i < K; i += N)
		nr++;
	A = xmalloc(7 * ((size_t)nr * K + 1) * sizeof *A);
	P = A + (size_t)nr * K + 1;
	cond = P + (size_t)nr * K + 1;
	se = cond + (size_t)nr * K + 1;
	map = se + (size_t)nr * K + 1;
	lo = map + (size_t)nr * K + 1;
	hi = lo + (size_t)nr * K + 1;
	comp = xmalloc(2 * ((size_t)nr * K + 1) * sizeof *comp);
	zero = comp + (size_t)nr * K + 1;
	for (int k = 0; k < 12; k++)
		v[k] = json_array();
	nr = 0;
	for (int i = o->data.shard; i < K; i += N, nr++) {
		const struct est_row *r = &f->row[i];
		size_t at = (size_t)nr * K, bytes = (size_t)K * sizeof *A;

		jappend(rows, jint(i));
		memcpy(A + at, r->A, bytes);
		memcpy(P + at, r->P, bytes);
		memcpy(cond + at, r->cond, bytes);
		memcpy(se + at, r->se, bytes);
		memcpy(map + at, r->map, bytes);
		if (f->lo) {
			memcpy(lo + at, f->lo + (size_t)i * K, bytes);
			memcpy(hi + at, f->hi + (size_t)i * K, bytes);
		}
		memcpy(comp + at, r->comp, (size_t)K * sizeof *comp);
		memcpy(zero + at, r->zero, (size_t)K * sizeof *zero);
		jappend(v[0], jreal(r->n));
		jappend(v[1], jint(r->ncomp));
		jappend(v[2], json_boolean(r->determined));
		jappend(v[3], json_boolean(r->mle_exists));
		jappend(v[4], json_boolean(r->tied));
		jappend(v[5], number_or_null(r->loglik));
		jappend(v[6], number_or_null(r->objective));
		jappend(v[7], number_or_null(r->gnorm));
		jappend(v[8], jint(r->iters));
		jappend(v[9], json_boolean(r->converged));
		jappend(v[10], json_boolean(r->cg));
		jappend(v[11], r->why ? jstr(r->why) : json_null());
		loglik += r->loglik;
		converged &= r->converged;
	}
	rf = json_object();
	for (int k = 0; k < 12; k++)
		jset(rf, key[k], v[k]);
	jset(rf, "components", json_array());
	jset(rf, "zero", json_array());
	for (int r = 0; r < nr; r++) {
		jappend(json_object_get(rf, "components"), ints_json(comp +
		    (size_t)r * K, K));
		jappend(json_object_get(rf, "zero"), ints_json(zero +
		    (size_t)r * K, K));
	}
	jset(rf, "A", matrix_json(A, nr, K));
	jset(rf, "P", matrix_json(P, nr, K));
	jset(rf, "conditional", matrix_json(cond, nr, K));
	jset(rf, "stderr", matrix_json(se, nr, K));
	jset(rf, "map", matrix_json(map, nr, K));
	if (f->lo) {
		jset(rf, "bootstrap_lo", matrix_json(lo, nr, K));
		jset(rf, "bootstrap_hi", matrix_json(hi, nr, K));
	}
	data = jpack("{s:I,s:b,s:s,s:o}", "skipped", (json_int_t)f->skipped,
	    "weighted", f->weighted, "K_from", f->ksource, "truth",
	    json_null());
	if (f->truth) {
		const struct ccmc *t = f->truth;

		jset(data, "truth", jpack("{s:o,s:o,s:i,s:o}", "A",
		    matrix_json(t->A, K, K), "P", matrix_json(t->P, K, K), "lmax",
		    t->lmax, "posw", t->lmax ? matrix_json(t->posw, t->lmax,
		    t->lmax) : json_null()));
	}
	rec = jpack("{s:s,s:i,s:i,s:i,s:o,s:s,s:o,s:o,s:{s:I,s:o,s:b},s:o}",
	    "type", "ccmc-shard", "shard", o->data.shard + 1, "shards", N,
	    "K", K, "rows", rows, "input", d->digest, "options",
	    options_json(o), "data", data, "fit", "samples",
	    (json_int_t)f->samples, "loglik", number_or_null(loglik),
	    "converged", converged, "row_fits", rf);
	out_json(rec);
	out_end();
	json_decref(rec);
	free(A);
	free(comp);
}

/* n numbers under key in obj; null is NaN where nulls are allowed. */
static double *
numbers(const struct input *in, json_t *obj, const char *key, int n,
    int nulls)
{
	json_t *a = field_get(in, obj, key);
	double *v;

	if (!json_is_array(a) || json_array_size(a) != (size_t)n)
		input_fail(in, "\"%s\" must be an array of %d values", key, n);
	v = xmalloc(((size_t)n + 1) * sizeof *v);
	for (int k = 0; k < n; k++) {
		json_t *x = json_array_get(a, (size_t)k);

		if (json_is_boolean(x))
			v[k] = json_is_true(x);
		else if (nulls && json_is_null(x))
			v[k] = NAN;
		else if (json_is_number(x))
			v[k] = json_number_value(x);
		else {
			free(v);
			input_fail(in, "\"%s\"[%d] is not a number", key, k);
		}
	}
	return v;
}

/* n whole numbers in [lo, hi] under key in obj (true and false: 1, 0). */
static int *
whole_numbers(const struct input *in, json_t *obj, const char *key, int n,
    long lo, long hi)
{
	double *x = numbers(in, obj, key, n, 0);
	int *v = xmalloc(((size_t)n + 1) * sizeof *v);

	for (int k = 0; k < n; k++) {
		if (!(x[k] >= lo && x[k] <= hi) || x[k] != floor(x[k]))
			input_fail(in, "\"%s\"[%d] is not a whole number in [%ld, "
			    "%ld]", key, k, lo, hi);
		v[k] = (int)x[k];
	}
	free(x);
	return v;
}

/* The shards' records being merged. */
struct merge {
	struct fitted f;
	struct ccmc truth;
	json_t *first;          /* the first record */
	const char *first_file;
	long first_line;
	const char **file;      /* per shard, where it was read (NULL: not yet) */
	long *line;
	char **why;             /* strings the rows point to */
	int N, nwhy;
	struct options o;
};

/* The options of the shards, as the merged record needs them. */
static void
merge_options(struct merge *m, const struct input *in, json_t *oj)
{
	const char *method = json_string_value(field_get(in, oj, "method"));
	json_t *seed = field_get(in, oj, "seed");

	m->o.data.window = json_is_null(json_object_get(oj, "window")) ? 0 :
	    (int)field_long(in, oj, "window", 1, MAX_PROMPT);
	m->o.est.l2 = field_double(in, oj, "l2");
	m->o.est.tol = field_double(in, oj, "tol");
	m->o.est.max_iter = (int)field_long(in, oj, "max_iter", 0, 1000000);
	for (m->o.est.method = 0; m->o.est.method < 3; m->o.est.method++)
		if (method && strcmp(method, method_name[m->o.est.method]) == 0)
			break;
	if (m->o.est.method == 3)
		input_fail(in, "\"method\" must be auto, newton or cg");
	m->o.brief = json_is_true(field_get(in, oj, "brief"));
	m->o.bootstrap = (int)field_long(in, oj, "bootstrap", 0, 100000);
	if (json_is_string(seed))
		m->o.seed = strtoull(json_string_value(seed), NULL, 10);
	else
		m->o.seed = (uint64_t)field_long(in, oj, "seed", 0, LONG_MAX);
}

/* The facts of the data every shard read alike. */
static void
merge_data(struct merge *m, const struct input *in, json_t *dj)
{
	json_t *t = field_get(in, dj, "truth");
	int K = m->f.K;

	m->f.skipped = field_long(in, dj, "skipped", 0, LONG_MAX);
	m->f.weighted = json_is_true(field_get(in, dj, "weighted"));
	if (!json_is_string(field_get(in, dj, "K_from")))
		input_fail(in, "\"K_from\" must be a string");
	m->f.ksource = json_string_value(json_object_get(dj, "K_from"));
	if (json_is_null(t))
		return;
	memset(&m->truth, 0, sizeof m->truth);
	m->truth.K = K;
	m->truth.A = field_matrix(in, t, "A", K, K, 0);
	m->truth.P = field_matrix(in, t, "P", K, K, 0);
	m->truth.lmax = (int)field_long(in, t, "lmax", 0, MAX_PROMPT);
	if (m->truth.lmax)
		m->truth.posw = field_matrix(in, t, "posw", m->truth.lmax,
		    m->truth.lmax, 0);
	if (m->f.weighted != (m->truth.lmax > 0))
		input_fail(in, "\"weighted\" disagrees with the truth's \"lmax\"");
	m->f.truth = &m->truth;
}

/* The first record: what every other must agree with. */
static void
merge_start(struct merge *m, const struct input *in, json_t *rec, int N)
{
	m->N = N;
	m->f.K = (int)field_long(in, rec, "K", 1, MAX_VOCAB);
	m->first = json_incref(rec);
	m->first_file = in->name;
	m->first_line = in->line;
	m->file = xcalloc((size_t)N, sizeof *m->file);
	m->line = xcalloc((size_t)N, sizeof *m->line);
	m->why = xcalloc((size_t)m->f.K, sizeof *m->why);
	m->f.row = xcalloc((size_t)m->f.K, sizeof *m->f.row);
	merge_options(m, in, field_get(in, rec, "options"));
	merge_data(m, in, field_get(in, rec, "data"));
	if (m->o.bootstrap > 0 && !m->o.brief) {
		m->f.lo = xmalloc(2 * (size_t)m->f.K * m->f.K * sizeof *m->f.lo);
		m->f.hi = m->f.lo + (size_t)m->f.K * m->f.K;
	}
}

/* The rows of one shard's record into the fit. */
static void
merge_rows(struct merge *m, const struct input *in, json_t *rec, int I)
{
	int K = m->f.K, N = m->N, nr = 0, *rows;
	json_t *rf = field_get(in, rec, "row_fits");
	double *n, *ll, *obj, *gn, *A, *P, *cond, *se, *map, *lo = NULL;
	double *hi = NULL, *cp, *zr;
	int *ncomp, *det, *mle, *tied, *iters, *conv, *cg;
	json_t *why = field_get(in, rf, "why");

	for (int i = I; i < K; i += N)
		nr++;
	rows = whole_numbers(in, rec, "rows", nr, 0, K - 1);
	for (int r = 0; r < nr; r++)
		if (rows[r] != I + r * N)
			input_fail(in, "\"rows\" are not those of shard %d/%d",
			    I + 1, N);
	n = numbers(in, rf, "samples", nr, 0);
	ll = numbers(in, rf, "loglik", nr, 1);
	obj = numbers(in, rf, "objective", nr, 1);
	gn = numbers(in, rf, "grad_norm", nr, 1);
	ncomp = whole_numbers(in, rf, "ncomp", nr, 0, K);
	det = whole_numbers(in, rf, "determined", nr, 0, 1);
	mle = whole_numbers(in, rf, "mle_exists", nr, 0, 1);
	tied = whole_numbers(in, rf, "tied", nr, 0, 1);
	iters = whole_numbers(in, rf, "iterations", nr, 0, INT_MAX);
	conv = whole_numbers(in, rf, "converged", nr, 0, 1);
	cg = whole_numbers(in, rf, "cg", nr, 0, 1);
	A = field_matrix(in, rf, "A", nr, K, 1);
	P = field_matrix(in, rf, "P", nr, K, 1);
	cond = field_matrix(in, rf, "conditional", nr, K, 1);
	se = field_matrix(in, rf, "stderr", nr, K, 1);
	map = field_matrix(in, rf, "map", nr, K, 1);
	cp = field_matrix(in, rf, "components", nr, K, 0);
	zr = field_matrix(in, rf, "zero", nr, K, 0);
	if (m->f.lo) {
		lo = field_matrix(in, rf, "bootstrap_lo", nr, K, 1);
		hi = field_matrix(in, rf, "bootstrap_hi", nr, K, 1);
	}
	if (!json_is_array(why) || json_array_size(why) != (size_t)nr)
		input_fail(in, "\"why\" must be an array of %d values", nr);
	for (int r = 0; r < nr; r++) {
		struct est_row *e = &m->f.row[rows[r]];
		size_t at = (size_t)r * K, bytes = (size_t)K * sizeof *A;
		json_t *w = json_array_get(why, (size_t)r);

		est_row_init(e, K, m->o.est.l2);
		for (int j = 0; j < K; j++) {
			double c = cp[at + j], z = zr[at + j];

			if (c != floor(c) || c < -1 || c >= ncomp[r] || (z != 0 &&
			    z != 1))
				input_fail(in, "row %d: \"components\" or \"zero\" "
				    "out of range", rows[r]);
			e->comp[j] = (int)c;
			e->zero[j] = (int)z;
		}
		memcpy(e->A, A + at, bytes);
		memcpy(e->P, P + at, bytes);
		memcpy(e->cond, cond + at, bytes);
		memcpy(e->se, se + at, bytes);
		memcpy(e->map, map + at, bytes);
		if (lo) {
			memcpy(m->f.lo + (size_t)rows[r] * K, lo + at, bytes);
			memcpy(m->f.hi + (size_t)rows[r] * K, hi + at, bytes);
		}
		e->n = n[r];
		e->ncomp = ncomp[r];
		e->determined = det[r];
		e->mle_exists = mle[r];
		e->tied = tied[r];
		e->loglik = ll[r];
		e->objective = obj[r];
		e->gnorm = gn[r];
		e->iters = iters[r];
		e->converged = conv[r];
		e->cg = cg[r];
		if (!e->converged) {
			if (!json_is_string(w))
				input_fail(in, "row %d: not converged, and no \"why\"",
				    rows[r]);
			e->why = m->why[rows[r]] = xstrdup(json_string_value(w));
		}
	}
	m->f.samples += field_long(in, field_get(in, rec, "fit"), "samples", 0,
	    LONG_MAX);
	free(rows), free(n), free(ll), free(obj), free(gn), free(ncomp);
	free(det), free(mle), free(tied), free(iters), free(conv), free(cg);
	free(A), free(P), free(cond), free(se), free(map), free(cp), free(zr);
	free(lo), free(hi);
}

/* Joins the records of ccmc-estimate --rows I/N, I = 1..N, into the
 * record of the fit of all rows: every row is rebuilt as its shard fitted
 * it, and the record is written by the same code as a single fit's. */
static void
merge(const struct options *opt, int nfiles, char **files)
{
	struct merge m;
	struct input in, end;
	json_t *rec;
	int have = 0;

	memset(&m, 0, sizeof m);
	m.o = *opt;
	input_open(&in, nfiles, files);
	while ((rec = input_record(&in))) {
		const char *type = record_type(rec);
		int I, N;

		if (strcmp(type, "ccmc-shard") != 0)
			input_fail(&in, "a record of type \"%s\": --merge joins "
			    "the ccmc-shard records of ccmc-estimate --rows", type);
		N = (int)field_long(&in, rec, "shards", 1, MAX_VOCAB);
		I = (int)field_long(&in, rec, "shard", 1, N) - 1;
		if (!m.first)
			merge_start(&m, &in, rec, N);
		if (N != m.N)
			input_fail(&in, "shard %d/%d, but %s:%ld is one of %d", I + 1,
			    N, m.first_file, m.first_line, m.N);
		if (field_long(&in, rec, "K", 1, MAX_VOCAB) != m.f.K)
			input_fail(&in, "K = %ld, but %s:%ld has K = %d",
			    field_long(&in, rec, "K", 1, MAX_VOCAB), m.first_file,
			    m.first_line, m.f.K);
		if (!json_equal(field_get(&in, rec, "input"),
		    json_object_get(m.first, "input")))
			input_fail(&in, "a shard of another input than %s:%ld (its "
			    "\"input\" fingerprint differs)", m.first_file,
			    m.first_line);
		if (!json_equal(field_get(&in, rec, "options"),
		    json_object_get(m.first, "options")))
			input_fail(&in, "a shard fitted with other options than "
			    "%s:%ld", m.first_file, m.first_line);
		if (!json_equal(field_get(&in, rec, "data"),
		    json_object_get(m.first, "data")))
			input_fail(&in, "a shard whose \"data\" differ from those of "
			    "%s:%ld", m.first_file, m.first_line);
		if (m.file[I])
			input_fail(&in, "shard %d/%d again (first at %s:%ld)", I + 1,
			    N, m.file[I], m.line[I]);
		m.file[I] = in.name;
		m.line[I] = in.line;
		merge_rows(&m, &in, rec, I);
		have++;
		json_decref(rec);
	}
	end.name = in.name;
	end.line = in.line;
	if (!m.first)
		input_fail(&end, "no ccmc-shard records to merge");
	for (int I = 0; I < m.N; I++)
		if (!m.file[I])
			input_fail(&end, "%d of %d shards missing, the first shard "
			    "%d/%d", m.N - have, m.N, I + 1, m.N);
	write_fit(&m.f, &m.o, NULL);
	input_close(&in);
	for (int i = 0; i < m.f.K; i++)
		free(m.why[i]);
	free(m.why);
	free(m.file);
	free(m.line);
	if (m.f.truth) {
		free(m.truth.A);
		free(m.truth.P);
		free(m.truth.posw);
	}
	fitted_free(&m.f);
	json_decref(m.first);
}

/* The maximum-likelihood CCMC and what is known about it.  On text, the
 * record is the ridge MAP instead, complete, so that it can be sampled and
 * scored: every logit the data leave free sits at the prior mean.  With
 * --rows, only the rows of the shard, as a ccmc-shard record. */
static void
fit_ccmc(const struct dataset *d, const struct options *opt)
{
	struct options o = *opt;
	int K = d->K, text = d->kind == 2;
	struct fitted f = { .K = K, .samples = d->set->n, .skipped = d->skipped,
	    .weighted = d->set->weighted, .ksource = d->ksource,
	    .truth = d->have_truth ? &d->truth : NULL };

	if (text && o.data.shards)
		input_fail(&d->end, "--rows with string tokens: a record on text "
		    "is completed by a background fitted on all rows at once; "
		    "fit it in one run");
	if (text && !o.l2_given)
		o.est.l2 = 1;
	if (text && o.est.l2 == 0)
		die(EXIT_USAGE, "--l2 0 with string tokens: the plain MLE leaves "
		    "the logits of unseen words undetermined, and the record must "
		    "be complete to be sampled or scored; give --l2 LAMBDA > 0");
	f.row = xcalloc((size_t)K, sizeof *f.row);
	for (int i = 0; i < K; i++) {
		progress(&o, "row", i, K);
		if (own_row(&o, i))
			est_fit_row(d->set, K, i, NULL, &o.est, !o.brief, &f.row[i]);
		else
			est_row_init(&f.row[i], K, o.est.l2);
	}
	progress(&o, "row", K, K);
	if (o.bootstrap > 0 && !o.brief) {
		f.lo = xmalloc(2 * (size_t)K * K * sizeof *f.lo);
		f.hi = f.lo + (size_t)K * K;
		for (int i = 0; i < K; i++) {
			progress(&o, "bootstrap row", i, K);
			if (own_row(&o, i))
				est_bootstrap_row(d->set, K, i, &f.row[i], &o.est,
				    o.bootstrap, o.seed, f.lo + (size_t)i * K,
				    f.hi + (size_t)i * K);
		}
		progress(&o, "bootstrap row", K, K);
	}
	if (o.data.shards)
		write_shard(&f, d, &o);
	else
		write_fit(&f, &o, d);
	fitted_free(&f);
}

/* The ordinary bigram chain of the same steps, as a ccmc record marked
 * "chain": "markov" (attn-sample --markov draws from it, --eval scores it
 * as a chain): interpolated Kneser-Ney, the standard smoothing of the
 * field, or add-A with --laplace A. */
static void
fit_markov(const struct dataset *d, const struct options *o)
{
	int K = d->K;
	struct ccmc m;
	struct kn_discounts kn;
	double *P = xmalloc(2 * (size_t)K * K * sizeof *P), *A = P + (size_t)K * K;
	double *u = xmalloc((size_t)K * sizeof *u);
	json_t *extra;

	if (o->laplace_given)
		bigram_fit(&d->corpus, K, o->laplace, P);
	else
		bigram_kn_fit(&d->corpus, K, P, &kn);
	unigram_fit(&d->corpus, K, o->laplace, u);
	for (size_t e = 0; e < (size_t)K * K; e++)
		A[e] = log(P[e]);
	memset(&m, 0, sizeof m);
	m.K = K;
	ccmc_set_logits(&m, A);
	memcpy(m.P, P, (size_t)K * K * sizeof *P);   /* the counts' own ratios */
	m.vocab = d->kind == 2 ? d->words : NULL;
	m.meta = jpack("{s:s,s:s,s:s}", "gauge", CCMC_GAUGE, "chain",
	    "markov", "note", "an ordinary Markov chain: the next token is "
	    "drawn from row P_i of the last token i, with no context weighting");
	if (o->laplace_given) {
		jset(m.meta, "smoothing", jstr("add-A (Laplace)"));
		jset(m.meta, "laplace", jreal(o->laplace));
	} else {
		jset(m.meta, "smoothing", jstr("interpolated Kneser-Ney"));
		jset(m.meta, "discount", jreal(kn.D));
		jset(m.meta, "discount_unigram", jreal(kn.D1));
		jset(m.meta, "n1", jint(kn.n1));
		jset(m.meta, "n2", jint(kn.n2));
	}
	jset(m.meta, "unigram_laplace", jreal(o->laplace));
	extra = jpack("{s:{s:I,s:I,s:s},s:o}", "fit", "steps",
	    (json_int_t)d->corpus.steps, "sequences", (json_int_t)d->corpus.nseq,
	    "K_from", d->ksource, "unigram", vector_json(u, K));
	if (d->dev.steps) {
		double *p = xmalloc((size_t)d->dev.steps * sizeof *p);

		score_steps(&d->dev, &m, 1, 0, NULL, p, NULL);
		json_object_set_new(json_object_get(extra, "fit"), "dev",
		    dev_json(d, p, NULL, 0));
		free(p);
	}
	ccmc_write(&m, extra);
	json_decref(extra);
	m.vocab = NULL;
	ccmc_free(&m);
	free(P);
	free(u);
}

/* How well the model of --eval predicts the input. */
static void
evaluate(struct dataset *d, const struct options *o, int nfiles,
    char **files)
{
	struct scored_model s;
	struct score_sum sum;
	long n, unk = 0;
	double *p, *u;
	json_t *rep;

	scored_model_read(&s, o->eval, o->data.window, o->mix);
	dataset_use_model(d, &s.m);
	dataset_read(d, nfiles, files);
	n = d->corpus.steps;
	p = xmalloc(2 * (size_t)n * sizeof *p);
	u = p + n;
	score_steps(&d->corpus, &s.m, s.markov, s.window, s.unigram, p,
	    s.unigram ? u : NULL);
	score_sum(p, s.unigram ? u : NULL, n, s.mix >= 0 ? s.mix : 0, &sum);
	if (d->words && d->words->unk >= 0)
		unk = corpus_steps_choosing(&d->corpus, d->words->unk);

	rep = jpack("{s:s,s:s,s:i,s:o,s:I,s:I,s:o,s:I,s:f}", "type", "eval",
	    "model", s.markov ? "markov" : "ccmc", "K", s.m.K, "window",
	    s.window ? jint(s.window) : json_null(), "steps",
	    (json_int_t)n, "covered", (json_int_t)sum.covered, "coverage",
	    n ? jreal((double)sum.covered / (double)n) : json_null(), "unk_steps", (json_int_t)unk,
	    "loglik", sum.loglik);
	per_step(rep, "cross_entropy", "perplexity", sum.loglik, sum.covered);
	jset(rep, "mix", s.mix >= 0 ? jreal(s.mix) :
	    json_null());
	jset(rep, "mix_from", s.mix_from ?
	    jstr(s.mix_from) : json_null());
	if (s.mix >= 0) {
		jset(rep, "full_loglik", isfinite(sum.mixed_loglik) ?
		    jreal(sum.mixed_loglik) : json_null());
		per_step(rep, "full_cross_entropy", "full_perplexity",
		    sum.mixed_loglik, n);
	}
	if (s.unigram)
		per_step(rep, "unigram_cross_entropy", "unigram_perplexity",
		    sum.unigram_loglik, n);
	jset(rep, "units", jstr("nats per step; "
	    "perplexity = exp(cross_entropy)"));
	out_json(rep);
	out_end();
	json_decref(rep);
	free(p);
	scored_model_free(&s);
}

/* --rows I/N: digits only, 1 <= I <= N. */
static void
parse_rows(struct options *o, const char *arg)
{
	char *end;
	long i = 0, n = 0;

	if (arg[0] >= '0' && arg[0] <= '9')
		i = strtol(arg, &end, 10);
	if (i < 1 || *end != '/' || !(end[1] >= '0' && end[1] <= '9') ||
	    (n = strtol(end + 1, &end, 10)) < i || n > MAX_VOCAB || *end)
		usage_error(NULL, "--rows: I/N with 1 <= I <= N <= %d, not '%s'",
		    MAX_VOCAB, arg);
	o->data.shard = (int)i - 1;
	o->data.shards = (int)n;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vocab", required_argument, NULL, 'K' },
		{ "max-vocab", required_argument, NULL, 'X' },
		{ "text", no_argument, NULL, 'T' },
		{ "window", required_argument, NULL, 'w' },
		{ "l2", required_argument, NULL, 'l' },
		{ "tol", required_argument, NULL, 't' },
		{ "max-iter", required_argument, NULL, 'i' },
		{ "method", required_argument, NULL, 'm' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "seed", required_argument, NULL, 's' },
		{ "brief", no_argument, NULL, 'b' },
		{ "markov", no_argument, NULL, 'M' },
		{ "laplace", required_argument, NULL, 'a' },
		{ "eval", required_argument, NULL, 'E' },
		{ "embeddings", required_argument, NULL, 'W' },
		{ "tie-tol", required_argument, NULL, 'Y' },
		{ "retie", no_argument, NULL, 'Z' },
		{ "mix", required_argument, NULL, 'x' },
		{ "dev-share", required_argument, NULL, 'D' },
		{ "progress", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "rows", required_argument, NULL, 'R' },
		{ "merge", no_argument, NULL, 'G' },
		TEXT_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o = { .est = EST_OPTIONS_DEFAULT, .seed = RNG_DEFAULT_SEED,
	    .laplace = 1, .mix = -1 };
	struct dataset d;
	int c;

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	while ((c = opt_next(argc, argv, "h", longopts)) != -1) {
		o.others += c != 'p' && c != 'q' && c != 'G';
		switch (c) {
		case 'K':
			o.data.vocab = (int)opt_long(usage, "--vocab", optarg, 1, MAX_VOCAB);
			break;
		case 'X':
			o.data.maxvocab = (int)opt_long(usage, "--max-vocab", optarg, 1,
			    MAX_VOCAB - 1);
			break;
		case 'T':
			o.data.text = 1;
			break;
		case 'w':
			o.data.window = (int)opt_long(usage, "--window", optarg, 1,
			    MAX_PROMPT);
			break;
		case 'l':
			o.est.l2 = opt_double(usage, "--l2", optarg, 0, 1e12);
			o.l2_given = 1;
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
		case 'b':
			o.brief = 1;
			break;
		case 'M':
			o.markov = 1;
			break;
		case 'a':
			o.laplace = opt_double(usage, "--laplace", optarg, 1e-300, 1e12);
			o.laplace_given = 1;
			break;
		case 'D':
			o.data.dev_share = opt_double(usage, "--dev-share", optarg, 0,
			    0.9);
			o.dev_given = 1;
			break;
		case 'E':
			o.eval = optarg;
			break;
		case 'W':
			o.embeddings = optarg;
			break;
		case 'Y':
			model_set_tie(opt_double(usage, "--tie-tol", optarg, 0, 1e-2),
			    -1);
			break;
		case 'Z':
			model_set_tie(-1, 1);
			break;
		case 'x':
			o.mix = opt_double(usage, "--mix", optarg, 0, 1);
			break;
		case 'p':
			o.progress = 1;
			break;
		case 'R':
			parse_rows(&o, optarg);
			break;
		case 'G':
			o.merge = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			if (!text_option(&o.data.split, c, optarg, usage))
				common_option(c, usage, help);
		}
	}
	if (o.merge && o.others)
		usage_error(NULL, "--merge takes its options from the shards' "
		    "records: only --progress and --quiet go with it");
	if (o.data.shards && (o.markov || o.eval || o.data.text ||
	    o.data.maxvocab || o.dev_given || o.laplace_given))
		usage_error(NULL, "--rows fits a CCMC on integer tokens: not with "
		    "--markov, --eval, --text, --max-vocab, --dev-share or "
		    "--laplace");
	if (o.data.vocab && o.data.maxvocab)
		usage_error(usage, "--vocab and --max-vocab exclude each other");
	if (o.markov && o.eval)
		usage_error(usage, "--markov and --eval exclude each other");
	if (o.eval && (o.data.vocab || o.data.maxvocab))
		usage_error(usage, "--eval takes K and the vocabulary from the model");
	if (o.mix >= 0 && !o.eval)
		usage_error(usage, "--mix goes with --eval");
	if (o.data.text && o.l2_given && o.est.l2 == 0 && !o.markov && !o.eval)
		usage_error(NULL, "--l2 0 with --text: the plain MLE leaves the "
		    "logits of unseen words undetermined, and the record must be "
		    "complete to be sampled or scored; give --l2 LAMBDA > 0");
	if (o.dev_given && o.eval)
		usage_error(usage, "--dev-share goes with a fit, not --eval");
	if (text_options_given(&o.data.split) && !o.data.text)
		usage_error(usage, "--lower, --punct, --chunk and --pieces go "
		    "with --text");
	/* a CCMC on text needs held-out steps for its mix weight */
	if (!o.dev_given && !o.markov && !o.eval && o.data.text)
		o.data.dev_share = 0.1;
	if (isatty(2))
		o.progress = 1;

	if (o.embeddings) {
		struct wfit_options w = { o.est.l2, o.est.tol, o.est.max_iter,
		    o.est.method == EST_NEWTON ? WFIT_NEWTON : o.est.method ==
		    EST_CG ? WFIT_CG : WFIT_AUTO, o.progress };

		if (o.bootstrap || o.data.shards || o.merge || o.markov || o.eval ||
		    o.data.text || o.data.window || o.data.vocab || o.data.maxvocab)
			usage_error(NULL, "--embeddings fits W to integer samples: "
			    "not with --bootstrap, --rows, --merge, --markov, --eval, "
			    "--text, --window, --vocab or --max-vocab");
		wfit_run(o.embeddings, &w, o.brief, argc - optind, argv + optind);
		out_flush();
		return 0;
	}
	if (o.merge) {
		merge(&o, argc - optind, argv + optind);
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
