#include "meanfield.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "numeric.h"
#include "rng.h"
#include "util.h"

#define STEP      0.5      /* Runge-Kutta step in tau */
#define TOL       1e-9     /* |pi_j(f) - f_j| / f_j at a fixed point */
#define DROP      1e-9     /* a falling share below this is set to 0 */
#define REINJECT  1e-6     /* share given back to a token that would grow */
#define MERGE     1e-5     /* limits closer than this are one */
#define NEUTRAL   1e-6     /* |c_j - 1| below this: neither grows nor fades */
#define PERTURB   1e-3     /* size of the stability perturbations */
#define NPERTURB  8        /* most perturbations per fixed point */
#define LINEAR    -460.0   /* logit gaps up to this: Q_f from exp(A) */
#define TINY      1e-100   /* and shares down to this */
#define SETTLE    1e-2     /* when Newton's method may finish a flow */
#define FAR       0.1      /* farthest share change Newton may make */
#define COOLDOWN  10       /* steps between two tries of Newton's method */

const char *
mf_status_name(int status)
{
	return status == MF_STABLE ? "stable" :
	    status == MF_UNSTABLE ? "unstable" :
	    status == MF_CYCLING ? "cycling" : "unconverged";
}

void
mf_problem_init(struct mf_problem *pb, const double *A, int K,
    const int *support, int n)
{
	pb->n = n;
	pb->horizon = MF_HORIZON;
	pb->tokens = xmalloc((size_t)n * sizeof *pb->tokens);
	memcpy(pb->tokens, support, (size_t)n * sizeof *pb->tokens);
	qsort(pb->tokens, (size_t)n, sizeof *pb->tokens, cmp_int);
	pb->A = xmalloc(checked_size((size_t)n * n, 2 * sizeof *pb->A));
	pb->E = pb->A + (size_t)n * n;
	pb->linear = 1;
	for (int a = 0; a < n; a++) {
		double *row = pb->A + (size_t)a * n, max = -INFINITY;

		for (int b = 0; b < n; b++) {
			row[b] = A[(size_t)pb->tokens[a] * K + pb->tokens[b]];
			max = fmax(max, row[b]);
		}
		for (int b = 0; b < n; b++) {
			pb->E[(size_t)a * n + b] = exp(row[b] - max);
			if (!(row[b] - max >= LINEAR))
				pb->linear = 0;
		}
	}
}

void
mf_problem_free(struct mf_problem *pb)
{
	free(pb->tokens);
	free(pb->A);
	memset(pb, 0, sizeof *pb);
}

/* Scratch of the stationary solves and of settle(), so that a flow
 * allocates once. */
struct work {
	int    *idx;          /* present tokens */
	double *Q, *q, *f0, *lf;
	int    *face, *piv;   /* settle(): the face's tokens; LU pivots */
	double *J, *LU;       /* m x m: the Jacobian of pi - id, its factors */
	double *R, *T;        /* m x m: a propagator, a product */
	double *x, *keep;     /* the Newton iterate, the best one so far */
	double *p, *p0, *r;   /* pi at a point, pi at the start, a residual */
	double *c;            /* rates at x */
};

static void
work_init(struct work *w, int n)
{
	size_t nn = (size_t)n * n;
	double *d;

	w->idx = xmalloc(3 * (size_t)n * sizeof *w->idx);
	w->face = w->idx + n;
	w->piv = w->face + n;
	d = xmalloc(checked_size(5 * nn + 9 * (size_t)n, sizeof *d));
	w->Q = d;
	w->J = d += nn;
	w->LU = d += nn;
	w->R = d += nn;
	w->T = d += nn;
	w->q = d += nn;
	w->f0 = d += n;
	w->lf = d += n;
	w->x = d += n;
	w->keep = d += n;
	w->p = d += n;
	w->p0 = d += n;
	w->r = d += n;
	w->c = d + n;
}

static void
work_free(struct work *w)
{
	free(w->idx);
	free(w->Q);
}

/* Q_f(a, .) for the present tokens idx[0..m-1], in proportion to
 * E_ab f_b, E_ab = exp(A_ab - max_b A_ab) over the support: no exp() in
 * the mean field's inner loop.  From P, a row whose mass sits on absent
 * tokens would underflow to 0 / 0; from E it cannot while no E_ab is
 * below e^LINEAR and no share below TINY.  Otherwise, from the logits:
 * the softmax of A_ab + log f_b. */
