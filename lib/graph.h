/*
 * graph: strongly connected components of a directed graph on vertices
 * 0..K-1, by Tarjan's algorithm without recursion (K may be large).  It
 * gives the communicating classes of a chain (chain.h) and the classes
 * whose existence decides whether a row's MLE exists (estimate.h).
 */
#ifndef GRAPH_H
#define GRAPH_H

#include <stddef.h>

/* The edges of v are adj[adjstart[v] .. adjstart[v+1]-1].  Vertices with
 * seen[v] == 0 are left out (scc[v] = -1); seen may be NULL (all in).
 * Components are numbered in the order Tarjan's algorithm closes them,
 * from roots taken in increasing order.  Returns their number. */
int graph_strong_components(int K, const int *seen, const size_t *adjstart,
        const int *adj, int *scc);

#endif
