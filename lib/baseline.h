/*
 * baseline: the models a fitted CCMC is compared with on the same tokens,
 * fitted by counting the steps of a corpus (n_ij: steps choosing j whose
 * previous token, the query, is i; n_i = sum_j n_ij; N all steps).
 *
 *   unigram, add-alpha  u_j  = (n_j + alpha) / (N + K alpha)
 *   bigram, add-alpha   P_ij = (n_ij + alpha) / (n_i + K alpha); alpha 0
 *                       is the MLE, n_ij / n_i, 0 for unseen pairs and
 *                       nothing for a query never seen
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
 * Either bigram is the ordinary Markov chain of attn-ccmc(7).  The counts
 * are kept sparse (the pairs seen), so a chain costs memory and time in
 * the steps and K, never K^2, unless it is asked for dense (P, K x K).
 * Sparse, row i of a chain is its listed columns (the tokens seen after
 * i) with their probabilities, and for every other column j
 * exp(def_i) exp(bg_j): for Kneser-Ney lambda_i = D N1+(i.) / n_i (1 for a
 * row never seen) times c_j, for add-alpha alpha / (n_i + K alpha) and
 * bg 0; for the MLE nothing (def NaN: probability 0).
 */
#ifndef BASELINE_H
#define BASELINE_H

#include <jansson.h>
#include <stdio.h>

struct corpus;
struct vocab;

struct kn_discounts {
	double D, D1;          /* bigram and continuation-unigram discounts */
	long   n1, n2;         /* pairs seen once, twice */
	long   n1_cont, n2_cont;
};

/* A bigram chain, sparse: row i lists col[start[i] .. start[i + 1])
 * (ascending) with the log-probabilities logp. */
struct chain {
	int     K;
	long   *start;         /* K + 1 */
	int    *col;
	double *logp;
	double *def;           /* K: log weight of the unlisted columns, NaN:
	                        * probability 0 */
	double *bg;            /* K, or NULL (all 0) */
};

void unigram_fit(const struct corpus *c, int K, double alpha, double *u);
/* The chains, dense (P: K x K, alpha > 0) or sparse (ch, alpha >= 0). */
void bigram_fit(const struct corpus *c, int K, double alpha, double *P);
void bigram_kn_fit(const struct corpus *c, int K, double *P,
         struct kn_discounts *d);
void chain_addk(const struct corpus *c, int K, double alpha,
         struct chain *ch);
void chain_kn(const struct corpus *c, int K, struct chain *ch,
         struct kn_discounts *d);
void chain_free(struct chain *ch);
/* P(j | i), 0 where the chain gives none. */
double chain_prob(const struct chain *ch, int i, int j);
/* p[s]: the probability of step s of cp (numbered in order). */
void chain_score(const struct chain *ch, const struct corpus *cp, double *p);
/* Writes the sparse ccmc record of ch (ccmc-records(5)): a header of
 * type, form, K, default (null: each row gives its own), background, posw
 * (null), vocab (v's words, if v) and then the fields of header, then K
 * ccmc-row lines. */
void chain_write(const struct chain *ch, const struct vocab *v,
         json_t *header);
/* Why word *j of v cannot be an ARPA word, or NULL if every one can: it
 * is empty, holds white space (which separates ARPA's words), or is <s>
 * or </s>, ARPA's sentence markers, which a reader would take it for:
 * the chain's sequences have neither.  <unk> can: it is the unknown word
 * in both.  v NULL (ids as words) always can. */
const char *arpa_unfit_word(const struct vocab *v, int *j);
/* Writes ch as a backoff bigram model in the ARPA format of SRILM and
 * KenLM: log10 P(j | i) for the pairs listed, and for the others the
 * backoff weight def_i times the unigram bg_j (ch must have both); words
 * from v (ids as decimals without one), with <s> and </s> added (never
 * predicted: log10 0 is written -99).  0, or -1 with errno set (EINVAL:
 * a word arpa_unfit_word refuses). */
int  chain_write_arpa(const struct chain *ch, const struct vocab *v, FILE *f);

#endif
