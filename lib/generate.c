#include "generate.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numeric.h"
#include "util.h"

/* The forward pass yields a probability vector only if C x_t is the one-hot
 * of k_t: C E^T = I, and C r_t = 0 for the positional encodings. */
static int
output_is_distribution(const struct attn_model *m, char *why, size_t whylen)
{
	double err = model_head_error(m), pos = 0;

	if (!(err <= 1e-9)) {
		snprintf(why, whylen, "the output head is not tied to the "
		    "embeddings, max|C E^T - I| = %.3g > 1e-9, so the forward pass "
		    "gives no probability vector", err);
		return 0;
	}
	for (int t = 0; t < m->lmax; t++)
		for (int k = 0; k < m->K; k++) {
			const double *c = m->C + (size_t)k * m->d;
			const double *rt = m->R + (size_t)t * m->d;
			double cr = 0;

			for (int l = 0; l < m->d; l++)
				cr += c[l] * rt[l];
			pos = max_nan(pos, fabs(cr));
		}
	if (!(pos <= 1e-9)) {
		snprintf(why, whylen, "positional encodings reach the output, "
		    "max|C r_t| = %.3g > 1e-9, so the forward pass gives no "
		    "probability vector", pos);
		return 0;
	}
	return 1;
}

int
gen_init(struct generator *g, enum gen_path path, const struct attn_model *m,
    const struct ccmc *c, char *why, size_t whylen)
{
	memset(g, 0, sizeof *g);
	g->path = path;
	if (path == GEN_ATTENTION) {
		if (!output_is_distribution(m, why, whylen))
			return -1;
		g->model = m;
		g->K = m->K;
		g->lmax = m->lmax;
	} else {
		g->chain = c;
		g->K = c->K;
		g->lmax = c->lmax;
	}
	g->p = xmalloc((size_t)g->K * sizeof *g->p);
	if (path == GEN_MARKOV) {
		g->rowsum = xcalloc((size_t)g->K, sizeof *g->rowsum);
		for (int i = 0; i < g->K; i++)
			for (int j = 0; j < g->K; j++)
				g->rowsum[i] += c->P[(size_t)i * g->K + j];
	}
	g->counting = path == GEN_CCMC && !c->posw;
	if (g->counting) {
		g->sup = xmalloc((size_t)g->K * sizeof *g->sup);
		g->slot = xmalloc((size_t)g->K * sizeof *g->slot);
		g->count = xmalloc((size_t)g->K * sizeof *g->count);
		g->weight = xmalloc((size_t)g->K * sizeof *g->weight);
		for (int k = 0; k < g->K; k++)
			g->slot[k] = -1;
	}
	return 0;
}

void
gen_free(struct generator *g)
{
	free(g->p);
	free(g->rowsum);
	free(g->work);
	free(g->ctx);
	free(g->sup);
	free(g->slot);
	free(g->count);
	free(g->weight);
	free(g->Psup);
	memset(g, 0, sizeof *g);
}

int
gen_context_limit(const struct generator *g)
{
	if (g->path == GEN_MARKOV)
		return 0;
	return g->lmax;
}

static double *
work(struct generator *g, size_t n)
{
	if (n > g->nwork) {
		free(g->work);
		g->nwork = n > 2 * g->nwork ? n : 2 * g->nwork;
		g->work = xmalloc(checked_size(g->nwork, sizeof *g->work));
	}
	return g->work;
}

/* The forward pass; returns the total of its positive entries.  Rounding
 * can leave entries a hair below 0: they count as 0, and rng_categorical
 * skips them. */
static double
forward(struct generator *g, const int *prompt, int L, double *p)
{
	double total[2] = { 0, 0 };
	int k;

	attn_forward(g->model, prompt, L, p, work(g,
	    model_work_size(g->model, L)));
	/* two partial sums: half the latency of one */
	for (k = 0; k + 1 < g->K; k += 2) {
		total[0] += p[k] > 0 ? p[k] : 0;
		total[1] += p[k + 1] > 0 ? p[k + 1] : 0;
	}
	if (k < g->K)
		total[0] += p[k] > 0 ? p[k] : 0;
	return total[0] + total[1];
}

