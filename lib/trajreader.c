#include "trajreader.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ccmc.h"
#include "util.h"

static int
is_model(json_t *rec)
{
	const char *type = record_type(rec);

	return strcmp(type, "ccmc") == 0 || strcmp(type, "attn-model") == 0;
}

/* A model record (attn-model or ccmc) becomes the predictor's chain. */
static void
take_model(struct predictor *pr, struct input *in, json_t *rec)
{
	struct ccmc chain;
	json_int_t K = json_integer_value(json_object_get(rec, "K"));

	if (strcmp(record_type(rec), "attn-model") == 0 && K > MAX_VOCAB &&
	    json_is_null(json_object_get(rec, "C"))) {
		/* a headless model past MAX_VOCAB: no K x K chain to predict with */
		note("%s:%ld: a headless model of K = %lld: no winner sets are "
		    "predicted (the mean field needs its K x K CCMC, which stops "
		    "at K = %d); the statistics are measured", in->name, in->line,
		    (long long)K, MAX_VOCAB);
		return;
	}
	ccmc_from_record(in, rec, &chain);
	ccmc_need_dense(in, &chain, MAX_VOCAB, "traj-stats' model tests and "
	    "mean field need");
	predictor_set_chain(pr, &chain);
}

void
trajreader_model(struct predictor *pr, const char *file)
{
	char *files[1] = { (char *)file };
	struct input in;
	json_t *rec;

	input_open(&in, 1, files);
	if (!(rec = input_record(&in)) || !is_model(rec)) {
		if (rec)
			json_decref(rec);
		input_fail(&in, "expected an attn-model or ccmc record");
	}
	take_model(pr, &in, rec);
	json_decref(rec);
	input_no_stray_row(&in);
	input_close(&in);
}

/* What a token array holds: 1 integers, 2 strings, 3 both. */
static int
token_kinds(json_t *rec, const char *key)
{
	json_t *x;
	size_t i;
	int kinds = 0;

	json_array_foreach(json_object_get(rec, key), i, x)
		kinds |= json_is_string(x) ? 2 : json_is_integer(x) ? 1 : 0;
	return kinds;
}

/* A trajectory record's context (prompt, then tokens). */
static int *
read_trajectory(struct input *in, json_t *rec, const struct predictor *pr,
    struct vocab *words, long *L, long *T, const struct vocab **names,
    int *markov)
{
	json_t *chain = json_object_get(rec, "chain");
	struct vocab *v = pr->have && pr->chain.vocab ? pr->chain.vocab : words;
	int K = pr->have ? pr->chain.K : INT_MAX, lp, lt, kp, kt, strings;
	int *prompt, *tokens, *ctx;

	field_get(in, rec, "prompt");
	field_get(in, rec, "tokens");
	/* Absent: drawn by attention or the CCMC; the one other process is
	 * the ordinary chain. */
	if (chain && !(json_is_string(chain) &&
	    strcmp(json_string_value(chain), "markov") == 0))
		input_fail(in, "\"chain\" is \"markov\" or absent");
	*markov = chain != NULL;
	kp = token_kinds(rec, "prompt");
	kt = token_kinds(rec, "tokens");
	/* Strings and integers together have no meaning unless a vocabulary
	 * names the integers. */
	if (v == words && (kp == 3 || kt == 3))
		input_fail(in, "\"%s\" mixes integer and string tokens and no ccmc "
		    "record names them", kp == 3 ? "prompt" : "tokens");
	if (v == words && (kp | kt) == 3)
		input_fail(in, "\"prompt\" and \"tokens\" mix integer and string "
		    "tokens and no ccmc record names them");
	strings = (kp | kt) & 2;
	prompt = field_tokens(in, rec, "prompt", K, v, &lp);
	tokens = field_tokens(in, rec, "tokens", K, v, &lt);
	ctx = xmalloc(((size_t)lp + (size_t)lt) * sizeof *ctx + 1);
	memcpy(ctx, prompt, (size_t)lp * sizeof *ctx);
	memcpy(ctx + lp, tokens, (size_t)lt * sizeof *ctx);
	free(prompt);
	free(tokens);
	*L = lp;
	*T = lt;
	*names = v == words ? (strings ? words : NULL) : v;
	return ctx;
}


