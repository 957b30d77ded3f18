#include "ccmc.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numeric.h"
#include "util.h"
#include "vocab.h"

void
ccmc_set_logits(struct ccmc *c, const double *A)
{
	int K = c->K;

	if (!c->A)
		c->A = xmalloc(checked_size((size_t)K * K, sizeof *c->A));
	if (!c->P)
		c->P = xmalloc(checked_size((size_t)K * K, sizeof *c->P));
	for (int i = 0; i < K; i++) {
		const double *a = A + (size_t)i * K;
		double *ci = c->A + (size_t)i * K, mean = 0;

		for (int j = 0; j < K; j++)
			mean += a[j];
		mean /= K;
		for (int j = 0; j < K; j++)
			ci[j] = a[j] - mean;
		softmax(ci, c->P + (size_t)i * K, K);
	}
}

int
ccmc_from_model(const struct attn_model *m, struct ccmc *c, char *why,
    size_t whylen)
{
	int K = m->K;

	memset(c, 0, sizeof *c);
	if (K > MAX_VOCAB) {
		snprintf(why, whylen, "K = %d: its CCMC as K x K logits and P "
		    "would hold %.3g entries each; a CCMC record stops at K = %d "
		    "(the headless model itself is its CCMC, logits E W E^T of "
		    "rank <= d: sample and fit it as it is)", K, (double)K * K,
		    MAX_VOCAB);
		return -1;
	}
	if (!model_has_ccmc(m, why, whylen))
		return -1;
	ccmc_of_scores(m, c);
	return 0;
}

void
ccmc_of_scores(const struct attn_model *m, struct ccmc *c)
{
	int K = m->K, L;
	double *A;

	memset(c, 0, sizeof *c);
	c->K = K;
	A = xmalloc((size_t)K * K * sizeof *A);
	mat_mul_bt(m->EW, m->E, A, K, m->d, K);     /* A = E W E^T */
	ccmc_set_logits(c, A);
	free(A);
	if ((c->lmax = m->lmax)) {
		c->posw = xcalloc((size_t)m->lmax * m->lmax, sizeof *c->posw);
		for (L = 1; L <= m->lmax; L++) {
			double *row = c->posw + (size_t)(L - 1) * m->lmax, max;

			/* B_Lt = r_L^T W r_t */
			mat_mul_bt(m->RW + (size_t)(L - 1) * m->d, m->R, row, 1,
			    m->d, L);
			max = row[0];
			for (int t = 1; t < L; t++)
				max = fmax(max, row[t]);
			for (int t = 0; t < L; t++)
				row[t] = exp(row[t] - max);
		}
	}
	c->meta = jpack("{s:s,s:s}", "gauge", CCMC_GAUGE, "posw_scale",
	    "each row divided by its largest entry");
	if (m->meta)
		jset(c->meta, "model", json_incref(m->meta));
}

