/*
 * estimate: the maximum-likelihood CCMC of a set of samples (attn-ccmc(7),
 * learning), one query row at a time, with what the data identify.
 *
 * Row i of the logits is fitted from the samples whose query is i by
 * maximising the concave log-likelihood
 *
 *     sum_s  log w_y + A_iy - log sum_{l in context} w_l exp(A_il)
 *
 * (plus -l2/2 ||A_i.||^2 with a ridge).  What the data determine comes from
 * two graphs on the tokens of the row:
 *   - G_i, joining tokens that share a context: differences of logits are
 *     determined within a connected component and nothing across; the row
 *     of P is determined iff G_i is connected and touches all K tokens;
 *   - the choice graph, y -> l for every l in the context of a sample that
 *     chose y.  Without a ridge the MLE exists iff every component of G_i
 *     is strongly connected in it.  Otherwise the likelihood climbs to its
 *     supremum as the strong classes that other classes lead into sink to
 *     -infinity: those tokens get probability 0 (they are flagged), and
 *     each strong class is fitted on its own, which attains the supremum.
 */
#ifndef ESTIMATE_H
#define ESTIMATE_H

#include "sampleset.h"

enum { EST_AUTO, EST_NEWTON, EST_CG };

struct est_options {
	double l2;            /* ridge strength; 0 = plain maximum likelihood */
	double tol;           /* stop at max |gradient| / samples <= tol */
	int    max_iter;      /* Newton (or Newton-CG) iterations per block */
	int    method;        /* EST_AUTO: dense Newton up to newton_max tokens */
	int    newton_max;
	int    stderr_max;    /* standard errors for blocks up to this size */
};

#define EST_OPTIONS_DEFAULT { 0, 1e-8, 200, EST_AUTO, 160, 400 }

/* The fit of one query row, over its tokens: those in the contexts of the
 * samples whose query it is (ascending ids), the only ones the data say
 * anything about.  Every per-token array has m entries, one per token of
 * tok; a token not in tok is unseen (no component, not determined, map 0
 * under a ridge), so a row costs what its samples hold, never K.  NaN
 * marks what the data do not determine. */
struct est_row {
	int     K;
	int     m;            /* tokens of the row */
	int    *tok;          /* their ids, ascending */
	double  n;            /* samples (with bootstrap multiplicities) */
	int    *comp;         /* component of G_i per token, -1 if unseen */
	int     ncomp;
	int    *zero;         /* 1: the MLE sends this logit to -infinity */
	int     determined;   /* G_i connected over all K tokens */
	int     mle_exists;   /* every component strongly connected */
	int     tied;         /* a component has several top classes: their
	                       * relative levels are not determined */
	double *A;            /* logits, each component of mean 0 */
	double *P;            /* the row of P, if determined (then m = K) */
	double *cond;         /* P_ij / sum of P_il over j's component */
	double *se;           /* standard error of cond (delta method) */
	double *map;          /* with a ridge: the whole row's MAP logits under
	                       * the prior A_ij ~ N(0, 1/l2), before any gauge;
	                       * the tokens not listed sit at the prior mean 0,
	                       * so it completes the row */
	double *lo, *hi;      /* bootstrap intervals of cond, or NULL */
	double  loglik, objective;
	double  gnorm;        /* largest scaled gradient norm of its blocks */
	int     iters;        /* most iterations of its blocks */
	int     converged;
	int     cg;           /* a block was solved by Newton-CG */
	const char *why;      /* why it did not converge: an est_reasons[] */
};

/* Why a row may not converge. */
enum { EST_LIMIT, EST_NOT_PD, EST_NO_ASCENT, EST_LINE_SEARCH, EST_NREASONS };
extern const char *const est_reasons[EST_NREASONS];

/* Fits row i of K.  mult: per-sample multiplicities (bootstrap), or NULL.
 * want_se: compute standard errors. */
void est_fit_row(const struct sampleset *s, int K, int i, const double *mult,
         const struct est_options *o, int want_se, struct est_row *out);
void est_row_free(struct est_row *r);
/* A row of m tokens as est_fit_row starts it (NaN everywhere, tok and
 * comp unset, "converged"), for a caller that fills it in itself; m = 0
 * for a row with no samples.  Freed by est_row_free. */
void est_row_init(struct est_row *r, int K, int m, double l2);
/* Where token j sits in r->tok, or -1 if the row does not hold it. */
int  est_row_find(const struct est_row *r, int j);
/* The K values of a per-token array v of r (m entries), fill where the
 * row does not hold the token. */
void est_row_expand(const struct est_row *r, const double *v, double fill,
         double *out);
/* Allocates r->lo and r->hi (NaN), for bootstrap intervals. */
void est_row_intervals(struct est_row *r);

/* Fits the rows i of K with i mod shards == shard (shards 0: all) into
 * row[] (the others empty), with bootstrap intervals from B resamples if
 * B > 0; with progress, reports on stderr about once a second the rows
 * done of those fitted, the time spent and an estimate of the time left
 * (from the work left, each row's counted as its context tokens times
 * the most tokens it can have). */
void est_fit_rows(const struct sampleset *s, int K, const struct est_options *o,
         int want_se, int B, uint64_t seed, int shard, int shards,
         int progress, struct est_row *row);

/* What the rows of a fit add up to. */
struct est_total {
	double loglik, objective;
	double gnorm;         /* largest of the rows */
	int    iters;         /* most iterations of a row */
	int    converged, mle_exists;   /* in every row */
	int    unconverged;   /* the first row that did not converge, or -1 */
	int    newton, cg;    /* some row was solved by dense Newton, by CG */
};

void est_total(const struct est_row *row, int K, struct est_total *t);

/* The distance of a fit from the ground truth (logits A and chain P, K x K
 * each), over what the data determine: the rows of P, the logits up to
 * each component's mean, and the conditionals within a component. */
struct est_error {
	long   P_entries, A_entries, cond_entries;
	double P_sq, P_max_abs, A_sq, A_max_abs, cond_sq, cond_max_abs;
	double kl;            /* sum of KL(truth || fit) over kl_rows rows */
	int    kl_rows;
	int    kl_infinite_rows;  /* the fit gives 0 where the truth does not */
};

void est_error(const struct est_row *row, int K, const double *A,
         const double *P, struct est_error *e);

/* 95% percentile intervals fit->lo, fit->hi (over fit's tokens) of the
 * conditionals of row i over B resamples of its samples (a stratified
 * bootstrap: rows are independent), resample b drawn from stream
 * b * max(K, 2048) + i of "bootstrap" under seed (b * 2048 + i, as ever,
 * at dense sizes).  NaN where the fit, or a resample, does not determine
 * the conditional. */
void est_bootstrap_row(const struct sampleset *s, int K, int i,
         struct est_row *fit, const struct est_options *o, int B,
         uint64_t seed);
/* The work of a fit of row i: sum over its samples of the context's
 * distinct tokens times the row's tokens (what a pass of Newton-CG over
 * the row costs, within a constant). */
double est_row_cost(const struct sampleset *s, int i);
/* The same summed over the rows est_fit_rows fits: those i of the K with
 * i mod shards == shard (all of them for shards 0). */
double est_fit_cost(const struct sampleset *s, int K, int shard, int shards);

#endif
