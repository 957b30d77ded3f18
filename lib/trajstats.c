#include "trajstats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"
#include "hash.h"
#include "numeric.h"
#include "util.h"

const int ts_rep_lengths[TS_NREP] = { 16, 32, 128 };
const char *const ts_rule_names[TS_NRULES] = { "window", "growth" };
const char *const ts_why[] = {
	NULL,
	"too short: fewer than 2 blocks after the early checkpoint",
	"undecided: no token is a decided loser, not every one a decided winner",
	"not collapsed: every token is a decided winner",
	"the losers still hold more than eps of the last window",
};

/* "At least x of total": a relative slack keeps 0.95 * 1000 from missing 950
 * by rounding. */
static int
at_least(double have, double share, double total)
{
	return have >= share * total - 1e-9 * total;
}

/* Distinct n-grams of y, by an open-addressing set of their start positions
 * (for any ids), under the keyed hash that no trajectory can flood. */
static long
distinct_ngrams_any(const int *y, long T, int n)
{
	long count = T - n + 1, distinct = 0;
	size_t nslot = 16, mask;
	long *slot;

	while (nslot < 2 * (size_t)count)
		nslot *= 2;
	mask = nslot - 1;
	slot = xcalloc(nslot, sizeof *slot);
	for (long s = 0; s < count; s++) {
		size_t h = hash_bytes(y + s, (size_t)n * sizeof *y) & mask;

		while (slot[h] && memcmp(y + slot[h] - 1, y + s,
		    (size_t)n * sizeof *y) != 0) {
			h = (h + 1) & mask;
			hash_probes++;
		}
		if (!slot[h]) {
			slot[h] = s + 1;
			distinct++;
		}
	}
	free(slot);
	return distinct;
}

/* Distinct n-grams of y (ids below nsym), each read as the number
 * sum y_{s+i} nsym^(n-1-i) that names it, rolled from one start to the
 * next: marked in a bitmap when there are few such numbers, else kept in
 * an open-addressing set of them (keyed hash), so n-grams are never
 * compared token by token.  Falls back on the general set when the
 * numbers overflow. */
static long
distinct_ngrams(const int *y, long T, int n, int nsym)
{
	long count = T - n + 1, distinct = 0;
	uint64_t space = 1, top = 1, code = 0;

	for (int i = 0; i < n; i++) {
		if (space > UINT64_MAX / 2 / (uint64_t)(nsym ? nsym : 1))
			return distinct_ngrams_any(y, T, n);
		space *= (uint64_t)(nsym ? nsym : 1);
		if (i)
			top *= (uint64_t)nsym;
	}
	for (int i = 0; i < n - 1; i++)
		code = code * (uint64_t)nsym + (uint64_t)y[i];
	if (space <= (1u << 22)) {
		uint64_t *bit = xcalloc((size_t)(space + 63) / 64, sizeof *bit);

		uint64_t last = UINT64_MAX;

		/* Set only, counted at the end; a repeat of the n-gram just set
		 * (common: collapsed text repeats itself) is not stored again,
		 * which would wait on the store before.  Each number is made
		 * afresh, not rolled, so that starts do not wait on each other. */
		for (long s = 0; s < count; s++) {
			code = (uint64_t)y[s];
			for (int i = 1; i < n; i++)
				code = code * (uint64_t)nsym + (uint64_t)y[s + i];
			if (code != last)
				bit[code >> 6] |= (uint64_t)1 << (code & 63);
			last = code;
		}
		for (uint64_t w = 0; w < (space + 63) / 64; w++)
			distinct += __builtin_popcountll(bit[w]);
		free(bit);
	} else {
		size_t nslot = 16, mask;
		uint64_t *slot;          /* code + 1; 0 empty */

		while (nslot < 2 * (size_t)count)
			nslot *= 2;
		mask = nslot - 1;
		slot = xcalloc(nslot, sizeof *slot);
		for (long s = 0; s < count; s++) {
			size_t h;

			code = code * (uint64_t)nsym + (uint64_t)y[s + n - 1];
			h = hash_u64(code) & mask;
			while (slot[h] && slot[h] != code + 1) {
				h = (h + 1) & mask;
				hash_probes++;
			}
			if (!slot[h]) {
				slot[h] = code + 1;
				distinct++;
			}
			code -= (uint64_t)y[s] * top;
		}
		free(slot);
	}
	return distinct;
}

