/*
 * traj-stats: measure trajectories (winner sets, collapse time, curves,
 * repetition) and, when a model is at hand, set them against the winner
 * sets the mean field predicts (THEORY.md sections 5-6).
 */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ccmc.h"
#include "meanfield.h"
#include "model.h"
#include "rng.h"
#include "stream.h"
#include "trajstats.h"
#include "util.h"
#include "vocab.h"

static const char usage[] =
"usage: traj-stats [--summary] [--text] [--model FILE] [--window W] [--eps E]\n"
"                  [--from F] [--gamma G] [--min-count N] [--points N]\n"
"                  [--starts N] [--horizon TAU] [--seed S] [--progress]\n"
"                  [file ...]\n";

static const char help[] =
"Read trajectory records (or plain text with --text) and write one\n"
"traj-stats record per trajectory: final counts, winner sets by a window\n"
"rule and a growth rule, collapse time, curves at log-spaced steps and\n"
"repetition measures.  With an attn-model or ccmc record in the stream (or\n"
"--model), also the winner sets the mean field predicts from the prompt.\n"
"\n"
"  --summary        one record over all trajectories instead\n"
"  --text           input is text: one document per line, tokens split at\n"
"                   white space, ids in order of first appearance\n"
"  --model FILE     attn-model or ccmc record for predictions\n"
"  --window W       window of the window rule and of collapse (default 1000)\n"
"  --eps E          winners hold >= 1 - E of a window (default 0.05)\n"
"  --from F         growth rule compares counts at F*T and T (default 0.1)\n"
"  --gamma G        growth winners have exponent >= G (default 0.9)\n"
"  --min-count N    and >= N occurrences after F*T (default 10)\n"
"  --points N       curve checkpoints per decade of steps (default 10)\n"
"  --starts N       random starting points of the mean field (default 32)\n"
"  --horizon TAU    give a mean-field flow up at this log-time (default 5000)\n"
"  --seed S         seed of those starts (default 1)\n"
"  --progress       show progress on stderr\n"
"  -h, --help       this text;  --version  the version\n";

struct options {
	struct ts_opts ts;
	int      summary, text, starts, progress;
	double   horizon;
	uint64_t seed;
};

/* What the predictions need: the chain, and the attractors of each support
 * seen so far (many trajectories share a prompt's token set). */
struct predictor {
	int     have;
	struct ccmc chain;
	int     ncache;
	struct mf_problem *pb;
	struct mf_set *set;
};

struct verdict {               /* observed winner set vs predicted */
	int judged, in_attractors, from_prompt;
};

/* Running totals for --summary. */
struct curve_point {
	long   t, n, nshare;
	double top1, share, entropy;
};

struct summary {
	long   trajectories, growth_undefined, collapsed;
	long   *size_window, *size_growth;   /* histograms by set size */
	int    maxsize;
	long   *collapse;                     /* collapse times */
	long   ncollapse_cap;
	struct curve_point *curve;
	long   ncurve;
	double rep[2 * TS_NGRAMS + TS_NREP];
	long   nrep[2 * TS_NGRAMS + TS_NREP];
	long   predicted;
	struct verdict rule[2];        /* totals by rule: window, growth */
};

/* ---- output helpers ---- */

static void
out_number_or_null(double v)
{
	if (isnan(v))
		out_str("null");
	else
		out_double(v);
}

static void
out_rate(long k, long n)
{
	if (n)
		out_double((double)k / (double)n);
	else
		out_str("null");
}

static void
out_bool(int b)
{
	out_str(b ? "true" : "false");
}

/* The tokens of r flagged in mask, ascending. */
static int
set_of(const struct ts_result *r, const int *mask, int *set)
{
	int n = 0;

	for (int k = 0; k < r->nsym; k++)
		if (mask[k])
			set[n++] = r->sym[k];
	for (int i = 1; i < n; i++)            /* insertion sort: sets are small */
		for (int j = i; j > 0 && set[j - 1] > set[j]; j--) {
			int x = set[j];

			set[j] = set[j - 1];
			set[j - 1] = x;
		}
	return n;
}

