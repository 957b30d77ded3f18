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
	rng_stream(r, stream);
}

void
rng_stream(struct rng *r, uint64_t stream)
{
	for (int i = 0; i < 8; i++)
		r->nonce[i] = (unsigned char)(stream >> (8 * i));
	r->block = 0;
	r->pos = r->len = 0;
	/* Most streams are short (one sample): start small, grow to the buffer. */
	r->fill = 256;
}

static void
refill(struct rng *r)
{
	memset(r->buf, 0, r->fill);
	crypto_stream_chacha20_xor_ic(r->buf, r->buf, r->fill, r->nonce,
	    r->block, r->key);
	r->block += r->fill / 64;
	r->len = r->fill;
	r->pos = 0;
	if (r->fill < sizeof r->buf)
		r->fill *= 2;
}

uint64_t
rng_u64(struct rng *r)
{
	uint64_t v = 0;

	if (r->len - r->pos < 8)
		refill(r);
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->buf[r->pos + i] << (8 * i);
	r->pos += 8;
	return v;
}

uint32_t
rng_u32(struct rng *r)
{
	uint32_t v;

	if (r->len - r->pos < 4)
		refill(r);
	v = (uint32_t)r->buf[r->pos] | (uint32_t)r->buf[r->pos + 1] << 8 |
	    (uint32_t)r->buf[r->pos + 2] << 16 | (uint32_t)r->buf[r->pos + 3] << 24;
	r->pos += 4;
	return v;
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

/* Box-Muller: a fixed two uniforms per draw keeps streams aligned. */
double
rng_gauss(struct rng *r)
{
	double u = 1.0 - rng_uniform(r);   /* (0, 1]: log is finite */
	double v = rng_uniform(r);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

int
rng_categorical(struct rng *r, const double *w, int n, double total)
{
	double x = rng_uniform(r) * total;
	int last = 0;

	for (int i = 0; i < n; i++) {
		if (w[i] <= 0)
			continue;
		last = i;
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return last;   /* rounding left x just past the end */
}
