/*
 * ccmc-estimate: learn a CCMC from samples and trajectories by maximum
 * likelihood, and say what the data determine and how well; on text, also
 * the baselines it is compared with, and the held-out scores of all three.
 */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "ccmc.h"
#include "corpus.h"
#include "estimate.h"
#include "fastrec.h"
#include "model.h"
#include "numeric.h"
#include "rng.h"
#include "sampleset.h"
#include "score.h"
#include "stream.h"
#include "util.h"
#include "vocab.h"

static const char usage[] =
"usage: ccmc-estimate [--vocab K | --max-vocab V] [--text] [--window L]\n"
"                     [--l2 LAMBDA] [--tol X] [--max-iter N]\n"
"                     [--method auto|newton|cg] [--bootstrap B] [--seed S]\n"
"                     [--brief] [--laplace A] [--progress] [file ...]\n"
"       ccmc-estimate --markov [--laplace A] [--vocab K | --max-vocab V]\n"
"                     [--text] [file ...]\n"
"       ccmc-estimate --eval MODEL [--window L] [--mix W] [--text] [file ...]\n";

static const char help[] =
"Fit the logits A of a context-conditioned Markov chain to sample and\n"
"trajectory records by maximum likelihood, row by row, and print one ccmc\n"
"record: A and P (null where the data do not determine them), \"fit\",\n"
"\"identifiability\", \"stderr\", and \"error\" against a ground-truth\n"
"attn-model or ccmc record in the input.  String tokens (text) build a\n"
"vocabulary; the record is then complete (ridge MAP) and carries \"vocab\",\n"
"a unigram background and its mixing weight.\n"
"\n"
"  --vocab K       vocabulary size when no ground truth gives it\n"
"                  (default: largest token + 1)\n"
"  --max-vocab V   string tokens: keep the V most frequent words, map the\n"
"                  others to \"<unk>\" (default: keep all, at most 2048)\n"
"  --text          input is plain text: one document per line, words split\n"
"                  at white space, the first word the prompt\n"
"  --window L      keep only the last L tokens of each context; steps whose\n"
"                  token falls outside the window are skipped and counted\n"
"  --l2 LAMBDA     ridge: subtract LAMBDA/2 sum A_ij^2 (default 0: the plain\n"
"                  MLE; where it does not exist, the tokens it sends to\n"
"                  probability 0 are reported; default 1 on text)\n"
"  --tol X         stop at max |gradient| / samples <= X (default 1e-8)\n"
"  --max-iter N    iterations per row (default 200)\n"
"  --method M      newton (dense), cg (Newton-CG) or auto (default: newton\n"
"                  up to 160 tokens per row)\n"
"  --bootstrap B   add 95% percentile intervals from B resamples\n"
"  --seed S        seed of the resampling (default 1)\n"
"  --brief         leave out \"identifiability\" and \"stderr\"\n"
"  --markov        fit an ordinary bigram Markov chain instead (counts with\n"
"                  Laplace smoothing), as a ccmc record marked in meta\n"
"  --laplace A     add-A smoothing of the bigram and unigram (default 1)\n"
"  --eval MODEL    score the input under the ccmc record in MODEL instead of\n"
"                  fitting: coverage, cross-entropy and perplexity\n"
"  --mix W         weight of the unigram background in --eval (default:\n"
"                  the model's \"mix\")\n"
"  --progress      report progress on stderr\n"
"  -h, --help      this text;  --version  the version\n";

#define UNK "<unk>"

struct options {
	struct est_options est;
	int      vocab, window, bootstrap, progress;
	int      maxvocab, text, markov, brief, l2_given;
	double   laplace, mix;    /* mix < 0: the model's */
	const char *eval;
	uint64_t seed;
};

/* What has been read: the samples, and the ground truth if any.  Records
 * go straight into the sample set when their tokens are integer ids and a
 * CCMC is fitted; otherwise (strings, --markov, --eval) they are kept in a
 * corpus first, since the vocabulary, or the model, needs all of them. */
struct reading {
	struct sampleset *set;
	struct ccmc truth;
	int      have_truth, K;
	const char *ksource;
	long     skipped;     /* steps outside the window (not covered) */
	int      lenient;     /* count such steps instead of failing */
	int     *ctx, ctxcap; /* scratch: a context, oldest first */
	double  *w;           /* scratch: its position weights */
	/* kept whole */
	int      keep;
	struct corpus corpus;
	int      kind;        /* tokens so far: 0 none, 1 ids, 2 strings */
	struct vocab *words;  /* strings -> ids: the model's, or being built */
	int      building;    /* words is built here, renumbered at the end */
	int      fixed;       /* no vocabulary may be built (--eval) */
	struct fastrec fast;
	struct input end;     /* file and line of the end: what complaints
	                       * about the input as a whole name */
};

/* ---- reading ---- */

static void
grow(struct reading *rd, int n)
{
	if (n <= rd->ctxcap)
		return;
	rd->ctxcap = n > 2 * rd->ctxcap ? n : 2 * rd->ctxcap;
	rd->ctx = xrealloc(rd->ctx, (size_t)rd->ctxcap * sizeof *rd->ctx);
	rd->w = xrealloc(rd->w, (size_t)rd->ctxcap * sizeof *rd->w);
}

static struct sampleset *
samples(struct reading *rd)
{
	if (!rd->set)
		rd->set = sampleset_new(rd->have_truth && rd->truth.lmax > 0);
	return rd->set;
}

/* The position weights of a context of L tokens, or NULL for counts. */
static const double *
weights(struct reading *rd, const struct input *in, int L)
{
	if (!rd->set->weighted)
		return NULL;
	if (L > rd->truth.lmax)
		input_fail(in, "context of %d tokens is longer than LMAX = %d of "
		    "the positional weights", L, rd->truth.lmax);
	return rd->truth.posw + (size_t)(L - 1) * rd->truth.lmax;
}

