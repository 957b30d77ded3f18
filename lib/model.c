#include "model.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numeric.h"
#include "rng.h"
#include "util.h"
#include "weights.h"

/* E W whole where a CCMC of K x K may be made from it (K <= MAX_VOCAB);
 * beyond, each row when a query first asks for it (model_ew_row): at K
 * 2^20 and d 1024 the whole would cost 10^12 multiplications and 8 GB
 * beside E, for rows a run mostly never asks for, and calloc's pages cost
 * nothing until a row is made. */
static void
derive(struct attn_model *m)
{
	size_t dd = (size_t)m->d;

	if (m->K <= MAX_VOCAB) {
		m->EW = xmalloc(checked_size((size_t)m->K * dd, sizeof(double)));
		mat_mul(m->E, m->W, m->EW, m->K, m->d, m->d);
	} else {
		m->EW = xcalloc(checked_size((size_t)m->K, dd), sizeof(double));
		m->ew_done = xcalloc((size_t)m->K, 1);
	}
	if (m->lmax) {
		m->RW = xmalloc(checked_size((size_t)m->lmax * dd, sizeof(double)));
		mat_mul(m->R, m->W, m->RW, m->lmax, m->d, m->d);
	}
}

const double *
model_ew_row(const struct attn_model *m, int k)
{
	double *ew = m->EW + (size_t)k * m->d;

	if (m->ew_done && !m->ew_done[k]) {
		mat_mul(m->E + (size_t)k * m->d, m->W, ew, 1, m->d, m->d);
		m->ew_done[k] = 1;
	}
	return ew;
}

/* C = (F F^T)^{-1} F, the head with C F^T = I, F = E by default. */
static int
tied_head_of(struct attn_model *m, const double *F)
{
	size_t KK = (size_t)m->K * m->K;
	double *G = xmalloc(KK * sizeof *G), *Gi = xmalloc(KK * sizeof *Gi);
	int rc;

	mat_mul_bt(F, F, G, m->K, m->d, m->K);
	if ((rc = mat_inverse(G, Gi, m->K)) == 0) {
		double *RC = xmalloc((size_t)m->K * m->d * sizeof *RC);

		mat_mul(Gi, F, m->C, m->K, m->K, m->d);
		/* The Gram matrix squares E's condition number; refine:
		 * with R = I - C E^T, C + R C has residual R^2. */
		for (int step = 0; step < 2; step++) {
			double worst = 0;

			mat_mul_bt(m->C, F, G, m->K, m->d, m->K);
			for (int i = 0; i < m->K; i++)
				for (int j = 0; j < m->K; j++) {
					double *g = &G[(size_t)i * m->K + j];

					*g = (i == j) - *g;
					worst = max_nan(worst, fabs(*g));
				}
			if (worst == 0)
				break;
			mat_mul(G, m->C, RC, m->K, m->K, m->d);
			for (size_t i = 0; i < (size_t)m->K * m->d; i++)
				m->C[i] += RC[i];
		}
		free(RC);
	}
	free(G);
	free(Gi);
	return rc;
}

static int
tied_head(struct attn_model *m)
{
	return tied_head_of(m, m->E);
}

/* A random orthogonal d x d matrix: Gram-Schmidt (twice) on Gaussian rows. */
static void
random_rotation(double *Q, int d, struct rng *r)
{
	for (size_t i = 0; i < (size_t)d * d; i++)
		Q[i] = rng_gauss(r);
	for (int i = 0; i < d; i++) {
		double *qi = Q + (size_t)i * d, norm = 0;

		for (int pass = 0; pass < 2; pass++)
			for (int k = 0; k < i; k++) {
				double *qk = Q + (size_t)k * d, dot = 0;

				for (int j = 0; j < d; j++)
					dot += qi[j] * qk[j];
				for (int j = 0; j < d; j++)
					qi[j] -= dot * qk[j];
			}
		for (int j = 0; j < d; j++)
			norm += qi[j] * qi[j];
		norm = sqrt(norm);
		for (int j = 0; j < d; j++)
			qi[j] /= norm;
	}
}

static void
rotate(struct attn_model *m, struct rng *r)
{
	int d = m->d;
	size_t dd = (size_t)d * d;
	double *Q = xmalloc(dd * sizeof *Q), *T = xmalloc(dd * sizeof *T);
	double *Qt = xmalloc(dd * sizeof *Qt);
	double *E = xmalloc((size_t)m->K * d * sizeof *E);
	double *R = xmalloc((size_t)m->lmax * d * sizeof *R);

	random_rotation(Q, d, r);
	for (int i = 0; i < d; i++)
		for (int j = 0; j < d; j++)
			Qt[(size_t)j * d + i] = Q[(size_t)i * d + j];
	mat_mul(m->E, Q, E, m->K, d, d);
	mat_mul(m->R, Q, R, m->lmax, d, d);
	mat_mul(Qt, m->W, T, d, d, d);
	mat_mul(T, Q, m->W, d, d, d);
	free(m->E);
	free(m->R);
	m->E = E;
	m->R = R;
	free(Q);
	free(Qt);
	free(T);
}

/* The dimensions spec asks for: de for the tokens, dp for the positions;
 * -1 with the reason in why when they cannot hold the model. */
static int
spec_dims(const struct model_spec *s, int *de, int *dp, char *why,
    size_t whylen)
{
	int K = s->K;
	const char *plus = " plus the positions' dimensions";

	*dp = s->lmax ? (s->recency ? 2 : s->pos_dim) : 0;
	*de = s->d ? s->d - *dp : K;
	if (s->headless && *de < 1)
		snprintf(why, whylen, "--dim %d leaves no dimension for the tokens "
		    "beside %d for positions", s->d, *dp);
	else if (*de < K && s->headless && !s->gaussian)
		snprintf(why, whylen, "one-hot embeddings need --dim >= --vocab "
		    "%d%s (--embed gaussian takes any)", K, *dp ? plus : "");
	else if (*de < K && s->headless && s->diag != 0)
		snprintf(why, whylen, "--diag adds to A_kk through the tied head, "
		    "which needs --dim >= --vocab %d%s", K, *dp ? plus : "");
	else if (*de < K && !s->headless && *dp)
		snprintf(why, whylen, "--dim %d leaves %d dimensions for %d "
		    "token embeddings beside %d for positions: need --dim >= %d",
		    s->d, *de, K, *dp, K + *dp);
	else if (*de < K && !s->headless)
		snprintf(why, whylen, "--dim %d is smaller than --vocab %d", s->d,
		    K);
	else if (*de + *dp > MAX_DIM)
		snprintf(why, whylen, "dimension %d exceeds the limit %d",
		    *de + *dp, MAX_DIM);
	else
		return 0;
	return -1;
}

