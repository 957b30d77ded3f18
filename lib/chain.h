/*
 * chain: what users of Markov-chain libraries expect to know about the
 * base chain P: communicating classes, stationary distribution, entropy
 * rate and the self-dominant tokens (P_kk > P_kj for all j != k), which
 * attn-ccmc(7) names as the candidates for single winners.
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <jansson.h>

/* Communicating classes of the graph {i -> j : P_ij > 0}: class[i] is the
 * class of state i; returns the number of classes.  closed[c] is 1 for a
 * class no edge leaves. */
int     chain_classes(const double *P, int K, int *class, int *closed);
/* Stationary distribution of the closed class c (zero elsewhere), exact to
 * rounding even when P is nearly reducible or its stationary weights span
 * more than the range of a double; O(n^3) for a class of n states.
 * Returns 0, or -1 if it could not (it cannot happen for a class as
 * chain_classes gives it). */
int     chain_stationary(const double *P, int K, const int *class, int c,
            double *pi);
/* The long-run law of the chain started from the law f: the limit of the
 * averages of f P^t, which is the mass f sends into each closed class times
 * that class's stationary law (the stationary law itself when P is
 * irreducible, whatever f).  Same method, cost and status as above. */
int     chain_long_run(const double *P, int K, const double *f, double *pi);
int     chain_self_dominant(const double *P, int K, int k);
/* All of the above as a JSON object. */
json_t *chain_analyze(const double *P, int K);

#endif