void
ccmc_parse(const struct input *in, json_t *rec, struct ccmc *c)
{
	json_t *A, *posw, *vocab, *meta;
	int K;
	double *P, diff;

	memset(c, 0, sizeof *c);
	K = c->K = (int)field_long(in, rec, "K", 1, MAX_VOCAB);
	/* Whatever is allocated is in c or freed before a complaint: an error
	 * exit leaks nothing. */
	if ((A = json_object_get(rec, "A")) && !json_is_null(A)) {
		c->A = field_matrix(in, rec, "A", K, K, 0);
		for (int i = 0; i < K * K; i++)
			if (fabs(c->A[i]) > MAX_SCORE)
				input_fail(in, "A[%d][%d] = %.3g is beyond the largest "
				    "logit, %.0e", i / K, i % K, c->A[i], MAX_SCORE);
	}
	P = field_matrix(in, rec, "P", K, K, 0);
	for (int i = 0; i < K * K; i++) {
		double s = 0;

		if (P[i] < 0 || (!c->A && P[i] == 0)) {
			int negative = P[i] < 0;

			free(P);
			input_fail(in, negative ? "P[%d][%d] is negative" :
			    "P[%d][%d] = 0 and no \"A\": the toolkit needs positive "
			    "transition probabilities", i / K, i % K);
		}
		if (i % K != K - 1)
			continue;
		for (int j = i - K + 1; j <= i; j++)
			s += P[j];
		if (fabs(s - 1) > 1e-9) {
			free(P);
			input_fail(in, "row %d of P sums to %.17g, not 1", i / K, s);
		}
	}
	if (!c->A) {
		/* Logits from P alone. */
		c->A = xmalloc((size_t)K * K * sizeof *c->A);
		for (int i = 0; i < K * K; i++)
			c->A[i] = log(P[i]);
	}
	ccmc_set_logits(c, c->A);      /* in place: the gauge */
	diff = max_abs_diff(c->P, P, (size_t)K * K);
	free(P);
	if (diff > 1e-9)
		input_fail(in, "P is not row-softmax(A) (differs by %.3g)", diff);
	posw = json_object_get(rec, "posw");
	if (posw && !json_is_null(posw)) {
		if (!json_is_array(posw) || json_array_size(posw) < 1 ||
		    json_array_size(posw) > MAX_LMAX)
			input_fail(in, "\"posw\" must be null or an array of 1..%d rows",
			    MAX_LMAX);
		c->lmax = (int)json_array_size(posw);
		c->posw = xcalloc((size_t)c->lmax * c->lmax, sizeof *c->posw);
		for (int L = 1; L <= c->lmax; L++) {
			json_t *row = json_array_get(posw, (size_t)L - 1);
			double *w = c->posw + (size_t)(L - 1) * c->lmax, max = 0;

			if (!json_is_array(row) || json_array_size(row) != (size_t)L)
				input_fail(in, "posw row %d must hold %d numbers", L - 1, L);
			for (int t = 0; t < L; t++) {
				json_t *x = json_array_get(row, (size_t)t);
				double v = json_number_value(x);

				if (!json_is_number(x) || !isfinite(v) || v <= 0)
					input_fail(in, "posw[%d][%d] must be a positive number",
					    L - 1, t);
				w[t] = v;
				max = v > max ? v : max;
			}
			/* Only ratios within a row matter; scaled as from a model,
			 * the weighted counts of up to MAX_LMAX positions stay
			 * finite (weights of 1e308 summed to infinity). */
			for (int t = 0; t < L; t++)
				w[t] /= max;
		}
	}
	vocab = json_object_get(rec, "vocab");
	if (vocab && !json_is_null(vocab)) {
		size_t i;
		json_t *w;

		if (!json_is_array(vocab) || json_array_size(vocab) != (size_t)K)
			input_fail(in, "\"vocab\" must be an array of K = %d strings", K);
		c->vocab = vocab_new(K);
		json_array_foreach(vocab, i, w) {
			if (!json_is_string(w))
				input_fail(in, "vocab[%zu] is not a string", i);
			if (vocab_find(c->vocab, json_string_value(w)) >= 0)
				input_fail(in, "vocab[%zu] \"%.40s\" occurs twice", i,
				    json_string_value(w));
			vocab_add(c->vocab, json_string_value(w));
		}
	}
	meta = json_object_get(rec, "meta");
	if (json_is_object(meta))
		c->meta = json_incref(meta);
}

void
ccmc_from_record(const struct input *in, json_t *rec, struct ccmc *c)
{
	struct attn_model m;
	char why[256];

	if (strcmp(record_type(rec), "ccmc") == 0) {
		ccmc_parse(in, rec, c);
		return;
	}
	model_parse(in, rec, &m);
	if (ccmc_from_model(&m, c, why, sizeof why) != 0)
		input_fail(in, "%s", why);
	model_free(&m);
}

