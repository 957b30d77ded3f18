#include "dataset.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "numeric.h"
#include "util.h"
#include "vocab.h"

void
dataset_init(struct dataset *d, const struct dataset_options *o)
{
	memset(d, 0, sizeof *d);
	d->o = *o;
	corpus_init(&d->corpus);
	corpus_init(&d->dev);
	d->lenient = o->window > 0;
	d->keep = !o->fit;
	if (o->vocab) {
		d->K = o->vocab;
		d->ksource = "--vocab";
	}
}

/* A --window that a text model (not a chain) was not fitted with. */
static void
check_window(const struct dataset *d, const struct ccmc *m)
{
	json_t *w = json_object_get(d->made, "window");
	const char *chain = json_string_value(json_object_get(m->meta,
	    "chain"));
	char made[48];

	if (!d->o.window || (chain && strcmp(chain, "markov") == 0) ||
	    (json_is_integer(w) && json_integer_value(w) == d->o.window))
		return;
	if (json_is_integer(w))
		snprintf(made, sizeof made, "--window %lld",
		    (long long)json_integer_value(w));
	usage_error(NULL, "--window %d contradicts the model's %s "
	    "(meta.text.window)", d->o.window, json_is_integer(w) ? made :
	    "whole contexts (no --window)");
}

void
dataset_use_model(struct dataset *d, struct ccmc *m, const struct input *at)
{
	d->K = m->K;
	d->ksource = "model";
	d->lenient = 1;
	if ((d->words = m->vocab)) {
		d->words->grow = 0;
		d->words->unk = vocab_find(d->words, UNK);
		d->borrowed = 1;
	} else
		d->fixed = 1;
	if (!(d->made = json_object_get(m->meta, "text")))
		return;
	check_window(d, m);
	if (d->o.text)
		text_use_model(&d->o.split, at, d->made, &d->made_split);
}

void
dataset_free(struct dataset *d)
{
	if (d->have_truth) {
		if (d->words == d->truth.vocab)
			d->words = NULL;
		ccmc_free(&d->truth);
	}
	if (d->words && !d->borrowed)
		vocab_free(d->words);
	corpus_free(&d->corpus);
	corpus_free(&d->dev);
	sampleset_free(d->set);
	free(d->ctx);
}

json_t *
dataset_text_meta(const struct dataset *d)
{
	json_t *t;

	if (!d->o.text)
		return NULL;
	t = text_json(&d->o.split);
	jset(t, "max_vocab", d->o.maxvocab ? jint(d->o.maxvocab) : json_null());
	jset(t, "window", d->o.window ? jint(d->o.window) : json_null());
	jset(t, "dev_share", jreal(d->o.dev_share));
	jset(t, "input", jstr(d->digest));
	return t;
}

void
dataset_text_report(const struct dataset *d, json_t *rep)
{
	const char *made = json_string_value(json_object_get(d->made, "input"));
	int same = made && strcmp(made, d->digest) == 0;
	long shared;

	if (!d->o.text)
		return;
	jset(rep, "text", text_json(&d->o.split));
	jset(rep, "input", jstr(d->digest));
	jset(rep, "same_input", made ? json_boolean(same) : json_null());
	if (same && (shared = text_pieces_shared(&d->o.split, &d->made_split)))
		note("%ld of the pieces scored are pieces the model was fitted "
		    "on: the input is its training input (meta.text.input)",
		    shared);
}

/* ---- samples for a fit ---- */

static struct sampleset *
samples(struct dataset *d)
{
	if (!d->set) {
		d->set = sampleset_new(d->have_truth && d->truth.lmax > 0);
		if (d->o.shards)
			sampleset_shard(d->set, d->o.shard, d->o.shards);
	}
	return d->set;
}

/* The position weights of a context of L tokens, or NULL for counts. */
static const double *
weights(struct dataset *d, const struct input *in, int L)
{
	if (!d->set->weighted)
		return NULL;
	if (L > d->truth.lmax)
		input_fail(in, "context of %d tokens is longer than LMAX = %d of "
		    "the positional weights", L, d->truth.lmax);
	return d->truth.posw + (size_t)(L - 1) * d->truth.lmax;
}

