/*
 * text: plain text as tokens, the one reader every program's --text uses.
 *
 * A document is a line.  Its bytes must be UTF-8 without NUL (else an
 * error naming line and column).  Words are split by a documented rule
 * (--punct), ASCII letters optionally lowered (--lower), and a document
 * may be cut into pieces of N words (--chunk), of which a documented
 * subset is kept (--pieces, --skip-pieces).  Pieces are numbered from 0
 * over the whole input, in order, whether kept or not.
 *
 * A model fitted on text records these options (meta.text, text_json);
 * whatever reads text for it applies them (text_use_model), so that its
 * words mean what they meant in the fit.
 */
#ifndef TEXT_H
#define TEXT_H

#include <getopt.h>

#include "stream.h"

enum { TEXT_KEEP, TEXT_SPLIT, TEXT_DROP };   /* --punct */
enum { TEXT_GIVEN_LOWER = 1, TEXT_GIVEN_PUNCT = 2, TEXT_GIVEN_CHUNK = 4,
       TEXT_GIVEN_PIECES = 8 };

struct text {
	int  lower;           /* ASCII A-Z as a-z */
	int  punct;           /* keep: words are what white space separates;
	                       * split: punctuation marks are tokens of their
	                       * own; drop: they separate words */
	int  chunk;           /* pieces of chunk words (the last one may be
	                       * shorter); 0: the whole line */
	int  sel, of;         /* of > 0: keep piece k iff k mod of == sel - 1 */
	int  skip;            /* ... or, with skip, iff it is not */
	int  given;           /* TEXT_GIVEN_*: the options given explicitly */
	/* while reading */
	long piece;           /* pieces numbered so far */
	int  pos;             /* next word of the current document */
	int  noted;           /* the JSON-looking input was remarked on */
};

/* The long options of struct text, for a program's getopt table, and their
 * values (above any short option). */
enum { TEXT_OPT_LOWER = 0x1000, TEXT_OPT_PUNCT, TEXT_OPT_CHUNK,
       TEXT_OPT_PIECES, TEXT_OPT_SKIP };
#define TEXT_WORD_LONGOPTS \
	{ "lower", no_argument, NULL, TEXT_OPT_LOWER }, \
	{ "punct", required_argument, NULL, TEXT_OPT_PUNCT }
#define TEXT_LONGOPTS \
	TEXT_WORD_LONGOPTS, \
	{ "chunk", required_argument, NULL, TEXT_OPT_CHUNK }, \
	{ "pieces", required_argument, NULL, TEXT_OPT_PIECES }, \
	{ "skip-pieces", required_argument, NULL, TEXT_OPT_SKIP }

/* 1 if c was one of those options (its value checked, a bad one a usage
 * error), 0 if it is not. */
int  text_option(struct text *t, int c, const char *arg, const char *usage);
/* 1 if any option asks for more than whole lines split at white space. */
int  text_options_given(const struct text *t);

/* The options as meta.text records them: {"lower", "punct", "chunk",
 * "pieces", "skip_pieces"} (null where not given). */
json_t *text_json(const struct text *t);
/* Applies the options a model was fitted with (mt, its meta.text, read
 * from in) to t: each option not given explicitly takes the model's value,
 * except the pieces, which become the model's held-out ones (the
 * complement of its --pieces or --skip-pieces); an explicit --lower,
 * --punct or --chunk that differs from the model's is a usage error that
 * names both values.  model (or NULL) gets the model's options.  A
 * malformed meta.text fails through input_fail. */
void text_use_model(struct text *t, const struct input *in, json_t *mt,
         struct text *model);
/* Of the pieces t has numbered so far, those kept by both t and other. */
long text_pieces_shared(const struct text *t, const struct text *other);
/* The words of a prompt of tokens (a JSON array): ids as they are (in
 * [0, K)), each string that is a word of v as it is, each other string
 * split into words by t's rules and mapped through v (malloc'd ids, *n of
 * them); fails through input_fail. */
int *text_prompt(const struct text *t, const struct input *in, json_t *a,
         int K, struct vocab *v, int *n);

/* The current line's words, mapped through v by vocab_token (malloc'd ids,
 * *n of them); fails at the line past MAX_PROMPT words, on a word v cannot
 * map, on a NUL byte or on bytes that are not UTF-8. */
int *text_words(struct text *t, const struct input *in, struct vocab *v,
         int *n);
/* The next kept piece of a document of n words: words [*off, *off + *len).
 * 0 when the document has no more, ready for the next. */
int  text_piece(struct text *t, int n, int *off, int *len);

#endif
