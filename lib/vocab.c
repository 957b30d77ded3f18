#include "vocab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "util.h"

struct vocab *
vocab_new(int limit)
{
	struct vocab *v = xcalloc(1, sizeof *v);

	v->limit = limit;
	v->unk = -1;
	v->nslot = 64;
	v->slot = xcalloc((size_t)v->nslot, sizeof *v->slot);
	return v;
}

void
vocab_free(struct vocab *v)
{
	if (!v)
		return;
	for (int i = 0; i < v->n; i++)
		free(v->word[i]);
	free(v->word);
	free(v->slot);
	free(v);
}

static int *
probe(const struct vocab *v, const char *s)
{
	size_t mask = (size_t)v->nslot - 1, i = hash_bytes(s, strlen(s)) & mask;

	while (v->slot[i] && strcmp(v->word[v->slot[i] - 1], s) != 0) {
		i = (i + 1) & mask;
		hash_probes++;
	}
	return &v->slot[i];
}

int
vocab_find(const struct vocab *v, const char *s)
{
	return *probe(v, s) - 1;
}

static void
rehash(struct vocab *v)
{
	free(v->slot);
	v->nslot *= 2;
	v->slot = xcalloc((size_t)v->nslot, sizeof *v->slot);
	for (int id = 0; id < v->n; id++)
		*probe(v, v->word[id]) = id + 1;
}

int
vocab_add(struct vocab *v, const char *s)
{
	int *slot = probe(v, s);

	if (*slot)
		return *slot - 1;
	if (v->n >= v->limit)
		return -1;
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 64;
		v->word = xrealloc(v->word, (size_t)v->cap * sizeof *v->word);
	}
	v->word[v->n] = xstrdup(s);
	*slot = ++v->n;
	if (2 * v->n > v->nslot)
		rehash(v);
	return v->n - 1;
}

int
vocab_token(struct vocab *v, const char *s)
{
	int id = vocab_find(v, s);

	if (id >= 0)
		return id;
	if (v->grow && (id = vocab_add(v, s)) >= 0)
		return id;
	return v->unk;
}
