/*
 * fitrecord: the ccmc record of a maximum-likelihood fit (ccmc-estimate,
 * ccmc-records(5)): the rows est_fit_row fitted, with what the record says
 * about the data they come from.  A single fit and a merge of shards
 * (shard.h) write it with the same code, so the two agree byte for byte.
 */
#ifndef FITRECORD_H
#define FITRECORD_H

#include <jansson.h>
#include <stdint.h>

#include "ccmc.h"
#include "dataset.h"
#include "estimate.h"

/* The options that shape a fit's record. */
struct fit_settings {
	struct est_options est;
	int      vocab;        /* --vocab K, or 0 */
	int      window;       /* --window L, or 0 */
	int      brief;        /* no rows of "identifiability", no "stderr" */
	int      stderr;       /* "stderr": the standard errors (and a
	                        * bootstrap's intervals); not with brief
	                        * (ccmcfit_write sets it) */
	int      bootstrap;    /* resamples, or 0 */
	uint64_t seed;         /* of the resampling */
	double   laplace;      /* text: add-A smoothing of the unigram */
	int      form;         /* FIT_DENSE or FIT_SPARSE */
};

/* The forms of the record (ccmc-records(5)); auto: dense up to MAX_VOCAB. */
enum { FIT_AUTO, FIT_DENSE, FIT_SPARSE };
/* The form a record of K tokens takes, FIT_DENSE or FIT_SPARSE; dense
 * asked for past MAX_VOCAB fails, naming end (the end of the input). */
int     fit_form(int form, int K, const struct input *end);

/* A fit as its record tells it: the rows, and what the record says about
 * the data they come from.  A merge rebuilds it from the shards' records. */
struct fitted {
	int      K;
	struct est_row *row;     /* bootstrap intervals in them, if any */
	long     samples, skipped;
	int      weighted;
	const char *ksource;
	const struct ccmc *truth;   /* NULL without one */
};

/* Writes the ccmc record of the fit, in the form s->form (dense: one
 * line; sparse: a header and K ccmc-row lines).  d: the data of a fit on
 * text (for its unigram background and dev part), NULL otherwise. */
void    fitrecord_write(const struct fitted *f, const struct fit_settings *s,
            const struct dataset *d);
void    fitted_free(struct fitted *f);

/* JSON of numbers: x, or null where it is not finite; K numbers; K
 * numbers with NaN as null; rows x K with NaN as null. */
json_t *number_or_null(double x);
json_t *vector_json(const double *v, int K);
json_t *vector_or_null_json(const double *v, int K);
json_t *matrix_json(const double *m, int rows, int K);
/* Sets ce and ppl in rep: nats per step over n steps and their
 * exponential, or nulls over no steps. */
void    per_step(json_t *rep, const char *ce, const char *ppl, double loglik,
            long n);
/* How a model scores d's dev part: p and, for a CCMC, u (the unigram mixed
 * in with weight mix) per step. */
json_t *dev_json(const struct dataset *d, const double *p, const double *u,
            double mix);

#endif