/* Positions in the last dp of d coordinates, beside the de of the tokens,
 * so the separation conditions hold: their encodings R and their block of
 * W (random, or the recency bias). */
static void
gen_positions(const struct model_spec *s, struct attn_model *m, int de,
    int dp, struct rng *r)
{
	int d = m->d;

	m->R = xcalloc((size_t)s->lmax * d, sizeof *m->R);
	rng_stream(r, 2);
	for (int t = 0; t < s->lmax; t++) {
		double *rt = m->R + (size_t)t * d + de;

		if (s->recency) {
			rt[0] = 1;
			rt[1] = (double)(t + 1) / s->lmax;
		} else
			for (int j = 0; j < dp; j++)
				rt[j] = rng_gauss(r) / sqrt(dp);
	}
	if (s->recency) {
		/* r_L^T W r_t = G (t - L) / LMAX: older positions weigh less */
		m->W[(size_t)de * d + de + 1] = s->pos_scale;
		m->W[(size_t)(de + 1) * d + de] = -s->pos_scale;
	} else {
		rng_stream(r, 3);
		for (int i = de; i < d; i++)
			for (int j = de; j < d; j++)
				m->W[(size_t)i * d + j] = s->pos_scale * rng_gauss(r);
	}
}

/* W += diag C^T C adds diag to A_kk = e_k^T W e_k only, as C E^T = I. */
static void
add_diag(struct attn_model *m, double diag)
{
	int d = m->d;

	for (int k = 0; k < m->K; k++) {
		const double *c = m->C + (size_t)k * d;

		for (int i = 0; i < d; i++)
			for (int j = 0; j < d; j++)
				m->W[(size_t)i * d + j] += diag * c[i] * c[j];
	}
}

static void
gen_meta(const struct model_spec *s, struct attn_model *m, int dp)
{
	m->meta = jpack("{s:o,s:f,s:s,s:f}", "seed", jseed(s->seed),
	    "scale", s->scale, "embed", s->gaussian ? "gaussian" : "onehot",
	    "diag", s->diag);
	if (s->lmax)
		jset(m->meta, "positions", jpack("{s:s,s:i,s:f}",
		    "kind", s->recency ? "recency" : "random", "dim", dp,
		    "scale", s->pos_scale));
	jset(m->meta, "generator",
	    jstr("attn-gen-model " TOOLKIT_VERSION));
}

int
model_generate(const struct model_spec *s, struct attn_model *m, char *why,
    size_t whylen)
{
	int K = s->K, dp, de, d;
	struct rng r;

	memset(m, 0, sizeof *m);
	m->tol = TIE_TOL;
	if (spec_dims(s, &de, &dp, why, whylen) != 0)
		return -1;
	d = de + dp;
	m->K = K;
	m->d = d;
	m->lmax = s->lmax;
	m->E = xcalloc(checked_size((size_t)K, (size_t)d), sizeof *m->E);
	m->W = xcalloc((size_t)d * d, sizeof *m->W);
	if (!s->headless || s->diag != 0)   /* headless: for --diag only */
		m->C = xcalloc(checked_size((size_t)K, (size_t)d), sizeof *m->C);

	/* Token embeddings and W live in the first de coordinates */
	rng_init(&r, s->seed, "attn-gen-model", 0);
	for (int k = 0; k < K; k++)
		for (int j = 0; j < de; j++)
			m->E[(size_t)k * d + j] = s->gaussian ?
			    rng_gauss(&r) / sqrt(de) : (j == k);
	rng_stream(&r, 1);
	for (int i = 0; i < de; i++)
		for (int j = 0; j < de; j++)
			m->W[(size_t)i * d + j] = s->scale * rng_gauss(&r);
	if (s->lmax) {
		gen_positions(s, m, de, dp, &r);
		if (s->gaussian) {
			/* Hide the block structure: only the subspaces matter. */
			rng_stream(&r, 4);
			rotate(m, &r);
		}
	}

	if (m->C && tied_head(m) != 0) {
		snprintf(why, whylen, "embeddings are singular: E E^T cannot be "
		    "inverted (try another --seed or a larger --dim)");
		model_free(m);
		return -1;
	}
	if (s->diag != 0)
		add_diag(m, s->diag);
	if (s->headless) {
		/* the head served --diag only: the law needs none */
		free(m->C);
		m->C = NULL;
	}
	if (model_head_error(m) > 1e-10) {
		snprintf(why, whylen, "embeddings too ill-conditioned: "
		    "max|C E^T - I| = %.3g > 1e-10 (try another --seed or a larger "
		    "--dim)", model_head_error(m));
		model_free(m);
		return -1;
	}
	gen_meta(s, m, dp);
	derive(m);
	return 0;
}

/* Largest |entry|; NaN counts as infinite. */
static double
max_abs(const double *x, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (!(fabs(x[i]) <= m))
			m = isnan(x[i]) ? INFINITY : fabs(x[i]);
	return m;
}

static double max_row_norm(const double *M, int rows, int cols);

/* A bound on |E W| without E W (made row by row beyond MAX_VOCAB):
 * |e_k . w_l| <= |e_k| |w_l| for row k of E and column l of W. */
static double
ew_bound(const struct attn_model *m)
{
	int d = m->d;
	double w = 0;

	if (!m->ew_done)
		return max_abs(m->EW, (size_t)m->K * d);
	for (int l = 0; l < d; l++) {
		double s = 0;

		for (int b = 0; b < d; b++)
			s += m->W[(size_t)b * d + l] * m->W[(size_t)b * d + l];
		w = max_nan(w, sqrt(s));
	}
	return max_row_norm(m->E, m->K, d) * w;
}

