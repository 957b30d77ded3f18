#include "stream.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "vocab.h"

/* ---- input ---- */

/* The memory JSON trees hold, counted so that a record whose tree would
 * outgrow MAX_TREE_BYTES is refused rather than the program killed.  A
 * block counts with its chunk's size field: malloc's overhead on the small
 * blocks trees are made of. */
static long long tree_bytes;
static int tree_over;

static void *
tree_alloc(size_t n)
{
	void *p;

	if (n > (size_t)MAX_TREE_BYTES || tree_bytes + (long long)n >
	    MAX_TREE_BYTES) {
		tree_over = 1;
		return NULL;
	}
	if ((p = malloc(n)))
		tree_bytes += (long long)(malloc_usable_size(p) + sizeof(size_t));
	return p;
}

static void
tree_free(void *p)
{
	if (p)
		tree_bytes -= (long long)(malloc_usable_size(p) + sizeof(size_t));
	free(p);
}

void
input_open(struct input *in, int nfiles, char **files)
{
	static char *stdin_only[] = { "-" };
	static int counting;

	if (!counting) {
		json_set_alloc_funcs(tree_alloc, tree_free);
		counting = 1;
	}
	memset(in, 0, sizeof *in);
	if (nfiles == 0) {
		nfiles = 1;
		files = stdin_only;
	}
	in->files = files;
	in->nfiles = nfiles;
	in->cap = 4096;
	in->buf = xmalloc(in->cap);
}

/*
 * Lines are cut out of blocks read with read(2), which is much faster than
 * a byte at a time and returns what a pipe holds without waiting for more.
 * Every input reading stdin shares one block, so that one input can stop
 * at a line and another go on from the next (attn-sample --model -).  A
 * regular file is mapped instead, whole, as one block: the kernel then
 * lends its cached pages rather than copying them, which is most of what
 * reading costs it.  A file cut short while it is read, by another
 * program, makes the pages past its new end fault with SIGBUS; on_sigbus
 * turns that into an error line and exit 1, as for a read error.
 */
#define BLOCK_BYTES (256 << 10)

struct block {
	char  *data;
	size_t pos, len;
	int    mapped;        /* data is the whole file, mapped */
	long   line;          /* lines cut from it: stdin's go on from one
	                       * input to the next (attn-sample --model -) */
};

/* The input whose block input_line is cutting lines from; NULL between
 * calls. */
static const struct input *reading;

static void located(const struct input *in, long line, int status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5), noreturn));

/*
 * SIGBUS at an address of the mapped block being read: the file was cut
 * short under us.  The signal is synchronous, raised by input_line's own
 * memchr or memcpy of the mapping, never inside malloc or stdio, so the
 * handler may do what input_fail does (stdio, exit).  Any other SIGBUS
 * gets the default action when the handler returns and the access faults
 * again.
 */
static void
on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	const struct input *in = reading;
	const char *a = si->si_addr;

	(void)ctx;
	if (in && in->blk && in->blk->mapped && a >= in->blk->data &&
	    a < in->blk->data + in->blk->len)
		located(in, in->line + 1, EXIT_FAIL, "read error: the file was "
		    "cut short while being read");
	signal(sig, SIG_DFL);
}

/* The file fd as one mapped block, if it is a regular file (not empty,
 * which cannot be mapped); else b is left as it was. */
static void
block_map(struct block *b, int fd)
{
	static int handler;
	struct stat st;
	void *p;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uintmax_t)st.st_size > SIZE_MAX)
		return;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return;
	madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	if (!handler) {
		struct sigaction sa = { .sa_sigaction = on_sigbus,
		    .sa_flags = SA_SIGINFO };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
		handler = 1;
	}
	b->data = p;
	b->len = (size_t)st.st_size;
	b->pos = 0;
	b->mapped = 1;
}

static void
block_free(struct block *b)
{
	if (b->mapped)
		munmap(b->data, b->len);
	else
		free(b->data);
	free(b);
}

static struct block stdin_block;

