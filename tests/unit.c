/*
 * unit: checks of lib/ that the bats suites call, each printing numbers the
 * suite compares against its thresholds.
 *
 *   unit vectors FILE          max |p - forward| and |p - ccmc| over the
 *                              "vector" records after each attn-model
 *   unit theorem FILE N SEED   forward pass against CCMC formula on N random
 *                              prompts of random lengths: max abs difference
 *   unit rng SEED N            moments of the generator's draws
 *   unit chain FILE            classes and stationary law of a ccmc's P
 *   unit longrun FILE          long-run law of a ccmc's P from the uniform law
 *   unit draws SEED N          chi-square statistics of rng_fill_below
 *                              (pairs of draws from one word) and
 *                              rng_pick, and whether an item's bytes are
 *                              the same however it is reached
 *   unit partial N             a record, then one of N numbers and a NaN:
 *                              must die leaving only the first on stdout
 *   unit format SEED N         format_double against printf's %.15g,
 *                              %.16g, %.17g (the first that reads back) on
 *                              N doubles of every kind: mismatches
 *   unit grow SEED N           chi-square statistics of N next tokens of
 *                              a trajectory held at one context, against
 *                              ccmc_probs: tables made from the counts
 *                              plus tokens since, a token new to the
 *                              context (background), P that underflows
 *   unit decay FILE SEED N     the same for a model with position weights
 *                              rho^(L - t): "decay off" if the generator
 *                              weighs the context directly instead; max
 *                              relative gap of the updated weighted counts
 *                              to the sums of the weights; chi-square of
 *                              N next tokens against ccmc_probs
 *   unit flood                 probes of the vocabulary and the n-gram
 *                              set on 2^15 keys aimed at one slot of
 *                              their former hashes (FNV-1a, multiplicative)
 *   unit longline N            a record, then one of N bytes: must die
 *                              leaving the first alone when N is more than
 *                              a reader takes (MAX_LINE_BYTES)
 *   unit cut FILE              writes FILE, reads its first line, cuts it
 *                              to nothing and reads on: must exit 1 with
 *                              one line "unit: FILE:2: read error: ..."
 *   unit dtypes DIR            weights_write's answer to each dtype, with
 *                              and without WEIGHTS_DEFLATE, into DIR/w.npz
 *                              and DIR/w.safetensors: -2 for none of
 *                              enum wdtype, the file not even created
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccmc.h"
#include "chain.h"
#include "generate.h"
#include "hash.h"
#include "model.h"
#include "rng.h"
#include "stream.h"
#include "trajstats.h"
#include "util.h"
#include "vocab.h"
#include "weights.h"

static void
load(struct input *in, json_t *rec, struct attn_model *m, struct ccmc *c)
{
	char why[256];

	model_parse(in, rec, m);
	if (ccmc_from_model(m, c, why, sizeof why) != 0)
		input_fail(in, "%s", why);
}

static int
vectors(char *file)
{
	struct input in;
	struct attn_model m = { 0 };
	struct ccmc c = { 0 };
	json_t *rec;
	double fwd = 0, cc = 0, *p = NULL, *q = NULL, *work = NULL;
	int nvec = 0;

	input_open(&in, 1, &file);
	while ((rec = input_record(&in))) {
		if (strcmp(record_type(rec), "attn-model") == 0) {
			if (m.K) {
				model_free(&m);
				ccmc_free(&c);
			}
			load(&in, rec, &m, &c);
			p = xrealloc(p, (size_t)m.K * sizeof *p);
			q = xrealloc(q, (size_t)m.K * sizeof *q);
			work = xrealloc(work, model_work_size(&m, MAX_LMAX) *
			    sizeof *work + (size_t)m.K * sizeof *work);
		} else if (strcmp(record_type(rec), "vector") == 0) {
			int L, *t = field_tokens(&in, rec, "prompt", m.K, NULL, &L);
			json_t *row = json_pack("{s:[O]}", "p", field_get(&in, rec, "p"));
			double *want = field_matrix(&in, row, "p", 1, m.K, 0);

			json_decref(row);

			attn_forward(&m, t, L, p, work);
			ccmc_probs(&c, t, L, q, work);
			for (int j = 0; j < m.K; j++) {
				fwd = fmax(fwd, fabs(p[j] - want[j]));
				cc = fmax(cc, fabs(q[j] - want[j]));
			}
			nvec++;
			free(t);
			free(want);
		}
		json_decref(rec);
	}
	printf("vectors %d forward %.3g ccmc %.3g\n", nvec, fwd, cc);
	model_free(&m);
	ccmc_free(&c);
	free(p);
	free(q);
	free(work);
	input_close(&in);
	return 0;
}

static int
theorem(char *file, long n, uint64_t seed)
{
	struct input in;
	struct attn_model m;
	struct ccmc c;
	json_t *rec;
	struct rng r;
	double worst = 0, *p, *q, *work;
	int lmax, *t;

	input_open(&in, 1, &file);
	if (!(rec = input_record(&in)))
		die(EXIT_DATA, "%s: no model", file);
	load(&in, rec, &m, &c);
	lmax = m.lmax ? m.lmax : 64;
	p = xmalloc((size_t)m.K * sizeof *p);
	q = xmalloc((size_t)m.K * sizeof *q);
	work = xmalloc((model_work_size(&m, lmax) + (size_t)m.K) * sizeof *work);
	t = xmalloc((size_t)lmax * sizeof *t);
	rng_init(&r, seed, "unit", 0);
	for (long s = 0; s < n; s++) {
		int L = 1 + (int)rng_below(&r, (uint32_t)lmax);
		/* few distinct tokens make repeated tokens, which the counts see */
		int span = 1 + (int)rng_below(&r, (uint32_t)m.K);

		for (int i = 0; i < L; i++)
			t[i] = (int)rng_below(&r, (uint32_t)span);
		attn_forward(&m, t, L, p, work);
		ccmc_probs(&c, t, L, q, work);
		for (int j = 0; j < m.K; j++)
			worst = fmax(worst, fabs(p[j] - q[j]));
	}
	printf("prompts %ld maxdiff %.3g\n", n, worst);
	model_free(&m);
	ccmc_free(&c);
	json_decref(rec);
	free(p);
	free(q);
	free(work);
	free(t);
	input_close(&in);
	return 0;
}