/* A bound on every score u . x of the forward pass and of the CCMC (u a
 * row of E W plus one of R W, x a row of E plus one of R), and on every
 * partial sum of it: |u . x| <= d max|u| max|x|. */
static double
score_bound(const struct attn_model *m)
{
	size_t kd = (size_t)m->K * m->d, ld = (size_t)m->lmax * m->d;
	double u = ew_bound(m), x = max_abs(m->E, kd);

	if (m->lmax) {
		u += max_abs(m->RW, ld);
		x += max_abs(m->R, ld);
	}
	return m->d * u * x;
}

/* What model_parse does beyond the record: --tie-tol, --retie and the
 * head law of the programs that only read models (model_set_tie,
 * model_set_head), and the model whose E model_parse_like shares. */
static double parse_tol = TIE_TOL;
static int parse_retie, parse_head = -1;
static const struct attn_model *parse_like;

/* The file named for tensor `name` ("weights": FILE, or {"E": FILE, ..}),
 * relative to the directory of the record's file; NULL if none. */
static char *
weights_file(const struct input *in, json_t *spec, const char *name)
{
	const char *f = json_is_string(spec) ? json_string_value(spec) :
	    json_string_value(json_object_get(spec, name));
	const char *slash = in->name ? strrchr(in->name, '/') : NULL;
	char *path;
	size_t n;

	if (!f)
		return NULL;
	if (f[0] == '/' || !slash || strcmp(in->name, "<stdin>") == 0)
		return xstrdup(f);
	n = (size_t)(slash - in->name) + 1;
	path = xmalloc(n + strlen(f) + 1);
	memcpy(path, in->name, n);
	strcpy(path + n, f);
	return path;
}

/* A tensor of the weights, its file open: its shape read from the header,
 * checked before a byte of it is allocated or inflated (a header may
 * declare gigabytes, and a .npz member inflate to them). */
struct wtensor_at {
	char   *path;
	struct weights w;
	const struct wtensor *t;
	long    rows, cols;
};

/* Opens tensor `name` (0 if there is none). */
static int
tensor_open(const struct input *in, json_t *spec, const char *name,
    struct wtensor_at *x)
{
	if (!(x->path = weights_file(in, spec, name)))
		return 0;
	weights_open(&x->w, x->path, name);
	if (!(x->t = weights_find(&x->w, name))) {
		weights_close(&x->w);
		free(x->path);
		return 0;
	}
	weights_shape(x->t, &x->rows, &x->cols);
	return 1;
}

/* Its values as rows x cols doubles; closes it. */
static double *
tensor_read(struct wtensor_at *x)
{
	double *a = weights_matrix(&x->w, x->t, &x->rows, &x->cols);

	weights_close(&x->w);
	free(x->path);
	return a;
}

static void
check_shape(const struct input *in, const struct wtensor_at *x, long wr,
    long wc)
{
	if (x->rows != wr || x->cols != wc)
		input_fail(in, "weights %s: tensor %s is %ld x %ld; K and d ask for "
		    "%ld x %ld", x->path, x->t->name, x->rows, x->cols, wr, wc);
}

/* Tensor E: K and d, within the limits and as the record gives them. */
static void
embedding(const struct input *in, json_t *rec, json_t *spec, int headless,
    struct attn_model *m)
{
	struct wtensor_at x;
	int kmax = headless ? MAX_MODEL_VOCAB : MAX_VOCAB;

	if (!tensor_open(in, spec, "E", &x))
		input_fail(in, "weights: no tensor E");
	if (x.rows < 1 || x.rows > kmax || x.cols < 1 || x.cols > MAX_DIM)
		input_fail(in, "weights %s: tensor E is %ld x %ld: K must lie in "
		    "1..%d and d in 1..%d", x.path, x.rows, x.cols, kmax, MAX_DIM);
	if (json_object_get(rec, "K"))
		check_shape(in, &x, field_long(in, rec, "K", 1, MAX_MODEL_VOCAB),
		    x.cols);
	if (json_object_get(rec, "d"))
		check_shape(in, &x, x.rows, field_long(in, rec, "d", 1, MAX_DIM));
	m->K = (int)x.rows;
	m->d = (int)x.cols;
	m->e_id = x.w.id;
	if (parse_like && parse_like->e_id.size && parse_like->K == m->K &&
	    parse_like->d == m->d && !memcmp(&parse_like->e_id, &m->e_id,
	    sizeof m->e_id)) {
		weights_close(&x.w);
		free(x.path);
		m->E = parse_like->E;
		m->e_borrowed = 1;
		return;
	}
	m->E = tensor_read(&x);
}

/* The arrays from weight files ("weights"); K and d, if given, must
 * agree with E. */
static void
parse_weights(const struct input *in, json_t *rec, json_t *spec, int headless,
    struct attn_model *m)
{
	struct wtensor_at x;
	json_t *pos = json_object_get(rec, "pos");

	if (!json_is_string(spec) && !json_is_object(spec))
		input_fail(in, "\"weights\" must be a file name or an object of "
		    "file names by tensor (E, W, C, R)");
	if (json_object_get(rec, "E") || json_object_get(rec, "W") ||
	    (json_object_get(rec, "C") && !headless) ||
	    (pos && !json_is_null(pos)))
		input_fail(in, "\"weights\" gives E, W, C and R: the record may "
		    "not give them too (only \"C\": null, headless)");
	embedding(in, rec, spec, headless, m);
	if (!tensor_open(in, spec, "W", &x))
		input_fail(in, "weights: no tensor W");
	check_shape(in, &x, m->d, m->d);
	m->W = tensor_read(&x);
	if (!headless && tensor_open(in, spec, "C", &x)) {
		check_shape(in, &x, m->K, m->d);
		m->C = tensor_read(&x);
	}
	if (m->C && m->head == HEAD_TIED && m->d < m->K)
		input_fail(in, "attn-model has d = %d < K = %d: no head with "
		    "C E^T = I exists (\"head\": \"linear\" or \"softmax\" for "
		    "an untied head)", m->d, m->K);
	if (tensor_open(in, spec, "R", &x)) {
		if (x.rows < 1 || x.rows > MAX_LMAX)
			input_fail(in, "weights %s: tensor R has %ld rows: LMAX must "
			    "lie in 1..%d", x.path, x.rows, MAX_LMAX);
		check_shape(in, &x, x.rows, m->d);
		m->lmax = (int)x.rows;
		m->R = tensor_read(&x);
	}
}

