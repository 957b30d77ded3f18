/*
 * score: how probable a model finds each step of a corpus, and what those
 * probabilities add up to (attn-ccmc(7), text).
 *
 * A CCMC sees each step's context cut to its last `window` tokens (0: all
 * of it) and gives probability 0 to a token absent from it: such a step is
 * not covered.  An ordinary chain (markov) uses row P_i of the query i
 * alone and covers every step.  A unigram background u, mixed in with
 * weight mix, (1 - mix) p + mix u_y, gives every step a positive
 * probability, so that perplexities over all steps are finite.
 */
#ifndef SCORE_H
#define SCORE_H

#include "ccmc.h"

struct corpus;

/* The model that scores: the first record of a file, a ccmc record (an
 * ordinary chain when its meta says "chain": "markov") or an attn-model,
 * with the unigram background and mixing weight it may carry. */
struct scored_model {
	struct ccmc m;
	int     markov;
	int     window;           /* its meta.window, or the one given */
	double *unigram;          /* or NULL */
	double  mix;              /* -1 if none */
	const char *mix_from;     /* "--mix", "model", ... */
};

/* Reads the model of file path; window, if not 0, and mix, if >= 0, are
 * given on the command line and override the model's (window < 0: none). */
void   scored_model_read(struct scored_model *s, const char *path, int window,
           double mix);
/* The same from the record rec, read from in (rec stays the caller's); a
 * sparse record's rows, which follow it in in, are read too, and their
 * lines kept in s->m.rowtext, to print the record again. */
void   scored_model_parse(struct scored_model *s, struct input *in,
           json_t *rec, int window, double mix);
void   scored_model_free(struct scored_model *s);

/* p[s]: the probability of step s (numbered over the corpus in order)
 * under c; u[s] = unigram[y_s] when unigram and u are given. */
void   score_steps(const struct corpus *cp, const struct ccmc *c, int markov,
           int window, const double *unigram, double *p, double *u);

/* The weight in [0, 1] of u that maximises sum_s log((1 - w) p_s + w u_s). */
double score_fit_mix(const double *p, const double *u, long n);

struct score_sum {
	long   steps, covered;     /* all steps; those with p > 0 */
	double loglik;             /* sum of log p over covered steps */
	double mixed_loglik;       /* sum of log((1 - mix) p + mix u), all */
	double unigram_loglik;     /* sum of log u, all steps */
};

/* u may be NULL: then only steps, covered and loglik are filled. */
void   score_sum(const double *p, const double *u, long n, double mix,
           struct score_sum *out);

#endif
