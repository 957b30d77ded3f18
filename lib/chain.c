#include "chain.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "numeric.h"
#include "stream.h"
#include "util.h"

int
chain_classes(const double *P, int K, int *class, int *closed)
{
	size_t *start = xmalloc(((size_t)K + 1) * sizeof *start), m = 0;
	int *adj = xmalloc(checked_size((size_t)K * K, sizeof *adj)), nclass;

	for (int i = 0; i < K; i++) {
		start[i] = m;
		for (int j = 0; j < K; j++)
			if (P[(size_t)i * K + j] > 0)
				adj[m++] = j;
	}
	start[K] = m;
	nclass = graph_strong_components(K, NULL, start, adj, class);
	for (int c = 0; c < nclass; c++)
		closed[c] = 1;
	for (int i = 0; i < K; i++)
		for (size_t e = start[i]; e < start[i + 1]; e++)
			if (class[i] != class[adj[e]])
				closed[class[i]] = 0;
	free(start);
	free(adj);
	return nclass;
}

/*
 * Stationary laws by state reduction (Grassmann, Taksar and Heyman): a
 * state k is taken out by sending whatever entered it on along its other
 * edges, in proportion to them.  Only sums, products and quotients of
 * nonnegative numbers occur, never a difference, so the result is exact to
 * rounding however nearly reducible the chain is, where LU on I - P loses
 * everything.  What it cannot survive is a product of positive
 * probabilities that underflows, or a ratio of stationary weights beyond
 * the range of a double (logits of some thousands do both); then the same
 * elimination runs again on logarithms, where neither can happen.
 */
struct reduction {
	double *a;            /* n x n: the chain (or its logarithms) */
	double *s;            /* s[k]: total of k's edges when it was removed */
	double *mass, *x;     /* mass held by each state; back-substitution */
	int    *member;       /* of the class being solved */
	int    *live, *out;   /* states still in; those an eliminated one feeds */
	char   *alive;
	int     n, lg;        /* lg: entries are logarithms */
	int     lossy;        /* linear arithmetic lost a positive quantity */
};

static int
nonzero(const struct reduction *r, double x)
{
	return r->lg ? x > -INFINITY : x > 0;
}

static double
add(const struct reduction *r, double x, double y)
{
	if (!r->lg)
		return x + y;
	if (x == -INFINITY)
		return y;
	if (y == -INFINITY)
		return x;
	return x > y ? x + log1p(exp(y - x)) : y + log1p(exp(x - y));
}

/* x y, or x / y with inv set */
static double
mul(struct reduction *r, double x, double y, int inv)
{
	double t;

	if (r->lg)
		return inv ? x - y : x + y;
	t = inv ? x / y : x * y;
	if (x > 0 && !(t >= DBL_MIN && t <= DBL_MAX))
		r->lossy = 1;
	return t;
}

/* Takes k out; its row becomes the law of where a stay in k ends, as the
 * back-substitution and the mass that sits in k need.  -1 if k has no
 * edge to a state still in. */
static int
eliminate(struct reduction *r, int k)
{
	int n = r->n, *live = r->live, *out = r->out, nl = 0, no = 0;
	double *rk = r->a + (size_t)k * n, s = r->lg ? -INFINITY : 0;

	r->alive[k] = 0;
	for (int j = 0; j < n; j++)
		if (r->alive[j])
			live[nl++] = j;
	for (int q = 0; q < nl; q++)
		s = add(r, s, rk[live[q]]);
	if (!nonzero(r, s))
		return -1;
	r->s[k] = s;
	for (int q = 0; q < nl; q++) {
		int j = live[q];

		rk[j] = mul(r, rk[j], s, 1);
		if (nonzero(r, rk[j]))
			out[no++] = j;
	}
	for (int q = 0; q < nl; q++) {
		double *ri = r->a + (size_t)live[q] * n, rik = ri[k];

		if (!nonzero(r, rik))
			continue;
		if (r->lg) {
			for (int p = 0; p < no; p++)
				ri[out[p]] = add(r, ri[out[p]], rik + rk[out[p]]);
			continue;
		}
		/* mul and add of the linear case, spelled out: this is the
		 * mean field's innermost loop */
		for (int p = 0; p < no; p++) {
			double t = rik * rk[out[p]];

			if (!(t >= DBL_MIN && t <= DBL_MAX))
				r->lossy = 1;
			ri[out[p]] += t;
		}
	}
	return 0;
}

