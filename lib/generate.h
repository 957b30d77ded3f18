/*
 * generate: drawing next tokens, one prompt at a time or autoregressively
 * (attn-ccmc(7)).  A next token comes from the attention forward
 * pass, from the CCMC, or from the ordinary Markov chain P (row of the last
 * token only).  A trajectory appends each token to its context; on the
 * CCMC without positions it keeps only counts of the tokens of the initial
 * prompt (the only tokens that can ever appear), so a step costs O(support),
 * not O(context).
 */
#ifndef GENERATE_H
#define GENERATE_H

#include <stddef.h>

#include "ccmc.h"
#include "model.h"
#include "rng.h"

enum gen_path { GEN_ATTENTION, GEN_CCMC, GEN_MARKOV };

struct generator {
	enum gen_path path;
	const struct attn_model *model;   /* GEN_ATTENTION */
	const struct ccmc *chain;         /* GEN_CCMC, GEN_MARKOV */
	int     K;
	int     lmax;          /* positions the model has, 0 if none */
	double *p;             /* K */
	double *rowsum;        /* GEN_MARKOV: totals of the rows of P */
	double *work;
	size_t  nwork;
	/* trajectory: the whole context (attention, positions) ... */
	int    *ctx;
	int     len, cap;
	/* ... or counts over the support (CCMC without positions) */
	int     counting;
	int     nsup, last;    /* support size; support index of the query */
	int    *sup, *slot;    /* support index -> token; token -> index or -1 */
	double *count, *weight;
	double *Psup;          /* P among the support, nsup x nsup */
};

/* A generator for the path; GEN_ATTENTION needs m, the others c.  -1 with
 * a reason if the model's output is not a probability vector (C E^T != I,
 * or positions that reach the output). */
int  gen_init(struct generator *g, enum gen_path path,
         const struct attn_model *m, const struct ccmc *c, char *why,
         size_t whylen);
void gen_free(struct generator *g);

/* Longest context the path can take: LMAX with positional encodings
 * (GEN_MARKOV looks at the last token only: no limit, 0). */
int  gen_context_limit(const struct generator *g);

/* Next token after the prompt (1 <= L <= the limit); if p is given, it
 * receives the exact distribution the token was drawn from.  Asking for p
 * does not change the draw. */
int  gen_next(struct generator *g, const int *prompt, int L, struct rng *r,
         double *p);

/* A trajectory: gen_start with the initial prompt, then each gen_step
 * draws the next token from the current context and appends it. */
void gen_start(struct generator *g, const int *prompt, int L);
int  gen_step(struct generator *g, struct rng *r);

#endif
