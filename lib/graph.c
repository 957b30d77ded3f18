#include "graph.h"

#include <stdlib.h>

#include "util.h"

int
graph_strong_components(int K, const int *seen, const size_t *adjstart,
    const int *adj, int *scc)
{
	int *index = xmalloc(6 * (size_t)K * sizeof *index);
	int *low = index + K, *stack = low + K, *onstack = stack + K;
	int *cs = onstack + K, *edge = cs + K;   /* call stack, next edge */
	int next = 0, sp = 0, nscc = 0;

	for (int v = 0; v < K; v++) {
		index[v] = -1;
		onstack[v] = 0;
		scc[v] = -1;
	}
	for (int root = 0; root < K; root++) {
		int depth = 0;

		if ((seen && !seen[root]) || index[root] >= 0)
			continue;
		cs[depth++] = root;
		index[root] = low[root] = next++;
		stack[sp++] = root;
		onstack[root] = 1;
		edge[root] = 0;
		while (depth > 0) {
			int v = cs[depth - 1];

			if ((size_t)edge[v] < adjstart[v + 1] - adjstart[v]) {
				int u = adj[adjstart[v] + (size_t)edge[v]++];

				if (index[u] < 0) {
					index[u] = low[u] = next++;
					stack[sp++] = u;
					onstack[u] = 1;
					edge[u] = 0;
					cs[depth++] = u;
				} else if (onstack[u] && index[u] < low[v])
					low[v] = index[u];
				continue;
			}
			if (low[v] == index[v]) {
				int u;

				do {
					u = stack[--sp];
					onstack[u] = 0;
					scc[u] = nscc;
				} while (u != v);
				nscc++;
			}
			if (--depth > 0) {
				int parent = cs[depth - 1];

				if (low[v] < low[parent])
					low[parent] = low[v];
			}
		}
	}
	free(index);
	return nscc;
}
