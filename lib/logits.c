#include "logits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
logits_dense(struct logits *g, int K, const double *A)
{
	memset(g, 0, sizeof *g);
	g->kind = LOGITS_DENSE;
	g->K = K;
	g->A = A;
	g->uq = -1;
}

void
logits_lowrank(struct logits *g, int K, int d, const double *E,
    const double *W, const double *EW)
{
	memset(g, 0, sizeof *g);
	g->kind = LOGITS_LOWRANK;
	g->K = K;
	g->d = d;
	g->E = E;
	g->W = W;
	g->EW = EW;
	g->u = xmalloc(checked_size((size_t)d, sizeof *g->u));
	g->uq = -1;
}

void
logits_sparse(struct logits *g, int K, const double *bg)
{
	memset(g, 0, sizeof *g);
	g->kind = LOGITS_SPARSE;
	g->K = K;
	g->uq = -1;
	g->start = xcalloc((size_t)K + 1, sizeof *g->start);
	g->deflt = xmalloc(2 * (size_t)K * sizeof *g->deflt);
	g->shift = g->deflt + K;
	g->bgmax = 0;
	g->bgsum = K;
	if (bg) {
		g->bg = xmalloc((size_t)K * sizeof *g->bg);
		memcpy(g->bg, bg, (size_t)K * sizeof *g->bg);
		g->bgmax = -INFINITY;
		for (int j = 0; j < K; j++)
			g->bgmax = fmax(g->bgmax, bg[j]);
		g->bgsum = 0;
		for (int j = 0; j < K; j++)
			g->bgsum += exp(bg[j] - g->bgmax);
	}
}

void
logits_sparse_add(struct logits *g, const int *cols, const double *a, int n,
    double deflt)
{
	int q = g->rows++;

	if (g->nent + n > g->cap) {
		g->cap = g->nent + n > 2 * g->cap ? g->nent + n : 2 * g->cap;
		g->col = xrealloc(g->col, checked_size((size_t)g->cap,
		    sizeof *g->col));
		g->val = xrealloc(g->val, checked_size((size_t)g->cap,
		    sizeof *g->val));
	}
	if (n > 0) {   /* an empty row may come before anything is allocated */
		memcpy(g->col + g->nent, cols, (size_t)n * sizeof *cols);
		memcpy(g->val + g->nent, a, (size_t)n * sizeof *a);
	}
	g->nent += n;
	g->start[q + 1] = g->nent;
	g->deflt[q] = deflt;
	g->shift[q] = 0;
}

void
logits_sparse_shift(struct logits *g, int q, double m)
{
	for (long e = g->start[q]; e < g->start[q + 1]; e++)
		g->val[e] -= m;
	g->shift[q] = m;
}

void
logits_free(struct logits *g)
{
	free(g->u);
	free(g->start);
	free(g->col);
	free(g->val);
	free(g->deflt);
	free(g->bg);
	memset(g, 0, sizeof *g);
}

void
logits_sparse_row(const struct logits *g, int q, const int **cols,
    const double **a, int *n)
{
	*cols = g->col + g->start[q];
	*a = g->val + g->start[q];
	*n = (int)(g->start[q + 1] - g->start[q]);
}

double
logits_sparse_at(const struct logits *g, int q, int j)
{
	long at = g->start[q], k = sorted_find(g->col + at, g->start[q + 1] - at,
	    j);

	if (k >= 0)
		return g->val[at + k];
	/* as the dense equivalent holds it: the entry, then the gauge */
	return (g->deflt[q] + (g->bg ? g->bg[j] : 0)) - g->shift[q];
}

double
logits_at(struct logits *g, int q, int j)
{
	double x;

	if (g->kind == LOGITS_SPARSE)
		return logits_sparse_at(g, q, j);
	logits_row(g, q, &j, 1, &x);
	return x;
}

/* log of the mass of the columns sparse row q does not list. */
static double
sparse_unlisted(const struct logits *g, int q)
{
	const int *c = g->col + g->start[q];
	int n = (int)(g->start[q + 1] - g->start[q]), u = g->K - n;
	double base = g->deflt[q] - g->shift[q], rest = 0;

	if (u == 0)
		return -INFINITY;
	if (isnan(base))
		return NAN;
	if (!g->bg)
		return base + log((double)u);
	if (u <= n) {
		/* few unlisted: summed one by one, no cancellation */
		for (int j = 0, k = 0; j < g->K; j++) {
			if (k < n && c[k] == j) {
				k++;
				continue;
			}
			rest += exp(g->bg[j] - g->bgmax);
		}
	} else {
		/* many: the whole background less the listed columns' share,
		 * which is less than half of it (the listed are fewer) */
		double listed = 0;

		for (int k = 0; k < n; k++)
			listed += exp(g->bg[c[k]] - g->bgmax);
		rest = g->bgsum - listed;
		rest = rest > 0 ? rest : 0;
	}
	return base + g->bgmax + log(rest);
}

