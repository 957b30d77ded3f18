/*
 * numeric: the little dense linear algebra and the stable exponentials the
 * toolkit needs.  Matrices are row-major doubles.
 */
#ifndef NUMERIC_H
#define NUMERIC_H

#include <stddef.h>

/* log(sum exp(x)) without overflow; -inf for n = 0 or all -inf. */
double log_sum_exp(const double *x, int n);
/* out = softmax(x) (out may equal x). */
void   softmax(const double *x, double *out, int n);

/* C (m x n) = A (m x k) * B (k x n) */
void   mat_mul(const double *A, const double *B, double *C, int m, int k, int n);
/* C (m x n) = A (m x k) * B^T, B being n x k */
void   mat_mul_bt(const double *A, const double *B, double *C, int m, int k, int n);
/* max |a_i - b_i|, NaN if any difference is NaN */
double max_abs_diff(const double *a, const double *b, size_t n);
/* The larger of a and b, NaN if either is NaN: a check on computed values
 * (inf - inf, 0 * inf) must fail on a NaN, where fmax would drop it. */
double max_nan(double a, double b);

/* In-place Cholesky factor of a symmetric positive definite n x n matrix
 * (lower triangle).  Returns 0, or -1 if it is not positive definite. */
int    cholesky(double *A, int n);
void   cholesky_solve(const double *L, double *b, int n);
/* LU with partial pivoting in place; -1 if singular to working precision. */
int    lu_factor(double *a, int *piv, int n);
void   lu_solve(const double *a, const int *piv, double *x, int n);
/* Inverse of a general n x n matrix by LU with partial pivoting.
 * Returns 0, or -1 if singular to working precision. */
int    mat_inverse(const double *A, double *inv, int n);

/* The qlo- and qhi-quantiles of the n values x (a percentile interval:
 * 0.025 and 0.975 for 95%), interpolated linearly between order
 * statistics; sorts x. */
void   quantile_pair(double *x, int n, double qlo, double qhi, double *lo,
           double *hi);

/* Shannon entropy (nats) of a probability vector. */
double entropy(const double *p, int n);

#endif
