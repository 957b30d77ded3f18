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

#endif