double
logits_lognorm(struct logits *g, int q)
{
	double max = -INFINITY, s = 0, un;

	if (g->kind == LOGITS_SPARSE) {
		const double *a = g->val + g->start[q];
		int n = (int)(g->start[q + 1] - g->start[q]);

		un = sparse_unlisted(g, q);
		if (isnan(un))
			return NAN;
		max = un;
		for (int k = 0; k < n; k++) {
			if (isnan(a[k]))
				return NAN;
			max = fmax(max, a[k]);
		}
		if (max == -INFINITY)
			return -INFINITY;
		s = exp(un - max);
		for (int k = 0; k < n; k++)
			s += exp(a[k] - max);
		return max + log(s);
	}
	double *row = xmalloc((size_t)g->K * sizeof *row);

	logits_full_row(g, q, row);
	for (int k = 0; k < g->K; k++) {
		if (isnan(row[k])) {
			free(row);
			return NAN;
		}
		max = fmax(max, row[k]);
	}
	for (int k = 0; k < g->K && max > -INFINITY; k++)
		s += exp(row[k] - max);
	free(row);
	return max == -INFINITY ? max : max + log(s);
}

const double *
logits_query(struct logits *g, int q)
{
	int d = g->d;

	if (g->kind != LOGITS_LOWRANK)
		return NULL;
	if (g->EW)
		return g->EW + (size_t)q * d;
	if (g->uq != q) {
		const double *e = g->E + (size_t)q * d;

		/* u_b = sum_a e_a W_ab, a row of W at a time */
		memset(g->u, 0, (size_t)d * sizeof *g->u);
		for (int a = 0; a < d; a++) {
			const double *w = g->W + (size_t)a * d;

			for (int b = 0; b < d; b++)
				g->u[b] += e[a] * w[b];
		}
		g->uq = q;
	}
	return g->u;
}

/* x . y in four partial sums (the additions need not wait on each other) */
double
logits_dot(const double *x, const double *y, int d)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	int l = 0;

	for (; l + 4 <= d; l += 4) {
		s0 += x[l] * y[l];
		s1 += x[l + 1] * y[l + 1];
		s2 += x[l + 2] * y[l + 2];
		s3 += x[l + 3] * y[l + 3];
	}
	for (; l < d; l++)
		s0 += x[l] * y[l];
	return (s0 + s1) + (s2 + s3);
}

void
logits_row(struct logits *g, int q, const int *cols, int n, double *out)
{
	if (g->kind == LOGITS_SPARSE) {
		for (int i = 0; i < n; i++)
			out[i] = logits_sparse_at(g, q, cols[i]);
		return;
	}
	if (g->kind == LOGITS_DENSE) {
		const double *a = g->A + (size_t)q * g->K;

		for (int i = 0; i < n; i++)
			out[i] = a[cols[i]];
		return;
	}
	const double *u = logits_query(g, q);

	for (int i = 0; i < n; i++)
		out[i] = logits_dot(u, g->E + (size_t)cols[i] * g->d, g->d);
}

void
logits_full_row(struct logits *g, int q, double *out)
{
	if (g->kind == LOGITS_SPARSE) {
		const int *c;
		const double *a;
		int n;

		for (int k = 0; k < g->K; k++)
			out[k] = (g->deflt[q] + (g->bg ? g->bg[k] : 0)) - g->shift[q];
		logits_sparse_row(g, q, &c, &a, &n);
		for (int k = 0; k < n; k++)
			out[c[k]] = a[k];
		return;
	}
	if (g->kind == LOGITS_DENSE) {
		memcpy(out, g->A + (size_t)q * g->K, (size_t)g->K * sizeof *out);
		return;
	}
	const double *u = logits_query(g, q);

	for (int k = 0; k < g->K; k++)
		out[k] = logits_dot(u, g->E + (size_t)k * g->d, g->d);
}