static int
open_next(struct input *in)
{
	const char *f;

	if (in->fp && in->fp != stdin) {
		fclose(in->fp);
		block_free(in->blk);
	}
	in->fp = NULL;
	in->blk = NULL;
	if (in->next >= in->nfiles)
		return 0;
	f = in->files[in->next++];
	if (strcmp(f, "-") == 0) {
		in->fp = stdin;
		in->name = "<stdin>";
		in->blk = &stdin_block;
	} else {
		if (!(in->fp = fopen(f, "r")))
			die(EXIT_FAIL, "%s: %s", f, strerror(errno));
		in->name = f;
		in->blk = xcalloc(1, sizeof *in->blk);
		block_map(in->blk, fileno(in->fp));
	}
	in->line = in->blk->line;
	if (!in->blk->data)
		in->blk->data = xmalloc(BLOCK_BYTES);
	return 1;
}

/* The next block of the current file; 0 at its end. */
static int
refill(struct input *in)
{
	struct block *b = in->blk;
	ssize_t n;

	if (b->mapped)
		return 0;   /* it was all there */
	while ((n = read(fileno(in->fp), b->data, BLOCK_BYTES)) < 0 &&
	    errno == EINTR)
		;
	if (n < 0)
		die(EXIT_FAIL, "%s: read error: %s", in->name, strerror(errno));
	b->pos = 0;
	b->len = (size_t)n;
	return n > 0;
}

/* Appends n bytes to the line, within MAX_LINE_BYTES (and its NUL). */
static void
line_append(struct input *in, const char *s, size_t n)
{
	if (in->len + n + 1 > in->cap) {
		if (in->len + n > (size_t)MAX_LINE_BYTES) {
			in->line++;
			input_fail(in, "line longer than %ld bytes", MAX_LINE_BYTES);
		}
		while (in->len + n + 1 > in->cap)
			in->cap = 2 * in->cap < (size_t)MAX_LINE_BYTES + 1 ?
			    2 * in->cap : (size_t)MAX_LINE_BYTES + 1;
		in->buf = xrealloc(in->buf, in->cap);
	}
	memcpy(in->buf + in->len, s, n);
	in->len += n;
}

