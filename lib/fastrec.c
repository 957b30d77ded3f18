#include "fastrec.h"

#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "util.h"

static const char *
fast_int(const char *p, int *v)
{
	int n = 0;

	if (*p == '0') {
		*v = 0;
		return p[1] >= '0' && p[1] <= '9' ? NULL : p + 1;
	}
	for (*v = 0; *p >= '0' && *p <= '9'; p++) {
		if (++n > 9)
			return NULL;
		*v = *v * 10 + (*p - '0');
	}
	return n ? p : NULL;
}

static const char *
fast_array(const char *p, int **a, int *cap, int *n)
{
	*n = 0;
	if (*p++ != '[')
		return NULL;
	if (*p == ']')
		return p + 1;
	for (;;) {
		if (*n == *cap) {
			if (*cap >= MAX_PROMPT)
				return NULL;
			*cap = *cap ? 2 * *cap : 64;
			*a = xrealloc(*a, (size_t)*cap * sizeof **a);
		}
		if (!(p = fast_int(p, &(*a)[(*n)++])))
			return NULL;
		if (*p == ']')
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

/* The end of the line: "}" or ,"chain":"markov"} (r->markov). */
static int
fast_end(struct fastrec *r, const char *p, const char *end)
{
	static const char markov[] = ",\"chain\":\"markov\"}";

	r->markov = 0;
	if ((size_t)(end - p) == sizeof markov - 1 &&
	    memcmp(p, markov, sizeof markov - 1) == 0)
		return r->markov = 1;
	return *p == '}' && p + 1 == end;
}

/* Whether p (before end) starts with the n bytes of s: memcmp of a known
 * length is a few compares inline, where strncmp is a call per line. */
static int
starts(const char *p, const char *end, const char *s, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

int
fastrec_read(struct fastrec *r, const struct input *in)
{
	static const char sample[] = "{\"type\":\"sample\",\"prompt\":";
	static const char traj[] = "{\"type\":\"trajectory\",\"prompt\":";
	const char *p = in->buf, *end = in->buf + in->len;

	if (input_rows_due(in))
		return FAST_NONE;
	if (starts(p, end, sample, sizeof sample - 1)) {
		p = fast_array(p + sizeof sample - 1, &r->prompt, &r->pcap, &r->L);
		if (!p || !starts(p, end, ",\"y\":", 5))
			return FAST_NONE;
		if (!r->tcap) {
			r->tcap = 64;
			r->tokens = xmalloc((size_t)r->tcap * sizeof *r->tokens);
		}
		if (!(p = fast_int(p + 5, &r->tokens[0])) || !fast_end(r, p, end))
			return FAST_NONE;
		r->T = 1;
		return FAST_SAMPLE;
	}
	if (starts(p, end, traj, sizeof traj - 1)) {
		p = fast_array(p + sizeof traj - 1, &r->prompt, &r->pcap, &r->L);
		if (!p || !starts(p, end, ",\"tokens\":", 10) ||
		    !(p = fast_array(p + 10, &r->tokens, &r->tcap, &r->T)) ||
		    !fast_end(r, p, end))
			return FAST_NONE;
		return FAST_TRAJECTORY;
	}
	return FAST_NONE;
}

void
fastrec_free(struct fastrec *r)
{
	free(r->prompt);
	free(r->tokens);
	memset(r, 0, sizeof *r);
}
