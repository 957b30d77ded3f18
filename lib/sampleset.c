#include "sampleset.h"

#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "util.h"

struct sampleset *
sampleset_new(int weighted)
{
	struct sampleset *s;

	s = xcalloc(1, sizeof *s);
	s->weighted = weighted;
	s->maxtok = -1;
	return s;
}

void
sampleset_free(struct sampleset *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nrow; i++) {
		free(s->row[i].start);
		free(s->row[i].tok);
		free(s->row[i].cnt);
		free(s->row[i].wt);
	}
	free(s->row);
	free(s->stamp);
	free(s->count);
	free(s->weight);
	free(s);
}

const struct sample_row *
sampleset_row(const struct sampleset *s, int i)
{
	static const struct sample_row empty;

	return i < s->nrow ? &s->row[i] : &empty;
}

/* Room for tokens up to max (< MAX_SPARSE_VOCAB, checked by the caller)
 * in the scratch arrays and rows up to query; grown by doubling, so the
 * set costs what the largest id seen needs, not MAX_SPARSE_VOCAB. */
static void
grow(struct sampleset *s, int max, int query)
{
	if (max >= s->cap) {
		int cap = s->cap ? s->cap : 256;

		while (cap <= max)
			cap *= 2;
		s->stamp = xrealloc(s->stamp, (size_t)cap * sizeof *s->stamp);
		s->count = xrealloc(s->count, (size_t)cap * sizeof *s->count);
		s->weight = xrealloc(s->weight, (size_t)cap * sizeof *s->weight);
		memset(s->stamp + s->cap, 0, (size_t)(cap - s->cap) *
		    sizeof *s->stamp);
		s->cap = cap;
	}
	if (query >= s->nrow) {
		int n = s->nrow ? s->nrow : 64;

		while (n <= query)
			n *= 2;
		s->row = xrealloc(s->row, (size_t)n * sizeof *s->row);
		memset(s->row + s->nrow, 0, (size_t)(n - s->nrow) * sizeof *s->row);
		s->nrow = n;
	}
}

/* Rows start small (there may be thousands of them, most of them short)
 * and, once they outgrow that, jump to this many entries: blocks that
 * large the C library maps on their own and grows by remapping, where it
 * copies smaller ones to fresh memory at every step. */
#define BIG (64 * 1024)

/* Room for one more sample of up to m distinct tokens in row r. */
static void
reserve(struct sampleset *s, struct sample_row *r, int m)
{
	if (r->n + 2 > r->scap) {
		r->scap = r->scap ? r->scap < BIG ? BIG : 2 * r->scap : 64;
		r->start = xrealloc(r->start, checked_size((size_t)r->scap,
		    sizeof *r->start));
		if (r->n == 0)
			r->start[0] = 0;
	}
	if (r->ntok + (size_t)m > r->cap) {
		while (r->ntok + (size_t)m > r->cap)
			r->cap = r->cap ? r->cap < BIG ? BIG : r->cap + r->cap / 2 :
			    1024;
		if (r->cap > UINT32_MAX)
			die(EXIT_FAIL, "more than 2^32 context tokens for one query");
		r->tok = xrealloc(r->tok, checked_size(r->cap, sizeof *r->tok));
		if (s->weighted)
			r->wt = xrealloc(r->wt, checked_size(r->cap, sizeof *r->wt));
		else
			r->cnt = xrealloc(r->cnt, checked_size(r->cap, sizeof *r->cnt));
	}
}

void
sampleset_shard(struct sampleset *s, int shard, int shards)
{
	s->shard = shard;
	s->shards = shards;
}

/* Commits the sample written past the end of row r, unless the row is
 * another shard's: then the space is reused by the next one. */
static void
finish(struct sampleset *s, struct sample_row *r, int m, int query)
{
	if (query > s->maxtok)
		s->maxtok = query;
	if (s->shards && query % s->shards != s->shard) {
		s->dropped++;
		return;
	}
	r->ntok += (size_t)m;
	s->entries += (size_t)m;
	r->start[++r->n] = (uint32_t)r->ntok;
	s->n++;
}

