#include "estimate.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "graph.h"
#include "numeric.h"
#include "rng.h"
#include "util.h"

const char *const est_reasons[EST_NREASONS] = {
	"iteration limit reached", "Hessian not positive definite",
	"no ascent direction (rounding)", "line search failed (rounding)",
};

/* One block of a row: a concave problem in the logits of m tokens, whose
 * samples' contexts (restricted to the block) are given by local ids. */
struct problem {
	int       m;
	long      ns;
	uint32_t *start;      /* ns + 1 */
	int      *tok;        /* local ids, the chosen token first */
	double   *w;          /* weights */
	double   *mult;       /* multiplicities */
	double   *present;    /* per token: samples whose context holds it */
	double    cst;        /* sum of mult log w_y: a constant of the fit */
	double    nw;         /* sum of mult */
	double    l2;
	int       ref;        /* logit held at 0 (gauge), -1 under a ridge */
	double   *u;          /* scratch: m */
	double   *e;          /* scratch: m */
};

/* ---- the objective ---- */

/* The log-likelihood of sample s at logits a, e = exp(a - amax); its
 * probabilities into q (k).  Falls back to logs when every weight of the
 * context underflows. */
static double
sample_term(const struct problem *p, long s, const double *a, double amax,
    const double *e, double *q)
{
	uint32_t b = p->start[s];
	int k = (int)(p->start[s + 1] - b);
	const int *t = p->tok + b;
	const double *w = p->w + b;
	double Z = 0;

	for (int j = 0; j < k; j++)
		Z += q[j] = w[j] * e[t[j]];
	if (Z >= DBL_MIN * 1e10) {
		for (int j = 0; j < k; j++)
			q[j] /= Z;
		return a[t[0]] - amax - log(Z);
	}
	{
		double mx = -INFINITY;

		for (int j = 0; j < k; j++)
			mx = fmax(mx, log(w[j]) + a[t[j]]);
		Z = 0;
		for (int j = 0; j < k; j++)
			Z += q[j] = exp(log(w[j]) + a[t[j]] - mx);
		for (int j = 0; j < k; j++)
			q[j] /= Z;
		return a[t[0]] - mx - log(Z);
	}
}

/* Adds the sample's terms, at multiplicity c, to the gradient g (the
 * chosen token's 1 already in) and, if given, the negated Hessian H:
 * -c q over its tokens t (k), and c (diag(q) - q q^T) as one triangle per
 * pair, in whichever order the sample holds it (folded by the caller).
 * Two rows at a time, since much of the time goes to the short inner
 * loops' exits; every entry still gets the same one term per sample. */
static void
add_terms(double *g, double *H, int m, const int *t, const double *q, int k,
    double c)
{
	int j = 0;

	for (; j + 1 < k; j += 2) {
		double c0 = c * q[j], c1 = c * q[j + 1], *r0, *r1;

		g[t[j]] -= c0;
		g[t[j + 1]] -= c1;
		if (!H)
			continue;
		r0 = H + (size_t)t[j] * m;
		r1 = H + (size_t)t[j + 1] * m;
		for (int l = 0; l < j; l++) {
			r0[t[l]] -= c0 * q[l];
			r1[t[l]] -= c1 * q[l];
		}
		r0[t[j]] += c0 - c0 * q[j];
		r1[t[j]] -= c1 * q[j];
		r1[t[j + 1]] += c1 - c1 * q[j + 1];
	}
	if (j < k) {
		double c0 = c * q[j], *r0;

		g[t[j]] -= c0;
		if (!H)
			return;
		r0 = H + (size_t)t[j] * m;
		for (int l = 0; l < j; l++)
			r0[t[l]] -= c0 * q[l];
		r0[t[j]] += c0 - c0 * q[j];
	}
}

/* Objective at a; gradient into g and the negated Hessian into H (m x m)
 * when they are given; the per-entry probabilities into pr (for Hessian-
 * vector products) and the Hessian's diagonal into diag when given. */
static double
evaluate(const struct problem *p, const double *a, double *g, double *H,
    double *pr, double *diag)
{
	int m = p->m;
	double amax = -INFINITY, f = p->cst, fc = 0, *e = p->e, *q = p->u;

	for (int l = 0; l < m; l++)
		amax = fmax(amax, a[l]);
	for (int l = 0; l < m; l++)
		e[l] = exp(a[l] - amax);
	if (g)
		memset(g, 0, (size_t)m * sizeof *g);
	if (H)
		memset(H, 0, (size_t)m * m * sizeof *H);
	if (diag)
		memset(diag, 0, (size_t)m * sizeof *diag);
	for (long s = 0; s < p->ns; s++) {
		uint32_t b = p->start[s];
		int k = (int)(p->start[s + 1] - b);
		const int *t = p->tok + b;
		double c = p->mult[s];

		if (c == 0)
			continue;
		/* summed compensated (Neumaier): over 10^5 samples and more,
		 * plain sums carry more rounding than the final Newton step
		 * gains, and it would be refused */
		{
			double x = c * sample_term(p, s, a, amax, e, q), sum = f + x;

			fc += fabs(f) >= fabs(x) ? (f - sum) + x : (x - sum) + f;
			f = sum;
		}
		if (!g)
			continue;
		g[t[0]] += c;
		add_terms(g, H, m, t, q, k, c);
		if (pr)
			memcpy(pr + b, q, (size_t)k * sizeof *q);
		if (diag)
			for (int j = 0; j < k; j++)
				diag[t[j]] += c * q[j] * (1 - q[j]);
	}
	f += fc;
	if (p->l2 > 0)
		for (int l = 0; l < m; l++) {
			f -= 0.5 * p->l2 * a[l] * a[l];
			if (g)
				g[l] -= p->l2 * a[l];
			if (H)
				H[(size_t)l * m + l] += p->l2;
			if (diag)
				diag[l] += p->l2;
		}
	if (H)
		for (int j = 0; j < m; j++)
			for (int l = 0; l < j; l++)
				H[(size_t)l * m + j] = H[(size_t)j * m + l] +=
				    H[(size_t)l * m + j];
	return f;
}

