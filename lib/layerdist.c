#include "layerdist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "sampleset.h"
#include "stream.h"
#include "util.h"

/* ---- the prompts of attn-to-ccmc --check, and its reports ---- */

/* A prompt record's "p": probabilities the user computed elsewhere. */
static void
user_p(struct check_prompts *ps, long s, const struct input *in,
    json_t *rec)
{
	json_t *a = json_object_get(rec, "p"), *v;
	size_t i;

	ps->p[s] = NULL;
	ps->plen[s] = 0;
	if (!a)
		return;
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > MAX_MODEL_VOCAB)
		input_fail(in, "\"p\" must be an array of K probabilities");
	ps->p[s] = xmalloc(json_array_size(a) * sizeof **ps->p);
	json_array_foreach(a, i, v) {
		double x = json_number_value(v);

		if (!json_is_number(v) || !(x >= 0 && x <= 1))
			input_fail(in, "\"p\"[%zu] is not a probability", i);
		ps->p[s][i] = x;
	}
	ps->plen[s] = (int)json_array_size(a);
}

void
check_prompts_read(struct check_prompts *ps, char *file)
{
	struct input in;
	json_t *rec;

	memset(ps, 0, sizeof *ps);
	ps->file = file;
	input_open(&in, 1, &file);
	while ((rec = input_record(&in))) {
		int *t, L;

		if (strcmp(record_type(rec), "prompt") != 0)
			input_fail(&in, "--check needs prompt records, not \"%.40s\"",
			    record_type(rec));
		t = field_tokens(&in, rec, "prompt", MAX_VOCAB, NULL, &L);
		if (L == 0) {
			free(t);
			input_fail(&in, "empty prompt");
		}
		prompt_set_add(&ps->set, t, L, in.line);
		if (ps->pcap < ps->set.cap) {
			ps->pcap = ps->set.cap;
			ps->p = xrealloc(ps->p, (size_t)ps->pcap * sizeof *ps->p);
			ps->plen = xrealloc(ps->plen, (size_t)ps->pcap *
			    sizeof *ps->plen);
		}
		user_p(ps, ps->set.n - 1, &in, rec);
		json_decref(rec);
	}
	if (ps->set.n == 0)
		input_fail(&in, "no prompt record to --check on");
	input_close(&in);
}

void
check_prompts_free(struct check_prompts *ps)
{
	for (long s = 0; s < ps->set.n; s++)
		free(ps->p[s]);
	free(ps->p);
	free(ps->plen);
	prompt_set_free(&ps->set);
}

/* Every prompt within the model: tokens below K, at most LMAX of them. */
static void
prompts_fit(const struct check_prompts *ps, const struct attn_model *m)
{
	const struct prompt_set *set = &ps->set;
	struct input at = { .name = ps->file };

	for (long s = 0; s < set->n; s++) {
		at.line = set->line[s];
		for (int k = 0; k < set->len[s]; k++)
			if (set->tok[s][k] >= m->K)
				input_fail(&at, "token %d out of range (K = %d)",
				    set->tok[s][k], m->K);
		if (m->lmax && set->len[s] > m->lmax)
			input_fail(&at, "prompt of %d tokens is longer than the "
			    "model's LMAX %d", set->len[s], m->lmax);
	}
}

/* ---- the layer's law on the prompts, computed once ---- */

/* The layer's law on each prompt where a CCMC can put mass, the prompt's
 * distinct tokens, and what it puts elsewhere: a CCMC's law is 0 off its
 * prompt, so this is all any measure below asks of the forward pass,
 * which runs once per prompt (O(K d)) and is kept in O(L). */
struct laws {
	long   *start;     /* prompt s: entries start[s] .. start[s + 1] */
	int    *tok;       /* its distinct tokens, in order of first place */
	double *p;         /* the layer's probability of each */
	double *out;       /* per prompt: its mass off the prompt */
	double *out_max;   /* and its largest probability there */
	double *user;      /* max |law - the record's "p"|, or -1: none */
};