static int
same_set(const int *a, int na, const int *b, int nb)
{
	return na == nb && memcmp(a, b, (size_t)na * sizeof *a) == 0;
}

static void
out_repetition(const struct ts_result *r)
{
	char key[32];

	out_char('{');
	for (int n = 1; n <= TS_NGRAMS; n++) {
		snprintf(key, sizeof key, "%s\"seq_rep_%d\":", n > 1 ? "," : "", n);
		out_str(key);
		out_number_or_null(r->seq_rep[n - 1]);
		snprintf(key, sizeof key, ",\"distinct_%d\":", n);
		out_str(key);
		out_number_or_null(r->distinct_n[n - 1]);
	}
	for (int k = 0; k < TS_NREP; k++) {
		snprintf(key, sizeof key, ",\"rep_%d\":", ts_rep_lengths[k]);
		out_str(key);
		out_number_or_null(r->rep[k]);
	}
	out_char('}');
}

static void
out_point(const struct mf_point *p, const struct vocab *v)
{
	out_str("{\"tokens\":");
	out_tokens(p->tokens, p->n, v);
	out_str(",\"f\":");
	out_doubles(p->f, p->n);
}

/* ---- prediction ---- */

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void
predictor_reset(struct predictor *pr)
{
	for (int i = 0; i < pr->ncache; i++) {
		mf_problem_free(&pr->pb[i]);
		mf_set_free(&pr->set[i]);
	}
	free(pr->pb);
	free(pr->set);
	pr->pb = NULL;
	pr->set = NULL;
	pr->ncache = 0;
	if (pr->have)
		ccmc_free(&pr->chain);
	pr->have = 0;
}

/* The problem and attractors of the prompt's token set, cached. */
static int
attractors_of(struct predictor *pr, const int *prompt, long L,
    const struct options *o)
{
	int *support = xmalloc((size_t)L * sizeof *support), n = 0;
	int i;

	memcpy(support, prompt, (size_t)L * sizeof *support);
	qsort(support, (size_t)L, sizeof *support, cmp_int);
	for (long k = 0; k < L; k++)
		if (n == 0 || support[k] != support[n - 1])
			support[n++] = support[k];
	for (i = 0; i < pr->ncache; i++)
		if (same_set(pr->pb[i].tokens, pr->pb[i].n, support, n))
			break;
	if (i == pr->ncache) {
		pr->pb = xrealloc(pr->pb, (size_t)(i + 1) * sizeof *pr->pb);
		pr->set = xrealloc(pr->set, (size_t)(i + 1) * sizeof *pr->set);
		mf_problem_init(&pr->pb[i], pr->chain.P, pr->chain.K, support, n);
		pr->pb[i].horizon = o->horizon;
		mf_attractors(&pr->pb[i], o->starts, o->seed, &pr->set[i]);
		pr->ncache++;
	}
	free(support);
	return i;
}

static const char *
status_name(int status)
{
	return status == MF_STABLE ? "stable" :
	    status == MF_UNSTABLE ? "unstable" :
	    status == MF_CYCLING ? "cycling" : "unconverged";
}

/* What the mean field says about one trajectory, and how its observed
 * winner sets (by rule: window, growth) compare. */
struct prediction {
	const struct mf_problem *pb;
	const struct mf_set *set;
	struct mf_point lim;           /* limit from the prompt's frequencies */
	int    status;
	int    extra;                  /* lim is stable and the starts missed it */
	struct verdict rule[2];
};

static const char *rule_name[2] = { "window", "growth" };