/* Negated Hessian times v (v[ref] = 0), from the probabilities pr. */
static void
hess_times(const struct problem *p, const double *pr, const double *v,
    double *out)
{
	memset(out, 0, (size_t)p->m * sizeof *out);
	for (long s = 0; s < p->ns; s++) {
		uint32_t b = p->start[s];
		int k = (int)(p->start[s + 1] - b);
		const int *t = p->tok + b;
		const double *q = pr + b;
		double c = p->mult[s], dot = 0;

		if (c == 0)
			continue;
		for (int j = 0; j < k; j++)
			dot += q[j] * v[t[j]];
		for (int j = 0; j < k; j++)
			out[t[j]] += c * q[j] * (v[t[j]] - dot);
	}
	for (int l = 0; l < p->m; l++)
		out[l] += p->l2 * v[l];
	if (p->ref >= 0)
		out[p->ref] = 0;
}

static double
scaled_norm(const struct problem *p, const double *g)
{
	double mx = 0;

	for (int l = 0; l < p->m; l++)
		if (l != p->ref)
			mx = fmax(mx, fabs(g[l]));
	return mx / fmax(p->nw, 1);
}

/* ---- the solvers ---- */

/* Newton direction d from the negated Hessian H over the free logits;
 * a little damping if it is not numerically positive definite. */
static int
newton_direction(const struct problem *p, const double *H, const double *g,
    double *d, double *F, int *freeidx)
{
	int m = p->m, nf = 0;
	double scale = 0;

	for (int l = 0; l < m; l++)
		if (l != p->ref)
			freeidx[nf++] = l;
	for (int l = 0; l < m; l++)
		scale = fmax(scale, H[(size_t)l * m + l]);
	for (double mu = 0; mu < 1e6 * (scale + 1); mu = mu ? mu * 100 : 1e-12 *
	    (scale + 1)) {
		for (int j = 0; j < nf; j++)
			for (int l = 0; l < nf; l++)
				F[(size_t)j * nf + l] = H[(size_t)freeidx[j] * m +
				    freeidx[l]] + (j == l ? mu : 0);
		if (cholesky(F, nf) == 0) {
			memset(d, 0, (size_t)m * sizeof *d);
			for (int j = 0; j < nf; j++)
				d[j] = g[freeidx[j]];
			cholesky_solve(F, d, nf);
			for (int j = nf - 1; j >= 0; j--) {
				double x = d[j];

				d[j] = 0;
				d[freeidx[j]] = x;
			}
			return 0;
		}
	}
	return -1;
}

/* Preconditioned conjugate gradients for H d = g (Newton-CG), stopped at
 * a relative residual eta (truncated Newton), or by the forcing term
 * min(0.5, sqrt(|g| / n)) when eta is 0. */
static void
cg_direction(const struct problem *p, const double *pr, const double *diag,
    const double *g, double *d, double *work, double eta)
{
	int m = p->m;
	double *r = work, *z = r + m, *q = z + m, *Hq = q + m;
	double rz = 0, gg = 0;

	for (int l = 0; l < m; l++) {
		d[l] = 0;
		r[l] = l == p->ref ? 0 : g[l];
		gg += r[l] * r[l];
	}
	if (eta == 0)
		eta = fmin(0.5, sqrt(sqrt(gg) / fmax(p->nw, 1)));
	for (int l = 0; l < m; l++) {
		z[l] = diag[l] > 0 ? r[l] / diag[l] : r[l];
		q[l] = z[l];
		rz += r[l] * z[l];
	}
	for (int it = 0; it < 2 * m + 20; it++) {
		double qHq = 0, alpha, rr = 0, rz1 = 0;

		hess_times(p, pr, q, Hq);
		for (int l = 0; l < m; l++)
			qHq += q[l] * Hq[l];
		if (!(qHq > 0))
			break;
		alpha = rz / qHq;
		for (int l = 0; l < m; l++) {
			d[l] += alpha * q[l];
			r[l] -= alpha * Hq[l];
			rr += r[l] * r[l];
		}
		if (sqrt(rr) <= eta * sqrt(gg))
			break;
		for (int l = 0; l < m; l++) {
			z[l] = diag[l] > 0 ? r[l] / diag[l] : r[l];
			rz1 += r[l] * z[l];
		}
		for (int l = 0; l < m; l++)
			q[l] = z[l] + rz1 / rz * q[l];
		rz = rz1;
	}
	if (p->ref >= 0)
		d[p->ref] = 0;
}

struct solution {
	double f, gnorm;
	int    iters, converged, cg;
	const char *why;
	double *H;            /* negated Hessian at the end (dense solver) */
};

/* Where a solve stands: the logits and what was evaluated there. */
struct point {
	double *a, *g, *H, *pr, *diag;
	double  f;
};

static void
point_alloc(struct point *x, const struct problem *p, int cg)
{
	size_t m = (size_t)p->m;

	x->a = xmalloc(3 * m * sizeof *x->a);
	x->g = x->a + m;
	x->diag = x->g + m;
	x->H = cg ? NULL : xmalloc(checked_size(m * m, sizeof *x->H));
	x->pr = cg ? xmalloc(checked_size(p->start[p->ns], sizeof *x->pr)) :
	    NULL;
}

