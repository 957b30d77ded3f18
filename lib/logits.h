/*
 * logits: a CCMC's logits A (K x K, A_qk the score of token k for query
 * q) behind one interface, whatever holds them:
 *
 *   dense     the K x K array itself (a fitted or converted CCMC);
 *   low rank  A = E W E^T, from the embeddings E (K x d) and W (d x d) of
 *             an attention layer, never formed: a row costs O(d^2) once
 *             and O(d) per column asked for;
 *   sparse    each row's listed columns (ascending) and their logits, and
 *             for every other column j of row q the logit default_q + bg_j
 *             (a sparse ccmc record, ccmc-records(5)): a column costs a
 *             binary search, memory grows with the entries, never K^2.
 *
 * Fitting, scoring and sampling ask for the logits of one query over the
 * columns they need (a prompt's tokens, or all K), whatever the backing.
 * A logit the data do not determine is NaN; a logit of minus infinity
 * (a column a row sends to probability 0) is -INFINITY.
 */
#ifndef LOGITS_H
#define LOGITS_H

enum logits_kind { LOGITS_DENSE, LOGITS_LOWRANK, LOGITS_SPARSE };

struct logits {
	enum logits_kind kind;
	int     K, d;
	const double *A;       /* dense: K x K */
	const double *E, *W;   /* low rank: K x d and d x d */
	const double *EW;      /* low rank: E W (K x d) if the owner keeps it,
	                        * else NULL and rows are made as asked */
	double *u;             /* scratch: the query's row of E W (d) */
	int     uq;            /* the query u holds, -1 if none */
	/* sparse, owned: row q lists col[start[q] .. start[q + 1]) with logits
	 * val[..]; any other column j has (deflt[q] + bg[j]) - shift[q] (bg
	 * NULL: 0).  shift is the gauge a reader took off the row. */
	long   *start;         /* K + 1 */
	int    *col;
	double *val;
	double *deflt, *shift; /* K each */
	double *bg;            /* K, or NULL */
	double  bgmax, bgsum;  /* max of bg, sum of exp(bg - bgmax) */
	long    nent, cap;     /* entries stored, room for */
	int     rows;          /* rows added so far */
};

void   logits_dense(struct logits *g, int K, const double *A);
/* EW may be NULL. */
void   logits_lowrank(struct logits *g, int K, int d, const double *E,
           const double *W, const double *EW);
/* An empty sparse backing of K rows, to be filled row by row in order by
 * logits_sparse_add; bg (K numbers, copied) may be NULL. */
void   logits_sparse(struct logits *g, int K, const double *bg);
/* Row number g->rows: n columns, strictly ascending, with their logits
 * (NaN: not determined, -INFINITY: probability 0), and the logit
 * default of the others (NaN: not determined). */
void   logits_sparse_add(struct logits *g, const int *cols, const double *a,
           int n, double deflt);
/* Subtracts m from every logit of row q (a gauge). */
void   logits_sparse_shift(struct logits *g, int q, double m);
void   logits_free(struct logits *g);

/* out[i] = A[q][cols[i]] for i < n. */
void   logits_row(struct logits *g, int q, const int *cols, int n,
           double *out);
/* out[k] = A[q][k] for all K columns. */
void   logits_full_row(struct logits *g, int q, double *out);
/* A[q][j], one column. */
double logits_at(struct logits *g, int q, int j);
/* log sum_j exp(A[q][j]) over all K columns: O(entries of the row) for a
 * sparse backing, O(K) otherwise; NaN if a logit of the row is not
 * determined, -INFINITY if all are minus infinity. */
double logits_lognorm(struct logits *g, int q);
/* Sparse: A[q][j], listed or from the default (a binary search). */
double logits_sparse_at(const struct logits *g, int q, int j);
/* Sparse: the columns row q lists and their logits (n of them). */
void   logits_sparse_row(const struct logits *g, int q, const int **cols,
           const double **a, int *n);
/* The query side of a low-rank row: u = (E W)_q, d doubles, valid until
 * the next call; NULL for a dense backing. */
const double *logits_query(struct logits *g, int q);
/* x . y (d entries), the dot product every row of logits is made of. */
double logits_dot(const double *x, const double *y, int d);

#endif
