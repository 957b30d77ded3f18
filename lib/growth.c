#include "growth.h"

#include <math.h>

#include "numeric.h"

struct blocks {
	const double *logb;
	const long   *count;
	int           nb;
};

/* l(gamma) and its first two derivatives.  Block k >= 1 spans log sizes
 * (b, a] = (logb[k-1], logb[k]]: with s = gamma (a - b),
 * log p_k = gamma a + log(1 - e^-s), written through expm1 so that thin
 * blocks and small gamma keep their digits; block 0 has b = -infinity. */
static void
loglik(const struct blocks *bl, double g, double *l, double *d1, double *d2)
{
	*l = *d1 = *d2 = 0;
	for (int k = 0; k < bl->nb; k++) {
		double a = bl->logb[k], n = (double)bl->count[k];

		if (bl->count[k] == 0)
			continue;
		*l += n * g * a;
		*d1 += n * a;
		if (k > 0) {
			double w = a - bl->logb[k - 1], s = g * w;

			*l += n * log(-expm1(-s));
			if (s < 700) {
				double e = expm1(s);

				*d1 += n * w / e;
				*d2 -= n * w * w * (e + 1) / (e * e);
			}
		}
	}
}

/* The root of a monotone f on [lo, hi], f(lo) and f(hi) of opposite signs:
 * Newton's steps while they stay inside the bracket, halving otherwise.
 * which = 0: f = l' (derivative l''); which = 1: f = l - target (l'). */
static double
solve(const struct blocks *bl, int which, double target, double lo, double hi)
{
	double x = (lo + hi) / 2, l, d1, d2, flo;

	loglik(bl, lo, &l, &d1, &d2);
	flo = which ? l - target : d1;
	for (int it = 0; it < 200 && hi - lo > 1e-13 * (1 + fabs(x)); it++) {
		double f, df, nx;

		loglik(bl, x, &l, &d1, &d2);
		f = which ? l - target : d1;
		df = which ? d1 : d2;
		if (f == 0)
			return x;
		if ((f < 0) == (flo < 0))
			lo = x;
		else
			hi = x;
		nx = df != 0 ? x - f / df : NAN;
		x = nx > lo && nx < hi ? nx : (lo + hi) / 2;
	}
	return x;
}

/* A point beyond the root of f, searching from x by factors of 2 (up) or
 * 1/2 (down), for f decreasing (up) or increasing (down); INFINITY or 0
 * when none is found. */
static double
bracket(const struct blocks *bl, int which, double target, double x, int up)
{
	for (int it = 0; it < 1100; it++) {
		double l, d1, d2;

		loglik(bl, x, &l, &d1, &d2);
		if ((which ? l - target : d1) < 0)
			return x;
		x = up ? 2 * x : x / 2;
	}
	return up ? INFINITY : 0;
}

void
growth_fit(const double *logb, const long *count, int nb, double q,
    struct growth_fit *g)
{
	struct blocks bl = { logb, count, nb };
	double M = 0, x2 = 0, lhat, d1, d2, target;
	int first = 1, last = 1;

	for (int k = 0; k < nb; k++) {
		M += (double)count[k];
		first &= k == 0 || count[k] == 0;
		last &= k == nb - 1 || count[k] == 0;
	}
	if (first) {            /* nothing after block 0: the count stopped */
		g->gamma = g->lo = 0;
		lhat = 0;
	} else if (last) {      /* everything in the last block */
		g->gamma = g->hi = INFINITY;
		lhat = 0;
	} else {
		double hi = bracket(&bl, 0, 0, 1, 1);

		g->gamma = solve(&bl, 0, 0, 0, hi);
		loglik(&bl, g->gamma, &lhat, &d1, &d2);
	}

	/* Pearson's X^2 of the block counts at the estimate (a block the
	 * estimate gives no share to holds no count). */
	for (int k = 0; k < nb; k++) {
		double pk, e;

		if (isinf(g->gamma))
			pk = k == nb - 1;
		else if (g->gamma == 0)
			pk = k == 0;
		else
			pk = exp(g->gamma * logb[k]) -
			    (k ? exp(g->gamma * logb[k - 1]) : 0);
		e = M * pk;
		if (e > 0)
			x2 += ((double)count[k] - e) * ((double)count[k] - e) / e;
	}
	g->phi = x2 / (nb - 2) > 1 ? x2 / (nb - 2) : 1;
	target = lhat - g->phi * q / 2;