static void
point_free(struct point *x)
{
	free(x->a);
	free(x->H);
	free(x->pr);
}

static void
point_eval(const struct problem *p, struct point *x)
{
	x->f = evaluate(p, x->a, x->g, x->H, x->pr, x->pr ? x->diag : NULL);
}

/* The Newton (or Newton-CG) direction at x into d; -1 if the dense
 * Hessian is not numerically positive definite.  eta: as cg_direction. */
static int
direction(const struct problem *p, const struct point *x, double *d,
    double *F, int *freeidx, double *work, double eta)
{
	if (x->pr) {
		cg_direction(p, x->pr, x->diag, x->g, d, work, eta);
		return 0;
	}
	return newton_direction(p, x->H, x->g, d, F, freeidx);
}

/* Maximises the block's objective from a (in place).  Each step's full
 * Newton step is evaluated with its derivatives, since near the optimum
 * it is taken; once the tolerance is met, one more Newton step, taken if
 * it does not raise the gradient, brings the logits from the tolerance's
 * accuracy to rounding's (convergence is quadratic). */
static void
solve(const struct problem *p, const struct est_options *o, int want_H,
    double *a, struct solution *sol)
{
	int m = p->m, cg, *freeidx, H_final = 1;
	double *d, *F = NULL, *work = NULL;
	struct point x, y, tmp;

	cg = o->method == EST_CG || (o->method == EST_AUTO && m > o->newton_max);
	point_alloc(&x, p, cg);
	point_alloc(&y, p, cg);
	d = xmalloc((size_t)m * sizeof *d);
	freeidx = xmalloc((size_t)m * sizeof *freeidx);
	if (cg)
		work = xmalloc(4 * (size_t)m * sizeof *work);
	else
		F = xmalloc(checked_size((size_t)m * m, sizeof *F));
	memset(sol, 0, sizeof *sol);
	sol->cg = cg;
	sol->why = est_reasons[EST_LIMIT];
	memcpy(x.a, a, (size_t)m * sizeof *a);
	point_eval(p, &x);
	for (sol->iters = 0;; sol->iters++) {
		double slope = 0, t, gnorm = scaled_norm(p, x.g);

		if (gnorm <= o->tol) {
			sol->converged = 1;
			sol->why = NULL;
			if (sol->iters < o->max_iter && direction(p, &x, d, F,
			    freeidx, work, 1e-12) == 0) {
				/* the Hessian too if the standard errors want
				 * it: they are those of the final point */
				for (int l = 0; l < m; l++)
					y.a[l] = x.a[l] + d[l];
				y.f = evaluate(p, y.a, y.g, want_H ? y.H : NULL,
				    NULL, NULL);
				if (scaled_norm(p, y.g) <= gnorm && y.f >= x.f -
				    1e-12 * (1 + fabs(x.f))) {
					tmp = x, x = y, y = tmp;
					H_final = want_H;
					sol->iters++;
				}
			}
			break;
		}
		if (sol->iters >= o->max_iter)
			break;
		if (direction(p, &x, d, F, freeidx, work, 0) != 0) {
			sol->why = est_reasons[EST_NOT_PD];
			break;
		}
		for (int l = 0; l < m; l++)
			slope += x.g[l] * d[l];
		if (!(slope > 0)) {
			sol->why = est_reasons[EST_NO_ASCENT];
			break;
		}
		/* Backtracking to the Armijo condition.  Where the predicted gain
		 * is at the rounding level of f, the full step is taken. */
		for (t = 1; t > 1e-15; t /= 2) {
			double ft;

			for (int l = 0; l < m; l++)
				y.a[l] = x.a[l] + t * d[l];
			if (t == 1) {
				point_eval(p, &y);
				ft = y.f;
			} else
				ft = evaluate(p, y.a, NULL, NULL, NULL, NULL);
			if (ft >= x.f + 1e-4 * t * slope ||
			    (t == 1 && slope < 1e-11 * (1 + fabs(x.f)) &&
			    ft >= x.f - 1e-11 * (1 + fabs(x.f))))
				break;
		}
		if (!(t > 1e-15)) {
			sol->why = est_reasons[EST_LINE_SEARCH];
			break;
		}
		if (t < 1)
			point_eval(p, &y);
		tmp = x, x = y, y = tmp;
	}
	memcpy(a, x.a, (size_t)m * sizeof *a);
	sol->f = x.f;
	sol->gnorm = scaled_norm(p, x.g);
	/* NULL (computed later if wanted) unless it is the final point's */
	sol->H = H_final ? x.H : NULL;
	if (H_final)
		x.H = NULL;
	point_free(&x);
	point_free(&y);
	free(d);
	free(F);
	free(work);
	free(freeidx);
}

/* Variances of q = softmax(a) by the delta method from the inverse of the
 * negated Hessian over the free logits.  -1 if it cannot be inverted. */
