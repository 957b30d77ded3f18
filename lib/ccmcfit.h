/*
 * ccmcfit: the maximum-likelihood CCMC of a dataset, fitted row by row
 * (lib/estimate) and written as its ccmc record (lib/fitrecord) or, for
 * --rows, as the ccmc-shard record of some rows (lib/shard): what
 * ccmc-estimate does by default.  On text the record is the ridge MAP
 * instead, complete, so that it can be sampled and scored: every logit
 * the data leave free sits at the prior mean.
 *
 * A fit without a window whose work is out of reach is refused before it
 * starts, with what it would cost (est_fit_cost: each context token of a
 * row's samples times the row's tokens, the multiply-adds of one
 * Newton-CG step at its worst, 2m conjugate-gradient iterations over a
 * row of m tokens).  The default limit, FIT_MAX_COST, is a quarter of an
 * hour of one core per worst-case step; typical steps are far cheaper
 * (E7's licences as whole documents at V 1000 cost 6.5e9 and fit in 3 s),
 * so a fit it lets through is feasible, and one it stops may run for
 * hours: --force takes the risk.
 */
#ifndef CCMCFIT_H
#define CCMCFIT_H

#include "dataset.h"
#include "fitrecord.h"

#define FIT_MAX_COST 1e12

struct ccmcfit_options {
	struct fit_settings fit;
	int      l2_given;     /* else the ridge is 1 on text */
	int      stderr_given; /* else no "stderr" on text, but for a bootstrap */
	int      progress;     /* rows done, time spent and left, on stderr */
	double   max_cost;     /* of a fit without a window ... */
	int      force;        /* ... unless forced */
};

/* Fits the rows of d (those of its shard, d->o.shards) and writes the
 * record. */
void ccmcfit_write(const struct dataset *d, const struct ccmcfit_options *o);

#endif
