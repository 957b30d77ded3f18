/*
 * fastrec: the two commonest record lines, read without building a JSON
 * tree, because estimating from millions of samples is mostly reading:
 *
 *   {"type":"sample","prompt":[..],"y":k}
 *   {"type":"trajectory","prompt":[..],"tokens":[..]}
 *
 * each optionally ending in ,"chain":"markov" (drawn from the ordinary
 * chain), with no spaces and plain non-negative integer tokens.  Any other line is
 * declined and goes to the JSON parser, so what this reader accepts is
 * exactly what the parser accepts and reads the same way.
 */
#ifndef FASTREC_H
#define FASTREC_H

#include <stddef.h>

enum { FAST_NONE, FAST_SAMPLE, FAST_TRAJECTORY };

struct fastrec {
	int *prompt, *tokens;  /* owned; reused from line to line */
	int  pcap, tcap;
	int  L, T;             /* their lengths (a sample: T = 1, tokens = {y}) */
	int  markov;           /* the line says "chain":"markov" */
};

struct input;

/* FAST_SAMPLE or FAST_TRAJECTORY with the tokens of the line in in->buf
 * in r, or FAST_NONE (also where a sparse ccmc's rows are due: input_parse
 * refuses the line there). */
int  fastrec_read(struct fastrec *r, const struct input *in);
void fastrec_free(struct fastrec *r);

#endif
