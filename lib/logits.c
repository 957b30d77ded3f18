#include "logits.h"

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
logits_free(struct logits *g)
{
	free(g->u);
	memset(g, 0, sizeof *g);
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
	if (g->kind == LOGITS_DENSE) {
		memcpy(out, g->A + (size_t)q * g->K, (size_t)g->K * sizeof *out);
		return;
	}
	const double *u = logits_query(g, q);

	for (int k = 0; k < g->K; k++)
		out[k] = logits_dot(u, g->E + (size_t)k * g->d, g->d);
}
