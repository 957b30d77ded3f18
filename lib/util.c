#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
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

/*
 * Notes wait for the end of the run: a run that fails says one thing, its
 * error line, and the notes of a result it did not give go with it.  They
 * are written when the program exits, unless drop_notes came first.
 */
static char  *notes;
static size_t nnotes, notecap;

static void
write_notes(void)
{
	if (nnotes)
		fwrite(notes, 1, nnotes, stderr);
	nnotes = 0;
}

void
drop_notes(void)
{
	nnotes = 0;
}

static void
vmessage(const char *fmt, va_list ap)
{
	drop_notes();
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
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof line, "%s: note: ", progname);

	if (quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (!notes)
		atexit(write_notes);
	if (nnotes + (size_t)n > notecap) {
		notecap = 2 * (nnotes + (size_t)n);
		notes = xrealloc(notes, notecap);
	}
	memcpy(notes + nnotes, line, (size_t)n);
	nnotes += (size_t)n;
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

int
edit_distance(const char *a, const char *b)
{
	/* Damerau-Levenshtein (adjacent transpositions), rows of at most
	 * 64 + 1: names are short, longer strings are far from all of them */
	int d[3][66], na = (int)strlen(a), nb = (int)strlen(b);

	if (na > 64 || nb > 64)
		return INT_MAX;
	for (int j = 0; j <= nb; j++)
		d[0][j] = j;
	for (int i = 1; i <= na; i++) {
		int *cur = d[i % 3], *prev = d[(i - 1) % 3], *pp = d[(i + 1) % 3];

		cur[0] = i;
		for (int j = 1; j <= nb; j++) {
			int cost = a[i - 1] != b[j - 1], v = prev[j - 1] + cost;

			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[na % 3][nb];
}

int
near_name(const char *s, const char *name)
{
	int n = (int)strlen(name), e = edit_distance(s, name);

	return e > 0 && e <= (n < 6 ? 1 : n < 12 ? 2 : 3);
}

/* The long option of longopts nearest to name (or name itself), if near
 * enough. */
static const char *
nearest_option(const char *name, const struct option *longopts)
{
	const char *best = NULL;
	int bestd = INT_MAX;

	for (const struct option *o = longopts; o->name; o++) {
		int e = edit_distance(name, o->name);

		if ((e == 0 || near_name(name, o->name)) && e < bestd) {
			best = o->name;
			bestd = e;
		}
	}
	return best;
}

/* The option the last getopt_long call refused, as one line: a long
 * option misspelt, ambiguous, missing its value or given one; a short
 * option unknown or missing its value. */
static void __attribute__((noreturn))
refuse_option(int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	const char *arg = argv[optind - 1], *near;
	const struct option *match = NULL;
	char name[128];
	size_t n;

	if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
		if (optopt && strchr(shortopts, optopt))
			usage_error(NULL, "-%c needs a value (see --help)", optopt);
		/* "-vocab" for "--vocab"; inside a cluster of short options
		 * getopt has not moved past it yet */
		if (optind < argc && argv[optind][0] == '-' &&
		    argv[optind][1] == optopt)
			arg = argv[optind];
		if (arg[0] == '-' && strlen(arg) > 2 &&
		    (near = nearest_option(arg + 1, longopts)))
			usage_error(NULL, "unknown option -%c; did you mean --%s?",
			    optopt ? optopt : '?', near);
		usage_error(NULL, "unknown option -%c (see --help)",
		    optopt ? optopt : '?');
	}
	n = strcspn(arg + 2, "=");
	snprintf(name, sizeof name, "%.*s", (int)(n < 100 ? n : 100), arg + 2);
	/* the option itself, or the one option name abbreviates: its value
	 * is missing or not wanted */
	for (const struct option *o = longopts; o->name; o++)
		if (strcmp(o->name, name) == 0)
			match = o;
	if (!match && *name) {
		char list[512] = "";
		int matches = 0;

		for (const struct option *o = longopts; o->name; o++)
			if (strncmp(o->name, name, strlen(name)) == 0) {
				size_t len = strlen(list);

				snprintf(list + len, sizeof list - len, "%s--%s",
				    matches++ ? ", " : "", o->name);
				match = o;
			}
		if (matches > 1)
			usage_error(NULL, "--%s is ambiguous: %s", name, list);
	}
	if (match && match->has_arg == no_argument)
		usage_error(NULL, "--%s takes no value", match->name);
	if (match)
		usage_error(NULL, "--%s needs a value (see --help)", match->name);
	if ((near = nearest_option(name, longopts)))
		usage_error(NULL, "unknown option --%s; did you mean --%s?", name,
		    near);
	usage_error(NULL, "unknown option --%s (see --help)", name);
}

int
opt_next(int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	int c;

	opterr = 0;
	if ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) == '?')
		refuse_option(argc, argv, shortopts, longopts);
	return c;
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

/*
 * A bad option value is one line naming the option, its range and the
 * value as given, not the whole usage (that is for --help): usage is not
 * printed here.
 */
long
opt_long(const char *usage, const char *opt, const char *s, long lo, long hi)
{
	char *end = "";
	long v = 0;

	(void)usage;
	/* strtol would take blanks, a plus sign or a leading "0x" as well */
	errno = 0;
	if (isdigit((unsigned char)s[*s == '-']))
		v = strtol(s, &end, 10);
	if (!isdigit((unsigned char)s[*s == '-']) || *end || errno == ERANGE)
		usage_error(NULL, "%s: expected an integer in [%ld, %ld], not '%s'",
		    opt, lo, hi, s);
	if (v < lo || v > hi)
		usage_error(NULL, "%s: %s is out of range [%ld, %ld]", opt, s, lo, hi);
	return v;
}

/* A value below the smallest normal double (1e-310) is read as the nearest
 * double, a subnormal or 0, as strtod and the JSON reader read it; only an
 * overflow (1e999), NaN or infinity is not a finite number. */
double
opt_double(const char *usage, const char *opt, const char *s, double lo, double hi)
{
	char *end = "";
	double v = 0;

	(void)usage;
	/* strtod would skip blanks */
	errno = 0;
	if (*s && strchr("+-.0123456789", *s))
		v = strtod(s, &end);
	if (!*s || !strchr("+-.0123456789", *s) || *end || !isfinite(v) ||
	    (errno == ERANGE && fabs(v) > 1))
		usage_error(NULL, "%s: expected a finite number in [%g, %g], not "
		    "'%s'", opt, lo, hi, s);
	if (v < lo || v > hi)
		usage_error(NULL, "%s: %s is out of range [%g, %g]", opt, s, lo, hi);
	return v;
}

/* A file name given to option name: an empty one is a usage error (it
 * would fail later as an I/O error, exit 1, naming no option). */
char *
opt_file(const char *name, char *s)
{
	if (*s == '\0')
		usage_error(NULL, "%s: expected a file name, not ''", name);
	return s;
}

uint64_t
opt_seed(const char *usage, const char *s)
{
	char *end = "";
	unsigned long long v = 0;

	(void)usage;
	/* digits only: strtoull would skip blanks and negate a sign */
	errno = 0;
	if (isdigit((unsigned char)*s))
		v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno == ERANGE)
		usage_error(NULL, "--seed: expected an integer in [0, %" PRIu64
		    "], not '%s'", UINT64_MAX, s);
	return (uint64_t)v;
}

int
opt_fraction(const char *s, long *i, long *n)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	*i = strtol(s, &end, 10);
	if (*end != '/' || !isdigit((unsigned char)end[1]))
		return -1;
	*n = strtol(end + 1, &end, 10);
	return *end ? -1 : 0;
}

int
name_index(const char *s, const char *const *names, int n)
{
	for (int k = 0; s && k < n; k++)
		if (strcmp(s, names[k]) == 0)
			return k;
	return -1;
}

long
sorted_find(const int *a, long n, int x)
{
	long lo = 0, hi = n;

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;

		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && a[lo] == x ? lo : -1;
}

int
bytes_end_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int
ends_with(const char *s, const char *suffix)
{
	return bytes_end_with(s, strlen(s), suffix);
}
