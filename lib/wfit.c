#include "wfit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastrec.h"
#include "fitrecord.h"
#include "logits.h"
#include "numeric.h"
#include "rng.h"
#include "stream.h"
#include "util.h"
#include "weights.h"

/* ---- reading ---- */

static void
push_tokens(struct wfit_data *D, const int *t, int n)
{
	if (D->ntok + n > D->tokcap) {
		D->tokcap = 2 * D->tokcap > D->ntok + n ? 2 * D->tokcap :
		    D->ntok + n + 1024;
		D->tok = xrealloc(D->tok, checked_size((size_t)D->tokcap,
		    sizeof *D->tok));
	}
	memcpy(D->tok + D->ntok, t, (size_t)n * sizeof *t);
	D->ntok += n;
}

static void
push_sample(struct wfit_data *D, long start, int len)
{
	int q = D->tok[start + len - 1];

	if (D->n == D->cap) {
		D->cap = D->cap ? 2 * D->cap : 1024;
		D->start = xrealloc(D->start, checked_size((size_t)D->cap,
		    sizeof *D->start));
		D->len = xrealloc(D->len, (size_t)D->cap * sizeof *D->len);
		D->slot = xrealloc(D->slot, (size_t)D->cap * sizeof *D->slot);
		D->seq = xrealloc(D->seq, (size_t)D->cap * sizeof *D->seq);
	}
	if (D->slot_of[q] < 0) {
		D->slot_of[q] = D->nq;
		D->qtok[D->nq++] = q;
	}
	D->start[D->n] = start;
	D->len[D->n] = len;
	D->seq[D->n] = D->nseq;
	D->slot[D->n++] = D->slot_of[q];
}

/* A prompt and the tokens that followed it, each step a sample; every
 * next token must be in its context (the headless law gives any other
 * probability 0).  seen: per token, the stamp of the last sequence that
 * held it. */
static void
add_sequence(struct wfit_data *D, const struct input *in, long *seen,
    long stamp, const int *prompt, int L, const int *next, int T)
{
	long start = D->ntok;

	if (L < 1)
		input_fail(in, "empty prompt: a W-fit needs a query token");
	if ((long)L + T > MAX_PROMPT)
		input_fail(in, "context of %ld tokens: beyond %ld", (long)L + T,
		    MAX_PROMPT);
	for (int t = 0; t < L + T; t++) {
		int k = t < L ? prompt[t] : next[t - L];

		if (k < 0 || k >= D->K)
			input_fail(in, "token %d outside the model's 0..%d", k,
			    D->K - 1);
		if (t >= L && seen[k] != stamp)
			input_fail(in, "next token %d is not in its context: "
			    "impossible under the headless law (the next token is "
			    "the token at the attended position)", k);
		seen[k] = stamp;
	}
	push_tokens(D, prompt, L);
	push_tokens(D, next, T);
	for (int t = 0; t < T; t++)
		push_sample(D, start, L + t);
	D->nseq++;
}

/* A sample or trajectory record read as a JSON tree. */
static void
add_record(struct wfit_data *D, struct input *in, json_t *rec, long *seen,
    long stamp)
{
	const char *type = record_type(rec);
	int *prompt, *next, L, T = 1, y;
	json_t *chain = json_object_get(rec, "chain");

	if (strcmp(type, "sample") && strcmp(type, "trajectory")) {
		if (!D->truth && strcmp(type, "attn-model") == 0) {
			D->truth = json_incref(rec);
			D->truth_file = xstrdup(in->name);
			D->truth_line = in->line;
		}
		else
			D->skipped++;
		return;
	}
	if (chain && !json_is_null(chain))
		input_fail(in, "%s drawn from the ordinary chain (\"chain\"): "
		    "not a draw of the attention law a W-fit learns", type);
	prompt = field_tokens(in, rec, "prompt", D->K, NULL, &L);
	if (strcmp(type, "sample") == 0) {
		y = (int)field_long(in, rec, "y", 0, D->K - 1);
		next = xmalloc(sizeof *next);
		*next = y;
	} else
		next = field_tokens(in, rec, "tokens", D->K, NULL, &T);
	add_sequence(D, in, seen, stamp, prompt, L, next, T);
	free(prompt);
	free(next);
}

void
wfit_read(struct wfit_data *D, int K, int nfiles, char **files)
{
	struct input in;
	struct fastrec fr = { 0 };
	long *seen = xmalloc((size_t)K * sizeof *seen), stamp = 0;

	memset(D, 0, sizeof *D);
	D->K = K;
	D->slot_of = xmalloc((size_t)K * sizeof *D->slot_of);
	D->qtok = xmalloc((size_t)K * sizeof *D->qtok);
	for (int k = 0; k < K; k++)
		D->slot_of[k] = -1, seen[k] = -1;
	input_open(&in, nfiles, files);
	while (input_line(&in)) {
		int kind = fastrec_read(&fr, &in);

		stamp++;
		if (kind != FAST_NONE) {
			if (fr.markov)
				input_fail(&in, "drawn from the ordinary chain "
				    "(\"chain\"): not a draw of the attention law "
				    "a W-fit learns");
			add_sequence(D, &in, seen, stamp, fr.prompt, fr.L, fr.tokens,
			    fr.T);
		} else {
			json_t *rec = input_parse(&in);

			add_record(D, &in, rec, seen, stamp);
			json_decref(rec);
		}
	}
	if (D->n == 0)
		input_fail(&in, "no sample or trajectory records to fit W to");
	input_close(&in);
	fastrec_free(&fr);
	free(seen);
}