/* Distinct n-grams of y for n = 1 .. TS_NGRAMS at once, for ids below
 * 2^b with TS_NGRAMS b <= 20: the last TS_NGRAMS ids packed b bits each
 * into one number, whose low n b bits name the n-gram ending here, marked
 * in one bitmap per n.  Within a run of one token nothing changes, so
 * nothing is stored. */
static void
distinct_packed(const int *y, long T, int b, long *distinct)
{
	uint64_t *bit[TS_NGRAMS], c = 0, prev = UINT64_MAX;
	uint64_t mask = ((uint64_t)1 << (TS_NGRAMS * b)) - 1;

	for (int n = 1; n <= TS_NGRAMS; n++)
		bit[n - 1] = xcalloc((((size_t)1 << (n * b)) + 63) / 64,
		    sizeof **bit);
	for (long s = 0; s < T; s++) {
		c = (c << b | (uint64_t)y[s]) & mask;
		if (c == prev && s >= TS_NGRAMS)
			continue;
		prev = c;
		for (int n = 1; n <= TS_NGRAMS && n <= s + 1; n++) {
			uint64_t code = c & (((uint64_t)1 << (n * b)) - 1);

			bit[n - 1][code >> 6] |= (uint64_t)1 << (code & 63);
		}
	}
	for (int n = 1; n <= TS_NGRAMS; n++) {
		distinct[n - 1] = 0;
		for (size_t w = 0; w < (((size_t)1 << (n * b)) + 63) / 64; w++)
			distinct[n - 1] += __builtin_popcountll(bit[n - 1][w]);
		free(bit[n - 1]);
	}
}

