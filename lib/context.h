/*
 * context: what a next token is conditioned on, kept incrementally as a
 * sequence grows (attn-ccmc(7)): the last `window` tokens
 * (or all of them), and for each distinct token among them its count.
 *
 * Fitting, scoring and generation all see a step's context through this
 * module, so that a window means the same in each: the context is the last
 * `window` tokens, its oldest token is position 1 for position weights, and
 * a token that left the window has count 0 (a CCMC cannot draw it).
 *
 * The distinct tokens present occupy slots 0..npresent-1; count[s] is the
 * count of token present[s].  Slots stay put except when a token leaves
 * the context altogether: then the last slot moves into the one it held
 * (context_push says which), so that a caller may keep per-slot arrays of
 * its own (e.g. a row of P restricted to the present tokens) in step.
 */
#ifndef CONTEXT_H
#define CONTEXT_H

#include "stream.h"

/* Longest context: a record's prompt and its tokens, each at most
 * MAX_PROMPT long. */
#define CONTEXT_MAX (2 * MAX_PROMPT)

struct context {
	int  K, window;       /* window 0: unbounded */
	int  len;             /* tokens in the context, at most window */
	int  npresent;        /* distinct tokens */
	int *present;         /* slot -> token */
	int *count;           /* slot -> its count */
	int *slot;            /* token -> slot, -1 if absent */
	int *tok;             /* window: a ring of 2 x window slots, each token
	                       * written twice so that the window is contiguous;
	                       * else a growing array */
	int  head, cap;       /* ring: slot of the oldest token */
};

void   context_init(struct context *c, int K, int window);
void   context_reset(struct context *c);
/* Appends token t (0 <= t < K), dropping the oldest token if the window is
 * full.  If a token left the context altogether, returns the slot it held,
 * now taken by the former last slot (npresent after the call); else -1. */
static inline int context_push(struct context *c, int t);
/* The context's tokens, oldest first: c->len of them, contiguous, valid
 * until the next push or reset. */
const int *context_view(const struct context *c);
/* The same, copied into out (c->len ints). */
void   context_tokens(const struct context *c, int *out);
void   context_free(struct context *c);

/* context_push's rarer parts */
int    context_uncount(struct context *c, int t);
void   context_newslot(struct context *c, int t);
void   context_grow(struct context *c);

/* Inline: it is the inner loop of generation. */
static inline int
context_push(struct context *c, int t)
{
	/* The new token is counted before the oldest leaves: a token that
	 * goes out and comes back in keeps its slot. */
	if (c->slot[t] < 0)
		context_newslot(c, t);
	c->count[c->slot[t]]++;
	if (c->window > 0) {
		int w = c->window, old;

		if (c->len < w) {
			c->tok[c->len] = c->tok[c->len + w] = t;
			c->len++;
			return -1;
		}
		old = c->tok[c->head];
		c->tok[c->head] = c->tok[c->head + w] = t;
		c->head = c->head + 1 == w ? 0 : c->head + 1;
		return context_uncount(c, old);
	}
	if (c->len == c->cap)
		context_grow(c);
	c->tok[c->len++] = t;
	return -1;
}

static inline int
context_count(const struct context *c, int t)
{
	int s = c->slot[t];

	return s < 0 ? 0 : c->count[s];
}

#endif
