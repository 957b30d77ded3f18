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

	if (!(err <= m->tol)) {
		snprintf(why, whylen, "the output head is not tied to the "
		    "embeddings, max|C E^T - I| = %.3g > %.3g, so the forward pass "
		    "gives no probability vector", err, m->tol);
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
	if (!(pos <= m->tol)) {
		snprintf(why, whylen, "positional encodings reach the output, "
		    "max|C r_t| = %.3g > %.3g, so the forward pass gives no "
		    "probability vector", pos, m->tol);
		return 0;
	}
	return 1;
}

int
gen_init(struct generator *g, enum gen_path path, const struct attn_model *m,
    const struct ccmc *c, int window, char *why, size_t whylen)
{
	memset(g, 0, sizeof *g);
	g->path = path;
	if (path == GEN_ATTENTION) {
		if (!output_is_distribution(m, why, whylen))
			return -1;
		g->model = m;
		g->have_grouped = grouped_init(&g->grouped, m) == 0;
		g->K = m->K;
		g->lmax = m->lmax;
	} else {
		g->chain = c;
		g->K = c->K;
		g->lmax = c->lmax;
	}
	g->window = window;
	g->p = xmalloc((size_t)g->K * sizeof *g->p);
	if (path == GEN_MARKOV) {
		g->rowsum = xcalloc((size_t)g->K, sizeof *g->rowsum);
		for (int i = 0; i < g->K; i++)
			for (int j = 0; j < g->K; j++)
				g->rowsum[i] += c->P[(size_t)i * g->K + j];
	}
	g->counting = path == GEN_CCMC && !c->posw;
	if (g->counting)
		g->weight = xmalloc((size_t)g->K * sizeof *g->weight);
	/* the chain looks at the last token only */
	context_init(&g->ctx, g->K, path == GEN_MARKOV ? 1 : window);
	return 0;
}

void
gen_mix(struct generator *g, const double *u, double mix)
{
	g->unigram = mix > 0 ? u : NULL;
	g->mix = mix;
	g->utotal = 0;
	for (int k = 0; g->unigram && k < g->K; k++)
		g->utotal += u[k];
}

void
gen_free(struct generator *g)
{
	free(g->p);
	free(g->rowsum);
	free(g->work);
	free(g->Psup);
	free(g->weight);
	grouped_free(&g->grouped);
	context_free(&g->ctx);
	memset(g, 0, sizeof *g);
}

