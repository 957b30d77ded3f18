/*
 * trajreader: the trajectories traj-stats reads, one context at a time
 * (prompt, then tokens), so that no input is ever held whole.
 *
 * Trajectory records: the commonest lines without a JSON tree
 * (lib/fastrec), the others parsed; string tokens name ids through the
 * vocabulary of the model in the stream, else through one built as they
 * come.  The attn-model and ccmc records on the way become the
 * predictor's chain (lib/prediction), the model the statistics are
 * tested against, and the tokens after one must lie within its K.
 * Records of other types are skipped and counted, one note per type.  Or
 * plain text (--text): each kept piece of a document is a trajectory with
 * an empty prompt, its words numbered in order of first appearance.
 */
#ifndef TRAJREADER_H
#define TRAJREADER_H

#include <jansson.h>

#include "fastrec.h"
#include "prediction.h"
#include "stream.h"
#include "text.h"
#include "vocab.h"

/* The record being read is kept here, in the caller's frame, so that it
 * is still reachable when input_fail exits. */
struct traj_reader {
	struct input in;
	int    text;           /* plain text, cut by split */
	struct text split;
	int   *doc, ndoc;      /* the words of the line being cut in pieces */
	json_t *rec;
	struct fastrec fast;   /* trajectory lines without a JSON tree */
	struct vocab *words;   /* ids of string tokens without a vocabulary */
	struct skipped { const char *type; long n; } *skip;   /* by type */
	int    nskip;
};

/* The model of --model FILE, its first record (an attn-model or a ccmc),
 * as the predictor's chain. */
void trajreader_model(struct predictor *pr, const char *file);
/* Opens the operands (none or "-": stdin), as records or, with text, as
 * plain text cut by split. */
void trajreader_open(struct traj_reader *rd, int text,
         const struct text *split, int nfiles, char **files);
/* The next trajectory's context, its L prompt tokens then its T tokens
 * (malloc'd), taking in the model records on the way; names: what names
 * its ids (a vocabulary, or NULL for integers), markov: drawn from the
 * ordinary chain.  NULL at the end of the input. */
int *trajreader_next(struct traj_reader *rd, struct predictor *pr, long *L,
         long *T, const struct vocab **names, int *markov);
/* The notes on the records skipped, one per type. */
void trajreader_notes(struct traj_reader *rd);
void trajreader_close(struct traj_reader *rd);

#endif