/* Prompt s's law p (K) against its record's "p", if it has one. */
static double
user_diff(const struct check_prompts *ps, long s, int K, const double *p)
{
	struct input at = { .name = ps->file, .line = ps->set.line[s] };
	double diff = 0;

	if (!ps->p[s])
		return -1;
	if (ps->plen[s] != K)
		input_fail(&at, "\"p\" has %d entries, the model K = %d",
		    ps->plen[s], K);
	for (int k = 0; k < K; k++)
		diff = fmax(diff, fabs(p[k] - ps->p[s][k]));
	return diff;
}

static void
laws_compute(struct laws *w, const struct check_prompts *ps,
    const struct attn_model *m)
{
	const struct prompt_set *set = &ps->set;
	int K = m->K;
	size_t nwork = (size_t)K, total = 0;
	double *p = xmalloc((size_t)K * sizeof *p), *work;
	char *on = xcalloc((size_t)K, 1);
	long e = 0;

	prompts_fit(ps, m);
	for (long s = 0; s < set->n; s++) {
		total += (size_t)set->len[s];
		if (model_work_size(m, set->len[s]) > nwork)
			nwork = model_work_size(m, set->len[s]);
	}
	work = xmalloc(checked_size(nwork, sizeof *work));
	w->start = xmalloc(((size_t)set->n + 1) * sizeof *w->start);
	w->tok = xmalloc(checked_size(total, sizeof *w->tok));
	w->p = xmalloc(checked_size(total, sizeof *w->p));
	w->out = xcalloc(3 * (size_t)set->n, sizeof *w->out);
	w->out_max = w->out + set->n;
	w->user = w->out_max + set->n;
	for (long s = 0; s < set->n; s++) {
		attn_law(m, set->tok[s], set->len[s], p, work);
		w->user[s] = user_diff(ps, s, K, p);
		w->start[s] = e;
		for (int t = 0; t < set->len[s]; t++) {
			int j = set->tok[s][t];

			if (on[j])
				continue;
			on[j] = 1;
			w->tok[e] = j;
			w->p[e++] = p[j];
		}
		for (int k = 0; k < K; k++)
			if (!on[k]) {
				w->out[s] += p[k];
				w->out_max[s] = fmax(w->out_max[s], p[k]);
			}
		for (long l = w->start[s]; l < e; l++)
			on[w->tok[l]] = 0;
	}
	w->start[set->n] = e;
	free(p);
	free(work);
	free(on);
}

static void
laws_free(struct laws *w)
{
	free(w->start);
	free(w->tok);
	free(w->p);
	free(w->out);
}

/* ---- how far the layer is from a CCMC ---- */

struct distance {
	double  max_tv, mean_tv;     /* from the CCMC */
	long    worst;               /* the prompt of max_tv */
	double  max_out, mean_out;   /* the layer's mass off the prompt */
	double  max_diff;            /* the largest |law - CCMC| of an entry */
	long    worst_diff;          /* its prompt */
};

/* The layer's laws w on the prompts of set against the CCMC c. */
static void
distance(const struct laws *w, const struct prompt_set *set,
    const struct ccmc *c, struct distance *r)
{
	double *q = xmalloc(2 * (size_t)c->K * sizeof *q), *work = q + c->K;
	double sum = 0, sumout = 0;

	memset(r, 0, sizeof *r);
	for (long s = 0; s < set->n; s++) {
		double tv = w->out[s], diff = w->out_max[s];

		ccmc_probs(c, set->tok[s], set->len[s], q, work);
		for (long e = w->start[s]; e < w->start[s + 1]; e++) {
			double a = fabs(w->p[e] - q[w->tok[e]]);

			tv += a;
			diff = fmax(diff, a);
			if (isnan(a))
				diff = tv = INFINITY;
		}
		tv /= 2;
		if (s == 0 || tv > r->max_tv) {
			r->max_tv = tv;
			r->worst = s;
		}
		if (diff > r->max_diff) {
			r->max_diff = diff;
			r->worst_diff = s;
		}
		r->max_out = fmax(r->max_out, w->out[s]);
		sum += tv;
		sumout += w->out[s];
	}
	r->mean_tv = set->n ? sum / set->n : 0;
	r->mean_out = set->n ? sumout / set->n : 0;
	free(q);
}

struct layer_fit {
	double  loglik;      /* the objective above, at the fit */
	int     converged;   /* every row */
	int     iters;       /* most Newton iterations of a row */
	long    rows;        /* query rows fitted */
	long    undetermined;  /* logits the fit leaves free (a token the
	                        * layer gives probability 0 beside others
	                        * it also does), set to 0 */
};