/* The arrays given in the record itself, as JSON. */
static void
parse_arrays(const struct input *in, json_t *rec, int headless,
    struct attn_model *m)
{
	json_t *pos;

	m->K = (int)field_long(in, rec, "K", 1, headless ? MAX_MODEL_VOCAB :
	    MAX_VOCAB);
	m->d = (int)field_long(in, rec, "d", 1, MAX_DIM);
	if (!headless && m->head == HEAD_TIED && m->d < m->K)
		input_fail(in, "attn-model has d = %d < K = %d: no head with "
		    "C E^T = I exists (\"C\": null makes it headless, the next "
		    "token the token at the attended position; \"head\": "
		    "\"linear\" or \"softmax\" an untied head)", m->d, m->K);
	m->E = field_matrix(in, rec, "E", m->K, m->d, 0);
	m->W = field_matrix(in, rec, "W", m->d, m->d, 0);
	if (!headless)
		m->C = field_matrix(in, rec, "C", m->K, m->d, 0);
	pos = json_object_get(rec, "pos");
	if (pos && !json_is_null(pos)) {
		if (!json_is_object(pos))
			input_fail(in, "\"pos\" must be null or an object "
			    "{\"LMAX\":..,\"R\":..}");
		m->lmax = (int)field_long(in, pos, "LMAX", 1, MAX_LMAX);
		m->R = field_matrix(in, pos, "R", m->lmax, m->d, 0);
	}
}

/* "query": "right": W is given for scores x_t^T W x_L (the query on the
 * right, as some papers write it); the toolkit's W is its transpose. */
static void
query_side(const struct input *in, json_t *rec, struct attn_model *m)
{
	json_t *q = json_object_get(rec, "query");
	const char *s = json_string_value(q);

	if (!q || (s && strcmp(s, "left") == 0))
		return;
	if (!s || strcmp(s, "right") != 0)
		input_fail(in, "\"query\" must be \"left\" (scores x_L^T W x_t, "
		    "the default) or \"right\" (x_t^T W x_L)");
	for (int i = 0; i < m->d; i++)
		for (int j = 0; j < i; j++) {
			double *a = &m->W[(size_t)i * m->d + j];
			double *b = &m->W[(size_t)j * m->d + i], t = *a;

			*a = *b;
			*b = t;
		}
}

static const char *const head_names[] = { "tied", "linear", "softmax" };

void
model_set_head(int head)
{
	parse_head = head;
}

int
model_head_parse(const char *name)
{
	return name_index(name, head_names, 3);
}

void
model_head_option(const char *arg)
{
	if (model_head_parse(arg) < 0)
		usage_error(NULL, "--head: tied, linear or softmax, not '%s'", arg);
	model_set_head(model_head_parse(arg));
}

const char *
model_head_name(enum model_head h)
{
	return head_names[h];
}

/* The head law: --head's, else the record's "head" (tied if none). */
static void
head_of(const struct input *in, json_t *rec, int headless,
    struct attn_model *m)
{
	json_t *h = json_object_get(rec, "head");

	m->head = HEAD_TIED;
	if (h && !json_is_null(h)) {
		if (headless)
			input_fail(in, "\"head\" with \"C\": null: a headless model "
			    "has no head (its next token is the attended "
			    "position's)");
		if (model_head_parse(json_string_value(h)) < 0)
			input_fail(in, "\"head\" must be \"tied\", \"linear\" or "
			    "\"softmax\"");
		m->head = (enum model_head)model_head_parse(json_string_value(h));
	}
	if (parse_head >= 0)
		m->head = (enum model_head)parse_head;
}

void
model_set_tie(double tol, int retie)
{
	if (tol >= 0)
		parse_tol = tol;
	if (retie >= 0)
		parse_retie = retie;
}

void
model_parse(const struct input *in, json_t *rec, struct attn_model *m)
{
	json_t *C = json_object_get(rec, "C"), *meta;
	json_t *weights = json_object_get(rec, "weights");
	int headless = C && json_is_null(C);

	memset(m, 0, sizeof *m);
	m->tol = parse_tol;
	head_of(in, rec, headless, m);
	if (weights)
		parse_weights(in, rec, weights, headless, m);
	else
		parse_arrays(in, rec, headless, m);
	query_side(in, rec, m);
	meta = json_object_get(rec, "meta");
	if (json_is_object(meta))
		m->meta = json_incref(meta);
	derive(m);
	if (!(score_bound(m) <= MAX_SCORE))
		input_fail(in, "attn-model scores x^T W y may reach %.3g: beyond "
		    "%.0e, where logits and softmax are no longer finite",
		    score_bound(m), MAX_SCORE);
	if (parse_retie && model_retie(m) != 0)
		input_fail(in, "--retie: E E^T is singular, or too ill-conditioned "
		    "for a head tied within %.3g: no head is tied to these "
		    "embeddings", m->tol);
}

void
model_parse_like(const struct input *in, json_t *rec, struct attn_model *m,
    const struct attn_model *like)
{
	parse_like = like;
	model_parse(in, rec, m);
	parse_like = NULL;
}

/* "head", when C has a law other than the tie. */
static void
head_end(const struct attn_model *m)
{
	if (!m->C || m->head == HEAD_TIED)
		return;
	out_str(",\"head\":");
	out_quoted(model_head_name(m->head));
}

/* The record's "meta" and its end, as both forms of a model write them. */
static void
meta_end(const struct attn_model *m)
{
	out_str(",\"meta\":");
	if (m->meta)
		out_json(m->meta);
	else
		out_str("{}");
	out_char('}');
	out_end();
}

