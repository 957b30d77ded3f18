/*
 * text: plain text as tokens, the one reader every program's --text uses.
 *
 * A document is a line.  Its bytes must be UTF-8 without NUL (else an
 * error naming line and column).  Words are split by a documented rule
 * (--punct), ASCII letters optionally lowered (--lower), and a document
 * may be cut into pieces of N words (--chunk), of which a documented
 * subset is kept (--pieces, --skip-pieces).  Pieces are numbered from 0
 * over the whole input, in order, whether kept or not.
 */
#ifndef TEXT_H
#define TEXT_H

#include <getopt.h>

#include "stream.h"

enum { TEXT_KEEP, TEXT_SPLIT, TEXT_DROP };   /* --punct */

struct text {
	int  lower;           /* ASCII A-Z as a-z */
	int  punct;           /* keep: words are what white space separates;
	                       * split: punctuation marks are tokens of their
	                       * own; drop: they separate words */
	int  chunk;           /* pieces of chunk words (the last one may be
	                       * shorter); 0: the whole line */
	int  sel, of;         /* of > 0: keep piece k iff k mod of == sel - 1 */
	int  skip;            /* ... or, with skip, iff it is not */
	/* while reading */
	long piece;           /* pieces numbered so far */
	int  pos;             /* next word of the current document */
	int  noted;           /* the JSON-looking input was remarked on */
};

/* The long options of struct text, for a program's getopt table, and their
 * values (above any short option). */
enum { TEXT_OPT_LOWER = 0x1000, TEXT_OPT_PUNCT, TEXT_OPT_CHUNK,
       TEXT_OPT_PIECES, TEXT_OPT_SKIP };
#define TEXT_LONGOPTS \
	{ "lower", no_argument, NULL, TEXT_OPT_LOWER }, \
	{ "punct", required_argument, NULL, TEXT_OPT_PUNCT }, \
	{ "chunk", required_argument, NULL, TEXT_OPT_CHUNK }, \
	{ "pieces", required_argument, NULL, TEXT_OPT_PIECES }, \
	{ "skip-pieces", required_argument, NULL, TEXT_OPT_SKIP }

/* 1 if c was one of those options (its value checked, a bad one a usage
 * error), 0 if it is not. */
int  text_option(struct text *t, int c, const char *arg, const char *usage);
/* 1 if any option asks for more than whole lines split at white space. */
int  text_options_given(const struct text *t);

/* The current line's words, mapped through v by vocab_token (malloc'd ids,
 * *n of them); fails at the line past MAX_PROMPT words, on a word v cannot
 * map, on a NUL byte or on bytes that are not UTF-8. */
int *text_words(struct text *t, const struct input *in, struct vocab *v,
         int *n);
/* The next kept piece of a document of n words: words [*off, *off + *len).
 * 0 when the document has no more, ready for the next. */
int  text_piece(struct text *t, int n, int *off, int *len);

#endif
