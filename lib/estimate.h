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

/* The fit of one query row.  NaN marks what the data do not determine. */
struct est_row {
	int     K;
	double  n;            /* samples (with bootstrap multiplicities) */
	int    *comp;         /* component of G_i per token, -1 if unseen */
	int     ncomp;
	int    *zero;         /* 1: the MLE sends this logit to -infinity */
	int     determined;   /* G_i connected over all K tokens */
	int     mle_exists;   /* every component strongly connected */
	int     tied;         /* a component has several top classes: their
	                       * relative levels are not determined */
	double *A;            /* logits, each component of mean 0 */
	double *P;            /* the row of P, if determined */
	double *cond;         /* P_ij / sum of P_il over j's component */
	double *se;           /* standard error of cond (delta method) */
	double *map;          /* with a ridge: the whole row's MAP logits under
	                       * the prior A_ij ~ N(0, 1/l2), before any gauge,
	                       * 0 (the prior mean) for unseen tokens; defined
	                       * everywhere, so it completes the row */
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
/* An empty row as est_fit_row starts it (NaN everywhere, "converged"),
 * for a caller that fills it in itself; freed by est_row_free. */
void est_row_init(struct est_row *r, int K, double l2);

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

/* 95% percentile intervals [lo, hi] (K each) of the conditionals of row i
 * over B resamples of its samples (a stratified bootstrap: rows are
 * independent), resample b drawn from stream b * MAX_VOCAB + i of
 * "bootstrap" under seed.  NaN where the fit, or a resample, does not
 * determine the conditional. */
void est_bootstrap_row(const struct sampleset *s, int K, int i,
         const struct est_row *fit, const struct est_options *o, int B,
         uint64_t seed, double *lo, double *hi);

#endif