static int
rng_moments(uint64_t seed, long n)
{
	struct rng r;
	double su = 0, su2 = 0, sg = 0, sg2 = 0, sg4 = 0;
	long below[7] = { 0 };

	rng_init(&r, seed, "unit", 0);
	for (long i = 0; i < n; i++) {
		double u = rng_uniform(&r), g = rng_gauss(&r);

		su += u;
		su2 += u * u;
		sg += g;
		sg2 += g * g;
		sg4 += g * g * g * g;
		below[rng_below(&r, 7)]++;
	}
	printf("umean %.6f uvar %.6f gmean %.6f gvar %.6f gkurt %.6f", su / n,
	    su2 / n - (su / n) * (su / n), sg / n, sg2 / n, sg4 / n);
	{
		double chi = 0, e = n / 7.0;

		for (int k = 0; k < 7; k++)
			chi += (below[k] - e) * (below[k] - e) / e;
		printf(" chi2_6 %.4f\n", chi);
	}
	return 0;
}

static int
chain(char *file)
{
	struct input in;
	struct ccmc c;
	json_t *rec;
	int *class, *closed, n, nclosed = 0;
	double *pi;

	input_open(&in, 1, &file);
	if (!(rec = input_record(&in)))
		die(EXIT_DATA, "%s: no ccmc", file);
	ccmc_parse(&in, rec, &c);
	class = xmalloc((size_t)c.K * sizeof *class);
	closed = xmalloc((size_t)c.K * sizeof *closed);
	pi = xmalloc((size_t)c.K * sizeof *pi);
	n = chain_classes(c.P, c.K, class, closed);
	for (int k = 0; k < n; k++)
		nclosed += closed[k];
	printf("classes %d closed %d stationary", n, nclosed);
	for (int k = 0; k < n; k++)
		if (closed[k]) {
			chain_stationary(c.P, c.K, class, k, pi);
			for (int i = 0; i < c.K; i++)
				printf(" %.12g", pi[i]);
		}
	printf("\n");
	free(class);
	free(closed);
	free(pi);
	ccmc_free(&c);
	json_decref(rec);
	input_close(&in);
	return 0;
}

/* "below n cells stat": consecutive draws (j, j+1) of count per call,
 * pooled over the N calls, against the uniform law on n^2 pairs. */
