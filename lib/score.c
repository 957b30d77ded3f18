#include "score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "corpus.h"
#include "util.h"

static void parse(struct scored_model *s, struct input *in, json_t *rec,
    int window, double mix, int keep);

/* The CCMC probability of y given the context c (counts, no positions):
 * w_y exp(A_iy) / sum over present l of w_l exp(A_il), in logits so that
 * no entry of P needs to be representable; A is asked at the present
 * tokens only (a: room for them).  NaN if one is not determined. */
static double
ccmc_step(const struct ccmc *m, const struct context *c, int query, int y,
    double *a)
{
	double mx = -INFINITY, z = 0;
	int sy = c->slot[y];

	if (context_count(c, y) == 0)
		return 0;
	ccmc_logits_at(m, query, c->present, c->npresent, a);
	for (int k = 0; k < c->npresent; k++)
		mx = fmax(mx, a[k]);
	for (int k = 0; k < c->npresent; k++)
		z += c->count[k] * exp(a[k] - mx);
	return context_count(c, y) * exp(a[sy] - mx) / z;
}

/* A probability a logit not determined left NaN is 0: the step is not
 * covered, as a CCMC's step is whose token is absent. */
static double
covered(double p)
{
	return isnan(p) ? 0 : p;
}

/* The longest context a step of q is scored with; a model with positions
 * has weights for contexts of up to LMAX tokens only, and refuses longer
 * ones as a fit does. */
static long
longest_context(const struct sequence *q, const struct ccmc *m, int markov,
    int window)
{
	long len = (long)q->L + q->T - 1;

	if (window && len > window)
		len = window;
	if (m->lmax && !markov && len > m->lmax) {
		struct input at = { .name = q->file, .line = q->line };

		input_fail(&at, "context of %ld tokens is longer than LMAX = %d of "
		    "the positional weights", len, m->lmax);
	}
	return len;
}

void
score_steps(const struct corpus *cp, const struct ccmc *m, int markov,
    int window, const double *unigram, double *p, double *u)
{
	struct context c;
	int *ctx = NULL, K = m->K;
	double *probs = NULL, *work = NULL, *a;
	long n = 0, longest = 1;

	for (long s = 0; s < cp->nseq; s++) {
		long len = longest_context(&cp->seq[s], m, markov, window);

		if (len > longest)
			longest = len;
	}
	context_init(&c, K, window);
	/* the distinct tokens of a context: at most its length and K */
	a = xmalloc((size_t)(longest < K ? longest : K) * sizeof *a);
	if (m->lmax && !markov) {
		ctx = xmalloc(checked_size((size_t)longest, sizeof *ctx));
		probs = xmalloc(2 * (size_t)K * sizeof *probs);
		work = probs + K;
	}
	for (long s = 0; s < cp->nseq; s++) {
		const struct sequence *q = &cp->seq[s];
		const int *x = cp->tok + q->off;

		context_reset(&c);
		for (int t = 0; t < q->L; t++)
			context_push(&c, x[t]);
		for (int t = q->L; t < q->L + q->T; t++, n++) {
			int i = x[t - 1], y = x[t];

			if (markov)
				p[n] = covered(ccmc_base(m, i, y));
			else if (ctx) {
				/* positional weights: the general formula */
				context_tokens(&c, ctx);
				ccmc_probs(m, ctx, c.len, probs, work);
				p[n] = context_count(&c, y) ? covered(probs[y]) : 0;
			} else
				p[n] = covered(ccmc_step(m, &c, i, y, a));
			if (u)
				u[n] = unigram[y];
			context_push(&c, y);
		}
	}
	context_free(&c);
	free(ctx);
	free(probs);
	free(a);
}

/* d/dw of the mixed log-likelihood; decreasing in w (it is concave). */
static double
slope(const double *p, const double *u, long n, double w)
{
	double d = 0;

	for (long s = 0; s < n; s++)
		d += (u[s] - p[s]) / ((1 - w) * p[s] + w * u[s]);
	return d;
}

