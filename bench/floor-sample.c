/*
 * floor-sample: the output floor of attn-sample --via ccmc.  Copies the
 * model line, then writes n sample records of K-token uniform prompts of
 * length L, exactly the format attn-sample prints, the tokens from a
 * xorshift generator and the next token a uniform pick among the prompt's
 * positions: no cipher, no weights, a hand-made formatter into one buffer.
 * What is left is the cost of the bytes themselves.
 *
 * usage: floor-sample MODEL N L K > out
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 16];
static size_t len;

static void
flush(void)
{
	if (fwrite(buf, 1, len, stdout) != len)
		exit(1);
	len = 0;
}

/* n is a constant at every call: the copy compiles to a few stores. */
#define put(s, n) (memcpy(buf + len, (s), (n)), len += (n))

/* Numbers below 100 from a table, two bytes stored and one or two kept:
 * no branch on the number of digits; others digit by digit. */
static char small[100][3];

static void
num(unsigned v)
{
	char tmp[12], *p = tmp + sizeof tmp;

	if (v < 100) {
		buf[len] = small[v][0];
		buf[len + 1] = small[v][1];
		len += (size_t)small[v][2];
		return;
	}
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	while (p < tmp + sizeof tmp)
		buf[len++] = *p++;
}

int
main(int argc, char **argv)
{
	static const char head[] = "{\"type\":\"sample\",\"prompt\":[";
	static const char mid[] = "],\"y\":";
	uint64_t x = 88172645463325252ULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long count, L, K;
	unsigned t[4096];
	FILE *fp;

	if (argc != 5 || !(fp = fopen(argv[1], "r")) ||
	    (n = getline(&line, &cap, fp)) <= 0)
		return 2;
	count = atol(argv[2]);
	L = atol(argv[3]);
	K = atol(argv[4]);
	if (L < 1 || L > 4096 || K < 1)
		return 2;
	for (int v = 0; v < 100; v++) {
		small[v][0] = (char)(v < 10 ? '0' + v : '0' + v / 10);
		small[v][1] = (char)('0' + v % 10);
		small[v][2] = (char)(v < 10 ? 1 : 2);
	}
	fwrite(line, 1, (size_t)n, stdout);
	for (long i = 0; i < count; i++) {
		if (len > sizeof buf - 16 * (size_t)L - 64)
			flush();
		put(head, sizeof head - 1);
		for (long j = 0; j < L; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			t[j] = (unsigned)((x >> 32) * (uint64_t)K >> 32);
			if (j)
				buf[len++] = ',';
			num(t[j]);
		}
		put(mid, sizeof mid - 1);
		num(t[(x & 0xffffffff) * (uint64_t)L >> 32]);
		put("}\n", 2);
	}
	flush();
	return fflush(stdout) != 0;
}
