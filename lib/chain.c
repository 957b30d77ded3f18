#include "chain.h"

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

/* Solve pi (I - P) = 0, sum pi = 1 on the class: one balance equation is
 * redundant and is replaced by the normalisation. */
int
chain_stationary(const double *P, int K, const int *class, int c, double *pi)
{
	int n = 0, rc;
	int *member = xmalloc((size_t)K * sizeof *member);
	int *piv;
	double *M;

	for (int i = 0; i < K; i++)
		if (class[i] == c)
			member[n++] = i;
	M = xmalloc((size_t)n * n * sizeof *M);
	piv = xmalloc((size_t)n * sizeof *piv);
	for (int r = 0; r < n; r++)        /* M = (I - P_S)^T */
		for (int s = 0; s < n; s++)
			M[(size_t)r * n + s] = (r == s) -
			    P[(size_t)member[s] * K + member[r]];
	for (int s = 0; s < n; s++)
		M[(size_t)(n - 1) * n + s] = 1;
	memset(pi, 0, (size_t)K * sizeof *pi);
	{
		double *x = xcalloc((size_t)n, sizeof *x);

		x[n - 1] = 1;
		if ((rc = lu_factor(M, piv, n)) == 0) {
			lu_solve(M, piv, x, n);
			for (int s = 0; s < n; s++)
				pi[member[s]] = fmax(x[s], 0);
		}
		free(x);
	}
	free(M);
	free(piv);
	free(member);
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
		chain_stationary(P, K, class, c, pi);
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
	for (int k = 0; k < K; k++)
		if (chain_self_dominant(P, K, k))
			jappend(dom, jint(k));
	jset(out, "self_dominant", dom);
	free(class);
	free(closed);
	free(pi);
	return out;
}
