#include "prediction.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static int
same_set(const int *a, int na, const int *b, int nb)
{
	return na == nb && memcmp(a, b, (size_t)na * sizeof *a) == 0;
}

void
predictor_init(struct predictor *pr, int starts, double horizon,
    uint64_t seed)
{
	memset(pr, 0, sizeof *pr);
	pr->starts = starts;
	pr->horizon = horizon;
	pr->seed = seed;
}

static void
forget(struct predictor *pr)
{
	for (int i = 0; i < pr->ncache; i++) {
		mf_problem_free(&pr->pb[i]);
		mf_set_free(&pr->set[i]);
	}
	free(pr->pb);
	free(pr->set);
	pr->pb = NULL;
	pr->set = NULL;
	pr->ncache = 0;
	if (pr->have)
		ccmc_free(&pr->chain);
	pr->have = 0;
}

void
predictor_set_chain(struct predictor *pr, struct ccmc *chain)
{
	forget(pr);
	pr->chain = *chain;
	pr->have = 1;
}

void
predictor_free(struct predictor *pr)
{
	forget(pr);
}

/* The index in the cache of the prompt's token set, computed if new. */
static int
attractors_of(struct predictor *pr, const int *prompt, long L)
{
	int *support = xmalloc((size_t)L * sizeof *support), n = 0;
	int i;

	memcpy(support, prompt, (size_t)L * sizeof *support);
	qsort(support, (size_t)L, sizeof *support, cmp_int);
	for (long k = 0; k < L; k++)
		if (n == 0 || support[k] != support[n - 1])
			support[n++] = support[k];
	for (i = 0; i < pr->ncache; i++)
		if (same_set(pr->pb[i].tokens, pr->pb[i].n, support, n))
			break;
	if (i == pr->ncache) {
		pr->pb = xrealloc(pr->pb, (size_t)(i + 1) * sizeof *pr->pb);
		pr->set = xrealloc(pr->set, (size_t)(i + 1) * sizeof *pr->set);
		mf_problem_init(&pr->pb[i], pr->chain.A, pr->chain.K, support, n);
		pr->pb[i].horizon = pr->horizon;
		mf_attractors(&pr->pb[i], pr->starts, pr->seed, &pr->set[i]);
		pr->ncache++;
	}
	free(support);
	return i;
}

/* Whether the classes of r agree with the winner set w (n tokens,
 * ascending). */
static struct agreement
agree(const struct ts_result *r, const int *w, int n)
{
	struct agreement a = { 1, 1 };

	for (int k = 0; k < r->nsym; k++) {
		int in = bsearch(&r->sym[k], w, (size_t)n, sizeof *w, cmp_int) != NULL;

		if ((r->cls[k] == TS_WINNER && !in) || (r->cls[k] == TS_LOSER && in))
			a.consistent = 0;
		if (r->cls[k] != (in ? TS_WINNER : TS_LOSER))
			a.exact = 0;
	}
	a.exact &= a.consistent;
	return a;
}

int
predict(struct predictor *pr, const int *prompt, long L,
    const struct ts_result *r, struct prediction *p)
{
	int *obs, nobs, i;
	double *f0;

	if (!pr->have || L == 0)
		return 0;
	i = attractors_of(pr, prompt, L);
	memset(p, 0, sizeof *p);
	p->pb = &pr->pb[i];
	p->set = &pr->set[i];
	f0 = xcalloc((size_t)p->pb->n, sizeof *f0);
	for (long k = 0; k < L; k++) {
		int *at = bsearch(&prompt[k], p->pb->tokens, (size_t)p->pb->n,
		    sizeof *p->pb->tokens, cmp_int);

		f0[at - p->pb->tokens] += 1.0 / (double)L;
	}
	p->status = mf_limit(p->pb, f0, pr->seed, &p->lim);
	p->extra = p->status == MF_STABLE && mf_find(p->set, &p->lim) < 0;
	obs = xmalloc((size_t)(r->nsym ? r->nsym : 1) * sizeof *obs);
	for (int k = 0; k < TS_NRULES; k++) {
		const int *mask = ts_winner_mask(r, k);
		struct verdict *v = &p->rule[k];

		if (!mask)
			continue;
		nobs = ts_tokens_of(r, mask, obs);
		v->judged = 1;
		for (int a = 0; a < p->set->count; a++)
			v->in_attractors |= same_set(obs, nobs, p->set->a[a].tokens,
			    p->set->a[a].n);
		v->from_prompt = p->status == MF_STABLE &&
		    same_set(obs, nobs, p->lim.tokens, p->lim.n);
		v->in_attractors |= p->extra && v->from_prompt;
	}
	if ((p->decided = r->collapsed >= 0)) {
		for (int a = 0; a < p->set->count; a++) {
			struct agreement g = agree(r, p->set->a[a].tokens,
			    p->set->a[a].n);

			p->attractors.consistent |= g.consistent;
			p->attractors.exact |= g.exact;
		}
		if (p->status == MF_STABLE) {
			p->from_prompt = agree(r, p->lim.tokens, p->lim.n);
			if (p->extra) {
				p->attractors.consistent |= p->from_prompt.consistent;
				p->attractors.exact |= p->from_prompt.exact;
			}
		}
	}
	free(obs);
	free(f0);
	return 1;
}

void
prediction_free(struct prediction *p)
{
	mf_point_free(&p->lim);
}