void
ccmc_write(const struct ccmc *c, json_t *extra)
{
	const char *key;
	json_t *v;

	out_str("{\"type\":\"ccmc\",\"K\":");
	out_long(c->K);
	out_str(",\"A\":");
	out_matrix_or_null(c->A, c->K, c->K);
	out_str(",\"P\":");
	out_matrix_or_null(c->P, c->K, c->K);
	out_str(",\"posw\":");
	if (c->lmax) {
		out_char('[');
		for (int L = 1; L <= c->lmax; L++) {
			if (L > 1)
				out_char(',');
			out_doubles(c->posw + (size_t)(L - 1) * c->lmax, L);
		}
		out_char(']');
	} else
		out_str("null");
	if (c->vocab) {
		out_str(",\"vocab\":[");
		for (int i = 0; i < c->vocab->n; i++) {
			if (i)
				out_char(',');
			out_quoted(c->vocab->word[i]);
		}
		out_char(']');
	}
	out_str(",\"meta\":");
	if (c->meta)
		out_json(c->meta);
	else
		out_str("{\"gauge\":\"" CCMC_GAUGE "\"}");
	if (extra)
		json_object_foreach(extra, key, v) {
			out_char(',');
			out_quoted(key);
			out_char(':');
			out_json(v);
		}
	out_char('}');
	out_end();
}

void
ccmc_free(struct ccmc *c)
{
	free(c->A);
	free(c->P);
	free(c->posw);
	if (c->meta)
		json_decref(c->meta);
	vocab_free(c->vocab);
	memset(c, 0, sizeof *c);
}

static double
position_weight(const struct ccmc *c, int L, int t)
{
	return c->posw ? c->posw[(size_t)(L - 1) * c->lmax + t] : 1.0;
}

void
ccmc_probs(const struct ccmc *c, const int *prompt, int L, double *p,
    double *work)
{
	int K = c->K, i = prompt[L - 1];
	const double *a = c->A + (size_t)i * K;
	double *w = work, max = -INFINITY, total = 0;

	memset(w, 0, (size_t)K * sizeof *w);
	for (int t = 0; t < L; t++)
		w[prompt[t]] += position_weight(c, L, t);
	/* p_j = w_j exp(A_ij - max) / Z over present tokens: stable for any A */
	for (int j = 0; j < K; j++)
		if (w[j] > 0 && a[j] > max)
			max = a[j];
	for (int j = 0; j < K; j++) {
		p[j] = w[j] > 0 ? w[j] * exp(a[j] - max) : 0;
		total += p[j];
	}
	for (int j = 0; j < K; j++)
		p[j] /= total;
}

int
ccmc_draw(const struct ccmc *c, const int *prompt, int L, struct rng *r,
    double *work)
{
	int K = c->K, i = prompt[L - 1];
	const double *pi = c->P + (size_t)i * K;
	double total;

	if (c->posw) {
		for (int t = 0; t < L; t++)
			work[t] = position_weight(c, L, t) * pi[prompt[t]];
		total = rng_blocksum(work, L);
	} else
		total = rng_blocksum_of(work, pi, prompt, L);
	if (!(total >= 1e-200)) {
		/* The products underflowed, or may have lost digits that matter
		 * (below DBL_MIN, now less than 1e-108 of the total): weigh in
		 * logs, log w_t + A_ik_t, as ccmc_probs does.  Some w_t is 1. */
		const double *a = c->A + (size_t)i * K;
		double max = -INFINITY;

		for (int t = 0; t < L; t++) {
			double w = position_weight(c, L, t);

			work[t] = w > 0 ? log(w) + a[prompt[t]] : -INFINITY;
			max = fmax(max, work[t]);
		}
		for (int t = 0; t < L; t++)
			work[t] = exp(work[t] - max);
		total = rng_blocksum(work, L);
	}
	return prompt[rng_pick(r, work, L, total)];
}
