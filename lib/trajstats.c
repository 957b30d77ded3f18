#include "trajstats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numeric.h"
#include "util.h"

const int ts_rep_lengths[TS_NREP] = { 16, 32, 128 };
const char *const ts_rule_names[TS_NRULES] = { "window", "growth" };

/* "At least x of total": a relative slack keeps 0.95 * 1000 from missing 950
 * by rounding. */
static int
at_least(double have, double share, double total)
{
	return have >= share * total - 1e-9 * total;
}

static uint64_t
hash_ints(const int *v, int n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < n; i++) {
		h ^= (uint32_t)v[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

/* Distinct n-grams of y, by an open-addressing set of their start positions. */
static long
distinct_ngrams(const int *y, long T, int n)
{
	long count = T - n + 1, distinct = 0;
	size_t nslot = 16, mask;
	long *slot;

	while (nslot < 2 * (size_t)count)
		nslot *= 2;
	mask = nslot - 1;
	slot = xcalloc(nslot, sizeof *slot);
	for (long s = 0; s < count; s++) {
		size_t h = hash_ints(y + s, n) & mask;

		while (slot[h] && memcmp(y + slot[h] - 1, y + s,
		    (size_t)n * sizeof *y) != 0)
			h = (h + 1) & mask;
		if (!slot[h]) {
			slot[h] = s + 1;
			distinct++;
		}
	}
	free(slot);
	return distinct;
}

void
ts_repetition(const int *y, long T, int nsym, double *seq_rep,
    double *distinct_n, double *rep)
{
	for (int n = 1; n <= TS_NGRAMS; n++) {
		if (T < n) {
			seq_rep[n - 1] = distinct_n[n - 1] = NAN;
			continue;
		}
		distinct_n[n - 1] = (double)distinct_ngrams(y, T, n) / (double)(T - n + 1);
		seq_rep[n - 1] = 1 - distinct_n[n - 1];
	}
	if (T < 2) {
		for (int k = 0; k < TS_NREP; k++)
			rep[k] = NAN;
		return;
	}
	{
		long *last = xmalloc((size_t)nsym * sizeof *last);
		long hits[TS_NREP] = { 0 };

		for (int s = 0; s < nsym; s++)
			last[s] = -1;
		for (long t = 0; t < T; t++) {
			if (t > 0 && last[y[t]] >= 0)
				for (int k = 0; k < TS_NREP; k++)
					hits[k] += last[y[t]] >= t - ts_rep_lengths[k];
			last[y[t]] = t;
		}
		for (int k = 0; k < TS_NREP; k++)
			rep[k] = (double)hits[k] / (double)(T - 1);
		free(last);
	}
}

int
ts_points_max(long T, int per_decade)
{
	return T < 1 ? 0 : (int)(per_decade * (log10((double)T) + 1)) + 2;
}

int
ts_points(long T, int per_decade, long *t)
{
	int n = 0;

	if (T < 1)
		return 0;
	for (int k = 0;; k++) {
		long v = lround(pow(10, (double)k / per_decade));

		if (v >= T)
			break;
		if (n == 0 || v > t[n - 1])
			t[n++] = v;
	}
	t[n++] = T;
	return n;
}

struct rank {
	long key1, key2;   /* larger first */
	int  id, dense;    /* then smaller id */
};

static int
cmp_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->key1 != y->key1)
		return x->key1 > y->key1 ? -1 : 1;
	if (x->key2 != y->key2)
		return x->key2 > y->key2 ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* The window rule: marks in win[] (by dense id) the smallest set of tokens
 * holding >= 1 - eps of the last W context tokens; returns its size. */
static int
window_winners(const int *dense, long n, int nsym, const long *count,
    const int *ids, const struct ts_opts *o, int *win)
{
	long W = o->window < n ? o->window : n, cum = 0;
	struct rank *rk = xmalloc((size_t)nsym * sizeof *rk);
	int size = 0;

	for (int s = 0; s < nsym; s++) {
		rk[s] = (struct rank){ 0, count[s], ids[s], s };
		win[s] = 0;
	}
	for (long i = n - W; i < n; i++)
		rk[dense[i]].key1++;
	qsort(rk, (size_t)nsym, sizeof *rk, cmp_rank);
	while (size < nsym && !at_least((double)cum, 1 - o->eps, (double)W)) {
		cum += rk[size].key1;
		win[rk[size++].dense] = 1;
	}
	free(rk);
	return size;
}

/* Collapse time of the generated tokens y onto the tokens marked in win. */
static long
collapse_time(const int *y, long T, const int *win, const struct ts_opts *o)
{
	long W = o->window < T ? o->window : T, in = 0, last_bad = 0;

	for (long i = 0; i < W; i++)
		in += win[y[i]];
	for (long v = 1;; v++) {       /* window y_v .. y_{v+W-1}, 1-based */
		if (!at_least((double)in, 1 - o->eps, (double)W))
			last_bad = v;
		if (v + W - 1 >= T)
			return last_bad == v ? -1 : last_bad;
		in += win[y[v + W - 1]] - win[y[v - 1]];
	}
}

void
trajstats_compute(const int *ctx, long L, long T, const struct ts_opts *o,
    struct ts_result *r)
{
	long n = L + T, top = 0, n1;
	int *ids = xmalloc((size_t)n * sizeof *ids);
	int *dense = xmalloc((size_t)n * sizeof *dense);
	int *wwin, *gwin = NULL, *seen;
	long *m, *m1, *tpt;
	double *p, *gamma;
	struct rank *order;
	int nsym = 0, growth_ok, maxpts;

	memset(r, 0, sizeof *r);
	r->L = L;
	r->T = T;

	/* Dense ids 0..nsym-1 in the order of the token ids. */
	memcpy(ids, ctx, (size_t)n * sizeof *ids);
	qsort(ids, (size_t)n, sizeof *ids, cmp_int);
	for (long i = 0; i < n; i++)
		if (nsym == 0 || ids[i] != ids[nsym - 1])
			ids[nsym++] = ids[i];
	for (long i = 0; i < n; i++)
		dense[i] = (int)((int *)bsearch(&ctx[i], ids, (size_t)nsym,
		    sizeof *ids, cmp_int) - ids);
	r->nsym = nsym;

	seen = xcalloc((size_t)nsym, sizeof *seen);
	for (long i = L; i < n; i++)
		if (!seen[dense[i]]++)
			r->distinct++;
	free(seen);

	/* The growth rule's early checkpoint: a context of at least one token,
	 * strictly before the end. */
	r->t1 = (long)(o->from * (double)T);
	if (L + r->t1 == 0)
		r->t1 = 1;
	growth_ok = r->t1 < T;
	n1 = L + r->t1;

	/* One pass over the steps: counts, their copy at t1, the curve. */
	m = xcalloc((size_t)nsym, sizeof *m);
	m1 = xcalloc((size_t)nsym, sizeof *m1);
	p = xmalloc((size_t)nsym * sizeof *p);
	maxpts = ts_points_max(T, o->per_decade);
	tpt = xmalloc((size_t)maxpts * sizeof *tpt);
	r->npoints = ts_points(T, o->per_decade, tpt);
	r->t = tpt;
	r->top1 = xmalloc((size_t)maxpts * sizeof *r->top1);
	r->entropy = xmalloc((size_t)maxpts * sizeof *r->entropy);
	for (long i = 0; i < L; i++)
		if (++m[dense[i]] > top)
			top = m[dense[i]];
	if (r->t1 == 0)
		memcpy(m1, m, (size_t)nsym * sizeof *m);
	for (long t = 1, k = 0; t <= T; t++) {
		int s = dense[L + t - 1];

		if (++m[s] > top)
			top = m[s];
		if (t == r->t1)
			memcpy(m1, m, (size_t)nsym * sizeof *m);
		if (k < r->npoints && t == tpt[k]) {
			for (int j = 0; j < nsym; j++)
				p[j] = (double)m[j] / (double)(L + t);
			r->top1[k] = (double)top / (double)(L + t);
			r->entropy[k++] = entropy(p, nsym);
		}
	}

	wwin = xmalloc((size_t)nsym * sizeof *wwin);
	r->n_window = window_winners(dense, n, nsym, m, ids, o, wwin);

	gamma = xmalloc((size_t)nsym * sizeof *gamma);
	if (growth_ok) {
		gwin = xcalloc((size_t)nsym, sizeof *gwin);
		for (int s = 0; s < nsym; s++) {
			long late = m[s] - m1[s];

			if (m1[s] > 0) {
				gamma[s] = log((double)m[s] / (double)m1[s]) /
				    log((double)n / (double)n1);
				gwin[s] = gamma[s] >= o->gamma_min && late >= o->min_count;
			} else {
				gamma[s] = NAN;
				gwin[s] = late >= o->min_count;
			}
			r->n_growth += gwin[s];
		}
	} else
		for (int s = 0; s < nsym; s++)
			gamma[s] = NAN;

	r->collapse = -1;
	if (gwin) {
		long in = 0;

		if (r->n_growth > 0 && r->n_growth < nsym)
			r->collapse = collapse_time(dense + L, T, gwin, o);
		r->share = xmalloc((size_t)maxpts * sizeof *r->share);
		for (long i = 0; i < L; i++)
			in += gwin[dense[i]];
		for (long t = 1, k = 0; t <= T; t++) {
			in += gwin[dense[L + t - 1]];
			if (k < r->npoints && t == tpt[k])
				r->share[k++] = (double)in / (double)(L + t);
		}
	}

	ts_repetition(dense + L, T, nsym, r->seq_rep, r->distinct_n, r->rep);

	/* Report tokens by final count, then id. */
	order = xmalloc((size_t)nsym * sizeof *order);
	for (int s = 0; s < nsym; s++)
		order[s] = (struct rank){ m[s], 0, ids[s], s };
	qsort(order, (size_t)nsym, sizeof *order, cmp_rank);
	r->sym = xmalloc((size_t)nsym * sizeof *r->sym);
	r->count = xmalloc((size_t)nsym * sizeof *r->count);
	r->gamma = xmalloc((size_t)nsym * sizeof *r->gamma);
	r->winner_window = xmalloc((size_t)nsym * sizeof *r->winner_window);
	if (gwin)
		r->winner_growth = xmalloc((size_t)nsym * sizeof *r->winner_growth);
	for (int k = 0; k < nsym; k++) {
		int s = order[k].dense;

		r->sym[k] = ids[s];
		r->count[k] = m[s];
		r->gamma[k] = gamma[s];
		r->winner_window[k] = wwin[s];
		if (gwin)
			r->winner_growth[k] = gwin[s];
	}

	free(order);
	free(gamma);
	free(gwin);
	free(wwin);
	free(p);
	free(m1);
	free(m);
	free(dense);
	free(ids);
}

void
trajstats_free(struct ts_result *r)
{
	free(r->sym);
	free(r->count);
	free(r->gamma);
	free(r->winner_window);
	free(r->winner_growth);
	free(r->t);
	free(r->top1);
	free(r->share);
	free(r->entropy);
	memset(r, 0, sizeof *r);
}

const int *
ts_winner_mask(const struct ts_result *r, int rule)
{
	return rule == TS_WINDOW ? r->winner_window : r->winner_growth;
}

int
ts_tokens_of(const struct ts_result *r, const int *mask, int *set)
{
	int n = 0;

	for (int k = 0; k < r->nsym; k++)
		if (mask[k])
			set[n++] = r->sym[k];
	qsort(set, (size_t)n, sizeof *set, cmp_int);
	return n;
}
