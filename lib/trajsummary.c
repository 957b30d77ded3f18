#include "trajsummary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Bins 0..size in both histograms. */
static void
histograms_reach(struct ts_summary *s, int size)
{
	size_t grow = (size_t)size + 1;

	if (size < s->maxsize)
		return;
	s->size_window = xrealloc(s->size_window, grow * sizeof *s->size_window);
	s->size_growth = xrealloc(s->size_growth, grow * sizeof *s->size_growth);
	memset(s->size_window + s->maxsize, 0,
	    (grow - (size_t)s->maxsize) * sizeof *s->size_window);
	memset(s->size_growth + s->maxsize, 0,
	    (grow - (size_t)s->maxsize) * sizeof *s->size_growth);
	s->maxsize = size + 1;
}

/* The running point at checkpoint t, inserted in order if new. */
static struct ts_sums *
point_at(struct ts_summary *s, long t)
{
	int lo = 0, hi = s->npoints;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (s->curve[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->npoints || s->curve[lo].t != t) {
		s->curve = xrealloc(s->curve,
		    ((size_t)s->npoints + 1) * sizeof *s->curve);
		memmove(s->curve + lo + 1, s->curve + lo,
		    (size_t)(s->npoints - lo) * sizeof *s->curve);
		s->curve[lo] = (struct ts_sums){ .t = t };
		s->npoints++;
	}
	return &s->curve[lo];
}

/* The repetition measures in one array: seq-rep, distinct, rep. */
static void
repetition_of(const double *seq_rep, const double *distinct_n,
    const double *rep, double *all)
{
	memcpy(all, seq_rep, TS_NGRAMS * sizeof *all);
	memcpy(all + TS_NGRAMS, distinct_n, TS_NGRAMS * sizeof *all);
	memcpy(all + 2 * TS_NGRAMS, rep, TS_NREP * sizeof *all);
}

/* One more decided trajectory won by token id. */
static void
count_winner(struct ts_summary *s, int id)
{
	int lo = 0, hi = s->nwon;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (s->won[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->nwon || s->won[lo] != id) {
		s->won = xrealloc(s->won, ((size_t)s->nwon + 1) * sizeof *s->won);
		s->won_n = xrealloc(s->won_n, ((size_t)s->nwon + 1) *
		    sizeof *s->won_n);
		memmove(s->won + lo + 1, s->won + lo,
		    (size_t)(s->nwon - lo) * sizeof *s->won);
		memmove(s->won_n + lo + 1, s->won_n + lo,
		    (size_t)(s->nwon - lo) * sizeof *s->won_n);
		s->won[lo] = id;
		s->won_n[lo] = 0;
		s->nwon++;
	}
	s->won_n[lo]++;
}

/* The classes: verdict, winners of the decided, collapse time. */
static void
add_classes(struct ts_summary *s, const struct ts_result *r)
{
	int winners = 0;

	s->verdicts[r->collapsed == 1 ? 0 : r->collapsed == 0 ? 1 : 2]++;
	if (r->collapsed < 0)
		return;
	for (int k = 0; k < r->nsym; k++)
		if (r->cls[k] == TS_WINNER) {
			winners++;
			count_winner(s, r->sym[k]);
		}
	if (winners >= s->maxwin) {
		s->decided_size = xrealloc(s->decided_size, ((size_t)winners + 1) *
		    sizeof *s->decided_size);
		memset(s->decided_size + s->maxwin, 0, (size_t)(winners + 1 -
		    s->maxwin) * sizeof *s->decided_size);
		s->maxwin = winners + 1;
	}
	s->decided_size[winners]++;
	if (r->collapse >= 0) {
		if (s->timed == s->ncap) {
			s->ncap = s->ncap ? 2 * s->ncap : 64;
			s->collapse = xrealloc(s->collapse,
			    (size_t)s->ncap * sizeof *s->collapse);
		}
		s->collapse[s->timed++] = r->collapse;
	}
}

/* Union of the sorted id sets a (na) and b (nb), into a fresh array. */
static int *
merge_ids(const int *a, int na, const int *b, int nb, int *n)
{
	int *out = xmalloc(((size_t)na + (size_t)nb + 1) * sizeof *out);
	int i = 0, j = 0, k = 0;

	while (i < na || j < nb) {
		if (j == nb || (i < na && a[i] < b[j]))
			out[k++] = a[i++];
		else if (i == na || b[j] < a[i])
			out[k++] = b[j++];
		else {
			out[k++] = a[i++];
			j++;
		}
	}
	*n = k;
	return out;
}

/* Sums of the published measures: per-sequence means where the papers'
 * code averages sequences, token totals where it sums tokens. */
static void
add_published(struct ts_summary *s, const struct pub_seq *p)
{
	for (int n = 0; n < PUB_NGRAMS; n++) {
		if (p->ngrams[n]) {
			s->pub_seq_rep[n] += 1 - (double)p->distinct[n] /
			    (double)p->ngrams[n];
			s->pub_seq_n[n]++;
		}
		if (p->targets) {
			s->pub_li_seq[n] += (double)p->distinct[n] / (double)p->targets;
			s->pub_li_n[n]++;
		}
	}
	s->pub_targets += p->targets;
	for (int k = 0; k < PUB_NREP; k++)
		s->pub_hits[k] += p->rep_hits[k];
	if (p->have_next) {
		int *u, n;

		s->pub_next_targets += p->targets;
		for (int k = 0; k < PUB_NREP; k++) {
			s->pub_next_hits[k] += p->next_hits[k];
			s->pub_next_whits[k] += p->next_whits[k];
		}
		u = merge_ids(s->pub_uniq, s->pub_nuniq, p->uniq, p->nuniq, &n);
		free(s->pub_uniq);
		s->pub_uniq = u;
		s->pub_nuniq = n;
	}
}

void
ts_summary_tokens(struct ts_summary *s, const int *y, long T,
    const int *exclude, int nexclude)
{
	pub_corpus_add(&s->corpus, y, T, exclude, nexclude);
}

void
ts_summary_add(struct ts_summary *s, const struct ts_result *r,
    const struct prediction *pred)
{
	double rep[TS_NREPSTATS];

	s->trajectories++;
	histograms_reach(s, r->n_window > r->n_growth ? r->n_window :
	    r->n_growth);
	s->size_window[r->n_window]++;
	if (r->winner_growth)
		s->size_growth[r->n_growth]++;
	else
		s->growth_undefined++;
	add_classes(s, r);
	for (int k = 0; k < r->npoints; k++) {
		struct ts_sums *c = point_at(s, r->t[k]);

		c->n++;
		c->top1 += r->top1[k];
		c->entropy += r->entropy[k];
		if (r->share) {
			c->nshare++;
			c->share += r->share[k];
		}
	}
	repetition_of(r->seq_rep, r->distinct_n, r->rep, rep);
	for (int k = 0; k < TS_NREPSTATS; k++)
		if (!isnan(rep[k])) {
			s->rep_sum[k] += rep[k];
			s->rep_n[k]++;
		}
	add_published(s, &r->pub);
	if (!pred)
		return;
	s->predicted++;
	if (!pred->decided)
		return;
	s->decided++;
	s->agree_attractors.consistent += pred->attractors.consistent;
	s->agree_attractors.exact += pred->attractors.exact;
	s->agree_prompt.consistent += pred->from_prompt.consistent;
	s->agree_prompt.exact += pred->from_prompt.exact;
}

static double
mean(double sum, long n)
{
	return n ? sum / (double)n : NAN;
}

void
ts_summary_end(struct ts_summary *s)
{
	long n = s->timed;
	double rep[TS_NREPSTATS], sum = 0;

	if (n)
		qsort(s->collapse, (size_t)n, sizeof *s->collapse, cmp_long);
	for (long k = 0; k < n; k++)
		sum += (double)s->collapse[k];
	s->collapse_mean = mean(sum, n);
	if (n == 0)
		s->collapse_median = NAN;
	else if (n % 2)
		s->collapse_median = (double)s->collapse[n / 2];
	else
		s->collapse_median = ((double)s->collapse[n / 2 - 1] +
		    (double)s->collapse[n / 2]) / 2;

	s->t = xmalloc(((size_t)s->npoints + 1) * sizeof *s->t);
	s->n = xmalloc(((size_t)s->npoints + 1) * sizeof *s->n);
	s->top1 = xmalloc(((size_t)s->npoints + 1) * sizeof *s->top1);
	s->share = xmalloc(((size_t)s->npoints + 1) * sizeof *s->share);
	s->entropy = xmalloc(((size_t)s->npoints + 1) * sizeof *s->entropy);
	for (int k = 0; k < s->npoints; k++) {
		const struct ts_sums *c = &s->curve[k];

		s->t[k] = c->t;
		s->n[k] = c->n;
		s->top1[k] = mean(c->top1, c->n);
		s->share[k] = mean(c->share, c->nshare);
		s->entropy[k] = mean(c->entropy, c->n);
	}

	for (int k = 0; k < TS_NREPSTATS; k++)
		rep[k] = mean(s->rep_sum[k], s->rep_n[k]);
	memcpy(s->seq_rep, rep, sizeof s->seq_rep);
	memcpy(s->distinct_n, rep + TS_NGRAMS, sizeof s->distinct_n);
	memcpy(s->rep, rep + 2 * TS_NGRAMS, sizeof s->rep);
}

void
ts_summary_free(struct ts_summary *s)
{
	free(s->size_window);
	free(s->size_growth);
	free(s->t);
	free(s->n);
	free(s->top1);
	free(s->share);
	free(s->entropy);
	free(s->collapse);
	free(s->curve);
	free(s->decided_size);
	free(s->won);
	free(s->won_n);
	free(s->pub_uniq);
	pub_corpus_free(&s->corpus);
	memset(s, 0, sizeof *s);
}
