/*
 * stream: the NDJSON stream the tools exchange (ccmc-records(5)).
 *
 * Input: records are read line by line from the operands (none or "-" is
 * stdin), and every complaint about them names program, file and line and
 * exits 65.  Blank lines are skipped and a trailing CR is dropped, so CRLF
 * files read like LF files; a last line without a newline is read too.
 * A line longer than MAX_LINE_BYTES, or one whose JSON tree would take more
 * than MAX_TREE_BYTES, is refused the same way, before memory runs out.
 *
 * Output: records go to a buffered stdout.  Doubles are printed in the
 * shortest form that reads back to the same double; NaN and infinity are
 * refused, since no reader could take them back, and so is a record
 * longer than MAX_LINE_BYTES.
 */
#ifndef STREAM_H
#define STREAM_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_LINE_BYTES  (512L << 20)   /* longest input line accepted */
#define MAX_VOCAB       2048           /* largest K of a dense record */
#define MAX_SPARSE_VOCAB (1 << 20)     /* largest K of a sparse ccmc, of text,
                                        * samples and trajectories */
#define MAX_DIM         4096           /* largest embedding dimension d */
#define MAX_PROMPT      (1L << 20)     /* longest prompt or context, tokens */
#define MAX_TREE_BYTES  (4L << 30)     /* memory the JSON of one record
                                        * may take once parsed */

struct vocab;

struct block;

struct input {
	char      **files;     /* operands; "-" is stdin */
	int         nfiles, next;
	FILE       *fp;
	struct block *blk;     /* bytes read from fp, not yet cut into lines */
	const char *name;      /* for messages: file name or "<stdin>" */
	long        line;      /* number of the line last read */
	long        nread;     /* non-blank lines read, over all operands */
	long        rows_from, rows_to;  /* nread of a sparse ccmc's header and
	                        * of its last row (see input_parse) */
	long        rows_line; /* the header's line */
	char       *buf;
	size_t      cap, len;
};

/* Set by a program that has --text and runs without it: a line that is
 * not JSON and does not open like a record is most likely plain text, and
 * the error says "did you mean --text?". */
extern int input_text_hint;

void    input_open(struct input *in, int nfiles, char **files);
/* Next non-blank line as bytes in in->buf (NUL-terminated, length in->len);
 * 0 at the end of the last operand, which must not come among the rows
 * of a sparse ccmc (see input_parse). */
int     input_line(struct input *in);
/* Next record: a JSON object with a string "type"; NULL at the end.
 * The caller owns the reference. */
json_t *input_record(struct input *in);
/* Parses in->buf as a record.  A sparse ccmc is one record over K + 1
 * lines, a header and K ccmc-row lines (ccmc-records(5)): whether a
 * program reads it or passes over it, a ccmc-row is refused anywhere but
 * in the K lines after its header, and any other record there. */
json_t *input_parse(struct input *in);
/* Whether the line read is one of a sparse ccmc's rows, due after its
 * header: a reader that takes a line without input_parse must leave such
 * a line to it. */
int     input_rows_due(const struct input *in);
/* For a file read for its first record only (--model, --eval): parses
 * the line after that record, if any (a record, then), so that a
 * ccmc-row there (an extra row of a sparse ccmc, or a row after a record
 * of one line) is refused as input_parse refuses it.  What follows that
 * line is not read, nor stdin, which may go on as another input. */
void    input_no_stray_row(struct input *in);
void    input_close(struct input *in);
void    input_fail(const struct input *in, const char *fmt, ...)
            __attribute__((format(printf, 2, 3), noreturn));

/* input_fail naming an earlier line of the current file (a header whose
 * rows, read since, fell short). */
void    input_fail_line(const struct input *in, long line, const char *fmt,
            ...) __attribute__((format(printf, 3, 4), noreturn));

const char *record_type(json_t *rec);

/* Fields of a record; each fails through input_fail with the field named. */
json_t *field_get(const struct input *in, json_t *rec, const char *key);
long    field_long(const struct input *in, json_t *rec, const char *key,
            long lo, long hi);
double  field_double(const struct input *in, json_t *rec, const char *key);
/* rows x cols matrix of finite numbers (nulls become NaN when allow_null),
 * row-major, malloc'd. */
double *field_matrix(const struct input *in, json_t *rec, const char *key,
            int rows, int cols, int allow_null);
/* Token array: integers in [0, K) or, with a vocabulary, strings in it
 * (vocab_add decides whether unseen strings are added).  Sets *len. */
int    *field_tokens(const struct input *in, json_t *rec, const char *key,
            int K, struct vocab *v, int *len);

/* Output. */
void out_raw(const char *s, size_t n);
/* Raw text, no quoting; inline, so that a literal's length is known. */
static inline void
out_str(const char *s)
{
	out_raw(s, strlen(s));
}
void out_char(int c);
void out_long(long v);
void out_double(double v);            /* dies on NaN or infinity */
void out_quoted(const char *s);       /* a JSON string */
void out_json(json_t *v);             /* any JSON value, doubles as above */
void out_doubles(const double *v, int n);   /* [a,b,...] */
void out_matrix(const double *m, int rows, int cols);
/* The same, printing NaN as null: how estimates mark undetermined entries. */
void out_matrix_or_null(const double *m, int rows, int cols);
void out_doubles_or_null(const double *v, int n);
void out_double_or_null(double v);
/* A token, or an array of n: the words of v, or ids without one. */
void out_token(int k, const struct vocab *v);
void out_tokens(const int *t, int n, const struct vocab *v);
void out_end(void);                   /* ends the record: newline, checks */
void out_flush(void);                 /* flush and check for write errors */
/* Write a double in shortest round-trip form into buf (>= 32 bytes). */
int  format_double(char *buf, double v);

/* Output records built as JSON trees, always through these.  jansson alone
 * loses a field without a word: json_pack returns NULL for a value it
 * cannot hold (a non-finite double, a NULL string or member), and
 * json_object_set_new then drops the key.  These never return NULL: what
 * cannot be built is an error (exit 1) naming it, or null with a reason. */
json_t *jpack(const char *fmt, ...);          /* json_pack, checked */
void    jset(json_t *obj, const char *key, json_t *v);   /* steals v */
void    jappend(json_t *arr, json_t *v);                 /* steals v */
json_t *jreal(double x);             /* dies on NaN or infinity */
json_t *jint(long long x);
/* A seed as --seed reads it back: an integer, or, above 2^63 - 1 (the
 * largest integer jansson holds), its decimal digits as a string. */
json_t *jseed(uint64_t seed);
json_t *jstr(const char *s);         /* dies on NULL or invalid UTF-8 */
/* A measure that may exceed the range of a double (squared errors of
 * logits near MAX_SCORE): null when it is not finite, with a note on
 * stderr naming it. */
json_t *jmeasure(const char *name, double x);

#endif
