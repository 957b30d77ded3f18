/*
 * The floor of traj-stats: read NDJSON trajectory lines and only pull the
 * integers out of them (sum them, so the work is not optimised away).
 * Anything traj-stats does beyond this is its own cost.
 */
#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	static char buf[1 << 16];
	size_t n;
	unsigned long long sum = 0, count = 0, v = 0;
	int in = 0;

	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
		for (size_t i = 0; i < n; i++) {
			int c = (unsigned char)buf[i];

			if (c >= '0' && c <= '9') {
				v = v * 10 + (unsigned)(c - '0');
				in = 1;
			} else if (in) {
				sum += v;
				count++;
				v = 0;
				in = 0;
			}
		}
	printf("%llu integers, sum %llu\n", count, sum);
	return 0;
}