static void
check_tokens(const struct dataset *d, const struct input *in, const int *t,
    int n)
{
	int K = d->K ? d->K : MAX_SPARSE_VOCAB;

	for (int j = 0; j < n; j++)
		if (t[j] < 0 || t[j] >= K)
			input_fail(in, "token %d out of range (K = %d)", t[j], K);
}

/* The samples kept grow with the input (sampleset.h). */
static int
too_many_entries(const struct dataset *d)
{
	return d->set->entries > SAMPLESET_BASE + SAMPLESET_PER_TOKEN *
	    d->tokens;
}

static void
entries_fail(const struct dataset *d, const struct input *in)
{
	input_fail(in, "the samples' contexts hold more than %zu + %d distinct "
	    "tokens per token read (%zu after %zu tokens): a fit keeps each "
	    "step's distinct context tokens; --window L keeps at most L",
	    SAMPLESET_BASE, SAMPLESET_PER_TOKEN, d->set->entries, d->tokens);
}

static void
add_sample(struct dataset *d, const struct input *in, const int *prompt,
    int L, int y)
{
	int window = d->o.window;

	if (L < 1)
		input_fail(in, "empty prompt");
	check_tokens(d, in, prompt, L);
	check_tokens(d, in, &y, 1);
	if (window && L > window) {
		prompt += L - window;
		L = window;
	}
	samples(d);
	if (sampleset_add(d->set, prompt, L, y, weights(d, in, L)) != 0) {
		if (d->lenient) {
			d->skipped++;
			return;
		}
		input_fail(in, "y = %d is not in its prompt, or only at positions "
		    "of weight 0 (a CCMC gives it probability 0)", y);
	}
	if (too_many_entries(d))
		entries_fail(d, in);
}

static void
add_trajectory(struct dataset *d, const struct input *in, const int *prompt,
    int L, const int *tokens, int T)
{
	struct context c;
	int K = d->K ? d->K : MAX_SPARSE_VOCAB;

	if (L < 1)
		input_fail(in, "empty prompt");
	check_tokens(d, in, prompt, L);
	check_tokens(d, in, tokens, T);
	samples(d);
	context_init(&c, K, d->o.window);
	for (int t = 0; t < L; t++)
		context_push(&c, prompt[t]);
	for (int k = 0; k < T; k++) {
		int query = k ? tokens[k - 1] : prompt[L - 1], ok;

		if (d->set->weighted) {
			if (c.len > d->ctxcap) {
				d->ctxcap = c.len > 2 * d->ctxcap ? c.len : 2 * d->ctxcap;
				d->ctx = xrealloc(d->ctx, (size_t)d->ctxcap *
				    sizeof *d->ctx);
			}
			context_tokens(&c, d->ctx);
			ok = sampleset_add(d->set, d->ctx, c.len, tokens[k],
			    weights(d, in, c.len)) == 0;
		} else
			ok = sampleset_add_context(d->set, &c, query,
			    tokens[k]) == 0;
		if (!ok && !d->lenient) {
			context_free(&c);
			input_fail(in, "token %d at step %d is not in its context, "
			    "or only at positions of weight 0 (a CCMC gives it "
			    "probability 0)", tokens[k], k);
		}
		d->skipped += !ok;
		if (ok && too_many_entries(d)) {
			context_free(&c);
			entries_fail(d, in);
		}
		context_push(&c, tokens[k]);
	}
	context_free(&c);
}

/* A sequence read: kept whole, or its steps to the sample set. */
static void
add(struct dataset *d, const struct input *in, const int *prompt, int L,
    const int *tokens, int T, int sample)
{
	d->tokens += (size_t)L + (size_t)T;
	if (d->keep) {
		if (L < 1)
			input_fail(in, "empty prompt");
		if (d->kind != 2) {
			check_tokens(d, in, prompt, L);
			check_tokens(d, in, tokens, T);
		}
		corpus_add(&d->corpus, prompt, L, tokens, T, sample, in->name,
		    in->line);
	} else if (sample)
		add_sample(d, in, prompt, L, tokens[0]);
	else
		add_trajectory(d, in, prompt, L, tokens, T);
}