static int
delta_method(const struct problem *p, const double *H, const double *a,
    double *var)
{
	int m = p->m, nf = 0, *freeidx = xmalloc((size_t)m * sizeof *freeidx);
	double *F, *S, *q, *Sq, qSq = 0;

	for (int l = 0; l < m; l++)
		if (l != p->ref)
			freeidx[nf++] = l;
	F = xmalloc(checked_size((size_t)nf * nf, sizeof *F));
	S = xcalloc((size_t)m * m, sizeof *S);
	q = xmalloc(2 * (size_t)m * sizeof *q);
	Sq = q + m;
	for (int j = 0; j < nf; j++)
		for (int l = 0; l < nf; l++)
			F[(size_t)j * nf + l] = H[(size_t)freeidx[j] * m + freeidx[l]];
	if (cholesky(F, nf) != 0) {
		free(F), free(S), free(q), free(freeidx);
		return -1;
	}
	/* S: the covariance of the logits, zero on the reference */
	for (int j = 0; j < nf; j++) {
		double *col = Sq;

		memset(col, 0, (size_t)nf * sizeof *col);
		col[j] = 1;
		cholesky_solve(F, col, nf);
		for (int l = 0; l < nf; l++)
			S[(size_t)freeidx[l] * m + freeidx[j]] = col[l];
	}
	softmax(a, q, m);
	for (int j = 0; j < m; j++) {
		Sq[j] = 0;
		for (int l = 0; l < m; l++)
			Sq[j] += S[(size_t)j * m + l] * q[l];
		qSq += q[j] * Sq[j];
	}
	/* dq_j/da_k = q_j (delta_jk - q_k) */
	for (int j = 0; j < m; j++)
		var[j] = q[j] * q[j] * fmax(0, S[(size_t)j * m + j] - 2 * Sq[j] +
		    qSq);
	free(F), free(S), free(q), free(freeidx);
	return 0;
}

/* ---- a row ---- */

/* What the steps of a row's fit share: its samples, and what each step
 * finds about its tokens. */
struct rowfit {
	const struct sample_row *r;
	const double *mult;   /* multiplicities (bootstrap), or NULL */
	const struct est_options *o;
	int     K, weighted;
	int    *seen;         /* the token occurs in a context of the row */
	int    *block;        /* its block: strong class, or component */
	int    *lid;          /* its id within the block */
	int    *compsrc;      /* per component: its top classes */
	int     nb;           /* blocks */
	double *chosen;       /* times each token was chosen */
	int    *edge;         /* choice graph: its distinct edges, y then l */
	size_t  nedge;
	size_t *adjstart;     /* their out-degrees, then offsets */
	struct est_row *out;
};

static double
multiplicity(const struct rowfit *w, long s)
{
	return w->mult ? w->mult[s] : 1;
}

static int
find(int *parent, int x)
{
	while (parent[x] != x)
		x = parent[x] = parent[parent[x]];
	return x;
}

/* The components of G_i, which tokens are seen and chosen, and the edges
 * of the choice graph, each once, in the order they first occur.  A
 * context joins its tokens in G_i as its edges y -> l do, so G_i's
 * components are those of the choice graph without directions; and a
 * repeated edge changes neither them nor Tarjan's classes, while the
 * distinct edges are at most K^2 where the samples' are many more. */
static void
row_components(struct rowfit *w)
{
	const struct sample_row *r = w->r;
	struct est_row *out = w->out;
	int K = w->K, *parent = xmalloc((size_t)K * sizeof *parent);
	size_t words = ((size_t)K + 63) / 64, cap = 0, nchosen = 0, hascap = 0;
	uint64_t *has = NULL;   /* per chosen token (its slot in lid): the
	                         * tokens it has an edge to; a row of a few
	                         * samples must not cost K^2 bits */

	for (int j = 0; j < K; j++)
		w->lid[j] = -1;
	for (long s = 0; s < r->n; s++) {
		uint32_t b = r->start[s], e = r->start[s + 1];
		int y = r->tok[b];
		uint64_t *hy;
		double c = multiplicity(w, s);

		if (c == 0)
			continue;
		if (w->lid[y] < 0) {
			if (nchosen == hascap) {
				hascap = hascap ? 2 * hascap : 4;
				has = xrealloc(has, checked_size(hascap * words,
				    sizeof *has));
			}
			memset(has + nchosen * words, 0, words * sizeof *has);
			w->lid[y] = (int)nchosen++;
		}
		hy = has + (size_t)w->lid[y] * words;
		out->n += c;
		w->chosen[y] += c;
		w->seen[y] = 1;
		for (uint32_t u = b + 1; u < e; u++) {
			int l = r->tok[u];
			uint64_t bit = (uint64_t)1 << (l % 64);

			if (hy[l / 64] & bit)
				continue;
			hy[l / 64] |= bit;
			if (w->nedge == cap) {
				cap = cap ? 2 * cap : 256;
				w->edge = xrealloc(w->edge, checked_size(cap,
				    2 * sizeof *w->edge));
			}
			w->edge[2 * w->nedge] = y;
			w->edge[2 * w->nedge++ + 1] = l;
			w->adjstart[y + 1]++;
		}
	}
	free(has);
	for (int j = 0; j < K; j++)
		parent[j] = j;
	for (size_t u = 0; u < w->nedge; u++) {
		int y = find(parent, w->edge[2 * u]);
		int l = find(parent, w->edge[2 * u + 1]);

		w->seen[w->edge[2 * u + 1]] = 1;
		if (l != y)
			parent[l] = y;
	}
	for (int j = 0; j < K; j++)
		w->lid[j] = -1;
	out->determined = 1;
	for (int j = 0; j < K; j++) {
		int root;

		if (!w->seen[j]) {
			out->comp[j] = -1;
			out->determined = 0;
			continue;
		}
		root = find(parent, j);
		if (w->lid[root] < 0)
			w->lid[root] = out->ncomp++;
		out->comp[j] = w->lid[root];
	}
	if (out->ncomp != 1 || out->m != out->K)
		out->determined = 0;
	free(parent);
}

