#include "layerdist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "sampleset.h"
#include "stream.h"
#include "util.h"

/* sum |p - q| / 2, and p's mass off the prompt (flags: 1 on it). */
static double
tv(const double *p, const double *q, int K, const char *on, double *out)
{
	double s = 0;

	*out = 0;
	for (int k = 0; k < K; k++) {
		s += fabs(p[k] - q[k]);
		if (!on[k])
			*out += p[k];
	}
	return s / 2;
}

/* Scratch for attn_law and ccmc_probs (K doubles) on each of n prompts
 * of len[s] tokens. */
static double *
scratch(const struct attn_model *m, long n, const int *len)
{
	size_t nwork = (size_t)m->K;

	for (long s = 0; s < n; s++)
		if (model_work_size(m, len[s]) > nwork)
			nwork = model_work_size(m, len[s]);
	return xmalloc(checked_size(nwork, sizeof(double)));
}

void
layer_distance(const struct attn_model *m, const struct ccmc *c, long n,
    int *const *tok, const int *len, struct layer_distance *r)
{
	int K = m->K;
	double *p = xmalloc(2 * (size_t)K * sizeof *p), *q = p + K;
	double *work = scratch(m, n, len), sum = 0, sumout = 0;
	char *on = xcalloc((size_t)K, 1);

	memset(r, 0, sizeof *r);
	r->prompts = n;
	for (long s = 0; s < n; s++) {
		double d, out;

		attn_law(m, tok[s], len[s], p, work);
		ccmc_probs(c, tok[s], len[s], q, work);
		for (int t = 0; t < len[s]; t++)
			on[tok[s][t]] = 1;
		d = tv(p, q, K, on, &out);
		for (int t = 0; t < len[s]; t++)
			on[tok[s][t]] = 0;
		if (s == 0 || d > r->max_tv) {
			r->max_tv = d;
			r->worst = s;
		}
		r->max_out = fmax(r->max_out, out);
		sum += d;
		sumout += out;
	}
	r->mean_tv = n ? sum / n : 0;
	r->mean_out = n ? sumout / n : 0;
	free(p);
	free(work);
	free(on);
}

/* The layer's laws as weighted samples: for each prompt and each distinct
 * token j of it that the layer gives probability, the sample (prompt, j)
 * at multiplicity p(j), kept in order with its query in q[] and w[]. */
