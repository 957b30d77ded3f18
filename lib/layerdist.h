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
 * The nearest CCMC (ours) is a tighter upper bound: the CCMC nearest the
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
 *
 * attn-to-ccmc --check reads the user's prompts (prompt records, some
 * with "p", the law the user's own framework computed) and reports on
 * them: "check", how far the forward pass is from the layer's exact CCMC
 * (an error past the bound the tie tolerance allows); "distance", the
 * measures above from the CCMC of the scores, and "nearest", those from
 * the nearest CCMC; "user", how far the forward pass is from the user's
 * "p" (an error past its bound: not the layer that computed p).
 */
#ifndef LAYERDIST_H
#define LAYERDIST_H

#include <jansson.h>

#include "ccmc.h"
#include "model.h"
#include "prompts.h"

/* The prompt records of a --check file, with their lines, and the "p"
 * the user computed for some of them. */
struct check_prompts {
	const char *file;
	struct prompt_set set;
	double **p;            /* p[s]: the record's "p" (plen[s] entries), or
	                        * NULL */
	int    *plen;
	long    pcap;
};

/* Reads them: at least one, none empty, ids within MAX_VOCAB. */
void    check_prompts_read(struct check_prompts *ps, char *file);
void    check_prompts_free(struct check_prompts *ps);
/* The keys --check adds to a model's record extra, from one forward pass
 * per prompt: with the model's exact CCMC c (why NULL), "check", the
 * largest difference between the forward pass's law and c over the
 * prompts (past max(1e-9, 10 X), X the model's tie tolerance, an error at
 * the prompt where it is largest), holding "user"; and "distance", the
 * measures above from c.  For a model with no exact CCMC (why: the
 * reason; c: the CCMC of its scores), "distance" holds "nearest", the
 * same from the CCMC nearest the layer with the fit's own figures, and
 * "user".  "user": the forward pass against the prompts' own "p" (null if
 * none carries one); past max(1e-6, 10 X), an error at the prompt where
 * they differ most. */
void    layer_report(const struct check_prompts *ps,
            const struct attn_model *m, const struct ccmc *c,
            const char *why, json_t *extra);

#endif
