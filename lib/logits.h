/*
 * logits: a CCMC's logits A (K x K, A_qk the score of token k for query
 * q) behind one interface, whatever holds them:
 *
 *   dense     the K x K array itself (a fitted or converted CCMC);
 *   low rank  A = E W E^T, from the embeddings E (K x d) and W (d x d) of
 *             an attention layer, never formed: a row costs O(d^2) once
 *             and O(d) per column asked for.
 *
 * Fitting, scoring and sampling ask for the logits of one query over the
 * columns they need (a prompt's tokens, or all K), so a backing added
 * later (sparse logits from text) plugs in here, not in each of them.
 */
#ifndef LOGITS_H
#define LOGITS_H

enum logits_kind { LOGITS_DENSE, LOGITS_LOWRANK };

struct logits {
	enum logits_kind kind;
	int     K, d;
	const double *A;       /* dense: K x K */
	const double *E, *W;   /* low rank: K x d and d x d */
	const double *EW;      /* low rank: E W (K x d) if the owner keeps it,
	                        * else NULL and rows are made as asked */
	double *u;             /* scratch: the query's row of E W (d) */
	int     uq;            /* the query u holds, -1 if none */
};

void   logits_dense(struct logits *g, int K, const double *A);
/* EW may be NULL. */
void   logits_lowrank(struct logits *g, int K, int d, const double *E,
           const double *W, const double *EW);
void   logits_free(struct logits *g);

/* out[i] = A[q][cols[i]] for i < n. */
void   logits_row(struct logits *g, int q, const int *cols, int n,
           double *out);
/* out[k] = A[q][k] for all K columns. */
void   logits_full_row(struct logits *g, int q, double *out);
/* The query side of a low-rank row: u = (E W)_q, d doubles, valid until
 * the next call; NULL for a dense backing. */
const double *logits_query(struct logits *g, int q);
/* x . y (d entries), the dot product every row of logits is made of. */
double logits_dot(const double *x, const double *y, int d);

#endif
