/*
 * sampleset: what the CCMC likelihood needs to know about (context, next
 * token) samples, stored compactly and grouped by query token.
 *
 * A sample's likelihood under a CCMC depends on its context only through
 * the query i (the last token) and the weight w_j of each distinct token j
 * (its count, or its position-weighted count, attn-ccmc(7)), so
 * that is all we keep: per query row, for each sample, the distinct tokens
 * of its context with the chosen token first, and their weights.
 */
#ifndef SAMPLESET_H
#define SAMPLESET_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "stream.h"

struct sample_row {
	long      n;          /* samples whose query is this row's token */
	size_t    ntok, cap;  /* support entries held; capacity */
	long      scap;
	uint32_t *start;      /* n + 1 offsets into tok/cnt/wt */
	uint32_t *tok;        /* distinct context tokens, the chosen one first */
	uint32_t *cnt;        /* their counts (unweighted sets) */
	double   *wt;         /* their weights (weighted sets) */
};

struct sampleset {
	int    weighted;      /* weights are reals (positions), not counts */
	int    maxtok;        /* largest token id seen, -1 if none */
	long   n;             /* samples kept */
	int    shard, shards;   /* keep only the rows i with i mod shards ==
	                         * shard (0-based); shards 0: every row */
	long   dropped;       /* valid samples of the rows not kept */
	size_t entries;       /* distinct context tokens stored, all rows */
	long   gen;           /* for sampleset_add: */
	int    cap;           /* tokens the arrays below have room for */
	long     *stamp;
	uint32_t *count;
	double   *weight;
	int    nrow;          /* rows allocated: queries 0..nrow-1 */
	struct sample_row *row;   /* grown as queries come; read them with
	                           * sampleset_row */
};

/* What a fit may keep: each sample's distinct context tokens (8 bytes
 * each, 12 with positions), at most SAMPLESET_BASE of them plus
 * SAMPLESET_PER_TOKEN per token of the input, so that memory, and the time
 * of a pass over the samples, grow with the data: one trajectory over a
 * context of K distinct tokens would otherwise keep K of them per step. */
#define SAMPLESET_BASE      ((size_t)1 << 25)
#define SAMPLESET_PER_TOKEN 64

struct sampleset *sampleset_new(int weighted);
void   sampleset_free(struct sampleset *s);
/* The samples of query i (an empty row if there are none). */
const struct sample_row *sampleset_row(const struct sampleset *s, int i);
/* Keeps from now on only the samples of the rows i with i mod shards ==
 * shard (0 <= shard < shards): the others are checked as before, and
 * count towards maxtok and dropped, but are not stored. */
void   sampleset_shard(struct sampleset *s, int shard, int shards);
/* Adds the sample (ctx[0..L-1], y), tokens in [0, MAX_SPARSE_VOCAB):
 * query ctx[L-1]; posw: the L position
 * weights, or NULL for counts.  -1 if y is not in the context, or only
 * at positions of weight 0. */
int    sampleset_add(struct sampleset *s, const int *ctx, int L, int y,
           const double *posw);
/* Adds the sample whose context is c (counts only). */
int    sampleset_add_context(struct sampleset *s, const struct context *c,
           int query, int y);

#endif
