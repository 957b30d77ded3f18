#include "shard.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "util.h"

static const char *const method_name[] = { "auto", "newton", "cg" };
static const char *const form_name[] = { "auto", "dense", "sparse" };

/* Every field of a fitted row, as an array over the shard's rows. */
enum { R_SAMPLES, R_NCOMP, R_DET, R_MLE, R_TIED, R_LOGLIK, R_OBJ, R_GNORM,
	R_ITERS, R_CONV, R_CG, R_WHY, R_TOK, R_COMP, R_ZERO, R_A, R_P, R_COND,
	R_SE, R_MAP, R_LO, R_HI, R_NKEYS };
static const char *const row_key[R_NKEYS] = { "samples", "ncomp",
	"determined", "mle_exists", "tied", "loglik", "objective", "grad_norm",
	"iterations", "converged", "cg", "why", "tokens", "components", "zero",
	"A", "P", "conditional", "stderr", "map", "bootstrap_lo",
	"bootstrap_hi" };

/* Counts are whole numbers up to 2^53, exact as doubles; a row holds at
 * most 2^32 - 1 samples (sampleset.h: 32-bit offsets). */
#define MAX_COUNT 9007199254740992.0
#define MAX_ROW_SAMPLES 4294967295.0

/* ---- the record of a shard ---- */

/* The options that shape the record: a merge takes them from the shards,
 * and refuses shards fitted with different ones. */
static json_t *
options_json(const struct fit_settings *o)
{
	return jpack("{s:o,s:o,s:f,s:f,s:i,s:s,s:b,s:i,s:o,s:s,s:s}",
	    "vocab", o->vocab ? jint(o->vocab) : json_null(),
	    "window", o->window ? jint(o->window) : json_null(),
	    "l2", o->est.l2, "tol", o->est.tol, "max_iter", o->est.max_iter,
	    "method", method_name[o->est.method], "brief", o->brief,
	    "bootstrap", o->bootstrap, "seed", jseed(o->seed),
	    "version", TOOLKIT_VERSION, "form", form_name[o->form]);
}

static json_t *
ints_json(const int *v, int n)
{
	json_t *a = json_array();

	for (int k = 0; k < n; k++)
		jappend(a, jint(v[k]));
	return a;
}

/* Every field of the shard's rows (NaN as null); their log-likelihoods
 * summed into loglik, and whether all converged. */
static json_t *
row_fits_json(const struct fitted *f, int shard, int N, int boot,
    double *loglik, int *converged)
{
	json_t *v[R_NKEYS], *rf = json_object();
	int K = f->K, nkeys = boot ? R_NKEYS : R_LO;

	for (int k = 0; k < nkeys; k++)
		v[k] = json_array();
	for (int i = shard; i < K; i += N) {
		const struct est_row *r = &f->row[i];

		jappend(v[R_SAMPLES], jreal(r->n));
		jappend(v[R_NCOMP], jint(r->ncomp));
		jappend(v[R_DET], json_boolean(r->determined));
		jappend(v[R_MLE], json_boolean(r->mle_exists));
		jappend(v[R_TIED], json_boolean(r->tied));
		jappend(v[R_LOGLIK], number_or_null(r->loglik));
		jappend(v[R_OBJ], number_or_null(r->objective));
		jappend(v[R_GNORM], number_or_null(r->gnorm));
		jappend(v[R_ITERS], jint(r->iters));
		jappend(v[R_CONV], json_boolean(r->converged));
		jappend(v[R_CG], json_boolean(r->cg));
		jappend(v[R_WHY], r->why ? jstr(r->why) : json_null());
		jappend(v[R_TOK], ints_json(r->tok, r->m));
		jappend(v[R_COMP], ints_json(r->comp, r->m));
		jappend(v[R_ZERO], ints_json(r->zero, r->m));
		jappend(v[R_A], vector_or_null_json(r->A, r->m));
		jappend(v[R_P], vector_or_null_json(r->P, r->m));
		jappend(v[R_COND], vector_or_null_json(r->cond, r->m));
		jappend(v[R_SE], vector_or_null_json(r->se, r->m));
		jappend(v[R_MAP], vector_or_null_json(r->map, r->m));
		if (boot) {
			jappend(v[R_LO], vector_or_null_json(r->lo, r->m));
			jappend(v[R_HI], vector_or_null_json(r->hi, r->m));
		}
		*loglik += r->loglik;
		*converged &= r->converged;
	}
	for (int k = 0; k < nkeys; k++)
		jset(rf, row_key[k], v[k]);
	return rf;
}

/* The ground truth, once per fit (in shard 1): its position weights alone
 * may be 4096 x 4096.  Written as a ccmc record writes them. */
static void
truth_write(const struct ccmc *t)
{
	out_str(",\"truth\":{\"A\":");
	out_matrix(t->A, t->K, t->K);
	out_str(",\"P\":");
	out_matrix(t->P, t->K, t->K);
	out_str(",\"posw\":");
	if (!t->lmax)
		out_str("null");
	for (int L = 1; L <= t->lmax; L++) {
		out_char(L == 1 ? '[' : ',');
		out_doubles(t->posw + (size_t)(L - 1) * t->lmax, L);
	}
	out_str(t->lmax ? "]}" : "}");
}