static void
check_tokens(const struct reading *rd, const struct input *in, const int *t,
    int n)
{
	int K = rd->K ? rd->K : MAX_VOCAB;

	for (int j = 0; j < n; j++)
		if (t[j] < 0 || t[j] >= K)
			input_fail(in, "token %d out of range (K = %d)", t[j], K);
}

static void
add_sample(struct reading *rd, const struct input *in, const int *prompt,
    int L, int y, int window)
{
	if (L < 1)
		input_fail(in, "empty prompt");
	check_tokens(rd, in, prompt, L);
	check_tokens(rd, in, &y, 1);
	if (window && L > window) {
		prompt += L - window;
		L = window;
	}
	samples(rd);
	if (sampleset_add(rd->set, prompt, L, y, weights(rd, in, L)) != 0) {
		if (rd->lenient) {
			rd->skipped++;
			return;
		}
		input_fail(in, "y = %d is not in its prompt (a CCMC gives it "
		    "probability 0)", y);
	}
}

static void
add_trajectory(struct reading *rd, const struct input *in, const int *prompt,
    int L, const int *tokens, int T, int window)
{
	struct context c;
	int K = rd->K ? rd->K : MAX_VOCAB;

	if (L < 1)
		input_fail(in, "empty prompt");
	check_tokens(rd, in, prompt, L);
	check_tokens(rd, in, tokens, T);
	samples(rd);
	context_init(&c, K, window);
	for (int t = 0; t < L; t++)
		context_push(&c, prompt[t]);
	for (int k = 0; k < T; k++) {
		int query = k ? tokens[k - 1] : prompt[L - 1], ok;

		if (rd->set->weighted) {
			grow(rd, c.len);
			context_tokens(&c, rd->ctx);
			ok = sampleset_add(rd->set, rd->ctx, c.len, tokens[k],
			    weights(rd, in, c.len)) == 0;
		} else
			ok = sampleset_add_context(rd->set, &c, query,
			    tokens[k]) == 0;
		if (!ok && !rd->lenient) {
			context_free(&c);
			input_fail(in, "token %d at step %d is not in its context "
			    "(a CCMC gives it probability 0)", tokens[k], k);
		}
		rd->skipped += !ok;
		context_push(&c, tokens[k]);
	}
	context_free(&c);
}

static void
add_truth(struct reading *rd, const struct input *in, json_t *rec,
    const struct options *o)
{
	struct ccmc c;

	if (strcmp(record_type(rec), "ccmc") == 0)
		ccmc_parse(in, rec, &c);
	else {
		struct attn_model m;
		char why[256];

		model_parse(in, rec, &m);
		if (ccmc_from_model(&m, &c, why, sizeof why) != 0)
			input_fail(in, "%s", why);
		model_free(&m);
	}
	if (rd->have_truth) {
		if (c.K != rd->truth.K)
			input_fail(in, "mixed K: this record has K = %d, an earlier "
			    "one K = %d", c.K, rd->truth.K);
		if (max_abs_diff(c.P, rd->truth.P, (size_t)c.K * c.K) != 0 ||
		    c.lmax != rd->truth.lmax)
			input_fail(in, "a second ground truth, different from the "
			    "first");
		ccmc_free(&c);
		return;
	}
	if (o->vocab && o->vocab != c.K)
		input_fail(in, "mixed K: the ground truth has K = %d, --vocab "
		    "says %d", c.K, o->vocab);
	if (rd->set && rd->set->maxtok >= c.K)
		input_fail(in, "mixed K: the ground truth has K = %d, earlier "
		    "samples use token %d", c.K, rd->set->maxtok);
	if (rd->set && c.lmax)
		input_fail(in, "a ground truth with positional weights must come "
		    "before the samples");
	if (rd->kind == 2)
		input_fail(in, "a ground truth must come before the string tokens");
	if (c.vocab && c.lmax)
		input_fail(in, "positional weights and a vocabulary: text is "
		    "fitted without positions");
	rd->truth = c;
	rd->have_truth = 1;
	rd->K = c.K;
	rd->ksource = "ground truth";
	if (c.vocab) {
		rd->words = c.vocab;
		rd->words->grow = 0;
		rd->words->unk = vocab_find(rd->words, UNK);
	}
}

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
note_kind(struct reading *rd, const struct input *in, int kind)
{
	if (kind == 3)
		input_fail(in, "a record mixes integer and string tokens");
	if (kind && rd->kind && kind != rd->kind)
		input_fail(in, "%s tokens after %s ones: a stream holds ids or "
		    "strings, not both", kind == 2 ? "string" : "integer",
		    kind == 2 ? "integer" : "string");
	if (kind && !rd->kind) {
		rd->kind = kind;
		if (kind == 2 && !rd->keep && rd->set)
			input_fail(in, "string tokens after integer ones");
		if (kind == 2) {
			rd->keep = 1;
			rd->lenient = 1;
		}
	}
}

/* The vocabulary string tokens map through. */
static struct vocab *
words(struct reading *rd, const struct input *in)
{
	if (!rd->words && rd->fixed)
		input_fail(in, "string tokens, but the model has no vocabulary");
	if (!rd->words) {
		rd->words = vocab_new(INT_MAX);
		rd->words->grow = 1;
		rd->building = 1;
	}
	return rd->words;
}

