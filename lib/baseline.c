#include "baseline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "stream.h"
#include "util.h"
#include "vocab.h"

void
unigram_fit(const struct corpus *c, int K, double alpha, double *u)
{
	double *n = xcalloc((size_t)K, sizeof *n), total = 0;

	for (long s = 0; s < c->nseq; s++) {
		const int *y = c->tok + c->seq[s].off + c->seq[s].L;

		for (int t = 0; t < c->seq[s].T; t++)
			n[y[t]]++;
		total += c->seq[s].T;
	}
	for (int j = 0; j < K; j++)
		u[j] = (n[j] + alpha) / (total + K * alpha);
	free(n);
}

/* The pairs seen, row by row: row i lists col[start[i] .. start[i + 1])
 * ascending with their counts n, ni[i] their sum. */
struct counts {
	long   *start;
	int    *col;
	double *n, *ni;
};

static int
by_id(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Step t of a sequence chooses x[L + t] after query x[L + t - 1]: bucket
 * the choices by query (a counting sort), sort each bucket, and merge
 * equal ones into counts.  O(steps log + K). */
static void
count_pairs(const struct corpus *c, int K, struct counts *b)
{
	long *fill = xcalloc((size_t)K + 1, sizeof *fill), m = 0;
	int *next;

	b->start = xcalloc((size_t)K + 1, sizeof *b->start);
	b->ni = xcalloc((size_t)K, sizeof *b->ni);
	for (long s = 0; s < c->nseq; s++) {
		const int *x = c->tok + c->seq[s].off;

		for (int t = c->seq[s].L; t < c->seq[s].L + c->seq[s].T; t++)
			fill[x[t - 1] + 1]++;
	}
	for (int i = 0; i < K; i++)
		fill[i + 1] += fill[i];
	next = xmalloc(((size_t)fill[K] + 1) * sizeof *next);
	for (long s = 0; s < c->nseq; s++) {
		const int *x = c->tok + c->seq[s].off;

		for (int t = c->seq[s].L; t < c->seq[s].L + c->seq[s].T; t++)
			next[fill[x[t - 1]]++] = x[t];
	}
	/* fill[i] is now the end of bucket i, the start of bucket i + 1 */
	b->col = xmalloc(((size_t)fill[K > 0 ? K - 1 : 0] + 1) * sizeof *b->col);
	b->n = xmalloc(((size_t)fill[K > 0 ? K - 1 : 0] + 1) * sizeof *b->n);
	for (int i = 0; i < K; i++) {
		long lo = i ? fill[i - 1] : 0, hi = fill[i];

		qsort(next + lo, (size_t)(hi - lo), sizeof *next, by_id);
		b->start[i] = m;
		for (long k = lo; k < hi; k++) {
			if (k == lo || next[k] != next[k - 1]) {
				b->col[m] = next[k];
				b->n[m++] = 0;
			}
			b->n[m - 1]++;
		}
		b->ni[i] = (double)(hi - lo);
	}
	b->start[K] = m;
	free(next);
	free(fill);
}

static void
counts_free(struct counts *b)
{
	free(b->start);
	free(b->col);
	free(b->n);
	free(b->ni);
}

/* (n + alpha) / (ni + K alpha), the add-alpha bigram. */
static double
addk(double n, double ni, int K, double alpha)
{
	return (n + alpha) / (ni + K * alpha);
}

void
bigram_fit(const struct corpus *c, int K, double alpha, double *P)
{
	struct counts b;

	count_pairs(c, K, &b);
	for (int i = 0; i < K; i++) {
		double *row = P + (size_t)i * K;

		for (int j = 0; j < K; j++)
			row[j] = addk(0, b.ni[i], K, alpha);
		for (long e = b.start[i]; e < b.start[i + 1]; e++)
			row[b.col[e]] = addk(b.n[e], b.ni[i], K, alpha);
	}
	counts_free(&b);
}

/* n1 / (n1 + 2 n2), or 0.5 where that leaves unseen events nothing. */
static double
discount(long n1, long n2)
{
	return n1 > 0 ? (double)n1 / (double)(n1 + 2 * n2) : 0.5;
}

/* The discounts and the continuation unigram c (K) of the counts. */
static void
kn_unigram(const struct counts *b, int K, struct kn_discounts *d, double *cont)
{
	double pairs = (double)b->start[K], types = 0;

	memset(d, 0, sizeof *d);
	memset(cont, 0, (size_t)K * sizeof *cont);
	for (long e = 0; e < b->start[K]; e++) {
		cont[b->col[e]]++;
		d->n1 += b->n[e] == 1;
		d->n2 += b->n[e] == 2;
	}
	for (int j = 0; j < K; j++) {
		types += cont[j] > 0;
		d->n1_cont += cont[j] == 1;
		d->n2_cont += cont[j] == 2;
	}
	d->D = discount(d->n1, d->n2);
	d->D1 = discount(d->n1_cont, d->n2_cont);
	/* uniform where nothing was counted */
	for (int j = 0; j < K; j++)
		cont[j] = pairs > 0 ? (fmax(cont[j] - d->D1, 0) + d->D1 * types /
		    K) / pairs : 1.0 / K;
}

/* P_ij of Kneser-Ney from n_ij, n_i, N1+(i.) and c_j. */
static double
kn(double n, double ni, double follow, double D, double cj)
{
	return ni > 0 ? (fmax(n - D, 0) + D * follow * cj) / ni : cj;
}

void
bigram_kn_fit(const struct corpus *c, int K, double *P,
    struct kn_discounts *d)
{
	struct counts b;
	double *cont = xmalloc((size_t)K * sizeof *cont);

	count_pairs(c, K, &b);
	kn_unigram(&b, K, d, cont);
	for (int i = 0; i < K; i++) {
		double *row = P + (size_t)i * K;
		double follow = (double)(b.start[i + 1] - b.start[i]);

		for (int j = 0; j < K; j++)
			row[j] = kn(0, b.ni[i], follow, d->D, cont[j]);
		for (long e = b.start[i]; e < b.start[i + 1]; e++)
			row[b.col[e]] = kn(b.n[e], b.ni[i], follow, d->D,
			    cont[b.col[e]]);
	}
	counts_free(&b);
	free(cont);
}

/* The chain's rows take the counts' layout. */
static void
chain_init(struct chain *ch, int K, struct counts *b)
{
	ch->K = K;
	ch->start = b->start;
	ch->col = b->col;
	ch->logp = b->n;           /* overwritten in place */
	ch->def = xmalloc((size_t)K * sizeof *ch->def);
	ch->bg = NULL;
	b->start = NULL;
	b->col = NULL;
	b->n = NULL;
}

void
chain_addk(const struct corpus *c, int K, double alpha, struct chain *ch)
{
	struct counts b;

	count_pairs(c, K, &b);
	chain_init(ch, K, &b);
	for (int i = 0; i < K; i++) {
		for (long e = ch->start[i]; e < ch->start[i + 1]; e++)
			ch->logp[e] = log(addk(ch->logp[e], b.ni[i], K, alpha));
		/* the MLE gives unseen pairs, and a query never seen, nothing */
		ch->def[i] = alpha > 0 ? log(addk(0, b.ni[i], K, alpha)) : NAN;
	}
	counts_free(&b);
}

void
chain_kn(const struct corpus *c, int K, struct chain *ch,
    struct kn_discounts *d)
{
	struct counts b;
	double *cont = xmalloc((size_t)K * sizeof *cont);

	count_pairs(c, K, &b);
	kn_unigram(&b, K, d, cont);
	chain_init(ch, K, &b);
	for (int i = 0; i < K; i++) {
		double follow = (double)(ch->start[i + 1] - ch->start[i]);

		for (long e = ch->start[i]; e < ch->start[i + 1]; e++)
			ch->logp[e] = log(kn(ch->logp[e], b.ni[i], follow, d->D,
			    cont[ch->col[e]]));
		/* unlisted: D N1+(i.) / n_i c_j, or c_j for a query never seen */
		ch->def[i] = b.ni[i] > 0 ? log(d->D * follow / b.ni[i]) : 0;
	}
	for (int j = 0; j < K; j++)
		cont[j] = log(cont[j]);
	ch->bg = cont;
	counts_free(&b);
}

void
chain_free(struct chain *ch)
{
	free(ch->start);
	free(ch->col);
	free(ch->logp);
	free(ch->def);
	free(ch->bg);
	memset(ch, 0, sizeof *ch);
}

double
chain_prob(const struct chain *ch, int i, int j)
{
	long lo = ch->start[i], hi = ch->start[i + 1];

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;

		if (ch->col[mid] < j)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ch->start[i + 1] && ch->col[lo] == j)
		return exp(ch->logp[lo]);
	if (isnan(ch->def[i]))
		return 0;
	return exp(ch->def[i] + (ch->bg ? ch->bg[j] : 0));
}