/* What a merge needs to rebuild the rows of the shard exactly: every field
 * of each fitted row, with the data's facts and, in shard 1, the truth. */
void
shard_write(const struct fitted *f, const struct dataset *d,
    const struct fit_settings *o, int shard, int N)
{
	double loglik = 0;
	int converged = 1, first = 1;
	json_t *rows = json_array(), *rf, *rec, *v;
	const char *key;

	for (int i = shard; i < f->K; i += N)
		jappend(rows, jint(i));
	rf = row_fits_json(f, shard, N, o->bootstrap > 0 && o->stderr, &loglik,
	    &converged);
	rec = jpack("{s:s,s:i,s:i,s:i,s:o,s:s,s:o,s:{s:I,s:b,s:s,s:b},"
	    "s:{s:I,s:o,s:b},s:o}", "type", "ccmc-shard", "shard", shard + 1,
	    "shards", N, "K", f->K, "rows", rows, "input", d->digest,
	    "options", options_json(o), "data", "skipped",
	    (json_int_t)f->skipped, "weighted", f->weighted, "K_from",
	    f->ksource, "truth", f->truth != NULL, "fit", "samples",
	    (json_int_t)f->samples, "loglik", number_or_null(loglik),
	    "converged", converged, "row_fits", rf);
	json_object_foreach(rec, key, v) {
		out_char(first ? '{' : ',');
		out_quoted(key);
		out_char(':');
		out_json(v);
		first = 0;
	}
	if (f->truth && shard == 0)
		truth_write(f->truth);
	out_char('}');
	out_end();
	json_decref(rec);
}

/* ---- reading a shard: every field as strictly as the fit wrote it ---- */

/* One shard's rows as read: each field an array over its nr rows; the
 * per-token ones hold row r's m[r] entries from off[r] on, one per token
 * of tok (ascending ids: the tokens of its samples). */
struct rows_read {
	int     nr;
	int    *m;
	size_t *off;
	double *tok;
	double *n, *ncomp, *loglik, *obj, *gnorm, *iters;
	int    *det, *mle, *tied, *conv, *cg;
	double *comp, *zero, *A, *P, *cond, *se, *map, *lo, *hi;
	json_t *why;
};

/* Per component of a row: what its tokens add up to. */
struct comp_acc {
	int    ntok, nnull, nA;
	double sumcond, sumA, summap, maxA, maxabs, z;
};

/* The shards' records being merged. */
struct merge {
	struct fitted f;
	struct fit_settings o;
	struct ccmc truth;      /* shard 1's, once read */
	int     has_truth;      /* the data have one */
	json_t *first;          /* the first record */
	json_t *rec;            /* the one being read */
	json_t *scratch;        /* a record built to check the truth */
	const char *first_file;
	long    first_line;
	const char **file;      /* per shard, where it was read (NULL: not yet) */
	long   *line;
	int     N;
	int     boot;           /* rows carry bootstrap intervals */
	int    *used;           /* scratch: K */
	struct comp_acc *acc;   /* scratch: K + 1 */
	/* what one shard's reading allocated, freed once it is in: an error
	 * exit finds it here and leaks nothing */
	void   *held[32];
	int     nheld;
};

static void *
hold(struct merge *m, void *p)
{
	if (m->nheld == (int)(sizeof m->held / sizeof m->held[0]))
		die(EXIT_FAIL, "internal error: too many arrays held");
	m->held[m->nheld++] = p;
	return p;
}

static void
release(struct merge *m)
{
	while (m->nheld)
		free(m->held[--m->nheld]);
}

static json_t *
object_at(const struct input *in, json_t *rec, const char *key)
{
	json_t *o = field_get(in, rec, key);

	if (!json_is_object(o))
		input_fail(in, "\"%s\" must be an object", key);
	return o;
}

static int
flag_at(const struct input *in, json_t *obj, const char *key)
{
	json_t *b = field_get(in, obj, key);

	if (!json_is_boolean(b))
		input_fail(in, "\"%s\" must be true or false", key);
	return json_is_true(b);
}

/* A number in [lo, hi] (a whole one if whole, then |lo|, |hi| <= 2^53),
 * or null (NaN) if nulls. */
static double
number_in(const struct input *in, json_t *x, const char *key, double lo,
    double hi, int whole, int nulls)
{
	double v;

	if (nulls && json_is_null(x))
		return NAN;
	/* integers compared as integers: 2^53 + 1 is not 2^53 */
	if (!json_is_number(x) || !((v = json_number_value(x)) >= lo && v <= hi)
	    || (whole && v != floor(v)) || (whole && json_is_integer(x) &&
	    (json_integer_value(x) < (json_int_t)lo ||
	    json_integer_value(x) > (json_int_t)hi)))
		input_fail(in, "\"%s\" must be %s in [%.17g, %.17g]%s", key,
		    whole ? "a whole number" : "a number", lo, hi, nulls ?
		    " or null" : "");
	return v;
}

static double
number_at(const struct input *in, json_t *obj, const char *key, double lo,
    double hi, int whole)
{
	return number_in(in, field_get(in, obj, key), key, lo, hi, whole, 0);
}

/* The array of n values under key. */
static json_t *
array_at(const struct input *in, json_t *obj, const char *key, int n)
{
	json_t *a = field_get(in, obj, key);

	if (!json_is_array(a) || json_array_size(a) != (size_t)n)
		input_fail(in, "\"%s\" must be an array of %d values", key, n);
	return a;
}

