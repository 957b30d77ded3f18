/*
 * meanfield: the winner sets the mean field of attn-ccmc(7) predicts for a CCMC
 * trajectory (ours; to be tested against simulation).
 *
 * With f the token shares of the context and tau = log t, the counts drift
 * as df/dtau = pi(f) - f, pi(f) being the stationary law of the chain
 * Q_f(i, j) = f_j P_ij / sum_l f_l P_il.  Only tokens of the initial prompt
 * (its support S) ever occur, so f lives on the simplex over S.  Every face
 * of that simplex is invariant (a token with share 0 is never drawn), so a
 * fixed point f* may hold only some tokens.  It is an attractor when
 *  - across the face: each absent token j of S would fade, i.e. its rate
 *        c_j = sum_i f*_i P_ij / sum_l f*_l P_il
 *    (pi_j = c_j f_j + o(f_j) near the face) is below 1, and c_j is also
 *    the exponent a loser's count grows with (m_j ~ t^c_j); for a single
 *    token k this is P_kk > P_kj, self-dominance;
 *  - within the face: perturbations (seeded, of size 1e-3) flow back.
 *
 * Method: the flow is integrated by classical Runge-Kutta (step 0.5 in
 * tau) from every vertex, from `starts` seeded uniform points of the
 * simplex and, per trajectory, from the prompt's own frequencies.  A share
 * that has fallen below 1e-9 and is still falling is set to 0 (the face is
 * invariant, and a loser with c_j near 1 would otherwise take thousands of
 * tau to vanish); if at the limit such a token has c_j > 1 it is put back
 * (share 1e-6) and the flow continues; more than 2n + 2 such returns mean
 * the flow cycles between faces (seen on random models: rock-paper-
 * scissors among tokens), and no winner set is predicted.  A limit is
 * reached when every share present moves by less than 1e-9 of itself per
 * unit tau.  Once the flow has nearly settled, Newton's method finishes
 * it, to rounding (settle() in meanfield.c).  The flow is given up at tau
 * = horizon (default 5000) if it has not settled by then (a trajectory of
 * T steps covers tau = log T, so slower dynamics are far beyond any
 * simulation, but a flow may linger near a saddle).  A rate within 1e-6
 * of 1 is neutral: such a fixed point is not counted as an attractor.
 * Limits are merged when they hold the same tokens and agree within 1e-5.
 * pi(f) is solved exactly (chain_long_run, from exp(A) or from the logits
 * where that would underflow, so that models whose P underflows are
 * handled; where Q_f falls apart into classes, pi(f) is the long-run law
 * of the chain started from f), so the cost is O(steps n^3) for n prompt
 * tokens, with at most horizon / 0.5 steps per flow, and O(n^4) per
 * Newton finish.
 * Positional weights (posw) are not part of this mean field.
 */
#ifndef MEANFIELD_H
#define MEANFIELD_H

#include <stdint.h>

#define MF_HORIZON 5000.0     /* default tau at which a flow is given up */

struct mf_problem {
	int     n;            /* tokens of the support */
	double  horizon;      /* give a flow up at this tau */
	int    *tokens;       /* their ids, ascending */
	double *A;            /* n x n: the logits A restricted to them */
	double *E;            /* n x n: exp(A_ab - max_b A_ab) */
	int     linear;       /* whether no E_ab underflows (see chain_of) */
};

struct mf_point {
	int     n;            /* tokens with positive share */
	int    *tokens;       /* their ids, ascending */
	double *f;            /* their shares */
	double *c;            /* rates c_j of the absent support tokens, in the
	                       * order of the support (NaN for present ones) */
	double  basin;        /* share of the random starts that end here */
};

struct mf_set {
	int     count;
	struct mf_point *a;   /* attractors, by size then tokens */
	int     starts;       /* random starts tried */
	int     unresolved;   /* starts whose limit was no attractor (unstable,
	                       * neutral, cycling, or not reached by the horizon) */
	int     cycling;      /* of those, how many cycled */
};

enum { MF_STABLE, MF_UNSTABLE, MF_UNCONVERGED, MF_CYCLING };
const char *mf_status_name(int status);   /* "stable", "unstable", ... */

/* support: n distinct token ids (any order); A is the K x K logits. */
void mf_problem_init(struct mf_problem *pb, const double *A, int K,
         const int *support, int n);
void mf_problem_free(struct mf_problem *pb);

/* pi(f): f and pi over the support (n shares). */
void mf_stationary(const struct mf_problem *pb, const double *f, double *pi);

/* All attractors found from the vertices and `starts` seeded random points. */
void mf_attractors(const struct mf_problem *pb, int starts, uint64_t seed,
         struct mf_set *s);
void mf_set_free(struct mf_set *s);

/* The limit of the flow from f0 (n shares over the support, summing to 1)
 * into *lim, and whether it is MF_STABLE, MF_UNSTABLE (or neutral),
 * MF_UNCONVERGED (not reached by the horizon) or MF_CYCLING (every fixed
 * point it came to let an absent token grow back in, again and again: a
 * heteroclinic cycle, which has no winner set; *lim is where it stopped). */
int  mf_limit(const struct mf_problem *pb, const double *f0, uint64_t seed,
         struct mf_point *lim);
/* Index of the attractor of s equal to p (same tokens, shares within 1e-5),
 * or -1. */
int  mf_find(const struct mf_set *s, const struct mf_point *p);
void mf_point_free(struct mf_point *p);

#endif