/* The long-run law from the initial law f: transient states hand their
 * mass on as they are taken out, then each closed class with mass gets its
 * stationary law, by elimination down to its first member and back.
 * 0, 1 if lossy (retry on logarithms), -1 if a class fell apart. */
static int
reduce(struct reduction *r, const double *P, const double *f,
    const int *class, int nclass, const int *closed, double *pi)
{
	int n = r->n, rc = 0, transient = 0, *member = r->member;
	double *mass = r->mass, *x = r->x;

	r->lossy = 0;
	if (r->lg)
		for (size_t e = 0; e < (size_t)n * n; e++)
			r->a[e] = log(P[e]);
	else
		memcpy(r->a, P, (size_t)n * n * sizeof *P);
	for (int i = 0; i < n; i++) {
		mass[i] = r->lg ? log(f[i]) : f[i];
		r->alive[i] = 1;
		pi[i] = 0;
		transient |= !closed[class[i]] && f[i] > 0;
	}
	for (int k = 0; transient && k < n; k++) {
		double *rk = r->a + (size_t)k * n;

		if (closed[class[k]])
			continue;
		if (eliminate(r, k) != 0) {
			rc = r->lg ? -1 : 1;    /* transient: had an edge out */
			goto out;
		}
		if (nonzero(r, mass[k]))
			for (int j = 0; j < n; j++)
				if (r->alive[j])
					mass[j] = add(r, mass[j], mul(r, mass[k], rk[j], 0));
	}
	for (int c = 0; c < nclass; c++) {
		int m = 0;
		double cm = r->lg ? -INFINITY : 0, tot;

		if (!closed[c])
			continue;
		for (int i = 0; i < n; i++)
			if (class[i] == c) {
				member[m++] = i;
				cm = add(r, cm, mass[i]);
			}
		if (!nonzero(r, cm))
			continue;
		for (int q = m - 1; q > 0; q--)
			if (eliminate(r, member[q]) != 0) {
				rc = r->lg ? -1 : 1;
				goto out;
			}
		x[member[0]] = tot = r->lg ? 0 : 1;
		for (int q = 1; q < m; q++) {
			int k = member[q];
			double v = r->lg ? -INFINITY : 0;

			for (int p = 0; p < q; p++)
				v = add(r, v, mul(r, x[member[p]],
				    r->a[(size_t)member[p] * n + k], 0));
			x[k] = mul(r, v, r->s[k], 1);
			tot = add(r, tot, x[k]);
		}
		if (!r->lg && !(tot <= DBL_MAX))
			r->lossy = 1;
		for (int q = 0; q < m; q++) {
			int k = member[q];

			pi[k] = r->lg ? exp(cm + x[k] - tot) : cm * (x[k] / tot);
		}
	}
	if (r->lossy)
		rc = 1;
out:
	return rc;
}

/* The mean field solves many small chains: their workspace lives on the
 * stack, and only larger ones allocate. */
#define SMALL 16


static int
long_run(const double *P, int n, const double *f, const int *class,
    int nclass, const int *closed, double *pi)
{
	struct reduction r = { .n = n };
	double buf[SMALL * SMALL + 3 * SMALL];
	int member[3 * SMALL], rc;
	char alive[SMALL];

	if (n <= SMALL) {
		r.a = buf;
		r.member = member;
		r.alive = alive;
	} else {
		r.a = xmalloc(checked_size((size_t)n * n + 3 * (size_t)n,
		    sizeof *r.a));
		r.member = xmalloc(3 * (size_t)n * sizeof *r.member);
		r.alive = xmalloc((size_t)n);
	}
	r.live = r.member + n;
	r.out = r.live + n;
	r.s = r.a + (size_t)n * n;
	r.mass = r.s + n;
	r.x = r.mass + n;
	if ((rc = reduce(&r, P, f, class, nclass, closed, pi)) == 1) {
		r.lg = 1;
		rc = reduce(&r, P, f, class, nclass, closed, pi);
	}
	if (n > SMALL) {
		free(r.a);
		free(r.member);
		free(r.alive);
	}
	return rc;
}