void
model_write(const struct attn_model *m)
{
	out_str("{\"type\":\"attn-model\",\"K\":");
	out_long(m->K);
	out_str(",\"d\":");
	out_long(m->d);
	out_str(",\"E\":");
	out_matrix(m->E, m->K, m->d);
	out_str(",\"W\":");
	out_matrix(m->W, m->d, m->d);
	out_str(",\"C\":");
	if (m->C)
		out_matrix(m->C, m->K, m->d);
	else
		out_str("null");
	head_end(m);
	out_str(",\"pos\":");
	if (m->lmax) {
		out_str("{\"LMAX\":");
		out_long(m->lmax);
		out_str(",\"R\":");
		out_matrix(m->R, m->lmax, m->d);
		out_char('}');
	} else
		out_str("null");
	meta_end(m);
}

double
model_json_bound(double K, double d, double lmax, int head, double e,
    double meta)
{
	return e * (1 + (head != 0)) * K * d + MODEL_NUMBER_BYTES * (d * d +
	    lmax * d) + 3 * ((1 + (head != 0)) * K + d + lmax) + meta;
}

double
model_entry_bytes(const struct attn_model *m)
{
	size_t n = (size_t)m->K * m->d;

	for (size_t i = 0; i < n; i++)
		if ((m->E[i] != 0 && m->E[i] != 1) ||
		    (m->C && m->C[i] != 0 && m->C[i] != 1))
			return MODEL_NUMBER_BYTES;
	return 4;
}

/* Writes the arrays to path and prints the record naming it; 0, or
 * weights_write's error. */
static int
write_weights(const struct attn_model *m, const char *path, int dtype)
{
	const char *names[4] = { "E", "W", "C", "R" };
	const double *arrays[4] = { m->E, m->W, m->C, m->R };
	long rows[4] = { m->K, m->d, m->K, m->lmax };
	long cols[4] = { m->d, m->d, m->d, m->d };
	int n = 0, rc;

	/* the arrays the model has, in order */
	for (int i = 0; i < 4; i++)
		if (arrays[i]) {
			names[n] = names[i];
			arrays[n] = arrays[i];
			rows[n] = rows[i];
			cols[n++] = cols[i];
		}
	if ((rc = weights_write(path, dtype, n, names, arrays, rows, cols)) != 0)
		return rc;
	out_str("{\"type\":\"attn-model\",\"K\":");
	out_long(m->K);
	out_str(",\"d\":");
	out_long(m->d);
	out_str(",\"weights\":");
	out_quoted(path);
	if (!m->C)
		out_str(",\"C\":null");
	head_end(m);
	meta_end(m);
	return 0;
}

void
model_output(const struct attn_model *m, const char *weights, int dtype)
{
	if (!weights)
		model_write(m);
	else if (write_weights(m, weights, dtype) != 0)
		die(EXIT_FAIL, "--weights %s: %s", weights, strerror(errno));
}

void
model_free(struct attn_model *m)
{
	if (!m->e_borrowed)
		free(m->E);
	free(m->W);
	free(m->C);
	free(m->R);
	free(m->EW);
	free(m->ew_done);
	free(m->RW);
	if (m->meta)
		json_decref(m->meta);
	memset(m, 0, sizeof *m);
}

/* C E^T through mat_mul_bt, which a one-hot E makes O(K^2). */
double
model_head_error(const struct attn_model *m)
{
	double err = 0, *G;

	if (!m->C)
		return 0;      /* headless: the law needs no head */
	G = xmalloc(checked_size((size_t)m->K * m->K, sizeof *G));
	mat_mul_bt(m->C, m->E, G, m->K, m->d, m->K);
	for (int i = 0; i < m->K; i++)
		for (int j = 0; j < m->K; j++)
			err = max_nan(err, fabs(G[(size_t)i * m->K + j] - (i == j)));
	free(G);
	return err;
}

static double
row_norm(const double *x, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		s += x[i] * x[i];
	return sqrt(s);
}

static double
max_row_norm(const double *M, int rows, int cols)
{
	double m = 0;

	for (int i = 0; i < rows; i++)
		m = max_nan(m, row_norm(M + (size_t)i * cols, cols));
	return m;
}

/* The head tied to E and blind to the positions: with F the rows of E
 * projected off the span of the r_t, C = (F F^T)^{-1} F has C R^T = 0
 * and C E^T = C F^T = I. */
static int
retie(struct attn_model *m)
{
	int d = m->d, rank = 0, rc;
	double *Q, *F, scale = 0;

	if (!m->lmax)
		return tied_head(m);
	/* An orthonormal basis Q of the span of the r_t: Gram-Schmidt, twice.
	 * What is left of an r_t below 1e-6 of the largest is rounding (of
	 * weights stored in float32, say), not a direction of its own. */
	Q = xmalloc(checked_size((size_t)m->lmax * d, sizeof *Q));
	scale = max_row_norm(m->R, m->lmax, d);
	for (int t = 0; t < m->lmax; t++) {
		double *q = Q + (size_t)rank * d, norm = 0;

		memcpy(q, m->R + (size_t)t * d, (size_t)d * sizeof *q);
		for (int pass = 0; pass < 2; pass++)
			for (int b = 0; b < rank; b++) {
				const double *qb = Q + (size_t)b * d;
				double dot = 0;

				for (int l = 0; l < d; l++)
					dot += q[l] * qb[l];
				for (int l = 0; l < d; l++)
					q[l] -= dot * qb[l];
			}
		for (int l = 0; l < d; l++)
			norm += q[l] * q[l];
		norm = sqrt(norm);
		if (!(norm > 1e-6 * scale))
			continue;     /* r_t lies in the span already */
		for (int l = 0; l < d; l++)
			q[l] /= norm;
		rank++;
	}
	F = xmalloc(checked_size((size_t)m->K * d, sizeof *F));
	memcpy(F, m->E, (size_t)m->K * d * sizeof *F);
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < m->K; k++) {
			double *f = F + (size_t)k * d;

			for (int b = 0; b < rank; b++) {
				const double *qb = Q + (size_t)b * d;
				double dot = 0;

				for (int l = 0; l < d; l++)
					dot += f[l] * qb[l];
				for (int l = 0; l < d; l++)
					f[l] -= dot * qb[l];
			}
		}
	rc = tied_head_of(m, F);
	free(Q);
	free(F);
	return rc;
}

