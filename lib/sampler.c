#include "sampler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The line just read, to print later. */
static char *
copy_line(const struct input *in, size_t *len)
{
	char *s = xmalloc(in->len + 1);

	memcpy(s, in->buf, in->len + 1);
	*len = in->len;
	return s;
}

/* The model record, and its line (a sparse ccmc's rows, which follow it,
 * are kept by the ccmc). */
static void
read_model(struct sampler *s, struct input *in)
{
	json_t *rec = input_record(in);
	const char *type;

	if (!rec)
		input_fail(in, "no attn-model or ccmc record in the input");
	s->line = copy_line(in, &s->len);
	type = record_type(rec);
	if (strcmp(type, "attn-model") == 0) {
		model_parse(in, rec, &s->model);
		s->model.tol = s->o.tol;
		if (s->o.retie && model_retie(&s->model) != 0)
			input_fail(in, "--retie: E E^T is singular, so no head is "
			    "tied to these embeddings");
		s->have_model = 1;
	} else if (strcmp(type, "ccmc") == 0) {
		scored_model_parse(&s->scored, in, rec, s->o.window,
		    s->o.mix >= 0 ? s->o.mix : -1);
		s->have_chain = 1;
	} else {
		char first[48];

		snprintf(first, sizeof first, "%.40s", type);
		json_decref(rec);
		input_fail(in, "the first record must be an attn-model or a ccmc, "
		    "not \"%s\"", first);
	}
	s->rec = rec;
	s->chain = &s->scored.m;
}

/* The window and background draws use: the options', else the ccmc's. */
static void
context_of(struct sampler *s, struct input *in, int *window, double *mix)
{
	const struct sampler_options *o = &s->o;
	int lmax = s->have_model ? s->model.lmax : s->chain->lmax;

	*window = s->have_chain ? s->scored.window : o->window > 0 ?
	    o->window : 0;
	if (lmax && *window > lmax) {
		if (o->window > 0)
			usage_error(NULL, "--window %d: the model has positions for "
			    "LMAX = %d only", *window, lmax);
		input_fail(in, "meta.window %d exceeds the model's LMAX %d",
		    *window, lmax);
	}
	*mix = 0;
	if (o->mix < -1.5)
		return;
	if (!s->have_chain || !s->scored.unigram)
		input_fail(in, "--mix needs a ccmc record with a \"unigram\" "
		    "(as ccmc-estimate --text writes)");
	if (s->scored.mix < 0)
		input_fail(in, "--mix model, but the ccmc has no \"mix\"");
	*mix = s->scored.mix;
}

/* The model record as printed: as read, or with the window and mix the
 * draws used when options changed them, so that the stream still carries
 * its own ground truth. */
void
sampler_write(struct sampler *s)
{
	json_t *meta;

	if (s->have_model && s->o.retie) {
		/* C changed: print the model the draws use */
		if (s->o.window)
			jset(s->model.meta, "window", s->window ?
			    jint(s->window) : jpack("n"));
		model_write(&s->model);
		return;
	}
	if (!s->o.window && s->o.mix < -1.5 && !s->o.head_given)
		out_raw(s->line, s->len);
	else {
		/* --head: the law the draws use */
		if (s->have_model && s->o.head_given && s->model.C)
			jset(s->rec, "head",
			    jstr(model_head_name(s->model.head)));
		if (!json_is_object(meta = json_object_get(s->rec, "meta"))) {
			meta = jpack("{}");
			jset(s->rec, "meta", meta);
		}
		if (s->o.window || s->o.mix > -1.5)
			jset(meta, "window", s->window ? jint(s->window) :
			    jpack("n"));
		if (s->o.mix > -1.5)
			jset(s->rec, "mix", jreal(s->mix));
		out_json(s->rec);
	}
	out_end();
	ccmc_write_rows(s->chain);   /* a sparse ccmc's rows, as read */
}

/* Strings in prompts are cut into words as the model's were in its fit
 * (meta.text) and by --lower and --punct, which must agree with it. */
static void
prompt_words(struct sampler *s, struct input *in)
{
	json_t *made = json_object_get(s->chain->meta, "text");

	if (!made && !s->o.split.given)
		return;
	if (!s->vocab_in)
		usage_error(NULL, "--lower and --punct cut the strings of prompts "
		    "into words, but the model has no vocabulary");
	if (made)
		text_use_model(&s->o.split, in, made, NULL);
	s->words = 1;
}