int
gen_context_limit(const struct generator *g)
{
	if (g->path == GEN_MARKOV || g->window)
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

	if (g->have_grouped)
		grouped_forward(&g->grouped, prompt, L, p);
	else
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

/* The model's own draw, before any mixing; r NULL: p only. */
static int
draw(struct generator *g, const int *prompt, int L, struct rng *r, double *p)
{
	const struct ccmc *c = g->chain;
	int K = g->K, i = prompt[L - 1], y;
	double total;

	switch (g->path) {
	case GEN_ATTENTION:
		total = forward(g, prompt, L, g->p);
		y = r ? rng_categorical(r, g->p, K, total) : -1;
		if (p)
			for (int k = 0; k < K; k++)
				p[k] = g->p[k] > 0 ? g->p[k] / total : 0;
		return y;
	case GEN_CCMC:
		if (p)
			ccmc_probs(c, prompt, L, p, work(g, (size_t)K));
		return r ? ccmc_draw(c, prompt, L, r, work(g, (size_t)L)) : -1;
	case GEN_MARKOV:
		if (p)
			for (int k = 0; k < K; k++)
				p[k] = c->P[(size_t)i * K + k] / g->rowsum[i];
		return r ? rng_categorical(r, c->P + (size_t)i * K, K,
		    g->rowsum[i]) : -1;
	}
	return -1;
}

/* Whether this draw comes from the background: decided first, so that
 * without a mix no randomness is spent on it. */
static int
from_background(struct generator *g, struct rng *r)
{
	return g->unigram && rng_uniform(r) < g->mix;
}

static int
background(struct generator *g, struct rng *r)
{
	return rng_categorical(r, g->unigram, g->K, g->utotal);
}

int
gen_next(struct generator *g, const int *prompt, int L, struct rng *r,
    double *p)
{
	int y, bg;

	if (g->window && L > g->window) {
		prompt += L - g->window;
		L = g->window;
	}
	if (!g->unigram)
		return draw(g, prompt, L, r, p);
	/* (1 - mix) p + mix u, as one draw: first which, then from it */
	bg = from_background(g, r);
	y = bg ? background(g, r) : draw(g, prompt, L, r, p);
	if (p) {
		if (bg)
			draw(g, prompt, L, NULL, p);
		for (int k = 0; k < g->K; k++)
			p[k] = (1 - g->mix) * p[k] + g->mix * g->unigram[k] / g->utotal;
	}
	return y;
}

static void
sup_set(struct generator *g, int a, int b)
{
	const int *tok = g->ctx.present;

	g->Psup[(size_t)a * g->stride + b] =
	    g->chain->P[(size_t)tok[a] * g->K + tok[b]];
}

/* Psup for the present tokens, from scratch. */
static void
sup_build(struct generator *g)
{
	int n = g->ctx.npresent;

	if (n > g->stride) {
		g->stride = 2 * n < g->K ? 2 * n : g->K;
		g->Psup = xrealloc(g->Psup, checked_size((size_t)g->stride *
		    (size_t)g->stride, sizeof *g->Psup));
	}
	for (int a = 0; a < n; a++)
		for (int b = 0; b < n; b++)
			sup_set(g, a, b);
}

/* Row and column of the token that just took slot s. */
static void
sup_fill(struct generator *g, int s)
{
	if (g->ctx.npresent > g->stride) {
		sup_build(g);
		return;
	}
	for (int t = 0; t < g->ctx.npresent; t++) {
		sup_set(g, s, t);
		sup_set(g, t, s);
	}
}

/* The former last slot (now npresent) moved into slot s. */
static void
sup_move(struct generator *g, int s)
{
	int n = g->ctx.npresent, st = g->stride;
	double *P = g->Psup;

	for (int b = 0; b <= n; b++)
		P[(size_t)s * st + b] = P[(size_t)n * st + b];
	for (int a = 0; a < n; a++)
		P[(size_t)a * st + s] = P[(size_t)a * st + n];
}

/* Appends y to the context, keeping Psup in step with its slots.  A token
 * new to the context (from the background) takes the last slot; if another
 * left, that slot moved into the one it vacated. */
static void
push(struct generator *g, int y)
{
	int fresh, s;

	g->query = y;
	if (g->path == GEN_MARKOV)   /* the chain needs the last token only */
		return;
	fresh = g->ctx.slot[y] < 0;
	s = context_push(&g->ctx, y);
	if (!g->counting)
		return;
	if (s >= 0 && !fresh)
		sup_move(g, s);
	if (fresh)
		sup_fill(g, g->ctx.slot[y]);
}

void
gen_start(struct generator *g, const int *prompt, int L)
{
	context_reset(&g->ctx);
	for (int t = 0; t < L; t++)
		context_push(&g->ctx, prompt[t]);
	g->query = prompt[L - 1];
	if (g->counting)
		sup_build(g);
}

/* One CCMC step on the counts: the token in slot s with weight
 * m_s P_{i, present[s]}. */
static int
count_step(struct generator *g, struct rng *r)
{
	const struct context *c = &g->ctx;
	int n = c->npresent, s;
	const double *pi = g->Psup + (size_t)c->slot[g->query] * g->stride;
	const int *m = c->count;
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
		const double *a = g->chain->A + (size_t)g->query * g->K;
		double max = -INFINITY;

		for (s = 0; s < n; s++)
			max = fmax(max, a[c->present[s]]);
		total = 0;
		for (s = 0; s < n; s++)
			total += w[s] = m[s] * exp(a[c->present[s]] - max);
	}
	return c->present[rng_categorical(r, w, n, total)];
}

int
gen_step(struct generator *g, struct rng *r)
{
	int y;

	if (from_background(g, r))
		y = background(g, r);
	else if (g->counting)
		y = count_step(g, r);
	else if (g->path == GEN_MARKOV)
		y = draw(g, &g->query, 1, r, NULL);
	else
		y = draw(g, context_view(&g->ctx), g->ctx.len, r, NULL);
	push(g, y);
	return y;
}