/* n numbers in [lo, hi] under key (whole ones if whole; null as NaN if
 * nulls). */
static double *
numbers(struct merge *m, const struct input *in, json_t *obj, const char *key,
    int n, double lo, double hi, int whole, int nulls)
{
	json_t *a = array_at(in, obj, key, n);
	double *v = hold(m, xmalloc(((size_t)n + 1) * sizeof *v));
	char name[64];

	for (int k = 0; k < n; k++) {
		snprintf(name, sizeof name, "%s[%d]", key, k);
		v[k] = number_in(in, json_array_get(a, (size_t)k), name, lo, hi,
		    whole, nulls);
	}
	return v;
}

/* n flags (true, false) under key. */
static int *
flags(struct merge *m, const struct input *in, json_t *obj, const char *key,
    int n)
{
	json_t *a = array_at(in, obj, key, n);
	int *v = hold(m, xmalloc(((size_t)n + 1) * sizeof *v));

	for (int k = 0; k < n; k++) {
		json_t *x = json_array_get(a, (size_t)k);

		if (!json_is_boolean(x))
			input_fail(in, "\"%s\"[%d] must be true or false", key, k);
		v[k] = json_is_true(x);
	}
	return v;
}

/* The seed as jseed writes it: an integer, or above 2^63 - 1 a string of
 * its digits. */
static uint64_t
seed_at(const struct input *in, json_t *oj)
{
	json_t *s = field_get(in, oj, "seed");
	const char *d = json_string_value(s);
	char *end;
	uint64_t v;

	if (json_is_integer(s) && json_integer_value(s) >= 0)
		return (uint64_t)json_integer_value(s);
	if (!d || !(*d >= '1' && *d <= '9') || strlen(d) > 20)
		input_fail(in, "\"seed\" must be an integer in [0, 2^64)");
	errno = 0;
	v = strtoull(d, &end, 10);
	if (*end || errno || v <= INT64_MAX)
		input_fail(in, "\"seed\" must be an integer in [0, 2^64)");
	return v;
}

/* The options of the shards, in the ranges the options take. */
static void
merge_options(struct merge *m, const struct input *in, json_t *oj)
{
	json_t *vocab = field_get(in, oj, "vocab"), *v;
	const char *method;

	m->o.vocab = json_is_null(vocab) ? 0 : (int)number_at(in, oj, "vocab",
	    1, MAX_SPARSE_VOCAB, 1);
	if (m->o.vocab && m->o.vocab != m->f.K)
		input_fail(in, "\"vocab\" is %d, but K = %d", m->o.vocab, m->f.K);
	m->o.window = json_is_null(field_get(in, oj, "window")) ? 0 :
	    (int)number_at(in, oj, "window", 1, MAX_PROMPT, 1);
	m->o.est.l2 = number_at(in, oj, "l2", 0, 1e12, 0);
	m->o.est.tol = number_at(in, oj, "tol", 1e-15, 1, 0);
	m->o.est.max_iter = (int)number_at(in, oj, "max_iter", 0, 1000000, 1);
	method = json_string_value(field_get(in, oj, "method"));
	for (m->o.est.method = 0; m->o.est.method < 3; m->o.est.method++)
		if (method && strcmp(method, method_name[m->o.est.method]) == 0)
			break;
	if (m->o.est.method == 3)
		input_fail(in, "\"method\" must be auto, newton or cg");
	method = json_string_value(field_get(in, oj, "form"));
	for (m->o.form = FIT_DENSE; m->o.form <= FIT_SPARSE; m->o.form++)
		if (method && strcmp(method, form_name[m->o.form]) == 0)
			break;
	if (m->o.form > FIT_SPARSE)
		input_fail(in, "\"form\" must be dense or sparse");
	if (m->o.form == FIT_DENSE && m->f.K > MAX_VOCAB)
		input_fail(in, "\"form\" dense, but K = %d is more than a dense "
		    "record holds, %d", m->f.K, MAX_VOCAB);
	m->o.brief = flag_at(in, oj, "brief");
	m->o.stderr = !m->o.brief;    /* shards are of integer tokens */
	m->o.bootstrap = (int)number_at(in, oj, "bootstrap", 0, 100000, 1);
	m->o.seed = seed_at(in, oj);
	v = field_get(in, oj, "version");
	if (!json_is_string(v) || strcmp(json_string_value(v),
	    TOOLKIT_VERSION) != 0)
		input_fail(in, "a shard of another version of the toolkit than "
		    "this one, %s", TOOLKIT_VERSION);
}

/* The facts of the data every shard read alike. */
static void
merge_data(struct merge *m, const struct input *in, json_t *dj)
{
	const char *from = json_string_value(field_get(in, dj, "K_from"));
	const char *want;

	m->f.skipped = (long)number_at(in, dj, "skipped", 0, MAX_COUNT, 1);
	m->f.weighted = flag_at(in, dj, "weighted");
	m->has_truth = flag_at(in, dj, "truth");
	want = m->has_truth ? "ground truth" : m->o.vocab ? "--vocab" :
	    "largest token + 1";
	if (!from || strcmp(from, want) != 0)
		input_fail(in, "\"K_from\" must be \"%s\"", want);
	m->f.ksource = want;
	if (m->f.weighted && !m->has_truth)
		input_fail(in, "\"weighted\" counts without a ground truth to "
		    "weight them");
}