static long
law_samples(const struct attn_model *m, long n, int *const *tok,
    const int *len, struct sampleset *set, int **q, double **w)
{
	int K = m->K;
	double *p = xmalloc((size_t)K * sizeof *p), *work = scratch(m, n, len);
	char *on = xcalloc((size_t)K, 1);
	long ns = 0, cap = 0;

	for (long s = 0; s < n; s++) {
		attn_law(m, tok[s], len[s], p, work);
		for (int t = 0; t < len[s]; t++) {
			int j = tok[s][t];

			if (on[j] || !(p[j] > 0))
				continue;
			on[j] = 1;
			if (ns == cap) {
				cap = cap ? 2 * cap : 1024;
				*q = xrealloc(*q, checked_size((size_t)cap,
				    sizeof **q));
				*w = xrealloc(*w, checked_size((size_t)cap,
				    sizeof **w));
			}
			sampleset_add(set, tok[s], len[s], j, NULL);
			(*q)[ns] = tok[s][len[s] - 1];
			(*w)[ns++] = p[j];
		}
		for (int t = 0; t < len[s]; t++)
			on[tok[s][t]] = 0;
	}
	free(p);
	free(work);
	free(on);
	return ns;
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

void
layer_nearest(const struct attn_model *m, long n, int *const *tok,
    const int *len, struct ccmc *c, struct layer_fit *f)
{
	struct est_options o = EST_OPTIONS_DEFAULT;
	struct sampleset *set = sampleset_new(0);
	int K = m->K, *q = NULL;
	double *w = NULL, *mult;
	long ns = law_samples(m, n, tok, len, set, &q, &w), *at;

	/* each row's multiplicities, in the order its samples were added */
	at = xcalloc((size_t)K + 1, sizeof *at);
	for (long s = 0; s < ns; s++)
		at[q[s] + 1]++;
	for (int i = 0; i < K; i++)
		at[i + 1] += at[i];
	mult = xmalloc(((size_t)ns + 1) * sizeof *mult);
	for (long s = 0; s < ns; s++)
		mult[at[q[s]]++] = w[s];

	memset(f, 0, sizeof *f);
	f->converged = 1;
	memset(c, 0, sizeof *c);
	c->K = K;
	c->sparse = 1;
	logits_sparse(&c->lg, K, NULL);
	for (int i = 0; i < K; i++) {
		long first = i ? at[i - 1] : 0;
		struct est_row r;
		double *a;

		if (first == at[i]) {
			logits_sparse_add(&c->lg, NULL, NULL, 0, NAN);
			continue;
		}
		est_fit_row(set, K, i, mult + first, &o, 0, &r);
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
	free(q);
	free(w);
	sampleset_free(set);
}

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

/* Scratch for attn_law and ccmc_probs over every prompt of ps. */
static double *
law_work(const struct check_prompts *ps, const struct attn_model *m)
{
	return scratch(m, ps->set.n, ps->set.len);
}

/* The forward pass against the "p" the user computed in their own
 * framework, where the prompts carry one: single precision, summed over
 * a prompt, hence the bound; a larger difference is a W transposed, or
 * another layer. */
json_t *
layer_user_check(const struct check_prompts *ps, const struct attn_model *m)
{
	const struct prompt_set *set = &ps->set;
	struct input at = { .name = ps->file };
	double worst = -1, bound = fmax(1e-6, 10 * m->tol);
	double *p = xmalloc((size_t)m->K * sizeof *p), *work = law_work(ps, m);
	long where = 0, n = 0;

	for (long s = 0; s < set->n; s++) {
		double diff = 0;

		if (!ps->p[s])
			continue;
		at.line = set->line[s];
		if (ps->plen[s] != m->K)
			input_fail(&at, "\"p\" has %d entries, the model K = %d",
			    ps->plen[s], m->K);
		attn_law(m, set->tok[s], set->len[s], p, work);
		for (int k = 0; k < m->K; k++)
			diff = fmax(diff, fabs(p[k] - ps->p[s][k]));
		n++;
		if (!(diff <= worst)) {
			worst = diff;
			where = s;
		}
	}
	free(p);
	free(work);
	if (!n)
		return json_null();
	at.line = set->line[where];
	if (!(worst <= bound))
		input_fail(&at, "the forward pass and this prompt's \"p\" differ by "
		    "%.3g > %.3g: not the layer that computed p (W transposed? "
		    "\"query\":\"right\" in ccmc-records(5))", worst, bound);
	return jpack("{s:I,s:o,s:o,s:I}", "prompts", (json_int_t)n,
	    "max_abs_diff", jreal(worst), "bound", jreal(bound), "worst_line",
	    (json_int_t)set->line[where]);
}

json_t *
layer_distance_json(const struct check_prompts *ps,
    const struct attn_model *m, const struct ccmc *c, const char *why)
{
	struct layer_distance r;

	prompts_fit(ps, m);
	layer_distance(m, c, ps->set.n, ps->set.tok, ps->set.len, &r);
	return jpack("{s:b,s:o,s:s,s:I,s:f,s:f,s:I,s:f,s:f}", "exact", !why,
	    "why", why ? jstr(why) : json_null(), "to", "the CCMC of the "
	    "scores, A = E W E^T (posw from R W R^T)", "prompts",
	    (json_int_t)r.prompts, "max_tv", r.max_tv, "mean_tv", r.mean_tv,
	    "worst_line", (json_int_t)ps->set.line[r.worst], "max_off_prompt",
	    r.max_out, "mean_off_prompt", r.mean_out);
}

json_t *
layer_nearest_json(const struct check_prompts *ps, const struct attn_model *m)
{
	const struct prompt_set *set = &ps->set;
	struct layer_distance r;
	struct layer_fit f;
	struct ccmc c;

	layer_nearest(m, set->n, set->tok, set->len, &c, &f);
	layer_distance(m, &c, set->n, set->tok, set->len, &r);
	ccmc_free(&c);
	return jpack("{s:s,s:f,s:f,s:I,s:f,s:b,s:i,s:I,s:I}", "to", "the CCMC "
	    "without positions nearest the layer in Kullback-Leibler divergence "
	    "on the prompts (ours)", "max_tv", r.max_tv, "mean_tv", r.mean_tv,
	    "worst_line", (json_int_t)set->line[r.worst], "loglik", f.loglik,
	    "converged", f.converged, "iterations", f.iters, "rows",
	    (json_int_t)f.rows, "undetermined", (json_int_t)f.undetermined);
}

/* With C E^T = I + D and |C r_t| <= X the two laws differ by at most 2 X
 * per entry (alpha sums to 1), so 10 X leaves room for rounding and the
 * separation terms. */
json_t *
layer_check(const struct check_prompts *ps, const struct attn_model *m,
    const struct ccmc *c)
{
	const struct prompt_set *set = &ps->set;
	struct input at = { .name = ps->file };
	double *p = xmalloc(2 * (size_t)m->K * sizeof *p), *q = p + m->K;
	double *work, worst = 0, bound = fmax(1e-9, 10 * m->tol);
	long where = 0;
	json_t *user;

	prompts_fit(ps, m);
	work = law_work(ps, m);
	for (long s = 0; s < set->n; s++) {
		double diff = 0;

		attn_law(m, set->tok[s], set->len[s], p, work);
		ccmc_probs(c, set->tok[s], set->len[s], q, work);
		for (int k = 0; k < m->K; k++)
			diff = fmax(diff, fabs(p[k] - q[k]));
		if (isnan(diff))
			diff = INFINITY;
		if (diff <= worst)
			continue;
		worst = diff;
		where = s;
	}
	free(p);
	free(work);
	user = layer_user_check(ps, m);
	at.line = set->line[where];
	if (!(worst <= bound))
		input_fail(&at, "the forward pass and the CCMC differ by %.3g > "
		    "%.3g on this prompt: the model has no exact CCMC here",
		    worst, bound);
	return jpack("{s:I,s:o,s:o,s:I,s:o}", "prompts", (json_int_t)set->n,
	    "max_abs_diff", jreal(worst), "bound", jreal(bound), "worst_line",
	    (json_int_t)set->line[where], "user", user);
}
