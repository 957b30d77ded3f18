/*
 * growth: how fast one token's count grows along a trajectory, with a
 * confidence interval that allows for the dependence between steps; the
 * test behind the winner and loser classes of trajstats.h.
 *
 * Model: the token's context count grows like a power of the context
 * size, m(n) ~ C n^gamma (gamma = 1: its share holds; gamma < 1: it fades).
 * The context is cut into blocks at sizes 0 = b_0 < b_1 < ... < b_nb = N.
 * Given the token's total count M, the power law puts the share
 *     p_k(gamma) = (b_{k+1} / N)^gamma - (b_k / N)^gamma
 * of it in block k, whatever C is; gamma is the maximum-likelihood
 * estimate of that multinomial (its log-likelihood l is concave in gamma).
 * Steps depend on each other, so block counts scatter more (sticky chains)
 * or less than a multinomial's; their Pearson dispersion
 *     phi = max(1, X^2 / (nb - 2))
 * estimates by how much, from the blocks themselves (batch means), and
 * the interval is the likelihood-ratio one scaled by it:
 *     { gamma : 2 (l(gamma_hat) - l(gamma)) <= phi q },
 * q the square of a Student t quantile with nb - 2 degrees of freedom.
 */
#ifndef GROWTH_H
#define GROWTH_H

struct growth_fit {
	double gamma;          /* estimate; INFINITY when every count is in
	                        * the last block */
	double lo, hi;         /* interval; hi INFINITY when unbounded */
	double phi;            /* dispersion used */
};

/* Fit from the counts of nb >= 3 blocks, logb[k] = log(b_{k+1} / N) for
 * k = 0 .. nb - 1 (so logb[nb - 1] = 0, and each is above the one
 * before); the counts sum to at least 1; q as above. */
void   growth_fit(const double *logb, const long *count, int nb, double q,
           struct growth_fit *g);

/* A bound on the p-value of a token's N entries after the checkpoint
 * when the ordinary Markov chain would have entered it E times in
 * expectation from the states visited (E the sum over the steps of
 * P(previous token, token)): small when N falls far below E.  Valid
 * whatever the chain's start or mixing (a supermartingale; growth.c). */
double loser_p_value(long N, double E);

/* The t such that P(T > t) = a for Student's T with df degrees of freedom
 * (0 < a <= 1/2). */
double t_quantile(double a, double df);

#endif
