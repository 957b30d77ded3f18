#include "fitrecord.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "score.h"
#include "stream.h"
#include "util.h"

json_t *
number_or_null(double x)
{
	return isfinite(x) ? jreal(x) : json_null();
}

json_t *
vector_json(const double *v, int K)
{
	json_t *a = json_array();

	for (int j = 0; j < K; j++)
		jappend(a, jreal(v[j]));
	return a;
}

json_t *
vector_or_null_json(const double *v, int K)
{
	json_t *a = json_array();

	for (int j = 0; j < K; j++)
		jappend(a, number_or_null(v[j]));
	return a;
}

json_t *
matrix_json(const double *m, int rows, int K)
{
	json_t *a = json_array();

	for (int i = 0; i < rows; i++)
		jappend(a, vector_or_null_json(m + (size_t)i * K, K));
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
fit_json(const struct fitted *f, const struct fit_settings *o)
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
bootstrap_json(const struct fitted *f, const struct fit_settings *o)
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

void
per_step(json_t *rep, const char *ce, const char *ppl, double loglik, long n)
{
	int ok = n > 0 && isfinite(loglik);

	json_object_set_new(rep, ce, ok ? json_real(-loglik / n) : json_null());
	json_object_set_new(rep, ppl, ok && isfinite(exp(-loglik / n)) ?
	    json_real(exp(-loglik / n)) : json_null());
}

/* How the model scores the dev part: p and, for a CCMC, u (the unigram
 * mixed in with weight mix) per step. */
json_t *
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
background(const struct dataset *d, const struct fit_settings *o,
    const struct ccmc *c, json_t *extra)
{
	const struct corpus *on = d->dev.steps ? &d->dev : &d->corpus;
	long n = on->steps;
	double *u = xmalloc((size_t)c->K * sizeof *u), mix;
	double *p = xmalloc(2 * (size_t)n * sizeof *p), *pu = p + n;

	unigram_fit(&d->corpus, c->K, o->laplace, u);
	score_steps(on, c, 0, o->window, u, p, pu);
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

/* The record of a fit.  d: the data of a fit on text (for its background),
 * NULL otherwise. */
void
fitrecord_write(const struct fitted *f, const struct fit_settings *o,
    const struct dataset *d)
{
	int K = f->K, text = d && d->kind == 2;
	const struct est_row *row = f->row;
	struct ccmc est;
	double *cond, *se, *map = NULL;
	json_t *extra, *sej, *made;

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
	jset(est.meta, "window", o->window ?
	    jint(o->window) : json_null());
	if (text && (made = dataset_text_meta(d)))   /* how it was made */
		jset(est.meta, "text", made);

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

void
fitted_free(struct fitted *f)
{
	for (int i = 0; i < f->K; i++)
		est_row_free(&f->row[i]);
	free(f->row);
	free(f->lo);
}

