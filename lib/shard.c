#include "shard.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "util.h"

static const char *const method_name[] = { "auto", "newton", "cg" };

/* The options that shape the record: a merge takes them from the shards,
 * and refuses shards fitted with different ones. */
static json_t *
options_json(const struct fit_settings *o)
{
	return jpack("{s:o,s:o,s:f,s:f,s:i,s:s,s:b,s:i,s:o,s:s}",
	    "vocab", o->vocab ? jint(o->vocab) : json_null(),
	    "window", o->window ? jint(o->window) : json_null(),
	    "l2", o->est.l2, "tol", o->est.tol, "max_iter", o->est.max_iter,
	    "method", method_name[o->est.method], "brief", o->brief,
	    "bootstrap", o->bootstrap, "seed", jseed(o->seed),
	    "version", TOOLKIT_VERSION);
}

static json_t *
ints_json(const int *v, int n)
{
	json_t *a = json_array();

	for (int k = 0; k < n; k++)
		jappend(a, jint(v[k]));
	return a;
}

/* What a merge needs to rebuild the rows of the shard exactly: every field
 * of each fitted row (NaN as null), with the data's facts and the truth. */
void
shard_write(const struct fitted *f, const struct dataset *d,
    const struct fit_settings *o, int shard, int N)
{
	int K = f->K, nr = 0;
	double *A, *P, *cond, *se, *map, *lo, *hi, loglik = 0;
	int *comp, *zero, converged = 1;
	json_t *rows = json_array(), *rf, *data, *rec;
	json_t *v[12];
	static const char *const key[12] = { "samples", "ncomp",
	    "determined", "mle_exists", "tied", "loglik", "objective",
	    "grad_norm", "iterations", "converged", "cg", "why" };

	for (int i = shard; i < K; i += N)
		nr++;
	A = xmalloc(7 * ((size_t)nr * K + 1) * sizeof *A);
	P = A + (size_t)nr * K + 1;
	cond = P + (size_t)nr * K + 1;
	se = cond + (size_t)nr * K + 1;
	map = se + (size_t)nr * K + 1;
	lo = map + (size_t)nr * K + 1;
	hi = lo + (size_t)nr * K + 1;
	comp = xmalloc(2 * ((size_t)nr * K + 1) * sizeof *comp);
	zero = comp + (size_t)nr * K + 1;
	for (int k = 0; k < 12; k++)
		v[k] = json_array();
	nr = 0;
	for (int i = shard; i < K; i += N, nr++) {
		const struct est_row *r = &f->row[i];
		size_t at = (size_t)nr * K, bytes = (size_t)K * sizeof *A;

		jappend(rows, jint(i));
		memcpy(A + at, r->A, bytes);
		memcpy(P + at, r->P, bytes);
		memcpy(cond + at, r->cond, bytes);
		memcpy(se + at, r->se, bytes);
		memcpy(map + at, r->map, bytes);
		if (f->lo) {
			memcpy(lo + at, f->lo + (size_t)i * K, bytes);
			memcpy(hi + at, f->hi + (size_t)i * K, bytes);
		}
		memcpy(comp + at, r->comp, (size_t)K * sizeof *comp);
		memcpy(zero + at, r->zero, (size_t)K * sizeof *zero);
		jappend(v[0], jreal(r->n));
		jappend(v[1], jint(r->ncomp));
		jappend(v[2], json_boolean(r->determined));
		jappend(v[3], json_boolean(r->mle_exists));
		jappend(v[4], json_boolean(r->tied));
		jappend(v[5], number_or_null(r->loglik));
		jappend(v[6], number_or_null(r->objective));
		jappend(v[7], number_or_null(r->gnorm));
		jappend(v[8], jint(r->iters));
		jappend(v[9], json_boolean(r->converged));
		jappend(v[10], json_boolean(r->cg));
		jappend(v[11], r->why ? jstr(r->why) : json_null());
		loglik += r->loglik;
		converged &= r->converged;
	}
	rf = json_object();
	for (int k = 0; k < 12; k++)
		jset(rf, key[k], v[k]);
	jset(rf, "components", json_array());
	jset(rf, "zero", json_array());
	for (int r = 0; r < nr; r++) {
		jappend(json_object_get(rf, "components"), ints_json(comp +
		    (size_t)r * K, K));
		jappend(json_object_get(rf, "zero"), ints_json(zero +
		    (size_t)r * K, K));
	}
	jset(rf, "A", matrix_json(A, nr, K));
	jset(rf, "P", matrix_json(P, nr, K));
	jset(rf, "conditional", matrix_json(cond, nr, K));
	jset(rf, "stderr", matrix_json(se, nr, K));
	jset(rf, "map", matrix_json(map, nr, K));
	if (f->lo) {
		jset(rf, "bootstrap_lo", matrix_json(lo, nr, K));
		jset(rf, "bootstrap_hi", matrix_json(hi, nr, K));
	}
	data = jpack("{s:I,s:b,s:s,s:o}", "skipped", (json_int_t)f->skipped,
	    "weighted", f->weighted, "K_from", f->ksource, "truth",
	    json_null());
	if (f->truth) {
		const struct ccmc *t = f->truth;

		jset(data, "truth", jpack("{s:o,s:o,s:i,s:o}", "A",
		    matrix_json(t->A, K, K), "P", matrix_json(t->P, K, K), "lmax",
		    t->lmax, "posw", t->lmax ? matrix_json(t->posw, t->lmax,
		    t->lmax) : json_null()));
	}
	rec = jpack("{s:s,s:i,s:i,s:i,s:o,s:s,s:o,s:o,s:{s:I,s:o,s:b},s:o}",
	    "type", "ccmc-shard", "shard", shard + 1, "shards", N,
	    "K", K, "rows", rows, "input", d->digest, "options",
	    options_json(o), "data", data, "fit", "samples",
	    (json_int_t)f->samples, "loglik", number_or_null(loglik),
	    "converged", converged, "row_fits", rf);
	out_json(rec);
	out_end();
	json_decref(rec);
	free(A);
	free(comp);
}