static void
predict(struct predictor *pr, const int *prompt, long L,
    const struct ts_result *r, const struct options *o, struct prediction *p)
{
	int i = attractors_of(pr, prompt, L, o), nobs;
	double *f0;
	int *obs = xmalloc((size_t)(r->nsym ? r->nsym : 1) * sizeof *obs);
	const int *masks[2] = { r->winner_window, r->winner_growth };

	memset(p, 0, sizeof *p);
	p->pb = &pr->pb[i];
	p->set = &pr->set[i];
	f0 = xcalloc((size_t)p->pb->n, sizeof *f0);
	for (long k = 0; k < L; k++) {
		int *at = bsearch(&prompt[k], p->pb->tokens, (size_t)p->pb->n,
		    sizeof *p->pb->tokens, cmp_int);

		f0[at - p->pb->tokens] += 1.0 / (double)L;
	}
	p->status = mf_limit(p->pb, f0, o->seed, &p->lim);
	p->extra = p->status == MF_STABLE && mf_find(p->set, &p->lim) < 0;
	for (int k = 0; k < 2; k++) {
		struct verdict *v = &p->rule[k];

		if (!masks[k])
			continue;
		nobs = set_of(r, masks[k], obs);
		v->judged = 1;
		for (int a = 0; a < p->set->count; a++)
			v->in_attractors |= same_set(obs, nobs, p->set->a[a].tokens,
			    p->set->a[a].n);
		v->from_prompt = p->status == MF_STABLE &&
		    same_set(obs, nobs, p->lim.tokens, p->lim.n);
		v->in_attractors |= p->extra && v->from_prompt;
	}
	free(obs);
	free(f0);
}

static void
write_prediction(const struct prediction *p, const struct vocab *v)
{
	const struct mf_set *set = p->set;

	out_str(",\"prediction\":{\"support\":");
	out_tokens(p->pb->tokens, p->pb->n, v);
	out_str(",\"attractors\":[");
	for (int a = 0; a < set->count; a++) {
		if (a)
			out_char(',');
		out_point(&set->a[a], v);
		out_str(",\"basin\":");
		out_double(set->a[a].basin);
		out_char('}');
	}
	if (p->extra) {
		if (set->count)
			out_char(',');
		out_point(&p->lim, v);
		out_str(",\"basin\":0}");
	}
	out_str("],\"starts\":");
	out_long(set->starts);
	out_str(",\"unresolved\":");
	out_long(set->unresolved);
	out_str(",\"cycling\":");
	out_long(set->cycling);
	out_str(",\"from_prompt\":");
	out_point(&p->lim, v);
	out_str(",\"status\":\"");
	out_str(status_name(p->status));
	out_str("\",\"rates\":[");
	for (int a = 0; a < p->pb->n; a++) {
		if (a)
			out_char(',');
		out_number_or_null(p->lim.c[a]);
	}
	out_str("]}");
	for (int k = 0; k < 2; k++) {
		out_str(",\"");
		out_str(rule_name[k]);
		out_str("\":");
		if (!p->rule[k].judged) {
			out_str("null");
			continue;
		}
		out_str("{\"in_attractors\":");
		out_bool(p->rule[k].in_attractors);
		out_str(",\"from_prompt\":");
		out_bool(p->rule[k].from_prompt);
		out_char('}');
	}
	out_char('}');
}

/* ---- one trajectory ---- */

static void
write_stats(long index, const struct ts_result *r, const struct vocab *v)
{
	int *set = xmalloc((size_t)(r->nsym ? r->nsym : 1) * sizeof *set);
	int n;

	out_str("{\"type\":\"traj-stats\",\"index\":");
	out_long(index);
	out_str(",\"prompt_length\":");
	out_long(r->L);
	out_str(",\"length\":");
	out_long(r->T);
	out_str(",\"distinct\":");
	out_long(r->distinct);
	out_str(",\"distinct_context\":");
	out_long(r->nsym);
	out_str(",\"final\":{\"tokens\":");
	out_tokens(r->sym, r->nsym, v);
	out_str(",\"counts\":[");
	for (int k = 0; k < r->nsym; k++) {
		if (k)
			out_char(',');
		out_long(r->count[k]);
	}
	out_str("],\"freq\":[");
	for (int k = 0; k < r->nsym; k++) {
		if (k)
			out_char(',');
		out_double((double)r->count[k] / (double)(r->L + r->T));
	}
	out_str("]},\"growth\":");
	if (r->winner_growth) {
		out_str("{\"from\":");
		out_long(r->t1);
		out_str(",\"to\":");
		out_long(r->T);
		out_str(",\"exponent\":[");
		for (int k = 0; k < r->nsym; k++) {
			if (k)
				out_char(',');
			out_number_or_null(r->gamma[k]);
		}
		out_str("]}");
	} else
		out_str("null");
	out_str(",\"winners\":{\"window\":");
	n = set_of(r, r->winner_window, set);
	out_tokens(set, n, v);
	out_str(",\"growth\":");
	if (r->winner_growth) {
		n = set_of(r, r->winner_growth, set);
		out_tokens(set, n, v);
	} else
		out_str("null");
	out_str("},\"collapse_time\":");
	if (r->collapse >= 0)
		out_long(r->collapse);
	else
		out_str("null");
	out_str(",\"curve\":{\"t\":[");
	for (int k = 0; k < r->npoints; k++) {
		if (k)
			out_char(',');
		out_long(r->t[k]);
	}
	out_str("],\"top1\":");
	out_doubles(r->top1, r->npoints);
	out_str(",\"winner_share\":");
	if (r->share)
		out_doubles(r->share, r->npoints);
	else
		out_str("null");
	out_str(",\"entropy\":");
	out_doubles(r->entropy, r->npoints);
	out_str("},\"repetition\":");
	out_repetition(r);
	free(set);
}

