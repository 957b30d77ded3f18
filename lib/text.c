#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vocab.h"

/* I/M, 1 <= I <= M <= 1000000, digits only (as for --rows): 0, or -1. */
static int
parse_pieces(const char *arg, int *sel, int *of)
{
	long i, m;

	if (opt_fraction(arg, &i, &m) != 0 || i < 1 || m < i || m > 1000000)
		return -1;
	*sel = (int)i;
	*of = (int)m;
	return 0;
}

static const char *const punct_name[] = { "keep", "split", "drop" };

int
text_option(struct text *t, int c, const char *arg, const char *usage)
{
	switch (c) {
	case TEXT_OPT_LOWER:
		t->lower = 1;
		t->given |= TEXT_GIVEN_LOWER;
		return 1;
	case TEXT_OPT_PUNCT:
		if ((t->punct = name_index(arg, punct_name, 3)) < 0)
			usage_error(NULL, "--punct: keep, split or drop, not '%s'",
			    arg);
		t->given |= TEXT_GIVEN_PUNCT;
		return 1;
	case TEXT_OPT_CHUNK:
		t->chunk = (int)opt_long(usage, "--chunk", arg, 2, MAX_PROMPT);
		t->given |= TEXT_GIVEN_CHUNK;
		return 1;
	case TEXT_OPT_PIECES:
	case TEXT_OPT_SKIP:
		if (t->of)
			usage_error(NULL, "one of --pieces and --skip-pieces, once");
		if (parse_pieces(arg, &t->sel, &t->of) != 0)
			usage_error(NULL, "%s: I/M with 1 <= I <= M <= 1000000, not "
			    "'%s'", c == TEXT_OPT_SKIP ? "--skip-pieces" : "--pieces",
			    arg);
		t->skip = c == TEXT_OPT_SKIP;
		t->given |= TEXT_GIVEN_PIECES;
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

/* Whether s (n bytes) opens with UNK, as --lower reads it: the unknown
 * word is one word whatever --punct parts, as it is in keep. */
static int
unk_at(const struct text *t, const unsigned char *s, size_t n)
{
	for (size_t j = 0; j < sizeof UNK - 1; j++) {
		int c = j < n ? s[j] : 0;

		if (t->lower && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != UNK[j])
			return 0;
	}
	return 1;
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
		if (unk_at(t, s + i, n - i)) {
			while (m < sizeof UNK - 1)
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

/* The id of word w under v, or a failure naming it. */
static int
word_id(const struct input *in, struct vocab *v, const char *w, int *ids,
    char *buf)
{
	int id = vocab_token(v, w);
	char word[48];

	if (id >= 0)
		return id;
	snprintf(word, sizeof word, "%.40s", w);
	free(ids);
	free(buf);
	if (v->grow)
		input_fail(in, "more than %d distinct words", v->limit);
	input_fail(in, "word \"%s\" is not in the vocabulary and it has no "
	    "\"<unk>\"", word);
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
		ids[*n] = word_id(in, v, w, ids, w);
		(*n)++;
	}
	free(w);
	return ids;
}

json_t *
text_json(const struct text *t)
{
	char sel[32];

	snprintf(sel, sizeof sel, "%d/%d", t->sel, t->of);
	return jpack("{s:b,s:s,s:o,s:o,s:o}", "lower", t->lower, "punct",
	    punct_name[t->punct], "chunk", t->chunk ? jint(t->chunk) :
	    json_null(), "pieces", t->of && !t->skip ? jstr(sel) : json_null(),
	    "skip_pieces", t->of && t->skip ? jstr(sel) : json_null());
}

/* The options of meta.text; a field that is not as text_json writes it
 * fails, naming it. */
static void
model_text(const struct input *in, json_t *mt, struct text *m)
{
	json_t *x;

	memset(m, 0, sizeof *m);
	if (!json_is_object(mt))
		input_fail(in, "meta.text must be an object");
	if (!json_is_boolean(x = json_object_get(mt, "lower")))
		input_fail(in, "meta.text.lower must be true or false");
	m->lower = json_is_true(x);
	x = json_object_get(mt, "punct");
	if (!json_is_string(x) ||
	    (m->punct = name_index(json_string_value(x), punct_name, 3)) < 0)
		input_fail(in, "meta.text.punct must be \"keep\", \"split\" or "
		    "\"drop\"");
	x = json_object_get(mt, "chunk");
	if (!json_is_null(x) && (!json_is_integer(x) || json_integer_value(x) <
	    2 || json_integer_value(x) > MAX_PROMPT))
		input_fail(in, "meta.text.chunk must be null or an integer in "
		    "[2, %ld]", MAX_PROMPT);
	m->chunk = json_is_integer(x) ? (int)json_integer_value(x) : 0;
	for (int skip = 0; skip < 2; skip++) {
		const char *key = skip ? "skip_pieces" : "pieces";

		x = json_object_get(mt, key);
		if (json_is_null(x))
			continue;
		if (!json_is_string(x) || m->of || parse_pieces(json_string_value(x),
		    &m->sel, &m->of) != 0)
			input_fail(in, "meta.text.%s must be null or \"I/M\" (and "
			    "only one of pieces and skip_pieces a string)", key);
		m->skip = skip;
	}
}

void
text_use_model(struct text *t, const struct input *in, json_t *mt,
    struct text *model)
{
	struct text m;
	char given[32], made[32];

	model_text(in, mt, &m);
	if ((t->given & TEXT_GIVEN_LOWER) && !m.lower)
		usage_error(NULL, "--lower contradicts the model's text options: "
		    "it was fitted without --lower (meta.text.lower false)");
	if ((t->given & TEXT_GIVEN_PUNCT) && t->punct != m.punct)
		usage_error(NULL, "--punct %s contradicts the model's --punct %s "
		    "(meta.text.punct)", punct_name[t->punct], punct_name[m.punct]);
	if ((t->given & TEXT_GIVEN_CHUNK) && t->chunk != m.chunk) {
		snprintf(given, sizeof given, "%d", t->chunk);
		snprintf(made, sizeof made, "--chunk %d", m.chunk);
		usage_error(NULL, "--chunk %s contradicts the model's %s "
		    "(meta.text.chunk)", given, m.chunk ? made : "whole lines "
		    "(no --chunk)");
	}
	t->lower = m.lower;
	t->punct = m.punct;
	t->chunk = m.chunk;
	if (!(t->given & TEXT_GIVEN_PIECES) && m.of) {
		t->sel = m.sel;
		t->of = m.of;
		t->skip = !m.skip;
	}
	if (model)
		*model = m;
}

/* Is piece k one that t keeps? */
static int
kept(const struct text *t, long k)
{
	return !t->of || (k % t->of == t->sel - 1) != t->skip;
}

long
text_pieces_shared(const struct text *t, const struct text *other)
{
	long n = 0;

	for (long k = 0; k < t->piece; k++)
		n += kept(t, k) && kept(other, k);
	return n;
}

/* ids with id appended (*n of them, room for *cap), at most MAX_PROMPT. */
static int *
push_id(const struct input *in, int *ids, size_t *cap, int *n, int id)
{
	if (*n >= MAX_PROMPT) {
		free(ids);
		input_fail(in, "more than %ld words, the limit", MAX_PROMPT);
	}
	if ((size_t)*n == *cap)
		ids = xrealloc(ids, (*cap *= 2) * sizeof *ids);
	ids[(*n)++] = id;
	return ids;
}

int *
text_prompt(const struct text *t, const struct input *in, json_t *a, int K,
    struct vocab *v, int *n)
{
	size_t cap = 16, len = json_array_size(a);
	int *ids;
	json_t *x;

	if (!json_is_array(a))
		input_fail(in, "\"prompt\" must be an array of tokens");
	ids = xmalloc(cap * sizeof *ids);
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		const char *s;
		char *w;
		size_t k = 0, sl;

		if (json_is_integer(x = json_array_get(a, i))) {
			if (json_integer_value(x) < 0 || json_integer_value(x) >= K) {
				free(ids);
				input_fail(in, "token %lld out of range (K = %d)",
				    (long long)json_integer_value(x), K);
			}
			ids = push_id(in, ids, &cap, n, (int)json_integer_value(x));
			continue;
		}
		if (!json_is_string(x) || !v) {
			free(ids);
			input_fail(in, !v ? "string tokens, but the model has no "
			    "vocabulary" : "a token must be an id or a string");
		}
		s = json_string_value(x);
		sl = json_string_length(x);
		if (vocab_find(v, s) >= 0) {
			/* a word of the model (<unk> too) stays whole */
			ids = push_id(in, ids, &cap, n, vocab_find(v, s));
			continue;
		}
		w = xmalloc(sl + 1);
		while (next_word(t, (const unsigned char *)s, sl, &k, w)) {
			int id = word_id(in, v, w, ids, w);

			if (*n >= MAX_PROMPT)
				free(w);
			ids = push_id(in, ids, &cap, n, id);
		}
		free(w);
	}
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
