/*
 * generate: drawing next tokens, one prompt at a time or autoregressively
 * (attn-ccmc(7)).  A next token comes from the attention forward
 * pass, from the CCMC, or from the ordinary Markov chain P (row of the last
 * token only), optionally mixed with a unigram background.
 *
 * What a draw is conditioned on is a struct context (lib/context), the
 * same as in fitting and scoring: with a window of L tokens, only the last
 * L tokens of the prompt or trajectory count, as positions 1..L.  On the
 * CCMC without positions a trajectory step costs O(distinct tokens in the
 * context), not O(context): the draw needs only the context's counts and
 * P among the tokens present, kept in the context's slot order.  Without a
 * window, where counts only grow, it costs O(1) on average (grow_step).
 * With positions that weigh rho^(L - t), as a recency bias does, a step
 * updates the position-weighted counts instead of weighing the context.
 */
#ifndef GENERATE_H
#define GENERATE_H

#include <stddef.h>

#include "ccmc.h"
#include "context.h"
#include "model.h"
#include "rng.h"

enum gen_path { GEN_ATTENTION, GEN_CCMC, GEN_MARKOV };

struct generator {
	enum gen_path path;
	const struct attn_model *model;   /* GEN_ATTENTION */
	struct attn_grouped grouped;      /* its tables, if it has them */
	int     have_grouped;
	const struct ccmc *chain;         /* GEN_CCMC, GEN_MARKOV */
	int     K;
	int     lmax;          /* positions the model has, 0 if none */
	int     window;        /* tokens of context a draw sees, 0: all */
	const double *unigram; /* background mixed in with weight mix, or NULL */
	double  mix, utotal;
	double *p;             /* K */
	double *rowsum;        /* GEN_MARKOV: totals of the rows of P */
	double *bgprob;        /* GEN_MARKOV of a sparse chain: the alias */
	int    *bgalias;       /* table of its background, if it has one */
	double *work;
	size_t  nwork;
	/* a trajectory's context, and on the counting path (CCMC without
	 * positions) P among its present tokens: Psup[a * stride + b] =
	 * P(present[a], present[b]) */
	struct context ctx;
	int     query;         /* the last token */
	int     counting, stride;
	double *Psup, *weight;
	/* the counting path without a window, where counts only grow: for
	 * each query slot a, tables made from the counts of some step and
	 * remade now and then (see grow_step) */
	int     growing;
	unsigned long present_gen;  /* changes when the present tokens do */
	struct gen_row {
		unsigned long gen;  /* present_gen the tables were made in */
		unsigned long qgen; /* the same for q */
		long    since;      /* context length then */
		long    until;      /* made anew once the context is this long */
		int     cap;        /* positions since `since` they allow for */
		int     stale;      /* steps drawn directly since they lapsed */
	} *row;                     /* stride */
	struct gen_alias {
		uint64_t prob;      /* 2^64 times the chance of slot[0] */
		int     slot[2];    /* slot, its alias; -1: a recent position */
	} *entry;                   /* stride x 2^rowbits */
	int     rowbits, abits;     /* 2^abits entries of a row are in use */
	int     qtok, qslot;        /* the last token drawn by grow_step */
	double *q;                  /* stride x stride */
	double *aw, *aprob;         /* 2^rowbits */
	int    *alias, *awork;      /* 2^rowbits, 2^(rowbits + 1) */
	/* the CCMC with position weights rho^(L - t) (a recency bias) and no
	 * window: the position-weighted counts of the present tokens, by
	 * slot, updated at each step (w <- rho w + the new token's 1) */
	int     decaying;
	double  rho, *wpos;         /* K */
};

/* A generator for the path; GEN_ATTENTION needs m, the others c.  Draws
 * see the last `window` tokens of a context (0: all of them).  -1 with a
 * reason if the model's output is not a probability vector (C E^T != I,
 * or positions that reach the output). */
int  gen_init(struct generator *g, enum gen_path path,
         const struct attn_model *m, const struct ccmc *c, int window,
         char *why, size_t whylen);
/* Draws from (1 - mix) p + mix u instead of p (0 <= mix <= 1, u a
 * probability vector of K entries that stays valid). */
void gen_mix(struct generator *g, const double *u, double mix);
void gen_free(struct generator *g);

/* Longest context the path can take: LMAX with positional encodings and
 * no window; 0 for no limit (a window, or GEN_MARKOV: the last token). */
int  gen_context_limit(const struct generator *g);

/* Next token after the prompt (L >= 1; its last `window` tokens at most
 * the limit); if p is given, it receives the exact distribution the token
 * was drawn from.  Asking for p does not change the draw. */
int  gen_next(struct generator *g, const int *prompt, int L, struct rng *r,
         double *p);

/* A trajectory: gen_start with the initial prompt, then each gen_step
 * draws the next token from the current context and appends it. */
void gen_start(struct generator *g, const int *prompt, int L);
int  gen_step(struct generator *g, struct rng *r);
/* gen_step in two: the next token, not appended; appending a token,
 * drawn or not (0 <= y < K). */
int  gen_draw(struct generator *g, struct rng *r);
void gen_append(struct generator *g, int y);

#endif