/* ---- the ground truth ---- */

static void
add_truth(struct dataset *d, struct input *in, json_t *rec)
{
	struct ccmc c;

	ccmc_from_record(in, rec, &c);
	ccmc_need_dense(in, &c, MAX_VOCAB, "a ground truth (its errors) needs");
	if (d->have_truth) {
		if (c.K != d->truth.K)
			input_fail(in, "mixed K: this record has K = %d, an earlier "
			    "one K = %d", c.K, d->truth.K);
		if (max_abs_diff(c.P, d->truth.P, (size_t)c.K * c.K) != 0 ||
		    c.lmax != d->truth.lmax)
			input_fail(in, "a second ground truth, different from the "
			    "first");
		ccmc_free(&c);
		return;
	}
	if (d->o.vocab && d->o.vocab != c.K)
		input_fail(in, "mixed K: the ground truth has K = %d, --vocab "
		    "says %d", c.K, d->o.vocab);
	if (d->set && d->set->maxtok >= c.K)
		input_fail(in, "mixed K: the ground truth has K = %d, earlier "
		    "samples use token %d", c.K, d->set->maxtok);
	if (d->set && c.lmax)
		input_fail(in, "a ground truth with positional weights must come "
		    "before the samples");
	if (d->kind == 2)
		input_fail(in, "a ground truth must come before the string tokens");
	if (c.vocab && c.lmax)
		input_fail(in, "positional weights and a vocabulary: text is "
		    "fitted without positions");
	d->truth = c;
	d->have_truth = 1;
	d->K = c.K;
	d->ksource = "ground truth";
	if (c.vocab) {
		d->words = c.vocab;
		d->words->grow = 0;
		d->words->unk = vocab_find(d->words, UNK);
	}
}

/* ---- ids or strings ---- */

/* 1: integer ids, 2: strings, 0: none (or not tokens: field_tokens says). */
static int
token_kind(json_t *a)
{
	json_t *x;
	size_t i;
	int kind = 0;

	if (json_is_integer(a) || json_is_string(a))
		return json_is_string(a) ? 2 : 1;
	if (!json_is_array(a))
		return 0;
	json_array_foreach(a, i, x)
		kind |= json_is_string(x) ? 2 : json_is_integer(x) ? 1 : 0;
	return kind;
}

/* One stream holds one kind of token: ids, or strings. */
static void
note_kind(struct dataset *d, const struct input *in, int kind)
{
	if (kind == 3)
		input_fail(in, "a record mixes integer and string tokens");
	if (kind && d->kind && kind != d->kind)
		input_fail(in, "%s tokens after %s ones: a stream holds ids or "
		    "strings, not both", kind == 2 ? "string" : "integer",
		    kind == 2 ? "integer" : "string");
	if (kind && !d->kind) {
		d->kind = kind;
		if (kind == 2 && !d->keep && d->set)
			input_fail(in, "string tokens after integer ones");
		if (kind == 2) {
			d->keep = 1;
			d->lenient = 1;
		}
	}
}

/* The vocabulary string tokens map through. */
static struct vocab *
words(struct dataset *d, const struct input *in)
{
	if (!d->words && d->fixed)
		input_fail(in, "string tokens, but the model has no vocabulary");
	if (!d->words) {
		d->words = vocab_new(INT_MAX);
		d->words->grow = 1;
		d->building = 1;
	}
	return d->words;
}

/* Too many distinct words is an error at the line that brings them. */
static void
check_words(const struct dataset *d, const struct input *in)
{
	if (d->building && !d->o.maxvocab && d->words->n > MAX_SPARSE_VOCAB)
		input_fail(in, "more than %d distinct words: --max-vocab V keeps "
		    "the V most frequent", MAX_SPARSE_VOCAB);
}

