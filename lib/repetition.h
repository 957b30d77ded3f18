/*
 * repetition: the repetition measures of text-generation research by
 * their published definitions, so that numbers can be set beside
 * published ones (traj-stats(1), PUBLISHED MEASURES).
 *
 * Welleck et al. 2020 (Neural Text Generation with Unlikelihood
 * Training), as their code computes them: seq-rep-n = 1 - distinct
 * n-grams / n-grams of the continuation (the prefix left out), averaged
 * over sequences; rep/l, the share of target tokens (every generated
 * token, the first included: divided by T) that occur among the l tokens
 * before them in the whole sequence (the prefix included), summed over
 * tokens before dividing; wrep/l the same for the model's argmax
 * prediction when it is not the target; uniq the distinct argmax
 * predictions; uniq-seq the distinct tokens of the continuations.  Li et
 * al. 2016 (A Diversity-Promoting Objective Function for Neural
 * Conversation Models): distinct-n = distinct n-grams over all the
 * generated sequences / their number of tokens; the same per sequence is
 * distinct-n per sequence.  A token left out (--exclude) is neither a
 * target nor a token of the totals, and no n-gram holding it counts.
 */
#ifndef REPETITION_H
#define REPETITION_H

#include <stddef.h>

#define PUB_NGRAMS 4
#define PUB_NREP   4
extern const int pub_rep_lengths[PUB_NREP];     /* 16, 32, 128, 512 */

struct pub_seq {               /* one sequence */
	long   targets;        /* generated tokens not left out */
	long   ngrams[PUB_NGRAMS], distinct[PUB_NGRAMS];
	long   rep_hits[PUB_NREP];
	int    have_next;      /* with a model: */
	long   next_hits[PUB_NREP], next_whits[PUB_NREP];
	int    nuniq, *uniq;   /* the distinct argmax predictions (ids, ascending) */
};

/* The measures of the generated part of ctx (L prompt tokens, then T),
 * ids dense[i] < nsym for the tokens ids[dense[i]]; skip[d] marks a dense
 * id left out (NULL: none).  With P (K x K, by id), also the model's
 * argmax predictions: after token i, the context token j with the
 * largest m_j P_ij (m its count before the step; ties to the smaller
 * id), the prediction of the CCMC without positions. */
void pub_measure(const int *dense, long L, long T, int nsym, const int *ids,
         const unsigned char *skip, const double *P, int K, struct pub_seq *s);
void pub_seq_free(struct pub_seq *s);

/* The n-grams of many sequences (by token id), for corpus-level
 * distinct-n and uniq-seq, in a set under the keyed hash (hash.h): memory
 * grows with the distinct n-grams. */
struct pub_corpus {
	size_t cap[PUB_NGRAMS], n[PUB_NGRAMS];
	int   *key[PUB_NGRAMS];        /* cap x n ids; -1 for an empty slot */
	long   tokens;                 /* tokens counted (not left out) */
};

/* Adds the T tokens y (ids; those with skip_id(y) true left out). */
void pub_corpus_add(struct pub_corpus *c, const int *y, long T,
         const int *skipped, int nskipped);
void pub_corpus_free(struct pub_corpus *c);

#endif