/* The blocks fitted on their own, and whether the MLE exists.  With a
 * ridge (which keeps every logit finite) the blocks are the components.
 * Without, they are the strong classes of the choice graph: a class that
 * another leads into sinks to -infinity (its tokens are flagged zero), and
 * a component with several classes that none leads into is tied. */
static void
row_classes(struct rowfit *w)
{
	struct est_row *out = w->out;
	int K = w->K, *scc, *hasin, *srccount, *adj;
	size_t *fill;

	if (w->o->l2 > 0) {
		w->nb = out->ncomp;
		for (int j = 0; j < K; j++)
			w->block[j] = out->comp[j];
		for (int c = 0; c < w->nb; c++)
			w->compsrc[c] = 1;
		return;
	}
	adj = xmalloc((w->nedge ? w->nedge : 1) * sizeof *adj);
	for (int j = 0; j < K; j++)
		w->adjstart[j + 1] += w->adjstart[j];
	fill = xmalloc((size_t)K * sizeof *fill);
	memcpy(fill, w->adjstart, (size_t)K * sizeof *fill);
	for (size_t u = 0; u < w->nedge; u++)
		adj[fill[w->edge[2 * u]]++] = w->edge[2 * u + 1];
	free(fill);
	scc = xmalloc(3 * (size_t)K * sizeof *scc);
	hasin = scc + K;
	srccount = hasin + K;
	w->nb = graph_strong_components(K, w->seen, w->adjstart, adj, scc);
	for (int c = 0; c < w->nb; c++)
		hasin[c] = srccount[c] = 0;
	for (int v = 0; v < K; v++)
		for (size_t u = w->adjstart[v]; u < w->adjstart[v + 1]; u++)
			if (scc[adj[u]] != scc[v])
				hasin[scc[adj[u]]] = 1;
	for (int c = 0; c < out->ncomp; c++)
		w->compsrc[c] = 0;
	for (int j = 0; j < K; j++) {
		w->block[j] = scc[j];
		if (!w->seen[j])
			continue;
		if (hasin[scc[j]]) {
			out->zero[j] = 1;
			out->mle_exists = 0;
		} else if (srccount[scc[j]]++ == 0)
			w->compsrc[out->comp[j]]++;
	}
	for (int c = 0; c < out->ncomp; c++)
		if (w->compsrc[c] > 1)
			out->tied = 1;
	free(scc);
	free(adj);
}

/* Each block's problem: the samples choosing one of its tokens, their
 * contexts cut down to the block; counted in one pass, filled in another. */
static struct problem *
row_problems(struct rowfit *w)
{
	const struct sample_row *r = w->r;
	int nb = w->nb, *block = w->block;
	struct problem *prob = xcalloc((size_t)nb + 1, sizeof *prob);

	for (int j = 0; j < w->K; j++)
		if (w->seen[j])
			w->lid[j] = prob[block[j]].m++;
	for (long s = 0; s < r->n; s++) {
		uint32_t sb = r->start[s], e = r->start[s + 1];
		struct problem *p;

		if (multiplicity(w, s) == 0)
			continue;
		p = &prob[block[r->tok[sb]]];
		p->ns++;
		if (nb == 1)
			p->nw += e - sb;   /* all of the context is in the block */
		else
			for (uint32_t u = sb; u < e; u++)
				p->nw += block[r->tok[u]] == block[r->tok[sb]];
	}
	for (int b = 0; b < nb; b++) {
		struct problem *p = &prob[b];
		size_t nt = (size_t)p->nw;

		p->l2 = w->o->l2;
		p->start = xmalloc(((size_t)p->ns + 1) * sizeof *p->start);
		p->tok = xmalloc((nt ? nt : 1) * sizeof *p->tok);
		p->w = xmalloc((nt ? nt : 1) * sizeof *p->w);
		p->mult = xmalloc(((size_t)p->ns + 1) * sizeof *p->mult);
		p->u = xmalloc(2 * (size_t)p->m * sizeof *p->u);
		p->e = p->u + p->m;
		p->present = xcalloc((size_t)p->m, sizeof *p->present);
		p->start[0] = 0;
		p->ns = 0;
		p->nw = 0;
	}
	for (long s = 0; s < r->n; s++) {
		uint32_t sb = r->start[s], e = r->start[s + 1];
		int b = block[r->tok[sb]];
		struct problem *p = &prob[b];
		double c = multiplicity(w, s);
		size_t first, nt;

		if (c == 0)
			continue;   /* not drawn: y may be in no block */
		first = nt = p->start[p->ns];
		for (uint32_t u = sb; u < e; u++) {
			if (block[r->tok[u]] != b)
				continue;
			p->tok[nt] = w->lid[r->tok[u]];
			p->present[p->tok[nt]] += c;
			p->w[nt++] = w->weighted ? r->wt[u] : r->cnt[u];
		}
		p->mult[p->ns] = c;
		if (p->w[first] != 1)
			p->cst += c * log(p->w[first]);
		p->nw += c;
		p->start[++p->ns] = (uint32_t)nt;
	}
	return prob;
}

static void
problem_free(struct problem *p)
{
	free(p->start);
	free(p->tok);
	free(p->w);
	free(p->mult);
	free(p->present);
	free(p->u);
}

/* The start of a block's solve: smoothed choice rates.  Without a ridge
 * the gauge holds the most chosen token's logit at 0. */
static void
start_point(const struct rowfit *w, struct problem *p, const int *gid,
    double *a)
{
	int best = -1;

	for (int l = 0; l < p->m; l++) {
		a[l] = log((w->chosen[gid[l]] + 0.5) / (p->present[l] + 1));
		if (best < 0 || w->chosen[gid[l]] > w->chosen[gid[best]])
			best = l;
	}
	p->ref = w->o->l2 > 0 ? -1 : best;
	if (p->ref >= 0) {
		double a0 = a[p->ref];

		for (int l = 0; l < p->m; l++)
			a[l] -= a0;
	}
}

