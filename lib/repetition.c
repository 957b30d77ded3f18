#include "repetition.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "util.h"

const int pub_rep_lengths[PUB_NREP] = { 16, 32, 128, 512 };

static const int *sort_base;           /* the sequence qsort compares in */
static int sort_n;

static int
cmp_gram(const void *a, const void *b)
{
	const int *x = sort_base + *(const long *)a, *y = sort_base + *(const long *)b;

	for (int i = 0; i < sort_n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* Distinct n-grams of y (T tokens) among those holding no left-out
 * token, by sorting their starts; their number into *count. */
static long
distinct_grams(const int *y, long T, int n, const unsigned char *skip,
    long *count)
{
	long *start = xmalloc(((size_t)T + 1) * sizeof *start), m = 0, d = 0;
	long run = 0;           /* tokens since the last left-out one */

	for (long t = 0; t < T; t++) {
		run = skip && skip[y[t]] ? 0 : run + 1;
		if (run >= n)
			start[m++] = t - n + 1;
	}
	sort_base = y;
	sort_n = n;
	qsort(start, (size_t)m, sizeof *start, cmp_gram);
	for (long k = 0; k < m; k++)
		d += k == 0 || cmp_gram(&start[k - 1], &start[k]) != 0;
	free(start);
	*count = m;
	return d;
}

/* The argmax of m_j P_ij over the context tokens (m_j > 0), ties to the
 * smaller id; dense ids are in id order, so the first maximum. */
static int
argmax_next(const long *m, const double *row, const int *ids, int nsym)
{
	int best = -1;
	double top = -1;

	for (int j = 0; j < nsym; j++) {
		double v = m[j] ? (double)m[j] * row[ids[j]] : -1;

		if (m[j] && v > top) {
			top = v;
			best = j;
		}
	}
	return best;
}

/* rep/l by the sequence's own tokens, and with P the model's. */
static void
next_token(const int *dense, long L, long T, int nsym, const int *ids,
    const unsigned char *skip, const double *P, int K, struct pub_seq *s)
{
	long *last = xmalloc(((size_t)nsym + 1) * sizeof *last);
	long *m = xcalloc((size_t)nsym + 1, sizeof *m);
	unsigned char *said = P ? xcalloc((size_t)nsym + 1, 1) : NULL;

	for (int j = 0; j < nsym; j++)
		last[j] = -1;
	for (long i = 0; i < L; i++) {
		last[dense[i]] = i;
		m[dense[i]]++;
	}
	for (long t = 0; t < T; t++) {
		long at = L + t;
		int y = dense[at], pred = -1;

		if (P && at > 0)
			pred = argmax_next(m, P + (size_t)ids[dense[at - 1]] * K, ids,
			    nsym);
		if (!(skip && skip[y])) {
			s->targets++;
			for (int k = 0; k < PUB_NREP; k++) {
				long from = at - pub_rep_lengths[k];

				s->rep_hits[k] += last[y] >= 0 && last[y] >= from;
				if (pred >= 0 && last[pred] >= 0 && last[pred] >= from) {
					s->next_hits[k]++;
					s->next_whits[k] += pred != y;
				}
			}
			if (pred >= 0)
				said[pred] = 1;
		}
		last[y] = at;
		m[y]++;
	}
	if (said) {
		s->have_next = 1;
		s->uniq = xmalloc(((size_t)nsym + 1) * sizeof *s->uniq);
		for (int j = 0; j < nsym; j++)
			if (said[j])
				s->uniq[s->nuniq++] = ids[j];
	}
	free(said);
	free(m);
	free(last);
}

void
pub_measure(const int *dense, long L, long T, int nsym, const int *ids,
    const unsigned char *skip, const double *P, int K, struct pub_seq *s)
{
	memset(s, 0, sizeof *s);
	for (int n = 1; n <= PUB_NGRAMS; n++)
		s->distinct[n - 1] = distinct_grams(dense + L, T, n, skip,
		    &s->ngrams[n - 1]);
	next_token(dense, L, T, nsym, ids, skip, P, K, s);
}

void
pub_seq_free(struct pub_seq *s)
{
	free(s->uniq);
	memset(s, 0, sizeof *s);
}

/* Inserts the n-gram v into set n (1-based) unless there. */
static void
insert(struct pub_corpus *c, int n, const int *v)
{
	size_t cap = c->cap[n - 1], h;
	int *key = c->key[n - 1];

	if (2 * (c->n[n - 1] + 1) > cap) {      /* grow at half full */
		size_t ncap = cap ? 2 * cap : 64;
		int *nk = xmalloc(checked_size(ncap * (size_t)n, sizeof *nk));

		memset(nk, -1, ncap * (size_t)n * sizeof *nk);
		for (size_t j = 0; j < cap; j++) {
			const int *old = key + j * (size_t)n;

			if (old[0] < 0)
				continue;
			h = hash_bytes(old, (size_t)n * sizeof *old) & (ncap - 1);
			while (nk[h * (size_t)n] >= 0)
				h = (h + 1) & (ncap - 1);
			memcpy(nk + h * (size_t)n, old, (size_t)n * sizeof *nk);
		}
		free(key);
		c->key[n - 1] = key = nk;
		c->cap[n - 1] = cap = ncap;
	}
	h = hash_bytes(v, (size_t)n * sizeof *v) & (cap - 1);
	while (key[h * (size_t)n] >= 0) {
		if (memcmp(key + h * (size_t)n, v, (size_t)n * sizeof *v) == 0)
			return;
		h = (h + 1) & (cap - 1);
		hash_probes++;
	}
	memcpy(key + h * (size_t)n, v, (size_t)n * sizeof *v);
	c->n[n - 1]++;
}

static int
left_out(int id, const int *skipped, int nskipped)
{
	for (int k = 0; k < nskipped; k++)
		if (skipped[k] == id)
			return 1;
	return 0;
}

void
pub_corpus_add(struct pub_corpus *c, const int *y, long T, const int *skipped,
    int nskipped)
{
	long run = 0;

	for (long t = 0; t < T; t++) {
		if (left_out(y[t], skipped, nskipped)) {
			run = 0;
			continue;
		}
		run++;
		c->tokens++;
		for (int n = 1; n <= PUB_NGRAMS && n <= run; n++)
			insert(c, n, y + t - n + 1);
	}
}

void
pub_corpus_free(struct pub_corpus *c)
{
	for (int n = 0; n < PUB_NGRAMS; n++)
		free(c->key[n]);
	memset(c, 0, sizeof *c);
}
