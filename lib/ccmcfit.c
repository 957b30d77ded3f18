#include "ccmcfit.h"

#include <stdlib.h>

#include "estimate.h"
#include "shard.h"
#include "stream.h"
#include "util.h"

static void
cost_check(const struct dataset *d, double max_cost)
{
	double cost = est_fit_cost(d->set, d->K, d->o.shard, d->o.shards);

	if (cost > max_cost)
		input_fail(&d->end, "a fit without --window over these contexts "
		    "would cost about %.2g context-token x row-token products, "
		    "more than --max-cost %.3g (1e12: a quarter of an hour of CPU "
		    "per Newton step at worst): "
		    "--window L keeps the last L tokens of each context (e.g. 128), "
		    "--chunk N cuts text into pieces, --force fits anyway", cost,
		    max_cost);
}

void
ccmcfit_write(const struct dataset *d, const struct ccmcfit_options *o)
{
	struct fit_settings s = o->fit;
	int K = d->K, text = d->kind == 2, shard = d->o.shard,
	    shards = d->o.shards;
	struct fitted f = { .K = K, .samples = d->set->n, .skipped = d->skipped,
	    .weighted = d->set->weighted, .ksource = d->ksource,
	    .truth = d->have_truth ? &d->truth : NULL };

	if (text && shards)
		input_fail(&d->end, "--rows with string tokens: a record on text "
		    "is completed by a background fitted on all rows at once; "
		    "fit it in one run");
	if (text && !o->l2_given)
		s.est.l2 = 1;
	s.stderr = !s.brief && (!text || o->stderr_given || s.bootstrap);
	if (text && s.est.l2 == 0)
		die(EXIT_USAGE, "--l2 0 with string tokens: the plain MLE leaves "
		    "the logits of unseen words undetermined, and the record must "
		    "be complete to be sampled or scored; give --l2 LAMBDA > 0");
	s.form = fit_form(s.form, K, &d->end);
	if (!d->o.window && !o->force)
		cost_check(d, o->max_cost);
	f.row = xcalloc((size_t)K, sizeof *f.row);
	est_fit_rows(d->set, K, &s.est, s.stderr, s.stderr ? s.bootstrap : 0,
	    s.seed, shard, shards, o->progress, f.row);
	if (shards)
		shard_write(&f, d, &s, shard, shards);
	else
		fitrecord_write(&f, &s, d);
	fitted_free(&f);
}