/* Standard errors of the block's conditionals (var, m), or NaN where the
 * information cannot be inverted. */
static void
block_stderr(const struct problem *p, const double *a, struct solution *sol,
    double *var)
{
	int m = p->m;

	if (m == 1) {
		var[0] = 0;
		return;
	}
	if (!sol->H) {
		sol->H = xmalloc(checked_size((size_t)m * m, sizeof *sol->H));
		evaluate(p, a, NULL, sol->H, NULL, NULL);
	}
	if (delta_method(p, sol->H, a, var) != 0)
		for (int l = 0; l < m; l++)
			var[l] = NAN;
}

/* Solves block b and enters its logits, log-likelihood and standard
 * errors into the row. */
static void
fit_block(struct rowfit *w, struct problem *p, int b, int want_se)
{
	const struct est_options *o = w->o;
	struct est_row *out = w->out;
	struct solution sol;
	int m = p->m, *gid = xmalloc((size_t)m * sizeof *gid);
	double *a = xmalloc(2 * (size_t)m * sizeof *a), *var = NULL;

	for (int j = 0; j < w->K; j++)
		if (w->seen[j] && w->block[j] == b)
			gid[w->lid[j]] = j;
	start_point(w, p, gid, a);
	if (m == 1 && p->ref >= 0) {
		memset(&sol, 0, sizeof sol);
		sol.converged = 1;
		sol.f = evaluate(p, a, NULL, NULL, NULL, NULL);
	} else
		solve(p, o, want_se && m <= o->stderr_max, a, &sol);
	out->loglik += sol.f;
	out->objective += sol.f;
	if (o->l2 > 0)
		for (int l = 0; l < m; l++)
			out->loglik += 0.5 * o->l2 * a[l] * a[l];
	out->iters = sol.iters > out->iters ? sol.iters : out->iters;
	out->gnorm = fmax(out->gnorm, sol.gnorm);
	out->cg |= sol.cg;
	if (!sol.converged) {
		out->converged = 0;
		out->why = sol.why;
	}
	if (want_se && m <= o->stderr_max) {
		var = a + m;
		block_stderr(p, a, &sol, var);
	}
	/* A block whose tokens sink (a class that others lead into) has only
	 * -infinite logits next to its component's top class. */
	for (int l = 0; l < m; l++) {
		int j = gid[l];

		if (!out->zero[j])
			out->A[j] = a[l];
		if (o->l2 > 0)
			out->map[j] = a[l];
		out->se[j] = var ? sqrt(var[l]) : NAN;
	}
	free(sol.H);
	free(a);
	free(gid);
}

/* Per component: the gauge (mean 0), and the conditional probabilities
 * (0 for sunk tokens; not determined where several classes tie at the
 * top); the row of P where the row is determined. */
static void
row_gauge(struct rowfit *w)
{
	struct est_row *out = w->out;
	int K = w->K;

	for (int c = 0; c < out->ncomp; c++) {
		double mean = 0, mx = -INFINITY, z = 0;
		int cnt = 0;

		for (int j = 0; j < K; j++)
			if (out->comp[j] == c && !isnan(out->A[j])) {
				mean += out->A[j];
				mx = fmax(mx, out->A[j]);
				cnt++;
			}
		mean /= cnt;
		for (int j = 0; j < K; j++)
			if (out->comp[j] == c && !isnan(out->A[j])) {
				out->A[j] -= mean;
				z += exp(out->A[j] + mean - mx);
			}
		for (int j = 0; j < K; j++) {
			if (out->comp[j] != c)
				continue;
			if (w->compsrc[c] > 1) {
				out->A[j] = NAN;
				out->cond[j] = NAN;
				out->se[j] = NAN;
			} else if (out->zero[j]) {
				out->cond[j] = 0;
				out->se[j] = NAN;
			} else
				out->cond[j] = exp(out->A[j] + mean - mx) / z;
		}
	}
	for (int j = 0; j < K; j++) {
		if (out->comp[j] < 0)
			out->se[j] = NAN;
		if (out->determined && !out->tied)
			out->P[j] = out->cond[j];
	}
}

void
est_row_init(struct est_row *out, int K, int m, double l2)
{
	size_t n = m ? (size_t)m : 1;

	memset(out, 0, sizeof *out);
	out->K = K;
	out->m = m;
	out->tok = xmalloc(3 * n * sizeof *out->tok);
	out->comp = out->tok + n;
	out->zero = out->comp + n;
	out->A = xmalloc(5 * n * sizeof *out->A);
	out->P = out->A + n;
	out->cond = out->P + n;
	out->se = out->cond + n;
	out->map = out->se + n;
	for (int j = 0; j < m; j++) {
		out->A[j] = out->P[j] = out->cond[j] = out->se[j] = NAN;
		out->map[j] = l2 > 0 ? 0 : NAN;
		out->zero[j] = 0;
	}
	out->converged = 1;
	out->mle_exists = 1;
}

void
est_row_intervals(struct est_row *r)
{
	size_t n = r->m ? (size_t)r->m : 1;

	r->lo = xmalloc(2 * n * sizeof *r->lo);
	r->hi = r->lo + n;
	for (int j = 0; j < r->m; j++)
		r->lo[j] = r->hi[j] = NAN;
}

