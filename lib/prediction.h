/*
 * prediction: what the mean field (meanfield.h) says about one trajectory,
 * from its prompt alone, and whether the winner sets observed (trajstats.h)
 * agree (attn-ccmc(7), the mean field).
 *
 * The attractors depend on the prompt only through its token set, which
 * many trajectories share, so a predictor keeps those of every set seen
 * since its chain was set.  Besides the attractors found from the seeded
 * starts, the flow is followed from the prompt's own frequencies; a stable
 * limit the starts missed counts as an attractor too ("extra").
 */
#ifndef PREDICTION_H
#define PREDICTION_H

#include <stdint.h>

#include "ccmc.h"
#include "meanfield.h"
#include "trajstats.h"

struct predictor {
	int    have;           /* whether chain is set */
	struct ccmc chain;
	int    starts;         /* for mf_attractors */
	double horizon;
	uint64_t seed;
	int    ncache;         /* token sets seen, with their attractors */
	struct mf_problem *pb;
	struct mf_set *set;
};

struct verdict {               /* an observed winner set against the mean field */
	int judged;            /* the rule was defined */
	int in_attractors;     /* it is one of the attractors */
	int from_prompt;       /* it is the stable limit from the prompt */
};

/* The classes of a decided trajectory (trajstats.h) against a predicted
 * winner set: consistent when it holds every decided winner and no
 * decided loser, exact when moreover every token in it is a decided
 * winner and every token out of it a decided loser. */
struct agreement {
	int consistent, exact;
};

struct prediction {
	const struct mf_problem *pb;    /* the prompt's token set */
	const struct mf_set *set;       /* its attractors */
	struct mf_point lim;            /* limit from the prompt's frequencies */
	int    status;                  /* of lim: MF_STABLE, ... */
	int    extra;                   /* lim is stable and the starts missed it */
	struct verdict rule[TS_NRULES];
	int    decided;                 /* the trajectory's collapsed is not null */
	struct agreement attractors;    /* with one of the attractors */
	struct agreement from_prompt;   /* with the stable limit from the prompt */
};

void predictor_init(struct predictor *pr, int starts, double horizon,
         uint64_t seed);
/* Predict from *chain from now on; the predictor takes it over. */
void predictor_set_chain(struct predictor *pr, struct ccmc *chain);
void predictor_free(struct predictor *pr);

/* The prediction for the trajectory r whose prompt is the L tokens of
 * prompt; 0 (and *p untouched) when there is no chain or no prompt to
 * predict from.  *p points into pr: it holds until the chain changes. */
int  predict(struct predictor *pr, const int *prompt, long L,
         const struct ts_result *r, struct prediction *p);
void prediction_free(struct prediction *p);

#endif