int
gen_next(struct generator *g, const int *prompt, int L, struct rng *r,
    double *p)
{
	const struct ccmc *c = g->chain;
	int K = g->K, i = prompt[L - 1], y;
	double total;

	switch (g->path) {
	case GEN_ATTENTION:
		total = forward(g, prompt, L, g->p);
		y = rng_categorical(r, g->p, K, total);
		if (p)
			for (int k = 0; k < K; k++)
				p[k] = g->p[k] > 0 ? g->p[k] / total : 0;
		return y;
	case GEN_CCMC:
		if (p)
			ccmc_probs(c, prompt, L, p, work(g, (size_t)K));
		return ccmc_draw(c, prompt, L, r, work(g, (size_t)L));
	case GEN_MARKOV:
		if (p)
			for (int k = 0; k < K; k++)
				p[k] = c->P[(size_t)i * K + k] / g->rowsum[i];
		return rng_categorical(r, c->P + (size_t)i * K, K, g->rowsum[i]);
	}
	return -1;
}

void
gen_start(struct generator *g, const int *prompt, int L)
{
	if (g->counting) {
		for (int s = 0; s < g->nsup; s++)
			g->slot[g->sup[s]] = -1;
		g->nsup = 0;
		for (int t = 0; t < L; t++) {
			int k = prompt[t];

			if (g->slot[k] < 0) {
				g->slot[k] = g->nsup;
				g->sup[g->nsup] = k;
				g->count[g->nsup++] = 0;
			}
			g->count[g->slot[k]] += 1;
		}
		g->last = g->slot[prompt[L - 1]];
		/* P restricted to the support, rows contiguous */
		g->Psup = xrealloc(g->Psup, checked_size((size_t)g->nsup * g->nsup,
		    sizeof *g->Psup));
		for (int a = 0; a < g->nsup; a++)
			for (int b = 0; b < g->nsup; b++)
				g->Psup[(size_t)a * g->nsup + b] =
				    g->chain->P[(size_t)g->sup[a] * g->K + g->sup[b]];
		return;
	}
	if (g->path == GEN_MARKOV) {
		prompt += L - 1;   /* the chain looks at the query only */
		L = 1;
	}
	if (L > g->cap) {
		free(g->ctx);
		g->cap = L > 2 * g->cap ? L : 2 * g->cap;
		g->ctx = xmalloc((size_t)g->cap * sizeof *g->ctx);
	}
	memcpy(g->ctx, prompt, (size_t)L * sizeof *prompt);
	g->len = L;
}

/* One CCMC step on the counts: token j with weight m_j P_ij. */
static int
count_step(struct generator *g, struct rng *r)
{
	int n = g->nsup, s;
	const double *pi = g->Psup + (size_t)g->last * n, *m = g->count;
	double total, part[4] = { 0, 0, 0, 0 }, *w = g->weight;

	/* four partial sums: a quarter of the latency of one */
	for (s = 0; s + 3 < n; s += 4) {
		part[0] += w[s] = m[s] * pi[s];
		part[1] += w[s + 1] = m[s + 1] * pi[s + 1];
		part[2] += w[s + 2] = m[s + 2] * pi[s + 2];
		part[3] += w[s + 3] = m[s + 3] * pi[s + 3];
	}
	for (; s < n; s++)
		part[0] += w[s] = m[s] * pi[s];
	total = (part[0] + part[1]) + (part[2] + part[3]);
	if (!(total >= DBL_MIN)) {
		/* Every present token's P_ij underflowed: go to the logits. */
		const struct ccmc *c = g->chain;
		const double *a = c->A + (size_t)g->sup[g->last] * c->K;
		double max = -INFINITY;

		for (s = 0; s < n; s++)
			max = fmax(max, a[g->sup[s]]);
		total = 0;
		for (s = 0; s < n; s++)
			total += w[s] = m[s] * exp(a[g->sup[s]] - max);
	}
	s = rng_categorical(r, w, n, total);
	g->count[s] += 1;
	g->last = s;
	return g->sup[s];
}

int
gen_step(struct generator *g, struct rng *r)
{
	int y;

	if (g->counting)
		return count_step(g, r);
	if (g->path == GEN_MARKOV)
		return g->ctx[0] = gen_next(g, g->ctx, 1, r, NULL);
	y = gen_next(g, g->ctx, g->len, r, NULL);
	if (g->len == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->ctx = xrealloc(g->ctx, checked_size((size_t)g->cap,
		    sizeof *g->ctx));
	}
	g->ctx[g->len++] = y;
	return y;
}