static void
chain_of(const struct mf_problem *pb, const double *f, struct work *w, int m)
{
	int n = pb->n, *idx = w->idx, linear = pb->linear;

	for (int b = 0; b < m && linear; b++)
		linear = f[idx[b]] >= TINY;
	if (linear) {
		for (int a = 0; a < m; a++) {
			double *row = w->Q + (size_t)a * m, s = 0;
			const double *E = pb->E + (size_t)idx[a] * n;

			for (int b = 0; b < m; b++)
				s += row[b] = E[idx[b]] * f[idx[b]];
			for (int b = 0; b < m; b++)
				row[b] /= s;
		}
		return;
	}
	for (int b = 0; b < m; b++)
		w->lf[b] = log(f[idx[b]]);
	for (int a = 0; a < m; a++) {
		double *row = w->Q + (size_t)a * m;
		const double *A = pb->A + (size_t)idx[a] * n;

		for (int b = 0; b < m; b++)
			row[b] = A[idx[b]] + w->lf[b];
		softmax(row, row, m);
	}
}

static void
stationary(const struct mf_problem *pb, const double *f, double *pi,
    struct work *w)
{
	int n = pb->n, m = 0, *idx = w->idx;

	for (int a = 0; a < n; a++) {
		pi[a] = 0;
		if (f[a] > 0)
			idx[m++] = a;
	}
	if (m <= 1) {
		if (m == 1)
			pi[idx[0]] = 1;
		return;
	}
	chain_of(pb, f, w, m);
	for (int a = 0; a < m; a++)
		w->f0[a] = f[idx[a]];
	/* Reducible when logits far apart make Q_f zero between classes; then
	 * the law of the chain started from f. */
	if (chain_long_run(w->Q, m, w->f0, w->q) != 0)
		die(EXIT_FAIL, "mean field: no stationary law");
	for (int a = 0; a < m; a++)
		pi[idx[a]] = w->q[a];
}

void
mf_stationary(const struct mf_problem *pb, const double *f, double *pi)
{
	struct work w;

	work_init(&w, pb->n);
	stationary(pb, f, pi, &w);
	work_free(&w);
}

/* c_j for the tokens absent from f (NaN for present ones), from the
 * logits as Q_f is. */
static void
rates(const struct mf_problem *pb, const double *f, double *c)
{
	int n = pb->n;
	double *lz = xmalloc(3 * (size_t)n * sizeof *lz), *t = lz + n;
	double *lf = t + n;

	for (int l = 0; l < n; l++)
		lf[l] = log(f[l]);
	for (int i = 0; i < n; i++) {
		for (int l = 0; l < n; l++)
			t[l] = pb->A[(size_t)i * n + l] + lf[l];
		lz[i] = log_sum_exp(t, n);
	}
	for (int j = 0; j < n; j++) {
		c[j] = NAN;
		if (f[j] > 0)
			continue;
		c[j] = 0;
		for (int i = 0; i < n; i++)
			if (f[i] > 0)
				c[j] += f[i] * exp(pb->A[(size_t)i * n + j] - lz[i]);
	}
	free(lz);
}

static void
normalise(double *f, int n)
{
	double s = 0;

	for (int a = 0; a < n; a++)
		s += f[a] = fmax(f[a], 0);
	for (int a = 0; a < n; a++)
		f[a] /= s;
}

/* f + h k, kept on the simplex */
static void
axpy(const double *f, double h, const double *k, double *out, int n)
{
	for (int a = 0; a < n; a++)
		out[a] = f[a] + h * k[a];
	normalise(out, n);
}

static void
drift(const struct mf_problem *pb, const double *f, double *k, struct work *w)
{
	stationary(pb, f, k, w);
	for (int a = 0; a < pb->n; a++)
		k[a] -= f[a];
}

/* The residual pi - x on the face (m tokens), into r, given pi at x; its
 * largest size relative to the shares. */
static double
gap(const double *pi, const double *x, const int *face, int m, double *r)
{
	double worst = 0;

	for (int b = 0; b < m; b++) {
		r[b] = pi[face[b]] - x[face[b]];
		worst = fmax(worst, fabs(r[b]) / x[face[b]]);
	}
	return worst;
}

