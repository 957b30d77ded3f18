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
/* Stationary distribution of the closed class c (zero elsewhere). */
int     chain_stationary(const double *P, int K, const int *class, int c,
            double *pi);
int     chain_self_dominant(const double *P, int K, int k);
/* All of the above as a JSON object. */
json_t *chain_analyze(const double *P, int K);

#endif