static void __attribute__((noreturn))
vlocated(const struct input *in, long line, int status, const char *fmt,
    va_list ap)
{
	drop_notes();
	if (pending_output)
		pending_output();
	fflush(stdout);
	fprintf(stderr, "%s: %s:%ld: ", progname, in->name ? in->name : "<stdin>",
	    line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	exit(status);
}

static void
located(const struct input *in, long line, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlocated(in, line, status, fmt, ap);
}

void
input_fail(const struct input *in, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlocated(in, in->line, EXIT_DATA, fmt, ap);
}

void
input_fail_line(const struct input *in, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlocated(in, line, EXIT_DATA, fmt, ap);
}

static int
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int
next_line(struct input *in)
{
	for (;;) {
		int newline = 0;

		if (!in->fp && !open_next(in))
			return 0;
		in->len = 0;
		while (!newline) {
			struct block *b = in->blk;
			char *s = b->data + b->pos, *nl;
			size_t n;

			if (b->pos == b->len) {
				if (!refill(in))
					break;
				s = b->data;
			}
			nl = memchr(s, '\n', b->len - b->pos);
			n = nl ? (size_t)(nl - s) : b->len - b->pos;
			line_append(in, s, n);
			b->pos += n + (nl != NULL);
			newline = nl != NULL;
		}
		if (!newline && in->len == 0) {
			open_next(in);
			continue;
		}
		in->line = ++in->blk->line;
		if (in->len && in->buf[in->len - 1] == '\r')
			in->len--;
		in->buf[in->len] = '\0';
		if (!blank(in->buf, in->len)) {
			in->nread++;
			return 1;
		}
	}
}

int
input_line(struct input *in)
{
	int got;

	reading = in;
	got = next_line(in);
	reading = NULL;
	if (!got && in->nread < in->rows_to)   /* see sparse_frame */
		input_fail_line(in, in->rows_line, "the sparse ccmc of K = %ld on "
		    "this line has %ld of its %ld rows: the stream ends",
		    in->rows_to - in->rows_from, in->nread - in->rows_from,
		    in->rows_to - in->rows_from);
	return got;
}

int input_text_hint;

/* Whether s, past blanks, opens with '{' as a record does. */
static int
opens_record(const char *s)
{
	return s[strspn(s, " \t")] == '{';
}

int
input_rows_due(const struct input *in)
{
	return in->nread <= in->rows_to;
}

/* The lines of a sparse ccmc (input_parse): a ccmc-row only in the K
 * lines after its header, nothing else there; a header (a ccmc record of
 * form "sparse" and a valid K; its reader checks the rest) opens them. */
static void
sparse_frame(struct input *in, json_t *rec)
{
	const char *type = record_type(rec);
	int row = strcmp(type, "ccmc-row") == 0;
	int in_rows = input_rows_due(in);
	json_t *form = json_object_get(rec, "form");
	json_t *K = json_object_get(rec, "K");
	char what[48];

	if (row != in_rows) {
		snprintf(what, sizeof what, "%.40s", type);
		json_decref(rec);
		if (row)
			input_fail(in, "a ccmc-row record outside a sparse ccmc: after "
			    "its K rows (an extra row), or with no header before it");
		input_fail(in, "expected ccmc-row %ld of the sparse ccmc of line "
		    "%ld, not a \"%s\" record", in->nread - in->rows_from - 1,
		    in->rows_line, what);
	}
	if (strcmp(type, "ccmc") == 0 && json_is_string(form) &&
	    strcmp(json_string_value(form), "sparse") == 0 &&
	    json_is_integer(K) && json_integer_value(K) >= 1 &&
	    json_integer_value(K) <= MAX_SPARSE_VOCAB) {
		in->rows_from = in->nread;
		in->rows_to = in->nread + json_integer_value(K);
		in->rows_line = in->line;
	}
}

json_t *
input_parse(struct input *in)
{
	json_error_t err;
	json_t *rec, *type;
	const char *nul = memchr(in->buf, '\0', in->len);

	/* jansson passes over a NUL right after a number ([1\0]) */
	if (nul)
		input_fail(in, "NUL byte at column %td: not JSON", nul - in->buf + 1);
	tree_over = 0;
	rec = json_loadb(in->buf, in->len, JSON_REJECT_DUPLICATES, &err);
	if (tree_over) {
		json_decref(rec);
		input_fail(in, "record too large: its JSON tree would take more "
		    "than %ld MiB", MAX_TREE_BYTES >> 20);
	}
	if (!rec && input_text_hint && !opens_record(in->buf))
		input_fail(in, "invalid JSON at column %d: %s; plain text? did you "
		    "mean --text?", err.column, err.text);
	if (!rec)
		input_fail(in, "invalid JSON at column %d: %s", err.column, err.text);
	if (!json_is_object(rec)) {
		json_decref(rec);
		input_fail(in, "a record must be a JSON object");
	}
	type = json_object_get(rec, "type");
	if (!json_is_string(type)) {
		json_decref(rec);
		input_fail(in, "record without a string \"type\" field");
	}
	sparse_frame(in, rec);
	return rec;
}

void
input_no_stray_row(struct input *in)
{
	/* stdin's next line may be another reader's (attn-sample --model -
	 * with prompts on stdin), whose input_parse refuses a row there */
	if (in->fp != stdin && input_line(in))
		json_decref(input_parse(in));
}

json_t *
input_record(struct input *in)
{
	return input_line(in) ? input_parse(in) : NULL;
}

void
input_close(struct input *in)
{
	if (in->fp && in->fp != stdin) {
		fclose(in->fp);
		block_free(in->blk);
	}
	free(in->buf);
	memset(in, 0, sizeof *in);
}

const char *
record_type(json_t *rec)
{
	return json_string_value(json_object_get(rec, "type"));
}

json_t *
field_get(const struct input *in, json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);
	const char *type = record_type(rec);

	/* rec may be an object inside a record (a model's "pos"): no type */
	if (!v && type)
		input_fail(in, "%s record has no \"%s\" field", type, key);
	if (!v)
		input_fail(in, "no \"%s\" field in an object of the record", key);
	return v;
}

long
field_long(const struct input *in, json_t *rec, const char *key, long lo, long hi)
{
	json_t *v = field_get(in, rec, key);
	json_int_t x;

	if (!json_is_integer(v))
		input_fail(in, "\"%s\" must be an integer", key);
	x = json_integer_value(v);
	if (x < lo || x > hi)
		input_fail(in, "\"%s\" = %lld is out of range [%ld, %ld]", key,
		    (long long)x, lo, hi);
	return (long)x;
}

