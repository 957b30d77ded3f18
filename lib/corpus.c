#include "corpus.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vocab.h"

void
corpus_init(struct corpus *c)
{
	memset(c, 0, sizeof *c);
	c->maxtok = -1;
}

void
corpus_free(struct corpus *c)
{
	free(c->tok);
	free(c->seq);
	corpus_init(c);
}

static void
append(struct corpus *c, const int *t, int n)
{
	if (c->ntok + (size_t)n > c->cap) {
		while (c->ntok + (size_t)n > c->cap)
			c->cap = c->cap ? 2 * c->cap : 4096;
		c->tok = xrealloc(c->tok, checked_size(c->cap, sizeof *c->tok));
	}
	for (int k = 0; k < n; k++)
		if (t[k] > c->maxtok)
			c->maxtok = t[k];
	memcpy(c->tok + c->ntok, t, (size_t)n * sizeof *t);
	c->ntok += (size_t)n;
}

void
corpus_add(struct corpus *c, const int *prompt, int L, const int *tokens,
    int T, int sample, const char *file, long line)
{
	struct sequence *s;

	if (c->nseq == c->seqcap) {
		c->seqcap = c->seqcap ? 2 * c->seqcap : 256;
		c->seq = xrealloc(c->seq, checked_size((size_t)c->seqcap,
		    sizeof *c->seq));
	}
	s = &c->seq[c->nseq++];
	s->off = c->ntok;
	s->L = L;
	s->T = T;
	s->sample = sample;
	s->file = file;
	s->line = line;
	append(c, prompt, L);
	append(c, tokens, T);
	c->steps += T;
}

void
corpus_split(const struct corpus *all, double share, struct corpus *fit,
    struct corpus *dev)
{
	corpus_init(fit);
	corpus_init(dev);
	for (long k = 0; k < all->nseq; k++) {
		const struct sequence *q = &all->seq[k];
		const int *x = all->tok + q->off;
		int held = floor((double)(k + 1) * share) > floor((double)k * share);

		corpus_add(held ? dev : fit, x, q->L, x + q->L, q->T, q->sample,
		    q->file, q->line);
	}
}

long
corpus_steps_choosing(const struct corpus *c, int t)
{
	long n = 0;

	for (long q = 0; q < c->nseq; q++) {
		const struct sequence *sq = &c->seq[q];

		for (int k = 0; k < sq->T; k++)
			n += c->tok[sq->off + sq->L + k] == t;
	}
	return n;
}

struct rank {
	long count;           /* occurrences in the fit part */
	size_t first;         /* first position: fit part, then dev part */
	int  id;
};

static int
by_count(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Counts and first positions of raw ids: the fit part's, then (first
 * only) the dev part's, offset past the fit part. */
static void
rank_words(const struct corpus *c, const struct corpus *dev, struct rank *r,
    int n)
{
	for (int i = 0; i < n; i++) {
		r[i].count = 0;
		r[i].first = SIZE_MAX;
		r[i].id = i;
	}
	for (size_t k = 0; k < c->ntok; k++) {
		if (r[c->tok[k]].first == SIZE_MAX)
			r[c->tok[k]].first = k;
		r[c->tok[k]].count++;
	}
	for (size_t k = 0; dev && k < dev->ntok; k++)
		if (r[dev->tok[k]].first == SIZE_MAX)
			r[dev->tok[k]].first = c->ntok + k;
}

static void
renumber(struct corpus *c, const int *map)
{
	c->maxtok = -1;
	for (size_t k = 0; k < c->ntok; k++) {
		c->tok[k] = map[c->tok[k]];
		if (c->tok[k] > c->maxtok)
			c->maxtok = c->tok[k];
	}
}

struct vocab *
corpus_keep_frequent(struct corpus *c, struct corpus *dev,
    const struct vocab *raw, int maxv)
{
	int n = raw->n, unk = vocab_find(raw, UNK), keep = 0;
	struct rank *r = xmalloc(((size_t)n + 1) * sizeof *r);
	int *map = xmalloc(((size_t)n + 1) * sizeof *map);
	struct vocab *v;

	rank_words(c, dev, r, n);
	if (maxv == 0)    /* every word held, in order of first appearance */
		for (int i = 0; i < n; i++)
			r[i].count = r[i].first != SIZE_MAX;
	qsort(r, (size_t)n, sizeof *r, by_count);
	v = vocab_new(n + 1);
	for (int k = 0; k < n; k++) {
		int id = r[k].id;

		if (id == unk || (maxv > 0 && keep == maxv) || r[k].count == 0) {
			map[id] = -1;
			continue;
		}
		map[id] = vocab_add(v, raw->word[id]);
		keep++;
	}
	if (maxv > 0 || unk >= 0) {
		int u = vocab_add(v, UNK);

		for (int i = 0; i < n; i++)
			if (map[i] < 0)
				map[i] = u;
	}
	renumber(c, map);
	if (dev)
		renumber(dev, map);
	free(r);
	free(map);
	return v;
}
