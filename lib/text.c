#include "text.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vocab.h"

int
text_option(struct text *t, int c, const char *arg, const char *usage)
{
	char *end;
	long i, m;

	switch (c) {
	case TEXT_OPT_LOWER:
		t->lower = 1;
		return 1;
	case TEXT_OPT_PUNCT:
		if (strcmp(arg, "keep") == 0)
			t->punct = TEXT_KEEP;
		else if (strcmp(arg, "split") == 0)
			t->punct = TEXT_SPLIT;
		else if (strcmp(arg, "drop") == 0)
			t->punct = TEXT_DROP;
		else
			usage_error(NULL, "--punct: keep, split or drop, not '%s'",
			    arg);
		return 1;
	case TEXT_OPT_CHUNK:
		t->chunk = (int)opt_long(usage, "--chunk", arg, 2, MAX_PROMPT);
		return 1;
	case TEXT_OPT_PIECES:
	case TEXT_OPT_SKIP:
		/* I/M, 1 <= I <= M: digits only, as for --shard */
		if (t->of)
			usage_error(NULL, "one of --pieces and --skip-pieces, once");
		i = arg[0] >= '0' && arg[0] <= '9' ? strtol(arg, &end, 10) : 0;
		if (i < 1 || *end != '/' || !(end[1] >= '0' && end[1] <= '9') ||
		    (m = strtol(end + 1, &end, 10)) < i || m > 1000000 || *end)
			usage_error(NULL, "%s: I/M with 1 <= I <= M <= 1000000, not "
			    "'%s'", c == TEXT_OPT_SKIP ? "--skip-pieces" : "--pieces",
			    arg);
		t->sel = (int)i;
		t->of = (int)m;
		t->skip = c == TEXT_OPT_SKIP;
		return 1;
	}
	return 0;
}

int
text_options_given(const struct text *t)
{
	return t->lower || t->punct != TEXT_KEEP || t->chunk || t->of;
}

/* The length of the UTF-8 character at s (n bytes left), or 0 if the bytes
 * there are not one: overlong forms, surrogates and code points past
 * U+10FFFF are refused, as RFC 3629 says. */
static int
utf8_char(const unsigned char *s, size_t n)
{
	int len;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t)len > n)
		return 0;
	for (int k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Columns count bytes from 1, as an editor at a byte offset would. */
static void
check_bytes(const struct input *in)
{
	const unsigned char *s = (const unsigned char *)in->buf;
	size_t k = 0;
	int len;

	while (k < in->len) {
		if (s[k] == 0)
			input_fail(in, "NUL byte at column %zu: not text", k + 1);
		if (!(len = utf8_char(s + k, in->len - k)))
			input_fail(in, "invalid UTF-8 at column %zu (byte 0x%02x)",
			    k + 1, s[k]);
		k += (size_t)len;
	}
}

/* A line that opens and closes with braces is most likely a record that
 * was meant to be read without --text. */
static void
note_json(struct text *t, const struct input *in)
{
	const char *s = in->buf, *e = in->buf + in->len;

	if (t->noted)
		return;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e - s >= 2 && s[0] == '{' && e[-1] == '}') {
		note("%s:%ld: this looks like a JSON record, but --text reads "
		    "every line as plain words", in->name, in->line);
		t->noted = 1;
	}
}

static int
space(int c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

/* Letters, digits and every character beyond ASCII make words. */
static int
wordchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

static int
punctuation(int c)
{
	return c > ' ' && c < 0x7f && !wordchar(c);
}

/* The next word of s (from *k on) into w, NUL-terminated; 0 at the end. */
static int
next_word(const struct text *t, const unsigned char *s, size_t n, size_t *k,
    char *w)
{
	size_t i = *k, m = 0;

	for (;;) {
		while (i < n && space(s[i]))
			i++;
		if (i == n) {
			*k = i;
			return 0;
		}
		if (t->punct == TEXT_KEEP) {
			while (i < n && !space(s[i]))
				w[m++] = (char)s[i++];
			break;
		}
		if (wordchar(s[i])) {
			/* an apostrophe between word characters stays inside:
			 * don't, licensee's */
			while (i < n && (wordchar(s[i]) || (s[i] == '\'' && m &&
			    i + 1 < n && wordchar(s[i + 1]))))
				w[m++] = (char)s[i++];
			break;
		}
		if (t->punct == TEXT_SPLIT && punctuation(s[i])) {
			w[m++] = (char)s[i++];
			break;
		}
		i++;    /* dropped punctuation, or a control character */
	}
	w[m] = '\0';
	*k = i;
	if (t->lower)
		for (size_t j = 0; j < m; j++)
			if (w[j] >= 'A' && w[j] <= 'Z')
				w[j] = (char)(w[j] - 'A' + 'a');
	return 1;
}

int *
text_words(struct text *t, const struct input *in, struct vocab *v, int *n)
{
	size_t cap = in->len / 2 + 1 < MAX_PROMPT ? in->len / 2 + 1 : MAX_PROMPT;
	const unsigned char *s = (const unsigned char *)in->buf;
	int *ids;
	char *w;
	size_t k = 0;

	check_bytes(in);
	note_json(t, in);
	/* split punctuation can make a token of every other byte */
	if (t->punct == TEXT_SPLIT)
		cap = in->len + 1 < MAX_PROMPT ? in->len + 1 : MAX_PROMPT;
	ids = xmalloc(cap * sizeof *ids);
	w = xmalloc(in->len + 1);
	*n = 0;
	t->pos = 0;
	while (next_word(t, s, in->len, &k, w)) {
		if ((size_t)*n == cap) {
			free(ids);
			free(w);
			input_fail(in, "more than %ld words, the limit", MAX_PROMPT);
		}
		if ((ids[(*n)++] = vocab_token(v, w)) < 0) {
			char word[48];

			snprintf(word, sizeof word, "%.40s", w);
			free(ids);
			free(w);
			if (v->grow)
				input_fail(in, "more than %d distinct words", v->limit);
			input_fail(in, "word \"%s\" is not in the vocabulary and "
			    "it has no \"<unk>\"", word);
		}
	}
	free(w);
	return ids;
}

int
text_piece(struct text *t, int n, int *off, int *len)
{
	while (t->pos < n) {
		int size = t->chunk ? t->chunk : n;
		long k = t->piece++;

		*off = t->pos;
		*len = n - t->pos < size ? n - t->pos : size;
		t->pos += *len;
		if (!t->of || (k % t->of == t->sel - 1) != t->skip)
			return 1;
	}
	t->pos = 0;
	return 0;
}