double
field_double(const struct input *in, json_t *rec, const char *key)
{
	json_t *v = field_get(in, rec, key);
	double x;

	if (!json_is_number(v))
		input_fail(in, "\"%s\" must be a number", key);
	x = json_number_value(v);
	if (!isfinite(x))
		input_fail(in, "\"%s\" is not finite", key);
	return x;
}

double *
field_matrix(const struct input *in, json_t *rec, const char *key, int rows,
    int cols, int allow_null)
{
	json_t *m = field_get(in, rec, key);
	double *out;

	if (!json_is_array(m) || json_array_size(m) != (size_t)rows)
		input_fail(in, "\"%s\" must be an array of %d rows", key, rows);
	out = xmalloc(checked_size((size_t)rows * (size_t)cols, sizeof *out));
	for (int i = 0; i < rows; i++) {
		json_t *row = json_array_get(m, (size_t)i);

		if (!json_is_array(row) || json_array_size(row) != (size_t)cols) {
			free(out);
			input_fail(in, "\"%s\" row %d must be an array of %d numbers",
			    key, i, cols);
		}
		for (int j = 0; j < cols; j++) {
			json_t *x = json_array_get(row, (size_t)j);
			double v;

			if (allow_null && json_is_null(x)) {
				out[(size_t)i * cols + j] = NAN;
				continue;
			}
			if (!json_is_number(x)) {
				free(out);
				input_fail(in, "\"%s\"[%d][%d] is not a number", key, i, j);
			}
			v = json_number_value(x);
			if (!isfinite(v)) {
				free(out);
				input_fail(in, "\"%s\"[%d][%d] is not finite", key, i, j);
			}
			out[(size_t)i * cols + j] = v;
		}
	}
	return out;
}

int *
field_tokens(const struct input *in, json_t *rec, const char *key, int K,
    struct vocab *v, int *len)
{
	json_t *a = field_get(in, rec, key);
	size_t n;
	int *t;

	if (!json_is_array(a))
		input_fail(in, "\"%s\" must be an array of tokens", key);
	n = json_array_size(a);
	if (n > (size_t)MAX_PROMPT)
		input_fail(in, "\"%s\" has %zu tokens, more than the limit %ld",
		    key, n, MAX_PROMPT);
	t = xmalloc((n ? n : 1) * sizeof *t);
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(a, i);

		if (json_is_integer(x)) {
			json_int_t id = json_integer_value(x);

			if (id < 0 || id >= K) {
				free(t);
				input_fail(in, "token %lld out of range (K = %d)",
				    (long long)id, K);
			}
			t[i] = (int)id;
		} else if (json_is_string(x)) {
			const char *s = json_string_value(x);

			if (!v) {
				free(t);
				input_fail(in, "string token \"%.40s\" but no vocabulary "
				    "in the stream", s);
			}
			if ((t[i] = vocab_token(v, s)) < 0) {
				free(t);
				input_fail(in, "token \"%.40s\" is not in the vocabulary", s);
			}
			if (t[i] >= K) {
				int id = t[i];

				free(t);
				input_fail(in, "token %d out of range (K = %d)", id, K);
			}
		} else {
			free(t);
			input_fail(in, "\"%s\"[%zu] is not a token (integer id or string)",
			    key, i);
		}
	}
	*len = (int)n;
	return t;
}

/* ---- output ---- */

static void
check_output(void)
{
	if (ferror(stdout))
		die(EXIT_FAIL, "write error on stdout: %s", strerror(errno));
}

/*
 * Records are assembled here, and nothing of an unfinished one reaches
 * stdout, whatever its size (the buffer grows to the largest record): a
 * program that dies while writing one (a value it refuses to print) leaves
 * the records before it, never part of a line.  Complete records go to
 * stdio a buffer at a time (one by one when stdout is a terminal), not a
 * call per field, and before any message on stderr and at exit, so that
 * they still precede the error they led to.
 */
#define OUT_BATCH (1 << 16)

