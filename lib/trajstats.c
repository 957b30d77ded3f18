#include "trajstats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"
#include "hash.h"
#include "repetition.h"
#include "numeric.h"
#include "util.h"

const int ts_rep_lengths[TS_NREP] = { 16, 32, 128 };
const char *const ts_rule_names[TS_NRULES] = { "window", "growth" };
const char *const ts_why[] = {
	NULL,
	"too short: fewer than 2 blocks after the early checkpoint",
	"undecided: no token is a decided loser, not every one a decided winner",
	"not collapsed: every token is a decided winner",
	"the losers' share of the generated tokens never fell",
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

/* log B(a + 1, b + 1), the marginal likelihood of a Bernoulli sequence of
 * a ones and b zeros under a uniform prior on its rate. */
static double
log_beta1(long a, long b)
{
	return lgamma(a + 1.0) + lgamma(b + 1.0) - lgamma(a + b + 2.0);
}

/* The onset of collapse: the step at which the losers' share of the
 * generated tokens y fell.  x_t = 1 when y_t is a loser; as a chain, x
 * goes on from x_t-1 with a rate that depends on it (a loser's run, the
 * chain's memory), on each side of a change point u (1 <= u < T: the
 * steps t < u before, t >= u after) rates of their own.  Under uniform
 * priors on the four rates the marginal likelihood is the product of
 * B(a + 1, b + 1) over the sides and the previous values (a, b the ones
 * and zeros that followed); under a uniform prior on u, restricted to
 * the points where the losers' share falls, the posterior's median is
 * the estimate and its 2.5% and 97.5% quantiles the interval.  -1 when
 * no point has the share fall. */
static long
onset(const int *y, long T, const int *loser, long *lo, long *hi)
{
	long n[2][2] = { { 0 } }, all[2][2] = { { 0 } }, ones = 0, before = 0;
	long med = -1;
	double *lp = xmalloc(((size_t)T + 1) * sizeof *lp), top = -INFINITY;
	double total = 0, cum = 0;

	for (long t = 0; t < T; t++) {
		ones += loser[y[t]];
		if (t)
			all[loser[y[t - 1]]][loser[y[t]]]++;
	}
	for (long u = 1; u < T; u++) {
		double l = 0;

		before += loser[y[u - 1]];
		if (u > 1)
			n[loser[y[u - 2]]][loser[y[u - 1]]]++;
		for (int p = 0; p < 2; p++)
			l += log_beta1(n[p][1], n[p][0]) +
			    log_beta1(all[p][1] - n[p][1], all[p][0] - n[p][0]);
		lp[u] = (double)(ones - before + 1) / (double)(T - u + 2) <
		    (double)(before + 1) / (double)(u + 2) ? l : -INFINITY;
		top = fmax(top, lp[u]);
	}
	*lo = *hi = -1;
	if (top == -INFINITY) {
		free(lp);
		return -1;
	}
	for (long u = 1; u < T; u++)
		total += lp[u] = exp(lp[u] - top);
	for (long u = 1; u < T; u++) {
		cum += lp[u];
		if (*lo < 0 && cum >= 0.025 * total)
			*lo = u;
		if (med < 0 && cum >= 0.5 * total)
			med = u;
		if (*hi < 0 && cum >= 0.975 * total)
			*hi = u;
	}
	free(lp);
	return med;
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

/* The work of one trajectory, by dense id (0 .. nsym-1, in id order). */
struct work {
	const int *ctx;        /* the context, L + T tokens */
	long   L, T, n1;
	int    nsym, *ids, *dense;
	long  *prompt;         /* counts in the prompt */
	long  *m;              /* final counts */
	int    nblk;           /* classes: blocks after t1 (0: too short) */
	long  *steps;          /* their ends s_0 = t1 .. s_nblk = T */
	long  *snap;           /* context counts at those ends */
	long  *cm;             /* context counts at the curve's checkpoints */
	int   *gwin;           /* growth rule (NULL when undefined) */
	double *gamma, *ghat, *lo, *hi, *lp;
	int   *wwin, *cls, *away;  /* away: not entered since t1 */
};

/* The blocks of the classes: ends at t1 and at nblk equal steps up to T. */
static void
plan_blocks(struct work *w, const struct ts_opts *o, struct ts_result *r)
{
	long c1;

	/* The growth rule's early checkpoint: a context of at least one token,
	 * strictly before the end. */
	r->t1 = (long)(o->from * (double)w->T);
	if (w->L + r->t1 == 0)
		r->t1 = 1;
	w->n1 = w->L + r->t1;
	w->nblk = 0;
	if (r->t1 >= w->T)
		return;
	/* The classes count generated tokens only: their block 0 holds at
	 * least one step, so c1 = max(t1, 1). */
	c1 = r->t1 > 0 ? r->t1 : 1;
	if (c1 >= w->T)
		return;
	w->nblk = w->T - c1 < o->blocks ? (int)(w->T - c1) : o->blocks;
	w->steps = xmalloc(((size_t)w->nblk + 1) * sizeof *w->steps);
	for (int k = 0; k <= w->nblk; k++)
		w->steps[k] = c1 + (long)((double)k * (double)(w->T - c1) /
		    w->nblk + 0.5);
	w->snap = xmalloc(((size_t)w->nblk + 1) * (size_t)w->nsym *
	    sizeof *w->snap);
}

/* One pass over the steps, counting; the counts are copied at the events,
 * the block ends (the first is t1) and the curve's checkpoints, and
 * between them the loop does nothing else. */
static void
count_pass(struct work *w, const struct ts_result *r)
{
	int nsym = w->nsym, b = 0, k = 0;
	long t = 0, *m = w->m;

	for (long i = 0; i < w->L; i++)
		m[w->dense[i]]++;
	memcpy(w->prompt, m, (size_t)nsym * sizeof *m);
	while (t < w->T) {
		long next = w->T;

		if (w->snap && b <= w->nblk && w->steps[b] < next)
			next = w->steps[b];
		if (k < r->npoints && r->t[k] < next)
			next = r->t[k];
		for (const int *d = w->dense + w->L + t, *e = w->dense + w->L + next;
		    d < e; d++)
			m[*d]++;
		t = next;
		while (w->snap && b <= w->nblk && w->steps[b] == t)
			memcpy(w->snap + (size_t)b++ * nsym, m, (size_t)nsym * sizeof *m);
		if (k < r->npoints && r->t[k] == t)
			memcpy(w->cm + (size_t)k++ * nsym, m, (size_t)nsym * sizeof *m);
	}
}

/* The curve's top-1 share and entropy at its checkpoints, and the growth
 * winners' share once they are known. */
static void
fill_curve(const struct work *w, struct ts_result *r)
{
	double *p = xmalloc(((size_t)w->nsym + 1) * sizeof *p);

	for (int k = 0; k < r->npoints; k++) {
		const long *c = w->cm + (size_t)k * w->nsym;
		long top = 0, in = 0;

		for (int j = 0; j < w->nsym; j++) {
			p[j] = (double)c[j] / (double)(w->L + r->t[k]);
			top = c[j] > top ? c[j] : top;
			in += w->gwin && w->gwin[j] ? c[j] : 0;
		}
		r->top1[k] = (double)top / (double)(w->L + r->t[k]);
		r->entropy[k] = entropy(p, w->nsym);
		if (r->share)
			r->share[k] = (double)in / (double)(w->L + r->t[k]);
	}
	free(p);
}

/* The descriptive growth rule (exponents from t1 to T). */
static void
growth_rule(struct work *w, struct ts_result *r, const struct ts_opts *o)
{
	/* counts at t1: the blocks' first end, or the prompt's when t1 = 0 */
	const long *m1 = r->t1 ? w->snap : w->prompt, *m = w->m;
	double n = (double)(w->L + w->T);

	for (int s = 0; s < w->nsym; s++)
		w->gamma[s] = NAN;
	if (r->t1 >= w->T)
		return;
	w->gwin = xcalloc((size_t)w->nsym + 1, sizeof *w->gwin);
	for (int s = 0; s < w->nsym; s++) {
		long late = m[s] - m1[s];

		if (m1[s] > 0) {
			w->gamma[s] = log((double)m[s] / (double)m1[s]) /
			    log(n / (double)w->n1);
			w->gwin[s] = w->gamma[s] >= o->gamma_min && late >= o->min_count;
		} else
			w->gwin[s] = late >= o->min_count;
		r->n_growth += w->gwin[s];
	}
}

/* The model-free intervals, from the counts of the generated tokens alone
 * (the prompt is no sample of the chain's law: a rare token a prompt
 * over-represents must not look like a loser): block 0 holds the first t1
 * generated tokens, the others the steps between the block ends, sizes
 * counted in generated steps.  A token never generated has no interval. */
static void
free_intervals(const struct work *w, double level)
{
	int nblk = w->nblk, nsym = w->nsym;
	double *logb = xmalloc(((size_t)nblk + 1) * sizeof *logb);
	long *count = xmalloc(((size_t)nblk + 1) * sizeof *count);
	double tq = t_quantile(level / (2.0 * nsym), nblk - 1);

	for (int k = 0; k <= nblk; k++)
		logb[k] = log((double)w->steps[k] / (double)w->T);
	logb[nblk] = 0;
	for (int s = 0; s < nsym; s++) {
		struct growth_fit g;
		long total = 0;

		for (int k = 0; k <= nblk; k++) {
			count[k] = w->snap[(size_t)k * nsym + s] -
			    (k ? w->snap[(size_t)(k - 1) * nsym + s] : w->prompt[s]);
			total += count[k];
		}
		if (total == 0) {
			w->ghat[s] = w->lo[s] = w->hi[s] = NAN;
			continue;
		}
		growth_fit(logb, count, nblk + 1, tq * tq, &g);
		w->ghat[s] = g.gamma;
		w->lo[s] = g.lo;
		w->hi[s] = g.hi;
	}
	free(count);
	free(logb);
}

/* The model's test of the whole trajectory from step t1 on: the
 * likelihood ratio of the CCMC of P, drawing j from i with chance
 * m_j P_ij / sum_l m_l P_il (m the context counts before the step),
 * against the ordinary chain (P_ij), and against the CCMC that holds the
 * shares of t1 (m frozen at m(t1)).  Under either null its ratio is a
 * martingale of mean 1, so the smaller of the two reaches 1/a with chance
 * at most a under both (an intersection-union test): the p-value bound is
 * the inverse of the smaller ratio.  O(T nsym). */
static double
model_trajectory_p(const struct work *w, const struct ts_opts *o, long t1)
{
	int nsym = w->nsym;
	long *m = xmalloc(2 * ((size_t)nsym + 1) * sizeof *m), *m1 = m + nsym + 1;
	double llr_chain = 0, llr_held = 0;

	memcpy(m, w->prompt, (size_t)nsym * sizeof *m);
	for (long t = 0; t < t1; t++)
		m[w->dense[w->L + t]]++;
	memcpy(m1, m, (size_t)nsym * sizeof *m);
	for (long t = t1; t < w->T; t++) {
		int prev = w->dense[w->L + t - 1], y = w->dense[w->L + t];
		const double *row = o->P + (size_t)w->ids[prev] * o->K;
		double z = 0, z1 = 0;

		for (int l = 0; l < nsym; l++) {
			double p = row[w->ids[l]];

			z += (double)m[l] * p;
			z1 += (double)m1[l] * p;
		}
		/* log q - log P and log q - log q1; the P_iy cancels in the
		 * second, and a token new since t1 has q1 = 0 */
		llr_chain += log((double)m[y] / z);
		llr_held += m1[y] ? log((double)m[y] / (double)m1[y] * z1 / z) :
		    INFINITY;
		m[y]++;
	}
	free(m);
	llr_chain = fmin(llr_chain, llr_held);
	return llr_chain <= 0 ? 1 : exp(-llr_chain);
}

/* The model's test of each token, from step t1 on, against the ordinary
 * chain of P (growth.h, loser_p_value): its entries against the chance
 * the chain gives it from the states the trajectory was in (the
 * compensator needs only how often each state preceded a step: O(T +
 * nsym^2)). */
static void
model_p_values(struct work *w, const struct ts_opts *o, long t1)
{
	long *visits = xcalloc((size_t)w->nsym + 1, sizeof *visits);
	long *entries = xcalloc((size_t)w->nsym + 1, sizeof *entries);

	for (long t = t1; t < w->T; t++) {
		visits[w->dense[w->L + t - 1]]++;
		entries[w->dense[w->L + t]]++;
	}
	for (int s = 0; s < w->nsym; s++) {
		double E = 0;

		w->away[s] = entries[s] == 0;
		for (int i = 0; i < w->nsym; i++)
			if (visits[i])
				E += (double)visits[i] *
				    o->P[(size_t)w->ids[i] * o->K + w->ids[s]];
		w->lp[s] = loser_p_value(entries[s], E);
	}
	free(entries);
	free(visits);
}

/* The classes and the verdict, at family-wise level alpha.  Model-free:
 * the intervals.  With a model: the intervals at alpha / 2, each token's
 * test of the model at alpha / 4 (Bonferroni over the tokens), and the
 * trajectory's at alpha / 4; a trajectory that test decides, with no
 * token a decided loser, collapsed onto the tokens that were not kept
 * away since t1 (unless every token is a decided winner: undecided). */
static void
classify(struct work *w, const struct ts_opts *o, struct ts_result *r)
{
	int nsym = w->nsym, losers = 0, winners = 0, whole, *lose;
	double level = o->model_test ? o->alpha / 2 : o->alpha;

	r->collapse = -1;
	r->traj_p = NAN;
	for (int s = 0; s < nsym; s++) {
		w->ghat[s] = w->lo[s] = w->hi[s] = w->lp[s] = NAN;
		w->away[s] = 0;
	}
	if (w->nblk < 2) {
		r->collapsed = -1;
		r->why = TS_SHORT;
		return;
	}
	free_intervals(w, level);
	if (o->model_test) {
		model_p_values(w, o, w->steps[0]);
		if (o->whole)
			r->traj_p = model_trajectory_p(w, o, w->steps[0]);
	}
	for (int s = 0; s < nsym; s++) {
		int out = w->hi[s] < 1 || w->lp[s] <= o->alpha / 4 / nsym;

		w->cls[s] = out ? TS_LOSER : w->lo[s] >= 1 - o->delta ?
		    TS_WINNER : TS_UNDECIDED;
		losers += w->cls[s] == TS_LOSER;
		winners += w->cls[s] == TS_WINNER;
	}
	whole = r->traj_p <= o->alpha / 4 && winners < nsym;
	r->collapsed = losers || whole ? 1 : winners == nsym ? 0 : -1;
	r->why = r->collapsed == 1 ? TS_TIMED : winners == nsym ? TS_HELD :
	    TS_OPEN;
	if (r->collapsed != 1)
		return;
	lose = xmalloc(((size_t)nsym + 1) * sizeof *lose);
	for (int s = 0; s < nsym; s++)
		lose[s] = losers ? w->cls[s] == TS_LOSER : w->away[s];
	r->collapse = onset(w->dense + w->L, w->T, lose, &r->collapse_lo,
	    &r->collapse_hi);
	if (r->collapse < 0)
		r->why = TS_LATE;
	free(lose);
}

/* The published measures (repetition.h), the tokens --exclude names
 * left out. */
static void
published(const struct work *w, const struct ts_opts *o, struct ts_result *r)
{
	unsigned char *skip = NULL;

	for (int k = 0; k < o->nexclude; k++) {
		int *at = bsearch(&o->exclude[k], w->ids, (size_t)w->nsym,
		    sizeof *w->ids, cmp_int);

		if (!at)
			continue;
		if (!skip)
			skip = xcalloc((size_t)w->nsym + 1, 1);
		skip[at - w->ids] = 1;
	}
	pub_measure(w->dense, w->L, w->T, w->nsym, w->ids, skip, o->P, o->K,
	    &r->pub);
	free(skip);
}

/* A copy of v (by dense id) in the order of the report. */
static double *
in_order(const double *v, const struct rank *order, int nsym)
{
	double *out = xmalloc(((size_t)nsym + 1) * sizeof *out);

	for (int k = 0; k < nsym; k++)
		out[k] = v[order[k].dense];
	return out;
}

/* The tokens reported by final count, then id. */
static void
report(const struct work *w, struct ts_result *r)
{
	int nsym = w->nsym;
	struct rank *order = xmalloc(((size_t)nsym + 1) * sizeof *order);

	for (int s = 0; s < nsym; s++)
		order[s] = (struct rank){ w->m[s], 0, w->ids[s], s };
	qsort(order, (size_t)nsym, sizeof *order, cmp_rank);
	r->sym = xmalloc(((size_t)nsym + 1) * sizeof *r->sym);
	r->count = xmalloc(((size_t)nsym + 1) * sizeof *r->count);
	r->cls = xmalloc(((size_t)nsym + 1) * sizeof *r->cls);
	r->winner_window = xmalloc(((size_t)nsym + 1) * sizeof *r->winner_window);
	if (w->gwin)
		r->winner_growth = xmalloc(((size_t)nsym + 1) *
		    sizeof *r->winner_growth);
	r->gamma = in_order(w->gamma, order, nsym);
	r->gamma_hat = in_order(w->ghat, order, nsym);
	r->lo = in_order(w->lo, order, nsym);
	r->hi = in_order(w->hi, order, nsym);
	r->loser_p = in_order(w->lp, order, nsym);
	for (int k = 0; k < nsym; k++) {
		int s = order[k].dense;

		r->sym[k] = w->ids[s];
		r->count[k] = w->m[s];
		r->cls[k] = w->cls[s];
		r->winner_window[k] = w->wwin[s];
		if (w->gwin)
			r->winner_growth[k] = w->gwin[s];
	}
	free(order);
}

void
trajstats_compute(const int *ctx, long L, long T, const struct ts_opts *o,
    struct ts_result *r)
{
	struct work w = { .ctx = ctx, .L = L, .T = T };
	size_t ns;
	int maxpts;

	memset(r, 0, sizeof *r);
	r->L = L;
	r->T = T;
	r->model_test = o->model_test;
	w.dense = xmalloc(((size_t)(L + T) + 1) * sizeof *w.dense);
	r->nsym = w.nsym = dense_ids(ctx, L + T, w.dense, &w.ids);
	ns = (size_t)w.nsym + 1;
	w.prompt = xcalloc(ns, sizeof *w.prompt);
	w.m = xcalloc(ns, sizeof *w.m);
	w.gamma = xmalloc(5 * ns * sizeof *w.gamma);
	w.ghat = w.gamma + ns;
	w.lo = w.ghat + ns;
	w.hi = w.lo + ns;
	w.lp = w.hi + ns;
	w.wwin = xmalloc(ns * sizeof *w.wwin);
	w.cls = xcalloc(ns, sizeof *w.cls);
	w.away = xcalloc(ns, sizeof *w.away);
	plan_blocks(&w, o, r);

	maxpts = ts_points_max(T, o->per_decade);
	r->t = xmalloc(((size_t)maxpts + 1) * sizeof *r->t);
	r->npoints = ts_points(T, o->per_decade, r->t);
	r->top1 = xmalloc(((size_t)maxpts + 1) * sizeof *r->top1);
	r->entropy = xmalloc(((size_t)maxpts + 1) * sizeof *r->entropy);
	w.cm = xmalloc(((size_t)r->npoints + 1) * ns * sizeof *w.cm);
	count_pass(&w, r);

	for (int j = 0; j < w.nsym; j++)        /* generated at least once */
		r->distinct += w.m[j] > w.prompt[j];
	r->n_window = window_winners(w.dense, L + T, w.nsym, w.m, w.ids, o,
	    w.wwin);
	growth_rule(&w, r, o);
	if (w.gwin)
		r->share = xmalloc(((size_t)maxpts + 1) * sizeof *r->share);
	fill_curve(&w, r);
	classify(&w, o, r);
	ts_repetition(w.dense + L, T, w.nsym, r->seq_rep, r->distinct_n, r->rep);
	published(&w, o, r);
	report(&w, r);

	free(w.cls);
	free(w.away);
	free(w.wwin);
	free(w.gamma);
	free(w.gwin);
	free(w.cm);
	free(w.m);
	free(w.prompt);
	free(w.snap);
	free(w.steps);
	free(w.dense);
	free(w.ids);
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
	free(r->loser_p);
	free(r->cls);
	free(r->winner_window);
	free(r->winner_growth);
	free(r->t);
	free(r->top1);
	free(r->share);
	free(r->entropy);
	pub_seq_free(&r->pub);
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