int
est_row_find(const struct est_row *r, int j)
{
	return (int)sorted_find(r->tok, r->m, j);
}

void
est_row_expand(const struct est_row *r, const double *v, double fill,
    double *out)
{
	for (int j = 0; j < r->K; j++)
		out[j] = fill;
	for (int l = 0; l < r->m; l++)
		out[r->tok[l]] = v[l];
}

static int
by_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The row's tokens (every token of its samples, drawn or not, so that a
 * resample's row lines up with the fit's), ascending, into out->tok; and
 * its samples over their positions there (local ids) into loc, whose tok
 * the caller frees. */
static void
row_tokens(const struct sample_row *r, struct sample_row *loc, int *ntok,
    uint32_t **ids)
{
	size_t nt = r->n ? r->start[r->n] : 0, m = 0;
	uint32_t *t = xmalloc((nt ? nt : 1) * sizeof *t);

	if (nt)           /* a row without samples has no array */
		memcpy(t, r->tok, nt * sizeof *t);
	qsort(t, nt, sizeof *t, by_id);
	for (size_t u = 0; u < nt; u++)
		if (m == 0 || t[u] != t[m - 1])
			t[m++] = t[u];
	*loc = *r;
	loc->tok = xmalloc((nt ? nt : 1) * sizeof *loc->tok);
	for (size_t u = 0; u < nt; u++) {
		size_t lo = 0, hi = m;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (t[mid] < r->tok[u])
				lo = mid + 1;
			else
				hi = mid;
		}
		loc->tok[u] = (uint32_t)lo;
	}
	*ntok = (int)m;
	*ids = t;
}

void
est_fit_row(const struct sampleset *set, int K, int i, const double *mult,
    const struct est_options *o, int want_se, struct est_row *out)
{
	struct sample_row loc;
	struct rowfit w = { .r = &loc, .mult = mult, .o = o,
	    .weighted = set->weighted, .out = out };
	struct problem *prob;
	uint32_t *ids;
	int m;

	/* the row is fitted over local ids 0..m-1, in the order of the
	 * tokens' ids: every sum runs as it would over all K */
	row_tokens(sampleset_row(set, i), &loc, &m, &ids);
	est_row_init(out, K, m, o->l2);
	for (int l = 0; l < m; l++)
		out->tok[l] = (int)ids[l];
	free(ids);
	w.K = m;
	w.seen = xcalloc(4 * (size_t)m + 1, sizeof *w.seen);
	w.block = w.seen + m;
	w.lid = w.block + m;
	w.compsrc = w.lid + m;
	w.adjstart = xcalloc((size_t)m + 1, sizeof *w.adjstart);
	w.chosen = xcalloc((size_t)m + 1, sizeof *w.chosen);

	row_components(&w);
	row_classes(&w);
	prob = row_problems(&w);
	for (int b = 0; b < w.nb; b++) {
		fit_block(&w, &prob[b], b, want_se);
		problem_free(&prob[b]);
	}
	free(prob);
	/* a log-likelihood is at most 0; rounding may leave it a hair above */
	out->objective = fmin(out->objective - fmax(out->loglik, 0), 0);
	out->loglik = fmin(out->loglik, 0);
	row_gauge(&w);

	free(loc.tok);
	free(w.seen);
	free(w.edge);
	free(w.adjstart);
	free(w.chosen);
}

void
est_row_free(struct est_row *r)
{
	free(r->tok);
	free(r->A);
	free(r->lo);
	memset(r, 0, sizeof *r);
}

void
est_total(const struct est_row *row, int K, struct est_total *t)
{
	memset(t, 0, sizeof *t);
	t->converged = t->mle_exists = 1;
	t->unconverged = -1;
	for (int i = 0; i < K; i++) {
		const struct est_row *r = &row[i];

		t->loglik += r->loglik;
		t->objective += r->objective;
		t->gnorm = fmax(t->gnorm, r->gnorm);
		t->iters = r->iters > t->iters ? r->iters : t->iters;
		t->mle_exists &= r->mle_exists;
		t->cg |= r->cg;
		t->newton |= r->n > 0 && !r->cg;
		if (!r->converged && t->converged) {
			t->converged = 0;
			t->unconverged = i;
		}
	}
}

void
est_error(const struct est_row *row, int K, const double *A,
    const double *P, struct est_error *e)
{
	memset(e, 0, sizeof *e);
	for (int i = 0; i < K; i++) {
		const struct est_row *r = &row[i];
		const double *Pi = P + (size_t)i * K, *Ai = A + (size_t)i * K;

		/* a determined row holds all K tokens: r->tok[j] == j */
		if (r->determined && !r->tied) {
			double d = 0;
			int inf = 0;

			for (int j = 0; j < K; j++) {
				double x = r->P[j] - Pi[j];

				e->P_sq += x * x;
				e->P_max_abs = fmax(e->P_max_abs, fabs(x));
				e->P_entries++;
				if (Pi[j] > 0) {
					if (r->P[j] > 0)
						d += Pi[j] * log(Pi[j] / r->P[j]);
					else
						inf = 1;
				}
			}
			if (inf)
				e->kl_infinite_rows++;
			else {
				e->kl += d;
				e->kl_rows++;
			}
		}
		for (int c = 0; c < r->ncomp; c++) {
			double ta = 0, tp = 0;
			int n = 0;

			for (int l = 0; l < r->m; l++)
				if (r->comp[l] == c) {
					tp += Pi[r->tok[l]];
					if (!isnan(r->A[l])) {
						ta += Ai[r->tok[l]];
						n++;
					}
				}
			for (int l = 0; l < r->m; l++) {
				int j = r->tok[l];

				if (r->comp[l] != c)
					continue;
				if (!isnan(r->A[l])) {
					double x = r->A[l] - (Ai[j] - ta / n);

					e->A_sq += x * x;
					e->A_max_abs = fmax(e->A_max_abs, fabs(x));
					e->A_entries++;
				}
				if (!isnan(r->cond[l])) {
					double x = r->cond[l] - Pi[j] / tp;

					e->cond_sq += x * x;
					e->cond_max_abs = fmax(e->cond_max_abs, fabs(x));
					e->cond_entries++;
				}
			}
		}
	}
}