static double
residual(const struct mf_problem *pb, const double *x, const int *face,
    int m, double *r, struct work *w)
{
	stationary(pb, x, w->p, w);
	return gap(w->p, x, face, m, r);
}

/* The Jacobian of pi - id at x over the face into w->J, and its LU
 * factors: by forward differences, of pi of the shares made to sum to 1
 * (stationary() gives a law of the mass of f, so pi(c f) = c pi(f), and
 * without the normalisation the direction of x itself would be neutral).
 * pi(x) is left in w->p0.  -1 if it is singular. */
static int
jacobian(const struct mf_problem *pb, double *x, const int *face, int m,
    struct work *w)
{
	double *J = w->J;

	stationary(pb, x, w->p0, w);
	for (int b = 0; b < m; b++) {
		int c = face[b];
		double at = x[c], h;

		x[c] = at + 1e-7 * at;
		h = x[c] - at;          /* the step as represented */
		stationary(pb, x, w->p, w);
		x[c] = at;
		for (int a = 0; a < m; a++)
			J[(size_t)a * m + b] = (w->p[face[a]] - w->p0[face[a]]) /
			    h - w->p0[face[a]] - (a == b);
	}
	memcpy(w->LU, J, (size_t)m * m * sizeof *J);
	return lu_factor(w->LU, w->piv, m);
}

/* Newton's method for pi(x) = x over the face, from x, in place, with
 * the Jacobian of the start while it gains a digit a step, and one of
 * the current point (at most 4 times) when it does not: the entries of
 * a small share scale with it, so the start's may be far off.  0 on
 * convergence to rounding, -1 if it failed or left the face. */
static int
newton(const struct mf_problem *pb, double *x, const int *face, int m,
    struct work *w)
{
	int n = pb->n, fresh = 0;
	double *r = w->r, best;

	if (jacobian(pb, x, face, m, w) != 0)
		return -1;
	best = gap(w->p0, x, face, m, r);
	for (int it = 0; it < 30 && best > 4 * DBL_EPSILON; it++) {
		double now;

		lu_solve(w->LU, w->piv, r, m);
		memcpy(w->keep, x, (size_t)n * sizeof *x);
		for (int b = 0; b < m; b++)
			if (!((x[face[b]] -= r[b]) > 0))
				return -1;
		normalise(x, n);
		if (!((now = residual(pb, x, face, m, r, w)) < best)) {
			memcpy(x, w->keep, (size_t)n * sizeof *x);
			break;          /* rounding reached: keep the best */
		}
		if (now > best / 10 && fresh++ < 4 &&
		    jacobian(pb, x, face, m, w) != 0)
			return -1;
		best = now;
	}
	return best <= TOL / 100 ? 0 : -1;
}

/* C = I + s A C (m x m; T scratch) */
static void
horner(const double *A, double s, double *C, double *T, int m)
{
	mat_mul(A, C, T, m, m, m);
	for (int a = 0; a < m; a++)
		for (int b = 0; b < m; b++)
			C[(size_t)a * m + b] = (a == b) + s * T[(size_t)a * m + b];
}

/* Whether the linearised flow at the fixed point, stepped as flow() steps
 * it, contracts: the Runge-Kutta propagator R = sum_{k<=4} (h J)^k / k!
 * has R^(2^20) below 1e-6, i.e. every mode shrinks by 1.4e-5 a step at
 * least (a slower one is as good as neutral here, and left to the flow). */
static int
attracts(const double *J, int m, struct work *w)
{
	double *R = w->R, *T = w->T;
	size_t mm = (size_t)m * m;

	for (size_t e = 0; e < mm; e++)
		R[e] = e % ((size_t)m + 1) == 0;
	for (int k = 4; k >= 1; k--)
		horner(J, STEP / k, R, T, m);
	for (int sq = 0; sq < 20; sq++) {
		double big = 0;

		mat_mul(R, R, T, m, m, m);
		memcpy(R, T, mm * sizeof *R);
		for (size_t e = 0; e < mm; e++)
			big = max_nan(big, fabs(R[e]));
		if (!(big < 1e6))
			return 0;
		if (big < 1e-6)
			return 1;
	}
	return 0;
}

/* Newton's method to the fixed point of the face from x (in place), and
 * whether it attracts: 0 if so, -1 if not or if it failed. */