/* n numbers under key in obj; null is NaN where nulls are allowed. */
static double *
numbers(const struct input *in, json_t *obj, const char *key, int n,
    int nulls)
{
	json_t *a = field_get(in, obj, key);
	double *v;

	if (!json_is_array(a) || json_array_size(a) != (size_t)n)
		input_fail(in, "\"%s\" must be an array of %d values", key, n);
	v = xmalloc(((size_t)n + 1) * sizeof *v);
	for (int k = 0; k < n; k++) {
		json_t *x = json_array_get(a, (size_t)k);

		if (json_is_boolean(x))
			v[k] = json_is_true(x);
		else if (nulls && json_is_null(x))
			v[k] = NAN;
		else if (json_is_number(x))
			v[k] = json_number_value(x);
		else {
			free(v);
			input_fail(in, "\"%s\"[%d] is not a number", key, k);
		}
	}
	return v;
}

/* n whole numbers in [lo, hi] under key in obj (true and false: 1, 0). */
static int *
whole_numbers(const struct input *in, json_t *obj, const char *key, int n,
    long lo, long hi)
{
	double *x = numbers(in, obj, key, n, 0);
	int *v = xmalloc(((size_t)n + 1) * sizeof *v);

	for (int k = 0; k < n; k++) {
		if (!(x[k] >= lo && x[k] <= hi) || x[k] != floor(x[k]))
			input_fail(in, "\"%s\"[%d] is not a whole number in [%ld, "
			    "%ld]", key, k, lo, hi);
		v[k] = (int)x[k];
	}
	free(x);
	return v;
}

