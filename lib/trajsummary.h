/*
 * trajsummary: many trajectories together (traj-stats --summary): how
 * many collapsed, did not or are undecided, which tokens won and how many
 * together, when they collapse, their mean curves and repetition, and how
 * often the mean field's prediction agrees with the decided ones.
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
	long   verdicts[3];               /* collapsed, not collapsed, undecided */
	int    maxwin;                    /* bins of decided_size */
	long  *decided_size;              /* decided trajectories by number of
	                                   * winners */
	int    nwon;                      /* tokens that won somewhere: */
	int   *won;                       /* their ids, ascending */
	long  *won_n;                     /* decided trajectories they won */
	long   timed;                     /* collapse times */
	long   predicted;                 /* trajectories with a prediction */
	long   decided;                   /* of those, decided */
	long   skipped_markov;            /* chain markov, not predicted */
	struct { long consistent, exact; } agree_attractors, agree_prompt;

	/* Set by ts_summary_end: */
	double collapse_mean, collapse_median;
	int    npoints;                   /* the mean curve: */
	long  *t, *n;                     /* checkpoints, trajectories at each */
	double *top1, *share, *entropy;   /* share over those with a growth set */
	double seq_rep[TS_NGRAMS], distinct_n[TS_NGRAMS], rep[TS_NREP];

	/* Running totals: */
	long  *collapse, ncap;            /* collapse times */
	struct ts_sums *curve;            /* by t */
	double rep_sum[TS_NREPSTATS];
	long   rep_n[TS_NREPSTATS];

	/* The published measures (repetition.h): */
	double pub_seq_rep[PUB_NGRAMS], pub_li_seq[PUB_NGRAMS];
	long   pub_seq_n[PUB_NGRAMS], pub_li_n[PUB_NGRAMS];
	long   pub_targets, pub_hits[PUB_NREP];
	long   pub_next_targets, pub_next_hits[PUB_NREP], pub_next_whits[PUB_NREP];
	int    pub_nuniq, *pub_uniq;      /* union of the argmax predictions */
	struct pub_corpus corpus;         /* corpus-level distinct-n, uniq-seq */
};

/* pred: the trajectory's prediction, NULL without one. */
void ts_summary_add(struct ts_summary *s, const struct ts_result *r,
         const struct prediction *pred);
/* The generated tokens of that trajectory (ids), with the ids left out
 * of the published measures, for their corpus-level ones. */
void ts_summary_tokens(struct ts_summary *s, const int *y, long T,
         const int *exclude, int nexclude);
void ts_summary_end(struct ts_summary *s);
void ts_summary_free(struct ts_summary *s);

#endif
