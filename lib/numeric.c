#include "numeric.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

double
log_sum_exp(const double *x, int n)
{
	double m = -INFINITY, s = 0;

	for (int i = 0; i < n; i++)
		if (x[i] > m)
			m = x[i];
	if (m == -INFINITY)
		return -INFINITY;
	for (int i = 0; i < n; i++)
		s += exp(x[i] - m);
	return m + log(s);
}

void
softmax(const double *x, double *out, int n)
{
	double m = -INFINITY, s = 0;

	for (int i = 0; i < n; i++)
		if (x[i] > m)
			m = x[i];
	for (int i = 0; i < n; i++)
		s += out[i] = exp(x[i] - m);
	for (int i = 0; i < n; i++)
		out[i] /= s;
}

/* A zero a_il adds only zeros (the factors are finite): skipped, so that
 * a one-hot or sparse A costs what its nonzeros do. */
void
mat_mul(const double *A, const double *B, double *C, int m, int k, int n)
{
	memset(C, 0, (size_t)m * n * sizeof *C);
	for (int i = 0; i < m; i++)
		for (int l = 0; l < k; l++) {
			double a = A[(size_t)i * k + l];
			const double *b = B + (size_t)l * n;
			double *c = C + (size_t)i * n;

			if (a == 0)
				continue;
			for (int j = 0; j < n; j++)
				c[j] += a * b[j];
		}
}

/* When B is mostly zeros (one-hot embeddings: K x K at K = 2048 would be
 * 8.6e9 products), each dot product runs over the nonzeros of B's row
 * only, in the same order: the same sums, as the skipped terms are exact
 * zeros. */
void
mat_mul_bt(const double *A, const double *B, double *C, int m, int k, int n)
{
	size_t nnz = 0, total = (size_t)n * (size_t)k;
	size_t *start;
	int *col;

	for (size_t e = 0; e < total; e++)
		nnz += B[e] != 0;
	if (nnz > total / 4) {
		for (int i = 0; i < m; i++)
			for (int j = 0; j < n; j++) {
				const double *a = A + (size_t)i * k, *b = B + (size_t)j * k;
				double s = 0;

				for (int l = 0; l < k; l++)
					s += a[l] * b[l];
				C[(size_t)i * n + j] = s;
			}
		return;
	}
	start = xmalloc(((size_t)n + 1) * sizeof *start);
	col = xmalloc((nnz + 1) * sizeof *col);
	nnz = 0;
	for (int j = 0; j < n; j++) {
		start[j] = nnz;
		for (int l = 0; l < k; l++)
			if (B[(size_t)j * k + l] != 0)
				col[nnz++] = l;
	}
	start[n] = nnz;
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			const double *a = A + (size_t)i * k, *b = B + (size_t)j * k;
			double s = 0;

			for (size_t e = start[j]; e < start[j + 1]; e++)
				s += a[col[e]] * b[col[e]];
			C[(size_t)i * n + j] = s;
		}
	free(col);
	free(start);
}

double
max_abs_diff(const double *a, const double *b, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		m = max_nan(m, fabs(a[i] - b[i]));
	return m;
}

double
max_nan(double a, double b)
{
	return b > a || isnan(b) ? b : a;
}

int
cholesky(double *A, int n)
{
	for (int j = 0; j < n; j++) {
		double *aj = A + (size_t)j * n;
		double d = aj[j];

		for (int k = 0; k < j; k++)
			d -= aj[k] * aj[k];
		if (!(d > 0))
			return -1;
		aj[j] = sqrt(d);
		for (int i = j + 1; i < n; i++) {
			double *ai = A + (size_t)i * n;
			double s = ai[j];

			for (int k = 0; k < j; k++)
				s -= ai[k] * aj[k];
			ai[j] = s / aj[j];
		}
	}
	return 0;
}

void
cholesky_solve(const double *L, double *b, int n)
{
	for (int i = 0; i < n; i++) {
		double s = b[i];

		for (int k = 0; k < i; k++)
			s -= L[(size_t)i * n + k] * b[k];
		b[i] = s / L[(size_t)i * n + i];
	}
	for (int i = n - 1; i >= 0; i--) {
		double s = b[i];

		for (int k = i + 1; k < n; k++)
			s -= L[(size_t)k * n + i] * b[k];
		b[i] = s / L[(size_t)i * n + i];
	}
}

int
lu_factor(double *a, int *piv, int n)
{
	double scale = 0;

	for (size_t i = 0; i < (size_t)n * n; i++)
		scale = fmax(scale, fabs(a[i]));
	for (int k = 0; k < n; k++) {
		int p = k;

		for (int i = k + 1; i < n; i++)
			if (fabs(a[(size_t)i * n + k]) > fabs(a[(size_t)p * n + k]))
				p = i;
		piv[k] = p;
		if (!(fabs(a[(size_t)p * n + k]) > 1e-14 * scale))
			return -1;
		if (p != k)
			for (int j = 0; j < n; j++) {
				double t = a[(size_t)k * n + j];

				a[(size_t)k * n + j] = a[(size_t)p * n + j];
				a[(size_t)p * n + j] = t;
			}
		for (int i = k + 1; i < n; i++) {
			double f = a[(size_t)i * n + k] /= a[(size_t)k * n + k];

			for (int j = k + 1; j < n; j++)
				a[(size_t)i * n + j] -= f * a[(size_t)k * n + j];
		}
	}
	return 0;
}

void
lu_solve(const double *a, const int *piv, double *x, int n)
{
	for (int k = 0; k < n; k++) {
		double t = x[k];

		x[k] = x[piv[k]];
		x[piv[k]] = t;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < i; k++)
			x[i] -= a[(size_t)i * n + k] * x[k];
	for (int i = n - 1; i >= 0; i--) {
		for (int k = i + 1; k < n; k++)
			x[i] -= a[(size_t)i * n + k] * x[k];
		x[i] /= a[(size_t)i * n + i];
	}
}

int
mat_inverse(const double *A, double *inv, int n)
{
	size_t nn = (size_t)n * n;
	double *a = xmalloc(nn * sizeof *a), *x = xmalloc((size_t)n * sizeof *x);
	int *piv = xmalloc((size_t)n * sizeof *piv), rc;

	memcpy(a, A, nn * sizeof *a);
	if ((rc = lu_factor(a, piv, n)) == 0)
		for (int j = 0; j < n; j++) {
			memset(x, 0, (size_t)n * sizeof *x);
			x[j] = 1;
			lu_solve(a, piv, x, n);
			for (int i = 0; i < n; i++)
				inv[(size_t)i * n + j] = x[i];
		}
	free(a);
	free(x);
	free(piv);
	return rc;
}

double
entropy(const double *p, int n)
{
	double h = 0;

	for (int i = 0; i < n; i++)
		if (p[i] > 0)
			h -= p[i] * log(p[i]);
	return h;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of the n sorted values x, interpolated linearly. */
static double
quantile(const double *x, int n, double q)
{
	double at = q * (n - 1);
	int k = (int)at;

	return x[k] + (k + 1 < n ? (at - k) * (x[k + 1] - x[k]) : 0);
}

void
quantile_pair(double *x, int n, double qlo, double qhi, double *lo,
    double *hi)
{
	qsort(x, (size_t)n, sizeof *x, by_value);
	*lo = quantile(x, n, qlo);
	*hi = quantile(x, n, qhi);
}
