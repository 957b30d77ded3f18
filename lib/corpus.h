/*
 * corpus: token sequences held in memory, for the work that needs to see
 * all of them before it can start: building a vocabulary from word counts,
 * counting a Markov chain, scoring held-out text.
 *
 * Each sequence is a context to start from (a prompt of L >= 1 tokens) and
 * the T tokens that follow it, each a step to predict from everything
 * before it.  A sample record is a sequence with one step; a trajectory
 * record, or a line of text (its first word as the prompt), has T steps.
 */
#ifndef CORPUS_H
#define CORPUS_H

#include <stddef.h>

#include "vocab.h"     /* UNK */

struct vocab;

struct sequence {
	size_t off;           /* first token in corpus.tok */
	int    L, T;          /* prompt tokens, then steps */
	int    sample;        /* came from a sample record */
	const char *file;     /* where it was read, for messages */
	long   line;
};

struct corpus {
	int    *tok;
	size_t  ntok, cap;
	struct sequence *seq;
	long    nseq, seqcap;
	long    steps;        /* sum of T */
	int     maxtok;       /* largest id held, -1 if none */
};

void corpus_init(struct corpus *c);
void corpus_free(struct corpus *c);
void corpus_add(struct corpus *c, const int *prompt, int L, const int *tokens,
         int T, int sample, const char *file, long line);
/* Deals the sequences of all into fit and dev (both initialised here; all
 * is left as it was): sequence k (from 0) goes to dev iff
 * floor((k + 1) share) > floor(k share), so that dev holds the share
 * evenly spread (share 1/M: every M-th sequence, the M-th first). */
void corpus_split(const struct corpus *all, double share, struct corpus *fit,
         struct corpus *dev);
/* The steps that choose token t. */
long corpus_steps_choosing(const struct corpus *c, int t);

/* Keeps the maxv most frequent strings of raw by their occurrences in the
 * sequences of c (the fit part: prompts and steps), ties to the one that
 * occurs first there, gives them ids 0..maxv-1 in that order and one more
 * id to "<unk>", which every other string (and the string "<unk>" itself)
 * becomes.  dev (or NULL), the held-out part, decides nothing: its words
 * count only as not kept.  maxv = 0: every string that occurs in c or dev
 * is kept, in order of first occurrence (c first), and "<unk>" gets an id
 * only if it occurs.  Strings that occur in no sequence (read, but in no
 * piece kept) get no id.  Both corpora are renumbered. */
struct vocab *corpus_keep_frequent(struct corpus *c, struct corpus *dev,
         const struct vocab *raw, int maxv);

#endif
