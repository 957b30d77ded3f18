#include "evalrecord.h"

#include <math.h>
#include <stdlib.h>

#include "corpus.h"
#include "fitrecord.h"
#include "stream.h"
#include "util.h"
#include "vocab.h"

void
evalrecord_write(const struct dataset *d, const struct scored_model *s)
{
	struct score_sum sum;
	long n = d->corpus.steps, unk = 0;
	double *p = xmalloc(2 * (size_t)n * sizeof *p), *u = p + n;
	json_t *rep;

	score_steps(&d->corpus, &s->m, s->markov, s->window, s->unigram, p,
	    s->unigram ? u : NULL);
	score_sum(p, s->unigram ? u : NULL, n, s->mix >= 0 ? s->mix : 0, &sum);
	if (d->words && d->words->unk >= 0)
		unk = corpus_steps_choosing(&d->corpus, d->words->unk);

	rep = jpack("{s:s,s:s,s:i,s:o,s:I,s:I,s:o,s:I,s:f}", "type", "eval",
	    "model", s->markov ? "markov" : "ccmc", "K", s->m.K, "window",
	    s->window ? jint(s->window) : json_null(), "steps",
	    (json_int_t)n, "covered", (json_int_t)sum.covered, "coverage",
	    n ? jreal((double)sum.covered / (double)n) : json_null(),
	    "unk_steps", (json_int_t)unk, "loglik", sum.loglik);
	per_step(rep, "cross_entropy", "perplexity", sum.loglik, sum.covered);
	jset(rep, "mix", s->mix >= 0 ? jreal(s->mix) : json_null());
	jset(rep, "mix_from", s->mix_from ? jstr(s->mix_from) : json_null());
	if (s->mix >= 0) {
		jset(rep, "full_loglik", isfinite(sum.mixed_loglik) ?
		    jreal(sum.mixed_loglik) : json_null());
		per_step(rep, "full_cross_entropy", "full_perplexity",
		    sum.mixed_loglik, n);
	}
	if (s->unigram)
		per_step(rep, "unigram_cross_entropy", "unigram_perplexity",
		    sum.unigram_loglik, n);
	dataset_text_report(d, rep);
	jset(rep, "units", jstr("nats per step; perplexity = "
	    "exp(cross_entropy)"));
	out_json(rep);
	out_end();
	json_decref(rep);
	free(p);
}