static char   *obuf;
static size_t  olen, ocap;
static size_t  ocommit;       /* obuf[0, ocommit) holds complete records */
static int     olazy = -1;    /* hold records back: stdout is no terminal */

/* The complete records to stdio; the unfinished one moves to the front. */
static void
out_commit(void)
{
	if (!ocommit)
		return;
	fwrite_unlocked(obuf, 1, ocommit, stdout);
	memmove(obuf, obuf + ocommit, olen - ocommit);
	olen -= ocommit;
	ocommit = 0;
}

/* Room for n more bytes at obuf + olen. */
static char *
out_room(size_t n)
{
	if (n > ocap - olen) {
		out_commit();
		while (n > ocap - olen)
			ocap = ocap ? checked_size(ocap, 2) : OUT_BATCH;
		obuf = xrealloc(obuf, ocap);
	}
	return obuf + olen;
}

void
out_raw(const char *s, size_t n)
{
	memcpy(out_room(n), s, n);
	olen += n;
}

void
out_char(int c)
{
	*out_room(1) = (char)c;
	olen++;
}

/* "00" .. "99": the integer formatter divides by 100 and copies pairs. */
static const char pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* u >= 100 in decimal at p; returns the end. */
static char *
put_big(char *p, unsigned long u)
{
	char tmp[20], *q = tmp + sizeof tmp;
	size_t n;

	for (; u >= 100; u /= 100) {
		q -= 2;
		memcpy(q, pairs + 2 * (u % 100), 2);
	}
	if (u >= 10) {
		q -= 2;
		memcpy(q, pairs + 2 * u, 2);
	} else
		*--q = (char)('0' + u);
	n = (size_t)(tmp + sizeof tmp - q);
	memcpy(p, q, n);
	return p + n;
}

/* v in decimal at p (room for 21 bytes); returns the end.  Below 100 (most
 * token ids) two bytes are stored and one or two kept, without a branch on
 * the number of digits. */
static inline char *
put_long(char *p, long v)
{
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
	int one = u < 10;

	if (v < 0)
		*p++ = '-';
	if (u >= 100)
		return put_big(p, u);
	memcpy(p, pairs + 2 * u + (unsigned)one, 2);   /* one load, one store */
	return p + 2 - one;
}

void
out_long(long v)
{
	char *p = out_room(24);

	olen += (size_t)(put_long(p, v) - p);
}

/* What printf's %.*g prints for the n significant digits d (d[0] not 0)
 * of a number d[0].d[1]... x 10^e: fixed notation for -4 <= e < n, else
 * exponent notation, trailing zeros of the fraction dropped. */
static int
g_style(char *buf, int neg, const char *d, int n, int e)
{
	char *p = buf;
	int last = n;

	while (last > 1 && d[last - 1] == '0')
		last--;
	if (neg)
		*p++ = '-';
	if (e < -4 || e >= n) {
		*p++ = d[0];
		if (last > 1) {
			*p++ = '.';
			memcpy(p, d + 1, (size_t)last - 1);
			p += last - 1;
		}
		return (int)(p - buf) + sprintf(p, "e%c%02d", e < 0 ? '-' : '+',
		    e < 0 ? -e : e);
	}
	if (e < 0) {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)(-e - 1));
		p += -e - 1;
		memcpy(p, d, (size_t)last);
		p += last;
	} else {
		memcpy(p, d, (size_t)e + 1);
		p += e + 1;
		if (last > e + 1) {
			*p++ = '.';
			memcpy(p, d + e + 1, (size_t)(last - e - 1));
			p += last - e - 1;
		}
	}
	*p = '\0';
	return (int)(p - buf);
}

/* A subnormal holds fewer than 15 significant digits (5e-324 has one):
 * the fewest that read back, asked of printf (subnormals are rare).  Its
 * exponent is below -300, so %g writes it as a real: "5e-324". */
