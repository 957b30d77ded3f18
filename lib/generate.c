#include "generate.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numeric.h"
#include "util.h"

/* Whether the position weights of every length L are rho^(L - t) (rho
 * read off the longest), up to rounding (relative 1e-9: the scores B_Lt
 * come out of matrix products).  Then w_j of a context of length L + 1 is
 * rho w_j of its first L tokens, plus 1 for the last token. */
static int
posw_geometric(const struct ccmc *c, double *rho)
{
	int n = c->lmax;

	if (!c->posw || n < 2)
		return 0;
	*rho = c->posw[(size_t)(n - 1) * n + n - 2];
	if (!(*rho > 0 && *rho <= 1))
		return 0;
	for (int L = 1; L <= n; L++) {
		const double *row = c->posw + (size_t)(L - 1) * n;
		double w = 1;

		for (int t = L - 1; t >= 0; t--, w *= *rho)
			if (!(fabs(row[t] - w) <= 1e-9 * w + DBL_MIN))
				return 0;
	}
	return 1;
}

/*
 * The ordinary chain of a sparse CCMC, row i: P_ij = exp(A_ij - log Z_i).
 * Its listed columns are weighed one by one; the rest of the row, the
 * unlisted columns, is proportional to exp(bg_j) (or uniform without a
 * background): drawn from an alias table of the background over all K,
 * a listed column rejected.  O(entries of the row) per draw on average,
 * unless the listed columns hold most of the background: then, after
 * MARKOV_TRIES rejections, the unlisted are weighed one by one (the law
 * stays exact: each try, and the fallback, draws from the same law).
 */
#define MARKOV_TRIES 64

static void
markov_sparse_init(struct generator *g)
{
	const struct logits *lg = &g->chain->lg;
	int K = g->K, *work;
	double *w;

	if (!lg->bg)
		return;
	w = xmalloc((size_t)K * sizeof *w);
	work = xmalloc(2 * (size_t)K * sizeof *work);
	g->bgprob = xmalloc((size_t)K * sizeof *g->bgprob);
	g->bgalias = xmalloc((size_t)K * sizeof *g->bgalias);
	for (int j = 0; j < K; j++)
		w[j] = exp(lg->bg[j] - lg->bgmax);
	rng_alias_build(w, K, lg->bgsum, g->bgprob, g->bgalias, work);
	free(w);
	free(work);
}

/* Whether sparse row i lists column j. */
static int
listed(const int *cols, int n, int j)
{
	return sorted_find(cols, n, j) >= 0;
}

static int
markov_sparse_draw(struct generator *g, int i, struct rng *r)
{
	const struct logits *lg = &g->chain->lg;
	const int *cols;
	const double *a;
	double lz = g->chain->lognorm[i], u = rng_uniform(r), total = 0;
	int n, K = g->K;

	logits_sparse_row(lg, i, &cols, &a, &n);
	for (int k = 0; k < n; k++)
		if ((u -= exp(a[k] - lz)) < 0)
			return cols[k];
	if (n == K) {
		/* rounding left u above the row's total: its last positive */
		for (int k = n - 1; k >= 0; k--)
			if (a[k] > -INFINITY)
				return cols[k];
	}
	for (int t = 0; t < MARKOV_TRIES; t++) {
		int j = (int)rng_below(r, (uint32_t)K);

		if (lg->bg && !(rng_uniform(r) < g->bgprob[j]))
			j = g->bgalias[j];
		if (!listed(cols, n, j))
			return j;
	}
	for (int j = 0; j < K; j++) {
		g->p[j] = listed(cols, n, j) ? 0 : lg->bg ?
		    exp(lg->bg[j] - lg->bgmax) : 1;
		total += g->p[j];
	}
	return rng_categorical(r, g->p, K, total);
}

/* Row i of a chain, as probabilities (K). */
static void
markov_row(const struct generator *g, int i, double *p)
{
	const struct ccmc *c = g->chain;

	if (!c->sparse) {
		for (int k = 0; k < g->K; k++)
			p[k] = c->P[(size_t)i * g->K + k] / g->rowsum[i];
		return;
	}
	for (int k = 0; k < g->K; k++)
		p[k] = ccmc_base(c, i, k);
}

