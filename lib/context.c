#include "context.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void
context_init(struct context *c, int K, int window)
{
	memset(c, 0, sizeof *c);
	c->K = K;
	c->window = window;
	c->present = xmalloc((size_t)K * sizeof *c->present);
	c->count = xmalloc((size_t)K * sizeof *c->count);
	c->slot = xmalloc((size_t)K * sizeof *c->slot);
	for (int k = 0; k < K; k++)
		c->slot[k] = -1;
	c->cap = window > 0 ? 2 * window : 256;
	c->tok = xmalloc(checked_size((size_t)c->cap, sizeof *c->tok));
}

void
context_reset(struct context *c)
{
	for (int s = 0; s < c->npresent; s++)
		c->slot[c->present[s]] = -1;
	c->npresent = 0;
	c->len = 0;
	c->head = 0;
}

int
context_uncount(struct context *c, int t)
{
	int s = c->slot[t], last;

	if (--c->count[s] > 0)
		return -1;
	last = --c->npresent;
	c->present[s] = c->present[last];
	c->count[s] = c->count[last];
	c->slot[c->present[s]] = s;
	c->slot[t] = -1;
	return s;
}

void
context_newslot(struct context *c, int t)
{
	int s = c->slot[t] = c->npresent++;

	c->present[s] = t;
	c->count[s] = 0;
}

void
context_grow(struct context *c)
{
	if (c->cap >= CONTEXT_MAX)
		die(EXIT_FAIL, "context longer than %ld tokens", CONTEXT_MAX);
	c->cap *= 2;
	c->tok = xrealloc(c->tok, checked_size((size_t)c->cap, sizeof *c->tok));
}

const int *
context_view(const struct context *c)
{
	return c->tok + c->head;
}

void
context_tokens(const struct context *c, int *out)
{
	memcpy(out, context_view(c), (size_t)c->len * sizeof *out);
}

void
context_free(struct context *c)
{
	free(c->present);
	free(c->count);
	free(c->slot);
	free(c->tok);
	memset(c, 0, sizeof *c);
}
