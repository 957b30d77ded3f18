/*
 * rng: reproducible randomness from libsodium's ChaCha20 stream cipher.
 *
 * The key is derived from the user's --seed and a domain naming the use
 * (so a model and the samples drawn from it with the same seed share no
 * randomness); the 64-bit nonce selects one of 2^64 independent streams.
 *
 * Programs give each sample or trajectory its own randomness, indexed by
 * its position, so a run split into shards draws exactly what the whole
 * run draws.  Two ways: rng_stream(i) starts stream i; or, after
 * rng_items(B), rng_item(i) hands item i its own B blocks (64 bytes each)
 * of one batch stream, blocks i*B .. i*B+B-1, which one cipher call
 * computes for many items at once; an item that needs more than its share
 * continues in stream i.  Which bytes item i gets depends on i and B only,
 * never on the items drawn before it.
 */
#ifndef RNG_H
#define RNG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RNG_DEFAULT_SEED 1
#define RNG_MAX_SHARE    16         /* blocks an item may own */

struct rng {
	unsigned char key[32];
	unsigned char nonce[8];
	uint64_t      block;        /* ChaCha20 block counter of the next refill */
	const unsigned char *cur;   /* bytes drawn from: buf, or an item's share */
	unsigned      pos, len, fill;
	/* items (rng_items): the batch stream has a key of its own */
	unsigned char bkey[32];
	unsigned      share;        /* bytes per item, 0 before rng_items */
	uint64_t      item;         /* the current item */
	uint64_t      first, count; /* batch holds items [first, first + count) */
	/* rng_fill_below: n, draws per word k, powers n^0 .. n^k, and for
	 * n = 2^s > 1 the shift s (else 0) */
	uint32_t      n;
	int           k, shift;
	uint64_t      pw[17];
	unsigned char buf[4096];
	unsigned char batch[16384];
};

void     rng_init(struct rng *r, uint64_t seed, const char *domain,
             uint64_t stream);
void     rng_stream(struct rng *r, uint64_t stream);  /* same key, new stream */
void     rng_items(struct rng *r, unsigned blocks);   /* 1 .. RNG_MAX_SHARE */
/* rng_items with the blocks that hold bytes (1 .. RNG_MAX_SHARE of them):
 * an item that needs about that many seldom reaches its own stream. */
void     rng_items_for(struct rng *r, size_t bytes);
void     rng_item(struct rng *r, uint64_t item);
uint64_t rng_u64(struct rng *r);
static inline uint64_t rng_u64_inline(struct rng *r);   /* the same */
uint32_t rng_u32(struct rng *r);
double   rng_uniform(struct rng *r);                  /* [0, 1), 53 bits */
uint32_t rng_below(struct rng *r, uint32_t n);        /* [0, n), unbiased */
/* count iid draws in [0, n) (1 <= n <= INT_MAX), unbiased, several from
 * each 64-bit word; rng_below_bytes is what they take without rejections
 * (a rejection has probability below 2^-16 per word). */
void     rng_fill_below(struct rng *r, uint32_t n, int *out, int count);
size_t   rng_below_bytes(uint32_t n, long count);
double   rng_gauss(struct rng *r);                    /* standard normal */
/* Index drawn with probability w[i] / total (w >= 0, total = sum w > 0). */
int      rng_categorical(struct rng *r, const double *w, int n, double total);

/* The same in two steps, for weights the caller may overwrite:
 * rng_blocksum turns w into running totals within blocks of 8 and returns
 * the total (to check it before drawing); rng_pick then draws. */
double   rng_blocksum(double *w, int n);
/* The same for the weights v[idx[0]], .., v[idx[n-1]], into w. */
double   rng_blocksum_of(double *w, const double *v, const int *idx, int n);
int      rng_pick(struct rng *r, const double *w, int n, double total);

/* Walker's alias table of the weights w (n >= 1, w >= 0, total = sum w
 * > 0): index k is drawn with probability w[k] / total by taking a
 * uniform k in [0, n) and keeping it if a second uniform is below prob[k],
 * else taking alias[k].  work: 2n ints. */
void     rng_alias_build(const double *w, int n, double total, double *prob,
             int *alias, int *work);

/* Inline for inner loops: the bytes at hand, as rng_u64 takes them. */
static inline uint64_t
rng_u64_inline(struct rng *r)
{
	uint64_t v;

	if (r->len - r->pos < 8)
		return rng_u64(r);
	memcpy(&v, r->cur + r->pos, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	r->pos += 8;
	return v;
}

#endif