int
model_retie(struct attn_model *m)
{
	size_t n = (size_t)m->K * m->d;
	double *old = xmalloc(n * sizeof *old), before = model_head_error(m);
	json_t *r;

	if (!m->C) {
		free(old);
		return 0;      /* headless: no head to tie */
	}
	memcpy(old, m->C, n * sizeof *old);
	/* an E E^T singular to rounding may still invert, into a head far
	 * from tied (errors of 1e31): that is a failure too */
	if (retie(m) != 0 || !(model_head_error(m) <= m->tol)) {
		memcpy(m->C, old, n * sizeof *old);
		free(old);
		return -1;
	}
	m->head = HEAD_TIED;       /* the law of the head it now is */
	r = jpack("{s:o,s:o,s:o}", "tie_before", jreal(before), "tie_after",
	    jreal(model_head_error(m)), "max_change_C",
	    jreal(max_abs_diff(old, m->C, n)));
	free(old);
	if (!m->meta)
		m->meta = json_object();
	jset(m->meta, "retie", r);
	return 0;
}

int
model_law_ok(const struct attn_model *m, char *why, size_t whylen)
{
	double err, pos = 0;

	if (!m->C || m->head != HEAD_TIED)
		return 1;
	if (!((err = model_head_error(m)) <= m->tol)) {
		snprintf(why, whylen, "the output head is not tied to the "
		    "embeddings, max|C E^T - I| = %.3g > %.3g, so the forward pass "
		    "gives no probability vector " TIE_HINT, err, m->tol);
		return 0;
	}
	for (int t = 0; t < m->lmax; t++)
		for (int k = 0; k < m->K; k++) {
			const double *c = m->C + (size_t)k * m->d;
			const double *rt = m->R + (size_t)t * m->d;
			double cr = 0;

			for (int l = 0; l < m->d; l++)
				cr += c[l] * rt[l];
			pos = max_nan(pos, fabs(cr));
		}
	if (!(pos <= m->tol)) {
		snprintf(why, whylen, "positional encodings reach the output, "
		    "max|C r_t| = %.3g > %.3g, so the forward pass gives no "
		    "probability vector (\"head\": \"linear\" clamps it at 0)",
		    pos, m->tol);
		return 0;
	}
	return 1;
}

int
model_has_ccmc(const struct attn_model *m, char *why, size_t whylen)
{
	double err, tol, worst[3] = { 0, 0, 0 };
	int d = m->d;

	if (m->C && m->head == HEAD_SOFTMAX) {
		snprintf(why, whylen, "no exact CCMC: a softmax head, "
		    "softmax(C x_att), is not the attention itself");
		return 0;
	}
	if (!((err = model_head_error(m)) <= m->tol)) {
		snprintf(why, whylen, "no exact CCMC: the head is not tied to the "
		    "embeddings, max|C E^T - I| = %.3g > %.3g " TIE_HINT, err,
		    m->tol);
		return 0;
	}
	if (!m->lmax)
		return 1;
	/* The separation conditions (attn-ccmc(7)), relative to the sizes of the vectors. */
	tol = m->tol * max_nan(1, max_row_norm(m->E, m->K, d) *
	    max_row_norm(m->W, d, d) * sqrt(d) * max_row_norm(m->R, m->lmax, d));
	if (!isfinite(tol)) {
		snprintf(why, whylen, "no exact CCMC: the separation of tokens and "
		    "positions cannot be checked, |E| |W| |R| overflows");
		return 0;
	}
	for (int t = 0; t < m->lmax; t++) {
		const double *rt = m->R + (size_t)t * d, *rw = m->RW + (size_t)t * d;

		for (int k = 0; k < m->K; k++) {
			const double *c = m->C ? m->C + (size_t)k * d : rt;
			const double *e = m->E + (size_t)k * d;
			const double *ew = model_ew_row(m, k);
			double cr = 0, ewr = 0, rwe = 0;

			for (int l = 0; l < d; l++) {
				cr += c[l] * rt[l];
				ewr += ew[l] * rt[l];
				rwe += rw[l] * e[l];
			}
			worst[0] = max_nan(worst[0], fabs(cr));
			worst[1] = max_nan(worst[1], fabs(ewr));
			worst[2] = max_nan(worst[2], fabs(rwe));
		}
	}
	if (m->C && !(worst[0] <= m->tol)) {
		snprintf(why, whylen, "no exact CCMC: positional encodings reach the "
		    "output, max|C r_t| = %.3g > %.3g", worst[0], m->tol);
		return 0;
	}
	if (!(worst[1] <= tol) || !(worst[2] <= tol)) {
		snprintf(why, whylen, "no exact CCMC: tokens and positions interact "
		    "in the scores, max|e_i^T W r_t| = %.3g, max|r_t^T W e_j| = %.3g "
		    "(tolerance %.3g)", worst[1], worst[2], tol);
		return 0;
	}
	return 1;
}

size_t
model_work_size(const struct attn_model *m, int L)
{
	return 2 * (size_t)m->d + (size_t)L;
}

/* acc[i] += x . y[i] for DOTS rows at once.  Each sum runs over l in
 * order, as a lone dot product would, so the rounding is the same; the
 * independent sums only keep the adders busy. */
#define DOTS 8

static void
dots(double acc[DOTS], const double *x, const double *const y[DOTS], int d)
{
	double a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
	double a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];

	for (int l = 0; l < d; l++) {
		double xl = x[l];

		a0 += xl * y[0][l];
		a1 += xl * y[1][l];
		a2 += xl * y[2][l];
		a3 += xl * y[3][l];
		a4 += xl * y[4][l];
		a5 += xl * y[5][l];
		a6 += xl * y[6][l];
		a7 += xl * y[7][l];
	}
	acc[0] = a0;
	acc[1] = a1;
	acc[2] = a2;
	acc[3] = a3;
	acc[4] = a4;
	acc[5] = a5;
	acc[6] = a6;
	acc[7] = a7;
}

