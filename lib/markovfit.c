#include "markovfit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "ccmc.h"
#include "fitrecord.h"
#include "stream.h"
#include "util.h"

/* What a chain's meta says: how it was counted. */
static json_t *
markov_meta(const struct dataset *d, const struct markov_settings *s,
    const struct kn_discounts *kn, int sparse)
{
	json_t *m = jpack("{s:s,s:s,s:s}", "gauge", sparse ? "log-probability" :
	    CCMC_GAUGE, "chain", "markov", "note", "an ordinary Markov chain: "
	    "the next token is drawn from row P_i of the last token i, with no "
	    "context weighting"), *made;

	if (s->kn) {
		jset(m, "smoothing", jstr("interpolated Kneser-Ney"));
		jset(m, "discount", jreal(kn->D));
		jset(m, "discount_unigram", jreal(kn->D1));
		jset(m, "n1", jint(kn->n1));
		jset(m, "n2", jint(kn->n2));
	} else {
		jset(m, "smoothing", jstr(s->laplace > 0 ? "add-A (Laplace)" :
		    "none (maximum likelihood)"));
		jset(m, "laplace", jreal(s->laplace));
	}
	jset(m, "unigram_laplace", jreal(s->unigram_laplace));
	if ((made = dataset_text_meta(d)))
		jset(m, "text", made);
	return m;
}

/* The dense record of the chain, P from the counts (K x K). */
static void
write_dense_chain(const struct dataset *d, const struct markov_settings *s,
    json_t *extra, json_t *meta)
{
	int K = d->K;
	struct ccmc m;
	struct kn_discounts kn;
	double *P = xmalloc(2 * (size_t)K * K * sizeof *P), *A = P + (size_t)K * K;

	if (s->kn)
		bigram_kn_fit(&d->corpus, K, P, &kn);
	else
		bigram_fit(&d->corpus, K, s->laplace, P);
	for (size_t e = 0; e < (size_t)K * K; e++)
		A[e] = log(P[e]);
	memset(&m, 0, sizeof m);
	m.K = K;
	ccmc_set_logits(&m, A);
	memcpy(m.P, P, (size_t)K * K * sizeof *P);   /* the counts' own ratios */
	m.vocab = d->kind == 2 ? d->words : NULL;
	m.meta = meta;
	ccmc_write(&m, extra);
	m.vocab = NULL;
	m.meta = NULL;
	ccmc_free(&m);
	free(P);
}

/* --arpa FILE: the chain in the ARPA format of SRILM and KenLM; a word
 * it cannot hold is refused before the file is made. */
static void
write_arpa(const char *path, const struct chain *ch, const struct dataset *d)
{
	const struct vocab *v = d->kind == 2 ? d->words : NULL;
	const char *why;
	FILE *f;
	int j;

	if ((why = arpa_unfit_word(v, &j)))
		input_fail(&d->end, "--arpa %s: vocabulary word %d %s", path, j,
		    why);
	if (!(f = fopen(path, "w")))
		die(EXIT_FAIL, "%s: %s", path, strerror(errno));
	if (chain_write_arpa(ch, v, f) != 0 || fclose(f) != 0)
		die(EXIT_FAIL, "%s: %s", path, strerror(errno));
}

void
markovfit_write(const struct dataset *d, const struct markov_settings *s)
{
	int K = d->K, sparse = (!s->kn && s->laplace == 0) ||   /* the MLE */
	    fit_form(s->form, K, &d->end) == FIT_SPARSE;
	struct chain ch;
	struct kn_discounts kn;
	double *u = xmalloc((size_t)K * sizeof *u);
	json_t *extra, *meta;

	if (s->kn)
		chain_kn(&d->corpus, K, &ch, &kn);
	else
		chain_addk(&d->corpus, K, s->laplace, &ch);
	unigram_fit(&d->corpus, K, s->unigram_laplace, u);
	meta = markov_meta(d, s, &kn, sparse);
	extra = jpack("{s:{s:I,s:I,s:s},s:o}", "fit", "steps",
	    (json_int_t)d->corpus.steps, "sequences", (json_int_t)d->corpus.nseq,
	    "K_from", d->ksource, "unigram", vector_json(u, K));
	if (d->dev.steps) {
		double *p = xmalloc((size_t)d->dev.steps * sizeof *p);

		chain_score(&ch, &d->dev, p);
		json_object_set_new(json_object_get(extra, "fit"), "dev",
		    dev_json(d, p, NULL, 0));
		free(p);
	}
	if (s->arpa)
		write_arpa(s->arpa, &ch, d);
	if (sparse) {
		jset(extra, "meta", meta);
		chain_write(&ch, d->kind == 2 ? d->words : NULL, extra);
	} else {
		write_dense_chain(d, s, extra, meta);
		json_decref(meta);
	}
	json_decref(extra);
	chain_free(&ch);
	free(u);
}