static int
subnormal(char *buf, double v)
{
	int n = 0;

	for (int prec = 1; prec <= 17; prec++) {
		n = snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return n;
}

/*
 * The shortest of 15, 16 and 17 significant digits that reads back as v,
 * as %g prints it: the shortest of all for a normal double, 15 digits
 * with their trailing zeros dropped being any shorter form that reads
 * back (DBL_DIG).  printf is asked once, for 17 digits; 15 and 16 are
 * rounded from those, which gives printf's digits unless the digits cut
 * off are exactly 5 or 50: then the 17 are themselves a rounding of the
 * number, and printf is asked again.
 */
int
format_double(char *buf, double v)
{
	char s[40], d[20], *q;
	int n = 0, neg, e;

	if (v == 0)
		return sprintf(buf, "%s", signbit(v) ? "-0.0" : "0.0");
	if (fabs(v) < DBL_MIN)
		return subnormal(buf, v);
	snprintf(s, sizeof s, "%.16e", v);
	neg = s[0] == '-';
	q = s + neg;
	d[0] = q[0];
	memcpy(d + 1, q + 2, 16);
	e = atoi(q + 19);
	for (int prec = 15; prec <= 17; prec++) {
		char r[20];
		int re = e;

		memcpy(r, d, 17);
		if (prec == 17)
			n = g_style(buf, neg, r, 17, e);
		else if (prec == 16 ? r[16] == '5' : r[15] == '5' && r[16] == '0')
			n = snprintf(buf, 32, "%.*g", prec, v);
		else {
			if (r[prec] >= '5') {   /* round up, carrying */
				int k = prec - 1;

				while (k >= 0 && r[k] == '9')
					r[k--] = '0';
				if (k >= 0)
					r[k]++;
				else {
					r[0] = '1';
					re++;
				}
			}
			n = g_style(buf, neg, r, prec, re);
		}
		if (prec == 17 || strtod(buf, NULL) == v)
			break;
	}
	/* Keep it a JSON real, so readers see a number of the same kind. */
	if (!strpbrk(buf, ".e")) {
		buf[n++] = '.';
		buf[n++] = '0';
		buf[n] = '\0';
	}
	return n;
}

void
out_double(double v)
{
	char buf[32];

	if (!isfinite(v))
		die(EXIT_FAIL, "refusing to write a non-finite number (%g)", v);
	out_raw(buf, (size_t)format_double(buf, v));
}

void
out_quoted(const char *s)
{
	static const char hex[] = "0123456789abcdef";

	out_char('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out_char('\\');
			out_char(c);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			out_raw(esc, 6);
		} else
			out_char(c);
	}
	out_char('"');
}

void
out_json(json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		out_char('{');
		json_object_foreach(v, key, x) {
			if (!first)
				out_char(',');
			first = 0;
			out_quoted(key);
			out_char(':');
			out_json(x);
		}
		out_char('}');
		break;
	case JSON_ARRAY:
		out_char('[');
		json_array_foreach(v, i, x) {
			if (i)
				out_char(',');
			out_json(x);
		}
		out_char(']');
		break;
	case JSON_STRING:
		out_quoted(json_string_value(v));
		break;
	case JSON_INTEGER:
		out_long((long)json_integer_value(v));
		break;
	case JSON_REAL:
		out_double(json_real_value(v));
		break;
	case JSON_TRUE:
		out_str("true");
		break;
	case JSON_FALSE:
		out_str("false");
		break;
	case JSON_NULL:
		out_str("null");
		break;
	}
}

static void
doubles(const double *v, int n, int nan_is_null)
{
	out_char('[');
	for (int i = 0; i < n; i++) {
		if (i)
			out_char(',');
		if (nan_is_null)
			out_double_or_null(v[i]);
		else
			out_double(v[i]);
	}
	out_char(']');
}

static void
matrix(const double *m, int rows, int cols, int nan_is_null)
{
	out_char('[');
	for (int i = 0; i < rows; i++) {
		if (i)
			out_char(',');
		doubles(m + (size_t)i * cols, cols, nan_is_null);
	}
	out_char(']');
}

void
out_doubles(const double *v, int n)
{
	doubles(v, n, 0);
}

void
out_matrix(const double *m, int rows, int cols)
{
	matrix(m, rows, cols, 0);
}

void
out_double_or_null(double v)
{
	if (isnan(v))
		out_str("null");
	else
		out_double(v);
}

void
out_doubles_or_null(const double *v, int n)
{
	doubles(v, n, 1);
}

void
out_matrix_or_null(const double *m, int rows, int cols)
{
	matrix(m, rows, cols, 1);
}