/* x += a[0] y[0], then a[1] y[1], ... a[n-1] y[n-1] (n <= DOTS), each
 * element updated in that order, as n separate passes would. */
static void
axpys(double *restrict x, const double *a, const double *const y[DOTS],
    int n, int d)
{
	if (n == DOTS) {
		for (int l = 0; l < d; l++)
			x[l] = x[l] + a[0] * y[0][l] + a[1] * y[1][l] +
			    a[2] * y[2][l] + a[3] * y[3][l] + a[4] * y[4][l] +
			    a[5] * y[5][l] + a[6] * y[6][l] + a[7] * y[7][l];
		return;
	}
	for (int i = 0; i < n; i++)
		for (int l = 0; l < d; l++)
			x[l] += a[i] * y[i][l];
}

/* The scores s_t = x_L^T W x_t of the L positions; u: d scratch. */
static void
attn_scores(const struct attn_model *m, const int *prompt, int L, double *u,
    double *s)
{
	int d = m->d;
	const double *ewq = model_ew_row(m, prompt[L - 1]);
	const double *rows[DOTS];

	/* u = x_L^T W, then s_t = u . x_t */
	for (int l = 0; l < d; l++)
		u[l] = ewq[l];
	if (m->R)
		for (int l = 0; l < d; l++)
			u[l] += m->RW[(size_t)(L - 1) * d + l];
	for (int t = 0; t < L; t += DOTS) {
		int n = L - t < DOTS ? L - t : DOTS;
		double acc[DOTS] = { 0 };

		for (int i = 0; i < DOTS; i++)
			rows[i] = m->E + (size_t)prompt[t + (i < n ? i : 0)] * d;
		dots(acc, u, rows, d);
		if (m->R) {
			for (int i = 0; i < DOTS; i++)
				rows[i] = m->R + (size_t)(t + (i < n ? i : 0)) * d;
			dots(acc, u, rows, d);
		}
		for (int i = 0; i < n; i++)
			s[t + i] = acc[i];
	}
}

int
attn_draw_headless(const struct attn_model *m, const int *prompt, int L,
    struct rng *r, double *work)
{
	double *s = work + 2 * m->d, max = -INFINITY, total = 0;

	attn_scores(m, prompt, L, work, s);
	for (int t = 0; t < L; t++)
		max = s[t] > max ? s[t] : max;
	for (int t = 0; t < L; t++)
		total += s[t] = exp(s[t] - max);
	return prompt[rng_categorical(r, s, L, total)];
}

void
attn_forward(const struct attn_model *m, const int *prompt, int L, double *p,
    double *work)
{
	int d = m->d;
	double *u = work, *xa = work + d, *s = work + 2 * d;
	const double *rows[DOTS];

	attn_scores(m, prompt, L, u, s);
	softmax(s, s, L);
	if (!m->C) {
		/* headless: the attention on each token's positions */
		memset(p, 0, (size_t)m->K * sizeof *p);
		for (int t = 0; t < L; t++)
			p[prompt[t]] += s[t];
		return;
	}
	/* xa = X^T alpha, summed over t in order; p = C xa */
	memset(xa, 0, (size_t)d * sizeof *xa);
	for (int t = 0; t < L; t += DOTS) {
		int n = L - t < DOTS ? L - t : DOTS;

		if (m->R) {
			/* e_{k_t} then r_t, position after position */
			for (int i = 0; i < n; i++) {
				const double *er[DOTS] = { m->E + (size_t)prompt[t + i] * d,
				    m->R + (size_t)(t + i) * d };
				double a[2] = { s[t + i], s[t + i] };

				axpys(xa, a, er, 2, d);
			}
			continue;
		}
		for (int i = 0; i < n; i++)
			rows[i] = m->E + (size_t)prompt[t + i] * d;
		axpys(xa, s + t, rows, n, d);
	}
	for (int k = 0; k < m->K; k += DOTS) {
		int n = m->K - k < DOTS ? m->K - k : DOTS;
		double acc[DOTS] = { 0 };

		for (int i = 0; i < DOTS; i++)
			rows[i] = m->C + (size_t)(k + (i < n ? i : 0)) * d;
		dots(acc, xa, rows, d);
		for (int i = 0; i < n; i++)
			p[k + i] = acc[i];
	}
}

static double
law_clamp(double *p, int K)
{
	/* two partial sums: half the latency of one */
	double total[2] = { 0, 0 };
	int k;

	for (k = 0; k + 1 < K; k += 2) {
		p[k] = p[k] > 0 ? p[k] : 0;
		p[k + 1] = p[k + 1] > 0 ? p[k + 1] : 0;
		total[0] += p[k];
		total[1] += p[k + 1];
	}
	if (k < K)
		total[0] += p[k] = p[k] > 0 ? p[k] : 0;
	return total[0] + total[1];
}

double
attn_law_weights(const struct attn_model *m, double *p)
{
	double max = -INFINITY, total = 0;

	if (m->head != HEAD_SOFTMAX || !m->C)
		return law_clamp(p, m->K);
	for (int k = 0; k < m->K; k++)
		max = p[k] > max ? p[k] : max;
	for (int k = 0; k < m->K; k++)
		total += p[k] = exp(p[k] - max);
	return total;
}

void
attn_law(const struct attn_model *m, const int *prompt, int L, double *p,
    double *work)
{
	double total;

	attn_forward(m, prompt, L, p, work);
	total = attn_law_weights(m, p);
	for (int k = 0; k < m->K; k++)
		p[k] /= total;
}

/* G by rows of GT, its nonzero entries only, if they are few (at most a
 * quarter): then a product costs what the entries do. */
