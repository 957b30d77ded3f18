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

int
chain_period(const double *P, int K, const int *class, int c)
{
	int *level = xmalloc((size_t)K * sizeof *level), *queue, head = 0, tail = 0;
	int g = 0, root = -1;

	queue = xmalloc((size_t)K * sizeof *queue);
	for (int i = 0; i < K; i++) {
		level[i] = -1;
		if (class[i] == c && root < 0)
			root = i;
	}
	level[root] = 0;
	queue[tail++] = root;
	while (head < tail) {            /* BFS levels within the class */
		int u = queue[head++];

		for (int v = 0; v < K; v++) {
			if (class[v] != c || !(P[(size_t)u * K + v] > 0))
				continue;
			if (level[v] < 0) {
				level[v] = level[u] + 1;
				queue[tail++] = v;
			} else {             /* gcd with level[u] + 1 - level[v] */
				int x = abs(level[u] + 1 - level[v]), y = g;

				while (y) {
					int t = x % y;

					x = y;
					y = t;
				}
				g = x;
			}
		}
	}
	free(queue);
	free(level);
	return g;
}

/* The rows of the states in list (n of them) eliminated in order, with
 * only sums, products and quotients of nonnegative numbers (as for the
 * stationary laws above): w is n x (n + extra), entry [i][j] for j < n
 * the chance from list[i] to list[j] (i != j), and the extra columns the
 * chances into sinks; tau[i] the expected time of one step from it.  On
 * return row k holds where a stay in list[k] ends among the states after
 * it and the sinks (normalised), and tau[k] its expected duration.
 * -1 if a state has no way out. */
static int
eliminate_in_order(double *w, double *tau, int n, int extra)
{
	int cols = n + extra;

	for (int k = 0; k < n; k++) {
		double *rk = w + (size_t)k * cols, out = 0;

		for (int j = k + 1; j < cols; j++)
			out += rk[j];
		if (!(out > 0))
			return -1;
		for (int j = k + 1; j < cols; j++)
			rk[j] /= out;
		tau[k] /= out;
		for (int i = k + 1; i < n; i++) {
			double *ri = w + (size_t)i * cols, rik = ri[k];

			if (!(rik > 0))
				continue;
			for (int j = k + 1; j < cols; j++)
				if (j != i)
					ri[j] += rik * rk[j];
			tau[i] += rik * tau[k];
		}
	}
	return 0;
}

int
chain_absorption(const double *P, int K, const int *class, const int *closed,
    int nclass, int *transient, double *h)
{
	int n = 0, *sink = xmalloc(((size_t)nclass + 1) * sizeof *sink), ns = 0;
	double *w, *tau;
	int rc;

	for (int c = 0; c < nclass; c++)
		sink[c] = closed[c] ? ns++ : -1;
	for (int i = 0; i < K; i++)
		if (!closed[class[i]])
			transient[n++] = i;
	w = xcalloc(checked_size((size_t)n * ((size_t)n + ns) + 1, 1), sizeof *w);
	tau = xcalloc((size_t)n + 1, sizeof *tau);
	for (int a = 0; a < n; a++) {
		const double *row = P + (size_t)transient[a] * K;
		double *wa = w + (size_t)a * (n + ns);

		for (int b = 0; b < n; b++)
			if (b != a)
				wa[b] = row[transient[b]];
		for (int j = 0; j < K; j++)
			if (closed[class[j]])
				wa[n + sink[class[j]]] += row[j];
	}
	rc = eliminate_in_order(w, tau, n, ns);
	for (int k = n - 1; rc == 0 && k >= 0; k--)     /* back-substitution */
		for (int c = 0; c < ns; c++) {
			const double *rk = w + (size_t)k * (n + ns);
			double v = rk[n + c];

			for (int j = k + 1; j < n; j++)
				v += rk[j] * h[(size_t)j * ns + c];
			h[(size_t)k * ns + c] = v;
		}
	free(tau);
	free(w);
	free(sink);
	return rc < 0 ? -1 : n;
}

int
chain_passage(const double *P, int K, const int *member, int n, double *m)
{
	double *w = xmalloc(checked_size((size_t)n * n + 1, sizeof *w));
	double *tau = xmalloc(((size_t)n + 1) * sizeof *tau), *t;
	int *order = xmalloc(((size_t)n + 1) * sizeof *order);

	t = xmalloc(((size_t)n + 1) * sizeof *t);
	for (int j = 0; j < n; j++) {
		int q = 0;

		/* the others in order, then the target, as the sink */
		for (int i = 0; i < n; i++)
			if (i != j)
				order[q++] = i;
		order[q] = j;
		for (int a = 0; a < n; a++) {
			const double *row = P + (size_t)member[order[a]] * K;

			tau[a] = 1;
			for (int b = 0; b < n; b++)
				w[(size_t)a * n + b] = b != a ? row[member[order[b]]] : 0;
		}
		if (eliminate_in_order(w, tau, n - 1, 1) != 0) {
			free(t);
			free(order);
			free(tau);
			free(w);
			return -1;
		}
		for (int k = n - 2; k >= 0; k--) {
			double v = tau[k];

			for (int l = k + 1; l < n - 1; l++)
				v += w[(size_t)k * n + l] * t[l];
			t[k] = v;
		}
		/* the return time: one step, then the way back */
		m[(size_t)j * n + j] = 1;
		for (int k = 0; k < n - 1; k++) {
			m[(size_t)order[k] * n + j] = t[k];
			m[(size_t)j * n + j] += P[(size_t)member[j] * K + member[order[k]]] *
			    t[k];
		}
	}
	free(t);
	free(order);
	free(tau);
	free(w);
	return 0;
}