void
wfit_data_free(struct wfit_data *D)
{
	free(D->start);
	free(D->len);
	free(D->slot);
	free(D->seq);
	free(D->tok);
	free(D->qtok);
	free(D->slot_of);
	if (D->truth)
		json_decref(D->truth);
	free(D->truth_file);
	memset(D, 0, sizeof *D);
}

/* ---- the likelihood, its gradient and Hessian ---- */

/* What every pass over the samples shares.  A pass visits the samples
 * grouped by query (the query's row of E W, or of E V, is made once per
 * group), at position o of order the sample order[o]. */
struct pass {
	const struct wfit_data *D;
	const double *E;
	int     d;
	const double *mult;    /* per sample: its weight (a bootstrap's
	                        * multiplicity), or NULL for 1 */
	double  total;         /* of the weights */
	long   *order;         /* samples grouped by query slot */
	long   *first;         /* group j is order[first[j] .. first[j+1]) */
	long   *ctx;           /* by position: where its context starts in
	                        * D->tok (read in order, not at random) */
	long   *aoff;          /* by position: its attention in alpha;
	                        * aoff[o + 1] - aoff[o] is its length */
	double *s, *ds, *m, *gq, *Mq, *hq;   /* scratch */
	/* the attention of every sample at the W of the last gradient, for
	 * the Hessian-vector products there (if it fits WFIT_CACHE) */
	double *alpha;
	int     alpha_valid;
	long    passes;        /* over the samples, so far */
};

/* An entry of W whose unit vector has more than this share outside the
 * range of the Hessian is moved by a direction the data leave open. */
#define WFIT_MOVABLE 1e-6

#define WFIT_CACHE (1L << 27)   /* doubles of cached attention, 1 GiB */

static void
pass_init(struct pass *P, const struct wfit_data *D, const double *E, int d,
    const double *mult)
{
	long maxlen = 0, *at;

	memset(P, 0, sizeof *P);
	P->D = D;
	P->E = E;
	P->d = d;
	P->mult = mult;
	P->total = (double)D->n;
	if (mult) {
		P->total = 0;
		for (long i = 0; i < D->n; i++)
			P->total += mult[i];
	}
	P->first = xcalloc((size_t)D->nq + 1, sizeof *P->first);
	P->order = xmalloc(checked_size((size_t)D->n, sizeof *P->order));
	P->ctx = xmalloc(checked_size((size_t)D->n, sizeof *P->ctx));
	for (long i = 0; i < D->n; i++) {
		P->first[D->slot[i] + 1]++;
		maxlen = D->len[i] > maxlen ? D->len[i] : maxlen;
	}
	for (int j = 0; j < D->nq; j++)
		P->first[j + 1] += P->first[j];
	at = xmalloc(((size_t)D->nq + 1) * sizeof *at);
	memcpy(at, P->first, ((size_t)D->nq + 1) * sizeof *at);
	for (long i = 0; i < D->n; i++)
		P->order[at[D->slot[i]]++] = i;
	free(at);
	P->s = xmalloc((size_t)maxlen * sizeof *P->s);
	P->ds = xmalloc((size_t)maxlen * sizeof *P->ds);
	P->aoff = xmalloc(((size_t)D->n + 1) * sizeof *P->aoff);
	P->aoff[0] = 0;
	for (long o = 0; o < D->n; o++) {
		P->ctx[o] = D->start[P->order[o]];
		P->aoff[o + 1] = P->aoff[o] + D->len[P->order[o]];
	}
	if (P->aoff[D->n] <= WFIT_CACHE)
		P->alpha = xmalloc(((size_t)P->aoff[D->n] + 1) * sizeof *P->alpha);
	P->m = xmalloc((size_t)d * sizeof *P->m);
	P->gq = xmalloc((size_t)d * sizeof *P->gq);
	P->hq = xmalloc((size_t)d * sizeof *P->hq);
	P->Mq = d <= WFIT_NEWTON_MAX_D ?
	    xmalloc((size_t)d * d * sizeof *P->Mq) : NULL;
}

static void
pass_free(struct pass *P)
{
	free(P->order);
	free(P->first);
	free(P->ctx);
	free(P->aoff);
	free(P->s);
	free(P->ds);
	free(P->alpha);
	free(P->m);
	free(P->gq);
	free(P->Mq);
	free(P->hq);
}

/* Asks the memory, while the sample at position o is computed, for the
 * rows of E that the next one reads (its context's, and with next its
 * next token's) and for the tokens of the one after.  The rows are random
 * reads of a table larger than the caches (K 50000, d 64: 25 MB); asked
 * for one sample ahead, their latency is hidden: a pass at that size
 * takes half the time. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noipa))   /* GCC thinks a function that only prefetches is
                          * pure, and drops its calls */
