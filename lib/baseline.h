/*
 * baseline: the models a fitted CCMC is compared with on the same tokens,
 * fitted by counting the steps of a corpus with Laplace (add-alpha)
 * smoothing:
 *   unigram   u_j  = (n_j + alpha) / (N + K alpha),   n_j = steps choosing j
 *   bigram    P_ij = (n_ij + alpha) / (n_i + K alpha), n_ij = steps choosing j
 *             whose previous token (the query) is i
 * The bigram is the ordinary Markov chain of attn-ccmc(7).
 */
#ifndef BASELINE_H
#define BASELINE_H

struct corpus;

void unigram_fit(const struct corpus *c, int K, double alpha, double *u);
void bigram_fit(const struct corpus *c, int K, double alpha, double *P);

#endif
