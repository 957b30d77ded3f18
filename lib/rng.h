/*
 * rng: reproducible randomness from libsodium's ChaCha20 stream cipher.
 *
 * The key is derived from the user's --seed and a domain naming the use
 * (so a model and the samples drawn from it with the same seed share no
 * randomness); the 64-bit nonce selects one of 2^64 independent streams.
 * Programs give each sample or trajectory its own stream, indexed by its
 * position, so a run split into shards draws exactly what the whole run
 * draws.
 */
#ifndef RNG_H
#define RNG_H

#include <stdint.h>

#define RNG_DEFAULT_SEED 1

struct rng {
	unsigned char key[32];
	unsigned char nonce[8];
	uint64_t      block;        /* ChaCha20 block counter of the next refill */
	unsigned char buf[4096];
	unsigned      pos, len, fill;
};

void     rng_init(struct rng *r, uint64_t seed, const char *domain,
             uint64_t stream);
void     rng_stream(struct rng *r, uint64_t stream);  /* same key, new stream */
uint64_t rng_u64(struct rng *r);
uint32_t rng_u32(struct rng *r);
double   rng_uniform(struct rng *r);                  /* [0, 1), 53 bits */
uint32_t rng_below(struct rng *r, uint32_t n);        /* [0, n), unbiased */
double   rng_gauss(struct rng *r);                    /* standard normal */
/* Index drawn with probability w[i] / total (w >= 0, total = sum w > 0). */
int      rng_categorical(struct rng *r, const double *w, int n, double total);

#endif
