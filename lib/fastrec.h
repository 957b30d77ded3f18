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

/* FAST_SAMPLE or FAST_TRAJECTORY with the tokens in r, or FAST_NONE. */
int  fastrec_read(struct fastrec *r, const char *line, size_t len);
void fastrec_free(struct fastrec *r);

#endif