/* ---- summary ---- */

static void
histogram_add(long **h, int *max, int size)
{
	if (size >= *max) {
		int grow = size + 1;

		for (long **p = h; p < h + 2; p++) {
			*p = xrealloc(*p, (size_t)grow * sizeof **p);
			memset(*p + *max, 0, (size_t)(grow - *max) * sizeof **p);
		}
		*max = grow;
	}
}

static void
summary_add(struct summary *s, const struct ts_result *r,
    const struct verdict *rule)
{
	long *hist[2];
	double rep[2 * TS_NGRAMS + TS_NREP];

	s->trajectories++;
	hist[0] = s->size_window;
	hist[1] = s->size_growth;
	histogram_add(hist, &s->maxsize, r->n_window > r->n_growth ?
	    r->n_window : r->n_growth);
	s->size_window = hist[0];
	s->size_growth = hist[1];
	s->size_window[r->n_window]++;
	if (r->winner_growth)
		s->size_growth[r->n_growth]++;
	else
		s->growth_undefined++;
	if (r->collapse >= 0) {
		if (s->collapsed == s->ncollapse_cap) {
			s->ncollapse_cap = s->ncollapse_cap ? 2 * s->ncollapse_cap : 64;
			s->collapse = xrealloc(s->collapse,
			    (size_t)s->ncollapse_cap * sizeof *s->collapse);
		}
		s->collapse[s->collapsed++] = r->collapse;
	}
	for (int k = 0; k < r->npoints; k++) {
		long lo = 0, hi = s->ncurve;
		struct curve_point *c;

		while (lo < hi) {
			long mid = (lo + hi) / 2;

			if (s->curve[mid].t < r->t[k])
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == s->ncurve || s->curve[lo].t != r->t[k]) {
			s->curve = xrealloc(s->curve,
			    (size_t)(s->ncurve + 1) * sizeof *s->curve);
			memmove(s->curve + lo + 1, s->curve + lo,
			    (size_t)(s->ncurve - lo) * sizeof *s->curve);
			s->curve[lo] = (struct curve_point){ .t = r->t[k] };
			s->ncurve++;
		}
		c = &s->curve[lo];
		c->n++;
		c->top1 += r->top1[k];
		c->entropy += r->entropy[k];
		if (r->share) {
			c->nshare++;
			c->share += r->share[k];
		}
	}
	for (int n = 0; n < TS_NGRAMS; n++) {
		rep[2 * n] = r->seq_rep[n];
		rep[2 * n + 1] = r->distinct_n[n];
	}
	for (int k = 0; k < TS_NREP; k++)
		rep[2 * TS_NGRAMS + k] = r->rep[k];
	for (int k = 0; k < 2 * TS_NGRAMS + TS_NREP; k++)
		if (!isnan(rep[k])) {
			s->rep[k] += rep[k];
			s->nrep[k]++;
		}
	if (rule) {
		s->predicted++;
		for (int k = 0; k < 2; k++)
			if (rule[k].judged) {
				s->rule[k].judged++;
				s->rule[k].in_attractors += rule[k].in_attractors;
				s->rule[k].from_prompt += rule[k].from_prompt;
			}
	}
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static void
out_histogram(const long *h, int max)
{
	out_char('[');
	for (int k = 0; k < max; k++) {
		if (k)
			out_char(',');
		out_long(h[k]);
	}
	out_char(']');
}

static void
write_summary(struct summary *s)
{
	char key[32];

	out_str("{\"type\":\"traj-stats\",\"summary\":true,\"trajectories\":");
	out_long(s->trajectories);
	out_str(",\"winner_set_size\":{\"window\":");
	out_histogram(s->size_window, s->maxsize);
	out_str(",\"growth\":");
	out_histogram(s->size_growth, s->maxsize);
	out_str(",\"growth_undefined\":");
	out_long(s->growth_undefined);
	out_str("},\"collapsed\":");
	out_long(s->collapsed);
	out_str(",\"collapse_time\":{\"mean\":");
	if (s->collapsed) {
		double mean = 0;
		long n = s->collapsed;

		qsort(s->collapse, (size_t)n, sizeof *s->collapse, cmp_long);
		for (long k = 0; k < n; k++)
			mean += (double)s->collapse[k];
		out_double(mean / (double)n);
		out_str(",\"median\":");
		out_double(n % 2 ? (double)s->collapse[n / 2] :
		    ((double)s->collapse[n / 2 - 1] + (double)s->collapse[n / 2]) / 2);
	} else
		out_str("null,\"median\":null");
	out_str("},\"curve\":{\"t\":[");
	for (long k = 0; k < s->ncurve; k++) {
		if (k)
			out_char(',');
		out_long(s->curve[k].t);
	}
	out_str("],\"trajectories\":[");
	for (long k = 0; k < s->ncurve; k++) {
		if (k)
			out_char(',');
		out_long(s->curve[k].n);
	}
	out_str("],\"top1\":[");
	for (long k = 0; k < s->ncurve; k++) {
		if (k)
			out_char(',');
		out_double(s->curve[k].top1 / (double)s->curve[k].n);
	}
	out_str("],\"winner_share\":[");
	for (long k = 0; k < s->ncurve; k++) {
		if (k)
			out_char(',');
		if (s->curve[k].nshare)
			out_double(s->curve[k].share / (double)s->curve[k].nshare);
		else
			out_str("null");
	}
	out_str("],\"entropy\":[");
	for (long k = 0; k < s->ncurve; k++) {
		if (k)
			out_char(',');
		out_double(s->curve[k].entropy / (double)s->curve[k].n);
	}
	out_str("]},\"repetition\":{");
	for (int k = 0; k < 2 * TS_NGRAMS + TS_NREP; k++) {
		if (k < 2 * TS_NGRAMS)
			snprintf(key, sizeof key, "%s\"%s_%d\":", k ? "," : "",
			    k % 2 ? "distinct" : "seq_rep", k / 2 + 1);
		else
			snprintf(key, sizeof key, ",\"rep_%d\":",
			    ts_rep_lengths[k - 2 * TS_NGRAMS]);
		out_str(key);
		if (s->nrep[k])
			out_double(s->rep[k] / (double)s->nrep[k]);
		else
			out_str("null");
	}
	out_str("},\"prediction\":");
	if (s->predicted) {
		out_str("{\"trajectories\":");
		out_long(s->predicted);
		for (int k = 0; k < 2; k++) {
			out_str(",\"");
			out_str(rule_name[k]);
			out_str("\":{\"judged\":");
			out_long(s->rule[k].judged);
			out_str(",\"in_attractors\":");
			out_rate(s->rule[k].in_attractors, s->rule[k].judged);
			out_str(",\"from_prompt\":");
			out_rate(s->rule[k].from_prompt, s->rule[k].judged);
			out_char('}');
		}
		out_char('}');
	} else
		out_str("null");
	out_char('}');
	out_end();
	free(s->size_window);
	free(s->size_growth);
	free(s->collapse);
	free(s->curve);
}

/* ---- input ---- */

/* A model record (attn-model or ccmc) becomes the predictor's chain. */
static void
take_model(struct predictor *pr, struct input *in, json_t *rec)
{
	const char *type = record_type(rec);

	predictor_reset(pr);
	if (strcmp(type, "ccmc") == 0)
		ccmc_parse(in, rec, &pr->chain);
	else {
		struct attn_model model;
		char why[256];

		model_parse(in, rec, &model);
		if (ccmc_from_model(&model, &pr->chain, why, sizeof why) != 0)
			input_fail(in, "%s", why);
		model_free(&model);
	}
	pr->have = 1;
}

static int
is_model(json_t *rec)
{
	const char *type = record_type(rec);

	return strcmp(type, "ccmc") == 0 || strcmp(type, "attn-model") == 0;
}

/* Whether a token array holds strings; an array of both kinds has no
 * meaning without a vocabulary that names the integers. */
static int
string_tokens(const struct input *in, json_t *rec, const char *key,
    int have_vocab)
{
	json_t *a = json_object_get(rec, key), *x;
	size_t i;
	int strings = 0, ints = 0;

	json_array_foreach(a, i, x) {
		strings |= json_is_string(x);
		ints |= json_is_integer(x);
	}
	if (strings && ints && !have_vocab)
		input_fail(in, "\"%s\" mixes integer and string tokens and no ccmc "
		    "record names them", key);
	return strings;
}

/* A trajectory record's context (prompt, then tokens). */
static int *
read_trajectory(struct input *in, json_t *rec, const struct predictor *pr,
    struct vocab *words, long *L, long *T, const struct vocab **names)
{
	struct vocab *v = pr->have && pr->chain.vocab ? pr->chain.vocab : words;
	int K = pr->have ? pr->chain.K : INT_MAX, lp, lt, strings;
	int *prompt, *tokens, *ctx;

	field_get(in, rec, "prompt");
	field_get(in, rec, "tokens");
	strings = string_tokens(in, rec, "prompt", v != words) |
	    string_tokens(in, rec, "tokens", v != words);
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

/* A line of text as a trajectory with an empty prompt. */
static int *
read_text(struct input *in, struct vocab *words, long *T)
{
	size_t cap = in->len / 2 + 1 < MAX_PROMPT ? in->len / 2 + 1 : MAX_PROMPT;
	int *ctx = xmalloc(cap * sizeof *ctx);
	char *save, *w;
	long n = 0;

	for (w = strtok_r(in->buf, " \t\f\v\r", &save); w;
	    w = strtok_r(NULL, " \t\f\v\r", &save)) {
		if ((size_t)n == cap) {
			free(ctx);
			input_fail(in, "more than %ld words, the longest context",
			    MAX_PROMPT);
		}
		if ((ctx[n++] = vocab_token(words, w)) < 0) {
			free(ctx);
			input_fail(in, "more than %d distinct words", words->limit);
		}
	}
	*T = n;
	return ctx;
}

static void
progress(long n, int force)
{
	static time_t last;
	time_t now = time(NULL);

	if (force || now != last) {
		fprintf(stderr, "\r%s: %ld trajectories", progname, n);
		if (force)
			fputc('\n', stderr);
		last = now;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "summary", no_argument, NULL, 'S' },
		{ "text", no_argument, NULL, 't' },
		{ "model", required_argument, NULL, 'm' },
		{ "window", required_argument, NULL, 'w' },
		{ "eps", required_argument, NULL, 'e' },
		{ "from", required_argument, NULL, 'f' },
		{ "gamma", required_argument, NULL, 'g' },
		{ "min-count", required_argument, NULL, 'c' },
		{ "points", required_argument, NULL, 'p' },
		{ "starts", required_argument, NULL, 'n' },
		{ "horizon", required_argument, NULL, 'H' },
		{ "seed", required_argument, NULL, 's' },
		{ "progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct options o = {
		.ts = { .window = 1000, .eps = 0.05, .from = 0.1, .gamma_min = 0.9,
		    .min_count = 10, .per_decade = 10 },
		.starts = 32, .horizon = MF_HORIZON, .seed = RNG_DEFAULT_SEED,
	};
	struct predictor pr = { 0 };
	struct summary sum = { 0 };
	struct vocab *words;
	const char *model_file = NULL;
	struct input in;
	long index = 0;
	int c;

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o.summary = 1;
			break;
		case 't':
			o.text = 1;
			break;
		case 'm':
			model_file = optarg;
			break;
		case 'w':
			o.ts.window = opt_long(usage, "--window", optarg, 1, LONG_MAX);
			break;
		case 'e':
			o.ts.eps = opt_double(usage, "--eps", optarg, 0, 0.999999);
			break;
		case 'f':
			o.ts.from = opt_double(usage, "--from", optarg, 0, 0.999999);
			break;
		case 'g':
			o.ts.gamma_min = opt_double(usage, "--gamma", optarg, 0, 10);
			break;
		case 'c':
			o.ts.min_count = opt_long(usage, "--min-count", optarg, 0,
			    LONG_MAX);
			break;
		case 'p':
			o.ts.per_decade = (int)opt_long(usage, "--points", optarg, 1,
			    1000);
			break;
		case 'n':
			o.starts = (int)opt_long(usage, "--starts", optarg, 0, 100000);
			break;
		case 'H':
			o.horizon = opt_double(usage, "--horizon", optarg, 1, 1e9);
			break;
		case 's':
			o.seed = opt_seed(usage, optarg);
			break;
		case 'P':
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
	if (o.text && model_file)
		usage_error(usage, "--text takes no model: text has no token ids");
	if (!o.progress)
		o.progress = isatty(STDERR_FILENO);
	words = vocab_new(1 << 26);     /* ids of string tokens without a vocab */
	words->grow = 1;

	if (model_file) {
		json_t *rec;
		char *files[1] = { (char *)model_file };

		input_open(&in, 1, files);
		if (!(rec = input_record(&in)) || !is_model(rec)) {
			if (rec)
				json_decref(rec);
			input_fail(&in, "expected an attn-model or ccmc record");
		}
		take_model(&pr, &in, rec);
		json_decref(rec);
		input_close(&in);
	}

	input_open(&in, argc - optind, argv + optind);
	for (;;) {
		struct ts_result r;
		struct prediction pred;
		const struct vocab *names = NULL;
		json_t *rec = NULL;
		long L = 0, T;
		int *ctx, predicted;

		if (o.text) {
			if (!input_line(&in))
				break;
			ctx = read_text(&in, words, &T);
			names = words;
		} else {
			if (!(rec = input_record(&in)))
				break;
			if (is_model(rec)) {
				take_model(&pr, &in, rec);
				json_decref(rec);
				continue;
			}
			if (strcmp(record_type(rec), "trajectory") != 0) {
				json_decref(rec);
				continue;
			}
			ctx = read_trajectory(&in, rec, &pr, words, &L, &T, &names);
			json_decref(rec);
		}
		trajstats_compute(ctx, L, T, &o.ts, &r);
		if ((predicted = pr.have && L > 0))
			predict(&pr, ctx, L, &r, &o, &pred);
		if (o.summary)
			summary_add(&sum, &r, predicted ? pred.rule : NULL);
		else {
			write_stats(index, &r, names);
			if (predicted)
				write_prediction(&pred, names);
			out_char('}');
			out_end();
		}
		if (predicted)
			mf_point_free(&pred.lim);
		trajstats_free(&r);
		free(ctx);
		index++;
		if (o.progress)
			progress(index, 0);
	}
	/* Nothing to measure is most often a failed stage upstream. */
	if (index == 0)
		input_fail(&in, o.text ? "no text in the input" :
		    "no trajectory record in the input");
	if (o.summary)
		write_summary(&sum);
	if (o.progress)
		progress(index, 1);
	input_close(&in);
	predictor_reset(&pr);
	vocab_free(words);
	out_flush();
	return 0;
}