void
chain_score(const struct chain *ch, const struct corpus *cp, double *p)
{
	long k = 0;

	for (long s = 0; s < cp->nseq; s++) {
		const int *x = cp->tok + cp->seq[s].off;

		for (int t = cp->seq[s].L; t < cp->seq[s].L + cp->seq[s].T; t++)
			p[k++] = chain_prob(ch, x[t - 1], x[t]);
	}
}

void
chain_write(const struct chain *ch, const struct vocab *v, json_t *header)
{
	json_t *h = jpack("{s:s,s:s,s:i,s:n}", "type", "ccmc", "form", "sparse",
	    "K", ch->K, "default"), *words = json_array(), *x;
	const char *key;

	jset(h, "background", ch->bg ? json_array() : json_null());
	for (int j = 0; ch->bg && j < ch->K; j++)
		json_array_append_new(json_object_get(h, "background"),
		    jreal(ch->bg[j]));
	jset(h, "posw", json_null());
	for (int j = 0; v && j < v->n; j++)
		json_array_append_new(words, jstr(v->word[j]));
	jset(h, "vocab", v ? words : json_null());
	if (!v)
		json_decref(words);
	json_object_foreach(header, key, x)
		jset(h, key, json_incref(x));
	out_json(h);
	out_end();
	json_decref(h);
	for (int i = 0; i < ch->K; i++) {
		long lo = ch->start[i], n = ch->start[i + 1] - lo;

		out_str("{\"type\":\"ccmc-row\",\"i\":");
		out_long(i);
		out_str(",\"cols\":[");
		for (long e = 0; e < n; e++) {
			if (e)
				out_char(',');
			out_long(ch->col[lo + e]);
		}
		out_str("],\"A\":");
		out_doubles(ch->logp + lo, (int)n);
		out_str(",\"default\":");
		out_double_or_null(ch->def[i]);
		out_char('}');
		out_end();
	}
}