static void
below_pairs(struct rng *r, uint32_t n, int count, long N)
{
	long *cell = xcalloc((size_t)n * n, sizeof *cell), pairs = 0;
	int *t = xmalloc((size_t)count * sizeof *t);
	double chi = 0, e;

	for (long s = 0; s < N; s++) {
		rng_fill_below(r, n, t, count);
		for (int j = 0; j + 1 < count; j++) {
			if (t[j] < 0 || (uint32_t)t[j] >= n || t[j + 1] < 0 ||
			    (uint32_t)t[j + 1] >= n) {
				printf("below %u out of range\n", n);
				return;
			}
			cell[(size_t)t[j] * n + (size_t)t[j + 1]]++;
			pairs++;
		}
	}
	e = (double)pairs / ((double)n * n);
	for (size_t c = 0; c < (size_t)n * n; c++)
		chi += (cell[c] - e) * (cell[c] - e) / e;
	printf("below %u %lu %.4f\n", n, (unsigned long)n * n, chi);
	free(cell);
	free(t);
}

/* "pick cells stat": rng_pick on weights with zeros among them. */
static void
pick(struct rng *r, long N)
{
	static const double w[19] = { 0, 1, 2, 0, 3, 0.5, 4, 0, 0, 1, 1, 2, 7,
	    0, 0, 0, 3, 0.25, 0 };
	double c[19], total, sum = 0, chi = 0;
	long count[19] = { 0 };
	int cells = 0;

	for (int t = 0; t < 19; t++)
		sum += w[t];
	for (long s = 0; s < N; s++) {
		memcpy(c, w, sizeof c);
		total = rng_blocksum(c, 19);
		count[rng_pick(r, c, 19, total)]++;
	}
	for (int t = 0; t < 19; t++) {
		double e = N * w[t] / sum;

		if (w[t] == 0) {
			if (count[t]) {
				printf("pick drew a zero weight\n");
				return;
			}
			continue;
		}
		chi += (count[t] - e) * (count[t] - e) / e;
		cells++;
	}
	printf("pick %d %.4f\n", cells, chi);
}

/* "items same" if item i's bytes do not depend on the items drawn before
 * it, and past its share continue as stream i. */
static void
items(uint64_t seed)
{
	struct rng a, b;
	uint64_t x[40], y[40];
	int same = 1;

	rng_init(&a, seed, "unit", 0);
	rng_init(&b, seed, "unit", 0);
	rng_items(&a, 2);
	rng_items(&b, 2);
	for (uint64_t i = 0; i < 600; i++) {
		rng_item(&a, i);
		(void)rng_u64(&a);
	}
	rng_item(&a, 1000);
	rng_item(&b, 1000);
	for (int j = 0; j < 40; j++) {
		x[j] = rng_u64(&a);
		y[j] = rng_u64(&b);
	}
	rng_stream(&b, 1000);
	for (int j = 16; j < 40; j++)   /* 128 bytes of share, then stream */
		same &= x[j] == rng_u64(&b);
	for (int j = 0; j < 40; j++)
		same &= x[j] == y[j];
	printf("items %s\n", same ? "same" : "differ");
}

static int
draws(uint64_t seed, long N)
{
	struct rng r;

	rng_init(&r, seed, "unit", 0);
	below_pairs(&r, 7, 40, N);
	below_pairs(&r, 64, 32, N);
	below_pairs(&r, 100, 7, N);
	below_pairs(&r, 3, 40, N);
	pick(&r, N);
	items(seed);
	return 0;
}

static int
longrun(char *file)
{
	struct input in;
	struct ccmc c;
	json_t *rec;
	double *f, *pi;
	int rc;

	input_open(&in, 1, &file);
	if (!(rec = input_record(&in)))
		die(EXIT_DATA, "%s: no ccmc", file);
	ccmc_parse(&in, rec, &c);
	f = xmalloc(2 * (size_t)c.K * sizeof *f);
	pi = f + c.K;
	for (int i = 0; i < c.K; i++)
		f[i] = 1.0 / c.K;
	rc = chain_long_run(c.P, c.K, f, pi);
	printf("status %d law", rc);
	for (int i = 0; i < c.K; i++)
		printf(" %.17g", pi[i]);
	printf("\n");
	free(f);
	ccmc_free(&c);
	json_decref(rec);
	input_close(&in);
	return 0;
}

