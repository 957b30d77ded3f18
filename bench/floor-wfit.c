/*
 * floor-wfit: the floor of one pass of ccmc-estimate --embeddings over
 * its samples, the part no method that evaluates the likelihood exactly
 * in float64 can skip: for each of n samples (a uniform query and L
 * uniform context tokens out of K), the dot products of the query's row
 * of E with the context's rows, and their log-sum-exp.  No W (the query
 * row stands for its row of E W), no gradient, no input to parse; the
 * rows of the next sample are prefetched, as the fit does.  What is left
 * is fetching the random rows of a table larger than the caches.
 *
 * usage: floor-wfit K D N L PASSES   prints the CPU seconds of one pass
 * (the best of PASSES) and a checksum, so the work cannot be dropped.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t state = 88172645463325252ULL;

static uint64_t
next(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

static double
cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One pass: the sum over samples of log sum_t exp(e_q . e_t). */
static double
pass(const double *E, const int *tok, long n, int L, int d)
{
	double sum = 0, s[4096];

	for (long i = 0; i < n; i++) {
		const int *c = tok + i * (L + 1);
		const double *eq = E + (size_t)c[L] * d;
		double max = -INFINITY, z = 0;

		if (i + 1 < n)
			for (int t = 0; t <= L; t++)
				for (int b = 0; b < d; b += 8)
					__builtin_prefetch(E + (size_t)c[L + 1 + t] * d + b);
		for (int t = 0; t < L; t++) {
			const double *e = E + (size_t)c[t] * d;
			double x = 0;

			for (int b = 0; b < d; b++)
				x += eq[b] * e[b];
			s[t] = x;
			max = x > max ? x : max;
		}
		for (int t = 0; t < L; t++)
			z += exp(s[t] - max);
		sum += max + log(z);
	}
	return sum;
}

int
main(int argc, char **argv)
{
	int K, d, L, passes;
	long n;
	double *E, best = INFINITY, sum = 0;
	int *tok;

	if (argc != 6 || (K = atoi(argv[1])) < 1 || (d = atoi(argv[2])) < 1 ||
	    (n = atol(argv[3])) < 1 || (L = atoi(argv[4])) < 1 || L > 4096 ||
	    (passes = atoi(argv[5])) < 1) {
		fprintf(stderr, "usage: floor-wfit K D N L PASSES\n");
		return 2;
	}
	E = malloc((size_t)K * d * sizeof *E);
	tok = malloc(((size_t)n + 1) * (L + 1) * sizeof *tok);
	if (!E || !tok)
		return 1;
	for (size_t i = 0; i < (size_t)K * d; i++)
		E[i] = ((double)(next() >> 11) * 0x1p-53 - 0.5) * 0.6;
	for (size_t i = 0; i < ((size_t)n + 1) * (L + 1); i++)
		tok[i] = (int)(next() % (uint64_t)K);
	for (int p = 0; p < passes; p++) {
		double t0 = cpu_seconds();

		sum += pass(E, tok, n, L, d);
		t0 = cpu_seconds() - t0;
		best = t0 < best ? t0 : best;
	}
	printf("%.4f %.17g\n", best, sum);
	free(E);
	free(tok);
	return 0;
}
