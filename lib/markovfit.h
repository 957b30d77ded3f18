/*
 * markovfit: the ordinary Markov chain of a dataset's steps, counted, as
 * the ccmc record ccmc-estimate --markov writes (ccmc-records(5)): marked
 * "chain": "markov" (attn-sample --markov draws from it, --eval scores it
 * as a chain), with the unigram background, the scores of the dev part
 * and a meta that says how it was counted.  Interpolated Kneser-Ney, the
 * standard smoothing of the field; add-A with --laplace A; the plain MLE
 * with --laplace 0.  Counted sparse (lib/baseline); written dense up to
 * MAX_VOCAB tokens unless asked otherwise (the MLE's zeros have no dense
 * logits: sparse always).
 */
#ifndef MARKOVFIT_H
#define MARKOVFIT_H

#include "dataset.h"

struct markov_settings {
	int      kn;               /* Kneser-Ney; else add-laplace */
	double   laplace;          /* of the bigram: A, 0 the MLE */
	double   unigram_laplace;  /* of the unigram background */
	int      form;             /* FIT_AUTO, FIT_DENSE or FIT_SPARSE */
	const char *arpa;          /* also the chain there, as ARPA, or NULL */
};

/* Counts the chain of d's steps (d->K tokens) and writes its record. */
void markovfit_write(const struct dataset *d, const struct markov_settings *s);

#endif