void
ts_repetition(const int *y, long T, int nsym, double *seq_rep,
    double *distinct_n, double *rep)
{
	long packed[TS_NGRAMS];
	int b = 1;

	while (((long)1 << b) < nsym)
		b++;
	if (TS_NGRAMS * b <= 20)
		distinct_packed(y, T, b, packed);
	for (int n = 1; n <= TS_NGRAMS; n++) {
		if (T < n) {
			seq_rep[n - 1] = distinct_n[n - 1] = NAN;
			continue;
		}
		distinct_n[n - 1] = (double)(TS_NGRAMS * b <= 20 ? packed[n - 1] :
		    distinct_ngrams(y, T, n, nsym)) / (double)(T - n + 1);
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

		int prev = y[0];

		/* last[] is written when a run of one token ends, not at every
		 * step: a run (the common case) then costs no memory traffic,
		 * its repeats being 1 step apart. */
		for (int s = 0; s < nsym; s++)
			last[s] = -1;
		for (long t = 1; t < T; t++) {
			if (y[t] == prev) {
				for (int k = 0; k < TS_NREP; k++)
					hits[k]++;
				continue;
			}
			last[prev] = t - 1;
			prev = y[t];
			if (last[prev] >= 0)
				for (int k = 0; k < TS_NREP; k++)
					hits[k] += last[prev] >= t - ts_rep_lengths[k];
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

/* Collapse time of the generated tokens y onto the tokens marked in win
 * (every window of W after it holds at least 1 - eps of them). */
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

/* dense_ids (below) for large ids: an open-addressing table keyed by id
 * finds each token's slot. */
static int
dense_ids_hashed(const int *ctx, long n, int *dense, int **idsp)
{
	size_t cap = 64, mask = cap - 1;
	int *key = xmalloc(cap * sizeof *key), *val = xmalloc(cap * sizeof *val);
	int *ids = NULL, *rank, nsym = 0, idcap = 0;

	memset(key, -1, cap * sizeof *key);
	for (long i = 0; i < n; i++) {
		size_t h = ((uint32_t)ctx[i] * 0x9e3779b1u) & mask;

		while (key[h] >= 0 && key[h] != ctx[i])
			h = (h + 1) & mask;
		if (key[h] < 0) {
			if (nsym == idcap) {
				idcap = idcap ? 2 * idcap : 16;
				ids = xrealloc(ids, (size_t)idcap * sizeof *ids);
			}
			key[h] = ctx[i];
			val[h] = nsym;
			ids[nsym++] = ctx[i];
			if (2 * (size_t)nsym > cap) {     /* rehash at half full */
				size_t ncap = 2 * cap;
				int *nk = xmalloc(ncap * sizeof *nk);
				int *nv = xmalloc(ncap * sizeof *nv);

				memset(nk, -1, ncap * sizeof *nk);
				for (size_t j = 0; j < cap; j++)
					if (key[j] >= 0) {
						size_t g = ((uint32_t)key[j] * 0x9e3779b1u) &
						    (ncap - 1);

						while (nk[g] >= 0)
							g = (g + 1) & (ncap - 1);
						nk[g] = key[j];
						nv[g] = val[j];
					}
				free(key);
				free(val);
				key = nk;
				val = nv;
				cap = ncap;
				mask = cap - 1;
			}
			dense[i] = nsym - 1;
		} else
			dense[i] = val[h];
	}
	/* first-appearance order -> id order */
	rank = xmalloc(((size_t)nsym + 1) * sizeof *rank);
	{
		int *sorted = xmalloc(((size_t)nsym + 1) * sizeof *sorted);

		if (nsym)
			memcpy(sorted, ids, (size_t)nsym * sizeof *ids);
		qsort(sorted, (size_t)nsym, sizeof *sorted, cmp_int);
		for (int k = 0; k < nsym; k++) {
			size_t h = ((uint32_t)sorted[k] * 0x9e3779b1u) & mask;

			while (key[h] != sorted[k])
				h = (h + 1) & mask;
			rank[val[h]] = k;
		}
		free(ids);
		ids = sorted;
	}
	for (long i = 0; i < n; i++)
		dense[i] = rank[dense[i]];
	free(rank);
	free(key);
	free(val);
	*idsp = ids;
	return nsym;
}

/* Dense ids 0..nsym-1 of the n tokens of ctx, in the order of the token
 * ids, into dense; the ids themselves, ascending, into *idsp.  Ids up to
 * a few times n index a table directly; larger ones go through an
 * open-addressing table (a sort of all n tokens would cost n log n
 * comparisons). */
static int
dense_ids(const int *ctx, long n, int *dense, int **idsp)
{
	int maxid = -1, nsym = 0, *ids;

	for (long i = 0; i < n; i++)
		maxid = ctx[i] > maxid ? ctx[i] : maxid;
	if ((long)maxid <= 4 * n + 4096) {
		int *rank = xcalloc((size_t)maxid + 2, sizeof *rank);

		for (long i = 0; i < n; i++)
			rank[ctx[i]] = 1;
		for (int id = 0; id <= maxid; id++)
			nsym += rank[id];
		ids = xmalloc(((size_t)nsym + 1) * sizeof *ids);
		for (int id = 0, k = 0; id <= maxid; id++)
			if (rank[id]) {
				ids[k] = id;
				rank[id] = k++;
			}
		for (long i = 0; i < n; i++)
			dense[i] = rank[ctx[i]];
		free(rank);
	} else
		nsym = dense_ids_hashed(ctx, n, dense, &ids);
	*idsp = ids;
	return nsym;
}

/* The classes of the tokens (by dense id) from the context counts snap[k]
 * at the block ends s_k (k = 0..nblk; s_0 = t1, s_nblk = T). */
static void
classify(const long *snap, const long *steps, int nblk, int nsym, long L,
    const struct ts_opts *o, double *ghat, double *lo, double *hi, int *cls)
{
	double *logb = xmalloc(((size_t)nblk + 1) * sizeof *logb);
	long *count = xmalloc(((size_t)nblk + 1) * sizeof *count);
	double N = (double)(L + steps[nblk]), tq;

	for (int k = 0; k <= nblk; k++)
		logb[k] = log((double)(L + steps[k]) / N);
	logb[nblk] = 0;
	tq = t_quantile(o->alpha / (2.0 * nsym), nblk - 1);
	for (int s = 0; s < nsym; s++) {
		struct growth_fit g;

		for (int k = 0; k <= nblk; k++)
			count[k] = snap[(size_t)k * nsym + s] -
			    (k ? snap[(size_t)(k - 1) * nsym + s] : 0);
		growth_fit(logb, count, nblk + 1, tq * tq, &g);
		ghat[s] = g.gamma;
		lo[s] = g.lo;
		hi[s] = g.hi;
		cls[s] = g.hi < 1 ? TS_LOSER : g.lo >= 1 - o->delta ? TS_WINNER :
		    TS_UNDECIDED;
	}
	free(count);
	free(logb);
}

void
trajstats_compute(const int *ctx, long L, long T, const struct ts_opts *o,
    struct ts_result *r)
{
	long n = L + T, n1, *steps = NULL, *snap = NULL, *cm;
	int *ids, *dense = xmalloc(((size_t)n + 1) * sizeof *dense);
	int *wwin, *gwin = NULL, *seen, *cls;
	long *m, *tpt;
	const long *m1;
	double *p, *gamma, *ghat, *lo, *hi;
	struct rank *order;
	int nsym, growth_ok, maxpts, nblk = 0;

	memset(r, 0, sizeof *r);
	r->L = L;
	r->T = T;
	r->nsym = nsym = dense_ids(ctx, n, dense, &ids);


	/* The growth rule's early checkpoint: a context of at least one token,
	 * strictly before the end. */
	r->t1 = (long)(o->from * (double)T);
	if (L + r->t1 == 0)
		r->t1 = 1;
	growth_ok = r->t1 < T;
	n1 = L + r->t1;

	/* The classes' blocks: ends at t1 and at nblk equal steps up to T. */
	if (growth_ok) {
		nblk = T - r->t1 < o->blocks ? (int)(T - r->t1) : o->blocks;
		steps = xmalloc(((size_t)nblk + 1) * sizeof *steps);
		for (int k = 0; k <= nblk; k++)
			steps[k] = r->t1 + (long)((double)k * (double)(T - r->t1) /
			    nblk + 0.5);
		snap = xmalloc(((size_t)nblk + 1) * (size_t)nsym * sizeof *snap);
	}

	/* One pass over the steps, counting; the counts are copied at the
	 * events, the block ends (the first is t1) and the curve's
	 * checkpoints, and between them the loop does nothing else. */
	m = xcalloc((size_t)nsym + 1, sizeof *m);
	p = xmalloc(((size_t)nsym + 1) * sizeof *p);
	maxpts = ts_points_max(T, o->per_decade);
	tpt = xmalloc(((size_t)maxpts + 1) * sizeof *tpt);
	r->npoints = ts_points(T, o->per_decade, tpt);
	r->t = tpt;
	r->top1 = xmalloc(((size_t)maxpts + 1) * sizeof *r->top1);
	r->entropy = xmalloc(((size_t)maxpts + 1) * sizeof *r->entropy);
	cm = xmalloc(((size_t)r->npoints + 1) * ((size_t)nsym + 1) * sizeof *cm);
	for (long i = 0; i < L; i++)
		m[dense[i]]++;
	seen = xmalloc(((size_t)nsym + 1) * sizeof *seen);   /* prompt counts */
	for (int j = 0; j < nsym; j++)
		seen[j] = (int)m[j];
	{
		long t = 0;
		int b = 0, k = 0;

		if (snap && steps[0] == 0)      /* t1 = 0: block 0 is the prompt */
			memcpy(snap, m, (size_t)nsym * sizeof *m), b = 1;
		while (t < T) {
			long next = T;

			if (snap && b <= nblk && steps[b] < next)
				next = steps[b];
			if (k < r->npoints && tpt[k] < next)
				next = tpt[k];
			for (const int *d = dense + L + t, *e = dense + L + next;
			    d < e; d++)
				m[*d]++;
			t = next;
			while (snap && b <= nblk && steps[b] == t)
				memcpy(snap + (size_t)b++ * nsym, m,
				    (size_t)nsym * sizeof *m);
			if (k < r->npoints && tpt[k] == t)
				memcpy(cm + (size_t)k++ * nsym, m,
				    (size_t)nsym * sizeof *m);
		}
	}
	m1 = snap;                      /* counts at t1, when growth_ok */
	for (int k = 0; k < r->npoints; k++) {
		const long *c = cm + (size_t)k * nsym;
		long top = 0;

		for (int j = 0; j < nsym; j++) {
			p[j] = (double)c[j] / (double)(L + tpt[k]);
			top = c[j] > top ? c[j] : top;
		}
		r->top1[k] = (double)top / (double)(L + tpt[k]);
		r->entropy[k] = entropy(p, nsym);
	}

	for (int j = 0; j < nsym; j++)        /* generated at least once */
		r->distinct += m[j] > seen[j];
	free(seen);

	wwin = xmalloc(((size_t)nsym + 1) * sizeof *wwin);
	r->n_window = window_winners(dense, n, nsym, m, ids, o, wwin);

	gamma = xmalloc(((size_t)nsym + 1) * sizeof *gamma);
	if (growth_ok) {
		gwin = xcalloc((size_t)nsym + 1, sizeof *gwin);
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

	/* Classes and the verdict. */
	ghat = xmalloc(((size_t)nsym + 1) * sizeof *ghat);
	lo = xmalloc(((size_t)nsym + 1) * sizeof *lo);
	hi = xmalloc(((size_t)nsym + 1) * sizeof *hi);
	cls = xcalloc((size_t)nsym + 1, sizeof *cls);
	r->collapse = -1;
	if (nblk >= 2) {
		int losers = 0, winners = 0;

		classify(snap, steps, nblk, nsym, L, o, ghat, lo, hi, cls);
		for (int s = 0; s < nsym; s++) {
			losers += cls[s] == TS_LOSER;
			winners += cls[s] == TS_WINNER;
		}
		r->collapsed = losers ? 1 : winners == nsym ? 0 : -1;
		r->why = losers ? TS_TIMED : winners == nsym ? TS_HELD : TS_OPEN;
		if (losers) {
			int *keep = xmalloc(((size_t)nsym + 1) * sizeof *keep);

			for (int s = 0; s < nsym; s++)
				keep[s] = cls[s] != TS_LOSER;
			r->collapse = collapse_time(dense + L, T, keep, o);
			if (r->collapse < 0)
				r->why = TS_LATE;
			free(keep);
		}
	} else {
		for (int s = 0; s < nsym; s++)
			ghat[s] = lo[s] = hi[s] = NAN;
		r->collapsed = -1;
		r->why = TS_SHORT;
	}

	if (gwin) {
		r->share = xmalloc(((size_t)maxpts + 1) * sizeof *r->share);
		for (int k = 0; k < r->npoints; k++) {
			const long *c = cm + (size_t)k * nsym;
			long in = 0;

			for (int j = 0; j < nsym; j++)
				in += gwin[j] ? c[j] : 0;
			r->share[k] = (double)in / (double)(L + tpt[k]);
		}
	}

	ts_repetition(dense + L, T, nsym, r->seq_rep, r->distinct_n, r->rep);

	/* Report tokens by final count, then id. */
	order = xmalloc(((size_t)nsym + 1) * sizeof *order);
	for (int s = 0; s < nsym; s++)
		order[s] = (struct rank){ m[s], 0, ids[s], s };
	qsort(order, (size_t)nsym, sizeof *order, cmp_rank);
	r->sym = xmalloc(((size_t)nsym + 1) * sizeof *r->sym);
	r->count = xmalloc(((size_t)nsym + 1) * sizeof *r->count);
	r->gamma = xmalloc(((size_t)nsym + 1) * sizeof *r->gamma);
	r->gamma_hat = xmalloc(((size_t)nsym + 1) * sizeof *r->gamma_hat);
	r->lo = xmalloc(((size_t)nsym + 1) * sizeof *r->lo);
	r->hi = xmalloc(((size_t)nsym + 1) * sizeof *r->hi);
	r->cls = xmalloc(((size_t)nsym + 1) * sizeof *r->cls);
	r->winner_window = xmalloc(((size_t)nsym + 1) * sizeof *r->winner_window);
	if (gwin)
		r->winner_growth = xmalloc(((size_t)nsym + 1) *
		    sizeof *r->winner_growth);
	for (int k = 0; k < nsym; k++) {
		int s = order[k].dense;

		r->sym[k] = ids[s];
		r->count[k] = m[s];
		r->gamma[k] = gamma[s];
		r->gamma_hat[k] = ghat[s];
		r->lo[k] = lo[s];
		r->hi[k] = hi[s];
		r->cls[k] = cls[s];
		r->winner_window[k] = wwin[s];
		if (gwin)
			r->winner_growth[k] = gwin[s];
	}

	free(order);
	free(cls);
	free(hi);
	free(lo);
	free(ghat);
	free(gamma);
	free(gwin);
	free(wwin);
	free(p);
	free(cm);
	free(m);
	free(snap);
	free(steps);
	free(dense);
	free(ids);
}

void
trajstats_free(struct ts_result *r)
{
	free(r->sym);
	free(r->count);
	free(r->gamma);
	free(r->gamma_hat);
	free(r->lo);
	free(r->hi);
	free(r->cls);
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