/* The layer's laws as weighted samples: for each prompt and each distinct
 * token j of it that the layer gives probability, the sample (prompt, j)
 * at multiplicity p(j), grouped by query row (at[i] .. at[i + 1]) in
 * prompt order; returns the multiplicities. */
static double *
law_samples(const struct laws *w, const struct prompt_set *set, int K,
    struct sampleset *samples, long **at)
{
	long n = w->start[set->n], *next;
	double *mult = xmalloc(((size_t)n + 1) * sizeof *mult);

	*at = xcalloc((size_t)K + 1, sizeof **at);
	for (long s = 0; s < set->n; s++)
		for (long e = w->start[s]; e < w->start[s + 1]; e++)
			(*at)[set->tok[s][set->len[s] - 1] + 1] += w->p[e] > 0;
	for (int i = 0; i < K; i++)
		(*at)[i + 1] += (*at)[i];
	next = xmalloc(((size_t)K + 1) * sizeof *next);
	memcpy(next, *at, ((size_t)K + 1) * sizeof *next);
	for (long s = 0; s < set->n; s++)
		for (long e = w->start[s]; e < w->start[s + 1]; e++) {
			if (!(w->p[e] > 0))
				continue;
			sampleset_add(samples, set->tok[s], set->len[s],
			    w->tok[e], NULL);
			mult[next[set->tok[s][set->len[s] - 1]]++] = w->p[e];
		}
	free(next);
	return mult;
}

/* Row r's logits for the CCMC: the log of its conditionals, which on any
 * prompt of the row give the fitted law (a prompt's tokens share a
 * component); 0 where the fit leaves them free.  A token the fit sinks
 * (conditional 0: the layer gives it nothing beside tokens it does give
 * some) goes 800 below the row's lowest other logit: exp underflows to
 * exactly 0 there, so the law is the fit's wherever the token has company,
 * and still defined on a prompt of sunk tokens alone, where -infinity
 * would leave 0 / 0. */
static void
row_logits(const struct est_row *r, double *a, long *free_logits)
{
	double low = 0;

	for (int l = 0; l < r->m; l++) {
		a[l] = log(r->cond[l]);
		if (isnan(a[l])) {
			a[l] = 0;
			(*free_logits)++;
		}
		if (isfinite(a[l]))
			low = fmin(low, a[l]);
	}
	for (int l = 0; l < r->m; l++)
		if (isinf(a[l]))
			a[l] = low - 800;
}

/* The CCMC nearest the layer on the prompts, into c (sparse logits: each
 * query row lists the tokens of its prompts). */
static void
nearest(const struct laws *w, const struct prompt_set *set, int K,
    struct ccmc *c, struct layer_fit *f)
{
	struct est_options o = EST_OPTIONS_DEFAULT;
	struct sampleset *samples = sampleset_new(0);
	long *at;
	double *mult = law_samples(w, set, K, samples, &at);

	memset(f, 0, sizeof *f);
	f->converged = 1;
	memset(c, 0, sizeof *c);
	c->K = K;
	c->sparse = 1;
	logits_sparse(&c->lg, K, NULL);
	for (int i = 0; i < K; i++) {
		struct est_row r;
		double *a;

		if (at[i] == at[i + 1]) {
			logits_sparse_add(&c->lg, NULL, NULL, 0, NAN);
			continue;
		}
		est_fit_row(samples, K, i, mult + at[i], &o, 0, &r);
		a = xmalloc((size_t)r.m * sizeof *a);
		row_logits(&r, a, &f->undetermined);
		logits_sparse_add(&c->lg, r.tok, a, r.m, NAN);
		f->loglik += r.loglik;
		f->converged &= r.converged;
		f->iters = r.iters > f->iters ? r.iters : f->iters;
		f->rows++;
		free(a);
		est_row_free(&r);
	}
	free(at);
	free(mult);
	sampleset_free(samples);
}

/* ---- the reports ---- */

/* "user": the forward pass against the "p" the user computed in their
 * own framework, where the prompts carry one: single precision, summed
 * over a prompt, hence the bound; a larger difference is a W transposed,
 * or another layer. */