static int
finish(const struct mf_problem *pb, double *x, const int *face, int m,
    struct work *w)
{
	if (m < 2)              /* a vertex: fixed, and nothing moves in it */
		return 0;
	if (newton(pb, x, face, m, w) != 0 || !attracts(w->J, m, w))
		return -1;
	return 0;
}

/* Whether x is near f and every token f holds and x does not would fade
 * at x; c gets the rates at x. */
static int
takes_over(const struct mf_problem *pb, const double *f, const double *x,
    double *c)
{
	int ok = 1;

	rates(pb, x, c);
	for (int a = 0; a < pb->n; a++)
		if (fabs(x[a] - f[a]) > FAR ||
		    (f[a] > 0 && x[a] == 0 && !(c[a] < 1 - NEUTRAL)))
			ok = 0;
	return ok;
}

/*
 * The last stretch of a flow to its fixed point is slow: a loser whose
 * rate c_j is near 1 fades as exp(-(1 - c_j) tau), and the tolerance
 * asks for shares settled to 1e-9.  Once every share of at least SETTLE
 * moves by less than SETTLE of itself and every smaller one falls, the
 * flow is near a fixed point x, and Newton's method on pi(x) = x finds it
 * to rounding in a few solves: first on the face of the larger shares,
 * the smaller ones taken for losers, which holds if each of them would
 * fade at x; else with those that would not (a small share settling at a
 * small value; all of them if Newton's method failed).  The jump is taken
 * only when it stays near (FAR) and x attracts the flow's own steps (the
 * Runge-Kutta propagator of the linearised flow contracts), so the flow
 * ends where it would have gone.
 * Returns 1 if f jumped to x, 0 if the flow is not yet settled, -1 if
 * Newton's method was tried and failed.
 */
static int
settle(const struct mf_problem *pb, double *f, const double *k1,
    struct work *w)
{
	int n = pb->n, m = 0, all = 0, *face = w->face;
	double *x = w->x, *c = w->c;

	for (int a = 0; a < n; a++) {
		x[a] = 0;
		if (!(f[a] > 0))
			continue;
		all++;
		if (f[a] < SETTLE) {
			if (!(k1[a] < 0))
				return 0;
		} else if (!(fabs(k1[a]) <= SETTLE * f[a]))
			return 0;
		else {
			face[m++] = a;
			x[a] = f[a];
		}
	}
	normalise(x, n);
	if (finish(pb, x, face, m, w) == 0) {
		if (takes_over(pb, f, x, c))
			goto jump;
		/* the small shares that would not fade at x join the face */
		for (int a = 0; a < n; a++)
			x[a] = x[a] > 0 || !(c[a] < 1 - NEUTRAL) ? f[a] : 0;
	} else if (all > m)
		memcpy(x, f, (size_t)n * sizeof *x);
	else
		return -1;
	for (int a = m = 0; a < n; a++)
		if (x[a] > 0)
			face[m++] = a;
	normalise(x, n);
	if (finish(pb, x, face, m, w) != 0 || !takes_over(pb, f, x, c))
		return -1;
jump:
	memcpy(f, x, (size_t)n * sizeof *f);
	return 1;
}

/* The faces tokens grew back at: the face's tokens and the token. */
struct returns {
	int   count, max;
	char *face;            /* max x n */
	int  *token;
};

/* Records that token j grows back at the face of f; 1 if it did so before
 * (or there were too many returns to keep track of). */
static int
returned(struct returns *r, const double *f, int j, int n)
{
	char *e;

	if (r->count == r->max)
		return 1;
	e = r->face + (size_t)r->count * n;
	for (int a = 0; a < n; a++)
		e[a] = f[a] > 0;
	for (int i = 0; i < r->count; i++)
		if (r->token[i] == j && memcmp(r->face + (size_t)i * n, e,
		    (size_t)n) == 0)
			return 1;
	r->token[r->count++] = j;
	return 0;
}

/* Integrates the flow from f, in place: MF_STABLE if it reached a fixed
 * point (stable or not), MF_CYCLING if it kept leaving fixed points,
 * MF_UNCONVERGED if it ran out of time. */