double
score_fit_mix(const double *p, const double *u, long n)
{
	double lo = 0, hi = 1;
	int uncovered = 0;

	for (long s = 0; s < n && !uncovered; s++)
		uncovered = p[s] <= 0;
	if (!uncovered && slope(p, u, n, 0) <= 0)
		return 0;
	if (slope(p, u, n, 1) >= 0)
		return 1;
	/* bisection on the slope, to the last bits of w */
	while (hi - lo > 1e-15) {
		double mid = 0.5 * (lo + hi);

		if (mid <= lo || mid >= hi)
			break;
		if (slope(p, u, n, mid) > 0)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

void
score_sum(const double *p, const double *u, long n, double mix,
    struct score_sum *o)
{
	memset(o, 0, sizeof *o);
	o->steps = n;
	for (long s = 0; s < n; s++) {
		if (p[s] > 0) {
			o->covered++;
			o->loglik += log(p[s]);
		}
		if (u) {
			o->mixed_loglik += log((1 - mix) * p[s] + mix * u[s]);
			o->unigram_loglik += log(u[s]);
		}
	}
}

void
scored_model_read(struct scored_model *s, const char *path, int window,
    double mix)
{
	char *files[1] = { (char *)path };
	struct input in;
	json_t *rec;
	const char *type;

	input_open(&in, 1, files);
	if (!(rec = input_record(&in)))
		input_fail(&in, "no model record");
	type = record_type(rec);
	if (strcmp(type, "ccmc") != 0 && strcmp(type, "attn-model") != 0) {
		char first[48];

		snprintf(first, sizeof first, "%.40s", type);
		json_decref(rec);
		input_fail(&in, "--eval needs a ccmc or attn-model record, not "
		    "\"%s\"", first);
	}
	parse(s, &in, rec, window, mix, 0);
	json_decref(rec);
	input_no_stray_row(&in);
	input_close(&in);
}

static void
parse(struct scored_model *s, struct input *in, json_t *rec, int window,
    double mix, int keep)
{
	json_t *x;
	const char *chain;

	memset(s, 0, sizeof *s);
	ccmc_read(in, rec, &s->m, keep ? CCMC_KEEP_ROWS : 0);
	chain = json_string_value(json_object_get(s->m.meta, "chain"));
	s->markov = chain && strcmp(chain, "markov") == 0;
	x = json_object_get(s->m.meta, "window");
	if (window == 0 && json_is_integer(x)) {
		json_int_t w = json_integer_value(x);

		if (w < 0 || w > MAX_PROMPT)
			input_fail(in, "meta.window %" JSON_INTEGER_FORMAT " is out "
			    "of range [0, %ld]", w, MAX_PROMPT);
		s->window = (int)w;
	} else if (window == 0 && x && !json_is_null(x))
		input_fail(in, "meta.window must be an integer or null");
	else
		s->window = window > 0 ? window : 0;
	if ((x = json_object_get(rec, "unigram")) && !json_is_null(x)) {
		double sum = 0;

		if (!json_is_array(x) || json_array_size(x) != (size_t)s->m.K)
			input_fail(in, "\"unigram\" must be an array of K = %d "
			    "numbers", s->m.K);
		s->unigram = xmalloc((size_t)s->m.K * sizeof *s->unigram);
		for (int j = 0; j < s->m.K; j++) {
			json_t *v = json_array_get(x, (size_t)j);

			if (!json_is_number(v) || !(json_number_value(v) > 0) ||
			    !isfinite(json_number_value(v)))
				input_fail(in, "unigram[%d] is not a positive number", j);
			sum += s->unigram[j] = json_number_value(v);
		}
		if (fabs(sum - 1) > 1e-9)
			input_fail(in, "the unigram sums to %.17g, not 1", sum);
	}
	s->mix = -1;
	if (mix >= 0) {
		s->mix = mix;
		s->mix_from = "--mix";
	} else if ((x = json_object_get(rec, "mix")) && !json_is_null(x)) {
		s->mix = field_double(in, rec, "mix");
		if (s->mix < 0 || s->mix > 1)
			input_fail(in, "mix %.17g is not in [0, 1]", s->mix);
		s->mix_from = "model";
	} else if (s->markov) {
		s->mix = 0;
		s->mix_from = "none: a chain covers every step";
	}
	if (s->mix >= 0 && !s->unigram)
		input_fail(in, "a mixing weight but no \"unigram\" to mix in");
}

void
scored_model_parse(struct scored_model *s, struct input *in, json_t *rec,
    int window, double mix)
{
	parse(s, in, rec, window, mix, 1);
}

void
scored_model_free(struct scored_model *s)
{
	free(s->unigram);
	ccmc_free(&s->m);
}
