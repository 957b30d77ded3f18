/*
 * baseline: the models a fitted CCMC is compared with on the same tokens,
 * fitted by counting the steps of a corpus (n_ij: steps choosing j whose
 * previous token, the query, is i; n_i = sum_j n_ij; N all steps).
 *
 *   unigram, add-alpha  u_j  = (n_j + alpha) / (N + K alpha)
 *   bigram, add-alpha   P_ij = (n_ij + alpha) / (n_i + K alpha)
 *   bigram, interpolated Kneser-Ney (Chen and Goodman 1998, with one
 *   discount per order):
 *       P_ij = max(n_ij - D, 0) / n_i + D N1+(i.) / n_i  c_j
 *       c_j  = max(N1+(.j) - D1, 0) / N1+(..) + D1 T / N1+(..)  1/K
 *     N1+(i.) the distinct tokens that follow i, N1+(.j) those that
 *     precede j, N1+(..) the distinct pairs, T the tokens with N1+(.j) > 0;
 *     a row never seen as a query is c.  D = n1 / (n1 + 2 n2) from the
 *     number of pairs seen once (n1) and twice (n2), D1 likewise from the
 *     N1+(.j); where that is 0 or undefined (no count of 1), 0.5, so that
 *     every token keeps a positive probability.
 *
 * Either bigram is the ordinary Markov chain of attn-ccmc(7).
 */
#ifndef BASELINE_H
#define BASELINE_H

struct corpus;

struct kn_discounts {
	double D, D1;          /* bigram and continuation-unigram discounts */
	long   n1, n2;         /* pairs seen once, twice */
	long   n1_cont, n2_cont;
};

void unigram_fit(const struct corpus *c, int K, double alpha, double *u);
void bigram_fit(const struct corpus *c, int K, double alpha, double *P);
void bigram_kn_fit(const struct corpus *c, int K, double *P,
         struct kn_discounts *d);

#endif