/* The shards' records being merged. */
struct merge {
	struct fitted f;
	struct ccmc truth;
	json_t *first;          /* the first record */
	const char *first_file;
	long first_line;
	const char **file;      /* per shard, where it was read (NULL: not yet) */
	long *line;
	char **why;             /* strings the rows point to */
	int N, nwhy;
	struct fit_settings o;
};

/* The options of the shards, as the merged record needs them. */
static void
merge_options(struct merge *m, const struct input *in, json_t *oj)
{
	const char *method = json_string_value(field_get(in, oj, "method"));
	json_t *seed = field_get(in, oj, "seed");

	m->o.window = json_is_null(json_object_get(oj, "window")) ? 0 :
	    (int)field_long(in, oj, "window", 1, MAX_PROMPT);
	m->o.est.l2 = field_double(in, oj, "l2");
	m->o.est.tol = field_double(in, oj, "tol");
	m->o.est.max_iter = (int)field_long(in, oj, "max_iter", 0, 1000000);
	for (m->o.est.method = 0; m->o.est.method < 3; m->o.est.method++)
		if (method && strcmp(method, method_name[m->o.est.method]) == 0)
			break;
	if (m->o.est.method == 3)
		input_fail(in, "\"method\" must be auto, newton or cg");
	m->o.brief = json_is_true(field_get(in, oj, "brief"));
	m->o.bootstrap = (int)field_long(in, oj, "bootstrap", 0, 100000);
	if (json_is_string(seed))
		m->o.seed = strtoull(json_string_value(seed), NULL, 10);
	else
		m->o.seed = (uint64_t)field_long(in, oj, "seed", 0, LONG_MAX);
}

/* The facts of the data every shard read alike. */
static void
merge_data(struct merge *m, const struct input *in, json_t *dj)
{
	json_t *t = field_get(in, dj, "truth");
	int K = m->f.K;

	m->f.skipped = field_long(in, dj, "skipped", 0, LONG_MAX);
	m->f.weighted = json_is_true(field_get(in, dj, "weighted"));
	if (!json_is_string(field_get(in, dj, "K_from")))
		input_fail(in, "\"K_from\" must be a string");
	m->f.ksource = json_string_value(json_object_get(dj, "K_from"));
	if (json_is_null(t))
		return;
	memset(&m->truth, 0, sizeof m->truth);
	m->truth.K = K;
	m->truth.A = field_matrix(in, t, "A", K, K, 0);
	m->truth.P = field_matrix(in, t, "P", K, K, 0);
	m->truth.lmax = (int)field_long(in, t, "lmax", 0, MAX_PROMPT);
	if (m->truth.lmax)
		m->truth.posw = field_matrix(in, t, "posw", m->truth.lmax,
		    m->truth.lmax, 0);
	if (m->f.weighted != (m->truth.lmax > 0))
		input_fail(in, "\"weighted\" disagrees with the truth's \"lmax\"");
	m->f.truth = &m->truth;
}

/* The first record: what every other must agree with. */
static void
merge_start(struct merge *m, const struct input *in, json_t *rec, int N)
{
	m->N = N;
	m->f.K = (int)field_long(in, rec, "K", 1, MAX_VOCAB);
	m->first = json_incref(rec);
	m->first_file = in->name;
	m->first_line = in->line;
	m->file = xcalloc((size_t)N, sizeof *m->file);
	m->line = xcalloc((size_t)N, sizeof *m->line);
	m->why = xcalloc((size_t)m->f.K, sizeof *m->why);
	m->f.row = xcalloc((size_t)m->f.K, sizeof *m->f.row);
	merge_options(m, in, field_get(in, rec, "options"));
	merge_data(m, in, field_get(in, rec, "data"));
	if (m->o.bootstrap > 0 && !m->o.brief) {
		m->f.lo = xmalloc(2 * (size_t)m->f.K * m->f.K * sizeof *m->f.lo);
		m->f.hi = m->f.lo + (size_t)m->f.K * m->f.K;
	}
}