#endif
static void
prefetch_ahead(const struct pass *P, long o, int next)
{
#if defined(__GNUC__)
	long n = P->D->n;
	size_t row = (size_t)P->d * sizeof *P->E;

	if (o + 2 < n) {
		const int *c = P->D->tok + P->ctx[o + 2];
		long L = P->aoff[o + 3] - P->aoff[o + 2];

		for (long t = 0; t <= L; t += 64 / sizeof *c)
			__builtin_prefetch(c + t);
	}
	if (o + 1 < n) {
		const int *c = P->D->tok + P->ctx[o + 1];
		long L = P->aoff[o + 2] - P->aoff[o + 1] + next;

		for (long t = 0; t < L; t++) {
			const char *e = (const char *)(P->E + (size_t)c[t] * P->d);

			for (size_t b = 0; b < row; b += 64)
				__builtin_prefetch(e + b);
		}
	}
#else
	(void)P, (void)o, (void)next;
#endif
}

/* The attention of the context ctx (L tokens, then the next token) into
 * P->s (summing to 1) from its logits; returns log p(next token). */
static double
attention(struct pass *P, struct logits *g, const int *ctx, int L)
{
	int y = ctx[L], cy = 0;
	double *s = P->s, max = -INFINITY, z = 0, sy = 0;

	logits_row(g, ctx[L - 1], ctx, L, s);
	for (int t = 0; t < L; t++) {
		max = s[t] > max ? s[t] : max;
		if (ctx[t] == y) {
			cy++;
			sy = s[t];
		}
	}
	for (int t = 0; t < L; t++)
		z += s[t] = exp(s[t] - max);
	for (int t = 0; t < L; t++)
		s[t] /= z;
	return log(cy) + sy - max - log(z);
}

/* H[(a,b),(c,e)] += e_q[a] e_q[c] Mq[b][e] */
static void
add_kron(double *H, const double *eq, const double *Mq, int d)
{
	size_t p = (size_t)d * d;

	for (int a = 0; a < d; a++)
		for (int c = 0; c < d; c++) {
			double f = eq[a] * eq[c];

			if (f == 0)
				continue;
			for (int b = 0; b < d; b++) {
				double *h = H + ((size_t)a * d + b) * p + (size_t)c * d;
				const double *mb = Mq + (size_t)b * d;

				for (int e = 0; e < d; e++)
					h[e] += f * mb[e];
			}
		}
}

/* M[b][l] += w e[b] e[l] */
static void
add_outer(double *restrict M, const double *e, double w, int d)
{
	for (int b = 0; b < d; b++) {
		double f = w * e[b];

		for (int l = 0; l < d; l++)
			M[(size_t)b * d + l] += f * e[l];
	}
}

/* The weight of the sample at position o. */
static double
weight(const struct pass *P, long o)
{
	return P->mult ? P->mult[P->order[o]] : 1;
}

/* The log-likelihood of W; with G, its gradient (d x d) added to G and
 * the attention cached for hess_vec; with G and H, its negative Hessian
 * (d^2 x d^2) added to H. */
static double
evaluate(struct pass *P, const double *W, double *G, double *H)
{
	const struct wfit_data *D = P->D;
	int d = P->d;
	double ll = 0, *restrict m = P->m, *restrict gq = P->gq;
	struct logits g;

	logits_lowrank(&g, D->K, d, P->E, W, NULL);
	for (int j = 0; j < D->nq; j++) {
		const double *eq = P->E + (size_t)D->qtok[j] * d;

		memset(gq, 0, (size_t)d * sizeof *gq);
		if (H)
			memset(P->Mq, 0, (size_t)d * d * sizeof *P->Mq);
		for (long o = P->first[j]; o < P->first[j + 1]; o++) {
			const int *ctx = D->tok + P->ctx[o];
			int L = (int)(P->aoff[o + 1] - P->aoff[o]);
			double w = weight(P, o);
			const double *ey = P->E + (size_t)ctx[L] * d;

			prefetch_ahead(P, o, G != NULL);
			if (w == 0)
				continue;
			ll += w * attention(P, &g, ctx, L);
			if (!G)
				continue;
			if (P->alpha)
				memcpy(P->alpha + P->aoff[o], P->s, (size_t)L * sizeof *P->s);
			memset(m, 0, (size_t)d * sizeof *m);
			for (int t = 0; t < L; t++) {
				const double *restrict e = P->E + (size_t)ctx[t] * d;
				double st = P->s[t];

				for (int l = 0; l < d; l++)
					m[l] += st * e[l];
				if (H)
					add_outer(P->Mq, e, w * st, d);
			}
			for (int l = 0; l < d; l++)
				gq[l] += w * (ey[l] - m[l]);
			if (H)
				add_outer(P->Mq, m, -w, d);
		}
		if (G)
			for (int a = 0; a < d; a++)
				for (int b = 0; b < d; b++)
					G[(size_t)a * d + b] += eq[a] * gq[b];
		if (H)
			add_kron(H, eq, P->Mq, d);
	}
	logits_free(&g);
	P->alpha_valid = G && P->alpha;
	P->passes++;
	return ll;
}

