#include "prompts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "util.h"

/* A whole-string integer in [lo, hi]; -1 if not. */
static int
parse_int(const char *s, const char *end, long lo, long hi, long *v)
{
	char *stop;

	if (s == end || *s == '+' || *s == '-' || *s == ' ')
		return -1;
	errno = 0;
	*v = strtol(s, &stop, 10);
	if (stop != end || errno == ERANGE || *v < lo || *v > hi)
		return -1;
	return 0;
}

int
prompt_dist_parse(struct prompt_dist *d, const char *spec, char *why,
    size_t whylen)
{
	long b;
	char *end;

	memset(d, 0, sizeof *d);
	if (strcmp(spec, "uniform") == 0) {
		d->kind = PROMPTS_UNIFORM;
		return 0;
	}
	if (strncmp(spec, "blocks:", 7) == 0) {
		d->kind = PROMPTS_BLOCKS;
		if (parse_int(spec + 7, spec + strlen(spec), 1, MAX_VOCAB, &b) != 0) {
			snprintf(why, whylen, "blocks:B needs a block count B in "
			    "[1, %d], not '%s'", MAX_VOCAB, spec + 7);
			return -1;
		}
		d->blocks = (int)b;
		return 0;
	}
	if (strncmp(spec, "zipf:", 5) == 0) {
		d->kind = PROMPTS_ZIPF;
		errno = 0;
		d->zipf_s = strtod(spec + 5, &end);
		if (end == spec + 5 || *end || errno == ERANGE ||
		    !(d->zipf_s >= 0 && d->zipf_s <= 100)) {
			snprintf(why, whylen, "zipf:S needs an exponent S in [0, 100], "
			    "not '%s'", spec + 5);
			return -1;
		}
		return 0;
	}
	snprintf(why, whylen, "expected uniform, blocks:B or zipf:S, not '%s'",
	    spec);
	return -1;
}

int
prompt_len_parse(const char *spec, int *lmin, int *lmax)
{
	const char *colon = strchr(spec, ':'), *end = spec + strlen(spec);
	long lo, hi;

	if (parse_int(spec, colon ? colon : end, 1, MAX_PROMPT, &lo) != 0)
		return -1;
	hi = lo;
	if (colon && parse_int(colon + 1, end, lo, MAX_PROMPT, &hi) != 0)
		return -1;
	*lmin = (int)lo;
	*lmax = (int)hi;
	return 0;
}

int
prompt_dist_setup(struct prompt_dist *d, int K, char *why, size_t whylen)
{
	d->K = K;
	if (d->kind == PROMPTS_BLOCKS && d->blocks > K) {
		snprintf(why, whylen, "blocks:%d: more blocks than the %d tokens",
		    d->blocks, K);
		return -1;
	}
	if (d->kind == PROMPTS_ZIPF) {
		double total = 0;

		free(d->cdf);
		d->cdf = xmalloc((size_t)K * sizeof *d->cdf);
		for (int k = 0; k < K; k++)
			d->cdf[k] = total += pow(k + 1, -d->zipf_s);
		for (int k = 0; k < K; k++)
			d->cdf[k] /= total;
		d->cdf[K - 1] = 1;   /* so every uniform in [0, 1) finds a token */
	}
	return 0;
}

void
prompt_dist_free(struct prompt_dist *d)
{
	free(d->cdf);
	d->cdf = NULL;
}

void
prompt_block(int K, int B, int b, int *lo, int *hi)
{
	*lo = (int)((long)K * b / B);
	*hi = (int)((long)K * (b + 1) / B);
}

/* Inverse of the cumulative weights: the first k with u < cdf[k]. */
static int
zipf_token(const double *cdf, int K, double u)
{
	int lo = 0, hi = K - 1;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (u < cdf[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int
prompt_draw(const struct prompt_dist *d, struct rng *r, int *t)
{
	int L = d->lmin, lo, hi;

	if (d->lmax > d->lmin)
		L += (int)rng_below(r, (uint32_t)(d->lmax - d->lmin + 1));
	switch (d->kind) {
	case PROMPTS_UNIFORM:
		rng_fill_below(r, (uint32_t)d->K, t, L);
		break;
	case PROMPTS_BLOCKS:
		prompt_block(d->K, d->blocks, (int)rng_below(r,
		    (uint32_t)d->blocks), &lo, &hi);
		rng_fill_below(r, (uint32_t)(hi - lo), t, L);
		for (int i = 0; i < L; i++)
			t[i] += lo;
		break;
	case PROMPTS_ZIPF:
		for (int i = 0; i < L; i++)
			t[i] = zipf_token(d->cdf, d->K, rng_uniform(r));
		break;
	}
	return L;
}

size_t
prompt_draw_bytes(const struct prompt_dist *d)
{
	size_t b = d->lmax > d->lmin ? 4 : 0;   /* the length */

	switch (d->kind) {
	case PROMPTS_UNIFORM:
		return b + rng_below_bytes((uint32_t)d->K, d->lmax);
	case PROMPTS_BLOCKS:   /* the widest block takes the most */
		return b + 4 + rng_below_bytes((uint32_t)((d->K + d->blocks - 1) /
		    d->blocks), d->lmax);
	case PROMPTS_ZIPF:
		return b + 8 * (size_t)d->lmax;
	}
	return b;
}

void
prompt_set_add(struct prompt_set *s, int *t, int L, long line)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->tok = xrealloc(s->tok, checked_size((size_t)s->cap,
		    sizeof *s->tok));
		s->len = xrealloc(s->len, checked_size((size_t)s->cap,
		    sizeof *s->len));
		s->line = xrealloc(s->line, checked_size((size_t)s->cap,
		    sizeof *s->line));
	}
	s->tok[s->n] = t;
	s->len[s->n] = L;
	s->line[s->n++] = line;
}

void
prompt_set_free(struct prompt_set *s)
{
	for (long i = 0; i < s->n; i++)
		free(s->tok[i]);
	free(s->tok);
	free(s->len);
	free(s->line);
	memset(s, 0, sizeof *s);
}
