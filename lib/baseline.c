#include "baseline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "util.h"

void
unigram_fit(const struct corpus *c, int K, double alpha, double *u)
{
	double *n = xcalloc((size_t)K, sizeof *n), total = 0;

	for (long s = 0; s < c->nseq; s++) {
		const int *y = c->tok + c->seq[s].off + c->seq[s].L;

		for (int t = 0; t < c->seq[s].T; t++)
			n[y[t]]++;
		total += c->seq[s].T;
	}
	for (int j = 0; j < K; j++)
		u[j] = (n[j] + alpha) / (total + K * alpha);
	free(n);
}

/* n_ij of the steps of c: K x K, malloc'd. */
static double *
pair_counts(const struct corpus *c, int K)
{
	double *n = xcalloc(checked_size((size_t)K * K, sizeof *n), 1);

	for (long s = 0; s < c->nseq; s++) {
		const int *x = c->tok + c->seq[s].off;

		/* step t chooses x[L + t] after query x[L + t - 1] */
		for (int t = c->seq[s].L; t < c->seq[s].L + c->seq[s].T; t++)
			n[(size_t)x[t - 1] * K + x[t]]++;
	}
	return n;
}

void
bigram_fit(const struct corpus *c, int K, double alpha, double *P)
{
	double *n = pair_counts(c, K);

	for (int i = 0; i < K; i++) {
		double *row = n + (size_t)i * K, ni = 0;

		for (int j = 0; j < K; j++)
			ni += row[j];
		for (int j = 0; j < K; j++)
			P[(size_t)i * K + j] = (row[j] + alpha) / (ni + K * alpha);
	}
	free(n);
}

/* n1 / (n1 + 2 n2), or 0.5 where that leaves unseen events nothing. */
static double
discount(long n1, long n2)
{
	return n1 > 0 ? (double)n1 / (double)(n1 + 2 * n2) : 0.5;
}

void
bigram_kn_fit(const struct corpus *c, int K, double *P,
    struct kn_discounts *d)
{
	double *n = pair_counts(c, K), *cont = xcalloc((size_t)K, sizeof *cont);
	double pairs = 0, types = 0;

	memset(d, 0, sizeof *d);
	for (size_t e = 0; e < (size_t)K * K; e++) {
		if (n[e] > 0) {
			cont[e % (size_t)K]++;
			pairs++;
		}
		d->n1 += n[e] == 1;
		d->n2 += n[e] == 2;
	}
	for (int j = 0; j < K; j++) {
		types += cont[j] > 0;
		d->n1_cont += cont[j] == 1;
		d->n2_cont += cont[j] == 2;
	}
	d->D = discount(d->n1, d->n2);
	d->D1 = discount(d->n1_cont, d->n2_cont);
	/* the continuation unigram; uniform where nothing was counted */
	for (int j = 0; j < K; j++)
		cont[j] = pairs > 0 ? (fmax(cont[j] - d->D1, 0) + d->D1 * types /
		    K) / pairs : 1.0 / K;
	for (int i = 0; i < K; i++) {
		const double *row = n + (size_t)i * K;
		double ni = 0, follow = 0;

		for (int j = 0; j < K; j++) {
			ni += row[j];
			follow += row[j] > 0;
		}
		for (int j = 0; j < K; j++)
			P[(size_t)i * K + j] = ni > 0 ? (fmax(row[j] - d->D, 0) +
			    d->D * follow * cont[j]) / ni : cont[j];
	}
	free(n);
	free(cont);
}
