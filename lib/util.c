#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *progname = "ccmc";
void (*pending_output)(void);

void
prog_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	progname = slash ? slash + 1 : name;
	/* A closed stdout ends us quietly, as for any filter in a pipeline. */
	signal(SIGPIPE, SIG_DFL);
}

static void
vmessage(const char *fmt, va_list ap)
{
	if (pending_output)
		pending_output();
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	exit(status);
}

int quiet;

void
note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	fprintf(stderr, "%s: note: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	if (usage)
		fputs(usage, stderr);
	exit(EXIT_USAGE);
}

void
print_version(void)
{
	printf("%s (attn-ccmc toolkit) %s\n", progname, TOOLKIT_VERSION);
	exit(0);
}

void
print_help(const char *usage, const char *help)
{
	fputs(usage, stdout);
	fputs(help, stdout);
	exit(0);
}

void
common_option(int c, const char *usage, const char *help)
{
	if (c == 'h')
		print_help(usage, help);
	if (c == 'V')
		print_version();
	usage_error(usage, "unknown option");
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(EXIT_FAIL, "out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		die(EXIT_FAIL, "out of memory (%zu x %zu bytes)", count, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die(EXIT_FAIL, "out of memory (%zu bytes)", n);
	return q;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

size_t
checked_size(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		die(EXIT_FAIL, "size overflow (%zu x %zu)", count, size);
	return count * size;
}

int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

long
opt_long(const char *usage, const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE)
		usage_error(usage, "%s: not an integer: '%s'", opt, s);
	if (v < lo || v > hi)
		usage_error(usage, "%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
	return v;
}

double
opt_double(const char *usage, const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
		usage_error(usage, "%s: not a finite number: '%s'", opt, s);
	if (v < lo || v > hi)
		usage_error(usage, "%s: %g is out of range [%g, %g]", opt, v, lo, hi);
	return v;
}

uint64_t
opt_seed(const char *usage, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-')
		usage_error(usage, "--seed: must be a non-negative integer: '%s'", s);
	v = strtoull(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE)
		usage_error(usage, "--seed: not a non-negative 64-bit integer: '%s'", s);
	return (uint64_t)v;
}
