#include "layerdist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
