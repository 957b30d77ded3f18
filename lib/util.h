/*
 * util: what every program needs before it computes anything: its name for
 * messages, the exit statuses of ccmc-records(5), checked allocation, and the
 * parsing of option values (a bad value is a usage error, exit 2).
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

#define EXIT_USAGE 2    /* bad option or option value */
#define EXIT_DATA  65   /* invalid input data (sysexits EX_DATAERR) */
#define EXIT_FAIL  1    /* I/O, memory, anything else */

#define TOOLKIT_VERSION "0.1.0"

extern const char *progname;
/* Writes out what a layer above holds back for stdout (lib/stream's
 * complete records), so that it precedes any message; NULL if nothing. */
extern void (*pending_output)(void);

void   prog_init(const char *name);     /* names the program, SIGPIPE default */
void   die(int status, const char *fmt, ...)
           __attribute__((format(printf, 2, 3), noreturn));
void   usage_error(const char *usage, const char *fmt, ...)
           __attribute__((format(printf, 2, 3), noreturn));
/* A remark that a result is weaker than it looks (rows undetermined,
 * records skipped, ...): one line "PROGRAM: note: ..." on stderr, unless
 * the program's --quiet set quiet.  Never changes the exit status.  Notes
 * are written at exit, and dropped by an error (die, usage_error,
 * input_fail, which call drop_notes): a failing run says one line. */
extern int quiet;
void   note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void   drop_notes(void);
void   print_version(void) __attribute__((noreturn));
void   print_help(const char *usage, const char *help) __attribute__((noreturn));
/* The options every program shares, for the default of its getopt switch:
 * 'h' (--help), 'V' (--version); anything else is a usage error. */
void   common_option(int c, const char *usage, const char *help)
           __attribute__((noreturn));

/* getopt_long for every program: an option it refuses is a usage error of
 * one line, naming the nearest valid option when one is close ("unknown
 * option --vocb; did you mean --vocab?"), without the whole usage. */
struct option;
int    opt_next(int argc, char **argv, const char *shortopts,
           const struct option *longopts);
/* Entries of a getopt_long table, a few to a line: an option that takes
 * a value, and one that does not, returned as c; a flag, which sets the
 * int *p to 1 and is returned as 0; and the end: --help and --version
 * (for common_option), then the terminator. */
#define OPT_VALUE(name, c) { name, required_argument, NULL, c }
#define OPT_BARE(name, c)  { name, no_argument, NULL, c }
#define OPT_FLAG(name, p)  { name, no_argument, p, 1 }
#define OPT_END            { "help", no_argument, NULL, 'h' }, \
                           { "version", no_argument, NULL, 'V' }, \
                           { NULL, 0, NULL, 0 }

/* Damerau-Levenshtein distance; INT_MAX for strings over 64 bytes.
 * near_name: s is a likely misspelling of name (close, not equal). */
int    edit_distance(const char *a, const char *b);
int    near_name(const char *s, const char *name);

void  *xmalloc(size_t n);
void  *xcalloc(size_t count, size_t size);
void  *xrealloc(void *p, size_t n);
char  *xstrdup(const char *s);
/* count * size, or die if it overflows or exceeds what the toolkit allows */
size_t checked_size(size_t count, size_t size);

/* qsort comparator for ints, ascending. */
int    cmp_int(const void *a, const void *b);

/* Option values: whole string must parse and lie in [lo, hi], else exit 2. */
long     opt_long(const char *usage, const char *opt, const char *s, long lo, long hi);
double   opt_double(const char *usage, const char *opt, const char *s, double lo, double hi);
uint64_t opt_seed(const char *usage, const char *s);
char *opt_file(const char *name, char *s);
/* "I/N", two runs of decimal digits (no blanks, signs or "0x", which
 * strtol would take): 0 with their values, -1 if s is not of that form.
 * The ranges are the caller's (--pieces, --rows and --shard differ). */
int      opt_fraction(const char *s, long *i, long *n);

/* The index of s among the n names, or -1 (s NULL: -1): an option's
 * choices, a record's enumerations. */
int     name_index(const char *s, const char *const *names, int n);

/* The index of x in the n ascending ints of a, or -1 (binary search). */
long    sorted_find(const int *a, long n, int x);

/* Whether the n bytes at s (a name not ended by a NUL), or the string s,
 * end with suffix: a file's format by its name (".npz"). */
int     bytes_end_with(const char *s, size_t n, const char *suffix);
int     ends_with(const char *s, const char *suffix);

#endif