static int
flow(const struct mf_problem *pb, double *f)
{
	int n = pb->n, done = MF_UNCONVERGED, cool = 0, jump;
	double *k = xmalloc(5 * (size_t)n * sizeof *k);
	double *k1 = k, *k2 = k + n, *k3 = k + 2 * n, *k4 = k + 3 * n;
	double *tmp = k + 4 * n;
	struct returns back = { .max = 4 * n + 4 };
	struct work w;

	work_init(&w, n);
	back.face = xmalloc((size_t)back.max * n);
	back.token = xmalloc((size_t)back.max * sizeof *back.token);

	for (double tau = 0; tau < pb->horizon; tau += STEP) {
		int still = 1;

		/* Relative drift: a share of 1e-6 that grows must not pass for
		 * converged. */
		drift(pb, f, k1, &w);
		for (int a = 0; a < n; a++)
			if (fabs(k1[a]) > TOL * f[a])
				still = 0;
		if (still) {
			int grow = -1;

			rates(pb, f, tmp);
			for (int j = 0; j < n; j++)
				if (f[j] == 0 && tmp[j] > 1 + NEUTRAL &&
				    (grow < 0 || tmp[j] > tmp[grow]))
					grow = j;
			if (grow < 0) {
				done = MF_STABLE;
				break;
			}
			/* The same token growing back at the same face again
			 * is a heteroclinic cycle: no winner set. */
			if (returned(&back, f, grow, n)) {
				done = MF_CYCLING;
				break;
			}
			f[grow] = REINJECT;
			normalise(f, n);
			continue;
		}
		if (cool > 0)
			cool--;
		else if ((jump = settle(pb, f, k1, &w)) != 0) {
			cool = COOLDOWN;
			if (jump > 0)
				continue;
		}
		axpy(f, STEP / 2, k1, tmp, n);
		drift(pb, tmp, k2, &w);
		axpy(f, STEP / 2, k2, tmp, n);
		drift(pb, tmp, k3, &w);
		axpy(f, STEP, k3, tmp, n);
		drift(pb, tmp, k4, &w);
		for (int a = 0; a < n; a++) {
			f[a] += STEP / 6 * (k1[a] + 2 * k2[a] + 2 * k3[a] + k4[a]);
			if (f[a] < DROP && k1[a] < 0)
				f[a] = 0;
		}
		normalise(f, n);
	}
	free(back.face);
	free(back.token);
	free(k);
	work_free(&w);
	return done;
}

static void
point_from(const struct mf_problem *pb, const double *f, struct mf_point *p)
{
	int n = pb->n;

	memset(p, 0, sizeof *p);
	p->tokens = xmalloc((size_t)n * sizeof *p->tokens);
	p->f = xmalloc((size_t)n * sizeof *p->f);
	p->c = xmalloc((size_t)n * sizeof *p->c);
	for (int a = 0; a < n; a++)
		if (f[a] > 0) {
			p->tokens[p->n] = pb->tokens[a];
			p->f[p->n++] = f[a];
		}
	rates(pb, f, p->c);
}

static int
same(const struct mf_point *p, const struct mf_point *q)
{
	if (p->n != q->n)
		return 0;
	for (int a = 0; a < p->n; a++)
		if (p->tokens[a] != q->tokens[a] || fabs(p->f[a] - q->f[a]) > MERGE)
			return 0;
	return 1;
}

/* Dirichlet(1) point on the tokens where mask is set. */
static void
uniform_point(struct rng *r, const double *mask, double *u, int n)
{
	for (int a = 0; a < n; a++)
		u[a] = mask[a] > 0 ? -log(1 - rng_uniform(r)) + 1e-300 : 0;
	normalise(u, n);
}

/* A fixed point f (p) is stable when no absent token grows and in-face
 * perturbations flow back. */
static int
stability(const struct mf_problem *pb, const double *f,
    const struct mf_point *p, uint64_t seed)
{
	int n = pb->n, status = MF_STABLE, tries;
	double *g, *u;
	struct rng r;

	for (int j = 0; j < n; j++)
		if (f[j] == 0 && !(p->c[j] < 1 - NEUTRAL))
			return MF_UNSTABLE;
	if (p->n < 2)
		return MF_STABLE;
	g = xmalloc((size_t)n * sizeof *g);
	u = xmalloc((size_t)n * sizeof *u);
	rng_init(&r, seed, "meanfield", 1);
	tries = 2 * p->n < NPERTURB ? 2 * p->n : NPERTURB;
	for (int t = 0; t < tries && status == MF_STABLE; t++) {
		struct mf_point q;

		uniform_point(&r, f, u, n);
		for (int a = 0; a < n; a++)
			g[a] = (1 - PERTURB) * f[a] + PERTURB * u[a];
		if (flow(pb, g) != MF_STABLE)
			status = MF_UNSTABLE;
		else {
			point_from(pb, g, &q);
			if (!same(p, &q))
				status = MF_UNSTABLE;
			mf_point_free(&q);
		}
	}
	free(g);
	free(u);
	return status;
}