int
gen_init(struct generator *g, enum gen_path path, const struct attn_model *m,
    const struct ccmc *c, int window, char *why, size_t whylen)
{
	memset(g, 0, sizeof *g);
	g->path = path;
	if (path == GEN_ATTENTION) {
		if (!model_law_ok(m, why, whylen))
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
	if (path == GEN_MARKOV && c->sparse)
		markov_sparse_init(g);
	else if (path == GEN_MARKOV) {
		g->rowsum = xcalloc((size_t)g->K, sizeof *g->rowsum);
		for (int i = 0; i < g->K; i++)
			for (int j = 0; j < g->K; j++)
				g->rowsum[i] += c->P[(size_t)i * g->K + j];
	}
	g->counting = path == GEN_CCMC && !c->posw;
	if (g->counting)
		g->weight = xmalloc(((size_t)g->K + 1) * sizeof *g->weight);
	g->growing = g->counting && !window;
	g->decaying = path == GEN_CCMC && !window && posw_geometric(c, &g->rho);
	if (g->decaying) {
		g->wpos = xmalloc((size_t)g->K * sizeof *g->wpos);
		g->weight = xmalloc((size_t)g->K * sizeof *g->weight);
	}
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
	free(g->wpos);
	free(g->row);
	free(g->entry);
	free(g->q);
	free(g->aprob);
	free(g->aw);
	free(g->alias);
	free(g->awork);
	free(g->bgprob);
	free(g->bgalias);
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

/* The forward pass, as weights of the law attn_law (model.h) says; returns
 * their total (the draw needs no division). */
static double
forward(struct generator *g, const int *prompt, int L, double *p)
{
	if (g->have_grouped)
		grouped_forward(&g->grouped, prompt, L, p);
	else
		attn_forward(g->model, prompt, L, p, work(g,
		    model_work_size(g->model, L)));
	return attn_law_weights(g->model, p);
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
		if (!g->model->C) {
			/* headless: a position, O(L d), no vector of K (p, if
			 * asked for, is computed beside: it does not change
			 * the draw) */
			y = r ? attn_draw_headless(g->model, prompt, L, r, work(g,
			    model_work_size(g->model, L))) : -1;
			if (p) {
				total = forward(g, prompt, L, p);
				for (int k = 0; k < K; k++)
					p[k] /= total;
			}
			return y;
		}
		total = forward(g, prompt, L, g->p);
		y = r ? rng_categorical(r, g->p, K, total) : -1;
		if (p)
			for (int k = 0; k < K; k++)
				p[k] = g->p[k] / total;
		return y;
	case GEN_CCMC:
		if (p)
			ccmc_probs(c, prompt, L, p, work(g, (size_t)K));
		return r ? ccmc_draw(c, prompt, L, r, work(g, (size_t)L)) : -1;
	case GEN_MARKOV:
		if (p)
			markov_row(g, i, p);
		if (r && c->sparse)
			return markov_sparse_draw(g, i, r);
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

	g->Psup[(size_t)a * g->stride + b] = ccmc_base(g->chain, tok[a], tok[b]);
}

/* grow_step's tables for the stride. */
static void
grow_alloc(struct generator *g)
{
	size_t st = (size_t)g->stride, n;

	for (g->rowbits = 1; (1 << g->rowbits) < g->stride + 1; g->rowbits++)
		;
	n = (size_t)1 << g->rowbits;
	/* no row's tables are made yet (gen 0 is before the first) */
	free(g->row);
	g->row = xcalloc(st, sizeof *g->row);
	g->entry = xrealloc(g->entry, checked_size(checked_size(st, n),
	    sizeof *g->entry));
	g->q = xrealloc(g->q, checked_size(checked_size(st, st), sizeof *g->q));
	g->aw = xrealloc(g->aw, n * sizeof *g->aw);
	g->aprob = xrealloc(g->aprob, n * sizeof *g->aprob);
	g->alias = xrealloc(g->alias, n * sizeof *g->alias);
	g->awork = xrealloc(g->awork, 2 * n * sizeof *g->awork);
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
		if (g->growing)
			grow_alloc(g);
	}
	for (int a = 0; a < n; a++)
		for (int b = 0; b < n; b++)
			sup_set(g, a, b);
	g->present_gen++;
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

/* The position-weighted counts after y was appended (a new token has a
 * slot of its own, last). */
static void
decay(struct generator *g, int y, int fresh)
{
	int n = g->ctx.npresent;

	if (fresh)
		g->wpos[n - 1] = 0;
	for (int s = 0; s < n; s++)
		g->wpos[s] *= g->rho;
	g->wpos[g->ctx.slot[y]] += 1;
}

/* Appends y to the context, keeping Psup in step with its slots.  A token
 * new to the context (from the background) takes the last slot; if another
 * left, that slot moved into the one it vacated. */
void
gen_append(struct generator *g, int y)
{
	int fresh, s;

	g->query = y;
	if (g->path == GEN_MARKOV)   /* the chain needs the last token only */
		return;
	fresh = g->ctx.slot[y] < 0;
	s = context_push(&g->ctx, y);
	if (g->decaying)
		decay(g, y, fresh);
	if (!g->counting)
		return;
	g->present_gen += fresh;   /* grow_step's tables know the old ones */
	if (s >= 0 && !fresh)
		sup_move(g, s);
	if (fresh)
		sup_fill(g, g->ctx.slot[y]);
}

void
gen_start(struct generator *g, const int *prompt, int L)
{
	context_reset(&g->ctx);
	for (int t = 0; t < L; t++) {
		int fresh = g->ctx.slot[prompt[t]] < 0;

		context_push(&g->ctx, prompt[t]);
		if (g->decaying)
			decay(g, prompt[t], fresh);
	}
	g->query = prompt[L - 1];
	g->qtok = -1;
	if (g->counting)
		sup_build(g);
	/* a trajectory draws the same whatever ran before it (shards) */
	if (g->growing)
		memset(g->row, 0, (size_t)g->stride * sizeof *g->row);
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
		double max = -INFINITY;

		ccmc_logits_at(g->chain, g->query, c->present, n, w);
		for (s = 0; s < n; s++)
			max = fmax(max, w[s]);
		total = 0;
		for (s = 0; s < n; s++)
			total += w[s] = m[s] * exp(w[s] - max);
	}
	return c->present[rng_categorical(r, w, n, total)];
}

/* Positions since a row's tables were made that they allow for: at most
 * 1/GROW_SHARE of the weight (so a try is refused with probability below
 * 1/(GROW_SHARE + 1)), and at most GROW_MAX.  The more, the more steps
 * try a recent position and may start over; the fewer, the more often
 * tables are made. */
#define GROW_SHARE 8
#define GROW_MAX   4096
#define GROW_RENT  16

/* Row a of P among the present tokens, scaled so that its largest is 1
 * (a probability, see grow_step); if that largest underflowed, from the
 * logits.  It changes only with the present tokens. */
static void
grow_q(struct generator *g, int a)
{
	const struct context *c = &g->ctx;
	int n = c->npresent;
	const double *pa = g->Psup + (size_t)a * g->stride;
	double *q = g->q + (size_t)a * g->stride, max = 0;

	for (int b = 0; b < n; b++)
		max = pa[b] > max ? pa[b] : max;
	if (max >= DBL_MIN)
		for (int b = 0; b < n; b++)
			q[b] = pa[b] / max;
	else {
		ccmc_logits_at(g->chain, c->present[a], c->present, n, q);
		max = -INFINITY;
		for (int b = 0; b < n; b++)
			max = q[b] > max ? q[b] : max;
		for (int b = 0; b < n; b++)
			q[b] = exp(q[b] - max);
	}
	g->row[a].qgen = g->present_gen;
}

/*
 * Query slot a's tables, from the counts m now: an alias table of 2^abits
 * >= n + 1 entries (a power of 2, so that no multiplication finds one),
 * token b with weight m_b q_b, one for the next `cap` positions with
 * weight cap, the rest 0.
 */
static void
grow_row(struct generator *g, int a)
{
	const struct context *c = &g->ctx;
	int n = c->npresent, size;
	const double *q = g->q + (size_t)a * g->stride;
	double *w = g->aw, total = 0, cap;
	struct gen_alias *e = g->entry + ((size_t)a << g->rowbits);
	struct gen_row *row = g->row + a;

	if (row->qgen != g->present_gen)
		grow_q(g, a);
	for (g->abits = 1; (1 << g->abits) < n + 1; g->abits++)
		;
	size = 1 << g->abits;
	for (int b = 0; b < n; b++)
		total += w[b] = c->count[b] * q[b];
	/* total >= 1: the largest q is 1, every count at least 1 */
	cap = floor(total / GROW_SHARE);
	cap = cap < 1 ? 1 : cap > GROW_MAX ? GROW_MAX : cap;
	w[n] = cap;
	for (int k = n + 1; k < size; k++)
		w[k] = 0;
	rng_alias_build(w, size, total + cap, g->aprob, g->alias, g->awork);
	for (int k = 0; k < size; k++) {
		double p = g->aprob[k];

		/* a full entry has itself as alias: the coin does not matter */
		e[k].prob = p < 1 ? (uint64_t)(p * 0x1p64) : UINT64_MAX;
		e[k].slot[0] = k < n ? k : -1;
		e[k].slot[1] = g->alias[k] < n ? g->alias[k] : -1;
	}
	row->gen = g->present_gen;
	row->since = c->len;
	row->cap = (int)cap;
	row->until = c->len + row->cap;
	row->stale = 0;
}

/*
 * count_step's law in O(1) on average.  The counts are those the query
 * row's tables were made from plus the r < cap tokens drawn since, so the
 * weights m_b q_b split into the tables' and one weight q <= 1 for each
 * recent position.  The alias table draws a token with the first, or,
 * with weight cap, one of the next cap positions, uniformly: a position
 * already drawn is kept with probability q of its token, else (or if
 * not drawn yet) the step starts over.  So each token's chance is
 * proportional to m_b q_b, that is m_b P_ib.
 *
 * A 64-bit word x makes a draw from the alias table of 2^abits entries:
 * its top abits bits are the entry, the others the coin between the entry
 * and its alias.
 */
static int
grow_step(struct generator *g, struct rng *r)
{
	const struct context *c = &g->ctx;
	/* the slot known without a look-up: a shorter chain from step to
	 * step (slots stay put while counts only grow) */
	int a = g->query == g->qtok ? g->qslot : c->slot[g->query];
	const struct gen_row *row = g->row + a;
	const struct gen_alias *e = g->entry + ((size_t)a << g->rowbits);
	const double *q = g->q + (size_t)a * g->stride;

	if (c->len >= row->until || row->gen != g->present_gen) {
		/* Rare queries: tables made for them would lapse unused.  So
		 * the tables are made anew only once the steps drawn without
		 * them have cost about as much. */
		if (++g->row[a].stale < GROW_RENT)
			return count_step(g, r);
		grow_row(g, a);
	}
	for (;;) {
		uint64_t x = rng_u64_inline(r);
		const struct gen_alias *k = e + (x >> (64 - g->abits));
		unsigned __int128 z;
		long t;
		int s = k->slot[0], y;

		/* no branch on a coin */
		s ^= (s ^ k->slot[1]) & -(int)(x << g->abits >= k->prob);
		if (s >= 0) {
			g->qslot = s;
			return g->qtok = c->present[s];
		}
		/* a recent position: the same on [0, cap) */
		z = (unsigned __int128)rng_u64_inline(r) * (unsigned)row->cap;
		t = (long)(z >> 64);
		if (t < c->len - row->since) {
			y = context_view(c)[row->since + t];
			if ((double)(uint64_t)z < q[c->slot[y]] * 0x1p64)
				return y;
		}
	}
}

/* One CCMC step on the position-weighted counts: the token in slot s
 * with weight w_s P_{i, present[s]}, as ccmc_draw weighs positions; if
 * those underflowed, in logs as it does. */
static int
decay_step(struct generator *g, struct rng *r)
{
	const struct context *c = &g->ctx;
	double *w = g->weight, total = 0;
	int n = c->npresent;

	for (int s = 0; s < n; s++)
		total += w[s] = g->wpos[s] * ccmc_base(g->chain, g->query,
		    c->present[s]);
	if (!(total >= 1e-200)) {
		double max = -INFINITY;

		ccmc_logits_at(g->chain, g->query, c->present, n, w);
		for (int s = 0; s < n; s++) {
			w[s] = g->wpos[s] > 0 ? log(g->wpos[s]) + w[s] : -INFINITY;
			max = fmax(max, w[s]);
		}
		total = 0;
		for (int s = 0; s < n; s++)
			total += w[s] = exp(w[s] - max);
	}
	return c->present[rng_categorical(r, w, n, total)];
}

int
gen_draw(struct generator *g, struct rng *r)
{
	if (from_background(g, r))
		return background(g, r);
	if (g->growing)
		return grow_step(g, r);
	if (g->counting)
		return count_step(g, r);
	if (g->decaying)
		return decay_step(g, r);
	if (g->path == GEN_MARKOV)
		return draw(g, &g->query, 1, r, NULL);
	return draw(g, context_view(&g->ctx), g->ctx.len, r, NULL);
}

int
gen_step(struct generator *g, struct rng *r)
{
	int y = gen_draw(g, r);

	gen_append(g, y);
	return y;
}
