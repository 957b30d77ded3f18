#include "fitrecord.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "context.h"
#include "corpus.h"
#include "score.h"
#include "stream.h"
#include "util.h"
#include "vocab.h"

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

/* The tokens of row r whose entry of which is value. */
static json_t *
token_list(const struct est_row *r, const int *which, int value)
{
	json_t *a = json_array();

	for (int l = 0; l < r->m; l++)
		if (which[l] == value)
			jappend(a, jint(r->tok[l]));
	return a;
}

/* The tokens row r does not hold. */
static json_t *
unseen_list(const struct est_row *r)
{
	json_t *a = json_array();

	for (int j = 0, l = 0; j < r->K; j++) {
		if (l < r->m && r->tok[l] == j && r->comp[l] >= 0) {
			l++;
			continue;
		}
		if (l < r->m && r->tok[l] == j)
			l++;
		jappend(a, jint(j));
	}
	return a;
}

/* x where the fit determines the row of P (P not NaN), else NaN. */
static void
where_P(const double *P, int K, const double *x, double *out)
{
	for (size_t e = 0; e < (size_t)K * K; e++)
		out[e] = isnan(P[e]) ? NAN : x[e];
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

/* What the data identify in row r: its components, whether it is
 * determined, has an MLE or ties; for the dense record (dense) also its
 * samples, the tokens it has not seen (O(K)) and those the MLE sends to
 * probability 0, which a sparse row gives elsewhere.  A sparse row leaves
 * out components when it has at most one: that one is then every token it
 * lists (cols and zero), and a copy of cols would add nothing. */
static json_t *
row_identity_json(const struct est_row *r, int dense)
{
	json_t *comps = json_array(), *id;

	for (int c = 0; c < r->ncomp; c++)
		jappend(comps, token_list(r, r->comp, c));
	if (!dense) {
		id = jpack("{s:b,s:b,s:b}", "determined", r->determined,
		    "mle_exists", r->mle_exists, "tied", r->tied);
		if (r->ncomp > 1)
			jset(id, "components", comps);
		else
			json_decref(comps);
		return id;
	}
	return jpack("{s:f,s:o,s:o,s:b,s:b,s:o,s:b}", "samples", r->n,
	    "components", comps, "unseen", unseen_list(r), "determined",
	    r->determined, "mle_exists", r->mle_exists, "zero",
	    token_list(r, r->zero, 1), "tied", r->tied);
}

static int
determined_rows(const struct est_row *row, int K)
{
	int ndet = 0;

	for (int i = 0; i < K; i++)
		ndet += row[i].determined && !row[i].tied;
	return ndet;
}

/* What the data identify; brief: only the conditionals (under blocks
 * prompts they are all that is identified), not the rows' details. */
static json_t *
identifiability_json(const struct est_row *row, int K, const double *cond,
    int brief)
{
	json_t *rows = json_array(), *out;

	for (int i = 0; !brief && i < K; i++) {
		json_t *r = jpack("{s:i}", "row", i), *id = row_identity_json(&row[i], 1);

		json_object_update(r, id);
		json_decref(id);
		jappend(rows, r);
	}
	out = jpack("{s:i}", "determined_rows", determined_rows(row, K));
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
			for (int l = 0; l < row[i].m; l++)
				zero += row[i].zero[l];
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

/* The resampling of --bootstrap; P: the fit's (K x K), whose rows say
 * where its intervals are those of P. */
static json_t *
bootstrap_json(const struct fitted *f, const struct fit_settings *o,
    const double *P)
{
	int K = f->K;
	size_t KK = (size_t)K * K;
	double *lo = xmalloc(4 * KK * sizeof *lo), *hi = lo + KK;
	double *Plo = hi + KK, *Phi = Plo + KK;
	json_t *out;

	for (int i = 0; i < K; i++) {
		est_row_expand(&f->row[i], f->row[i].lo, NAN, lo + (size_t)i * K);
		est_row_expand(&f->row[i], f->row[i].hi, NAN, hi + (size_t)i * K);
	}
	where_P(P, K, lo, Plo);
	where_P(P, K, hi, Phi);
	out = jpack("{s:i,s:o,s:f,s:o,s:o,s:o,s:o}", "B", o->bootstrap,
	    "seed", jseed(o->seed), "level", 0.95, "P_lo",
	    matrix_json(Plo, K, K), "P_hi", matrix_json(Phi, K, K),
	    "conditional_lo", matrix_json(lo, K, K), "conditional_hi",
	    matrix_json(hi, K, K));
	free(lo);
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

/* The text fit's logits in the record's gauge: row i's MAP (0 where it
 * holds no token) less its mean over all K, as ccmc_set_logits makes them
 * (the zeros change no sum).  A sparse record lists them at the row's
 * tokens, with default_i = -mean_i for the others. */
struct gauged {
	double **a;          /* per row: its m logits */
	double  *dflt;       /* per row: the logit of a token it does not hold */
};

static void
gauged_make(const struct fitted *f, struct gauged *g)
{
	int K = f->K;

	g->a = xmalloc((size_t)K * sizeof *g->a);
	g->dflt = xmalloc((size_t)K * sizeof *g->dflt);
	for (int i = 0; i < K; i++) {
		const struct est_row *r = &f->row[i];
		double mean = 0;

		g->a[i] = xmalloc(((size_t)r->m + 1) * sizeof *g->a[i]);
		for (int l = 0; l < r->m; l++)
			mean += r->map[l];
		mean /= K;
		for (int l = 0; l < r->m; l++)
			g->a[i][l] = r->map[l] - mean;
		g->dflt[i] = 0 - mean;
	}
}

static void
gauged_free(const struct fitted *f, struct gauged *g)
{
	for (int i = 0; i < f->K; i++)
		free(g->a[i]);
	free(g->a);
	free(g->dflt);
}

/* The sparse text fit as a CCMC behind the sparse logits, which
 * score_steps looks up at each context's tokens: no row is made whole. */
static void
gauged_ccmc(const struct fitted *f, const struct gauged *g, struct ccmc *c)
{
	memset(c, 0, sizeof *c);
	c->K = f->K;
	c->sparse = 1;
	logits_sparse(&c->lg, f->K, NULL);
	for (int i = 0; i < f->K; i++)
		logits_sparse_add(&c->lg, f->row[i].tok, g->a[i], f->row[i].m,
		    g->dflt[i]);
}

/* The unigram background of text, counted on the steps the CCMC was
 * fitted to, and the weight that mixes it in best on the dev part: steps
 * the fit has not seen, like those it will be scored on.  Without a dev
 * part (--dev-share 0) the weight is fitted on the training steps, which
 * leans towards the CCMC, and the record says so.  c: the dense record's
 * CCMC, or NULL for the sparse one's, g. */
static void
background(const struct dataset *d, const struct fit_settings *o,
    const struct fitted *f, const struct ccmc *c, const struct gauged *g,
    json_t *extra)
{
	const struct corpus *on = d->dev.steps ? &d->dev : &d->corpus;
	long n = on->steps;
	double *u = xmalloc((size_t)f->K * sizeof *u), mix;
	double *p = xmalloc(2 * (size_t)n * sizeof *p), *pu = p + n;

	unigram_fit(&d->corpus, f->K, o->laplace, u);
	if (c)
		score_steps(on, c, 0, o->window, u, p, pu);
	else {
		struct ccmc sc;

		gauged_ccmc(f, g, &sc);
		score_steps(on, &sc, 0, o->window, u, p, pu);
		ccmc_free(&sc);
	}
	mix = score_fit_mix(p, pu, n);
	jset(extra, "unigram", vector_json(u, f->K));
	jset(extra, "mix", jreal(mix));
	jset(extra, "mix_fitted_on", jstr(d->dev.steps ? "dev part" :
	    "training steps (no dev part: leans towards the CCMC)"));
	if (d->dev.steps)
		jset(extra, "dev", dev_json(d, p, pu, mix));
	free(u);
	free(p);
}

/* The meta of the record: its gauge, what the estimate is and, on text,
 * how the model was made. */
static json_t *
fit_meta(const struct fit_settings *o, const struct dataset *d)
{
	int text = d && d->kind == 2;
	json_t *meta, *made;

	if (text)
		meta = jpack("{s:s,s:s,s:f}", "gauge", CCMC_GAUGE,
		    "estimate", "ridge MAP of each whole row (prior A_ij ~ "
		    "N(0, 1/l2)); logits the data leave free at the prior mean 0",
		    "l2", o->est.l2);
	else
		meta = jpack("{s:s,s:s}", "gauge", "component-mean-zero",
		    "gauge_note", "in each row, the logits of each connected "
		    "component of the co-occurrence graph G_i have mean 0; null "
		    "where the data determine nothing or the MLE logit is "
		    "-infinity");
	jset(meta, "window", o->window ? jint(o->window) : json_null());
	if (text && (made = dataset_text_meta(d)))
		jset(meta, "text", made);
	return meta;
}

/* The dense record: A and P as K x K arrays, the rows' details in
 * "identifiability" and "stderr". */
static void
dense_write(const struct fitted *f, const struct fit_settings *o,
    const struct dataset *d)
{
	int K = f->K, text = d && d->kind == 2;
	const struct est_row *row = f->row;
	size_t KK = (size_t)K * K;
	struct ccmc est;
	double *cond, *se, *Pfit, *map = NULL;
	json_t *extra, *sej;

	/* Pfit: the fit's P, before a text record completes it */
	cond = xmalloc(3 * KK * sizeof *cond);
	se = cond + KK;
	Pfit = se + KK;
	if (text)
		map = xmalloc(KK * sizeof *map);
	memset(&est, 0, sizeof est);
	est.K = K;
	est.A = xmalloc(2 * KK * sizeof *est.A);
	est.P = est.A + KK;
	for (int i = 0; i < K; i++) {
		size_t e = (size_t)i * K;

		est_row_expand(&row[i], row[i].A, NAN, est.A + e);
		est_row_expand(&row[i], row[i].P, NAN, est.P + e);
		est_row_expand(&row[i], row[i].cond, NAN, cond + e);
		est_row_expand(&row[i], row[i].se, NAN, se + e);
		if (map)
			est_row_expand(&row[i], row[i].map, 0, map + e);
	}
	memcpy(Pfit, est.P, KK * sizeof *Pfit);
	if (f->truth && f->truth->lmax) {
		est.lmax = f->truth->lmax;
		est.posw = f->truth->posw;
	}
	if (text) {
		ccmc_set_logits(&est, map);
		est.vocab = d->words;
	}
	est.meta = fit_meta(o, d);

	extra = json_object();
	jset(extra, "fit", fit_json(f, o));
	jset(extra, "identifiability", identifiability_json(row, K, cond,
	    o->brief));
	if (o->stderr) {
		double *sep = xmalloc(KK * sizeof *sep);

		where_P(Pfit, K, se, sep);
		sej = jpack("{s:s,s:o,s:o}", "method", "delta method, inverse "
		    "observed information over the identified logits", "P",
		    matrix_json(sep, K, K), "conditional", matrix_json(se, K, K));
		if (row[0].lo)
			jset(sej, "bootstrap", bootstrap_json(f, o, Pfit));
		jset(extra, "stderr", sej);
		free(sep);
	}
	if (f->truth)
		jset(extra, "error", error_json(f->truth, row, K));
	if (text)
		background(d, o, f, &est, NULL, extra);
	ccmc_write(&est, extra);

	json_decref(extra);
	json_decref(est.meta);
	free(est.A);
	free(cond);
	free(map);
}

/* Writes the numbers v of row r at the columns cols (ncols local ids) as
 * ,"key":[...]. */
static void
row_numbers(const char *key, const double *v, const int *cols, int ncols)
{
	out_str(",\"");
	out_str(key);
	out_str("\":[");
	for (int k = 0; k < ncols; k++) {
		if (k)
			out_char(',');
		out_double_or_null(v[cols[k]]);
	}
	out_char(']');
}

/* The standard errors se of a row at the columns cols (ncols local ids)
 * as ,"stderr":[...], or as ,"stderr":null where none is a number (no
 * samples, or blocks of more than est_options.stderr_max tokens). */
static void
row_stderr(const double *se, const int *cols, int ncols)
{
	int k = 0;

	while (k < ncols && isnan(se[cols[k]]))
		k++;
	if (k == ncols) {
		out_str(",\"stderr\":null");
		return;
	}
	out_str(",\"stderr\":[");
	for (k = 0; k < ncols; k++) {
		if (k)
			out_char(',');
		out_double_or_null(se[cols[k]]);
	}
	out_char(']');
}

/* Row i of the sparse record: its columns (the tokens of its components
 * that the MLE does not send to -infinity; on text every token it holds)
 * and their logits, then what the dense record says about the row
 * elsewhere.  cols: scratch, m ints. */
static void
sparse_row(const struct fitted *f, const struct fit_settings *o,
    const struct gauged *g, int i, int *cols)
{
	const struct est_row *r = &f->row[i];
	int n = 0, nzero = 0;
	json_t *x;

	for (int l = 0; l < r->m; l++) {
		if (r->comp[l] >= 0 && !r->zero[l])
			cols[n++] = l;
		nzero += r->zero[l];
	}
	out_str("{\"type\":\"ccmc-row\",\"i\":");
	out_long(i);
	out_str(",\"cols\":[");
	for (int k = 0; k < n; k++) {
		if (k)
			out_char(',');
		out_long(r->tok[cols[k]]);
	}
	out_char(']');
	row_numbers("A", g ? g->a[i] : r->A, cols, n);
	if (g) {
		out_str(",\"default\":");
		out_double(g->dflt[i]);
	}
	if (nzero) {
		out_str(",\"zero\":");
		out_json(x = token_list(r, r->zero, 1));
		json_decref(x);
	}
	out_str(",\"samples\":");
	out_double(r->n);
	/* no "conditional": the softmax of A over each component, which a
	 * reader computes (ccmc-records(5)) from what the row lists */
	if (!o->brief) {
		x = row_identity_json(r, 0);
		out_str(",\"identifiability\":");
		out_json(x);
		json_decref(x);
	}
	if (o->stderr)
		row_stderr(r->se, cols, n);
	if (r->lo) {
		row_numbers("conditional_lo", r->lo, cols, n);
		row_numbers("conditional_hi", r->hi, cols, n);
	}
	out_char('}');
	out_end();
}

/* The sparse record (ccmc-records(5)): a header with what the dense
 * record says of the whole fit, then K ccmc-row lines. */
static void
sparse_write(const struct fitted *f, const struct fit_settings *o,
    const struct dataset *d)
{
	int K = f->K, text = d && d->kind == 2, mmax = 1;
	struct gauged g;
	json_t *h = json_object(), *meta = fit_meta(o, d), *x;
	const char *key;

	if (text)
		gauged_make(f, &g);
	jset(h, "type", jstr("ccmc"));
	jset(h, "form", jstr("sparse"));
	jset(h, "K", jint(K));
	jset(h, "default", text ? jreal(0) : json_null());
	jset(h, "background", json_null());
	jset(h, "posw", json_null());
	if (f->truth && f->truth->lmax) {
		x = json_array();
		for (int L = 1; L <= f->truth->lmax; L++)
			jappend(x, vector_json(f->truth->posw + (size_t)(L - 1) *
			    f->truth->lmax, L));
		jset(h, "posw", x);
	}
	if (text) {
		x = json_array();
		for (int j = 0; j < d->words->n; j++)
			jappend(x, jstr(d->words->word[j]));
		jset(h, "vocab", x);
	}
	jset(h, "meta", meta);
	jset(h, "fit", fit_json(f, o));
	jset(h, "identifiability", jpack("{s:i}", "determined_rows",
	    determined_rows(f->row, K)));
	if (o->stderr) {
		x = jpack("{s:s}", "method", "delta method, inverse observed "
		    "information over the identified logits");
		if (f->row[0].lo)
			jset(x, "bootstrap", jpack("{s:i,s:o,s:f}", "B",
			    o->bootstrap, "seed", jseed(o->seed), "level", 0.95));
		jset(h, "stderr", x);
	}
	if (f->truth)
		jset(h, "error", error_json(f->truth, f->row, K));
	if (text)
		background(d, o, f, NULL, &g, h);
	json_object_foreach(h, key, x) {
		out_str(strcmp(key, "type") == 0 ? "{" : ",");
		out_quoted(key);
		out_char(':');
		out_json(x);
	}
	out_char('}');
	out_end();
	json_decref(h);
	for (int i = 0; i < K; i++)
		mmax = f->row[i].m > mmax ? f->row[i].m : mmax;
	{
		int *cols = xmalloc((size_t)mmax * sizeof *cols);

		for (int i = 0; i < K; i++)
			sparse_row(f, o, text ? &g : NULL, i, cols);
		free(cols);
	}
	if (text)
		gauged_free(f, &g);
}

void
fitrecord_write(const struct fitted *f, const struct fit_settings *o,
    const struct dataset *d)
{
	weak_fit_notes(f->row, f->K, d && d->kind == 2);
	if (o->form == FIT_SPARSE)
		sparse_write(f, o, d);
	else
		dense_write(f, o, d);
}

void
fitted_free(struct fitted *f)
{
	for (int i = 0; i < f->K; i++)
		est_row_free(&f->row[i]);
	free(f->row);
}

/* ---- the form of a record (ccmc-estimate's fits and --markov) ---- */

int
fit_form(int form, int K, const struct input *end)
{
	if (form == FIT_DENSE && K > MAX_VOCAB)
		input_fail(end, "K = %d: a dense record holds at most %d tokens "
		    "(K x K logits); --form sparse writes one of any K up to %d",
		    K, MAX_VOCAB, MAX_SPARSE_VOCAB);
	if (form == FIT_AUTO)
		return K <= MAX_VOCAB ? FIT_DENSE : FIT_SPARSE;
	return form;
}