/* The word of id j: v's, or the id in decimal. */
static const char *
word_of(const struct vocab *v, int j, char *buf, size_t len)
{
	if (v)
		return v->word[j];
	snprintf(buf, len, "%d", j);
	return buf;
}

/* log10 of a natural log, %.17g: round-trip. */
static void
put_log10(FILE *f, double ln)
{
	fprintf(f, "%.17g", ln / M_LN10);
}

const char *
arpa_unfit_word(const struct vocab *v, int *j)
{
	for (*j = 0; v && *j < v->n; (*j)++) {
		const char *w = v->word[*j];

		if (!*w)
			return "is empty, which no ARPA word is";
		if (strpbrk(w, " \t\n\r\f\v"))
			return "holds white space, which separates ARPA's words";
#define MARKER ", which a reader would take it for (the chain knows no " \
	"sentences): respell it (on text, --punct split parts '<' and '>' " \
	"from words)"
		if (strcmp(w, "<s>") == 0)
			return "is <s>, ARPA's start of a sentence" MARKER;
		if (strcmp(w, "</s>") == 0)
			return "is </s>, ARPA's end of a sentence" MARKER;
#undef MARKER
	}
	return NULL;
}

int
chain_write_arpa(const struct chain *ch, const struct vocab *v, FILE *f)
{
	int K = ch->K, bad;
	char a[16], b[16];

	if (arpa_unfit_word(v, &bad)) {
		errno = EINVAL;
		return -1;
	}
	fprintf(f, "\\data\\\nngram 1=%d\nngram 2=%ld\n\n\\1-grams:\n",
	    K + 2, ch->start[K]);
	/* never predicted: the first word of a sequence is its prompt, and
	 * sequences have no end; P(j | <s>) = bg_j */
	fprintf(f, "-99\t<s>\t0\n");
	fprintf(f, "-99\t</s>\n");
	for (int j = 0; j < K; j++) {
		put_log10(f, ch->bg[j]);
		fprintf(f, "\t%s\t", word_of(v, j, a, sizeof a));
		put_log10(f, ch->def[j]);
		fputc('\n', f);
	}
	fprintf(f, "\n\\2-grams:\n");
	for (int i = 0; i < K; i++)
		for (long e = ch->start[i]; e < ch->start[i + 1]; e++) {
			put_log10(f, ch->logp[e]);
			fprintf(f, "\t%s %s\n", word_of(v, i, a, sizeof a),
			    word_of(v, ch->col[e], b, sizeof b));
		}
	fprintf(f, "\n\\end\\\n");
	return ferror(f) ? -1 : 0;
}