int
chain_stationary(const double *P, int K, const int *class, int c, double *pi)
{
	double *f = xcalloc((size_t)K, sizeof *f);
	int *closed = xcalloc((size_t)K, sizeof *closed), nclass = 0, rc, i;

	for (i = 0; i < K; i++)
		if (class[i] >= nclass)
			nclass = class[i] + 1;
	for (i = 0; i < K && class[i] != c; i++)
		;
	if (i < K)
		f[i] = 1;
	closed[c] = 1;       /* the others are never entered */
	rc = long_run(P, K, f, class, nclass, closed, pi);
	free(f);
	free(closed);
	return rc;
}

int
chain_long_run(const double *P, int K, const double *f, double *pi)
{
	int buf[2 * SMALL], *class = buf, *closed, nclass, rc, positive = 1;

	if (K > SMALL)
		class = xmalloc(2 * (size_t)K * sizeof *class);
	closed = class + K;
	for (size_t e = 0; e < (size_t)K * K && positive; e++)
		positive = P[e] > 0;
	if (positive) {         /* one class, as chain_classes finds it */
		for (int i = 0; i < K; i++)
			class[i] = 0;
		closed[0] = 1;
		nclass = 1;
	} else
		nclass = chain_classes(P, K, class, closed);
	rc = long_run(P, K, f, class, nclass, closed, pi);
	if (class != buf)
		free(class);
	return rc;
}

int
chain_self_dominant(const double *P, int K, int k)
{
	for (int j = 0; j < K; j++)
		if (j != k && !(P[(size_t)k * K + k] > P[(size_t)k * K + j]))
			return 0;
	return 1;
}

json_t *
chain_analyze(const double *P, int K)
{
	int *class = xmalloc((size_t)K * sizeof *class);
	int *closed = xmalloc((size_t)K * sizeof *closed);
	double *pi = xmalloc((size_t)K * sizeof *pi);
	int nclass = chain_classes(P, K, class, closed), nclosed = 0;
	json_t *out = json_object(), *classes = json_array(), *dom = json_array();

	for (int c = 0; c < nclass; c++) {
		json_t *members = json_array();

		for (int i = 0; i < K; i++)
			if (class[i] == c)
				jappend(members, jint(i));
		jappend(classes, jpack("{s:o,s:b}", "tokens",
		    members, "closed", closed[c]));
		nclosed += closed[c];
	}
	jset(out, "classes", classes);
	jset(out, "irreducible", json_boolean(nclass == 1));
	/* A unique stationary law exists when exactly one class is closed. */
	if (nclosed == 1) {
		int c = 0;
		json_t *stat = json_array();
		double rate = 0;

		while (!closed[c])
			c++;
		if (chain_stationary(P, K, class, c, pi) != 0) {
			json_object_set_new(out, "stationary", json_null());
			json_object_set_new(out, "entropy_rate", json_null());
			goto dominant;
		}
		for (int i = 0; i < K; i++) {
			jappend(stat, jreal(pi[i]));
			rate += pi[i] * entropy(P + (size_t)i * K, K);
		}
		jset(out, "stationary", stat);
		jset(out, "entropy_rate", jreal(rate));
	} else {
		jset(out, "stationary", json_null());
		jset(out, "entropy_rate", json_null());
	}
dominant:
	for (int k = 0; k < K; k++)
		if (chain_self_dominant(P, K, k))
			jappend(dom, jint(k));
	jset(out, "self_dominant", dom);
	free(class);
	free(closed);
	free(pi);
	return out;
}
