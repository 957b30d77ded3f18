#include "hash.h"

#include <sodium.h>
#include <string.h>

#include "util.h"

unsigned long hash_probes;

static unsigned char key[crypto_shorthash_KEYBYTES];
static int keyed;

static void
make_key(void)
{
	if (sodium_init() < 0)
		die(EXIT_FAIL, "libsodium failed to initialise");
	randombytes_buf(key, sizeof key);
	keyed = 1;
}

uint64_t
hash_bytes(const void *p, size_t n)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	if (!keyed)
		make_key();
	crypto_shorthash(h, p, n, key);
	memcpy(&v, h, sizeof v);
	return v;
}

uint64_t
hash_u64(uint64_t x)
{
	return hash_bytes(&x, sizeof x);
}
