/*
 * chain: what users of Markov-chain libraries expect to know about the
 * base chain P: communicating classes with their periods, the stationary
 * law of each closed class, absorption probabilities into them, mean
 * first-passage times, the entropy rate and the self-dominant tokens
 * (P_kk > P_kj for all j != k), which attn-ccmc(7) names as the
 * candidates for single winners.  P is dense here; rows enter only
 * through the adjacency of chain_classes and the row reads of the
 * eliminations, where a sparse row form would plug in.
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
/* The period of class c: the gcd of its cycle lengths (0 for a state
 * with no edge back to itself, alone in its class). */
int     chain_period(const double *P, int K, const int *class, int c);
/* Absorption probabilities: the transient states (ascending) into
 * transient, and for each the chance to end in each closed class (in
 * class order) into h (row-major, room for K times their number), by
 * elimination with nonnegative arithmetic only.  Returns how many
 * transient states, -1 if one has no way out. */
int     chain_absorption(const double *P, int K, const int *class,
            const int *closed, int nclass, int *transient, double *h);
/* Mean first-passage times within the closed class of the n states
 * member: m[i n + j] the expected steps from member[i] to member[j]
 * (i = j: the mean return time), by the same elimination once per
 * target: O(n^4).  0, or -1 if some state cannot reach a target. */
int     chain_passage(const double *P, int K, const int *member, int n,
            double *m);
/* All of the above as a JSON object. */
json_t *chain_analyze(const double *P, int K);

#endif
