#include "rng.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

#include "util.h"

void
rng_init(struct rng *r, uint64_t seed, const char *domain, uint64_t stream)
{
	static const char version[] = "attn-ccmc toolkit seed v1";
	crypto_generichash_state h;
	unsigned char le[8];

	if (sodium_init() < 0)
		die(EXIT_FAIL, "libsodium failed to initialise");
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(seed >> (8 * i));
	crypto_generichash_init(&h, NULL, 0, sizeof r->key);
	crypto_generichash_update(&h, (const unsigned char *)version, sizeof version);
	crypto_generichash_update(&h, le, sizeof le);
	crypto_generichash_update(&h, (const unsigned char *)domain,
	    strlen(domain) + 1);
	crypto_generichash_final(&h, r->key, sizeof r->key);
	r->n = 0;
	r->share = 0;
	rng_stream(r, stream);
}

void
rng_stream(struct rng *r, uint64_t stream)
{
	for (int i = 0; i < 8; i++)
		r->nonce[i] = (unsigned char)(stream >> (8 * i));
	r->block = 0;
	r->cur = r->buf;
	r->pos = r->len = 0;
	/* Most streams are short (one sample): start small, grow to the buffer. */
	r->fill = 256;
}

/* The batch stream's key hangs off the streams' key: one seed, one domain. */
void
rng_items(struct rng *r, unsigned blocks)
{
	static const char items[] = "items";

	if (blocks < 1 || blocks > RNG_MAX_SHARE)
		die(EXIT_FAIL, "rng_items: %u blocks per item", blocks);
	crypto_generichash(r->bkey, sizeof r->bkey, (const unsigned char *)items,
	    sizeof items, r->key, sizeof r->key);
	r->share = 64 * blocks;
	r->first = r->count = 0;
}

void
rng_items_for(struct rng *r, size_t bytes)
{
	size_t blocks = (bytes + 63) / 64;

	rng_items(r, blocks < 1 ? 1 : blocks < RNG_MAX_SHARE ? (unsigned)blocks :
	    RNG_MAX_SHARE);
}

/* Items from item on, as many as the batch holds, in one cipher call. */
static void
batch_fill(struct rng *r, uint64_t item)
{
	static const unsigned char zero[sizeof r->batch];
	static const unsigned char nonce[8];

	r->first = item;
	r->count = sizeof r->batch / r->share;
	crypto_stream_chacha20_xor_ic(r->batch, zero, r->count * r->share, nonce,
	    item * (r->share / 64), r->bkey);
}

void
rng_item(struct rng *r, uint64_t item)
{
	if (!r->share)
		die(EXIT_FAIL, "rng_item before rng_items");
	if (item - r->first >= r->count)
		batch_fill(r, item);
	r->item = item;
	r->cur = r->batch + (item - r->first) * r->share;
	r->pos = 0;
	r->len = r->share;
}

/* Past the end of an item's share, its own stream takes over. */
static void
refill(struct rng *r)
{
	if (r->cur != r->buf)
		rng_stream(r, r->item);
	memset(r->buf, 0, r->fill);
	crypto_stream_chacha20_xor_ic(r->buf, r->buf, r->fill, r->nonce,
	    r->block, r->key);
	r->block += r->fill / 64;
	r->len = r->fill;
	r->pos = 0;
	if (r->fill < sizeof r->buf)
		r->fill *= 2;
}

/* The next bytes as a little-endian number: the same draws on any machine. */
static inline uint64_t
take(struct rng *r, unsigned n)
{
	uint64_t v = 0;

	if (r->len - r->pos < n)
		refill(r);
	memcpy(&v, r->cur + r->pos, n);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v) >> (64 - 8 * n);
#endif
	r->pos += n;
	return v;
}

uint64_t
rng_u64(struct rng *r)
{
	return take(r, 8);
}

uint32_t
rng_u32(struct rng *r)
{
	return (uint32_t)take(r, 4);
}