/* The rows of one shard's record into the fit. */
static void
merge_rows(struct merge *m, const struct input *in, json_t *rec, int I)
{
	int K = m->f.K, N = m->N, nr = 0, *rows;
	json_t *rf = field_get(in, rec, "row_fits");
	double *n, *ll, *obj, *gn, *A, *P, *cond, *se, *map, *lo = NULL;
	double *hi = NULL, *cp, *zr;
	int *ncomp, *det, *mle, *tied, *iters, *conv, *cg;
	json_t *why = field_get(in, rf, "why");

	for (int i = I; i < K; i += N)
		nr++;
	rows = whole_numbers(in, rec, "rows", nr, 0, K - 1);
	for (int r = 0; r < nr; r++)
		if (rows[r] != I + r * N)
			input_fail(in, "\"rows\" are not those of shard %d/%d",
			    I + 1, N);
	n = numbers(in, rf, "samples", nr, 0);
	ll = numbers(in, rf, "loglik", nr, 1);
	obj = numbers(in, rf, "objective", nr, 1);
	gn = numbers(in, rf, "grad_norm", nr, 1);
	ncomp = whole_numbers(in, rf, "ncomp", nr, 0, K);
	det = whole_numbers(in, rf, "determined", nr, 0, 1);
	mle = whole_numbers(in, rf, "mle_exists", nr, 0, 1);
	tied = whole_numbers(in, rf, "tied", nr, 0, 1);
	iters = whole_numbers(in, rf, "iterations", nr, 0, INT_MAX);
	conv = whole_numbers(in, rf, "converged", nr, 0, 1);
	cg = whole_numbers(in, rf, "cg", nr, 0, 1);
	A = field_matrix(in, rf, "A", nr, K, 1);
	P = field_matrix(in, rf, "P", nr, K, 1);
	cond = field_matrix(in, rf, "conditional", nr, K, 1);
	se = field_matrix(in, rf, "stderr", nr, K, 1);
	map = field_matrix(in, rf, "map", nr, K, 1);
	cp = field_matrix(in, rf, "components", nr, K, 0);
	zr = field_matrix(in, rf, "zero", nr, K, 0);
	if (m->f.lo) {
		lo = field_matrix(in, rf, "bootstrap_lo", nr, K, 1);
		hi = field_matrix(in, rf, "bootstrap_hi", nr, K, 1);
	}
	if (!json_is_array(why) || json_array_size(why) != (size_t)nr)
		input_fail(in, "\"why\" must be an array of %d values", nr);
	for (int r = 0; r < nr; r++) {
		struct est_row *e = &m->f.row[rows[r]];
		size_t at = (size_t)r * K, bytes = (size_t)K * sizeof *A;
		json_t *w = json_array_get(why, (size_t)r);

		est_row_init(e, K, m->o.est.l2);
		for (int j = 0; j < K; j++) {
			double c = cp[at + j], z = zr[at + j];

			if (c != floor(c) || c < -1 || c >= ncomp[r] || (z != 0 &&
			    z != 1))
				input_fail(in, "row %d: \"components\" or \"zero\" "
				    "out of range", rows[r]);
			e->comp[j] = (int)c;
			e->zero[j] = (int)z;
		}
		memcpy(e->A, A + at, bytes);
		memcpy(e->P, P + at, bytes);
		memcpy(e->cond, cond + at, bytes);
		memcpy(e->se, se + at, bytes);
		memcpy(e->map, map + at, bytes);
		if (lo) {
			memcpy(m->f.lo + (size_t)rows[r] * K, lo + at, bytes);
			memcpy(m->f.hi + (size_t)rows[r] * K, hi + at, bytes);
		}
		e->n = n[r];
		e->ncomp = ncomp[r];
		e->determined = det[r];
		e->mle_exists = mle[r];
		e->tied = tied[r];
		e->loglik = ll[r];
		e->objective = obj[r];
		e->gnorm = gn[r];
		e->iters = iters[r];
		e->converged = conv[r];
		e->cg = cg[r];
		if (!e->converged) {
			if (!json_is_string(w))
				input_fail(in, "row %d: not converged, and no \"why\"",
				    rows[r]);
			e->why = m->why[rows[r]] = xstrdup(json_string_value(w));
		}
	}
	m->f.samples += field_long(in, field_get(in, rec, "fit"), "samples", 0,
	    LONG_MAX);
	free(rows), free(n), free(ll), free(obj), free(gn), free(ncomp);
	free(det), free(mle), free(tied), free(iters), free(conv), free(cg);
	free(A), free(P), free(cond), free(se), free(map), free(cp), free(zr);
	free(lo), free(hi);
}