/* HV = the negative Hessian of the log-likelihood at W times V (d x d):
 * per sample, the attention-weighted covariance of the logits' change
 * e_q^T V x_t with the prompt's embeddings, O(L d).  The change is a row
 * of logits of E V E^T; the attention, the one evaluate cached at W. */
static void
hess_vec(struct pass *P, const double *W, const double *V, double *HV)
{
	const struct wfit_data *D = P->D;
	int d = P->d;
	double *restrict hq = P->hq, *ds = P->ds;
	struct logits g, gw;

	memset(HV, 0, (size_t)d * d * sizeof *HV);
	logits_lowrank(&g, D->K, d, P->E, V, NULL);
	logits_lowrank(&gw, D->K, d, P->E, W, NULL);
	for (int j = 0; j < D->nq; j++) {
		const double *eq = P->E + (size_t)D->qtok[j] * d;

		memset(hq, 0, (size_t)d * sizeof *hq);
		for (long o = P->first[j]; o < P->first[j + 1]; o++) {
			const int *ctx = D->tok + P->ctx[o];
			int L = (int)(P->aoff[o + 1] - P->aoff[o]);
			double mean = 0, w = weight(P, o);
			const double *a = P->s;

			prefetch_ahead(P, o, !P->alpha_valid);
			if (w == 0)
				continue;
			if (P->alpha_valid)
				a = P->alpha + P->aoff[o];
			else
				attention(P, &gw, ctx, L);
			logits_row(&g, D->qtok[j], ctx, L, ds);
			for (int t = 0; t < L; t++)
				mean += a[t] * ds[t];
			for (int t = 0; t < L; t++) {
				const double *restrict e = P->E + (size_t)ctx[t] * d;
				double wt = w * a[t] * (ds[t] - mean);

				for (int l = 0; l < d; l++)
					hq[l] += wt * e[l];
			}
		}
		for (int a = 0; a < d; a++)
			for (int b = 0; b < d; b++)
				HV[(size_t)a * d + b] += eq[a] * hq[b];
	}
	logits_free(&g);
	logits_free(&gw);
	P->passes++;
}

double
wfit_loglik(const struct wfit_data *D, const double *E, int d,
    const double *W)
{
	struct pass P;
	double ll;

	pass_init(&P, D, E, d, NULL);
	ll = evaluate(&P, W, NULL, NULL);
	pass_free(&P);
	return ll;
}

/* ---- the fit ---- */

/* Rows (r x p) of an orthonormal basis of the range of the positive
 * semi-definite H (p x p): pivoted Cholesky keeps the columns whose
 * remaining diagonal exceeds 1e-10 of the largest, Gram-Schmidt (twice)
 * makes them orthonormal. */
static double *
range_basis(const double *H, int p, int *rank)
{
	double *dg = xmalloc((size_t)p * sizeof *dg), *L, top = 0;
	char *used = xcalloc((size_t)p, 1);
	int r = 0;

	L = xmalloc(checked_size((size_t)p * p, sizeof *L));   /* rows: columns of L */
	for (int i = 0; i < p; i++)
		top = fmax(top, dg[i] = H[(size_t)i * p + i]);
	for (; r < p; r++) {
		int j = -1;
		double *col = L + (size_t)r * p, piv;

		for (int i = 0; i < p; i++)
			if (!used[i] && (j < 0 || dg[i] > dg[j]))
				j = i;
		if (!(dg[j] > 1e-10 * top))
			break;
		used[j] = 1;
		piv = sqrt(dg[j]);
		for (int i = 0; i < p; i++) {
			double v = H[(size_t)i * p + j];

			for (int k = 0; k < r; k++)
				v -= L[(size_t)k * p + i] * L[(size_t)k * p + j];
			col[i] = v / piv;
		}
		for (int i = 0; i < p; i++)
			if (!used[i])
				dg[i] -= col[i] * col[i];
	}
	for (int k = 0; k < r; k++) {
		double *v = L + (size_t)k * p, norm;

		for (int pass = 0; pass < 2; pass++)
			for (int b = 0; b < k; b++) {
				const double *u = L + (size_t)b * p;
				double c = logits_dot(u, v, p);

				for (int i = 0; i < p; i++)
					v[i] -= c * u[i];
			}
		norm = sqrt(logits_dot(v, v, p));
		for (int i = 0; i < p; i++)
			v[i] /= norm;
	}
	free(dg);
	free(used);
	*rank = r;
	return L;
}

/* The objective: minus the log-likelihood plus the ridge. */
static double
objective(double ll, const double *W, size_t p, double l2)
{
	return -ll + 0.5 * l2 * logits_dot(W, W, (int)p);
}

/* The Newton step solving Hf x = -g in the span of the rows of B (r x p),
 * or in full when B is NULL.  -1 if Hf is not positive definite there. */