static void
sparse_init(struct attn_grouped *g)
{
	size_t K = (size_t)g->K, nz = 0, e = 0;

	for (size_t i = 0; i < K * K; i++)
		nz += g->GT[i] != 0;
	if (nz > K * K / 4)
		return;
	g->start = xmalloc((K + 1) * sizeof *g->start);
	g->col = xmalloc((nz ? nz : 1) * sizeof *g->col);
	g->val = xmalloc((nz ? nz : 1) * sizeof *g->val);
	for (size_t k = 0; k < K; k++) {
		g->start[k] = (int)e;
		for (size_t j = 0; j < K; j++)
			if (g->GT[k * K + j] != 0) {
				g->col[e] = (int)j;
				g->val[e++] = g->GT[k * K + j];
			}
	}
	g->start[K] = (int)e;
}

int
grouped_init(struct attn_grouped *g, const struct attn_model *m)
{
	int K = m->K;
	double *G;

	memset(g, 0, sizeof *g);
	/* softmax: p must be C x_att itself, not a multiple */
	if (m->R || K > GROUPED_MAX_K || (m->C && m->head == HEAD_SOFTMAX))
		return -1;
	g->K = K;
	g->S = xmalloc((size_t)K * K * sizeof *g->S);
	g->GT = xmalloc((size_t)K * K * sizeof *g->GT);
	G = xmalloc((size_t)K * K * sizeof *G);
	mat_mul_bt(m->EW, m->E, g->S, K, m->d, K);
	if (m->C)
		mat_mul_bt(m->C, m->E, G, K, m->d, K);
	else            /* headless: the attended token itself, G = I */
		for (size_t i = 0; i < (size_t)K * K; i++)
			G[i] = i % ((size_t)K + 1) == 0;
	for (int j = 0; j < K; j++)
		for (int k = 0; k < K; k++)
			g->GT[(size_t)k * K + j] = G[(size_t)j * K + k];
	free(G);
	sparse_init(g);
	g->X = xmalloc((size_t)K * K * sizeof *g->X);
	for (int q = 0; q < K; q++) {
		const double *s = g->S + (size_t)q * K;
		double max = -INFINITY;

		for (int k = 0; k < K; k++)
			max = s[k] > max ? s[k] : max;
		for (int k = 0; k < K; k++)
			g->X[(size_t)q * K + k] = exp(s[k] - max);
	}
	g->w = xmalloc((size_t)K * sizeof *g->w);
	g->count = xcalloc((size_t)K, sizeof *g->count);
	g->tok = xmalloc(((size_t)K + 1) * sizeof *g->tok);   /* one past */
	return 0;
}

void
grouped_free(struct attn_grouped *g)
{
	free(g->S);
	free(g->GT);
	free(g->X);
	free(g->start);
	free(g->col);
	free(g->val);
	free(g->w);
	free(g->count);
	free(g->tok);
	memset(g, 0, sizeof *g);
}

/* alpha summed over the positions of each token, up to their total (the
 * caller normalises p once instead of n divisions): the weights from the
 * table exp(S - row max), unless every present token's entry underflowed
 * or lost digits that matter (their total below 1e-200; an entry below
 * DBL_MIN is then less than 1e-108 of it), when the sample's own largest
 * score is subtracted instead. */
static int
grouped_alpha(struct attn_grouped *g, const int *prompt, int L)
{
	int K = g->K, n = 0, q = prompt[L - 1];
	const double *x = g->X + (size_t)q * K;
	double z = 0, *a = g->w;

	/* no branch on whether a token is new: it is as likely as not */
	for (int t = 0; t < L; t++) {
		g->tok[n] = prompt[t];
		n += g->count[prompt[t]]++ == 0;
	}
	for (int i = 0; i < n; i++)
		z += a[i] = g->count[g->tok[i]] * x[g->tok[i]];
	if (!(z >= 1e-200)) {
		const double *s = g->S + (size_t)q * K;
		double max = -INFINITY;

		for (int i = 0; i < n; i++)
			max = s[g->tok[i]] > max ? s[g->tok[i]] : max;
		z = 0;
		for (int i = 0; i < n; i++)
			z += a[i] = g->count[g->tok[i]] * exp(s[g->tok[i]] - max);
	}
	for (int i = 0; i < n; i++)
		g->count[g->tok[i]] = 0;
	return n;
}

/* p = G alpha, from G's nonzero entries (one-hot embeddings: G = I). */
static void
sparse_product(const struct attn_grouped *g, int n, double *p)
{
	memset(p, 0, (size_t)g->K * sizeof *p);
	for (int i = 0; i < n; i++) {
		int k = g->tok[i];
		double ai = g->w[i];

		for (int e = g->start[k]; e < g->start[k + 1]; e++)
			p[g->col[e]] += ai * g->val[e];
	}
}

/* p = G alpha, eight entries of p at a time in registers, two tokens at a
 * time into separate sums (the additions need not wait on each other). */
static void
dense_product(const struct attn_grouped *g, int n, double *p)
{
	int K = g->K, j;
	const double *a = g->w;

	for (j = 0; j + 8 <= K; j += 8) {
		double u[8] = { 0 }, v[8] = { 0 };
		int i;

		for (i = 0; i + 1 < n; i += 2) {
			const double *c = g->GT + (size_t)g->tok[i] * K + j;
			const double *d = g->GT + (size_t)g->tok[i + 1] * K + j;

			for (int l = 0; l < 8; l++) {
				u[l] += a[i] * c[l];
				v[l] += a[i + 1] * d[l];
			}
		}
		if (i < n)
			for (int l = 0; l < 8; l++)
				u[l] += a[i] * g->GT[(size_t)g->tok[i] * K + j + l];
		for (int l = 0; l < 8; l++)
			p[j + l] = u[l] + v[l];
	}
	for (; j < K; j++) {
		double pj = 0;

		for (int i = 0; i < n; i++)
			pj += a[i] * g->GT[(size_t)g->tok[i] * K + j];
		p[j] = pj;
	}
}

void
grouped_forward(struct attn_grouped *g, const int *prompt, int L, double *p)
{
	int n = grouped_alpha(g, prompt, L);

	if (g->start)
		sparse_product(g, n, p);
	else
		dense_product(g, n, p);
}