/* The streams of resamples: b * 2048 + i, as they were numbered when K
 * could not exceed 2048, and b * K + i beyond, so that no two meet. */
#define EST_BOOT_STRIDE 2048

void
est_bootstrap_row(const struct sampleset *s, int K, int i,
    struct est_row *fit, const struct est_options *o, int B,
    uint64_t seed)
{
	long n = sampleset_row(s, i)->n;
	int m = fit->m;
	uint64_t stride = K > EST_BOOT_STRIDE ? (uint64_t)K : EST_BOOT_STRIDE;
	double *mult, *draw;

	est_row_intervals(fit);
	/* a row without samples determines nothing, however resampled */
	if (n == 0)
		return;
	mult = xmalloc(((size_t)n + 1) * sizeof *mult);
	draw = xmalloc(checked_size(checked_size((size_t)m, (size_t)B),
	    sizeof *draw));
	for (int b = 0; b < B; b++) {
		struct est_row r;
		struct rng rng;

		rng_init(&rng, seed, "bootstrap", (uint64_t)b * stride +
		    (uint64_t)i);
		memset(mult, 0, (size_t)n * sizeof *mult);
		for (long k = 0; k < n; k++)
			mult[rng_below(&rng, (uint32_t)n)] += 1;
		/* the resample's row holds the fit's tokens, in the same
		 * places: a row's tokens are those of all its samples */
		est_fit_row(s, K, i, mult, o, 0, &r);
		for (int j = 0; j < m; j++)
			draw[(size_t)j * B + b] = fit->comp[j] >= 0 &&
			    r.comp[j] >= 0 && r.ncomp == fit->ncomp ? r.cond[j] :
			    NAN;
		est_row_free(&r);
	}
	for (int j = 0; j < m; j++) {
		double *x = draw + (size_t)j * B;
		int nan = 0;

		for (int b = 0; b < B; b++)
			nan |= isnan(x[b]);
		if (nan || isnan(fit->cond[j]))
			continue;
		quantile_pair(x, B, 0.025, 0.975, &fit->lo[j], &fit->hi[j]);
	}
	free(mult);
	free(draw);
}

double
est_row_cost(const struct sampleset *s, int i)
{
	const struct sample_row *r = sampleset_row(s, i);
	struct sample_row loc;
	uint32_t *ids;
	int m;

	if (r->n == 0)
		return 0;
	row_tokens(r, &loc, &m, &ids);
	free(ids);
	free(loc.tok);
	return (double)r->start[r->n] * m;
}

double
est_fit_cost(const struct sampleset *s, int K, int shard, int shards)
{
	double cost = 0;

	for (int i = 0; i < K; i++)
		if (!shards || i % shards == shard)
			cost += est_row_cost(s, i);
	return cost;
}

static double
seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* h:mm:ss into buf. */
static const char *
hms(double t, char *buf, size_t len)
{
	long s = (long)(t + 0.5);

	snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	return buf;
}

static void
report(const char *what, long done, long total, double work, double left,
    double start, int last)
{
	double el = seconds() - start;
	char e[32], r[32];

	if (work > 0 && left < work)
		fprintf(stderr, "\r%s: %s %ld/%ld, %s elapsed, about %s left   %s",
		    progname, what, done, total, hms(el, e, sizeof e),
		    hms(el * left / (work - left), r, sizeof r), last ? "\n" : "");
	else
		fprintf(stderr, "\r%s: %s %ld/%ld, %s elapsed%s", progname, what,
		    done, total, hms(el, e, sizeof e), last ? "\n" : "");
}

/* The work progress counts a row as: its context tokens times the most
 * tokens it can have, the bound est_row_cost reaches when every context
 * token is new to the row (the large rows, whose tokens recur, weigh
 * more than they cost, the small ones about what they do). */
static double
row_work(const struct sampleset *s, int K, int i, int B)
{
	const struct sample_row *r = sampleset_row(s, i);
	double nt = r->n ? (double)r->start[r->n] : 0;

	return nt * fmin(nt, K) * (1 + B);
}

void
est_fit_rows(const struct sampleset *s, int K, const struct est_options *o,
    int want_se, int B, uint64_t seed, int shard, int shards,
    int progress, struct est_row *row)
{
	double work = 0, left, start = seconds(), last = start;
	long total = 0, done = 0;

	for (int i = 0; i < K; i++)
		if (!shards || i % shards == shard) {
			total++;
			work += row_work(s, K, i, B);
		}
	left = work;
	for (int i = 0; i < K; i++) {
		if (shards && i % shards != shard) {
			est_row_init(&row[i], K, 0, o->l2);
			continue;
		}
		est_fit_row(s, K, i, NULL, o, want_se, &row[i]);
		if (B > 0)
			est_bootstrap_row(s, K, i, &row[i], o, B, seed);
		left -= row_work(s, K, i, B);
		done++;
		if (progress && (seconds() - last >= 1 || done == total)) {
			report("rows", done, total, work, left, start, done == total);
			last = seconds();
		}
	}
}