static int
newton_step(const double *Hf, const double *B, int r, int p, const double *g,
    double *x)
{
	int n = B ? r : p, rc;
	double *A = xmalloc(checked_size((size_t)n * n, sizeof *A));
	double *b = xmalloc((size_t)n * sizeof *b);

	if (!B) {
		memcpy(A, Hf, (size_t)p * p * sizeof *A);
		for (int i = 0; i < p; i++)
			b[i] = -g[i];
	} else {
		double *T = xmalloc(checked_size((size_t)r * p, sizeof *T));

		mat_mul(B, Hf, T, r, p, p);             /* B Hf (Hf symmetric) */
		mat_mul_bt(T, B, A, r, p, r);           /* B Hf B^T */
		for (int k = 0; k < r; k++)
			b[k] = -logits_dot(B + (size_t)k * p, g, p);
		free(T);
	}
	if ((rc = cholesky(A, n)) == 0) {
		cholesky_solve(A, b, n);
		if (!B)
			memcpy(x, b, (size_t)p * sizeof *x);
		else {
			memset(x, 0, (size_t)p * sizeof *x);
			for (int k = 0; k < r; k++)
				for (int i = 0; i < p; i++)
					x[i] += b[k] * B[(size_t)k * p + i];
		}
	}
	free(A);
	free(b);
	return rc;
}

/* The largest |x_i| / n: the convergence test's measure of a gradient. */
static double
per_sample_max(const double *x, int p, double n)
{
	double m = 0;

	for (int i = 0; i < p; i++)
		m = max_nan(m, fabs(x[i]) / n);
	return m;
}

/* Newton-CG: x approximately solving (H + l2 I) x = -g by conjugate
 * gradients on Hessian-vector products, from x = 0 (so x stays in the
 * span of the gradients: the Hessian's range), stopping at a relative
 * residual min(0.5, sqrt(|g| / n)), or once the residual, the gradient
 * the step's quadratic model leaves, would pass the convergence test with
 * a factor 2 to spare (a last step needs no more), or on negative
 * curvature. */
static void
cg_step(struct pass *P, const double *W, double l2, double tol,
    const double *g, double *x, long *hv)
{
	int p = P->d * P->d;
	size_t bytes = (size_t)p * sizeof(double);
	double *r = xmalloc(bytes), *dir = xmalloc(bytes), *Hd = xmalloc(bytes);
	double rr, g0 = sqrt(logits_dot(g, g, p)), stop;

	stop = g0 * fmin(0.5, sqrt(g0 / P->total));
	memset(x, 0, bytes);
	for (int i = 0; i < p; i++)
		r[i] = dir[i] = -g[i];
	rr = logits_dot(r, r, p);
	for (int it = 0; it < 2 * p + 10 && sqrt(rr) > stop &&
	    per_sample_max(r, p, P->total) > tol / 2; it++) {
		double curv, a, rr2;

		hess_vec(P, W, dir, Hd);
		++*hv;
		for (int i = 0; i < p; i++)
			Hd[i] += l2 * dir[i];
		curv = logits_dot(dir, Hd, p);
		if (!(curv > 0)) {
			if (it == 0)
				memcpy(x, dir, bytes);
			break;
		}
		a = rr / curv;
		for (int i = 0; i < p; i++) {
			x[i] += a * dir[i];
			r[i] -= a * Hd[i];
		}
		rr2 = logits_dot(r, r, p);
		for (int i = 0; i < p; i++)
			dir[i] = r[i] + rr2 / rr * dir[i];
		rr = rr2;
	}
	free(r);
	free(dir);
	free(Hd);
}

/* W <- W + t x with t halved from 1 until the objective falls enough
 * (Armijo); returns the new objective, or f if no step helped.  Each
 * trial point's pass computes its gradient too (into *Gt, swapped with
 * *G when the point is taken) and leaves its attention in the cache: an
 * accepted step is the next iteration's first pass, not one more. */
static double
line_search(struct pass *P, double *W, const double *x, const double *g,
    double f, double l2, double *ll, double **G, double **Gt)
{
	int p = P->d * P->d;
	double *Wt = xmalloc((size_t)p * sizeof *Wt), slope = logits_dot(g, x, p);

	for (double t = 1; t > 1e-12; t /= 2) {
		double llt, ft, *swap;

		for (int i = 0; i < p; i++)
			Wt[i] = W[i] + t * x[i];
		memset(*Gt, 0, (size_t)p * sizeof **Gt);
		llt = evaluate(P, Wt, *Gt, NULL);
		ft = objective(llt, Wt, (size_t)p, l2);
		if (ft <= f + 1e-4 * t * slope || (ft < f && t < 1e-3)) {
			memcpy(W, Wt, (size_t)p * sizeof *W);
			*ll = llt;
			swap = *G, *G = *Gt, *Gt = swap;
			free(Wt);
			return ft;
		}
	}
	free(Wt);
	return f;
}

/* How far each entry of W can move unseen: the share of its unit vector
 * outside the range spanned by the rows of B (r x p). */
static double *
movable_entries(const double *B, int r, int p)
{
	double *mv = xmalloc((size_t)p * sizeof *mv);

	for (int i = 0; i < p; i++) {
		double in = 0;

		for (int k = 0; k < r; k++)
			in += B[(size_t)k * p + i] * B[(size_t)k * p + i];
		mv[i] = fmax(0, 1 - in);
	}
	return mv;
}

/* Standard errors of the entries of W from the inverse Fisher information
 * in the Hessian's range (R->movable set). */