/* The path, the generator and the vocabulary; complaints name the model. */
static void
setup(struct sampler *s, struct input *in)
{
	struct sampler_options *o = &s->o;
	enum gen_path path;
	char why[256];
	int window, row, made = 0;   /* made: the model's CCMC, in choosing
	                              * the path */
	double mix;

	context_of(s, in, &window, &mix);
	if (o->markov)
		path = GEN_MARKOV;
	else if (o->via >= 0)
		path = (enum gen_path)o->via;
	else if (s->have_chain && s->scored.markov)
		path = GEN_MARKOV;
	else if (s->have_chain)
		path = GEN_CCMC;
	else if (o->trajectory && s->model.K <= MAX_VOCAB &&
	    ccmc_from_model(&s->model, s->chain, why, sizeof why) == 0)
		path = GEN_CCMC, made = 1;
	else      /* a model without a CCMC (or beyond MAX_VOCAB): its pass */
		path = GEN_ATTENTION;
	if (path == GEN_ATTENTION && s->have_chain)
		input_fail(in, "--via attention needs an attn-model: a ccmc record "
		    "has no forward pass");
	if (s->have_chain && !ccmc_determined(s->chain, &row))
		input_fail_line(in, s->chain->line, "no draws from this sparse "
		    "ccmc: row %d leaves logits undetermined (null; a fit without "
		    "a ridge)", row);
	if (path != GEN_ATTENTION && s->have_model && !made &&
	    ccmc_from_model(&s->model, s->chain, why, sizeof why) != 0)
		input_fail(in, "%s", why);
	if (gen_init(&s->gen, path, &s->model, s->chain, window, why,
	    sizeof why) != 0)
		input_fail(in, "%s", why);
	gen_mix(&s->gen, s->scored.unigram, mix);
	/* a window cuts every prompt to what the positions cover */
	s->prompt_limit = window ? 0 : s->have_model ? s->model.lmax :
	    s->chain->lmax;
	s->context_limit = gen_context_limit(&s->gen);
	if (!s->context_limit && path == GEN_ATTENTION && !window)
		s->context_limit = MAX_PROMPT;
	if (!o->trajectory)
		s->context_limit = 0;
	if ((s->vocab_in = s->chain->vocab)) {
		s->vocab_in->grow = 0;
		s->vocab_in->unk = vocab_find(s->vocab_in, "<unk>");
		if (!o->ids)
			s->vocab_out = s->vocab_in;
	}
	prompt_words(s, in);
	s->window = window;
	s->mix = mix;
}

void
sampler_read(struct sampler *s, struct input *in,
    const struct sampler_options *o)
{
	memset(s, 0, sizeof *s);
	s->o = *o;
	read_model(s, in);
	setup(s, in);
}

/* The tokens of a prompt record, checked against the model. */
int *
sampler_prompt(struct sampler *s, struct input *in, json_t *rec, int *L)
{
	int *t;

	if (strcmp(record_type(rec), "prompt") != 0)
		input_fail(in, "expected a prompt record, not \"%.40s\" (the model "
		    "comes first, once)", record_type(rec));
	t = s->words ? text_prompt(&s->o.split, in, field_get(in, rec,
	    "prompt"), s->gen.K, s->vocab_in, L) : field_tokens(in, rec,
	    "prompt", s->gen.K, s->vocab_in, L);
	if (*L > 0 && (!s->prompt_limit || *L <= s->prompt_limit) &&
	    (!s->context_limit || *L + s->o.steps <= s->context_limit))
		return t;
	free(t);
	if (*L == 0)
		input_fail(in, "empty prompt");
	if (s->prompt_limit && *L > s->prompt_limit)
		input_fail(in, "prompt of %d tokens is longer than the model's "
		    "LMAX %d", *L, s->prompt_limit);
	input_fail(in, "prompt of %d tokens and %ld steps outgrow the longest "
	    "context, %ld", *L, s->o.steps, s->context_limit);
}


void
sampler_generated(const struct sampler *s, struct prompt_dist *d, int lmin,
    int lmax, int len_given)
{
	char why[256];

	if (prompt_dist_setup(d, s->gen.K, why, sizeof why) != 0)
		usage_error(NULL, "--prompts %s", why);
	if (!len_given && s->prompt_limit && lmax > s->prompt_limit)
		lmin = lmax = s->prompt_limit;
	if (s->prompt_limit && lmax > s->prompt_limit)
		usage_error(NULL, "--len: prompts of up to %d tokens, but the "
		    "model has positions for LMAX = %d", lmax, s->prompt_limit);
	if (s->context_limit && lmax + s->o.steps > s->context_limit)
		usage_error(NULL, "prompts of up to %d tokens and --steps %ld "
		    "outgrow the longest context, %ld: use a shorter --len or "
		    "fewer --steps", lmax, s->o.steps, s->context_limit);
	d->lmin = lmin;
	d->lmax = lmax;
}

void
sampler_free(struct sampler *s)
{
	free(s->line);
	gen_free(&s->gen);
	scored_model_free(&s->scored);
	model_free(&s->model);
	json_decref(s->rec);
}
