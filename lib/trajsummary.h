/*
 * trajsummary: many trajectories together (traj-stats --summary): how
 * large their winner sets are, when they collapse, their mean curves and
 * repetition, and how often the mean field's prediction agrees.
 *
 * ts_summary_add takes one trajectory at a time; ts_summary_end then fills
 * in the means, medians and rates, NaN where there was nothing to average.
 * A curve point averages the trajectories long enough to reach its t.
 */
#ifndef TRAJSUMMARY_H
#define TRAJSUMMARY_H

#include "prediction.h"
#include "trajstats.h"

#define TS_NREPSTATS (2 * TS_NGRAMS + TS_NREP)

struct ts_sums {               /* a running curve point */
	long   t, n, nshare;
	double top1, share, entropy;
};

struct ts_summary {
	long   trajectories;
	int    maxsize;                   /* bins of the histograms */
	long  *size_window, *size_growth; /* trajectories by winner set size */
	long   growth_undefined;          /* trajectories without a growth set */
	long   collapsed;                 /* trajectories that collapsed */
	long   predicted;                 /* trajectories with a prediction */
	long   judged[TS_NRULES];         /* of those, with a winner set */

	/* Set by ts_summary_end: */
	double collapse_mean, collapse_median;
	int    npoints;                   /* the mean curve: */
	long  *t, *n;                     /* checkpoints, trajectories at each */
	double *top1, *share, *entropy;   /* share over those with a growth set */
	double seq_rep[TS_NGRAMS], distinct_n[TS_NGRAMS], rep[TS_NREP];
	double in_attractors[TS_NRULES], from_prompt[TS_NRULES];   /* rates */

	/* Running totals: */
	long  *collapse, ncap;            /* collapse times */
	struct ts_sums *curve;            /* by t */
	double rep_sum[TS_NREPSTATS];
	long   rep_n[TS_NREPSTATS];
	long   agree_attractors[TS_NRULES], agree_prompt[TS_NRULES];
};

/* rule: the trajectory's verdicts (TS_NRULES), NULL without a prediction. */
void ts_summary_add(struct ts_summary *s, const struct ts_result *r,
         const struct verdict *rule);
void ts_summary_end(struct ts_summary *s);
void ts_summary_free(struct ts_summary *s);

#endif