double
rng_uniform(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Lemire's multiply-and-reject: unbiased, rarely more than one draw. */
uint32_t
rng_below(struct rng *r, uint32_t n)
{
	uint64_t m = (uint64_t)rng_u32(r) * n;
	uint32_t low = (uint32_t)m;

	if (low < n) {
		uint32_t threshold = (uint32_t)-n % n;

		while (low < threshold) {
			m = (uint64_t)rng_u32(r) * n;
			low = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/* Draws per 64-bit word, k, with n^k <= 2^48 (so a word is rejected
 * with probability below 2^-16), at most 16; *p = n^k. */
static int
per_word(uint32_t n, uint64_t *p)
{
	int k = 0;

	*p = 1;
	while (k < 16 && *p <= (UINT64_C(1) << 48) / n) {
		*p *= n;
		k++;
	}
	return k;
}

/*
 * Lemire's method on m draws at once (Brackett-Rozinsky and Lemire,
 * batched ranged random integers).  Multiplying a word x by n m times,
 * keeping the low word each time, yields the base-n digits of
 * floor(x n^m / 2^64) and leaves x n^m mod 2^64, so rejecting when that is
 * below 2^64 mod n^m makes the m digits exactly iid uniform.  The low word
 * after j steps is x n^j mod 2^64, so each digit is computed on its own,
 * high(low(x n^j) n), and the m of them do not wait on each other.
 */
static void
draw_word(struct rng *r, int *out, int m)
{
	uint64_t pw[17], n = r->n, p = r->pw[m], x;

	memcpy(pw, r->pw, (size_t)m * sizeof *pw);
	do {
		x = take(r, 8);
		for (int j = 0; j < m; j++)
			out[j] = (int)((unsigned __int128)(x * pw[j]) * n >> 64);
	} while (x * p < p && x * p < (0 - p) % p);
}

static inline uint64_t
word_at(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* m digits of s bits from the top of x: digit j is bits 64 - s(j+1) ..
 * 63 - sj, each taken on its own rather than by shifting x again and
 * again (a chain). */
static inline void
digits(int *out, int m, uint64_t x, int s)
{
	uint64_t mask = (UINT64_C(1) << s) - 1;

	for (int j = 0; j < m; j++)
		out[j] = (int)(x >> (64 - s * (j + 1)) & mask);
}

void
rng_fill_below(struct rng *r, uint32_t n, int *out, int count)
{
	int done;

	if (n != r->n) {
		uint64_t p;

		r->n = n;
		r->k = per_word(n, &p);
		r->pw[0] = 1;
		for (int j = 1; j <= r->k; j++)
			r->pw[j] = r->pw[j - 1] * n;
		for (r->shift = 0; n > 1 && (UINT32_C(1) << r->shift) < n; )
			r->shift++;
		if (n & (n - 1))
			r->shift = 0;
	}
	if (r->shift) {
		/* n = 2^s: x n^j mod 2^64 is x << sj and the digit its top s
		 * bits, the same draws without a multiplication; no rejection */
		int sh = r->shift, k = r->k;
		unsigned words = (unsigned)((count + k - 1) / k);   /* once */
		const unsigned char *p = NULL;

		if (r->len - r->pos >= 8 * words) {
			/* all the words at hand: no check per word */
			p = r->cur + r->pos;
			r->pos += 8 * words;
		}
		for (done = 0; done < count; done += k) {
			uint64_t x = p ? word_at(p) : take(r, 8);

			digits(out + done, count - done < k ? count - done : k, x, sh);
			p = p ? p + 8 : p;
		}
		return;
	}
	for (done = 0; done + r->k <= count; done += r->k)
		draw_word(r, out + done, r->k);
	if (done < count)
		draw_word(r, out + done, count - done);
}

size_t
rng_below_bytes(uint32_t n, long count)
{
	uint64_t p;
	int k = per_word(n, &p);

	return 8 * (size_t)((count + k - 1) / k);
}

/* Box-Muller: a fixed two uniforms per draw keeps streams aligned. */
double
rng_gauss(struct rng *r)
{
	double u = 1.0 - rng_uniform(r);   /* (0, 1]: log is finite */
	double v = rng_uniform(r);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Whole blocks of 8 are passed over first: their sums do not wait on one
 * another, so only one subtraction per block is on the critical path. */
int
rng_categorical(struct rng *r, const double *w, int n, double total)
{
	double x = rng_uniform(r) * total;
	int t = 0, last = -1;

	for (; n - t > 8; t += 8) {
		const double *b = w + t;
		double s = ((b[0] + b[1]) + (b[2] + b[3])) +
		    ((b[4] + b[5]) + (b[6] + b[7]));

		if (x < s)
			break;
		x -= s;
	}
	for (; t < n; t++) {
		if (w[t] <= 0)
			continue;
		last = t;
		if (x < w[t])
			return t;
		x -= w[t];
	}
	/* Rounding left x just past the end: the last positive weight. */
	for (t = n - 1; last < 0 && t >= 0; t--)
		if (w[t] > 0)
			last = t;
	return last < 0 ? 0 : last;
}

/* Running totals within blocks of 8 of v[idx[t]] into w, or of w itself
 * in place (idx NULL), whose chains of additions run side by side: four
 * whole blocks at a time, interleaved, so that they need not wait on one
 * another.  The total adds the blocks' totals in order. */
static inline double
blocksum(double *w, const double *v, const int *idx, int n)
{
#define AT(t) (idx ? v[idx[t]] : w[t])
	double total = 0;
	int b = 0;

	for (; n - b >= 32; b += 32) {
		double s0 = AT(b), s1 = AT(b + 8), s2 = AT(b + 16), s3 = AT(b + 24);

		w[b] = s0;
		w[b + 8] = s1;
		w[b + 16] = s2;
		w[b + 24] = s3;
		for (int t = b + 1; t < b + 8; t++) {
			w[t] = s0 += AT(t);
			w[t + 8] = s1 += AT(t + 8);
			w[t + 16] = s2 += AT(t + 16);
			w[t + 24] = s3 += AT(t + 24);
		}
		total += s0;
		total += s1;
		total += s2;
		total += s3;
	}
	for (; b < n; b += 8) {
		int end = n - b < 8 ? n : b + 8;
		double s = w[b] = AT(b);

		for (int t = b + 1; t < end; t++)
			w[t] = s += AT(t);
		total += s;
	}
	return total;
#undef AT
}

double
rng_blocksum(double *w, int n)
{
	return blocksum(w, NULL, NULL, n);
}

double
rng_blocksum_of(double *w, const double *v, const int *idx, int n)
{
	return blocksum(w, v, idx, n);
}

/* Last entry of a block of running totals that adds a positive weight. */
static int
last_positive(const double *v, int len)
{
	int t = len - 1;

	while (t > 0 && !(v[t] > v[t - 1]))
		t--;
	return t;
}

/* The block first, then the entry in it, each by counting the running
 * totals at or below x: no branch as hard to predict as the draw. */
int
rng_pick(struct rng *r, const double *w, int n, double total)
{
	double x = rng_uniform(r) * total, before = 0, cum = 0;
	int nb = (n + 7) / 8, b = 0, k = 0, len;
	const double *v;

	for (int i = 0; i < nb; i++) {
		double next = cum + w[8 * i + 7 < n ? 8 * i + 7 : n - 1];
		int below = next <= x;

		b += below;
		before = below ? next : before;
		cum = next;
	}
	if (b == nb)   /* x rounded up to the total: the last positive weight */
		for (b = nb - 1; b > 0 && !(w[8 * b + 7 < n ? 8 * b + 7 : n - 1] > 0); )
			b--;
	v = w + 8 * b;
	len = n - 8 * b < 8 ? n - 8 * b : 8;
	if (x >= total)
		return 8 * b + last_positive(v, len);
	x -= before;
	for (int t = 0; t < len; t++)
		k += v[t] <= x;
	return 8 * b + (k < len ? k : last_positive(v, len));
}

/* Vose's construction: each entry below its fair share 1 is topped up
 * from one above it, which then counts as below if it fell under 1.
 * Entries left when one list runs out are full (1, up to rounding); a
 * weight 0 never is, so rounding cannot make it drawable. */
void
rng_alias_build(const double *w, int n, double total, double *prob,
    int *alias, int *work)
{
	int *small = work, *large = work + n, ns = 0, nl = 0, top = 0;
	double scale = n / total;

	for (int k = 0; k < n; k++) {
		prob[k] = w[k] * scale;
		alias[k] = k;
		if (w[k] > w[top])
			top = k;
		if (prob[k] < 1)
			small[ns++] = k;
		else
			large[nl++] = k;
	}
	while (ns > 0 && nl > 0) {
		int s = small[--ns], l = large[nl - 1];

		alias[s] = l;
		prob[l] = (prob[l] + prob[s]) - 1;
		if (prob[l] < 1) {
			nl--;
			small[ns++] = l;
		}
	}
	while (nl > 0)
		prob[large[--nl]] = 1;
	while (ns > 0) {
		int s = small[--ns];

		prob[s] = w[s] > 0 ? 1 : 0;
		alias[s] = w[s] > 0 ? s : top;
	}
}
