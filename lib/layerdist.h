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
/* "check": the largest difference between the forward pass's law and the
 * exact CCMC c over the prompts; past max(1e-9, 10 X), X the model's tie
 * tolerance, an error at the prompt where it is largest.  With "user". */
json_t *layer_check(const struct check_prompts *ps,
            const struct attn_model *m, const struct ccmc *c);
/* "distance": layer_distance from c; why: why the model has no exact
 * CCMC, or NULL. */
json_t *layer_distance_json(const struct check_prompts *ps,
            const struct attn_model *m, const struct ccmc *c,
            const char *why);
/* "nearest": the same from the CCMC nearest the layer (layer_nearest), a
 * tighter upper bound than the CCMC of the scores, with the fit's own
 * figures. */
json_t *layer_nearest_json(const struct check_prompts *ps,
            const struct attn_model *m);
/* "user": the forward pass against the prompts' own "p" (null if none
 * carries one); past max(1e-6, 10 X), an error at the prompt where they
 * differ most. */
json_t *layer_user_check(const struct check_prompts *ps,
            const struct attn_model *m);

#endif