static void
standard_errors(struct pass *P, struct wfit_result *R, const double *B,
    int r, double l2)
{
	int d = P->d, p = d * d;
	double *H = xcalloc((size_t)p * p, sizeof *H);
	double *G = xcalloc((size_t)p, sizeof *G);
	double *A = xmalloc(((size_t)r * r + 1) * sizeof *A);
	double *T = xmalloc(((size_t)r * p + 1) * sizeof *T);
	double *col = xmalloc(((size_t)r + 1) * sizeof *col);

	evaluate(P, R->W, G, H);
	for (int i = 0; i < p; i++)
		H[(size_t)i * p + i] += l2;
	mat_mul(B, H, T, r, p, p);
	mat_mul_bt(T, B, A, r, p, r);
	R->se = xmalloc((size_t)p * sizeof *R->se);
	if (r > 0 && cholesky(A, r) != 0) {
		for (int i = 0; i < p; i++)
			R->se[i] = NAN, R->movable[i] = 1;
		goto done;
	}
	for (int i = 0; i < p; i++) {
		/* B e_i: its projection on the range; var = |L^{-1} B e_i|^2 */
		double var = 0;

		for (int k = 0; k < r; k++)
			col[k] = B[(size_t)k * p + i];
		if (R->movable[i] > WFIT_MOVABLE) {
			R->se[i] = NAN;
			continue;
		}
		for (int k = 0; k < r; k++) {      /* forward substitution */
			double v = col[k];

			for (int l = 0; l < k; l++)
				v -= A[(size_t)k * r + l] * col[l];
			col[k] = v / A[(size_t)k * r + k];
			var += col[k] * col[k];
		}
		R->se[i] = sqrt(var);
	}
done:
	free(H);
	free(G);
	free(A);
	free(T);
	free(col);
}

/* Whether a fit of dimension d is dense Newton. */
static int
newton_for(const struct wfit_options *o, int d)
{
	return o->method == WFIT_NEWTON ||
	    (o->method == WFIT_AUTO && d <= WFIT_NEWTON_MAX_D);
}

/* The fit with per-sample weights mult (NULL: 1 each); standard errors
 * only without. */
static void
fit(const struct wfit_data *D, const double *E, int d,
    const struct wfit_options *o, const double *mult, struct wfit_result *R)
{
	int p = d * d, newton, r = 0;
	size_t bytes = (size_t)p * sizeof(double);
	double *G = xcalloc((size_t)p, sizeof *G), *Gt = xmalloc(bytes);
	double *g = xmalloc(bytes), *x = xmalloc(bytes);
	double *H = NULL, *B = NULL, f, ll;
	struct pass P;

	memset(R, 0, sizeof *R);
	R->d = d;
	R->rank = -1;
	R->W = xcalloc((size_t)p, sizeof *R->W);
	pass_init(&P, D, E, d, mult);
	newton = newton_for(o, d);
	R->cg = !newton;
	if (newton)
		H = xcalloc(checked_size((size_t)p, (size_t)p), sizeof *H);
	/* one pass at W = 0: the first iteration's gradient, and Newton's
	 * Hessian, whose range is the same at every W */
	ll = evaluate(&P, R->W, G, H);
	if (newton) {
		B = range_basis(H, p, &r);
		R->rank = r;
		R->movable = movable_entries(B, r, p);
	}
	f = objective(ll, R->W, (size_t)p, o->l2);
	for (R->iters = 0;; R->iters++) {
		double fnew;

		for (int i = 0; i < p; i++)
			g[i] = -G[i] + o->l2 * R->W[i];
		R->gnorm = per_sample_max(g, p, P.total);
		if (o->progress && !mult)
			fprintf(stderr, "%s: W-fit iteration %d: loglik %.12g, "
			    "gradient %.3g\n", progname, R->iters, ll, R->gnorm);
		if (R->gnorm <= o->tol) {
			R->converged = 1;
			break;
		}
		if (R->iters >= o->max_iter) {
			R->why = "the iteration limit was reached";
			break;
		}
		if (newton) {
			if (R->iters > 0) {   /* the Hessian at the step's end */
				memset(H, 0, (size_t)p * p * sizeof *H);
				memset(Gt, 0, bytes);
				evaluate(&P, R->W, Gt, H);
			}
			for (int i = 0; i < p; i++)
				H[(size_t)i * p + i] += o->l2;
			if (newton_step(H, o->l2 > 0 ? NULL : B, r, p, g, x) != 0) {
				R->why = "the Hessian is not positive definite on the "
				    "directions the data determine";
				break;
			}
		} else
			cg_step(&P, R->W, o->l2, o->tol, g, x, &R->hv);
		fnew = line_search(&P, R->W, x, g, f, o->l2, &ll, &G, &Gt);
		if (!(fnew < f)) {
			/* no step lowers it: at the limit of rounding */
			R->converged = R->gnorm <= 1e3 * o->tol;
			if (!R->converged)
				R->why = "no step lowers the objective (the maximum "
				    "may not exist: a direction in which the "
				    "likelihood keeps rising; try --l2)";
			break;
		}
		f = fnew;
	}
	R->loglik = ll;
	R->objective = -f;
	if (newton && !mult)
		standard_errors(&P, R, B, r, o->l2);
	R->passes = P.passes;
	free(H);
	free(B);
	free(G);
	free(Gt);
	free(g);
	free(x);
	pass_free(&P);
}

