/*
 * ccmc: the context-conditioned Markov chain of attn-ccmc(7)
 * ("ccmc" records).  Given a prompt with last token i and (position-
 * weighted) counts w, the next token is j with probability
 * w_j P_ij / sum_l w_l P_il.
 *
 * A ccmc record is dense (K x K arrays "A" and "P", K <= MAX_VOCAB) or
 * sparse (a header and K "ccmc-row" records: each row's listed logits
 * and a default for the others, K <= MAX_SPARSE_VOCAB; ccmc-records(5)).
 * Either way the logits are a struct logits (lib/logits), and everything
 * that samples or scores asks them only at the context's tokens
 * (ccmc_logits_at, ccmc_base), so that a sparse CCMC costs what its
 * entries and contexts do.  A and P exist for a dense CCMC only; code
 * that needs them asks ccmc_dense first, which makes them for a small
 * sparse one and refuses a large one.
 */
#ifndef CCMC_H
#define CCMC_H

#include <jansson.h>

#include "logits.h"
#include "model.h"
#include "rng.h"
#include "stream.h"

#define CCMC_GAUGE "row-mean-zero"

struct vocab;

struct ccmc {
	int     K;
	int     lmax;          /* positions with weights, 0 if none */
	double *A;             /* K x K logits, each row of mean 0; NULL when
	                        * sparse */
	double *P;             /* K x K base chain, row-softmax(A); NULL when
	                        * sparse */
	int     sparse;        /* the logits are lg's (A, P NULL) */
	struct logits lg;      /* sparse: the rows as read, each row of a
	                        * small K in the dense form's gauge */
	double *lognorm;       /* sparse: log Z_i of each row (NaN: not
	                        * determined), so that P_ij = exp(A_ij - it) */
	char   *rowtext;       /* sparse, if kept: its row lines as read */
	size_t  rowlen;
	long    line;          /* of its record (a sparse one's header) */
	double *posw;          /* lmax x lmax: posw[(L-1)*lmax + t-1] = exp(B_Lt),
	                        * each row scaled so its largest entry is 1 */
	json_t *meta;          /* owned reference, or NULL */
	struct vocab *vocab;   /* id -> string, or NULL */
};

/* The CCMC of a model; -1 with a reason if it has none. */
int    ccmc_from_model(const struct attn_model *m, struct ccmc *c, char *why,
           size_t whylen);
/* The CCMC of a model's scores, whether or not it is the model's law:
 * A = E W E^T and, with positions, posw from B_Lt = r_L^T W r_t; what
 * ccmc_from_model gives when the model has an exact CCMC (K <= MAX_VOCAB). */
void   ccmc_of_scores(const struct attn_model *m, struct ccmc *c);
/* Fills A from P (or P from A), in the gauge above. */
void   ccmc_set_logits(struct ccmc *c, const double *A);
/* A dense ccmc record (one line; a sparse header is refused here). */
void   ccmc_parse(const struct input *in, json_t *rec, struct ccmc *c);
/* The CCMC of a ccmc record, dense or sparse (then its K row records are
 * read from in, which they follow), or of an attn-model record; fails
 * through input_fail, with the reason when the model has none. */
void   ccmc_from_record(struct input *in, json_t *rec, struct ccmc *c);
/* The same, with flags for a sparse record: CCMC_KEEP_ROWS keeps its row
 * lines in rowtext (to print the record again); CCMC_AS_WRITTEN keeps its
 * logits as written (no gauge: see sparse_gauge). */
enum { CCMC_KEEP_ROWS = 1, CCMC_AS_WRITTEN = 2 };
void   ccmc_read(struct input *in, json_t *rec, struct ccmc *c, int flags);
/* Whether a ccmc record is in the sparse form ("form", checked). */
int    ccmc_record_sparse(const struct input *in, json_t *rec);
/* Prints the row lines a sparse record kept (CCMC_KEEP_ROWS). */
void   ccmc_write_rows(const struct ccmc *c);
/* Makes A and P of a sparse CCMC whose K is at most limit (its dense
 * equivalent: the same numbers a dense record of it gives); 0 if c is
 * dense then, -1 with the reason why not (too large, or logits it leaves
 * undetermined) for what (e.g. "the mean field"). */
int    ccmc_dense(struct ccmc *c, int limit, const char *what, char *why,
           size_t whylen);
/* ccmc_dense, or fail at the record's line (exit 65) with the reason. */
void   ccmc_need_dense(const struct input *in, struct ccmc *c, int limit,
           const char *what);
/* 1 if every logit is determined (a draw can always be made), else 0
 * with the first row that is not in *row. */
int    ccmc_determined(const struct ccmc *c, int *row);
/* out[k] = A_i,cols[k] (k < n), whatever the form. */
void   ccmc_logits_at(const struct ccmc *c, int i, const int *cols, int n,
           double *out);
/* P_ij, the base chain (NaN if not determined). */
double ccmc_base(const struct ccmc *c, int i, int j);
/* Writes the record; extra, if given, is a JSON object whose fields are
 * appended after the standard ones. */
void   ccmc_write(const struct ccmc *c, json_t *extra);
void   ccmc_free(struct ccmc *c);

/* Pr(y = . | prompt) into p (K).  work: K doubles. */
void   ccmc_probs(const struct ccmc *c, const int *prompt, int L, double *p,
           double *work);
/* A draw from that distribution, by choosing a position of the prompt with
 * weight posw_t P_{i,k_t}: O(L), no normalisation.  work: L doubles. */
int    ccmc_draw(const struct ccmc *c, const int *prompt, int L,
           struct rng *r, double *work);

#endif
