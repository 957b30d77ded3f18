/*
 * sampler: the model a stream of draws comes from (attn-sample).  The
 * first record of a stream, an attn-model or a ccmc, becomes a generator
 * (lib/generate) by the rules that settle how it draws: the forward pass,
 * the CCMC or the ordinary chain; the window and the unigram background
 * the draws see; how the strings of prompt records become its tokens; the
 * longest prompt and context it takes.  The record is printed back as the
 * draws use it, so that every stream carries its own ground truth.  A
 * complaint about the model names its file and line (exit 65); an option
 * the model cannot honour is a usage error (exit 2).
 */
#ifndef SAMPLER_H
#define SAMPLER_H

#include <jansson.h>
#include <stddef.h>

#include "ccmc.h"
#include "generate.h"
#include "model.h"
#include "prompts.h"
#include "score.h"
#include "stream.h"
#include "text.h"
#include "vocab.h"

/* The options that shape the draws. */
struct sampler_options {
	int      via;          /* GEN_ATTENTION or GEN_CCMC; -1: by the model
	                        * and the mode */
	int      markov;       /* the ordinary chain P (--markov) */
	int      trajectory;   /* trajectories of steps tokens, not samples */
	long     steps;
	int      window;       /* --window L; 0: the model's, -1: none */
	double   mix;          /* --mix W; -1: the model's "mix", -2: none */
	double   tol;          /* of an attn-model's exactness conditions */
	int      retie;        /* C replaced by (E E^T)^-1 E first */
	int      head_given;   /* --head: the record names the law drawn */
	int      ids;          /* token ids out, even with a vocabulary */
	struct text split;     /* how the strings of prompts become words */
};

struct sampler {
	struct sampler_options o;
	struct attn_model model;
	struct scored_model scored;   /* a ccmc record, with its window and
	                               * background; or the CCMC of model */
	struct ccmc *chain;
	int      have_model, have_chain;
	json_t  *rec;              /* the model record */
	char    *line;             /* its line as read */
	size_t   len;
	struct generator gen;      /* what draws */
	int      window;           /* what draws see, 0: the whole context */
	double   mix;              /* weight of the background */
	struct vocab *vocab_in;    /* strings in prompts map through it */
	int      words;            /* ... cut into words by o.split first */
	const struct vocab *vocab_out;   /* names the tokens out, or NULL */
	int      prompt_limit;     /* longest prompt: LMAX, or 0 for none */
	long     context_limit;    /* longest trajectory context, 0: none */
};

/* Reads the model record, the first of in (a sparse ccmc's rows, which
 * follow it, too), and settles how it draws under the options o. */
void sampler_read(struct sampler *s, struct input *in,
         const struct sampler_options *o);
/* Prints the model record: as read, or with what the options changed
 * (the window, the mix, the head, a retied C). */
void sampler_write(struct sampler *s);
/* The tokens of a prompt record rec, read from in, checked against the
 * model: ids below K, at most LMAX of them, and room for the steps of a
 * trajectory in the longest context (malloc'd, *L of them). */
int *sampler_prompt(struct sampler *s, struct input *in, json_t *rec,
         int *L);
/* Settles the distribution d of the prompts a run generates for the
 * model: its K, and lengths uniform on [lmin, lmax], cut to the model's
 * LMAX unless --len gave them (len_given).  Prompts, or prompts and the
 * steps of a trajectory, that the model cannot take are a usage error,
 * before any output. */
void sampler_generated(const struct sampler *s, struct prompt_dist *d,
         int lmin, int lmax, int len_given);
void sampler_free(struct sampler *s);

#endif