/* The first record: what every other must agree with. */
static void
merge_start(struct merge *m, const struct input *in, json_t *rec, int N)
{
	const char *digest = json_string_value(field_get(in, rec, "input"));

	m->N = N;
	m->f.K = (int)number_at(in, rec, "K", 1, MAX_SPARSE_VOCAB, 1);
	if (!digest || strlen(digest) != 32 || strspn(digest,
	    "0123456789abcdef") != 32)
		input_fail(in, "\"input\" must be 32 hex digits");
	m->first = json_incref(rec);
	m->first_file = in->name;
	m->first_line = in->line;
	m->file = xcalloc((size_t)N, sizeof *m->file);
	m->line = xcalloc((size_t)N, sizeof *m->line);
	m->used = xcalloc((size_t)m->f.K, sizeof *m->used);
	m->acc = xcalloc((size_t)m->f.K + 1, sizeof *m->acc);
	m->f.row = xcalloc((size_t)m->f.K, sizeof *m->f.row);
	merge_options(m, in, object_at(in, rec, "options"));
	merge_data(m, in, object_at(in, rec, "data"));
	m->boot = m->o.bootstrap > 0 && m->o.stderr;
}

/* The ground truth of shard 1, checked as a ccmc record is; its logits and
 * chain as written, so that "error" is the single fit's to the bit. */
static void
merge_truth(struct merge *m, const struct input *in, json_t *rec, int I)
{
	json_t *t = json_object_get(rec, "truth");
	struct ccmc *c = &m->truth;
	int K = m->f.K;

	if (!m->has_truth || I != 0) {
		if (t)
			input_fail(in, "a \"truth\" where %s", m->has_truth ?
			    "only shard 1 carries it" : "the data have none");
		return;
	}
	if (!json_is_object(t))
		input_fail(in, "shard 1 of data with a ground truth must carry it "
		    "as an object \"truth\"");
	m->scratch = jpack("{s:s,s:i,s:O,s:O,s:O}", "type", "ccmc", "K", K,
	    "A", field_get(in, t, "A"), "P", field_get(in, t, "P"), "posw",
	    field_get(in, t, "posw"));
	ccmc_parse(in, m->scratch, c);
	json_decref(m->scratch);
	m->scratch = NULL;
	free(c->A);
	free(c->P);
	c->A = c->P = NULL;
	c->A = field_matrix(in, t, "A", K, K, 0);
	c->P = field_matrix(in, t, "P", K, K, 0);
	if (m->f.weighted != (c->lmax > 0))
		input_fail(in, "\"weighted\" is %s, but the truth %s position "
		    "weights", m->f.weighted ? "true" : "false", c->lmax ? "has" :
		    "has no");
	m->f.truth = c;
}

/* Equal JSON values, numbers by value (0 and 0.0 alike: a tool that
 * rewrites a record may print either). */
