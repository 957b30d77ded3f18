/*
 * ccmc: the context-conditioned Markov chain of attn-ccmc(7)
 * ("ccmc" records).  Given a prompt with last token i and (position-
 * weighted) counts w, the next token is j with probability
 * w_j P_ij / sum_l w_l P_il.
 */
#ifndef CCMC_H
#define CCMC_H

#include <jansson.h>

#include "model.h"
#include "rng.h"
#include "stream.h"

#define CCMC_GAUGE "row-mean-zero"

struct vocab;

struct ccmc {
	int     K;
	int     lmax;          /* positions with weights, 0 if none */
	double *A;             /* K x K logits, each row of mean 0 */
	double *P;             /* K x K base chain, row-softmax(A) */
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
void   ccmc_parse(const struct input *in, json_t *rec, struct ccmc *c);
/* The CCMC of a ccmc record or of an attn-model record; fails through
 * input_fail, with the reason when the model has none. */
void   ccmc_from_record(const struct input *in, json_t *rec, struct ccmc *c);
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
