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

/* "posw", "vocab" and "meta", the same in both forms. */
static void
parse_common(const struct input *in, json_t *rec, struct ccmc *c)
{
	json_t *posw, *vocab, *meta;
	int K = c->K;

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

/* "form": absent or "dense" (0), "sparse" (1). */
int
ccmc_record_sparse(const struct input *in, json_t *rec)
{
	json_t *f = json_object_get(rec, "form");

	if (!f || json_is_null(f))
		return 0;
	if (json_is_string(f) && strcmp(json_string_value(f), "dense") == 0)
		return 0;
	if (json_is_string(f) && strcmp(json_string_value(f), "sparse") == 0)
		return 1;
	input_fail(in, "\"form\" must be \"dense\" or \"sparse\"");
}

void
ccmc_parse(const struct input *in, json_t *rec, struct ccmc *c)
{
	json_t *A;
	int K;
	double *P, diff;

	memset(c, 0, sizeof *c);
	if (ccmc_record_sparse(in, rec))
		input_fail(in, "a sparse ccmc record where only a dense one (with "
		    "\"A\" and \"P\") can be read");
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
	c->line = in->line;
	ccmc_set_logits(c, c->A);      /* in place: the gauge */
	diff = max_abs_diff(c->P, P, (size_t)K * K);
	free(P);
	if (diff > 1e-9)
		input_fail(in, "P is not row-softmax(A) (differs by %.3g)", diff);
	parse_common(in, rec, c);
}

/* ---- the sparse form ---- */

/* One row's entries while it is read: listed columns and zero columns,
 * then merged (a zero column is a listed logit of minus infinity). */
struct rowbuf {
	int    *col, *zero, *mcol;
	double *a, *ma, *lo, *hi;
	unsigned char *seen;   /* of mcol: in a component read so far */
	int     cap;
};

static void
rowbuf_room(struct rowbuf *b, int n)
{
	if (n <= b->cap)
		return;
	b->cap = n > 2 * b->cap ? n : 2 * b->cap;
	b->col = xrealloc(b->col, (size_t)b->cap * sizeof *b->col);
	b->zero = xrealloc(b->zero, (size_t)b->cap * sizeof *b->zero);
	b->mcol = xrealloc(b->mcol, 2 * (size_t)b->cap * sizeof *b->mcol);
	b->a = xrealloc(b->a, (size_t)b->cap * sizeof *b->a);
	b->ma = xrealloc(b->ma, 2 * (size_t)b->cap * sizeof *b->ma);
	b->lo = xrealloc(b->lo, (size_t)b->cap * sizeof *b->lo);
	b->hi = xrealloc(b->hi, (size_t)b->cap * sizeof *b->hi);
	b->seen = xrealloc(b->seen, 2 * (size_t)b->cap);
}

static void
rowbuf_free(struct rowbuf *b)
{
	free(b->col);
	free(b->zero);
	free(b->mcol);
	free(b->a);
	free(b->ma);
	free(b->lo);
	free(b->hi);
	free(b->seen);
}

/* A logit of a sparse record: a number within MAX_SCORE, or null (NaN:
 * not determined). */
static double
logit_value(const struct input *in, json_t *x, const char *what, long at)
{
	double v;

	if (json_is_null(x))
		return NAN;
	if (!json_is_number(x))
		input_fail(in, "%s[%ld] is not a number or null", what, at);
	v = json_number_value(x);
	if (!isfinite(v) || fabs(v) > MAX_SCORE)
		input_fail(in, "%s[%ld] = %.3g is not a finite logit within %.0e",
		    what, at, v, MAX_SCORE);
	return v;
}

/* Strictly ascending ids in [0, K) of the array key, at most max of them
 * (counted before any is read), into out; their number. */
static int
row_ids(const struct input *in, json_t *row, const char *key, int K,
    int max, int *out)
{
	json_t *arr = json_object_get(row, key), *x;
	size_t n, k;

	if (!json_is_array(arr))
		input_fail(in, "ccmc-row \"%s\" must be an array of column ids", key);
	if ((n = json_array_size(arr)) > (size_t)max)
		input_fail(in, "ccmc-row lists %zu %s entries: with the others, more "
		    "than K = %d", n, key, K);
	json_array_foreach(arr, k, x) {
		json_int_t id = json_integer_value(x);

		if (!json_is_integer(x) || id < 0 || id >= K)
			input_fail(in, "\"%s\"[%zu] is not a column id in [0, %d)", key,
			    k, K);
		if (k > 0 && id == out[k - 1])
			input_fail(in, "\"%s\"[%zu]: column %lld is repeated", key, k,
			    (long long)id);
		if (k > 0 && id < out[k - 1])
			input_fail(in, "\"%s\"[%zu]: column %lld after %d: columns "
			    "must be ascending", key, k, (long long)id, out[k - 1]);
		out[k] = (int)id;
	}
	return (int)n;
}

/* The index of a row record, which must be row r of K. */
static void
row_index(const struct input *in, json_t *row, int r, int K)
{
	json_t *x = json_object_get(row, "i");
	json_int_t i = json_integer_value(x);

	if (!json_is_integer(x))
		input_fail(in, "ccmc-row has no integer \"i\"");
	if (i < 0 || i >= K)
		input_fail(in, "ccmc-row %lld is beyond K = %d", (long long)i, K);
	if (i < r)
		input_fail(in, "ccmc-row %lld after row %d: rows come in order "
		    "0..K-1, each once", (long long)i, r - 1);
	if (i > r)
		input_fail(in, "ccmc-row %lld where row %d was expected (a missing "
		    "row)", (long long)i, r);
}

/*
 * What a fit adds to a row (ccmc-records(5), "A sparse fit"), which no
 * reader uses, checked for what it says: "samples" a count, "stderr" and
 * the bootstrap's "conditional_lo" and "conditional_hi" one entry per
 * column, and "identifiability" the row's flags and, if given, its
 * "components": a partition of the row's listed columns, cols and zero.
 */

/* Whether id, in a component, is one of the m listed columns (ascending)
 * and in no component before: 0; -1 if it is not listed, -2 if it was
 * in one (b->seen, which the caller clears for each row). */
static int
component_id(struct rowbuf *b, const int *listed, int m, long long id)
{
	long k = id < 0 || id > listed[m - 1] ? -1 : sorted_find(listed, m,
	    (int)id);

	if (k < 0)
		return -1;
	if (b->seen[k])
		return -2;
	b->seen[k] = 1;
	return 0;
}

/* The first of the m listed columns in no component, or -1. */
static int
component_missed(const struct rowbuf *b, const int *listed, int m)
{
	for (int k = 0; k < m; k++)
		if (!b->seen[k])
			return listed[k];
	return -1;
}

static void
row_components(const struct input *in, json_t *comps, const int *listed,
    int m, struct rowbuf *b)
{
	json_t *c, *x;
	size_t k, l;
	int miss;

	if (!json_is_array(comps))
		input_fail(in, "identifiability.components must be an array of "
		    "arrays of column ids");
	memset(b->seen, 0, (size_t)m);
	json_array_foreach(comps, k, c) {
		if (!json_is_array(c) || json_array_size(c) == 0)
			input_fail(in, "identifiability.components[%zu] must be a "
			    "non-empty array of column ids", k);
		json_array_foreach(c, l, x) {
			int rc = json_is_integer(x) && m > 0 ? component_id(b, listed,
			    m, json_integer_value(x)) : -1;

			if (rc == -1)
				input_fail(in, "identifiability.components[%zu][%zu] "
				    "is not a column the row lists (in \"cols\" or "
				    "\"zero\")", k, l);
			if (rc == -2)
				input_fail(in, "identifiability.components[%zu][%zu]: "
				    "column %lld is in a component already", k, l,
				    (long long)json_integer_value(x));
		}
	}
	if ((miss = component_missed(b, listed, m)) >= 0)
		input_fail(in, "identifiability.components leave out column %d, "
		    "which the row lists: they must partition \"cols\" and "
		    "\"zero\"", miss);
}

/* Array key of the row: n entries (one per column), each null (NaN in
 * out) or a number in [lo, hi]. */
static void
column_numbers(const struct input *in, json_t *row, const char *key, int n,
    double lo, double hi, double *out)
{
	json_t *arr = json_object_get(row, key), *x;
	size_t k;

	if (!json_is_array(arr) || json_array_size(arr) != (size_t)n)
		input_fail(in, "ccmc-row \"%s\" must be an array as long as "
		    "\"cols\" (%d)", key, n);
	json_array_foreach(arr, k, x) {
		out[k] = json_is_null(x) ? NAN : json_number_value(x);
		if (!json_is_null(x) && (!json_is_number(x) || !(out[k] >= lo &&
		    out[k] <= hi)))
			input_fail(in, "%s[%zu] is not null or a number in [%g, %g]",
			    key, k, lo, hi);
	}
}

static void
row_fit_fields(const struct input *in, json_t *row, int n, const int *listed,
    int m, struct rowbuf *b)
{
	static const char *const flag[] = { "determined", "mle_exists", "tied" };
	json_t *x = json_object_get(row, "samples"), *id;
	int lo = json_object_get(row, "conditional_lo") != NULL;

	if (x && !(json_is_number(x) && json_number_value(x) >= 0 &&
	    isfinite(json_number_value(x))))
		input_fail(in, "ccmc-row \"samples\" must be a number >= 0");
	if ((id = json_object_get(row, "identifiability"))) {
		if (!json_is_object(id))
			input_fail(in, "ccmc-row \"identifiability\" must be an "
			    "object");
		for (int k = 0; k < 3; k++)
			if (!json_is_boolean(json_object_get(id, flag[k])))
				input_fail(in, "identifiability.%s must be true or "
				    "false", flag[k]);
		if ((x = json_object_get(id, "components")))
			row_components(in, x, listed, m, b);
	}
	if ((x = json_object_get(row, "stderr")) && !json_is_null(x))
		column_numbers(in, row, "stderr", n, 0, HUGE_VAL, b->lo);
	if (lo != (json_object_get(row, "conditional_hi") != NULL))
		input_fail(in, "ccmc-row has \"conditional_%s\" without "
		    "\"conditional_%s\"", lo ? "lo" : "hi", lo ? "hi" : "lo");
	if (!lo)
		return;
	column_numbers(in, row, "conditional_lo", n, 0, 1, b->lo);
	column_numbers(in, row, "conditional_hi", n, 0, 1, b->hi);
	for (int k = 0; k < n; k++)
		if (b->lo[k] > b->hi[k])
			input_fail(in, "conditional_lo[%d] = %g is above "
			    "conditional_hi[%d] = %g", k, b->lo[k], k, b->hi[k]);
}

/* Row r of a sparse record, checked, into c->lg. */
static void
sparse_row(const struct input *in, json_t *row, struct ccmc *c, int r,
    double deflt, struct rowbuf *b)
{
	json_t *A = json_object_get(row, "A"), *d = json_object_get(row, "default");
	int K = c->K, n, nz = 0, m = 0;

	row_index(in, row, r, K);
	rowbuf_room(b, (int)json_array_size(json_object_get(row, "cols")));
	n = row_ids(in, row, "cols", K, K, b->col);
	if (!json_is_array(A) || json_array_size(A) != (size_t)n)
		input_fail(in, "ccmc-row \"A\" must be an array as long as \"cols\" "
		    "(%d)", n);
	for (int k = 0; k < n; k++)
		b->a[k] = logit_value(in, json_array_get(A, (size_t)k), "A", k);
	if (d)
		deflt = logit_value(in, d, "default", 0);
	if (json_object_get(row, "zero")) {
		rowbuf_room(b, (int)json_array_size(json_object_get(row, "zero")));
		nz = row_ids(in, row, "zero", K, K - n, b->zero);
	}
	if (nz == K)
		input_fail(in, "ccmc-row %d gives every column probability 0", r);
	for (int k = 0, z = 0; k < n || z < nz; ) {
		if (z < nz && k < n && b->zero[z] == b->col[k])
			input_fail(in, "column %d is in both \"cols\" and \"zero\"",
			    b->col[k]);
		if (z < nz && (k == n || b->zero[z] < b->col[k])) {
			b->mcol[m] = b->zero[z++];
			b->ma[m++] = -INFINITY;
		} else {
			b->mcol[m] = b->col[k];
			b->ma[m++] = b->a[k++];
		}
	}
	row_fit_fields(in, row, n, b->mcol, m, b);
	logits_sparse_add(&c->lg, b->mcol, b->ma, m, deflt);
}

/*
 * Most row lines are exactly {"type":"ccmc-row","i":I,"cols":[..],"A":[..]}
 * (a text fit's add "default" and "samples", and without --brief
 * "identifiability" and "stderr", in that order) with no spaces: read
 * without a JSON tree (most of the time of loading a large record).  The reader takes what JSON allows only, and only values
 * that pass every check of sparse_row; any other line, or any doubt, is
 * declined and goes to the JSON parser, which reads it the same way or
 * says what is wrong.
 */
static const char *
fast_lit(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

/* A non-negative integer below 10^9 without leading zeros. */
static const char *
fast_uint(const char *p, const char *end, int *v)
{
	const char *s = p;
	long x = 0;

	while (p < end && *p >= '0' && *p <= '9' && p - s < 10)
		x = 10 * x + (*p++ - '0');
	if (p == s || p - s > 9 || (*s == '0' && p - s > 1))
		return NULL;
	*v = (int)x;
	return p;
}

/* A JSON number (its grammar checked here; strtod converts it as the JSON
 * parser does), finite and within MAX_SCORE, or null. */
static const char *
fast_number(const char *p, const char *end, double *v)
{
	const char *s = p;
	char buf[64];

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (p < end && *p == '.') {
		if (++p == end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p - s >= (long)sizeof buf)
		return NULL;
	memcpy(buf, s, (size_t)(p - s));
	buf[p - s] = '\0';
	*v = strtod(buf, NULL);
	return isfinite(*v) ? p : NULL;
}

/* A logit: null (not determined: NaN) or a number within MAX_SCORE. */
static const char *
fast_logit(const char *p, const char *end, double *v)
{
	const char *q;

	if ((q = fast_lit(p, end, "null"))) {
		*v = NAN;
		return q;
	}
	q = fast_number(p, end, v);
	return q && fabs(*v) <= MAX_SCORE ? q : NULL;
}

static const char *
fast_bool(const char *p, const char *end)
{
	const char *q = fast_lit(p, end, "true");

	return q ? q : fast_lit(p, end, "false");
}

/* The columns of the row fast_row reads (b->col, n of them), for what
 * row_fit_fields checks, and k: the items of an array so far. */
struct fast_cols {
	struct rowbuf *b;
	int     n, k;
};

/* [x,...] or [], each x read by item; NULL if declined. */
static const char *
fast_array(const char *p, const char *end, struct fast_cols *fc,
    const char *(*item)(const char *, const char *, struct fast_cols *))
{
	if (!(p = fast_lit(p, end, "[")))
		return NULL;
	if (p < end && *p == ']')
		return p + 1;
	for (;;) {
		if (!(p = item(p, end, fc)))
			return NULL;
		if (p < end && *p == ']')
			return p + 1;
		if (p == end || *p++ != ',')
			return NULL;
	}
}

/* An id of a component: one of the columns, in none before. */
static const char *
fast_component_id(const char *p, const char *end, struct fast_cols *fc)
{
	int v;

	if (!(p = fast_uint(p, end, &v)) || fc->n == 0 ||
	    component_id(fc->b, fc->b->col, fc->n, v) != 0)
		return NULL;
	return p;
}

static const char *
fast_component(const char *p, const char *end, struct fast_cols *fc)
{
	const char *q = fast_array(p, end, fc, fast_component_id);

	return q && q > p + 2 ? q : NULL;    /* not [] */
}

/* A standard error, one of n: null or a number >= 0. */
static const char *
fast_stderr(const char *p, const char *end, struct fast_cols *fc)
{
	const char *q = fast_lit(p, end, "null");
	double v = 0;

	if (fc->k++ == fc->n || (!q && !(q = fast_number(p, end, &v))) || v < 0)
		return NULL;
	return q;
}

/* What a fit without --brief adds to a row, which no reader uses: its
 * grammar checked, in the layout the fit writes (ccmc-records(5)), and
 * what row_fit_fields checks; returns past it (p itself without it),
 * NULL if declined. */
static const char *
fast_fit_fields(const char *p, const char *end, struct fast_cols *fc)
{
	const char *q;

	if ((q = fast_lit(p, end, ",\"identifiability\":{\"determined\":"))) {
		if (!(q = fast_bool(q, end)) ||
		    !(q = fast_lit(q, end, ",\"mle_exists\":")) ||
		    !(q = fast_bool(q, end)) ||
		    !(q = fast_lit(q, end, ",\"tied\":")) ||
		    !(q = fast_bool(q, end)))
			return NULL;
		memset(fc->b->seen, 0, (size_t)fc->n);
		if ((p = fast_lit(q, end, ",\"components\":")) &&
		    (!(q = fast_array(p, end, fc, fast_component)) ||
		    component_missed(fc->b, fc->b->col, fc->n) >= 0))
			return NULL;
		if (!(p = fast_lit(q, end, "}")))
			return NULL;
	}
	fc->k = 0;
	if ((q = fast_lit(p, end, ",\"stderr\":")))
		p = fast_lit(q, end, "null") ? q + 4 :
		    (q = fast_array(q, end, fc, fast_stderr)) && fc->k == fc->n ?
		    q : NULL;
	return p;
}

/* Row r from the line in in->buf into b (cols, a) and c->lg; 0 if the
 * line is declined. */
static int
fast_row(const struct input *in, struct ccmc *c, int r, double deflt,
    struct rowbuf *b)
{
	const char *p = in->buf, *end = in->buf + in->len, *q;
	int i, n = 0, na = 0;
	double samples;
	struct fast_cols fc = { .b = b };

	if (!(p = fast_lit(p, end, "{\"type\":\"ccmc-row\",\"i\":")) ||
	    !(p = fast_uint(p, end, &i)) || i != r ||
	    !(p = fast_lit(p, end, ",\"cols\":[")))
		return 0;
	if (p < end && *p == ']')
		p++;
	else
		for (;;) {
			int j;

			if (n == c->K || !(p = fast_uint(p, end, &j)) || j >= c->K ||
			    (n > 0 && j <= b->col[n - 1]))
				return 0;
			rowbuf_room(b, n + 1);
			b->col[n++] = j;
			if (p < end && *p == ']') {
				p++;
				break;
			}
			if (p == end || *p++ != ',')
				return 0;
		}
	if (!(p = fast_lit(p, end, ",\"A\":[")))
		return 0;
	if (p < end && *p == ']')
		p++;
	else
		for (;;) {
			if (na == n || !(p = fast_logit(p, end, &b->a[na++])))
				return 0;
			if (p < end && *p == ']') {
				p++;
				break;
			}
			if (p == end || *p++ != ',')
				return 0;
		}
	if (na != n)
		return 0;
	/* a fit's text rows: their own default, and how many samples */
	if ((q = fast_lit(p, end, ",\"default\":")) &&
	    !(p = fast_logit(q, end, &deflt)))
		return 0;
	if ((q = fast_lit(p, end, ",\"samples\":")) &&
	    (!(p = fast_number(q, end, &samples)) || samples < 0))
		return 0;
	rowbuf_room(b, n + 1);    /* seen, for n = 0 too */
	fc.n = n;
	if (!(p = fast_fit_fields(p, end, &fc)) || p + 1 != end || *p != '}')
		return 0;
	logits_sparse_add(&c->lg, b->col, b->a, n, deflt);
	return 1;
}

/* The header's "default" (returned) and "background" (into c->lg). */
static double
sparse_header(const struct input *in, json_t *rec, struct ccmc *c)
{
	json_t *bg = json_object_get(rec, "background");
	double deflt, *b = NULL;
	int K = c->K;

	if (json_object_get(rec, "A") || json_object_get(rec, "P"))
		input_fail(in, "a sparse ccmc header carries no \"%s\": its logits "
		    "are in its ccmc-row records", json_object_get(rec, "A") ? "A" :
		    "P");
	deflt = logit_value(in, field_get(in, rec, "default"), "default", 0);
	if (bg && !json_is_null(bg)) {
		if (!json_is_array(bg) || json_array_size(bg) != (size_t)K)
			input_fail(in, "\"background\" must be null or an array of K "
			    "= %d numbers", K);
		b = xmalloc((size_t)K * sizeof *b);
		for (int j = 0; j < K; j++) {
			json_t *x = json_array_get(bg, (size_t)j);

			b[j] = json_number_value(x);
			if (!json_is_number(x) || !isfinite(b[j]) ||
			    fabs(b[j]) > MAX_SCORE) {
				free(b);
				input_fail(in, "background[%d] is not a finite number "
				    "within %.0e", j, MAX_SCORE);
			}
		}
	}
	logits_sparse(&c->lg, K, b);
	free(b);
	return deflt;
}

/* Whether row q determines every logit and none is minus infinity (the
 * dense form holds such rows only). */
static int
dense_like(const struct logits *g, int q)
{
	const int *cols;
	const double *a;
	int n;

	logits_sparse_row(g, q, &cols, &a, &n);
	if (n < g->K && isnan(g->deflt[q]))
		return 0;
	for (int k = 0; k < n; k++)
		if (!isfinite(a[k]))
			return 0;
	return 1;
}

/* At K <= MAX_VOCAB, each row that could be dense in the dense form's
 * gauge, computed as ccmc_set_logits does (the mean over all K columns in
 * order): both forms of a CCMC then read to the same numbers, to the bit.
 * Beyond, rows stay as written: the gauge changes no probability. */
static void
sparse_gauge(struct ccmc *c)
{
	int K = c->K;
	double *row;

	if (K > MAX_VOCAB)
		return;
	row = xmalloc((size_t)K * sizeof *row);
	for (int q = 0; q < K; q++) {
		double mean = 0;

		if (!dense_like(&c->lg, q))
			continue;
		logits_full_row(&c->lg, q, row);
		for (int j = 0; j < K; j++)
			mean += row[j];
		mean /= K;
		logits_sparse_shift(&c->lg, q, mean);
	}
	free(row);
}

/* Appends the line just read to c->rowtext. */
static void
keep_line(struct ccmc *c, const struct input *in, size_t *cap)
{
	if (c->rowlen + in->len + 1 > *cap) {
		*cap = checked_size(c->rowlen + in->len + 1, 2);
		c->rowtext = xrealloc(c->rowtext, *cap);
	}
	memcpy(c->rowtext + c->rowlen, in->buf, in->len);
	c->rowlen += in->len;
	c->rowtext[c->rowlen++] = '\n';
}

static void
sparse_read(struct input *in, json_t *rec, struct ccmc *c, int flags)
{
	long hline = in->line;
	struct rowbuf b = { 0 };
	size_t cap = 0;
	double deflt;
	int r;

	memset(c, 0, sizeof *c);
	c->line = hline;
	c->K = (int)field_long(in, rec, "K", 1, MAX_SPARSE_VOCAB);
	c->sparse = 1;
	deflt = sparse_header(in, rec, c);
	parse_common(in, rec, c);
	for (r = 0; r < c->K; r++) {
		json_t *row;

		/* input_line itself refuses a stream that ends among the rows
		 * (the header opened them in input_parse) */
		if (!input_line(in))
			input_fail_line(in, hline, "the stream ends among the rows of "
			    "the sparse ccmc of this line");
		if (!fast_row(in, c, r, deflt, &b)) {
			row = input_parse(in);   /* a ccmc-row: see input_parse */
			sparse_row(in, row, c, r, deflt, &b);
			json_decref(row);
		}
		if (flags & CCMC_KEEP_ROWS)
			keep_line(c, in, &cap);
	}
	rowbuf_free(&b);
	if (!(flags & CCMC_AS_WRITTEN))
		sparse_gauge(c);
	c->lognorm = xmalloc((size_t)c->K * sizeof *c->lognorm);
	for (int q = 0; q < c->K; q++)
		c->lognorm[q] = logits_lognorm(&c->lg, q);
}

int
ccmc_determined(const struct ccmc *c, int *row)
{
	for (int q = 0; c->sparse && q < c->K; q++)
		if (isnan(c->lognorm[q])) {
			*row = q;
			return 0;
		}
	return 1;
}

int
ccmc_dense(struct ccmc *c, int limit, const char *what, char *why,
    size_t whylen)
{
	int K = c->K, q;

	if (!c->sparse)
		return 0;
	if (K > limit) {
		snprintf(why, whylen, "%s the dense K x K chain; this sparse ccmc "
		    "has K = %d, beyond its limit %d", what, K, limit);
		return -1;
	}
	if (!ccmc_determined(c, &q)) {
		snprintf(why, whylen, "%s every logit: row %d of this sparse ccmc "
		    "leaves some undetermined (null)", what, q);
		return -1;
	}
	c->A = xmalloc(checked_size((size_t)K * K, sizeof *c->A));
	c->P = xmalloc(checked_size((size_t)K * K, sizeof *c->P));
	for (q = 0; q < K; q++) {
		/* the rows are in the dense gauge already: no second one */
		logits_full_row(&c->lg, q, c->A + (size_t)q * K);
		softmax(c->A + (size_t)q * K, c->P + (size_t)q * K, K);
	}
	logits_free(&c->lg);
	free(c->lognorm);
	c->lognorm = NULL;
	c->sparse = 0;
	return 0;
}

void
ccmc_need_dense(const struct input *in, struct ccmc *c, int limit,
    const char *what)
{
	char why[256];

	if (ccmc_dense(c, limit, what, why, sizeof why) != 0)
		input_fail_line(in, c->line, "%s", why);
}

/* c's logits behind the one interface: its sparse rows, or a view of A
 * (made at each call: an owner may replace A). */
static struct logits
view(const struct ccmc *c)
{
	struct logits g;

	if (c->sparse)
		return c->lg;
	logits_dense(&g, c->K, c->A);
	return g;
}

void
ccmc_logits_at(const struct ccmc *c, int i, const int *cols, int n,
    double *out)
{
	struct logits g = view(c);

	logits_row(&g, i, cols, n, out);
}

/* A_ij: the one place that tells the forms apart for a single entry. */
static inline double
logit(const struct ccmc *c, int i, int j)
{
	return c->sparse ? logits_sparse_at(&c->lg, i, j) :
	    c->A[(size_t)i * c->K + j];
}

double
ccmc_base(const struct ccmc *c, int i, int j)
{
	return c->sparse ? exp(logits_sparse_at(&c->lg, i, j) - c->lognorm[i]) :
	    c->P[(size_t)i * c->K + j];
}

void
ccmc_read(struct input *in, json_t *rec, struct ccmc *c, int flags)
{
	struct attn_model m;
	char why[256];

	if (strcmp(record_type(rec), "ccmc") == 0) {
		if (ccmc_record_sparse(in, rec))
			sparse_read(in, rec, c, flags);
		else
			ccmc_parse(in, rec, c);
		return;
	}
	model_parse(in, rec, &m);
	if (ccmc_from_model(&m, c, why, sizeof why) != 0)
		input_fail(in, "%s", why);
	model_free(&m);
	c->line = in->line;
}

void
ccmc_from_record(struct input *in, json_t *rec, struct ccmc *c)
{
	ccmc_read(in, rec, c, 0);
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
ccmc_write_rows(const struct ccmc *c)
{
	const char *s = c->rowtext, *end, *nl;

	if (!s)
		return;
	for (end = s + c->rowlen; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		out_raw(s, (size_t)(nl - s));
		out_end();
	}
}

void
ccmc_free(struct ccmc *c)
{
	free(c->A);
	free(c->P);
	logits_free(&c->lg);
	free(c->lognorm);
	free(c->rowtext);
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
	double *w = work, max = -INFINITY, total = 0;

	memset(w, 0, (size_t)K * sizeof *w);
	for (int t = 0; t < L; t++)
		w[prompt[t]] += position_weight(c, L, t);
	/* p_j = w_j exp(A_ij - max) / Z over present tokens: stable for any A;
	 * A is asked at the present tokens only.  A logit not determined makes
	 * every p NaN. */
	for (int j = 0; j < K; j++)
		if (w[j] > 0 && (p[j] = logit(c, i, j)) > max)
			max = p[j];
	for (int j = 0; j < K; j++) {
		p[j] = w[j] > 0 ? w[j] * exp(p[j] - max) : 0;
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
	double total;

	if (c->sparse) {
		for (int t = 0; t < L; t++)
			work[t] = position_weight(c, L, t) * ccmc_base(c, i, prompt[t]);
		total = rng_blocksum(work, L);
	} else if (c->posw) {
		const double *pi = c->P + (size_t)i * K;

		for (int t = 0; t < L; t++)
			work[t] = position_weight(c, L, t) * pi[prompt[t]];
		total = rng_blocksum(work, L);
	} else
		total = rng_blocksum_of(work, c->P + (size_t)i * K, prompt, L);
	if (!(total >= 1e-200)) {
		/* The products underflowed, or may have lost digits that matter
		 * (below DBL_MIN, now less than 1e-108 of the total): weigh in
		 * logs, log w_t + A_ik_t, as ccmc_probs does.  Some w_t is 1. */
		double max = -INFINITY;

		for (int t = 0; t < L; t++) {
			double w = position_weight(c, L, t);

			work[t] = w > 0 ? log(w) + logit(c, i, prompt[t]) : -INFINITY;
			max = fmax(max, work[t]);
		}
		if (!(max > -INFINITY))
			die(EXIT_DATA, "no token of the context can follow token %d: "
			    "the ccmc gives each probability 0", i);
		for (int t = 0; t < L; t++)
			work[t] = exp(work[t] - max);
		total = rng_blocksum(work, L);
	}
	return prompt[rng_pick(r, work, L, total)];
}