static int
same_json(json_t *a, json_t *b)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(a, key, v)
			if (!same_json(v, json_object_get(b, key)))
				return 0;
		return 1;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, v)
			if (!same_json(v, json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

/* A value as a refusal quotes it: numbers as the records print them. */
static void
quote_value(json_t *v, char *buf, size_t len)
{
	char num[32], *s = NULL;

	if (json_is_integer(v))
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
	else if (json_is_number(v))
		format_double(num, json_number_value(v));
	else if (v)
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, len, "%.60s", json_is_number(v) ? num : s ? s :
	    "missing");
	free(s);
}

/* Where object b first differs from a: the key and its values in each,
 * for a refusal that says what to fix. */
static void
first_difference(json_t *a, json_t *b, char *buf, size_t len)
{
	const char *key, *at = NULL;
	char x[64], y[64];
	json_t *v;

	json_object_foreach(a, key, v)
		if (!at && !same_json(v, json_object_get(b, key)))
			at = key;
	json_object_foreach(b, key, v)
		if (!at && !json_object_get(a, key))
			at = key;
	quote_value(json_object_get(b, at ? at : ""), y, sizeof y);
	quote_value(json_object_get(a, at ? at : ""), x, sizeof x);
	snprintf(buf, len, "\"%.40s\" is %s here, %s there", at ? at : "?", y,
	    x);
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
}

/* A record agrees with the first: the same input, options and data. */
static void
merge_agrees(const struct merge *m, const struct input *in, json_t *rec)
{
	static const char *const part[] = { "input", "options", "data" };
	static const char *const what[] = { "", "a shard fitted with other "
	    "options than", "a shard whose \"data\" differ from those of" };
	char why[256];

	for (int k = 0; k < 3; k++) {
		json_t *a = field_get(in, rec, part[k]);
		json_t *b = json_object_get(m->first, part[k]);

		if (same_json(a, b))
			continue;
		if (k == 0)
			input_fail(in, "a shard of another input than %s:%ld (its "
			    "\"input\" fingerprint differs)", m->first_file,
			    m->first_line);
		if (!json_is_object(a))
			input_fail(in, "\"%s\" must be an object", part[k]);
		first_difference(b, a, why, sizeof why);
		input_fail(in, "%s %s:%ld: %s", what[k],
		    m->first_file, m->first_line, why);
	}
}

/* The rows' tokens: per row an array of strictly ascending ids in
 * [0, K), into x->tok, with their counts m and offsets off. */
static void
ragged_tokens(struct merge *m, const struct input *in, json_t *rf,
    struct rows_read *x)
{
	json_t *a = array_at(in, rf, "tokens", x->nr);
	size_t total = 0;

	x->m = hold(m, xmalloc(((size_t)x->nr + 1) * sizeof *x->m));
	x->off = hold(m, xmalloc(((size_t)x->nr + 1) * sizeof *x->off));
	for (int r = 0; r < x->nr; r++) {
		json_t *t = json_array_get(a, (size_t)r);

		if (!json_is_array(t) || json_array_size(t) > (size_t)m->f.K)
			input_fail(in, "\"tokens\"[%d] must be an array of at most "
			    "K = %d ids", r, m->f.K);
		x->m[r] = (int)json_array_size(t);
		x->off[r] = total;
		total += (size_t)x->m[r];
	}
	x->off[x->nr] = total;
	x->tok = hold(m, xmalloc((total + 1) * sizeof *x->tok));
	for (int r = 0; r < x->nr; r++) {
		json_t *t = json_array_get(a, (size_t)r);

		for (int l = 0; l < x->m[r]; l++) {
			double v = number_in(in, json_array_get(t, (size_t)l),
			    "tokens", 0, m->f.K - 1, 1, 0);

			if (l && !(v > x->tok[x->off[r] + l - 1]))
				input_fail(in, "\"tokens\"[%d] must be ascending, each "
				    "once", r);
			x->tok[x->off[r] + l] = v;
		}
	}
}

/* A per-token field: per row an array of its m[r] numbers in [lo, hi]
 * (whole ones if whole, null as NaN if nulls), concatenated. */
static double *
ragged(struct merge *m, const struct input *in, json_t *rf, const char *key,
    const struct rows_read *x, double lo, double hi, int whole, int nulls)
{
	json_t *a = array_at(in, rf, key, x->nr);
	double *v = hold(m, xmalloc((x->off[x->nr] + 1) * sizeof *v));
	char name[64];

	for (int r = 0; r < x->nr; r++) {
		json_t *t = json_array_get(a, (size_t)r);

		if (!json_is_array(t) || json_array_size(t) != (size_t)x->m[r])
			input_fail(in, "\"%s\"[%d] must be an array of %d values, "
			    "one per token of the row", key, r, x->m[r]);
		snprintf(name, sizeof name, "%s[%d]", key, r);
		for (int l = 0; l < x->m[r]; l++)
			v[x->off[r] + l] = number_in(in, json_array_get(t, (size_t)l),
			    name, lo, hi, whole, nulls);
	}
	return v;
}

/* The fields of a shard's rows, each in the range the fit gives it; how
 * they hang together is checked row by row below. */
static void
rows_read(struct merge *m, const struct input *in, json_t *rf,
    struct rows_read *x)
{
	int nr = x->nr, K = m->f.K;

	x->n = numbers(m, in, rf, "samples", nr, 0, MAX_ROW_SAMPLES, 1, 0);
	x->ncomp = numbers(m, in, rf, "ncomp", nr, 0, K, 1, 0);
	x->det = flags(m, in, rf, "determined", nr);
	x->mle = flags(m, in, rf, "mle_exists", nr);
	x->tied = flags(m, in, rf, "tied", nr);
	x->conv = flags(m, in, rf, "converged", nr);
	x->cg = flags(m, in, rf, "cg", nr);
	x->loglik = numbers(m, in, rf, "loglik", nr, -DBL_MAX, 0, 0, 0);
	x->obj = numbers(m, in, rf, "objective", nr, -DBL_MAX, 0, 0, 0);
	x->gnorm = numbers(m, in, rf, "grad_norm", nr, 0, DBL_MAX, 0, 0);
	x->iters = numbers(m, in, rf, "iterations", nr, 0, m->o.est.max_iter,
	    1, 0);
	x->why = array_at(in, rf, "why", nr);
	ragged_tokens(m, in, rf, x);
	x->comp = ragged(m, in, rf, "components", x, -1, K - 1, 1, 0);
	x->zero = ragged(m, in, rf, "zero", x, 0, 1, 1, 0);
	x->A = ragged(m, in, rf, "A", x, -DBL_MAX, DBL_MAX, 0, 1);
	x->P = ragged(m, in, rf, "P", x, -DBL_MAX, DBL_MAX, 0, 1);
	x->cond = ragged(m, in, rf, "conditional", x, -DBL_MAX, DBL_MAX, 0, 1);
	x->se = ragged(m, in, rf, "stderr", x, -DBL_MAX, DBL_MAX, 0, 1);
	x->map = ragged(m, in, rf, "map", x, -DBL_MAX, DBL_MAX, 0, 1);
	x->lo = x->hi = NULL;
	if (m->boot) {
		x->lo = ragged(m, in, rf, "bootstrap_lo", x, -DBL_MAX, DBL_MAX, 0, 1);
		x->hi = ragged(m, in, rf, "bootstrap_hi", x, -DBL_MAX, DBL_MAX, 0, 1);
	} else if (json_object_get(rf, "bootstrap_lo") ||
	    json_object_get(rf, "bootstrap_hi"))
		input_fail(in, "bootstrap intervals, but the options ask for none");
}

/* Row r (query i): its counts, flags and numbers agree with each other and
 * with the options, as est_fit_row sets them.  Its reason for not
 * converging, if any: an index into est_reasons. */
static int
check_row_facts(struct merge *m, const struct input *in,
    const struct rows_read *x, int r, int i)
{
	const struct est_options *o = &m->o.est;
	int K = m->f.K, ncomp = (int)x->ncomp[r], mr = x->m[r], zeros = 0, k;
	int unseen = K - mr;
	const double *comp = x->comp + x->off[r], *zero = x->zero + x->off[r];
	const double *tok = x->tok + x->off[r];
	json_t *why = json_array_get(x->why, (size_t)r);
	double n = x->n[r], ll = x->loglik[r], obj = x->obj[r];

	memset(m->used, 0, (size_t)K * sizeof *m->used);
	for (int l = 0; l < mr; l++) {
		double c = comp[l], z = zero[l];
		int j = (int)tok[l];

		if (c != floor(c) || c < -1 || c >= ncomp)
			input_fail(in, "row %d: \"components\"[%d] = %g is not one "
			    "of its %d components or -1", i, j, c, ncomp);
		if ((z != 0 && z != 1) || (z == 1 && c < 0))
			input_fail(in, "row %d: \"zero\"[%d] must be 1 or 0, and 0 "
			    "for an unseen token", i, j);
		unseen += c < 0;
		zeros += z == 1;
		if (c >= 0)
			m->used[(int)c] = 1;
	}
	for (int c = 0; c < ncomp; c++)
		if (!m->used[c])
			input_fail(in, "row %d: component %d has no token", i, c);
	if ((n == 0) != (ncomp == 0) || (n == 0) != (mr == 0))
		input_fail(in, "row %d: %.0f samples, but %d components and %d "
		    "tokens", i, n, ncomp, mr);
	if (x->det[r] != (ncomp == 1 && !unseen))
		input_fail(in, "row %d: \"determined\" must be %s", i,
		    x->det[r] ? "false: its tokens are not one component" :
		    "true: its tokens are one component");
	if (x->mle[r] != !zeros || (zeros && o->l2 > 0))
		input_fail(in, "row %d: \"mle_exists\" must be true exactly when "
		    "no token is \"zero\", which a ridge never has", i);
	if (x->tied[r] && o->l2 > 0)
		input_fail(in, "row %d: tied classes under a ridge", i);
	if (n == 0 && (ll != 0 || obj != 0 || x->gnorm[r] != 0 ||
	    x->iters[r] != 0 || x->cg[r] || !x->conv[r]))
		input_fail(in, "row %d: a fit without samples", i);
	if (o->l2 > 0 ? obj > ll + 1e-9 * (1 - ll) : obj != ll)
		input_fail(in, "row %d: \"objective\" must be %s", i, o->l2 > 0 ?
		    "at most \"loglik\" under a ridge" : "\"loglik\" without a "
		    "ridge");
	if (x->conv[r] && x->gnorm[r] > o->tol)
		input_fail(in, "row %d: converged at a gradient above --tol", i);
	if (x->cg[r] && o->method == EST_NEWTON)
		input_fail(in, "row %d: solved by Newton-CG under --method newton",
		    i);
	if (x->conv[r]) {
		if (!json_is_null(why))
			input_fail(in, "row %d: converged, but a \"why\"", i);
		return -1;
	}
	for (k = 0; k < EST_NREASONS; k++)
		if (json_is_string(why) && strcmp(json_string_value(why),
		    est_reasons[k]) == 0)
			break;
	if (k == EST_NREASONS)
		input_fail(in, "row %d: not converged, and \"why\" is not a reason "
		    "the fit gives", i);
	if (k == EST_LIMIT && x->iters[r] != o->max_iter)
		input_fail(in, "row %d: the iteration limit reached after %.0f of "
		    "%d iterations", i, x->iters[r], o->max_iter);
	return k;
}

/* Row r (query i): the bootstrap intervals lie in [0, 1], low below high,
 * and only where the conditional is. */
static void
check_row_intervals(const struct input *in,
    const struct rows_read *x, int r, int i)
{
	size_t at = x->off[r];

	if (!x->lo)
		return;
	for (int l = 0; l < x->m[r]; l++) {
		double lo = x->lo[at + l], hi = x->hi[at + l];
		int j = (int)x->tok[at + l];

		if (isnan(lo) != isnan(hi) || (isnan(x->cond[at + l]) &&
		    !isnan(lo)) || (!isnan(lo) && !(0 <= lo && lo <= hi &&
		    hi <= 1)))
			input_fail(in, "row %d: bootstrap interval %d is not one "
			    "within [0, 1] (null where the conditional is)", i, j);
	}
}

/* Row r (query i): nulls where est_fit_row leaves them, probabilities
 * where it gives them, the conditionals the softmax of the logits within
 * each component, the logits of mean 0, P the conditionals where the row
 * is determined. */
static void
check_row_values(struct merge *m, const struct input *in,
    const struct rows_read *x, int r, int i)
{
	int ncomp = (int)x->ncomp[r], mr = x->m[r], ntied = 0, c;
	size_t at = x->off[r];
	const double *tok = x->tok + at;
	const double *comp = x->comp + at, *zero = x->zero + at, *A = x->A + at;
	const double *P = x->P + at, *cond = x->cond + at, *se = x->se + at;
	const double *map = x->map + at;
	double l2 = m->o.est.l2;
	struct comp_acc *acc = m->acc;

	memset(acc, 0, ((size_t)ncomp + 1) * sizeof *acc);
	for (int l = 0; l < mr; l++) {
		c = (int)comp[l];
		if (isnan(map[l]) != !(l2 > 0) || (l2 > 0 && c < 0 && map[l] != 0))
			input_fail(in, "row %d: \"map\"[%d] must be %s", i, (int)tok[l], l2 > 0 ?
			    "a number, 0 for an unseen token" : "null without a ridge");
		if ((!isnan(se[l]) && (se[l] < 0 || !m->o.stderr)) || (c < 0 &&
		    !(isnan(A[l]) && isnan(cond[l]) && isnan(se[l]))))
			input_fail(in, "row %d: a logit, conditional or standard error "
			    "at %d where the fit leaves null", i, (int)tok[l]);
		if (c < 0)
			continue;
		acc[c].ntok++;
		acc[c].summap += map[l];
		if (isnan(cond[l])) {
			acc[c].nnull++;
			if (!isnan(A[l]) || !isnan(se[l]))
				input_fail(in, "row %d: token %d has a logit or standard "
				    "error but no conditional", i, (int)tok[l]);
			continue;
		}
		if (!(cond[l] >= 0 && cond[l] <= 1) || (zero[l] && (cond[l] != 0 ||
		    !isnan(A[l]) || !isnan(se[l]))) || (!zero[l] && isnan(A[l])))
			input_fail(in, "row %d: token %d: the conditional must be a "
			    "probability, 0 with no logit where \"zero\", else with "
			    "a logit", i, (int)tok[l]);
		acc[c].sumcond += cond[l];
		if (zero[l])
			continue;
		acc[c].maxA = acc[c].nA++ ? fmax(acc[c].maxA, A[l]) : A[l];
		acc[c].sumA += A[l];
		acc[c].maxabs = fmax(acc[c].maxabs, fabs(A[l]));
	}
	for (c = 0; c < ncomp; c++) {
		struct comp_acc *a = &acc[c];

		if (a->nnull && a->nnull != a->ntok)
			input_fail(in, "row %d: component %d is null in part", i, c);
		ntied += a->nnull > 0;
		if (!a->nnull && (!a->nA || fabs(a->sumcond - 1) > 1e-9 ||
		    fabs(a->sumA) > 1e-9 * a->nA * (1 + a->maxabs)))
			input_fail(in, "row %d: component %d: conditionals that do "
			    "not sum to 1, or logits not of mean 0", i, c);
	}
	if ((ntied > 0) != x->tied[r])
		input_fail(in, "row %d: \"tied\" must be %s", i, ntied ? "true" :
		    "false");
	for (int l = 0; l < mr; l++)
		if ((c = (int)comp[l]) >= 0 && !isnan(A[l]))
			acc[c].z += exp(A[l] - acc[c].maxA);
	for (int l = 0; l < mr; l++) {
		c = (int)comp[l];
		if (c >= 0 && !isnan(A[l]) && (fabs(cond[l] - exp(A[l] -
		    acc[c].maxA) / acc[c].z) > 1e-9 || (l2 > 0 && fabs(A[l] -
		    (map[l] - acc[c].summap / acc[c].ntok)) > 1e-9 * (1 +
		    fabs(map[l])))))
			input_fail(in, "row %d: \"conditional\"[%d] is not the "
			    "softmax of the logits of its component, or \"A\" not "
			    "\"map\" in the gauge", i, (int)tok[l]);
		if (x->det[r] && !x->tied[r] ? !(P[l] == cond[l]) : !isnan(P[l]))
			input_fail(in, "row %d: \"P\"[%d] must be %s", i, (int)tok[l],
			    x->det[r] && !x->tied[r] ? "the conditional in a "
			    "determined row" : "null in a row not determined");
	}
	check_row_intervals(in, x, r, i);
}

/* Row r of x into the fit, as row i. */
static void
fill_row(struct merge *m, const struct rows_read *x, int r, int i, int why)
{
	struct est_row *e = &m->f.row[i];
	int mr = x->m[r];
	size_t at = x->off[r], bytes = (size_t)mr * sizeof *e->A;

	est_row_init(e, m->f.K, mr, m->o.est.l2);
	for (int l = 0; l < mr; l++) {
		e->tok[l] = (int)x->tok[at + l];
		e->comp[l] = (int)x->comp[at + l];
		e->zero[l] = (int)x->zero[at + l];
	}
	if (x->lo)
		est_row_intervals(e);
	if (mr > 0) {     /* a shard of empty rows may hold no arrays at all */
		memcpy(e->A, x->A + at, bytes);
		memcpy(e->P, x->P + at, bytes);
		memcpy(e->cond, x->cond + at, bytes);
		memcpy(e->se, x->se + at, bytes);
		memcpy(e->map, x->map + at, bytes);
		if (x->lo) {
			memcpy(e->lo, x->lo + at, bytes);
			memcpy(e->hi, x->hi + at, bytes);
		}
	}
	e->n = x->n[r];
	e->ncomp = (int)x->ncomp[r];
	e->determined = x->det[r];
	e->mle_exists = x->mle[r];
	e->tied = x->tied[r];
	e->loglik = x->loglik[r];
	e->objective = x->obj[r];
	e->gnorm = x->gnorm[r];
	e->iters = (int)x->iters[r];
	e->converged = x->conv[r];
	e->cg = x->cg[r];
	e->why = why >= 0 ? est_reasons[why] : NULL;
}

/* The rows of shard I's record into the fit, each checked first, and the
 * shard's totals against them. */
static void
merge_rows(struct merge *m, const struct input *in, json_t *rec, int I)
{
	int K = m->f.K, N = m->N, converged = 1, *why;
	json_t *fit = object_at(in, rec, "fit"), *ll;
	struct rows_read x = { 0 };
	double *rows, samples = 0, loglik = 0;

	for (int i = I; i < K; i += N)
		x.nr++;
	rows = numbers(m, in, rec, "rows", x.nr, 0, K - 1, 1, 0);
	for (int r = 0; r < x.nr; r++)
		if (rows[r] != I + r * N)
			input_fail(in, "\"rows\" are not those of shard %d/%d", I + 1,
			    N);
	rows_read(m, in, object_at(in, rec, "row_fits"), &x);
	why = hold(m, xmalloc(((size_t)x.nr + 1) * sizeof *why));
	for (int r = 0; r < x.nr; r++) {
		why[r] = check_row_facts(m, in, &x, r, I + r * N);
		check_row_values(m, in, &x, r, I + r * N);
		samples += x.n[r];
		loglik += x.loglik[r];
		converged &= x.conv[r];
	}
	if (number_at(in, fit, "samples", 0, MAX_COUNT, 1) != samples)
		input_fail(in, "\"fit\": \"samples\" must be the rows' sum, %.0f",
		    samples);
	ll = field_get(in, fit, "loglik");
	if (!isfinite(loglik) || !json_is_number(ll) || json_number_value(ll) !=
	    loglik)
		input_fail(in, "\"fit\": \"loglik\" must be the rows' sum%s",
		    isfinite(loglik) ? "" : ", and that is not finite");
	if (flag_at(in, fit, "converged") != converged)
		input_fail(in, "\"fit\": \"converged\" must be whether every row "
		    "converged");
	merge_truth(m, in, rec, I);
	for (int r = 0; r < x.nr; r++)
		fill_row(m, &x, r, I + r * N, why[r]);
	m->f.samples += (long)samples;
	release(m);
}

static void
merge_free(struct merge *m)
{
	release(m);
	free(m->file);
	free(m->line);
	free(m->used);
	free(m->acc);
	if (m->f.row)
		fitted_free(&m->f);
	ccmc_free(&m->truth);
	if (m->first)
		json_decref(m->first);
}

/* Joins the records of ccmc-estimate --rows I/N, I = 1..N, into the
 * record of the fit of all rows: every row is rebuilt as its shard fitted
 * it, and the record is written by the same code as a single fit's. */
void
shard_merge(int nfiles, char **files)
{
	struct merge m = { 0 };
	struct input in, end;
	struct est_total t;
	json_t *rec;
	int have = 0;

	input_open(&in, nfiles, files);
	while ((rec = m.rec = input_record(&in))) {
		const char *type = record_type(rec);
		int I, N;

		if (strcmp(type, "ccmc-shard") != 0)
			input_fail(&in, "a record of type \"%s\": --merge joins "
			    "the ccmc-shard records of ccmc-estimate --rows", type);
		N = (int)number_at(&in, rec, "shards", 1, MAX_SPARSE_VOCAB, 1);
		I = (int)number_at(&in, rec, "shard", 1, N, 1) - 1;
		if (!m.first)
			merge_start(&m, &in, rec, N);
		if (N != m.N)
			input_fail(&in, "shard %d/%d, but %s:%ld is one of %d", I + 1,
			    N, m.first_file, m.first_line, m.N);
		if (number_at(&in, rec, "K", 1, MAX_SPARSE_VOCAB, 1) != m.f.K)
			input_fail(&in, "K = %.0f, but %s:%ld has K = %d",
			    json_number_value(json_object_get(rec, "K")),
			    m.first_file, m.first_line, m.f.K);
		merge_agrees(&m, &in, rec);
		if (m.file[I])
			input_fail(&in, "shard %d/%d again (first at %s:%ld)", I + 1,
			    N, m.file[I], m.line[I]);
		m.file[I] = in.name;
		m.line[I] = in.line;
		merge_rows(&m, &in, rec, I);
		have++;
		json_decref(rec);
		m.rec = NULL;
	}
	end.name = in.name;
	end.line = in.line;
	if (!m.first)
		input_fail(&end, "no ccmc-shard records to merge");
	for (int I = 0; I < m.N; I++)
		if (!m.file[I])
			input_fail(&end, "%d of %d shards missing, the first shard "
			    "%d/%d", m.N - have, m.N, I + 1, m.N);
	est_total(m.f.row, m.f.K, &t);
	if (!isfinite(t.loglik) || !isfinite(t.objective))
		input_fail(&end, "the rows' log-likelihoods sum to -infinity");
	fitrecord_write(&m.f, &m.o, NULL);
	input_close(&in);
	merge_free(&m);
}
