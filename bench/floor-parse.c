/*
 * floor-parse: the parse floor of the programs that read records.  Reads
 * the files (or stdin) in large blocks and pulls every integer out of the
 * lines, keeping only their count, sum and the number of lines: no JSON,
 * no allocation per line, no statistics.  What traj-stats or ccmc-estimate
 * take beyond this is their own work.
 *
 * usage: floor-parse [file ...]     prints "lines integers sum"
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char buf[1 << 18];

int
main(int argc, char **argv)
{
	unsigned long long lines = 0, count = 0, sum = 0, v = 0;
	int in_number = 0;

	for (int f = 1; f < argc || f == 1; f++) {
		int fd = argc > 1 ? open(argv[f], O_RDONLY) : 0;
		ssize_t n;

		if (fd < 0) {
			perror(argv[f]);
			return 1;
		}
		while ((n = read(fd, buf, sizeof buf)) > 0)
			for (ssize_t i = 0; i < n; i++) {
				unsigned d = (unsigned)(buf[i] - '0');

				if (d < 10) {
					v = 10 * v + d;
					in_number = 1;
					continue;
				}
				if (in_number) {
					sum += v;
					count++;
					v = 0;
					in_number = 0;
				}
				lines += buf[i] == '\n';
			}
		if (n < 0) {
			perror(argc > 1 ? argv[f] : "<stdin>");
			return 1;
		}
		if (fd)
			close(fd);
	}
	printf("%llu %llu %llu\n", lines, count, sum);
	return 0;
}
