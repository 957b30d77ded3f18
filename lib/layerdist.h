/*
 * layerdist: how far an attention layer that is not exactly a CCMC
 * (learned positions, an untied or softmax head) is from one, on the
 * user's prompts: the total-variation distance between the layer's
 * next-token law (attn_law) and a CCMC's (ccmc_probs), prompt by prompt.
 *
 * Every CCMC puts all its mass on the tokens of the prompt, so the mass
 * the layer puts elsewhere is a lower bound on its distance from any
 * CCMC; the distance from a given CCMC (attn-to-ccmc: the CCMC of the
 * layer's scores, A = E W E^T) is an upper bound on the distance from
 * the nearest.
 *
 * layer_nearest (ours) fits a tighter upper bound: the CCMC nearest the
 * layer in Kullback-Leibler divergence on the prompts, i.e. the logits A
 * that maximise
 *
 *     sum_s  sum_{j in prompt s}  p_s(j) log q_A(j | prompt s),
 *
 * p_s the layer's law on prompt s and q_A a CCMC's without positions
 * (counts as context weights).  That is the maximum-likelihood fit of
 * attn-ccmc(7) with the layer's probabilities as the samples'
 * multiplicities, one concave problem per query row (lib/estimate), so
 * it costs what the prompts hold, never K x K.
 */
#ifndef LAYERDIST_H
#define LAYERDIST_H

#include "ccmc.h"
#include "model.h"

struct layer_distance {
	long    prompts;
	double  max_tv, mean_tv;     /* from the CCMC */
	long    worst;               /* the prompt of max_tv */
	double  max_out, mean_out;   /* the layer's mass off the prompt */
};

/* Over n prompts tok[s] of len[s] tokens (each < K, within LMAX). */
void layer_distance(const struct attn_model *m, const struct ccmc *c,
         long n, int *const *tok, const int *len, struct layer_distance *r);

struct layer_fit {
	double  loglik;      /* the objective above, at the fit */
	int     converged;   /* every row */
	int     iters;       /* most Newton iterations of a row */
	long    rows;        /* query rows fitted */
	long    undetermined;  /* logits the fit leaves free (a token the
	                        * layer gives probability 0 beside others
	                        * it also does), set to 0 */
};

/* The CCMC nearest the layer on the prompts, into c (sparse logits:
 * each query row lists the tokens of its prompts). */
void layer_nearest(const struct attn_model *m, long n, int *const *tok,
         const int *len, struct ccmc *c, struct layer_fit *f);

#endif