/* A string or id token field (an array, or the single "y"). */
static int *
tokens_of(struct reading *rd, const struct input *in, json_t *rec,
    const char *key, int *n)
{
	json_t *x = field_get(in, rec, key);
	struct vocab *v = rd->kind == 2 ? words(rd, in) : NULL;
	int K = rd->K ? rd->K : MAX_VOCAB, *t;

	if (v && rd->building)
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

/* Too many distinct words is an error at the line that brings them. */
static void
check_words(const struct reading *rd, const struct input *in,
    const struct options *o)
{
	if (rd->building && !o->maxvocab && rd->words->n > MAX_VOCAB)
		input_fail(in, "more than %d distinct words: --max-vocab V keeps "
		    "the V most frequent", MAX_VOCAB);
}

static void
keep(struct reading *rd, const struct input *in, const int *prompt, int L,
    const int *tokens, int T, int sample)
{
	if (L < 1)
		input_fail(in, "empty prompt");
	if (rd->kind != 2) {
		check_tokens(rd, in, prompt, L);
		check_tokens(rd, in, tokens, T);
	}
	corpus_add(&rd->corpus, prompt, L, tokens, T, sample, in->name,
	    in->line);
}

/* A line of text: its words, the first as the prompt. */
static void
read_text(struct reading *rd, const struct input *in, const struct options *o)
{
	size_t cap = in->len / 2 + 1 < MAX_PROMPT ? in->len / 2 + 1 : MAX_PROMPT;
	struct vocab *v;
	char *save, *w;
	int *t, n = 0;

	note_kind(rd, in, 2);
	v = words(rd, in);
	t = xmalloc(cap * sizeof *t);
	for (w = strtok_r(in->buf, " \t\f\v\r", &save); w;
	    w = strtok_r(NULL, " \t\f\v\r", &save)) {
		if ((size_t)n == cap) {
			free(t);
			input_fail(in, "more than %ld words, the limit", MAX_PROMPT);
		}
		if ((t[n++] = vocab_token(v, w)) < 0) {
			free(t);
			input_fail(in, "word \"%.40s\" is not in the vocabulary and "
			    "it has no \"" UNK "\"", w);
		}
	}
	if (n >= 2)
		keep(rd, in, t, 1, t + 1, n - 1, 0);
	free(t);
	check_words(rd, in, o);
}

static void
read_record(struct reading *rd, const struct input *in, json_t *rec,
    const struct options *o)
{
	const char *type = record_type(rec);
	int sample = strcmp(type, "sample") == 0, *prompt, *tokens, L, T;

	if (!sample && strcmp(type, "trajectory") != 0) {
		if ((strcmp(type, "attn-model") == 0 || strcmp(type, "ccmc") == 0)
		    && !o->eval && !o->markov)
			add_truth(rd, in, rec, o);
		return;
	}
	note_kind(rd, in, token_kind(field_get(in, rec, "prompt")) |
	    token_kind(field_get(in, rec, sample ? "y" : "tokens")));
	prompt = tokens_of(rd, in, rec, "prompt", &L);
	tokens = tokens_of(rd, in, rec, sample ? "y" : "tokens", &T);
	if (rd->kind == 2)
		check_words(rd, in, o);
	if (rd->keep)
		keep(rd, in, prompt, L, tokens, T, sample);
	else if (sample)
		add_sample(rd, in, prompt, L, tokens[0], o->window);
	else
		add_trajectory(rd, in, prompt, L, tokens, T, o->window);
	free(prompt);
	free(tokens);
}

static void
read_input(struct reading *rd, int nfiles, char **files, const struct options *o)
{
	struct input in;

	input_open(&in, nfiles, files);
	while (input_line(&in)) {
		json_t *rec;
		int kind;

		if (o->text) {
			read_text(rd, &in, o);
			continue;
		}
		if ((kind = fastrec_read(&rd->fast, in.buf, in.len)) != FAST_NONE) {
			note_kind(rd, &in, 1);
			if (rd->keep)
				keep(rd, &in, rd->fast.prompt, rd->fast.L,
				    rd->fast.tokens, rd->fast.T, kind == FAST_SAMPLE);
			else if (kind == FAST_SAMPLE)
				add_sample(rd, &in, rd->fast.prompt, rd->fast.L,
				    rd->fast.tokens[0], o->window);
			else
				add_trajectory(rd, &in, rd->fast.prompt, rd->fast.L,
				    rd->fast.tokens, rd->fast.T, o->window);
			continue;
		}
		rec = input_parse(&in);
		read_record(rd, &in, rec, o);
		json_decref(rec);
	}
	rd->end.name = in.name;
	rd->end.line = in.line;
	input_close(&in);
	fastrec_free(&rd->fast);
}

/* After reading: the vocabulary and K, and the kept records as samples
 * when a CCMC is fitted from them. */
static void
settle(struct reading *rd, const struct options *o, int fit)
{
	struct corpus *cp = &rd->corpus;

	if (rd->building) {
		struct vocab *raw = rd->words;

		rd->words = corpus_keep_frequent(cp, raw, o->maxvocab);
		vocab_free(raw);
		rd->words->grow = 0;
		rd->words->unk = vocab_find(rd->words, UNK);
		rd->K = rd->words->n;
		rd->ksource = o->maxvocab ? "vocabulary (--max-vocab)" :
		    "vocabulary";
		if (o->vocab && o->vocab != rd->K)
			input_fail(&rd->end, "--vocab %d, but the words make a "
			    "vocabulary of %d", o->vocab, rd->K);
		if (rd->K > MAX_VOCAB)
			input_fail(&rd->end, "%d distinct words, more than %d: "
			    "--max-vocab V keeps the V most frequent", rd->K,
			    MAX_VOCAB);
	}
	if (fit && rd->keep)
		for (long s = 0; s < cp->nseq; s++) {
			const struct sequence *q = &cp->seq[s];
			const int *x = cp->tok + q->off;
			struct input at = { .name = q->file, .line = q->line };

			if (q->sample)
				add_sample(rd, &at, x, q->L, x[q->L], o->window);
			else
				add_trajectory(rd, &at, x, q->L, x + q->L, q->T,
				    o->window);
		}
	if (fit ? !rd->set || rd->set->n == 0 : cp->steps == 0)
		input_fail(&rd->end, "no samples in the input%s", fit &&
		    rd->skipped ? ": no step's token is in its context" : "");
	if (!rd->K) {
		rd->K = (fit ? rd->set->maxtok : cp->maxtok) + 1;
		rd->ksource = "largest token + 1";
	}
}

/* ---- output helpers ---- */

static json_t *
number_or_null(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *
matrix_json(const double *m, int K)
{
	json_t *a = json_array();

	for (int i = 0; i < K; i++) {
		json_t *row = json_array();

		for (int j = 0; j < K; j++)
			json_array_append_new(row, number_or_null(m[(size_t)i * K + j]));
		json_array_append_new(a, row);
	}
	return a;
}

static json_t *
token_list(const int *which, int K, int value)
{
	json_t *a = json_array();

	for (int j = 0; j < K; j++)
		if (which[j] == value)
			json_array_append_new(a, json_integer(j));
	return a;
}

/* ---- the fit ---- */

static void
progress(const struct options *o, const char *what, long done, long total)
{
	if (o->progress)
		fprintf(stderr, "\r%s: %s %ld/%ld%s", progname, what, done, total,
		    done == total ? "\n" : "");
}

static json_t *
identifiability(const struct est_row *row, int K, const double *cond)
{
	json_t *rows = json_array(), *id;
	int ndet = 0;

	for (int i = 0; i < K; i++) {
		const struct est_row *r = &row[i];
		json_t *comps = json_array();

		for (int c = 0; c < r->ncomp; c++)
			json_array_append_new(comps, token_list(r->comp, K, c));
		ndet += r->determined && !r->tied;
		json_array_append_new(rows, json_pack("{s:i,s:f,s:o,s:o,s:b,s:b,"
		    "s:o,s:b}", "row", i, "samples", r->n, "components", comps,
		    "unseen", token_list(r->comp, K, -1), "determined",
		    r->determined, "mle_exists", r->mle_exists, "zero",
		    token_list(r->zero, K, 1), "tied", r->tied));
	}
	id = json_pack("{s:i,s:o,s:o}", "determined_rows", ndet, "rows", rows,
	    "conditional", matrix_json(cond, K));
	return id;
}

static json_t *
fit_summary(const struct est_row *row, int K, const struct reading *rd,
    const struct options *o)
{
	json_t *per = json_array(), *iters = json_array(), *fit;
	double loglik = 0, objective = 0, gnorm = 0;
	int maxit = 0, converged = 1, exists = 1, cg = 0, newton = 0;
	char why[160] = "";

	for (int i = 0; i < K; i++) {
		const struct est_row *r = &row[i];

		loglik += r->loglik;
		objective += r->objective;
		gnorm = fmax(gnorm, r->gnorm);
		maxit = r->iters > maxit ? r->iters : maxit;
		exists &= r->mle_exists;
		cg |= r->cg;
		newton |= r->n > 0 && !r->cg;
		if (!r->converged && converged) {
			converged = 0;
			snprintf(why, sizeof why, "row %d: %s", i, r->why);
		}
		json_array_append_new(per, json_real(r->n));
		json_array_append_new(iters, json_integer(r->iters));
	}
	fit = json_pack("{s:I,s:o,s:f,s:i,s:o,s:f,s:f,s:b,s:o,s:b,s:s,s:f,"
	    "s:s,s:s,s:I}",
	    "samples", (json_int_t)rd->set->n, "samples_per_row", per,
	    "loglik", loglik, "iterations", maxit, "iterations_per_row", iters,
	    "grad_norm", gnorm, "tol", o->est.tol, "converged", converged,
	    "why_not", converged ? json_null() : json_string(why),
	    "mle_exists", exists,
	    "method", cg && newton ? "newton and newton-cg" : cg ? "newton-cg" :
	    "newton", "l2", o->est.l2,
	    "weights", rd->set->weighted ? "position-weighted counts" : "counts",
	    "K_from", rd->ksource, "skipped", (json_int_t)rd->skipped);
	/* the share of steps a CCMC can explain: those whose token is in
	 * their (windowed) context */
	json_object_set_new(fit, "coverage", json_real((double)rd->set->n /
	    (double)(rd->set->n + rd->skipped)));
	if (o->est.l2 > 0)
		json_object_set_new(fit, "objective", json_real(objective));
	return fit;
}

/* Percentile intervals of the conditional probabilities over B resamples
 * of each row's samples (a stratified bootstrap: rows are independent). */
static json_t *
bootstrap(const struct reading *rd, int K, const struct options *o,
    const struct est_row *row)
{
	int B = o->bootstrap;
	double *draw, *lo, *hi, *Plo, *Phi, *sorted;
	json_t *out;

	draw = xmalloc(checked_size(checked_size((size_t)K * K, (size_t)B),
	    sizeof *draw));
	lo = xmalloc(4 * (size_t)K * K * sizeof *lo);
	hi = lo + (size_t)K * K;
	Plo = hi + (size_t)K * K;
	Phi = Plo + (size_t)K * K;
	sorted = xmalloc((size_t)B * sizeof *sorted);
	for (int i = 0; i < K; i++) {
		const struct sample_row *sr = &rd->set->row[i];
		double *mult = xmalloc(((size_t)sr->n + 1) * sizeof *mult);

		progress(o, "bootstrap row", i, K);
		for (int b = 0; b < B; b++) {
			struct est_row r;
			struct rng rng;

			rng_init(&rng, o->seed, "bootstrap", (uint64_t)b * MAX_VOCAB + (uint64_t)i);
			memset(mult, 0, (size_t)sr->n * sizeof *mult);
			for (long s = 0; s < sr->n; s++)
				mult[rng_below(&rng, (uint32_t)sr->n)] += 1;
			est_fit_row(rd->set, K, i, mult, &o->est, 0, &r);
			for (int j = 0; j < K; j++)
				draw[((size_t)i * K + j) * B + b] =
				    row[i].comp[j] >= 0 && r.comp[j] >= 0 &&
				    r.ncomp == row[i].ncomp ? r.cond[j] : NAN;
			est_row_free(&r);
		}
		free(mult);
		for (int j = 0; j < K; j++) {
			size_t e = (size_t)i * K + j;
			int nan = 0;

			for (int b = 0; b < B; b++) {
				sorted[b] = draw[e * B + b];
				nan |= isnan(sorted[b]);
			}
			lo[e] = hi[e] = NAN;
			if (!nan && !isnan(row[i].cond[j])) {
				double x, f;
				int k;

				for (int b = 1; b < B; b++)   /* insertion sort */
					for (k = b; k > 0 && sorted[k - 1] > sorted[k]; k--) {
						x = sorted[k];
						sorted[k] = sorted[k - 1];
						sorted[k - 1] = x;
					}
				/* quantiles with linear interpolation */
				x = 0.025 * (B - 1);
				k = (int)x;
				f = x - k;
				lo[e] = sorted[k] + (k + 1 < B ? f * (sorted[k + 1] -
				    sorted[k]) : 0);
				x = 0.975 * (B - 1);
				k = (int)x;
				f = x - k;
				hi[e] = sorted[k] + (k + 1 < B ? f * (sorted[k + 1] -
				    sorted[k]) : 0);
			}
			Plo[e] = isnan(row[i].P[j]) ? NAN : lo[e];
			Phi[e] = isnan(row[i].P[j]) ? NAN : hi[e];
		}
	}
	progress(o, "bootstrap row", K, K);
	out = json_pack("{s:i,s:I,s:f,s:o,s:o,s:o,s:o}", "B", B, "seed",
	    (json_int_t)o->seed, "level", 0.95, "P_lo", matrix_json(Plo, K),
	    "P_hi", matrix_json(Phi, K), "conditional_lo", matrix_json(lo, K),
	    "conditional_hi", matrix_json(hi, K));
	free(draw);
	free(lo);
	free(sorted);
	return out;
}

/* Errors against the ground truth, over what the data determine. */
static json_t *
errors(const struct ccmc *t, const struct est_row *row, int K)
{
	double psq = 0, pmax = 0, kl = 0, asq = 0, amax = 0, csq = 0, cmax = 0;
	int klrows = 0, klinf = 0;
	long np = 0, na = 0, nc = 0;

	for (int i = 0; i < K; i++) {
		const struct est_row *r = &row[i];
		const double *P = t->P + (size_t)i * K, *A = t->A + (size_t)i * K;

		if (!isnan(r->P[0])) {
			double d = 0;
			int inf = 0;

			for (int j = 0; j < K; j++) {
				double e = r->P[j] - P[j];

				psq += e * e;
				pmax = fmax(pmax, fabs(e));
				np++;
				if (P[j] > 0) {
					if (r->P[j] > 0)
						d += P[j] * log(P[j] / r->P[j]);
					else
						inf = 1;
				}
			}
			if (inf)
				klinf++;
			else {
				kl += d;
				klrows++;
			}
		}
		for (int c = 0; c < r->ncomp; c++) {
			double ta = 0, tp = 0;
			int n = 0;

			for (int j = 0; j < K; j++)
				if (r->comp[j] == c) {
					tp += P[j];
					if (!isnan(r->A[j])) {
						ta += A[j];
						n++;
					}
				}
			for (int j = 0; j < K; j++) {
				if (r->comp[j] != c)
					continue;
				if (!isnan(r->A[j])) {
					double e = r->A[j] - (A[j] - ta / n);

					asq += e * e;
					amax = fmax(amax, fabs(e));
					na++;
				}
				if (!isnan(r->cond[j])) {
					double e = r->cond[j] - P[j] / tp;

					csq += e * e;
					cmax = fmax(cmax, fabs(e));
					nc++;
				}
			}
		}
	}
	return json_pack("{s:I,s:f,s:f,s:o,s:i,s:I,s:f,s:f,s:I,s:f,s:f}",
	    "P_entries", (json_int_t)np, "P_sq", psq, "P_max_abs", pmax,
	    "kl_mean", klrows ? json_real(kl / klrows) : json_null(),
	    "kl_infinite_rows", klinf,
	    "A_entries", (json_int_t)na, "A_sq", asq, "A_max_abs", amax,
	    "conditional_entries", (json_int_t)nc, "conditional_sq", csq,
	    "conditional_max_abs", cmax);
}

/* ---- the three jobs ---- */

/* A JSON array of K doubles. */
static json_t *
vector_json(const double *v, int K)
{
	json_t *a = json_array();

	for (int j = 0; j < K; j++)
		json_array_append_new(a, json_real(v[j]));
	return a;
}

/* The unigram background of text and the weight that mixes it in best on
 * the training steps themselves (so it leans towards the CCMC: a fit on
 * the steps it was fitted to). */
static void
background(struct reading *rd, const struct options *o, const struct ccmc *c,
    json_t *extra)
{
	long n = rd->corpus.steps;
	double *u = xmalloc((size_t)c->K * sizeof *u);
	double *p = xmalloc(2 * (size_t)n * sizeof *p), *pu = p + n;

	unigram_fit(&rd->corpus, c->K, o->laplace, u);
	score_steps(&rd->corpus, c, 0, o->window, u, p, pu);
	json_object_set_new(extra, "unigram", vector_json(u, c->K));
	json_object_set_new(extra, "mix", json_real(score_fit_mix(p, pu, n)));
	free(u);
	free(p);
}

/* The maximum-likelihood CCMC and what is known about it.  On text, the
 * record is the ridge MAP instead, complete, so that it can be sampled and
 * scored: every logit the data leave free sits at the prior mean. */
static void
fit_ccmc(struct reading *rd, const struct options *opt)
{
	struct options o = *opt;
	int K = rd->K, text = rd->kind == 2;
	struct est_row *row;
	struct ccmc est;
	double *cond, *se, *sep, *map = NULL;
	json_t *extra, *sej;

	if (text && !o.l2_given)
		o.est.l2 = 1;
	row = xcalloc((size_t)K, sizeof *row);
	cond = xmalloc(3 * (size_t)K * K * sizeof *cond);
	se = cond + (size_t)K * K;
	sep = se + (size_t)K * K;
	if (text)
		map = xmalloc((size_t)K * K * sizeof *map);
	memset(&est, 0, sizeof est);
	est.K = K;
	est.A = xmalloc(2 * (size_t)K * K * sizeof *est.A);
	est.P = est.A + (size_t)K * K;
	for (int i = 0; i < K; i++) {
		progress(&o, "row", i, K);
		est_fit_row(rd->set, K, i, NULL, &o.est, !o.brief, &row[i]);
		for (int j = 0; j < K; j++) {
			size_t e = (size_t)i * K + j;

			est.A[e] = row[i].A[j];
			est.P[e] = row[i].P[j];
			cond[e] = row[i].cond[j];
			se[e] = row[i].se[j];
			sep[e] = isnan(row[i].P[j]) ? NAN : se[e];
			if (map)
				map[e] = row[i].map[j];
		}
	}
	progress(&o, "row", K, K);
	if (rd->have_truth && rd->truth.lmax) {
		est.lmax = rd->truth.lmax;
		est.posw = rd->truth.posw;
	}
	if (text) {
		ccmc_set_logits(&est, map);
		est.vocab = rd->words;
		est.meta = json_pack("{s:s,s:s,s:f}", "gauge", CCMC_GAUGE,
		    "estimate", "ridge MAP of each whole row (prior A_ij ~ "
		    "N(0, 1/l2)); logits the data leave free at the prior mean 0",
		    "l2", o.est.l2);
	} else
		est.meta = json_pack("{s:s,s:s}", "gauge", "component-mean-zero",
		    "gauge_note", "in each row, the logits of each connected "
		    "component of the co-occurrence graph G_i have mean 0; null "
		    "where the data determine nothing or the MLE logit is "
		    "-infinity");
	json_object_set_new(est.meta, "window", o.window ? json_integer(o.window) :
	    json_null());

	extra = json_object();
	json_object_set_new(extra, "fit", fit_summary(row, K, rd, &o));
	if (!o.brief) {
		json_object_set_new(extra, "identifiability", identifiability(row,
		    K, cond));
		sej = json_pack("{s:s,s:o,s:o}", "method", "delta method, inverse "
		    "observed information over the identified logits", "P",
		    matrix_json(sep, K), "conditional", matrix_json(se, K));
		if (o.bootstrap > 0)
			json_object_set_new(sej, "bootstrap", bootstrap(rd, K, &o,
			    row));
		json_object_set_new(extra, "stderr", sej);
	}
	if (rd->have_truth)
		json_object_set_new(extra, "error", errors(&rd->truth, row, K));
	if (text)
		background(rd, &o, &est, extra);
	ccmc_write(&est, extra);

	json_decref(extra);
	json_decref(est.meta);
	free(est.A);
	free(cond);
	free(map);
	for (int i = 0; i < K; i++)
		est_row_free(&row[i]);
	free(row);
}

/* The ordinary bigram chain of the same steps, as a ccmc record marked
 * "chain": "markov" (attn-sample --markov draws from it, --eval scores it
 * as a chain). */
static void
fit_markov(struct reading *rd, const struct options *o)
{
	int K = rd->K;
	struct ccmc m;
	double *P = xmalloc(2 * (size_t)K * K * sizeof *P), *A = P + (size_t)K * K;
	double *u = xmalloc((size_t)K * sizeof *u);
	json_t *extra;

	bigram_fit(&rd->corpus, K, o->laplace, P);
	unigram_fit(&rd->corpus, K, o->laplace, u);
	for (size_t e = 0; e < (size_t)K * K; e++)
		A[e] = log(P[e]);
	memset(&m, 0, sizeof m);
	m.K = K;
	ccmc_set_logits(&m, A);
	memcpy(m.P, P, (size_t)K * K * sizeof *P);   /* the counts' own ratios */
	m.vocab = rd->kind == 2 ? rd->words : NULL;
	m.meta = json_pack("{s:s,s:s,s:f,s:s}", "gauge", CCMC_GAUGE, "chain",
	    "markov", "laplace", o->laplace, "note", "an ordinary Markov chain: "
	    "the next token is drawn from row P_i of the last token i, with no "
	    "context weighting");
	extra = json_pack("{s:{s:I,s:I,s:s},s:o}", "fit", "steps",
	    (json_int_t)rd->corpus.steps, "sequences", (json_int_t)rd->corpus.nseq,
	    "K_from", rd->ksource, "unigram", vector_json(u, K));
	ccmc_write(&m, extra);
	json_decref(extra);
	m.vocab = NULL;
	ccmc_free(&m);
	free(P);
	free(u);
}

/* The model --eval scores, from the first record of its file. */
struct scored {
	struct ccmc m;
	int     markov, window;
	double *unigram;          /* or NULL */
	double  mix;              /* -1 if none */
	const char *mix_from;
};

static void
read_model(struct scored *s, const struct options *o)
{
	char *files[1] = { (char *)o->eval };
	struct input in;
	json_t *rec, *x;
	const char *type, *chain;

	memset(s, 0, sizeof *s);
	input_open(&in, 1, files);
	if (!(rec = input_record(&in)))
		input_fail(&in, "no model record");
	type = record_type(rec);
	if (strcmp(type, "ccmc") == 0)
		ccmc_parse(&in, rec, &s->m);
	else if (strcmp(type, "attn-model") == 0) {
		struct attn_model am;
		char why[256];

		model_parse(&in, rec, &am);
		if (ccmc_from_model(&am, &s->m, why, sizeof why) != 0)
			input_fail(&in, "%s", why);
		model_free(&am);
	} else {
		char first[48];

		snprintf(first, sizeof first, "%.40s", type);
		json_decref(rec);
		input_fail(&in, "--eval needs a ccmc or attn-model record, not "
		    "\"%s\"", first);
	}
	chain = json_string_value(json_object_get(s->m.meta, "chain"));
	s->markov = chain && strcmp(chain, "markov") == 0;
	x = json_object_get(s->m.meta, "window");
	s->window = o->window ? o->window : json_is_integer(x) ?
	    (int)json_integer_value(x) : 0;
	if (s->window < 0 || s->window > MAX_PROMPT)
		input_fail(&in, "meta.window %d out of range", s->window);
	if ((x = json_object_get(rec, "unigram")) && !json_is_null(x)) {
		double sum = 0;

		if (!json_is_array(x) || json_array_size(x) != (size_t)s->m.K)
			input_fail(&in, "\"unigram\" must be an array of K = %d "
			    "numbers", s->m.K);
		s->unigram = xmalloc((size_t)s->m.K * sizeof *s->unigram);
		for (int j = 0; j < s->m.K; j++) {
			json_t *v = json_array_get(x, (size_t)j);

			if (!json_is_number(v) || !(json_number_value(v) > 0) ||
			    !isfinite(json_number_value(v)))
				input_fail(&in, "unigram[%d] is not a positive number", j);
			sum += s->unigram[j] = json_number_value(v);
		}
		if (fabs(sum - 1) > 1e-9)
			input_fail(&in, "the unigram sums to %.17g, not 1", sum);
	}
	s->mix = -1;
	if (o->mix >= 0) {
		s->mix = o->mix;
		s->mix_from = "--mix";
	} else if ((x = json_object_get(rec, "mix")) && !json_is_null(x)) {
		s->mix = field_double(&in, rec, "mix");
		if (s->mix < 0 || s->mix > 1)
			input_fail(&in, "mix %.17g is not in [0, 1]", s->mix);
		s->mix_from = "model";
	} else if (s->markov) {
		s->mix = 0;
		s->mix_from = "none: a chain covers every step";
	}
	if (s->mix >= 0 && !s->unigram)
		input_fail(&in, "a mixing weight but no \"unigram\" to mix in");
	json_decref(rec);
	input_close(&in);
}

/* Nats per step and its exponential, or nulls over no steps. */
static void
per_step(json_t *rep, const char *ce, const char *ppl, double loglik, long n)
{
	int ok = n > 0 && isfinite(loglik);

	json_object_set_new(rep, ce, ok ? json_real(-loglik / n) : json_null());
	json_object_set_new(rep, ppl, ok && isfinite(exp(-loglik / n)) ?
	    json_real(exp(-loglik / n)) : json_null());
}

static void
evaluate(struct reading *rd, const struct options *o, int nfiles,
    char **files)
{
	struct scored s;
	struct score_sum sum;
	long n, unk = 0;
	double *p, *u;
	json_t *rep;
	int K;

	read_model(&s, o);
	K = rd->K = s.m.K;
	rd->ksource = "model";
	rd->keep = 1;
	rd->lenient = 1;
	if ((rd->words = s.m.vocab)) {
		rd->words->grow = 0;
		rd->words->unk = vocab_find(rd->words, UNK);
	} else
		rd->fixed = 1;
	read_input(rd, nfiles, files, o);
	settle(rd, o, 0);
	n = rd->corpus.steps;
	p = xmalloc(2 * (size_t)n * sizeof *p);
	u = p + n;
	score_steps(&rd->corpus, &s.m, s.markov, s.window, s.unigram, p,
	    s.unigram ? u : NULL);
	score_sum(p, s.unigram ? u : NULL, n, s.mix >= 0 ? s.mix : 0, &sum);
	if (rd->words && rd->words->unk >= 0)
		for (long q = 0; q < rd->corpus.nseq; q++) {
			const struct sequence *sq = &rd->corpus.seq[q];

			for (int t = 0; t < sq->T; t++)
				unk += rd->corpus.tok[sq->off + sq->L + t] ==
				    rd->words->unk;
		}

	rep = json_pack("{s:s,s:s,s:i,s:o,s:I,s:I,s:f,s:I,s:f}", "type", "eval",
	    "model", s.markov ? "markov" : "ccmc", "K", K, "window",
	    s.window ? json_integer(s.window) : json_null(), "steps",
	    (json_int_t)n, "covered", (json_int_t)sum.covered, "coverage",
	    (double)sum.covered / (double)n, "unk_steps", (json_int_t)unk,
	    "loglik", sum.loglik);
	per_step(rep, "cross_entropy", "perplexity", sum.loglik, sum.covered);
	json_object_set_new(rep, "mix", s.mix >= 0 ? json_real(s.mix) :
	    json_null());
	json_object_set_new(rep, "mix_from", s.mix_from ?
	    json_string(s.mix_from) : json_null());
	if (s.mix >= 0) {
		json_object_set_new(rep, "full_loglik", isfinite(sum.mixed_loglik) ?
		    json_real(sum.mixed_loglik) : json_null());
		per_step(rep, "full_cross_entropy", "full_perplexity",
		    sum.mixed_loglik, n);
	}
	if (s.unigram)
		per_step(rep, "unigram_cross_entropy", "unigram_perplexity",
		    sum.unigram_loglik, n);
	json_object_set_new(rep, "units", json_string("nats per step; "
	    "perplexity = exp(cross_entropy)"));
	out_json(rep);
	out_end();
	json_decref(rep);
	free(p);
	free(s.unigram);
	if (rd->words == s.m.vocab)
		rd->words = NULL;
	ccmc_free(&s.m);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vocab", required_argument, NULL, 'K' },
		{ "max-vocab", required_argument, NULL, 'X' },
		{ "text", no_argument, NULL, 'T' },
		{ "window", required_argument, NULL, 'w' },
		{ "l2", required_argument, NULL, 'l' },
		{ "tol", required_argument, NULL, 't' },
		{ "max-iter", required_argument, NULL, 'i' },
		{ "method", required_argument, NULL, 'm' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "seed", required_argument, NULL, 's' },
		{ "brief", no_argument, NULL, 'b' },
		{ "markov", no_argument, NULL, 'M' },
		{ "laplace", required_argument, NULL, 'a' },
		{ "eval", required_argument, NULL, 'E' },
		{ "mix", required_argument, NULL, 'x' },
		{ "progress", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o = { .est = EST_OPTIONS_DEFAULT, .seed = RNG_DEFAULT_SEED,
	    .laplace = 1, .mix = -1 };
	struct reading rd;
	int c;

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'K':
			o.vocab = (int)opt_long(usage, "--vocab", optarg, 1, MAX_VOCAB);
			break;
		case 'X':
			o.maxvocab = (int)opt_long(usage, "--max-vocab", optarg, 1,
			    MAX_VOCAB - 1);
			break;
		case 'T':
			o.text = 1;
			break;
		case 'w':
			o.window = (int)opt_long(usage, "--window", optarg, 1,
			    MAX_PROMPT);
			break;
		case 'l':
			o.est.l2 = opt_double(usage, "--l2", optarg, 0, 1e12);
			o.l2_given = 1;
			break;
		case 't':
			o.est.tol = opt_double(usage, "--tol", optarg, 1e-15, 1);
			break;
		case 'i':
			o.est.max_iter = (int)opt_long(usage, "--max-iter", optarg, 0,
			    1000000);
			break;
		case 'm':
			if (strcmp(optarg, "auto") == 0)
				o.est.method = EST_AUTO;
			else if (strcmp(optarg, "newton") == 0)
				o.est.method = EST_NEWTON;
			else if (strcmp(optarg, "cg") == 0)
				o.est.method = EST_CG;
			else
				usage_error(usage, "--method: auto, newton or cg, not "
				    "'%s'", optarg);
			break;
		case 'B':
			o.bootstrap = (int)opt_long(usage, "--bootstrap", optarg, 0,
			    100000);
			break;
		case 's':
			o.seed = opt_seed(usage, optarg);
			break;
		case 'b':
			o.brief = 1;
			break;
		case 'M':
			o.markov = 1;
			break;
		case 'a':
			o.laplace = opt_double(usage, "--laplace", optarg, 1e-300, 1e12);
			break;
		case 'E':
			o.eval = optarg;
			break;
		case 'x':
			o.mix = opt_double(usage, "--mix", optarg, 0, 1);
			break;
		case 'p':
			o.progress = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			fputs(help, stdout);
			return 0;
		case 'V':
			print_version();
		default:
			usage_error(usage, "unknown option");
		}
	}
	if (o.vocab && o.maxvocab)
		usage_error(usage, "--vocab and --max-vocab exclude each other");
	if (o.markov && o.eval)
		usage_error(usage, "--markov and --eval exclude each other");
	if (o.eval && (o.vocab || o.maxvocab))
		usage_error(usage, "--eval takes K and the vocabulary from the model");
	if (o.mix >= 0 && !o.eval)
		usage_error(usage, "--mix goes with --eval");
	if (isatty(2))
		o.progress = 1;

	memset(&rd, 0, sizeof rd);
	corpus_init(&rd.corpus);
	rd.lenient = o.window > 0;
	if (o.vocab) {
		rd.K = o.vocab;
		rd.ksource = "--vocab";
	}
	if (o.eval)
		evaluate(&rd, &o, argc - optind, argv + optind);
	else {
		rd.keep = o.markov;
		read_input(&rd, argc - optind, argv + optind, &o);
		settle(&rd, &o, !o.markov);
		if (o.markov)
			fit_markov(&rd, &o);
		else
			fit_ccmc(&rd, &o);
	}
	out_flush();

	if (rd.have_truth) {
		if (rd.words == rd.truth.vocab)
			rd.words = NULL;
		ccmc_free(&rd.truth);
	}
	if (rd.building || rd.words)
		vocab_free(rd.words);
	corpus_free(&rd.corpus);
	sampleset_free(rd.set);
	free(rd.ctx);
	free(rd.w);
	return 0;
}
