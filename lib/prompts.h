/*
 * prompts: the prompt distributions D of attn-ccmc(7) from which
 * attn-sample draws prompts when none are given: tokens iid uniform, tokens
 * from one of B contiguous blocks of the vocabulary (so transitions across
 * blocks are never seen: the case where coverage fails), or tokens iid with
 * Zipf(S) frequencies.  Lengths are uniform on [lmin, lmax].
 */
#ifndef PROMPTS_H
#define PROMPTS_H

#include <stddef.h>

#include "rng.h"

enum prompt_kind { PROMPTS_UNIFORM, PROMPTS_BLOCKS, PROMPTS_ZIPF };

struct prompt_dist {
	enum prompt_kind kind;
	int     K;
	int     blocks;        /* PROMPTS_BLOCKS: B */
	double  zipf_s;        /* PROMPTS_ZIPF: S */
	double *cdf;           /* PROMPTS_ZIPF: cumulative weights, K entries */
	int     lmin, lmax;    /* prompt lengths */
};

/* "uniform", "blocks:B" or "zipf:S"; -1 with a reason if malformed.
 * The distribution is not usable before prompt_dist_setup. */
int  prompt_dist_parse(struct prompt_dist *d, const char *spec, char *why,
         size_t whylen);
/* "L" or "LMIN:LMAX" with 1 <= LMIN <= LMAX <= MAX_PROMPT; -1 if malformed. */
int  prompt_len_parse(const char *spec, int *lmin, int *lmax);
/* Fixes the vocabulary size; -1 with a reason if the distribution cannot
 * have K tokens (more blocks than tokens). */
int  prompt_dist_setup(struct prompt_dist *d, int K, char *why, size_t whylen);
void prompt_dist_free(struct prompt_dist *d);

/* Draws one prompt into t (room for d->lmax tokens); returns its length.
 * The length is drawn first, then the tokens in order. */
int  prompt_draw(const struct prompt_dist *d, struct rng *r, int *t);

/* The block [*lo, *hi) of token ids that block b of B covers. */
void prompt_block(int K, int B, int b, int *lo, int *hi);

#endif
