#include "layerdist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "sampleset.h"
#include "util.h"

/* sum |p - q| / 2, and p's mass off the prompt (flags: 1 on it). */
static double
tv(const double *p, const double *q, int K, const char *on, double *out)
{
	double s = 0;

	*out = 0;
	for (int k = 0; k < K; k++) {
		s += fabs(p[k] - q[k]);
		if (!on[k])
			*out += p[k];
	}
	return s / 2;
}

void
layer_distance(const struct attn_model *m, const struct ccmc *c, long n,
    int *const *tok, const int *len, struct layer_distance *r)
{
	int K = m->K;
	double *p = xmalloc(2 * (size_t)K * sizeof *p), *q = p + K;
	double *work = NULL, sum = 0, sumout = 0;
	char *on = xcalloc((size_t)K, 1);
	size_t nwork = 0;

	memset(r, 0, sizeof *r);
	r->prompts = n;
	for (long s = 0; s < n; s++) {
		double d, out;
		size_t need = model_work_size(m, len[s]);

		need = need > (size_t)K ? need : (size_t)K;
		if (need > nwork)
			work = xrealloc(work, checked_size(nwork = need,
			    sizeof *work));
		attn_law(m, tok[s], len[s], p, work);
		ccmc_probs(c, tok[s], len[s], q, work);
		for (int t = 0; t < len[s]; t++)
			on[tok[s][t]] = 1;
		d = tv(p, q, K, on, &out);
		for (int t = 0; t < len[s]; t++)
			on[tok[s][t]] = 0;
		if (s == 0 || d > r->max_tv) {
			r->max_tv = d;
			r->worst = s;
		}
		r->max_out = fmax(r->max_out, out);
		sum += d;
		sumout += out;
	}
	r->mean_tv = n ? sum / n : 0;
	r->mean_out = n ? sumout / n : 0;
	free(p);
	free(work);
	free(on);
}

/* The layer's laws as weighted samples: for each prompt and each distinct
 * token j of it that the layer gives probability, the sample (prompt, j)
 * at multiplicity p(j), kept in order with its query in q[] and w[]. */
static long
law_samples(const struct attn_model *m, long n, int *const *tok,
    const int *len, struct sampleset *set, int **q, double **w)
{
	int K = m->K;
	double *p = xmalloc((size_t)K * sizeof *p), *work = NULL;
	char *on = xcalloc((size_t)K, 1);
	size_t nwork = 0;
	long ns = 0, cap = 0;

	for (long s = 0; s < n; s++) {
		size_t need = model_work_size(m, len[s]);

		if (need > nwork)
			work = xrealloc(work, checked_size(nwork = need,
			    sizeof *work));
		attn_law(m, tok[s], len[s], p, work);
		for (int t = 0; t < len[s]; t++) {
			int j = tok[s][t];

			if (on[j] || !(p[j] > 0))
				continue;
			on[j] = 1;
			if (ns == cap) {
				cap = cap ? 2 * cap : 1024;
				*q = xrealloc(*q, checked_size((size_t)cap,
				    sizeof **q));
				*w = xrealloc(*w, checked_size((size_t)cap,
				    sizeof **w));
			}
			sampleset_add(set, tok[s], len[s], j, NULL);
			(*q)[ns] = tok[s][len[s] - 1];
			(*w)[ns++] = p[j];
		}
		for (int t = 0; t < len[s]; t++)
			on[tok[s][t]] = 0;
	}
	free(p);
	free(work);
	free(on);
	return ns;
}

/* Row r's logits for the CCMC: the log of its conditionals, which on any
 * prompt of the row give the fitted law (a prompt's tokens share a
 * component); 0 where the fit leaves them free.  A token the fit sinks
 * (conditional 0: the layer gives it nothing beside tokens it does give
 * some) goes 800 below the row's lowest other logit: exp underflows to
 * exactly 0 there, so the law is the fit's wherever the token has company,
 * and still defined on a prompt of sunk tokens alone, where -infinity
 * would leave 0 / 0. */
static void
row_logits(const struct est_row *r, double *a, long *free_logits)
{
	double low = 0;

	for (int l = 0; l < r->m; l++) {
		a[l] = log(r->cond[l]);
		if (isnan(a[l])) {
			a[l] = 0;
			(*free_logits)++;
		}
		if (isfinite(a[l]))
			low = fmin(low, a[l]);
	}
	for (int l = 0; l < r->m; l++)
		if (isinf(a[l]))
			a[l] = low - 800;
}

void
layer_nearest(const struct attn_model *m, long n, int *const *tok,
    const int *len, struct ccmc *c, struct layer_fit *f)
{
	struct est_options o = EST_OPTIONS_DEFAULT;
	struct sampleset *set = sampleset_new(0);
	int K = m->K, *q = NULL;
	double *w = NULL, *mult;
	long ns = law_samples(m, n, tok, len, set, &q, &w), *at;

	/* each row's multiplicities, in the order its samples were added */
	at = xcalloc((size_t)K + 1, sizeof *at);
	for (long s = 0; s < ns; s++)
		at[q[s] + 1]++;
	for (int i = 0; i < K; i++)
		at[i + 1] += at[i];
	mult = xmalloc(((size_t)ns + 1) * sizeof *mult);
	for (long s = 0; s < ns; s++)
		mult[at[q[s]]++] = w[s];

	memset(f, 0, sizeof *f);
	f->converged = 1;
	memset(c, 0, sizeof *c);
	c->K = K;
	c->sparse = 1;
	logits_sparse(&c->lg, K, NULL);
	for (int i = 0; i < K; i++) {
		long first = i ? at[i - 1] : 0;
		struct est_row r;
		double *a;

		if (first == at[i]) {
			logits_sparse_add(&c->lg, NULL, NULL, 0, NAN);
			continue;
		}
		est_fit_row(set, K, i, mult + first, &o, 0, &r);
		a = xmalloc((size_t)r.m * sizeof *a);
		row_logits(&r, a, &f->undetermined);
		logits_sparse_add(&c->lg, r.tok, a, r.m, NAN);
		f->loglik += r.loglik;
		f->converged &= r.converged;
		f->iters = r.iters > f->iters ? r.iters : f->iters;
		f->rows++;
		free(a);
		est_row_free(&r);
	}
	free(at);
	free(mult);
	free(q);
	free(w);
	sampleset_free(set);
}