	if (g->gamma == 0)     /* l(gamma) = M gamma logb[0] */
		g->hi = target / (M * logb[0]);
	else if (!isinf(g->gamma)) {
		double up = bracket(&bl, 1, target, 2 * g->gamma, 1);

		g->hi = isinf(up) ? INFINITY : solve(&bl, 1, target, g->gamma, up);
	}
	if (g->gamma > 0) {
		/* l rises to lhat on (0, gamma]: find a point below the
		 * target, and for an unbounded estimate one above it too */
		double top = g->gamma, down, l;

		if (isinf(top))
			for (top = 1; top < 1e300; top *= 2) {
				loglik(&bl, top, &l, &d1, &d2);
				if (l > target)
					break;
			}
		down = bracket(&bl, 1, target, top / 2, 0);
		g->lo = top >= 1e300 ? INFINITY : down == 0 ? 0 :
		    solve(&bl, 1, target, down, top);
	} else
		g->lo = 0;
}

/* The regularized incomplete beta function I_x(a, b), by its continued
 * fraction (modified Lentz), on the side where it converges fast. */
static double
beta_inc(double a, double b, double x)
{
	double front, c = 1, d, f;

	if (x <= 0 || x >= 1)
		return x <= 0 ? 0 : 1;
	if (x > (a + 1) / (a + b + 2))
		return 1 - beta_inc(b, a, 1 - x);
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) +
	    b * log1p(-x)) / a;
	d = 1 - (a + b) * x / (a + 1);
	d = fabs(d) < 1e-300 ? 1e300 : 1 / d;
	f = d;
	for (int m = 1; m < 10000; m++) {
		for (int odd = 0; odd < 2; odd++) {
			double num = odd ?
			    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)) :
			    m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));

			d = 1 + num * d;
			d = fabs(d) < 1e-300 ? 1e300 : 1 / d;
			c = 1 + num / c;
			c = fabs(c) < 1e-300 ? 1e-300 : c;
			f *= c * d;
		}
		if (fabs(c * d - 1) < 1e-16)
			break;
	}
	return front * f;
}

double
t_quantile(double a, double df)
{
	double lo = 0, hi = 1;

	/* P(T > t) = I_{df / (df + t^2)}(df / 2, 1 / 2) / 2, falling in t */
	while (beta_inc(df / 2, 0.5, df / (df + hi * hi)) / 2 > a)
		hi *= 2;
	for (int it = 0; it < 200; it++) {
		double mid = (lo + hi) / 2;

		if (beta_inc(df / 2, 0.5, df / (df + mid * mid)) / 2 > a)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* Under the ordinary chain, a token entered with probabilities p_t given
 * the past has, for each lambda > 0,
 *     E[exp(-lambda X_t) | past] <= exp(-(1 - e^-lambda) p_t),
 * so M = exp(-lambda N + (1 - e^-lambda) E) is a supermartingale from 1,
 * and so is any fixed mixture of such; by Markov's inequality at the end,
 * P(mixture >= 1/a) <= a.  Losers of a CCMC mostly stop appearing at all,
 * so half the weight goes to lambda = infinity (M = e^E when N = 0, else
 * 0), the rest evenly to lambda = 1/4 .. 4, fixed with the test. */
double
loser_p_value(long N, double E)
{
	static const double lambda[] = { 0.25, 0.5, 1, 2, 4 };
	double lm[6], lmean;
	int n = 0;

	for (int k = 0; k < 5; k++)
		lm[n++] = log(0.1) - lambda[k] * (double)N -
		    expm1(-lambda[k]) * E;
	if (N == 0)
		lm[n++] = log(0.5) + E;
	lmean = log_sum_exp(lm, n);
	return lmean <= 0 ? 1 : exp(-lmean);
}
