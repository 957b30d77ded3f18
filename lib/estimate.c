#include "estimate.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "numeric.h"
#include "rng.h"
#include "util.h"

/* One block of a row: a concave problem in the logits of m tokens, whose
 * samples' contexts (restricted to the block) are given by local ids. */
struct problem {
	int       m;
	long      ns;
	uint32_t *start;      /* ns + 1 */
	int      *tok;        /* local ids, the chosen token first */
	double   *w;          /* weights */
	double   *mult;       /* multiplicities */
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

/* Objective at a; gradient into g and the negated Hessian into H (m x m)
 * when they are given; the per-entry probabilities into pr (for Hessian-
 * vector products) and the Hessian's diagonal into diag when given. */
static double
evaluate(const struct problem *p, const double *a, double *g, double *H,
    double *pr, double *diag)
{
	int m = p->m;
	double amax = -INFINITY, f = p->cst, *e = p->e, *q = p->u;

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
		f += c * sample_term(p, s, a, amax, e, q);
		if (!g)
			continue;
		g[t[0]] += c;
		for (int j = 0; j < k; j++)
			g[t[j]] -= c * q[j];
		if (pr)
			memcpy(pr + b, q, (size_t)k * sizeof *q);
		if (diag)
			for (int j = 0; j < k; j++)
				diag[t[j]] += c * q[j] * (1 - q[j]);
		if (H)
			/* one triangle per pair, in whichever order the sample
			 * holds it; folded below */
			for (int j = 0; j < k; j++) {
				double *row = H + (size_t)t[j] * m, cq = c * q[j];

				row[t[j]] += cq - cq * q[j];
				for (int l = 0; l < j; l++)
					row[t[l]] -= cq * q[l];
			}
	}
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

/* Preconditioned conjugate gradients for H d = g (Newton-CG), stopped
 * early as truncated Newton does. */
static void
cg_direction(const struct problem *p, const double *pr, const double *diag,
    const double *g, double *d, double *work)
{
	int m = p->m;
	double *r = work, *z = r + m, *q = z + m, *Hq = q + m;
	double rz = 0, gg = 0, eta;

	for (int l = 0; l < m; l++) {
		d[l] = 0;
		r[l] = l == p->ref ? 0 : g[l];
		gg += r[l] * r[l];
	}
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

/* Maximises the block's objective from a (in place). */
static void
solve(const struct problem *p, const struct est_options *o, double *a,
    struct solution *sol)
{
	int m = p->m, cg;
	double *g, *d, *trial, *H = NULL, *F = NULL, *pr = NULL, *diag = NULL;
	double *work = NULL;
	int *freeidx;

	cg = o->method == EST_CG || (o->method == EST_AUTO && m > o->newton_max);
	g = xmalloc(4 * (size_t)m * sizeof *g);
	d = g + m;
	trial = d + m;
	freeidx = xmalloc((size_t)m * sizeof *freeidx);
	if (cg) {
		pr = xmalloc(checked_size(p->start[p->ns], sizeof *pr));
		diag = trial + m;
		work = xmalloc(4 * (size_t)m * sizeof *work);
	} else {
		H = xmalloc(checked_size((size_t)m * m, sizeof *H));
		F = xmalloc(checked_size((size_t)m * m, sizeof *F));
	}
	memset(sol, 0, sizeof *sol);
	sol->cg = cg;
	sol->why = "iteration limit reached";
	for (sol->iters = 0;; sol->iters++) {
		double f, slope = 0, t;

		f = evaluate(p, a, g, H, pr, diag);
		sol->f = f;
		sol->gnorm = scaled_norm(p, g);
		if (sol->gnorm <= o->tol) {
			sol->converged = 1;
			sol->why = NULL;
			break;
		}
		if (sol->iters >= o->max_iter)
			break;
		if (cg)
			cg_direction(p, pr, diag, g, d, work);
		else if (newton_direction(p, H, g, d, F, freeidx) != 0) {
			sol->why = "Hessian not positive definite";
			break;
		}
		for (int l = 0; l < m; l++)
			slope += g[l] * d[l];
		if (!(slope > 0)) {
			sol->why = "no ascent direction (rounding)";
			break;
		}
		/* Backtracking to the Armijo condition.  Where the predicted gain
		 * is at the rounding level of f, the full step is taken. */
		for (t = 1; t > 1e-15; t /= 2) {
			double ft;

			for (int l = 0; l < m; l++)
				trial[l] = a[l] + t * d[l];
			ft = evaluate(p, trial, NULL, NULL, NULL, NULL);
			if (ft >= f + 1e-4 * t * slope ||
			    (t == 1 && slope < 1e-11 * (1 + fabs(f)) &&
			    ft >= f - 1e-11 * (1 + fabs(f))))
				break;
		}
		if (!(t > 1e-15)) {
			sol->why = "line search failed (rounding)";
			break;
		}
		memcpy(a, trial, (size_t)m * sizeof *a);
	}
	if (H && !cg)
		sol->H = H;
	else
		free(H);
	free(F);
	free(pr);
	free(work);
	free(freeidx);
	free(g);
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

/* ---- the graphs of a row ---- */

static int
find(int *parent, int x)
{
	while (parent[x] != x)
		x = parent[x] = parent[parent[x]];
	return x;
}

/* ---- a row ---- */

void
est_fit_row(const struct sampleset *set, int K, int i, const double *mult,
    const struct est_options *o, int want_se, struct est_row *out)
{
	const struct sample_row *r = &set->row[i];
	int *parent, *seen, *block, *nblock, *lid, *scc, *hasin, *srccount;
	int *compsrc, nb;
	struct problem *prob;
	size_t *adjstart, nedge = 0;
	int *adj;
	double *chosen;

	memset(out, 0, sizeof *out);
	out->K = K;
	out->comp = xmalloc(2 * (size_t)K * sizeof *out->comp);
	out->zero = out->comp + K;
	out->A = xmalloc(5 * (size_t)K * sizeof *out->A);
	out->P = out->A + K;
	out->cond = out->P + K;
	out->se = out->cond + K;
	out->map = out->se + K;
	for (int j = 0; j < 4 * K; j++)
		out->A[j] = NAN;
	for (int j = 0; j < K; j++)
		out->map[j] = o->l2 > 0 ? 0 : NAN;
	out->converged = 1;
	out->mle_exists = 1;

	parent = xmalloc(10 * (size_t)K * sizeof *parent);
	seen = parent + K;
	block = seen + K;
	nblock = block + K;
	lid = nblock + K;
	scc = lid + K;
	hasin = scc + K;
	srccount = hasin + K;
	compsrc = srccount + K;
	adjstart = xcalloc((size_t)K + 1, sizeof *adjstart);
	chosen = xcalloc((size_t)K, sizeof *chosen);
	for (int j = 0; j < K; j++) {
		parent[j] = j;
		seen[j] = 0;
		out->zero[j] = 0;
	}

	/* G_i by union-find, and the out-degrees of the choice graph */
	for (long s = 0; s < r->n; s++) {
		uint32_t b = r->start[s], e = r->start[s + 1];
		int y = r->tok[b], root;
		double c = mult ? mult[s] : 1;

		if (c == 0)
			continue;
		out->n += c;
		chosen[y] += c;
		root = find(parent, y);
		for (uint32_t u = b; u < e; u++) {
			int z = find(parent, r->tok[u]);

			seen[r->tok[u]] = 1;
			if (z != root)
				parent[z] = root;
		}
		adjstart[y + 1] += e - b - 1;
		nedge += e - b - 1;
	}
	out->ncomp = 0;
	for (int j = 0; j < K; j++)
		lid[j] = -1;
	for (int j = 0; j < K; j++) {
		int root;

		if (!seen[j]) {
			out->comp[j] = -1;
			continue;
		}
		root = find(parent, j);
		if (lid[root] < 0)
			lid[root] = out->ncomp++;
		out->comp[j] = lid[root];
	}
	out->determined = out->ncomp == 1 && out->comp[K - 1] >= 0;
	for (int j = 0; j < K; j++)
		if (!seen[j])
			out->determined = 0;

	/* Blocks: the strong classes of the choice graph, or with a ridge
	 * (which keeps every logit finite) the components of G_i. */
	if (o->l2 > 0) {
		nb = out->ncomp;
		for (int j = 0; j < K; j++)
			block[j] = out->comp[j];
		for (int c = 0; c < nb; c++)
			compsrc[c] = 1;
	} else {
		adj = xmalloc((nedge ? nedge : 1) * sizeof *adj);
		for (int j = 0; j < K; j++)
			adjstart[j + 1] += adjstart[j];
		{
			size_t *fill = xmalloc((size_t)K * sizeof *fill);

			memcpy(fill, adjstart, (size_t)K * sizeof *fill);
			for (long s = 0; s < r->n; s++) {
				uint32_t b = r->start[s], e = r->start[s + 1];

				if (mult && mult[s] == 0)
					continue;
				for (uint32_t u = b + 1; u < e; u++)
					adj[fill[r->tok[b]]++] = r->tok[u];
			}
			free(fill);
		}
		nb = graph_strong_components(K, seen, adjstart, adj, scc);
		for (int c = 0; c < nb; c++)
			hasin[c] = 0;
		for (int v = 0; v < K; v++)
			for (size_t u = adjstart[v]; u < adjstart[v + 1]; u++)
				if (scc[adj[u]] != scc[v])
					hasin[scc[adj[u]]] = 1;
		for (int c = 0; c < out->ncomp; c++)
			compsrc[c] = 0;
		for (int c = 0; c < nb; c++)
			srccount[c] = 0;
		for (int j = 0; j < K; j++) {
			block[j] = scc[j];
			if (!seen[j])
				continue;
			if (hasin[scc[j]]) {
				out->zero[j] = 1;
				out->mle_exists = 0;
			} else if (srccount[scc[j]]++ == 0)
				compsrc[out->comp[j]]++;
		}
		for (int c = 0; c < out->ncomp; c++)
			if (compsrc[c] > 1)
				out->tied = 1;
		free(adj);
	}

	/* Each block's problem: samples choosing one of its tokens, contexts
	 * cut down to the block; counted in one pass, filled in another. */
	for (int b = 0; b < nb; b++)
		nblock[b] = 0;
	for (int j = 0; j < K; j++)
		if (seen[j])
			lid[j] = nblock[block[j]]++;
	prob = xcalloc((size_t)nb + 1, sizeof *prob);
	for (long s = 0; s < r->n; s++) {
		uint32_t sb = r->start[s], e = r->start[s + 1];
		struct problem *p;

		if (mult && mult[s] == 0)
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

		p->m = nblock[b];
		p->l2 = o->l2;
		p->start = xmalloc(((size_t)p->ns + 1) * sizeof *p->start);
		p->tok = xmalloc((nt ? nt : 1) * sizeof *p->tok);
		p->w = xmalloc((nt ? nt : 1) * sizeof *p->w);
		p->mult = xmalloc(((size_t)p->ns + 1) * sizeof *p->mult);
		p->u = xmalloc(2 * (size_t)p->m * sizeof *p->u);
		p->e = p->u + p->m;
		p->start[0] = 0;
		p->ns = 0;
		p->nw = 0;
	}
	for (long s = 0; s < r->n; s++) {
		uint32_t sb = r->start[s], e = r->start[s + 1];
		int y = r->tok[sb], b;
		struct problem *p;
		double c = mult ? mult[s] : 1;
		size_t first, nt;

		if (c == 0)
			continue;   /* not drawn: y may be in no block */
		b = block[y];
		p = &prob[b];
		first = nt = p->start[p->ns];
		for (uint32_t u = sb; u < e; u++) {
			if (block[r->tok[u]] != b)
				continue;
			p->tok[nt] = lid[r->tok[u]];
			p->w[nt++] = set->weighted ? r->wt[u] : r->cnt[u];
		}
		p->mult[p->ns] = c;
		if (p->w[first] != 1)
			p->cst += c * log(p->w[first]);
		p->nw += c;
		p->start[++p->ns] = (uint32_t)nt;
	}
	for (int b = 0; b < nb; b++) {
		struct problem *p = &prob[b];
		struct solution sol;
		double *a, *var = NULL;
		int *gid, m = nblock[b], best = -1;

		gid = xmalloc((size_t)m * sizeof *gid);
		for (int j = 0; j < K; j++)
			if (seen[j] && block[j] == b)
				gid[lid[j]] = j;
		a = xmalloc((size_t)m * sizeof *a);
		/* Start from smoothed choice rates; the gauge holds the most
		 * chosen token's logit at 0. */
		for (int l = 0; l < m; l++)
			a[l] = 0;
		{
			double *present = xcalloc((size_t)m, sizeof *present);

			for (long s = 0; s < p->ns; s++)
				for (uint32_t u = p->start[s]; u < p->start[s + 1]; u++)
					present[p->tok[u]] += p->mult[s];
			for (int l = 0; l < m; l++) {
				a[l] = log((chosen[gid[l]] + 0.5) / (present[l] + 1));
				if (best < 0 || chosen[gid[l]] > chosen[gid[best]])
					best = l;
			}
			free(present);
		}
		p->ref = o->l2 > 0 ? -1 : best;
		if (p->ref >= 0) {
			double a0 = a[p->ref];

			for (int l = 0; l < m; l++)
				a[l] -= a0;
		}
		if (m == 1 && p->ref >= 0) {
			memset(&sol, 0, sizeof sol);
			sol.converged = 1;
			sol.f = evaluate(p, a, NULL, NULL, NULL, NULL);
		} else
			solve(p, o, a, &sol);
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
			double *H = sol.H;

			var = xmalloc((size_t)m * sizeof *var);
			if (m == 1)
				var[0] = 0;
			else {
				if (!H) {
					H = xmalloc(checked_size((size_t)m * m, sizeof *H));
					evaluate(p, a, NULL, H, NULL, NULL);
					sol.H = H;
				}
				if (delta_method(p, H, a, var) != 0)
					for (int l = 0; l < m; l++)
						var[l] = NAN;
			}
		}
		/* A block whose tokens sink (a class that others lead into) has
		 * only -infinite logits next to its component's top class. */
		for (int l = 0; l < m; l++) {
			int j = gid[l];

			if (!out->zero[j])
				out->A[j] = a[l];
			if (o->l2 > 0)
				out->map[j] = a[l];
			out->se[j] = var ? sqrt(var[l]) : NAN;
		}
		free(var);
		free(sol.H);
		free(a);
		free(gid);
		free(p->start), free(p->tok), free(p->w), free(p->mult);
		free(p->u);
	}
	free(prob);

	/* Per component: the gauge, and the conditional probabilities (0 for
	 * sunk tokens; not determined where several classes tie at the top). */
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
			if (compsrc[c] > 1) {
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
	free(parent);
	free(adjstart);
	free(chosen);
}

void
est_row_free(struct est_row *r)
{
	free(r->comp);
	free(r->A);
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

		if (!isnan(r->P[0])) {
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

			for (int j = 0; j < K; j++)
				if (r->comp[j] == c) {
					tp += Pi[j];
					if (!isnan(r->A[j])) {
						ta += Ai[j];
						n++;
					}
				}
			for (int j = 0; j < K; j++) {
				if (r->comp[j] != c)
					continue;
				if (!isnan(r->A[j])) {
					double x = r->A[j] - (Ai[j] - ta / n);

					e->A_sq += x * x;
					e->A_max_abs = fmax(e->A_max_abs, fabs(x));
					e->A_entries++;
				}
				if (!isnan(r->cond[j])) {
					double x = r->cond[j] - Pi[j] / tp;

					e->cond_sq += x * x;
					e->cond_max_abs = fmax(e->cond_max_abs, fabs(x));
					e->cond_entries++;
				}
			}
		}
	}
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of the n sorted values x, interpolated linearly. */
static double
quantile(const double *x, int n, double q)
{
	double at = q * (n - 1);
	int k = (int)at;

	return x[k] + (k + 1 < n ? (at - k) * (x[k + 1] - x[k]) : 0);
}

void
est_bootstrap_row(const struct sampleset *s, int K, int i,
    const struct est_row *fit, const struct est_options *o, int B,
    uint64_t seed, double *lo, double *hi)
{
	long n = s->row[i].n;
	double *mult = xmalloc(((size_t)n + 1) * sizeof *mult);
	double *draw = xmalloc(checked_size(checked_size((size_t)K, (size_t)B),
	    sizeof *draw));

	for (int b = 0; b < B; b++) {
		struct est_row r;
		struct rng rng;

		rng_init(&rng, seed, "bootstrap", (uint64_t)b * MAX_VOCAB +
		    (uint64_t)i);
		memset(mult, 0, (size_t)n * sizeof *mult);
		for (long k = 0; k < n; k++)
			mult[rng_below(&rng, (uint32_t)n)] += 1;
		est_fit_row(s, K, i, mult, o, 0, &r);
		for (int j = 0; j < K; j++)
			draw[(size_t)j * B + b] = fit->comp[j] >= 0 &&
			    r.comp[j] >= 0 && r.ncomp == fit->ncomp ? r.cond[j] :
			    NAN;
		est_row_free(&r);
	}
	for (int j = 0; j < K; j++) {
		double *x = draw + (size_t)j * B;
		int nan = 0;

		for (int b = 0; b < B; b++)
			nan |= isnan(x[b]);
		lo[j] = hi[j] = NAN;
		if (nan || isnan(fit->cond[j]))
			continue;
		qsort(x, (size_t)B, sizeof *x, by_value);
		lo[j] = quantile(x, B, 0.025);
		hi[j] = quantile(x, B, 0.975);
	}
	free(mult);
	free(draw);
}