/* Mean first-passage times are n^4 to compute for a class of n states:
 * given for classes up to this size (ours). */
#define PASSAGE_MAX 128

/* Whether the n numbers of x are finite: an elimination in linear
 * arithmetic whose products underflow (logits of some hundreds) gives
 * no number, and its quantity is then null. */
static int
all_finite(const double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

/* A class's own analysis: its period, and when closed its stationary
 * law and mean first-passage times, in the order of its tokens. */
static json_t *
class_json(const double *P, int K, const int *class, int c, int closed,
    double *pi)
{
	int n = 0, *member = xmalloc((size_t)K * sizeof *member), g;
	json_t *members = json_array(), *o;

	for (int i = 0; i < K; i++)
		if (class[i] == c) {
			member[n++] = i;
			jappend(members, jint(i));
		}
	g = chain_period(P, K, class, c);
	o = jpack("{s:o,s:b,s:o}", "tokens", members, "closed", closed,
	    "period", g ? jint(g) : json_null());
	if (closed && chain_stationary(P, K, class, c, pi) == 0) {
		json_t *law = json_array();

		for (int q = 0; q < n; q++)
			jappend(law, jreal(pi[member[q]]));
		jset(o, "stationary", law);
	} else if (closed)
		jset(o, "stationary", json_null());
	if (closed) {
		double *m = n <= PASSAGE_MAX ? xmalloc((size_t)n * n * sizeof *m) :
		    NULL;
		json_t *rows = json_null();

		if (m && chain_passage(P, K, member, n, m) == 0 &&
		    all_finite(m, (size_t)n * n)) {
			rows = json_array();
			for (int i = 0; i < n; i++) {
				json_t *row = json_array();

				for (int j = 0; j < n; j++)
					jappend(row, jreal(m[(size_t)i * n + j]));
				jappend(rows, row);
			}
		}
		jset(o, "mean_first_passage", rows);
		free(m);
	}
	free(member);
	return o;
}

/* Where each transient state ends: null when none is transient. */
static json_t *
absorption_json(const double *P, int K, const int *class, const int *closed,
    int nclass)
{
	int *transient = xmalloc((size_t)K * sizeof *transient), n, ns = 0;
	double *h;
	json_t *o = json_null(), *into, *tok, *which;

	for (int c = 0; c < nclass; c++)
		ns += closed[c];
	h = xmalloc(checked_size((size_t)K * ns + 1, sizeof *h));
	n = chain_absorption(P, K, class, closed, nclass, transient, h);
	if (n > 0 && all_finite(h, (size_t)n * ns)) {
		into = json_array();
		tok = json_array();
		which = json_array();
		for (int c = 0; c < nclass; c++)
			if (closed[c])
				jappend(which, jint(c));
		for (int a = 0; a < n; a++) {
			json_t *row = json_array();

			jappend(tok, jint(transient[a]));
			for (int c = 0; c < ns; c++)
				jappend(row, jreal(h[(size_t)a * ns + c]));
			jappend(into, row);
		}
		o = jpack("{s:o,s:o,s:o}", "transient", tok, "closed_classes", which,
		    "probabilities", into);
	}
	free(h);
	free(transient);
	return o;
}

/* A chain with rows not determined (NaN: null in a fitted ccmc record)
 * has no analysis: which rows, and nulls. */
static json_t *
undetermined(const double *P, int K)
{
	json_t *rows = json_array();

	for (int i = 0; i < K; i++)
		for (int j = 0; j < K; j++)
			if (isnan(P[(size_t)i * K + j])) {
				jappend(rows, jint(i));
				break;
			}
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		return NULL;
	}
	return jpack("{s:o,s:n,s:n,s:n,s:n,s:n,s:n}", "undetermined_rows", rows,
	    "classes", "irreducible", "stationary", "entropy_rate", "absorption",
	    "self_dominant");
}

json_t *
chain_analyze(const double *P, int K)
{
	int *class, *closed, nclass, nclosed = 0;
	double *pi;
	json_t *out, *classes, *dom;

	if ((out = undetermined(P, K)))
		return out;
	class = xmalloc((size_t)K * sizeof *class);
	closed = xmalloc((size_t)K * sizeof *closed);
	pi = xmalloc((size_t)K * sizeof *pi);
	nclass = chain_classes(P, K, class, closed);
	out = json_object();
	classes = json_array();
	dom = json_array();
	for (int c = 0; c < nclass; c++) {
		jappend(classes, class_json(P, K, class, c, closed[c], pi));
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
	jset(out, "absorption", absorption_json(P, K, class, closed, nclass));
	for (int k = 0; k < K; k++)
		if (chain_self_dominant(P, K, k))
			jappend(dom, jint(k));
	jset(out, "self_dominant", dom);
	free(class);
	free(closed);
	free(pi);
	return out;
}