/* The next piece of text as a trajectory with an empty prompt. */
static int *
read_text(struct traj_reader *rd, long *T)
{
	int off, len, *ctx;

	while (!rd->doc || !text_piece(&rd->split, rd->ndoc, &off, &len)) {
		free(rd->doc);
		rd->doc = NULL;
		if (!input_line(&rd->in))
			return NULL;
		rd->doc = text_words(&rd->split, &rd->in, rd->words, &rd->ndoc);
	}
	ctx = xmalloc((size_t)len * sizeof *ctx);
	memcpy(ctx, rd->doc + off, (size_t)len * sizeof *ctx);
	*T = len;
	return ctx;
}

/* One more record of a type that is not read. */
static void
skip(struct traj_reader *rd, const char *type)
{
	int i;

	for (i = 0; i < rd->nskip; i++)
		if (strcmp(rd->skip[i].type, type) == 0)
			break;
	if (i == rd->nskip) {
		rd->skip = xrealloc(rd->skip, ((size_t)i + 1) * sizeof *rd->skip);
		rd->skip[i] = (struct skipped){ xstrdup(type), 0 };
		rd->nskip++;
	}
	rd->skip[i].n++;
}

/* A trajectory line the fast reader took: its context. */
static int *
fast_trajectory(struct traj_reader *rd, const struct predictor *pr, long *L,
    long *T)
{
	const struct fastrec *f = &rd->fast;
	int K = pr->have ? pr->chain.K : INT_MAX;
	int *ctx = xmalloc(((size_t)f->L + (size_t)f->T) * sizeof *ctx + 1);

	/* An empty prompt or trajectory has no array: memcpy wants one. */
	if (f->L > 0)
		memcpy(ctx, f->prompt, (size_t)f->L * sizeof *ctx);
	if (f->T > 0)
		memcpy(ctx + f->L, f->tokens, (size_t)f->T * sizeof *ctx);
	for (long i = 0; pr->have && i < f->L + f->T; i++)
		if (ctx[i] >= K) {
			int t = ctx[i];

			free(ctx);
			input_fail(&rd->in, "token %d out of range (K = %d)", t, K);
		}
	*L = f->L;
	*T = f->T;
	return ctx;
}

int *
trajreader_next(struct traj_reader *rd, struct predictor *pr, long *L,
    long *T, const struct vocab **names, int *markov)
{
	int *ctx = NULL;

	*L = 0;
	*markov = 0;
	if (rd->text) {
		*names = rd->words;
		return read_text(rd, T);
	}
	while (!ctx && input_line(&rd->in)) {
		int kind = fastrec_read(&rd->fast, &rd->in);

		if (kind == FAST_TRAJECTORY) {
			*names = pr->have && pr->chain.vocab ? pr->chain.vocab : NULL;
			*markov = rd->fast.markov;
			return fast_trajectory(rd, pr, L, T);
		}
		if (kind == FAST_SAMPLE) {
			skip(rd, "sample");
			continue;
		}
		rd->rec = input_parse(&rd->in);
		if (is_model(rd->rec))
			take_model(pr, &rd->in, rd->rec);
		else if (strcmp(record_type(rd->rec), "trajectory") == 0)
			ctx = read_trajectory(&rd->in, rd->rec, pr, rd->words, L, T,
			    names, markov);
		else
			skip(rd, record_type(rd->rec));
		json_decref(rd->rec);
		rd->rec = NULL;
	}
	return ctx;
}

void
trajreader_notes(struct traj_reader *rd)
{
	for (int i = 0; i < rd->nskip; i++) {
		note("skipped %ld record%s of type \"%.40s\" (reads trajectory "
		    "records, and attn-model or ccmc ones for predictions)",
		    rd->skip[i].n, rd->skip[i].n == 1 ? "" : "s", rd->skip[i].type);
		free((char *)rd->skip[i].type);
	}
	free(rd->skip);
	rd->skip = NULL;
	rd->nskip = 0;
}

void
trajreader_open(struct traj_reader *rd, int text, const struct text *split,
    int nfiles, char **files)
{
	memset(rd, 0, sizeof *rd);
	rd->text = text;
	rd->split = *split;
	rd->words = vocab_new(1 << 26);
	rd->words->grow = 1;
	input_open(&rd->in, nfiles, files);
}

void
trajreader_close(struct traj_reader *rd)
{
	input_close(&rd->in);
	free(rd->doc);
	fastrec_free(&rd->fast);
	vocab_free(rd->words);
}