int
wfit_fit(const struct wfit_data *D, const double *E, int d,
    const struct wfit_options *o, struct wfit_result *R)
{
	fit(D, E, d, o, NULL, R);
	return 0;
}

/* Resample b: each record drawn with replacement, nseq times, its count
 * the weight of each of its samples. */
static void
resample(const struct wfit_data *D, uint64_t seed, int b, double *count,
    double *mult)
{
	struct rng rng;

	rng_init(&rng, seed, "wfit-bootstrap", (uint64_t)b);
	memset(count, 0, (size_t)D->nseq * sizeof *count);
	for (long k = 0; k < D->nseq; k++)
		count[rng_below(&rng, (uint32_t)D->nseq)] += 1;
	for (long i = 0; i < D->n; i++)
		mult[i] = count[D->seq[i]];
}

void
wfit_bootstrap(const struct wfit_data *D, const double *E, int d,
    const struct wfit_options *o, struct wfit_result *R)
{
	int p = d * d, B = o->bootstrap;
	double *count = xmalloc(((size_t)D->nseq + 1) * sizeof *count);
	double *mult = xmalloc(((size_t)D->n + 1) * sizeof *mult);
	double *draw = xmalloc(checked_size(checked_size((size_t)p, (size_t)B),
	    sizeof *draw));

	for (int b = 0; b < B; b++) {
		struct wfit_result r;

		if (o->progress)
			fprintf(stderr, "\r%s: W-fit bootstrap %d/%d", progname, b, B);
		resample(D, o->seed, b, count, mult);
		fit(D, E, d, o, mult, &r);
		R->unconverged += !r.converged;
		for (int i = 0; i < p; i++)
			draw[(size_t)i * B + b] = r.movable[i] <= WFIT_MOVABLE ?
			    r.W[i] : NAN;
		wfit_result_free(&r);
	}
	if (o->progress)
		fprintf(stderr, "\r%s: W-fit bootstrap %d/%d\n", progname, B, B);
	R->lo = xmalloc(2 * (size_t)p * sizeof *R->lo);
	R->hi = R->lo + p;
	for (int i = 0; i < p; i++) {
		double *x = draw + (size_t)i * B;
		int nan = R->unconverged > 0 || R->movable[i] > WFIT_MOVABLE;

		for (int b = 0; b < B; b++)
			nan |= isnan(x[b]);
		R->lo[i] = R->hi[i] = NAN;
		if (!nan)
			quantile_pair(x, B, 0.025, 0.975, &R->lo[i], &R->hi[i]);
	}
	free(count);
	free(mult);
	free(draw);
}

void
wfit_result_free(struct wfit_result *r)
{
	free(r->W);
	free(r->se);
	free(r->movable);
	free(r->lo);
	memset(r, 0, sizeof *r);
}

/* ---- ccmc-estimate --embeddings ---- */

/* The model whose E is taken as known: headless, or tied (then the law
 * is the same), and without positions. */
static void
read_embeddings(const char *file, struct attn_model *m)
{
	struct input in;
	char *f = (char *)file;
	json_t *rec;

	input_open(&in, 1, &f);
	while ((rec = input_record(&in)) &&
	    strcmp(record_type(rec), "attn-model") != 0)
		json_decref(rec);
	if (!rec)
		input_fail(&in, "no attn-model record: --embeddings takes E from "
		    "one");
	model_parse(&in, rec, m);
	json_decref(rec);
	if (m->lmax)
		input_fail(&in, "the model has positional encodings: the W-fit "
		    "takes E alone (models without positions)");
	if (m->C && !(model_head_error(m) <= m->tol))
		input_fail(&in, "the model's head is not tied to E, max|C E^T - "
		    "I| = %.3g: the W-fit learns the law of a headless or tied "
		    "model (\"C\": null makes it headless)", model_head_error(m));
	input_no_stray_row(&in);
	input_close(&in);
}

/* Against a ground-truth attn-model in the data: its log-likelihood, and
 * with the same E, the largest error of a determined entry of W. */
static json_t *
truth_json(const struct wfit_data *D, const struct attn_model *m,
    const struct wfit_result *R)
{
	struct attn_model t;
	struct input in = { .name = D->truth_file, .line = D->truth_line };
	double err = 0;
	int p = m->d * m->d, any = 0;
	json_t *K = json_object_get(D->truth, "K"), *d = json_object_get(D->truth, "d");

	if (json_integer_value(K) != m->K || json_integer_value(d) != m->d)
		return json_null();
	model_parse_like(&in, D->truth, &t, m);
	if (t.lmax || (!t.e_borrowed && max_abs_diff(t.E, m->E,
	    (size_t)m->K * m->d) > 0)) {
		model_free(&t);
		return json_null();
	}
	for (int i = 0; R->se && i < p; i++)
		if (!isnan(R->se[i])) {
			err = fmax(err, fabs(R->W[i] - t.W[i]));
			any = 1;
		}
	json_t *j = jpack("{s:f,s:o}", "loglik",
	    wfit_loglik(D, t.E, t.d, t.W), "W_max_abs_error",
	    any ? jreal(err) : json_null());
	model_free(&t);
	return j;
}

