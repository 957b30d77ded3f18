/*
 * dataset: the samples a fit or an evaluation reads: sample and trajectory
 * records or plain text, ids or strings, with the ground truth if the
 * stream carries one, and the rules that tie them together.
 *
 * A stream holds one kind of token.  Integer ids go straight into the
 * sample set when a CCMC is fitted; strings, and everything a chain is
 * counted from or a model scores, are kept in a corpus first, since the
 * vocabulary (the most frequent words, then "<unk>"), or the model, needs
 * all of them.  Steps whose token is not in their context are an error,
 * unless contexts are windowed, or the tokens are words, or a model scores
 * them: then they are counted as not covered.  Every complaint names the
 * file and line that brings it (the end of the input for the input as a
 * whole) and exits 65.  Records of other types are skipped, and a note
 * says how many of which.
 */
#ifndef DATASET_H
#define DATASET_H

#include "ccmc.h"
#include "corpus.h"
#include "fastrec.h"
#include "sampleset.h"
#include "stream.h"
#include "text.h"

struct dataset_options {
	int vocab;            /* K as given (--vocab), or 0 */
	int maxvocab;         /* words: keep the most frequent; 0: all, at
	                       * most MAX_VOCAB */
	int window;           /* keep the last window tokens of a context,
	                       * 0: all of them */
	int text;             /* plain text: a document a line, each piece of
	                       * it a sequence, the first word the prompt */
	struct text split;    /* how text becomes words and pieces */
	double dev_share;     /* of the corpus's sequences, this share is
	                       * held out (corpus_split) as the dev part */
	int shard, shards;    /* a fit of the rows i with i mod shards ==
	                       * shard only (0-based); shards 0: all rows */
	int fit;              /* 1: samples for a CCMC fit, attn-model and ccmc
	                       * records the ground truth; 0: every record kept
	                       * in the corpus, for counting or scoring */
};

struct dataset {
	struct dataset_options o;
	struct sampleset *set;   /* what a fit reads */
	struct corpus corpus;    /* what was kept whole (without the dev part) */
	struct corpus dev;       /* the dev part, held out of the fit */
	struct ccmc truth;
	int      have_truth, K;
	const char *ksource;     /* what K comes from, for the record */
	long     skipped;        /* steps outside the window (not covered) */
	size_t   tokens;         /* tokens read: prompts, steps, samples' y */
	int      kind;           /* tokens so far: 0 none, 1 ids, 2 strings */
	struct vocab *words;     /* strings -> ids */
	/* while reading */
	int      lenient;        /* count steps not covered instead of failing */
	int      keep;           /* records go to the corpus */
	int      building;       /* words is built here, renumbered at the end */
	int      fixed;          /* no vocabulary may be built: a model's K */
	int      borrowed;       /* words belong to the model */
	int     *ctx, ctxcap;    /* scratch: a context, oldest first */
	struct fastrec fast;
	struct {              /* records of other types, skipped: by type */
		char  type[48];
		long  n;
	} other[8];
	int      nother;
	long     other_more;     /* of types beyond those eight */
	struct input end;        /* file and line of the end: what complaints
	                          * about the input as a whole name */
	void    *hash;           /* with shards or text: the digest of the
	                          * lines read */
	char     digest[33];     /* its hex, once read */
	json_t  *made;           /* the scoring model's meta.text, or NULL */
	struct text made_split;  /* the options it holds */
};

void dataset_init(struct dataset *d, const struct dataset_options *o);
/* The ids, K and words are those of the model that will score the data
 * (read from at); with --text, its text options too (text_use_model), and
 * a --window that contradicts a text model's is a usage error. */
void dataset_use_model(struct dataset *d, struct ccmc *m,
         const struct input *at);
/* Reads the operands (none or "-": stdin), then settles the vocabulary and
 * K and, for a fit, turns what was kept into samples.  With shards or
 * text, digest
 * holds a fingerprint of the input: BLAKE2b (128 bits) of its lines as
 * read (blank lines and trailing CRs dropped), each ended by a newline. */
void dataset_read(struct dataset *d, int nfiles, char **files);
void dataset_free(struct dataset *d);
/* How a model fitted on d's text was made, for its meta.text: the text
 * options (text_json), "max_vocab", "window" and "dev_share" (null where
 * not given), and "input", the fingerprint of the input (digest above);
 * NULL unless d is text. */
json_t *dataset_text_meta(const struct dataset *d);
/* What an evaluation of text says about it in rep: "text", the options
 * the words were read with, "input", its fingerprint, and "same_input",
 * whether that is the model's training input (null if the model does not
 * say); then the scored pieces the model was fitted on, in a note. */
void dataset_text_report(const struct dataset *d, json_t *rep);

#endif