/* Joins the records of ccmc-estimate --rows I/N, I = 1..N, into the
 * record of the fit of all rows: every row is rebuilt as its shard fitted
 * it, and the record is written by the same code as a single fit's. */
void
shard_merge(int nfiles, char **files)
{
	struct merge m;
	struct input in, end;
	json_t *rec;
	int have = 0;

	memset(&m, 0, sizeof m);
	input_open(&in, nfiles, files);
	while ((rec = input_record(&in))) {
		const char *type = record_type(rec);
		int I, N;

		if (strcmp(type, "ccmc-shard") != 0)
			input_fail(&in, "a record of type \"%s\": --merge joins "
			    "the ccmc-shard records of ccmc-estimate --rows", type);
		N = (int)field_long(&in, rec, "shards", 1, MAX_VOCAB);
		I = (int)field_long(&in, rec, "shard", 1, N) - 1;
		if (!m.first)
			merge_start(&m, &in, rec, N);
		if (N != m.N)
			input_fail(&in, "shard %d/%d, but %s:%ld is one of %d", I + 1,
			    N, m.first_file, m.first_line, m.N);
		if (field_long(&in, rec, "K", 1, MAX_VOCAB) != m.f.K)
			input_fail(&in, "K = %ld, but %s:%ld has K = %d",
			    field_long(&in, rec, "K", 1, MAX_VOCAB), m.first_file,
			    m.first_line, m.f.K);
		if (!json_equal(field_get(&in, rec, "input"),
		    json_object_get(m.first, "input")))
			input_fail(&in, "a shard of another input than %s:%ld (its "
			    "\"input\" fingerprint differs)", m.first_file,
			    m.first_line);
		if (!json_equal(field_get(&in, rec, "options"),
		    json_object_get(m.first, "options")))
			input_fail(&in, "a shard fitted with other options than "
			    "%s:%ld", m.first_file, m.first_line);
		if (!json_equal(field_get(&in, rec, "data"),
		    json_object_get(m.first, "data")))
			input_fail(&in, "a shard whose \"data\" differ from those of "
			    "%s:%ld", m.first_file, m.first_line);
		if (m.file[I])
			input_fail(&in, "shard %d/%d again (first at %s:%ld)", I + 1,
			    N, m.file[I], m.line[I]);
		m.file[I] = in.name;
		m.line[I] = in.line;
		merge_rows(&m, &in, rec, I);
		have++;
		json_decref(rec);
	}
	end.name = in.name;
	end.line = in.line;
	if (!m.first)
		input_fail(&end, "no ccmc-shard records to merge");
	for (int I = 0; I < m.N; I++)
		if (!m.file[I])
			input_fail(&end, "%d of %d shards missing, the first shard "
			    "%d/%d", m.N - have, m.N, I + 1, m.N);
	fitrecord_write(&m.f, &m.o, NULL);
	input_close(&in);
	for (int i = 0; i < m.f.K; i++)
		free(m.why[i]);
	free(m.why);
	free(m.file);
	free(m.line);
	if (m.f.truth) {
		free(m.truth.A);
		free(m.truth.P);
		free(m.truth.posw);
	}
	fitted_free(&m.f);
	json_decref(m.first);
}