static json_t *
user_json(const struct laws *w, const struct check_prompts *ps,
    const struct attn_model *m)
{
	struct input at = { .name = ps->file };
	double worst = -1, bound = fmax(1e-6, 10 * m->tol);
	long where = 0, n = 0;

	for (long s = 0; s < ps->set.n; s++) {
		if (w->user[s] < 0)
			continue;
		n++;
		if (!(w->user[s] <= worst)) {
			worst = w->user[s];
			where = s;
		}
	}
	if (!n)
		return json_null();
	at.line = ps->set.line[where];
	if (!(worst <= bound))
		input_fail(&at, "the forward pass and this prompt's \"p\" differ by "
		    "%.3g > %.3g: not the layer that computed p (W transposed? "
		    "\"query\":\"right\" in ccmc-records(5))", worst, bound);
	return jpack("{s:I,s:o,s:o,s:I}", "prompts", (json_int_t)n,
	    "max_abs_diff", jreal(worst), "bound", jreal(bound), "worst_line",
	    (json_int_t)ps->set.line[where]);
}

/* "check": with C E^T = I + D and |C r_t| <= X the two laws differ by at
 * most 2 X per entry (alpha sums to 1), so 10 X leaves room for rounding
 * and the separation terms. */
static json_t *
check_json(const struct distance *r, const struct check_prompts *ps,
    const struct attn_model *m, json_t *user)
{
	struct input at = { .name = ps->file };
	double bound = fmax(1e-9, 10 * m->tol);

	at.line = ps->set.line[r->worst_diff];
	if (!(r->max_diff <= bound))
		input_fail(&at, "the forward pass and the CCMC differ by %.3g > "
		    "%.3g on this prompt: the model has no exact CCMC here",
		    r->max_diff, bound);
	return jpack("{s:I,s:o,s:o,s:I,s:o}", "prompts", (json_int_t)ps->set.n,
	    "max_abs_diff", jreal(r->max_diff), "bound", jreal(bound),
	    "worst_line", (json_int_t)at.line, "user", user);
}

static json_t *
distance_json(const struct distance *r, const struct check_prompts *ps,
    const char *why)
{
	return jpack("{s:b,s:o,s:s,s:I,s:f,s:f,s:I,s:f,s:f}", "exact", !why,
	    "why", why ? jstr(why) : json_null(), "to", "the CCMC of the "
	    "scores, A = E W E^T (posw from R W R^T)", "prompts",
	    (json_int_t)ps->set.n, "max_tv", r->max_tv, "mean_tv", r->mean_tv,
	    "worst_line", (json_int_t)ps->set.line[r->worst], "max_off_prompt",
	    r->max_out, "mean_off_prompt", r->mean_out);
}

static json_t *
nearest_json(const struct laws *w, const struct prompt_set *set, int K)
{
	struct distance r;
	struct layer_fit f;
	struct ccmc c;

	nearest(w, set, K, &c, &f);
	distance(w, set, &c, &r);
	ccmc_free(&c);
	return jpack("{s:s,s:f,s:f,s:I,s:f,s:b,s:i,s:I,s:I}", "to", "the CCMC "
	    "without positions nearest the layer in Kullback-Leibler divergence "
	    "on the prompts (ours)", "max_tv", r.max_tv, "mean_tv", r.mean_tv,
	    "worst_line", (json_int_t)set->line[r.worst], "loglik", f.loglik,
	    "converged", f.converged, "iterations", f.iters, "rows",
	    (json_int_t)f.rows, "undetermined", (json_int_t)f.undetermined);
}

void
layer_report(const struct check_prompts *ps, const struct attn_model *m,
    const struct ccmc *c, const char *why, json_t *extra)
{
	struct laws w;
	struct distance r;
	json_t *user, *d;

	laws_compute(&w, ps, m);
	distance(&w, &ps->set, c, &r);
	user = user_json(&w, ps, m);
	d = distance_json(&r, ps, why);
	if (why) {
		jset(d, "nearest", nearest_json(&w, &ps->set, m->K));
		jset(d, "user", user);
	} else
		jset(extra, "check", check_json(&r, ps, m, user));
	jset(extra, "distance", d);
	laws_free(&w);
}