static json_t *
wfit_json(const struct wfit_data *D, const struct attn_model *m,
    const struct wfit_options *o, const struct wfit_result *R, int brief)
{
	int d = m->d, p = d * d, undetermined = 0;
	json_t *j;

	for (int i = 0; R->se && i < p; i++)
		undetermined += isnan(R->se[i]);
	j = jpack("{s:I,s:i,s:f,s:f,s:f,s:f,s:s,s:i,s:I,s:I,s:b,s:o,s:f,s:i}",
	    "samples", (json_int_t)D->n, "queries", D->nq, "loglik", R->loglik,
	    "objective", R->objective, "l2", o->l2, "tol", o->tol,
	    "method", R->cg ? "newton-cg" : "newton", "iterations", R->iters,
	    "hessian_vector_products", (json_int_t)R->hv,
	    "passes", (json_int_t)R->passes,
	    "converged", R->converged,
	    "why", R->why ? jstr(R->why) : json_null(), "gradient", R->gnorm,
	    "params", p);
	jset(j, "rank", R->rank >= 0 ? jint(R->rank) : json_null());
	jset(j, "null_dim", R->rank >= 0 ? jint(p - R->rank) : json_null());
	jset(j, "undetermined_entries", R->se ? jint(undetermined) :
	    json_null());
	if (!brief)
		jset(j, "stderr", R->se ? matrix_json(R->se, d, d) : json_null());
	if (R->lo)
		jset(j, "bootstrap", jpack("{s:i,s:o,s:f,s:s,s:i,s:o,s:o}", "B",
		    o->bootstrap, "seed", jseed(o->seed), "level", 0.95,
		    "resampled", "records", "unconverged", R->unconverged,
		    "lo", matrix_json(R->lo, d, d), "hi", matrix_json(R->hi, d, d)));
	if (D->truth)
		jset(j, "truth", truth_json(D, m, R));
	return j;
}

/* The fitted model's record fits a line (every reader refuses a longer
 * one), or its arrays go to a weights file: said before the work.  Beside
 * the model, meta.wfit holds up to three d x d matrices (stderr, the
 * bootstrap's lo and hi) and the embeddings' meta. */
static void
check_line(const struct attn_model *m, const struct wfit_options *o)
{
	double d = m->d, meta = 3 * (MODEL_NUMBER_BYTES * d * d + 3 * d) +
	    (m->meta ? (double)json_dumpb(m->meta, NULL, 0, JSON_COMPACT) : 0) +
	    4096;
	double bound = model_json_bound(m->K, m->d, 0, m->C != NULL,
	    model_entry_bytes(m), meta);

	if (!o->weights && bound > MAX_LINE_BYTES)
		usage_error(NULL, "--embeddings: K %d, d %d: the fitted model's "
		    "record may take %.0f bytes, more than the %ld of a line that "
		    "every reader takes; --weights FILE (.safetensors or .npz) "
		    "writes its arrays there", m->K, m->d, bound, MAX_LINE_BYTES);
}

void
wfit_run(const char *model_file, const struct wfit_options *o, int brief,
    int nfiles, char **files)
{
	struct attn_model m;
	struct wfit_data D;
	struct wfit_result R;
	json_t *meta;

	read_embeddings(model_file, &m);
	check_line(&m, o);
	if (o->bootstrap && !newton_for(o, m.d))
		usage_error(NULL, "--bootstrap with --embeddings needs the dense "
		    "Newton fit (d <= %d, --method auto or newton), whose null "
		    "space says which entries of W have intervals; d is %d",
		    WFIT_NEWTON_MAX_D, m.d);
	wfit_read(&D, m.K, nfiles, files);
	if (o->bootstrap && D.nseq > UINT32_MAX)
		die(EXIT_USAGE, "--bootstrap: %ld records, beyond the %lu a "
		    "resample draws from", D.nseq, (unsigned long)UINT32_MAX);
	wfit_fit(&D, m.E, m.d, o, &R);
	if (!R.converged)
		note("the W-fit did not converge: %s", R.why);
	if (o->bootstrap && !brief) {
		wfit_bootstrap(&D, m.E, m.d, o, &R);
		if (R.unconverged)
			note("%d of %d bootstrap resamples of the W-fit did not "
			    "converge: no intervals (meta.wfit.bootstrap)",
			    R.unconverged, o->bootstrap);
	}
	if (R.rank >= 0 && R.rank < m.d * m.d)
		note("the data determine %d of the %d directions of W; the rest "
		    "is set to 0 (meta.wfit.stderr: null entries)", R.rank,
		    m.d * m.d);
	meta = jpack("{s:o,s:o}", "wfit", wfit_json(&D, &m, o, &R, brief),
	    "embeddings", m.meta ? json_incref(m.meta) : json_object());
	if (m.meta)
		json_decref(m.meta);
	m.meta = meta;
	memcpy(m.W, R.W, (size_t)m.d * m.d * sizeof *m.W);
	model_output(&m, o->weights, W_F64);
	wfit_result_free(&R);
	wfit_data_free(&D);
	model_free(&m);
}
