/*
 * trajstats: what one trajectory looks like (attn-ccmc(7), trajectories):
 * which tokens win, when it collapses onto them, how its context
 * distribution evolves, and the repetition measures of text-generation
 * research.  The context after t steps is the prompt followed by the first
 * t generated tokens.
 *
 * Winner sets, by two rules:
 *  - window: the smallest set of tokens holding at least 1 - eps of the
 *    last W tokens of the context (ties: larger final count, then smaller id);
 *  - growth: tokens whose context count keeps growing in proportion to the
 *    context.  With n(t) = L + t and m_j(t) the count of token j,
 *        gamma_j = log(m_j(T) / m_j(t1)) / log(n(T) / n(t1)),  t1 = from * T,
 *    a winner has gamma_j >= gamma_min (its share holds up; a loser's count
 *    grows like t^gamma with gamma < 1) and at least min_count occurrences
 *    after t1 (fewer is no evidence of growth).  A token absent at t1 that
 *    occurs min_count times after it grows faster than the context: a winner.
 *
 * Classes, the verdicts (growth.h): over the generated part each context
 * token's growth exponent gamma is fitted to its counts in blocks (block 0
 * the first n1 = L + from * T tokens of the context, then `blocks` blocks
 * of equal length), with a confidence interval at level 1 - alpha / nsym
 * (so that all nsym intervals hold together with probability at least
 * 1 - alpha).  A token is a loser when the interval lies below 1, a winner
 * when it lies within [1 - delta, infinity), undecided otherwise.  The
 * trajectory collapsed when a token is a loser, did not when every token
 * is a winner, and is undecided otherwise.  The two rules above are
 * descriptive only.
 *
 * Collapse time, of a collapsed trajectory: the onset of collapse, the
 * change point at which the losers' share of the generated tokens fell,
 * estimated with a 95% interval (trajstats.c, onset); none (-1) when it
 * never fell.
 *
 * Repetition measures are over the generated tokens only, the prompt
 * excluded: seq-rep-n = 1 - distinct n-grams / n-grams, distinct-n = distinct
 * n-grams / n-grams (n = 1..4), rep-l = share of the tokens from the second
 * on that occur among the l tokens before them (l = 16, 32, 128).
 */
#ifndef TRAJSTATS_H
#define TRAJSTATS_H

#include "repetition.h"

#define TS_NGRAMS 4                /* seq-rep-n and distinct-n for n = 1..4 */
#define TS_NREP   3                /* rep-l for the lengths below */
extern const int ts_rep_lengths[TS_NREP];

enum { TS_WINDOW, TS_GROWTH, TS_NRULES };          /* the winner rules */
extern const char *const ts_rule_names[TS_NRULES];  /* "window", "growth" */

struct ts_opts {
	long   window;         /* W */
	double eps;
	double from;           /* growth rule: early checkpoint t1 = from * T */
	double gamma_min;
	long   min_count;
	int    per_decade;     /* curve checkpoints per decade of t */
	int    blocks;         /* classes: blocks after n1 */
	double alpha, delta;
	const double *P;       /* the base chain of the trajectories' model
	                        * (K x K), or NULL */
	int    K;
	int    model_test;     /* the classes use P's tests (P not NULL) */
	const int *exclude;    /* ids left out of the published measures */
	int    nexclude;
	int    whole;          /* with P: the test of the whole trajectory too
	                        * (not for models with positions: it weighs
	                        * counts as the CCMC without positions does) */
};

enum { TS_UNDECIDED, TS_WINNER, TS_LOSER };        /* classes */
/* Why a trajectory has no collapse time: */
enum { TS_TIMED, TS_SHORT, TS_OPEN, TS_HELD, TS_LATE };
extern const char *const ts_why[];                 /* NULL for TS_TIMED */

struct ts_result {
	long    L, T;          /* prompt and generated lengths */
	int     distinct;      /* distinct generated tokens */
	int     nsym;          /* distinct context tokens */
	/* Context tokens, by final count (descending), then id: */
	int    *sym;           /* token ids */
	long   *count;         /* final context counts */
	double *gamma;         /* growth exponents; NaN when m(t1) = 0 or
	                        * the rule is undefined */
	int    *winner_window; /* 1 if in the window set (same order) */
	int    *winner_growth; /* 1 if in the growth set; NULL if undefined */
	int     n_window, n_growth;
	long    t1;            /* growth rule's early checkpoint (steps) */
	/* classes (same order); gamma_hat, lo, hi NaN when undefined, hi
	 * and gamma_hat infinite when unbounded: */
	double *gamma_hat, *lo, *hi;
	double *loser_p;       /* the model's test: a p-value bound that the
	                        * token enters no less often than the ordinary
	                        * chain of P would have it; NaN without one */
	int     model_test;    /* 1 if the model's test was used */
	double  traj_p;        /* its test of the whole trajectory (a p-value
	                        * bound); NaN without one */
	int    *cls;           /* TS_WINNER, ... */
	int     collapsed;     /* 1, 0, or -1 undecided */
	long    collapse;      /* onset of collapse (generated tokens before
	                        * it), -1 if none */
	long    collapse_lo, collapse_hi;     /* its 95% interval */
	int     why;           /* TS_TIMED or why there is none */
	/* curve at log-spaced t (steps), context after t steps */
	int     npoints;
	long   *t;
	double *top1, *share, *entropy;   /* share: NULL if no growth set */
	/* repetition; NaN when undefined (fewer than n or 2 tokens) */
	double  seq_rep[TS_NGRAMS], distinct_n[TS_NGRAMS], rep[TS_NREP];
	struct pub_seq pub;    /* the published measures */
};

/* Statistics of the context ctx = prompt (L tokens) then T generated ones.
 * Token ids are any non-negative ints. */
void trajstats_compute(const int *ctx, long L, long T, const struct ts_opts *o,
         struct ts_result *r);
void trajstats_free(struct ts_result *r);

/* Which tokens win by a rule, flagged in the order of r->sym; NULL where
 * the rule is undefined. */
const int *ts_winner_mask(const struct ts_result *r, int rule);
/* The tokens of r flagged in mask, ascending, into set (room for r->nsym);
 * returns how many. */
int  ts_tokens_of(const struct ts_result *r, const int *mask, int *set);

/* The repetition measures of y (T tokens with ids in [0, nsym)). */
void ts_repetition(const int *y, long T, int nsym, double *seq_rep,
         double *distinct_n, double *rep);

/* Checkpoints t_k = round(10^(k / per_decade)) below T, then T; returns
 * how many (t has room for ts_points_max(T, per_decade)). */
int  ts_points_max(long T, int per_decade);
int  ts_points(long T, int per_decade, long *t);

#endif