/* The distinct tokens of ctx[0..L-1] into tok from slot 1 on, y in slot
 * 0, each with its count (cnt) or summed weight (wt, with posw); returns
 * their number, or -1 if y is not in the context.  Locals
 * throughout: the stores into tok and cnt could otherwise alias the set's
 * own fields, which the compiler would then reload at every token.
 *
 * Each token's count or weight is summed in count[] or weight[] (valid
 * while stamp[] holds the sample's number gen) and copied out at the end,
 * and without branches: whether a token is new is a coin toss that a
 * branch would lose.  Slot m of tok is claimed for each token, and kept
 * (m moves on) if the token is new. */
static int
distinct(long *stamp, uint32_t *count, double *weight, long gen,
    const int *ctx, int L, int y, const double *posw, uint32_t *tok,
    uint32_t *cnt, double *wt, int *max)
{
	int m = 1, found = 0, mx = *max;

	tok[0] = (uint32_t)y;
	stamp[y] = gen;
	count[y] = 0;
	weight[y] = 0;
	/* the test of wt is the same at every token: -O3 takes it out of
	 * the loop */
	for (int t = 0; t < L; t++) {
		int k = ctx[t], fresh = stamp[k] != gen;

		mx = k > mx ? k : mx;
		stamp[k] = gen;
		tok[m] = (uint32_t)k;
		m += fresh;
		found |= k == y;
		if (wt)
			weight[k] = (fresh ? 0 : weight[k]) + posw[t];
		else
			count[k] = (count[k] & ((uint32_t)fresh - 1)) + 1;
	}
	for (int j = 0; j < m; j++)
		if (wt)
			wt[j] = weight[tok[j]];
		else
			cnt[j] = count[tok[j]];
	*max = mx;
	return found ? m : -1;
}

int
sampleset_add(struct sampleset *s, const int *ctx, int L, int y,
    const double *posw)
{
	struct sample_row *r;
	int m, max = ctx[L - 1] > y ? ctx[L - 1] : y;
	size_t base;

	for (int t = 0; t < L; t++)
		max = ctx[t] > max ? ctx[t] : max;
	grow(s, max, ctx[L - 1]);
	max = s->maxtok;
	r = &s->row[ctx[L - 1]];
	reserve(s, r, L + 1);   /* y, then at most L others */
	base = r->ntok;
	/* The chosen token goes first, the rest in order of first occurrence. */
	m = distinct(s->stamp, s->count, s->weight, ++s->gen, ctx, L, y, posw,
	    r->tok + base, s->weighted ? NULL : r->cnt + base, s->weighted ?
	    r->wt + base : NULL, &max);
	s->maxtok = max;
	/* Weights that underflowed to 0 give y probability 0 as surely as
	 * its absence does (and a log-likelihood of -infinity). */
	if (m < 0 || (s->weighted && !(r->wt[base] > 0)))
		return -1;
	finish(s, r, m, ctx[L - 1]);
	return 0;
}

int
sampleset_add_context(struct sampleset *s, const struct context *c, int query,
    int y)
{
	struct sample_row *r;
	size_t base;
	int m = 1;

	if (context_count(c, y) == 0)
		return -1;
	grow(s, 0, query);
	r = &s->row[query];
	reserve(s, r, c->npresent);
	base = r->ntok;
	r->tok[base] = (uint32_t)y;
	r->cnt[base] = (uint32_t)context_count(c, y);
	for (int j = 0; j < c->npresent; j++) {
		int k = c->present[j];

		if (k == y)
			continue;
		r->tok[base + m] = (uint32_t)k;
		r->cnt[base + m] = (uint32_t)c->count[j];
		m++;
	}
	for (int j = 0; j < c->npresent; j++)
		if (c->present[j] > s->maxtok)
			s->maxtok = c->present[j];
	finish(s, r, m, query);
	return 0;
}