void
out_token(int k, const struct vocab *v)
{
	if (v)
		out_quoted(v->word[k]);
	else
		out_long(k);
}

void
out_tokens(const int *t, int n, const struct vocab *v)
{
	char *p;

	if (v) {
		out_char('[');
		for (int i = 0; i < n; i++) {
			if (i)
				out_char(',');
			out_token(t[i], v);
		}
		out_char(']');
		return;
	}
	/* Samples and trajectories are mostly this: ids in chunks formatted
	 * straight into the buffer, each followed by a comma, the last comma
	 * then made the closing bracket. */
	out_char('[');
	for (int i = 0; i < n; ) {
		int m = n - i < 1024 ? n - i : 1024;   /* 1024 x 22 bytes fit */

		p = out_room(22 * (size_t)m);
		for (int end = i + m; i < end; i++) {
			if ((unsigned)t[i] < 100) {
				int one = t[i] < 10;

				memcpy(p, pairs + 2 * t[i] + one, 2);
				p += 2 - one;
			} else
				p = put_long(p, t[i]);
			*p++ = ',';
		}
		olen = (size_t)(p - obuf);
	}
	if (n > 0)
		obuf[olen - 1] = ']';
	else
		out_char(']');
}

void
out_end(void)
{
	/* a line longer than any reader takes (MAX_LINE_BYTES) is not written:
	 * what the toolkit writes, it reads */
	if (olen - ocommit > (size_t)MAX_LINE_BYTES)
		die(EXIT_FAIL, "refusing to write a line of %zu bytes: a reader "
		    "takes at most %ld", olen - ocommit, MAX_LINE_BYTES);
	out_char('\n');
	ocommit = olen;
	if (olazy < 0) {
		int e = errno;   /* isatty's ENOTTY must not hide a write error */

		olazy = !isatty(STDOUT_FILENO);
		errno = e;
		pending_output = out_commit;
		atexit(out_commit);
	}
	if (!olazy || ocommit >= OUT_BATCH)
		out_commit();
	check_output();
}

void
out_flush(void)
{
	out_commit();
	if (fflush(stdout) != 0)
		die(EXIT_FAIL, "write error on stdout: %s", strerror(errno));
	check_output();
}

/* ---- output records built as trees ---- */

json_t *
jpack(const char *fmt, ...)
{
	json_error_t err;
	json_t *v;
	va_list ap;

	va_start(ap, fmt);
	v = json_vpack_ex(&err, 0, fmt, ap);
	va_end(ap);
	if (!v)
		die(EXIT_FAIL, "cannot build an output record: %s (at %d of "
		    "\"%s\")", err.text, err.position, fmt);
	return v;
}

void
jset(json_t *obj, const char *key, json_t *v)
{
	if (!v || !json_is_object(obj) || json_object_set_new(obj, key, v) != 0)
		die(EXIT_FAIL, "cannot add \"%s\" to an output record", key);
}

void
jappend(json_t *arr, json_t *v)
{
	if (!v || !json_is_array(arr) || json_array_append_new(arr, v) != 0)
		die(EXIT_FAIL, "cannot add an element to an output array");
}

static json_t *
built(json_t *v, const char *what)
{
	if (!v)
		die(EXIT_FAIL, "cannot build %s for an output record", what);
	return v;
}

json_t *
jreal(double x)
{
	if (!isfinite(x))
		die(EXIT_FAIL, "refusing to write a non-finite number (%g)", x);
	return built(json_real(x), "a number");
}

json_t *
jint(long long x)
{
	return built(json_integer((json_int_t)x), "an integer");
}

json_t *
jseed(uint64_t seed)
{
	char buf[32];

	if (seed <= INT64_MAX)
		return jint((long long)seed);
	snprintf(buf, sizeof buf, "%" PRIu64, seed);
	return jstr(buf);
}

json_t *
jstr(const char *s)
{
	return built(s ? json_string(s) : NULL, "a string (not UTF-8?)");
}

json_t *
jmeasure(const char *name, double x)
{
	if (isfinite(x))
		return jreal(x);
	note("%s exceeds the range of a double; written as null", name);
	return built(json_null(), "null");
}