static int
partial(long n)
{
	out_str("{\"type\":\"x\"}");
	out_end();
	out_str("{\"type\":\"x\",\"v\":[");
	for (long i = 0; i < n; i++) {
		out_long(i);
		out_char(',');
	}
	out_double(NAN);
	out_end();
	return 0;
}

/* A record, then one of n bytes (without its newline): must die leaving
 * the first alone when a reader would refuse the second's line. */
static int
longline(long n)
{
	static char fill[1 << 16];

	out_str("{\"type\":\"x\"}");
	out_end();
	out_str("{\"type\":\"x\",\"v\":\"");
	memset(fill, 'x', sizeof fill);
	for (n -= 19; n > 0; n -= (long)sizeof fill)
		out_raw(fill, n < (long)sizeof fill ? (size_t)n : sizeof fill);
	out_str("\"}");
	out_end();
	return 0;
}

/* The shortest %.Ng that reads back, as a JSON real: N from 15 for a
 * normal double (DBL_DIG digits, trailing zeros dropped, are as short as
 * any that read back), from 1 for a subnormal (5e-324). */
static void
format_by_printf(char *buf, double v)
{
	int n = 0;

	if (v == 0) {
		strcpy(buf, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		n = snprintf(buf, 40, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strpbrk(buf, ".e"))
		strcpy(buf + n, ".0");
}

/* Random bit patterns, uniform and log-uniform values, integers, short
 * decimals and their neighbours (where 15 or 16 digits are just enough,
 * and the 17th or 16th and 17th digits are 5 or 50), and subnormals. */
static int
format_check(uint64_t seed, long n)
{
	struct rng r;
	long bad = 0, kinds[6] = { 0 };

	rng_init(&r, seed, "format", 0);
	for (long i = 0; i < n; i++) {
		char want[40], got[40];
		int kind = (int)(i % 6);
		uint64_t u = rng_u64(&r);
		double v;

		switch (kind) {
		case 0:
			memcpy(&v, &u, sizeof v);
			break;
		case 1:
			v = rng_uniform(&r) * pow(10, (double)(u % 40) - 20);
			break;
		case 2:
			v = (double)(int64_t)(u >> (u % 64));
			break;
		case 3:             /* a short decimal, one ulp either side */
			v = (double)(u % 100000000) * pow(10, -(double)(u >> 58));
			v = nextafter(v, (u >> 57) & 1 ? INFINITY : -INFINITY);
			break;
		case 4:             /* 17 digits ending in 5 or 50 */
			snprintf(want, sizeof want, "%.16e", rng_uniform(&r) + 1);
			want[17] = '5';
			if (u & 1)
				want[16] = '5', want[17] = '0';
			v = strtod(want, NULL);
			break;
		default:
			v = ldexp((double)(u >> 12), -1074 + (int)(u % 60));
			break;
		}
		if (!isfinite(v))
			continue;
		kinds[kind]++;
		format_by_printf(want, v);
		format_double(got, v);
		if (strcmp(want, got) != 0 && bad++ < 5)
			fprintf(stderr, "unit: %.17g: printf %s, format_double %s\n",
			    v, want, got);
	}
	printf("%ld %ld %ld %ld %ld %ld %ld\n", bad, kinds[0], kinds[1],
	    kinds[2], kinds[3], kinds[4], kinds[5]);
	return 0;
}

/*
 * "grow NAME cells stat", or "grow NAME stale" if the query's tables were
 * not those made before the tokens `more` (so that the draws would not
 * test them).  The trajectory starts at the prompt; draws (not appended)
 * make the query row's tables; `fresh` is appended and tables made again;
 * then `more`, which ends in the query too (nmore 0: as many as the tables
 * allow for, the last step before they lapse, cycling through `more`).
 * N draws at that context are compared with (1 - mix) ccmc_probs + mix u.
 */
static void
grow_case(const char *name, struct ccmc *c, const int *prompt, int L,
    const int *fresh, int nfresh, const int *more, int nmore,
    const double *u, double mix, struct rng *r, long N)
{
	struct generator g;
	char why[256];
	int K = c->K, len, *ctx, *add = NULL, a, cells = 0;
	long *count = xcalloc((size_t)K, sizeof *count);
	double *p = xmalloc(2 * (size_t)K * sizeof *p), chi = 0;

	if (gen_init(&g, GEN_CCMC, NULL, c, 0, why, sizeof why) != 0)
		die(EXIT_FAIL, "%s", why);
	if (u)
		gen_mix(&g, u, mix);
	gen_start(&g, prompt, L);
	for (int s = 0; s < 100; s++)
		(void)gen_draw(&g, r);
	for (int t = 0; t < nfresh; t++)
		gen_append(&g, fresh[t]);
	for (int s = 0; s < 100; s++)
		(void)gen_draw(&g, r);
	a = g.ctx.slot[g.query];
	add = xmalloc((size_t)(g.row[a].cap + 1) * sizeof *add);
	if (!nmore) {
		nmore = g.row[a].cap - 1;
		for (int t = 0; t < nmore; t++)
			add[t] = more[t % 9];
		add[nmore - 1] = g.query;
	} else
		memcpy(add, more, (size_t)nmore * sizeof *add);
	for (int t = 0; t < nmore; t++)
		gen_append(&g, add[t]);
	len = L + nfresh + nmore;
	a = g.ctx.slot[g.query];
	if (g.row[a].gen != g.present_gen || g.row[a].since != len - nmore ||
	    g.row[a].until <= len) {
		printf("grow %s stale\n", name);
		goto out;
	}
	for (long s = 0; s < N; s++)
		count[gen_draw(&g, r)]++;
	ctx = xmalloc((size_t)len * sizeof *ctx);
	memcpy(ctx, prompt, (size_t)L * sizeof *ctx);
	if (nfresh)
		memcpy(ctx + L, fresh, (size_t)nfresh * sizeof *ctx);
	memcpy(ctx + L + nfresh, add, (size_t)nmore * sizeof *ctx);
	ccmc_probs(c, ctx, len, p, p + K);
	for (int k = 0; k < K; k++) {
		double e = N * ((1 - mix) * p[k] + (u ? mix * u[k] : 0));

		if (e == 0) {
			if (count[k]) {
				printf("grow %s drew an impossible token\n", name);
				goto out;
			}
			continue;
		}
		chi += (count[k] - e) * (count[k] - e) / e;
		cells++;
	}
	printf("grow %s %d %.4f\n", name, cells, chi);
	free(ctx);
out:
	free(add);
	gen_free(&g);
	free(count);
	free(p);
}

static int
grow(uint64_t seed, long N)
{
	static const double P5[25] = {
		0.30, 0.10, 0.20, 0.15, 0.25,
		0.05, 0.50, 0.15, 0.10, 0.20,
		0.20, 0.20, 0.20, 0.20, 0.20,
		0.40, 0.05, 0.05, 0.10, 0.40,
		0.10, 0.30, 0.25, 0.05, 0.30 };
	static const double u5[5] = { 0.1, 0.2, 0.3, 0.1, 0.3 };
	/* row 1: token 0 takes all of P; 1, 2, 3 underflow to 0 */
	static const double A4[16] = {
		0, 0.5, 1, 1.5,
		1000, 0, -0.5, -1.25,
		0, 0, 0, 0,
		1, 0, 0, 2 };
	static const int more[] = { 4, 4, 3, 4, 0, 4, 2, 4, 4, 1 },
	    fresh[] = { 4, 1 }, more4[] = { 3, 3, 2, 1, 3, 1 };
	int prompt[400];
	struct ccmc c = { 0 };
	struct rng r;
	double A5[25];

	rng_init(&r, seed, "unit", 0);
	/* token 4 rare in the prompt, so the tokens since weigh */
	for (int t = 0; t < 400; t++)
		prompt[t] = t % 97 == 0 ? 4 : (int)rng_below(&r, 4);
	prompt[399] = 1;
	for (int k = 0; k < 25; k++)
		A5[k] = log(P5[k]);
	c.K = 5;
	ccmc_set_logits(&c, A5);
	grow_case("since", &c, prompt, 400, NULL, 0, more, 10, NULL, 0, &r, N);
	grow_case("full", &c, prompt, 400, NULL, 0, more, 0, NULL, 0, &r, N);
	/* the same, the query 1 last */
	for (int t = 0; t < 400; t++)
		prompt[t] = prompt[t] == 4 ? 0 : prompt[t];
	prompt[399] = 1;
	grow_case("fresh", &c, prompt, 400, fresh, 2, more, 10, u5, 0.25, &r,
	    N);
	ccmc_free(&c);
	c.K = 4;
	for (int t = 0; t < 400; t++)
		prompt[t] = 1 + t % 3;
	prompt[399] = 1;
	ccmc_set_logits(&c, A4);
	grow_case("underflow", &c, prompt, 400, NULL, 0, more4, 6, NULL, 0, &r,
	    N);
	ccmc_free(&c);
	return 0;
}

static int
decay(char *file, uint64_t seed, long N)
{
	struct input in;
	struct attn_model m = { 0 };
	struct ccmc c = { 0 };
	struct generator g;
	struct rng r;
	json_t *rec;
	char why[256];
	int ctx[200], L = 0, cells = 0;
	long *count;
	double *p, gap = 0, chi = 0;

	input_open(&in, 1, &file);
	if (!(rec = input_record(&in)))
		die(EXIT_DATA, "%s: no model", file);
	load(&in, rec, &m, &c);
	if (gen_init(&g, GEN_CCMC, NULL, &c, 0, why, sizeof why) != 0)
		die(EXIT_FAIL, "%s", why);
	if (!g.decaying) {
		printf("decay off\n");
		goto out;
	}
	count = xcalloc((size_t)c.K, sizeof *count);
	p = xmalloc(2 * (size_t)c.K * sizeof *p);
	rng_init(&r, seed, "unit", 0);
	/* 150 steps from 10 tokens below K - 1: K - 1 cannot occur */
	for (; L < 10; L++)
		ctx[L] = (int)rng_below(&r, (uint32_t)c.K - 1);
	gen_start(&g, ctx, L);
	for (; L < 160 && L < c.lmax; L++)
		gen_append(&g, ctx[L] = gen_draw(&g, &r));
	for (int s = 0; s < g.ctx.npresent; s++) {
		double direct = 0;

		for (int t = 0; t < L; t++)
			if (ctx[t] == g.ctx.present[s])
				direct += c.posw[(size_t)(L - 1) * c.lmax + t];
		gap = fmax(gap, fabs(g.wpos[s] - direct) / direct);
	}
	for (long s = 0; s < N; s++)
		count[gen_draw(&g, &r)]++;
	ccmc_probs(&c, ctx, L, p, p + c.K);
	for (int k = 0; k < c.K; k++) {
		double e = N * p[k];

		if (e == 0) {
			if (count[k])
				printf("decay drew an impossible token\n");
			continue;
		}
		chi += (count[k] - e) * (count[k] - e) / e;
		cells++;
	}
	printf("decay %.3g %d %.4f\n", gap, cells, chi);
	free(count);
	free(p);
out:
	gen_free(&g);
	model_free(&m);
	ccmc_free(&c);
	json_decref(rec);
	input_close(&in);
	return 0;
}

/* ---- hash flooding ---- */

/* FNV-1a 64, the vocabulary's former hash, to aim keys at one slot. */
static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Two 4-letter blocks that take FNV-1a's state h to states equal in their
 * low 20 bits (which alone decide the low 20 bits of what follows), by
 * the birthday paradox over 2^18 candidates. */
static void
fnv_pair(uint64_t h, char pair[2][5])
{
	enum { N = 1 << 18 };
	static uint64_t cand[N];
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	for (uint64_t i = 0; i < N; i++) {
		uint64_t s = h;

		for (int k = 0; k < 4; k++)
			s = (s ^ (unsigned char)abc[i / (uint64_t)pow(36, k) % 36]) *
			    1099511628211ULL;
		cand[i] = (s & 0xfffffULL) << 32 | i;
	}
	qsort(cand, N, sizeof *cand, cmp_u64);
	for (long i = 1; i < N; i++)
		if (cand[i] >> 32 == cand[i - 1] >> 32) {
			for (int j = 0; j < 2; j++) {
				uint64_t x = cand[i - j] & 0xffffffffULL;

				for (int k = 0; k < 4; k++, x /= 36)
					pair[j][k] = abc[x % 36];
				pair[j][4] = '\0';
			}
			return;
		}
	die(EXIT_FAIL, "no FNV-1a collision among the candidates");
}

/* 2^bits words equal under FNV-1a in their low 20 bits: one of two blocks
 * at each of bits places.  Their hashes fall in one slot of any table of
 * up to 2^20 slots indexed by the low bits, as the vocabulary's was. */
static char **
fnv_flood(int bits)
{
	char pairs[32][2][5], **w = xmalloc(sizeof *w << bits);
	uint64_t h = 1469598103934665603ULL;

	for (int b = 0; b < bits; b++) {
		fnv_pair(h, pairs[b]);
		for (int k = 0; k < 4; k++)
			h = (h ^ (unsigned char)pairs[b][0][k]) * 1099511628211ULL;
	}
	for (long i = 0; i < 1L << bits; i++) {
		w[i] = xcalloc((size_t)bits * 4 + 1, 1);
		for (int b = 0; b < bits; b++)
			memcpy(w[i] + 4 * b, pairs[b][i >> b & 1], 4);
	}
	return w;
}

/* Probes of a vocabulary fed 2^15 words that all collide under FNV-1a, and
 * of the distinct 4-grams of 2^15 4-grams whose numbers collide under the
 * n-gram set's former multiplicative hash: "flood" with the probes past
 * the first per key, or "flooded" when they grow like the square of the
 * keys (stopped early); the distinct 4-grams against a count by sorting. */
static int
flood(void)
{
	enum { BITS = 15, NSYM = 2048 };
	const uint64_t G = 0x9e3779b97f4a7c15ULL;
	long n = 1L << BITS, T = 4 * n, distinct = 0;
	char **w = fnv_flood(BITS);
	struct vocab *v = vocab_new(INT32_MAX);
	uint64_t ginv = G, *codes = xmalloc((size_t)n * sizeof *codes);
	int *y = xmalloc((size_t)T * sizeof *y), st = 0;
	double seq[TS_NGRAMS], dist[TS_NGRAMS], rep[TS_NREP];
	unsigned long vprobes;

	for (long i = 1; i < n; i++)
		if ((fnv1a(w[i]) ^ fnv1a(w[0])) & 0xfffffULL)
			die(EXIT_FAIL, "the FNV-1a words do not collide");
	v->grow = 1;
	hash_probes = 0;
	for (long i = 0; i < n && !st; i++) {
		vocab_add(v, w[i]);
		st = hash_probes > 8 * (unsigned long)(i + 1) + 1000;
	}
	vprobes = hash_probes;
	printf("vocab %d words %lu probes%s\n", v->n, vprobes,
	    st ? " flooded" : "");
	/* 4-grams numbered y0 NSYM^3 + y1 NSYM^2 + y2 NSYM + y3 = c, with
	 * (c + 1) G = i mod 2^40: bits 20 and up of (c + 1) G are 0 */
	for (int k = 0; k < 5; k++)        /* G^-1 mod 2^64 by Newton */
		ginv *= 2 - G * ginv;
	for (long i = 0; i < n; i++) {
		uint64_t c = ((uint64_t)(i + 1) * ginv & ((1ULL << 40) - 1)) - 1;

		codes[i] = c;
		for (int k = 3; k >= 0; k--, c /= NSYM)
			y[4 * i + k] = (int)(c % NSYM);
	}
	qsort(codes, (size_t)n, sizeof *codes, cmp_u64);
	hash_probes = 0;
	ts_repetition(y, T, NSYM, seq, dist, rep);
	printf("ngrams %ld 4-grams %lu probes%s\n", n, hash_probes,
	    hash_probes > 8 * (unsigned long)T ? " flooded" : "");
	/* the 4-grams at 4i are the codes; the others, counted by brute force */
	{
		uint64_t *all = xmalloc((size_t)(T - 3) * sizeof *all);

		for (long s = 0; s + 3 < T; s++)
			all[s] = (((uint64_t)y[s] * NSYM + (uint64_t)y[s + 1]) * NSYM +
			    (uint64_t)y[s + 2]) * NSYM + (uint64_t)y[s + 3];
		qsort(all, (size_t)(T - 3), sizeof *all, cmp_u64);
		for (long s = 0; s < T - 3; s++)
			distinct += !s || all[s] != all[s - 1];
		free(all);
	}
	printf("distinct %.0f brute %ld\n", dist[3] * (double)(T - 3), distinct);
	for (long i = 0; i < n; i++)
		free(w[i]);
	free(w);
	free(codes);
	free(y);
	vocab_free(v);
	return 0;
}

/* A file of 1000 records mapped by the reader, cut to nothing by another
 * program (truncate) after its first line: reading on must end in one
 * error line naming the file and line 2 and exit 1, not in SIGBUS. */
static int
cut(char *file)
{
	struct input in;
	FILE *f = fopen(file, "w");
	char *files[] = { file };

	if (!f)
		die(EXIT_FAIL, "%s: cannot write", file);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "{\"type\":\"x\",\"i\":%d,\"pad\":\"%0100d\"}\n", i, i);
	if (fclose(f) != 0)
		die(EXIT_FAIL, "%s: cannot write", file);
	input_open(&in, 1, files);
	if (!input_line(&in))
		die(EXIT_FAIL, "%s: no first line", file);
	if (truncate(file, 0) != 0)
		die(EXIT_FAIL, "%s: cannot truncate", file);
	while (input_line(&in))
		;
	printf("read to the end of a file cut short\n");
	input_close(&in);
	return 0;
}

static int
dtypes(const char *dir)
{
	static const int types[] = { W_F64, W_F32, W_F16, W_BF16, W_BF16 + 1,
	    7, 0xff, -1 };
	const double one = 1;
	const double *a = &one;
	const char *name = "E";
	long n = 1;
	char path[4096];

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		for (int flag = 0; flag <= WEIGHTS_DEFLATE; flag += WEIGHTS_DEFLATE)
			for (int npz = 0; npz <= 1; npz++) {
				int rc;

				snprintf(path, sizeof path, "%s/w%d.%s", dir, types[i] | flag,
				    npz ? "npz" : "safetensors");
				rc = weights_write(path, types[i] | flag, 1, &name, &a, &n, &n);
				printf("%d %s %s %d %s\n", types[i], flag ? "deflate" : "-",
				    npz ? "npz" : "safetensors", rc,
				    access(path, F_OK) == 0 ? "written" : "none");
			}
	return 0;
}

/* suffix S SUFFIX [N]: whether S (or its first N bytes) ends with SUFFIX,
 * 1 or 0. */
static int
suffix(int argc, char **argv)
{
	printf("%d\n", argc == 5 ? bytes_end_with(argv[2], (size_t)atol(argv[4]),
	    argv[3]) : ends_with(argv[2], argv[3]));
	return 0;
}

int
main(int argc, char **argv)
{
	prog_init("unit");
	if (argc == 3 && strcmp(argv[1], "vectors") == 0)
		return vectors(argv[2]);
	if (argc == 5 && strcmp(argv[1], "theorem") == 0)
		return theorem(argv[2], atol(argv[3]), strtoull(argv[4], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "rng") == 0)
		return rng_moments(strtoull(argv[2], NULL, 10), atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "chain") == 0)
		return chain(argv[2]);
	if (argc == 3 && strcmp(argv[1], "longrun") == 0)
		return longrun(argv[2]);
	if (argc == 4 && strcmp(argv[1], "draws") == 0)
		return draws(strtoull(argv[2], NULL, 10), atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "partial") == 0)
		return partial(atol(argv[2]));
	if (argc == 4 && strcmp(argv[1], "format") == 0)
		return format_check(strtoull(argv[2], NULL, 10), atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "grow") == 0)
		return grow(strtoull(argv[2], NULL, 10), atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "longline") == 0)
		return longline(atol(argv[2]));
	if (argc == 3 && strcmp(argv[1], "cut") == 0)
		return cut(argv[2]);
	if (argc == 3 && strcmp(argv[1], "dtypes") == 0)
		return dtypes(argv[2]);
	if (argc == 2 && strcmp(argv[1], "flood") == 0)
		return flood();
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "suffix") == 0)
		return suffix(argc, argv);
	if (argc == 5 && strcmp(argv[1], "decay") == 0)
		return decay(argv[2], strtoull(argv[3], NULL, 10), atol(argv[4]));
	fprintf(stderr, "usage: unit vectors FILE | theorem FILE N SEED | "
	    "rng SEED N | chain FILE | longrun FILE | draws SEED N | "
	    "partial N | format SEED N | grow SEED N | decay FILE SEED N | flood | "
	    "cut FILE | longline N | dtypes DIR | suffix S SUFFIX [N]\n");
	return 2;
}