int
mf_limit(const struct mf_problem *pb, const double *f0, uint64_t seed,
    struct mf_point *lim)
{
	double *f = xmalloc((size_t)pb->n * sizeof *f);
	int status;

	memcpy(f, f0, (size_t)pb->n * sizeof *f);
	normalise(f, pb->n);
	if ((status = flow(pb, f)) != MF_STABLE) {
		point_from(pb, f, lim);
		free(f);
		return status;
	}
	point_from(pb, f, lim);
	status = stability(pb, f, lim, seed);
	free(f);
	return status;
}

int
mf_find(const struct mf_set *s, const struct mf_point *p)
{
	for (int i = 0; i < s->count; i++)
		if (same(&s->a[i], p))
			return i;
	return -1;
}

void
mf_point_free(struct mf_point *p)
{
	free(p->tokens);
	free(p->f);
	free(p->c);
	memset(p, 0, sizeof *p);
}

static int
cmp_point(const void *a, const void *b)
{
	const struct mf_point *p = a, *q = b;

	if (p->n != q->n)
		return (p->n > q->n) - (p->n < q->n);
	for (int i = 0; i < p->n; i++)
		if (p->tokens[i] != q->tokens[i])
			return (p->tokens[i] > q->tokens[i]) -
			    (p->tokens[i] < q->tokens[i]);
	return 0;
}

static void
add(struct mf_set *s, struct mf_point *p)
{
	s->a = xrealloc(s->a, (size_t)(s->count + 1) * sizeof *s->a);
	s->a[s->count++] = *p;
}

void
mf_attractors(const struct mf_problem *pb, int starts, uint64_t seed,
    struct mf_set *s)
{
	int n = pb->n;
	double *f = xmalloc((size_t)n * sizeof *f);
	double *ones = xmalloc((size_t)n * sizeof *ones);
	int *hits;
	struct mf_set unstable = { 0 };
	struct rng r;

	memset(s, 0, sizeof *s);
	s->starts = starts;
	/* Vertices are fixed points; their stability is self-dominance. */
	for (int k = 0; k < n; k++) {
		struct mf_point p;

		for (int a = 0; a < n; a++)
			f[a] = a == k;
		point_from(pb, f, &p);
		if (stability(pb, f, &p, seed) == MF_STABLE)
			add(s, &p);
		else
			mf_point_free(&p);
	}
	for (int a = 0; a < n; a++)
		ones[a] = 1;
	/* at most one attractor per vertex and per start */
	hits = xcalloc((size_t)starts + (size_t)n, sizeof *hits);
	rng_init(&r, seed, "meanfield", 0);
	for (int t = 0; t < starts; t++) {
		struct mf_point p;
		int i;

		uniform_point(&r, ones, f, n);
		if ((i = flow(pb, f)) != MF_STABLE) {
			s->unresolved++;
			s->cycling += i == MF_CYCLING;
			continue;
		}
		point_from(pb, f, &p);
		if ((i = mf_find(s, &p)) >= 0) {
			hits[i]++;
			mf_point_free(&p);
		} else if (mf_find(&unstable, &p) >= 0) {
			s->unresolved++;
			mf_point_free(&p);
		} else if (stability(pb, f, &p, seed) == MF_STABLE) {
			hits[s->count] = 1;
			add(s, &p);
		} else {
			s->unresolved++;
			add(&unstable, &p);
		}
	}
	for (int i = 0; i < s->count; i++)
		s->a[i].basin = starts ? (double)hits[i] / starts : 0;
	if (s->count)           /* qsort wants an array even for none */
		qsort(s->a, (size_t)s->count, sizeof *s->a, cmp_point);
	mf_set_free(&unstable);
	free(hits);
	free(ones);
	free(f);
}

void
mf_set_free(struct mf_set *s)
{
	for (int i = 0; i < s->count; i++)
		mf_point_free(&s->a[i]);
	free(s->a);
	memset(s, 0, sizeof *s);
}
