/*
 * wfit: learning W of an attention layer whose embeddings E are known
 * (ccmc-estimate --embeddings), by maximum likelihood.
 *
 * The law is the headless one of attn-ccmc(7): the next token is the
 * token at the attended position, so a sample (prompt x_1..x_L, next
 * token y, query q = x_L) has
 *
 *     log p(y) = log c_y + A_qy - log sum_t exp(A_q,x_t),  A = E W E^T,
 *
 * c_y the count of y in the prompt.  A is linear in W, so the
 * log-likelihood is concave in W (d x d): d^2 parameters, whatever K.
 * Its gradient is sum_s e_q (e_y - m_s)^T with m_s the attention-weighted
 * mean embedding of the prompt, and its Hessian sum_s (e_q e_q^T) (x)
 * Cov_s, Cov_s the attention-weighted covariance of the prompt's
 * embeddings.  Only the logits of a query's row (lib/logits) are ever
 * formed, per sample: O(L d) per sample and pass, never K x K.
 *
 * What the data determine: the likelihood depends on W only through
 * e_q^T W (e_k - e_l) for a sample's query q and tokens k, l of its
 * prompt; the Hessian's null space (the same at every W) holds the rest.
 * The fit starts at W = 0 and moves in the Hessian's range only, so it
 * ends at the maximiser of least Frobenius norm: a direction the data
 * leave open gets 0, and an entry of W that such a direction moves has no
 * standard error (null).
 *
 * Dense Newton (d^2 x d^2 Hessian, O(n L d^2 + Q d^4 + d^6) per iteration,
 * Q distinct queries) up to WFIT_NEWTON_MAX_D; beyond, Newton-CG whose
 * Hessian-vector products cost O(n L d + Q d^2), and neither standard
 * errors nor the null space (their d^2 x d^2 matrix is the point).
 * Either way the cost is passes over the samples (meta.wfit.passes): the
 * gradient at a line search's trial point comes with its likelihood, so a
 * step taken costs one pass, and Newton-CG adds one per product.
 */
#ifndef WFIT_H
#define WFIT_H

#include <stdint.h>

#include "model.h"

#define WFIT_NEWTON_MAX_D 32

/* Samples for a W-fit: token sequences, each sample a prefix of one
 * (context tok[start .. start+len-1], next token tok[start+len]). */
struct wfit_data {
	int      K;
	long     n;            /* samples */
	long    *start;
	int     *len;
	int     *slot;         /* the sample's query's slot */
	long    *seq;          /* the record (sequence) it comes from */
	long     nseq;         /* records: the units a bootstrap resamples */
	int     *tok;
	long     ntok, tokcap, cap;
	int      nq;           /* distinct queries */
	int     *qtok;         /* slot -> token */
	int     *slot_of;      /* token -> slot, -1 if never a query (K) */
	long     skipped;      /* records of other types */
	json_t  *truth;        /* the first attn-model record, or NULL */
	char    *truth_file;   /* the file it came from (its weights' base) */
	long     truth_line;
};

/* Reads sample and trajectory records (tokens below K) from the files;
 * any complaint exits 65 naming file and line. */
void   wfit_read(struct wfit_data *D, int K, int nfiles, char **files);
void   wfit_data_free(struct wfit_data *D);

enum { WFIT_AUTO, WFIT_NEWTON, WFIT_CG };

struct wfit_options {
	double l2;             /* subtract l2/2 ||W||_F^2 */
	double tol;            /* stop at max |gradient| / samples <= tol */
	int    max_iter;
	int    method;
	int    progress;
	int    bootstrap;      /* resamples, 0 for none */
	uint64_t seed;         /* of the resampling */
	const char *weights;   /* write the model's arrays to this file
	                        * (.safetensors or .npz), or NULL: JSON */
};

struct wfit_result {
	int     d;
	double *W;             /* d x d */
	double  loglik, objective, gnorm;
	int     iters, converged, cg;
	long    hv;            /* Hessian-vector products (Newton-CG) */
	long    passes;        /* over the samples (each O(n L d), Newton's
	                        * with the Hessian O(n L d^2)) */
	int     rank;          /* of the Hessian, -1 if not computed */
	double *se;            /* d x d, NaN where undetermined; or NULL */
	double *movable;       /* d x d: the share of each entry's unit vector
	                        * in the null space (0 determined), or NULL */
	const char *why;       /* why it did not converge, or NULL */
	/* --bootstrap: 95% percentile intervals (d x d, NaN where there is
	 * none), and the resamples whose fit did not converge */
	double *lo, *hi;
	int     unconverged;
};

/* E: K x d (the model's embeddings).  Returns 0. */
int    wfit_fit(const struct wfit_data *D, const double *E, int d,
           const struct wfit_options *o, struct wfit_result *r);
/* The bootstrap of a fit R made with o (Newton: R->movable set): B
 * resamples of the records (a trajectory with all its steps), each
 * refitted; sets R->lo, R->hi for the entries R determines, if every
 * resample converged and determines them too (else NaN). */
void   wfit_bootstrap(const struct wfit_data *D, const double *E, int d,
           const struct wfit_options *o, struct wfit_result *R);
/* The log-likelihood of W on the data. */
double wfit_loglik(const struct wfit_data *D, const double *E, int d,
           const double *W);
void   wfit_result_free(struct wfit_result *r);

/* ccmc-estimate --embeddings MODEL: E from the first attn-model of
 * model_file, the samples from the files; prints the attn-model with the
 * fitted W (its arrays in o->weights, if given) and what the fit says in
 * meta.wfit (brief: no "stderr").  A record too long for a line is
 * refused before the samples are read. */
void   wfit_run(const char *model_file, const struct wfit_options *o,
           int brief, int nfiles, char **files);

#endif