/* A string or id token field (an array, or the single "y"). */
static int *
tokens_of(struct dataset *d, const struct input *in, json_t *rec,
    const char *key, int *n)
{
	json_t *x = field_get(in, rec, key);
	struct vocab *v = d->kind == 2 ? words(d, in) : NULL;
	int K = d->K ? d->K : MAX_SPARSE_VOCAB, *t;

	if (v && d->building)
		K = INT_MAX;   /* ids of the raw vocabulary, renumbered later */
	if (json_is_array(x) != (strcmp(key, "y") != 0))
		input_fail(in, strcmp(key, "y") != 0 ? "\"%s\" must be an array "
		    "of tokens" : "\"%s\" must be one token, not an array", key);
	if (json_is_array(x))
		return field_tokens(in, rec, key, K, v, n);
	t = xmalloc(sizeof *t);
	*n = 1;
	if (json_is_string(x)) {
		if ((*t = vocab_token(v, json_string_value(x))) < 0)
			input_fail(in, "token \"%.40s\" is not in the vocabulary",
			    json_string_value(x));
	} else
		*t = (int)field_long(in, rec, key, 0, K - 1);
	return t;
}

/* ---- lines ---- */

/* A line of text: each piece of its words a sequence, the first word the
 * prompt. */
static void
read_text(struct dataset *d, const struct input *in)
{
	int *t, n, off, len;

	note_kind(d, in, 2);
	t = text_words(&d->o.split, in, words(d, in), &n);
	while (text_piece(&d->o.split, n, &off, &len))
		if (len >= 2)
			add(d, in, t + off, 1, t + off + 1, len - 1, 0);
	free(t);
	check_words(d, in);
}

