/*
 * prompts: the prompt distributions D of attn-ccmc(7) from which
 * attn-sample draws prompts when none are given: tokens iid uniform, tokens
 * from one of B contiguous blocks of the vocabulary (so transitions across
 * blocks are never seen: the case where coverage fails), or tokens iid with
 * Zipf(S) frequencies.  Lengths are uniform on [lmin, lmax].
 *
 * Prompts given as records instead, when a program needs all of them
 * before it starts (a shard of an unknown number; a check on every one),
 * are kept in a prompt_set, each with the line it was read from.
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

/* Random bytes prompt_draw takes for the longest prompt, unless a draw is
 * rejected (rarely: see rng_fill_below). */
size_t prompt_draw_bytes(const struct prompt_dist *d);

/* The block [*lo, *hi) of token ids that block b of B covers. */
void prompt_block(int K, int B, int b, int *lo, int *hi);

/* Prompts kept in memory, in the order they were added. */
struct prompt_set {
	long    n, cap;
	int   **tok, *len;     /* prompt i: tok[i][0 .. len[i]) */
	long   *line;          /* the line of its record, for messages */
};

/* Adds a prompt of L tokens t (malloc'd; the set takes it) from line. */
void prompt_set_add(struct prompt_set *s, int *t, int L, long line);
void prompt_set_free(struct prompt_set *s);

#endif
