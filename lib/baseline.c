#include "baseline.h"

#include <stdlib.h>

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

void
bigram_fit(const struct corpus *c, int K, double alpha, double *P)
{
	double *n = xcalloc(checked_size((size_t)K * K, sizeof *n), 1);

	for (long s = 0; s < c->nseq; s++) {
		const int *x = c->tok + c->seq[s].off;

		/* step t chooses x[L + t] after query x[L + t - 1] */
		for (int t = c->seq[s].L; t < c->seq[s].L + c->seq[s].T; t++)
			n[(size_t)x[t - 1] * K + x[t]]++;
	}
	for (int i = 0; i < K; i++) {
		double *row = n + (size_t)i * K, ni = 0;

		for (int j = 0; j < K; j++)
			ni += row[j];
		for (int j = 0; j < K; j++)
			P[(size_t)i * K + j] = (row[j] + alpha) / (ni + K * alpha);
	}
	free(n);
}