/* A record of a type no fit or score reads, counted for the note. */
static void
skip_other(struct dataset *d, const char *type)
{
	int k;

	for (k = 0; k < d->nother; k++)
		if (strncmp(d->other[k].type, type, sizeof d->other[k].type) == 0)
			break;
	if (k == d->nother) {
		if (k == (int)(sizeof d->other / sizeof d->other[0])) {
			d->other_more++;
			return;
		}
		snprintf(d->other[k].type, sizeof d->other[k].type, "%s", type);
		for (char *c = d->other[k].type; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = '?';   /* the note stays one line */
		d->nother++;
	}
	d->other[k].n++;
}

static void
note_skipped(const struct dataset *d)
{
	char buf[640];
	size_t len = 0;

	if (!d->nother)
		return;
	for (int k = 0; k < d->nother; k++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%ld%s of "
		    "type \"%s\"", k ? ", " : "", d->other[k].n, k ? "" :
		    d->other[k].n == 1 ? " record" : " records", d->other[k].type);
	if (d->other_more)
		snprintf(buf + len, sizeof buf - len, ", %ld of other types",
		    d->other_more);
	note("skipped %s: not samples, trajectories or a ground truth", buf);
}

/* A sparse model in the data when none is fitted: read, rows and all, and
 * dropped. */
static void
skip_model(struct input *in, json_t *rec)
{
	struct ccmc c;

	ccmc_from_record(in, rec, &c);
	ccmc_free(&c);
}

static void
read_record(struct dataset *d, struct input *in, json_t *rec)
{
	const char *type = record_type(rec);
	int sample = strcmp(type, "sample") == 0, *prompt, *tokens, L, T;

	if (!sample && strcmp(type, "trajectory") != 0) {
		if (strcmp(type, "attn-model") == 0 || strcmp(type, "ccmc") == 0) {
			if (d->o.fit)
				add_truth(d, in, rec);
			else if (ccmc_record_sparse(in, rec))
				skip_model(in, rec);   /* its rows with it */
		} else
			skip_other(d, type);
		return;
	}
	note_kind(d, in, token_kind(field_get(in, rec, "prompt")) |
	    token_kind(field_get(in, rec, sample ? "y" : "tokens")));
	prompt = tokens_of(d, in, rec, "prompt", &L);
	tokens = tokens_of(d, in, rec, sample ? "y" : "tokens", &T);
	if (d->kind == 2)
		check_words(d, in);
	add(d, in, prompt, L, tokens, T, sample);
	free(prompt);
	free(tokens);
}

/* ---- the end ---- */

/* The vocabulary and K, and the kept records as samples for a fit. */
static void
settle(struct dataset *d)
{
	struct corpus *cp = &d->corpus;
	int fit = d->o.fit;

	/* held out first: the vocabulary is the fit part's */
	if (d->o.dev_share > 0 && d->keep && cp->steps > 0) {
		struct corpus all = *cp;
		long nseq = all.nseq;

		corpus_split(&all, d->o.dev_share, cp, &d->dev);
		if (cp->steps == 0 || d->dev.steps == 0) {
			note("%ld sequences are too few for a dev part of %g: none "
			    "held out", nseq, d->o.dev_share);
			corpus_free(cp);
			corpus_free(&d->dev);
			*cp = all;
		} else
			corpus_free(&all);
	}
	if (d->building) {
		struct vocab *raw = d->words;

		d->words = corpus_keep_frequent(cp, &d->dev, raw,
		    d->o.maxvocab);
		vocab_free(raw);
		d->words->grow = 0;
		d->words->unk = vocab_find(d->words, UNK);
		d->K = d->words->n;
		d->ksource = d->o.maxvocab ? "vocabulary (--max-vocab)" :
		    "vocabulary";
		if (d->o.vocab && d->o.vocab != d->K)
			input_fail(&d->end, "--vocab %d, but the words make a "
			    "vocabulary of %d", d->o.vocab, d->K);
		if (d->K > MAX_SPARSE_VOCAB)
			input_fail(&d->end, "%d distinct words, more than %d: "
			    "--max-vocab V keeps the V most frequent", d->K,
			    MAX_SPARSE_VOCAB);
	}
	if (fit && d->keep)
		for (long s = 0; s < cp->nseq; s++) {
			const struct sequence *q = &cp->seq[s];
			const int *x = cp->tok + q->off;
			struct input at = { .name = q->file, .line = q->line };

			if (q->sample)
				add_sample(d, &at, x, q->L, x[q->L]);
			else
				add_trajectory(d, &at, x, q->L, x + q->L, q->T);
		}
	if (fit ? !d->set || d->set->n + d->set->dropped == 0 : cp->steps == 0)
		input_fail(&d->end, "no samples in the input%s", fit &&
		    d->skipped ? ": no step's token is in its context" : "");
	if (!d->K) {
		d->K = (fit ? d->set->maxtok : cp->maxtok > d->dev.maxtok ?
		    cp->maxtok : d->dev.maxtok) + 1;
		d->ksource = "largest token + 1";
	}
}

void
dataset_read(struct dataset *d, int nfiles, char **files)
{
	struct fastrec *f = &d->fast;
	struct input in;

	if (d->o.shards || d->o.text) {
		if (sodium_init() < 0)
			die(EXIT_FAIL, "libsodium failed to initialise");
		/* the state is declared 64-byte aligned */
		if (!(d->hash = aligned_alloc(64, sizeof(crypto_generichash_state))))
			die(EXIT_FAIL, "out of memory");
		crypto_generichash_init(d->hash, NULL, 0, 16);
	}
	input_open(&in, nfiles, files);
	while (input_line(&in)) {
		json_t *rec;
		int kind;

		if (d->hash) {
			crypto_generichash_update(d->hash, (unsigned char *)in.buf,
			    in.len);
			crypto_generichash_update(d->hash, (unsigned char *)"\n", 1);
		}
		if (d->o.text) {
			read_text(d, &in);
			continue;
		}
		if ((kind = fastrec_read(f, &in)) != FAST_NONE) {
			note_kind(d, &in, 1);
			add(d, &in, f->prompt, f->L, f->tokens, f->T,
			    kind == FAST_SAMPLE);
			continue;
		}
		rec = input_parse(&in);
		read_record(d, &in, rec);
		json_decref(rec);
	}
	d->end.name = in.name;
	d->end.line = in.line;
	input_close(&in);
	fastrec_free(f);
	if (d->hash) {
		unsigned char h[16];

		crypto_generichash_final(d->hash, h, sizeof h);
		sodium_bin2hex(d->digest, sizeof d->digest, h, sizeof h);
		free(d->hash);
		d->hash = NULL;
	}
	settle(d);
	note_skipped(d);
}
