#include "weights.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* ---- complaints: one line naming file and tensor, exit 65 ---- */

static void fail(const struct weights *w, const char *tensor,
    const char *fmt, ...) __attribute__((format(printf, 3, 4), noreturn));

static void
fail(const struct weights *w, const char *tensor, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (tensor)
		die(EXIT_DATA, "%s: tensor %s: %s", w->path, tensor, msg);
	die(EXIT_DATA, "%s: %s", w->path, msg);
}

static size_t
itemsize(enum wdtype t)
{
	return t == W_F64 ? 8 : t == W_F32 ? 4 : 2;
}

/* A name that may go into a one-line message: no control characters. */
static int
printable(const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return 0;
	return 1;
}

static struct wtensor *
new_tensor(struct weights *w, const char *name, size_t namelen)
{
	struct wtensor *t;

	if (w->n >= WEIGHTS_MAX_TENSORS)
		fail(w, NULL, "more than %d tensors", WEIGHTS_MAX_TENSORS);
	if (namelen >= sizeof t->name)
		fail(w, NULL, "a tensor name of %zu bytes (at most %zu)", namelen,
		    sizeof t->name - 1);
	if (!printable(name, namelen))
		fail(w, NULL, "a tensor name holds control characters");
	w->t = xrealloc(w->t, ((size_t)w->n + 1) * sizeof *w->t);
	t = &w->t[w->n++];
	memset(t, 0, sizeof *t);
	memcpy(t->name, name, namelen);
	t->name[namelen] = 0;
	return t;
}

/* The bytes a shape needs, or fails: dimensions within a 2^31 and the
 * product within limit, the bytes there are (the file's; the declared
 * size of a .npz member, itself within deflate's ratio). */
static size_t
shape_bytes(const struct weights *w, const struct wtensor *t, uint64_t limit)
{
	size_t n = itemsize(t->dtype);

	if (t->ndim < 1 || t->ndim > 2)
		fail(w, t->name, "%d dimensions: a weight is a matrix (or a "
		    "vector)", t->ndim);
	for (int i = 0; i < t->ndim; i++) {
		if (t->shape[i] < 0 || t->shape[i] > INT32_MAX)
			fail(w, t->name, "dimension %ld out of range", t->shape[i]);
		if (t->shape[i] && n > limit / (uint64_t)t->shape[i] + 1)
			fail(w, t->name, "its shape needs more bytes than the %s "
			    "holds (%llu)", t->zipped ? "member" : "file",
			    (unsigned long long)limit);
		n *= (size_t)t->shape[i];
	}
	return n;
}

/* ---- .npy ---- */

/*
 * The header is a Python dict literal that np.load reads with
 * ast.literal_eval: exactly the keys 'descr', 'fortran_order' and 'shape',
 * each once (a key given twice is the last one to numpy), nothing else.
 * Read as strictly: a header that numpy refuses, or would read otherwise,
 * is an error, never a guess.
 */
static const char *
npy_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
		p++;
	return p;
}

/* A quoted string without escapes into buf (of len bytes): past it, or
 * NULL if it is none or too long. */
static const char *
npy_string(const char *p, char *buf, size_t len)
{
	char q = *p;
	size_t n = 0;

	if (q != '\'' && q != '"')
		return NULL;
	for (p++; *p && *p != q && *p != '\\'; p++) {
		if (n + 1 == len)
			return NULL;
		buf[n++] = *p;
	}
	buf[n] = 0;
	return *p == q ? p + 1 : NULL;
}

static const char *
npy_descr(const struct weights *w, struct wtensor *t, const char *p)
{
	char descr[16];

	if (!(p = npy_string(p, descr, sizeof descr)))
		fail(w, t->name, ".npy descr is not a dtype string");
	if (strcmp(descr, "<f8") == 0)
		t->dtype = W_F64;
	else if (strcmp(descr, "<f4") == 0)
		t->dtype = W_F32;
	else if (strcmp(descr, "<f2") == 0)
		t->dtype = W_F16;
	else if (descr[0] == '>')
		fail(w, t->name, "big-endian dtype '%s': save little-endian "
		    "(astype('<f8'))", descr);
	else
		fail(w, t->name, "unknown dtype '%s' (float64, float32 or "
		    "float16 are read)", descr);
	return p;
}

static const char *
npy_fortran(const struct weights *w, struct wtensor *t, const char *p)
{
	const char *q = strncmp(p, "True", 4) == 0 ? p + 4 :
	    strncmp(p, "False", 5) == 0 ? p + 5 : NULL;

	if (!q || *q == '_' || isalnum((unsigned char)*q))
		fail(w, t->name, ".npy fortran_order is neither True nor False");
	t->fortran = *p == 'T';
	return q;
}

/* A tuple of non-negative integers ("(5)" is no tuple: "(5,)"). */
static const char *
npy_shape(const struct weights *w, struct wtensor *t, const char *p)
{
	int comma = 0;

	if (*p++ != '(')
		fail(w, t->name, ".npy shape is not a tuple");
	for (t->ndim = 0; *(p = npy_space(p)) != ')'; ) {
		char *end;
		long v;

		if (t->ndim >= 2)
			fail(w, t->name, "more than 2 dimensions: a weight is a "
			    "matrix");
		errno = 0;
		v = strtol(p, &end, 10);
		if (!(isdigit((unsigned char)*p) || (*p == '+' &&
		    isdigit((unsigned char)p[1]))) || errno || v < 0)
			fail(w, t->name, ".npy shape holds no non-negative integer");
		t->shape[t->ndim++] = v;
		if (*(p = npy_space(end)) == ',')
			p++, comma = 1;
		else if (*p != ')')
			fail(w, t->name, ".npy shape is not a tuple of integers");
		else
			comma = t->ndim > 1;
	}
	if (t->ndim == 1 && !comma)
		fail(w, t->name, ".npy shape (n) is no tuple: (n,)");
	return p + 1;
}

static void
npy_header(const struct weights *w, struct wtensor *t, const char *hdr)
{
	static const char *keys[] = { "descr", "fortran_order", "shape" };
	const char *p = npy_space(hdr);
	int seen = 0, k;
	char key[16];

	if (*p++ != '{')
		fail(w, t->name, ".npy header is not a dict");
	while (*(p = npy_space(p)) != '}') {
		if (!(p = npy_string(p, key, sizeof key)))
			fail(w, t->name, ".npy header: a key is not 'descr', "
			    "'fortran_order' or 'shape'");
		for (k = 0; k < 3 && strcmp(key, keys[k]) != 0; k++)
			;
		if (k == 3)
			fail(w, t->name, ".npy header: '%s' is not a key of a "
			    ".npy header", key);
		if (seen & 1 << k)
			fail(w, t->name, ".npy header holds '%s' twice", key);
		seen |= 1 << k;
		if (*(p = npy_space(p)) != ':')
			fail(w, t->name, ".npy header: no ':' after '%s'", key);
		p = npy_space(p + 1);
		p = k == 0 ? npy_descr(w, t, p) : k == 1 ? npy_fortran(w, t, p) :
		    npy_shape(w, t, p);
		if (*(p = npy_space(p)) == ',')
			p++;
		else if (*p != '}')
			fail(w, t->name, ".npy header: '%s' is followed by neither "
			    "',' nor '}'", key);
	}
	for (k = 0; k < 3; k++)
		if (!(seen & 1 << k))
			fail(w, t->name, ".npy header has no '%s'", keys[k]);
	if (*npy_space(p + 1))
		fail(w, t->name, ".npy header: more after its dict");
}

/* The length of a .npy image's preamble and header, from its first bytes
 * (p: at least 12 of the image's len, or all of them). */
static size_t
npy_head_len(const struct weights *w, const struct wtensor *t,
    const unsigned char *p, size_t len)
{
	size_t hl, off;

	if (len < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
		fail(w, t->name, "not a .npy image (no \\x93NUMPY magic)");
	if (p[6] == 1) {
		hl = le16(p + 8);
		off = 10;
	} else if (p[6] == 2 || p[6] == 3) {
		if (len < 12)
			fail(w, t->name, ".npy header cut short");
		hl = le32(p + 8);
		off = 12;
	} else
		fail(w, t->name, ".npy version %d is not known", p[6]);
	if (hl > (1L << 20))
		fail(w, t->name, ".npy header of %zu bytes: over the limit of 1 "
		    "MiB", hl);
	if (hl > len - off)
		fail(w, t->name, ".npy header of %zu bytes runs past the end "
		    "(%zu bytes)", hl, len);
	return off + hl;
}

/* The header of a .npy image of len bytes (at p, its first head bytes):
 * the array takes the rest, exactly. */
static void
npy_header_of(struct weights *w, struct wtensor *t, const unsigned char *p,
    size_t head, size_t len)
{
	size_t off = p[6] == 1 ? 10 : 12, need;
	char *hdr = xmalloc(head - off + 1);

	memcpy(hdr, p + off, head - off);
	hdr[head - off] = 0;
	if (memchr(hdr, 0, head - off)) {
		free(hdr);
		fail(w, t->name, ".npy header holds a NUL byte");
	}
	npy_header(w, t, hdr);
	free(hdr);
	need = shape_bytes(w, t, len - head);
	if (need != len - head)
		fail(w, t->name, "the shape needs %zu bytes of data, the %s "
		    "holds %zu", need, t->zipped ? "member" : "file", len - head);
	t->skip = head;
	t->bytes = need;
}

/* A .npy image in [p, p + len): its header and data, exactly len bytes. */
static void
npy_parse(struct weights *w, struct wtensor *t, const unsigned char *p,
    size_t len)
{
	npy_header_of(w, t, p, npy_head_len(w, t, p, len), len);
	t->data = p + t->skip;
	t->src = t->data;
	t->srclen = t->bytes;
}

/* ---- .npz: a zip archive of .npy files, stored or deflated ---- */

static void
zfail(const struct weights *w, const char *tensor, struct zreader *r,
    const char *why) __attribute__((noreturn));

static void
zfail(const struct weights *w, const char *tensor, struct zreader *r,
    const char *why)
{
	zread_close(r);
	fail(w, tensor, "%s", why);
}

/* The member's .npy header, inflated if need be (its first bytes, then
 * the whole header); its array is read by weights_matrix. */
static void
npz_header(struct weights *w, struct wtensor *t)
{
	const struct zmember *m = &t->member;
	unsigned char first[12], *head;
	size_t n = m->usize < sizeof first ? (size_t)m->usize : sizeof first;
	size_t hl;
	struct zreader r;
	char why[256];

	zread_open(&r, m);
	if (zread(&r, first, n, why, sizeof why) < 0)
		zfail(w, t->name, &r, why);
	zread_close(&r);
	hl = npy_head_len(w, t, first, m->usize > SIZE_MAX ? SIZE_MAX :
	    (size_t)m->usize);
	head = xmalloc(hl);
	zread_open(&r, m);
	if (zread(&r, head, hl, why, sizeof why) < 0) {
		free(head);
		zfail(w, t->name, &r, why);
	}
	zread_close(&r);
	npy_header_of(w, t, head, hl, (size_t)m->usize);
	free(head);
}

static void
npz_parse(struct weights *w)
{
	struct zip z;
	char why[256];

	if (zip_open(&z, w->map, w->size, why, sizeof why) < 0)
		fail(w, NULL, "%s", why);
	for (uint64_t i = 0; i < z.count; i++) {
		struct zmember m;
		struct wtensor *t;
		int rc = zip_member(&z, &m, why, sizeof why);

		if (!m.name)
			fail(w, NULL, "%s", why);
		if (!printable(m.name, m.namelen))
			fail(w, NULL, "a member name holds control characters");
		if (m.namelen < 5 || !bytes_end_with(m.name, m.namelen, ".npy"))
			fail(w, NULL, "member '%.*s' is not a .npy", (int)m.namelen,
			    m.name);
		t = new_tensor(w, m.name, m.namelen - 4);
		if (rc < 0)
			fail(w, t->name, "%s", why);
		if (weights_find(w, t->name) != t)
			fail(w, t->name, "a second member of that name");
		t->zipped = 1;
		t->member = m;
		t->src = m.data;
		t->srclen = (size_t)m.csize;
		npz_header(w, t);
	}
}

/* ---- .safetensors: u64 header size, JSON header, data ---- */

static void
st_tensor(struct weights *w, const char *name, json_t *v, size_t base,
    size_t datalen)
{
	struct wtensor *t = new_tensor(w, name, strlen(name));
	const char *dt = json_string_value(json_object_get(v, "dtype"));
	json_t *shape = json_object_get(v, "shape");
	json_t *off = json_object_get(v, "data_offsets");
	json_int_t b, e;
	size_t need;

	if (!json_is_object(v) || !dt || !json_is_array(shape) ||
	    !json_is_array(off) || json_array_size(off) != 2)
		fail(w, name, "needs dtype, shape and data_offsets [begin, end]");
	if (strcmp(dt, "F64") == 0)
		t->dtype = W_F64;
	else if (strcmp(dt, "F32") == 0)
		t->dtype = W_F32;
	else if (strcmp(dt, "F16") == 0)
		t->dtype = W_F16;
	else if (strcmp(dt, "BF16") == 0)
		t->dtype = W_BF16;
	else
		fail(w, name, "unknown dtype \"%.16s\" (F64, F32, F16 and BF16 are "
		    "read)", dt);
	t->ndim = (int)json_array_size(shape);
	if (t->ndim < 1 || t->ndim > 2)
		fail(w, name, "%d dimensions: a weight is a matrix (or a vector)",
		    t->ndim);
	for (int i = 0; i < t->ndim; i++) {
		json_t *s = json_array_get(shape, (size_t)i);

		if (!json_is_integer(s) || json_integer_value(s) < 0)
			fail(w, name, "shape holds no non-negative integer");
		t->shape[i] = (long)json_integer_value(s);
	}
	need = shape_bytes(w, t, datalen);
	if (!json_is_integer(json_array_get(off, 0)) ||
	    !json_is_integer(json_array_get(off, 1)))
		fail(w, name, "data_offsets are not integers");
	b = json_integer_value(json_array_get(off, 0));
	e = json_integer_value(json_array_get(off, 1));
	if (b < 0 || e < b || (uint64_t)e > datalen)
		fail(w, name, "data_offsets [%lld, %lld] outside the %zu bytes of "
		    "data", (long long)b, (long long)e, datalen);
	if ((uint64_t)(e - b) != need)
		fail(w, name, "data_offsets hold %lld bytes, the shape needs %zu",
		    (long long)(e - b), need);
	t->data = w->map + base + (size_t)b;
	t->bytes = need;
	t->src = t->data;
	t->srclen = need;
}

static void check_overlap(struct weights *w);

/* The tensors cover the data from at to the end exactly, one after
 * another, as the format lays them out (its reference loader refuses a
 * gap, or bytes after the last). */
static void
st_covered(struct weights *w, const unsigned char *at)
{
	check_overlap(w);                       /* in the order of the file */
	for (int i = 0; i < w->n; at += w->t[i++].srclen)
		if (w->t[i].src != at)
			fail(w, w->t[i].name, "%td bytes of the data before it "
			    "belong to no tensor", w->t[i].src - at);
	if (at != w->map + w->size)
		fail(w, NULL, "%td bytes after the last tensor's data belong to "
		    "no tensor", w->map + w->size - at);
}

static void
st_parse(struct weights *w)
{
	uint64_t hl;
	json_t *h, *v;
	json_error_t err;
	const char *name;

	if (w->size < 8)
		fail(w, NULL, "safetensors file of %zu bytes: no header size",
		    w->size);
	hl = le64(w->map);
	if (hl > WEIGHTS_MAX_HEADER)
		fail(w, NULL, "safetensors header of %llu bytes: over the limit "
		    "of %ld", (unsigned long long)hl, WEIGHTS_MAX_HEADER);
	if (hl > w->size - 8)
		fail(w, NULL, "safetensors header of %llu bytes runs past the end "
		    "(%zu bytes)", (unsigned long long)hl, w->size);
	h = json_loadb((const char *)w->map + 8, (size_t)hl,
	    JSON_REJECT_DUPLICATES, &err);
	if (!h || !json_is_object(h))
		fail(w, NULL, "safetensors header is not a JSON object: %s",
		    h ? "" : err.text);
	json_object_foreach(h, name, v)
		if (strcmp(name, "__metadata__") != 0)
			st_tensor(w, name, v, 8 + (size_t)hl,
			    w->size - 8 - (size_t)hl);
	json_decref(h);
	st_covered(w, w->map + 8 + hl);
}

/* No two tensors share a byte of the file (nor two .npz members: the
 * zip bomb that inflates one stream many times). */
static int
by_src(const void *a, const void *b)
{
	const struct wtensor *x = a, *y = b;

	return x->src < y->src ? -1 : x->src > y->src;
}

static void
check_overlap(struct weights *w)
{
	qsort(w->t, (size_t)w->n, sizeof *w->t, by_src);
	for (int i = 0; i + 1 < w->n; i++)
		if (w->t[i].src + w->t[i].srclen > w->t[i + 1].src)
			fail(w, w->t[i + 1].name, "its data overlaps tensor %s's",
			    w->t[i].name);
}

void
weights_open(struct weights *w, const char *path, const char *npy_name)
{
	struct stat st;
	int fd;

	memset(w, 0, sizeof *w);
	w->path = path;
	/* O_NONBLOCK: a FIFO's open would wait for a writer */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK)) < 0 || fstat(fd, &st) != 0)
		die(EXIT_DATA, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		fail(w, NULL, "not a regular file with data");
	w->size = (size_t)st.st_size;
	w->id = (struct wfile_id){ st.st_dev, st.st_ino, (unsigned long long)
	    st.st_size, (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
	    (unsigned long long)st.st_mtim.tv_nsec };
	w->map = mmap(NULL, w->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (w->map == MAP_FAILED)
		die(EXIT_FAIL, "%s: %s", path, strerror(errno));
	if (ends_with(path, ".safetensors"))
		st_parse(w);
	else if (ends_with(path, ".npz"))
		npz_parse(w);
	else if (ends_with(path, ".npy"))
		npy_parse(w, new_tensor(w, npy_name, strlen(npy_name)), w->map,
		    w->size);
	else
		fail(w, NULL, "unknown format: the name must end in .npy, .npz or "
		    ".safetensors");
	check_overlap(w);
}

void
weights_close(struct weights *w)
{
	if (w->map && w->map != MAP_FAILED)
		munmap(w->map, w->size);
	free(w->t);
	memset(w, 0, sizeof *w);
}

const struct wtensor *
weights_find(const struct weights *w, const char *name)
{
	for (int i = 0; i < w->n; i++)
		if (strcmp(w->t[i].name, name) == 0)
			return &w->t[i];
	return NULL;
}

static double
half(uint16_t h)
{
	int e = (h >> 10) & 31, f = h & 1023;
	double v = e == 0 ? ldexp(f, -24) : e == 31 ? (f ? NAN : INFINITY) :
	    ldexp(f + 1024, e - 25);

	return h >> 15 ? -v : v;
}

static double
element(enum wdtype dt, const unsigned char *p)
{
	uint64_t u = dt == W_F64 ? le64(p) : dt == W_F32 ? le32(p) : le16(p);
	double d;
	float f;

	switch (dt) {
	case W_F64:
		memcpy(&d, &u, 8);
		return d;
	case W_F32: {
		uint32_t v = (uint32_t)u;

		memcpy(&f, &v, 4);
		return f;
	}
	case W_F16:
		return half((uint16_t)u);
	case W_BF16: {
		uint32_t v = (uint32_t)u << 16;

		memcpy(&f, &v, 4);
		return f;
	}
	}
	return NAN;
}

/* The count elements at p, elements first.. of t in the order stored,
 * into their places in the r x c row-major matrix m; *bad: the place of
 * the first NaN or infinity, if there is one and none before. */
static void
store(const struct wtensor *t, const unsigned char *p, size_t first,
    size_t count, long r, long c, double *m, size_t *bad)
{
	size_t size = itemsize(t->dtype), inner = (size_t)(t->fortran ? r : c);
	size_t o, k;

	if (count == 0)
		return;
	o = first / inner;      /* the stored index is o * inner + k */
	k = first % inner;
	for (size_t n = 0; n < count; n++) {
		size_t at = t->fortran ? k * (size_t)c + o : o * (size_t)c + k;

		m[at] = element(t->dtype, p + n * size);
		if (!isfinite(m[at]) && *bad == SIZE_MAX)
			*bad = at;
		if (++k == inner) {
			k = 0;
			o++;
		}
	}
}

/* Bytes inflated at a time: a multiple of every item size. */
#define NPZ_CHUNK 65536

/* A .npz member's array, read (inflated) piece by piece into m, its
 * CRC-32 and sizes checked at the end. */
static void
npz_array(const struct weights *w, const struct wtensor *t, long r, long c,
    double *m, size_t *bad)
{
	size_t size = itemsize(t->dtype), n = (size_t)r * (size_t)c, k;
	size_t skip = t->skip;
	unsigned char *buf = xmalloc(NPZ_CHUNK);
	struct zreader z;
	char why[256];
	int rc = 0;

	zread_open(&z, &t->member);
	for (; skip > 0 && rc == 0; skip -= k) {
		k = skip < NPZ_CHUNK ? skip : NPZ_CHUNK;
		rc = zread(&z, buf, k, why, sizeof why);
	}
	for (size_t done = 0; done < n && rc == 0; done += k) {
		k = n - done < NPZ_CHUNK / size ? n - done : NPZ_CHUNK / size;
		if ((rc = zread(&z, buf, k * size, why, sizeof why)) == 0)
			store(t, buf, done, k, r, c, m, bad);
	}
	if (rc == 0)
		rc = zread_end(&z, why, sizeof why);
	else
		zread_close(&z);
	free(buf);
	if (rc < 0) {
		free(m);        /* fail exits: nothing left behind */
		fail(w, t->name, "%s", why);
	}
}

void
weights_shape(const struct wtensor *t, long *rows, long *cols)
{
	*rows = t->ndim == 2 ? t->shape[0] : 1;
	*cols = t->ndim == 2 ? t->shape[1] : t->shape[0];
}

double *
weights_matrix(const struct weights *w, const struct wtensor *t, long *rows,
    long *cols)
{
	long r, c;
	size_t n, bad = SIZE_MAX;
	double *m;

	weights_shape(t, &r, &c);
	n = (size_t)r * (size_t)c;
	m = xmalloc(checked_size(n + 1, sizeof *m));

	if (t->zipped)
		npz_array(w, t, r, c, m, &bad);
	else
		store(t, t->data, 0, n, r, c, m, &bad);
	if (bad != SIZE_MAX) {
		int nan = isnan(m[bad]);

		free(m);
		fail(w, t->name, "%s at [%zu, %zu]", nan ? "NaN" :
		    "an infinite value", bad / (size_t)c, bad % (size_t)c);
	}
	*rows = r;
	*cols = c;
	return m;
}

/* ---- writing ---- */

int
wdtype_parse(const char *s)
{
	static const char *names[] = { "float64", "float32", "float16",
	    "bfloat16" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static uint16_t
to_half(double x)
{
	uint16_t s = signbit(x) ? 0x8000 : 0;
	long m;
	int e;

	x = fabs(x);
	if (isnan(x))
		return s | 0x7e00;
	if (x < ldexp(1, -14))          /* subnormal; 1024 is the first normal */
		return s | (uint16_t)lrint(x * ldexp(1, 24));
	m = lrint((frexp(x, &e) * 2 - 1) * 1024);
	if (m == 1024) {
		m = 0;
		e++;
	}
	if (e - 1 > 15)
		return s | 0x7c00;
	return s | (uint16_t)((e - 1 + 15) << 10) | (uint16_t)m;
}

static uint16_t
to_bf16(double x)
{
	float f = (float)x;
	uint32_t u;

	memcpy(&u, &f, 4);
	if (isnan(f))
		return 0x7fc0;
	u += 0x7fff + ((u >> 16) & 1);   /* round to nearest even */
	return (uint16_t)(u >> 16);
}

/* The array as little-endian bytes of dtype into out. */
static void
encode(const double *a, size_t n, enum wdtype t, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t u = 0;
		float f;
		uint32_t v;

		switch (t) {
		case W_F64:
			memcpy(&u, &a[i], 8);
			break;
		case W_F32:
			f = (float)a[i];
			memcpy(&v, &f, 4);
			u = v;
			break;
		case W_F16:
			u = to_half(a[i]);
			break;
		case W_BF16:
			u = to_bf16(a[i]);
			break;
		}
		put_le(out + i * itemsize(t), u, (int)itemsize(t));
	}
}

/* Elements encoded at a time, into a buffer of NPZ_CHUNK bytes. */
#define WRITE_CHUNK (NPZ_CHUNK / 8)

/* The n elements at a as little-endian bytes of dtype t, encoded and
 * handed to put a piece at a time: no second copy of a matrix that may
 * take gigabytes.  0, or put's error. */
static int
write_array(const double *a, size_t n, enum wdtype t,
    int (*put)(void *to, const void *p, size_t len), void *to)
{
	unsigned char *buf = xmalloc(NPZ_CHUNK);
	int rc = 0;

	for (size_t i = 0, k; i < n && rc == 0; i += k) {
		k = n - i < WRITE_CHUNK ? n - i : WRITE_CHUNK;
		encode(a + i, k, t, buf);
		rc = put(to, buf, k * itemsize(t));
	}
	free(buf);
	return rc;
}

static int
put_file(void *f, const void *p, size_t len)
{
	return fwrite(p, 1, len, f) == len ? 0 : -1;
}

static int
put_member(void *z, const void *p, size_t len)
{
	return zipw_write(z, p, len);
}

static int
write_safetensors(FILE *f, enum wdtype t, int n, const char *const *names,
    const double *const *arrays, const long *rows, const long *cols)
{
	static const char *dt[] = { "F64", "F32", "F16", "BF16" };
	json_t *h = json_object();
	size_t at = 0, hl;
	char *text;
	unsigned char len[8];
	int rc = 0;

	for (int i = 0; i < n; i++) {
		size_t b = (size_t)rows[i] * cols[i] * itemsize(t);

		json_object_set_new(h, names[i], json_pack("{s:s,s:[I,I],s:[I,I]}",
		    "dtype", dt[t], "shape", (json_int_t)rows[i],
		    (json_int_t)cols[i], "data_offsets", (json_int_t)at,
		    (json_int_t)(at + b)));
		at += b;
	}
	text = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(h);
	hl = strlen(text);
	put_le(len, (hl + 7) / 8 * 8, 8);      /* padded with spaces to 8 */
	fwrite(len, 1, 8, f);
	fwrite(text, 1, hl, f);
	for (; hl % 8; hl++)
		fputc(' ', f);
	free(text);
	for (int i = 0; i < n && rc == 0; i++)
		rc = write_array(arrays[i], (size_t)rows[i] * cols[i], t, put_file,
		    f);
	return rc;
}

/* The header of a .npy image of an r x c array, as np.save writes it
 * (version 1, padded with spaces so the data start at a multiple of 64),
 * into h (at least 128 bytes): its length. */
static size_t
npy_head(unsigned char *h, long r, long c, enum wdtype t)
{
	static const char *descr[] = { "<f8", "<f4", "<f2" };
	char hdr[160];
	int hl = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': "
	    "False, 'shape': (%ld, %ld), }", descr[t], r, c);
	size_t pad = (64 - (10 + (size_t)hl + 1) % 64) % 64;
	size_t hlen = (size_t)hl + pad + 1;

	memcpy(h, "\x93NUMPY\x01\x00", 8);
	put_le(h + 8, hlen, 2);
	memcpy(h + 10, hdr, (size_t)hl);
	memset(h + 10 + hl, ' ', pad);
	h[10 + hlen - 1] = '\n';
	return 10 + hlen;
}

/* One member: the .npy image of the array. */
static int
npz_member(struct zipw *z, const char *name, const double *a, long r,
    long c, enum wdtype t, int deflate)
{
	unsigned char head[192];
	size_t hl = npy_head(head, r, c, t), n = (size_t)r * (size_t)c;
	char member[140];
	int rc;

	snprintf(member, sizeof member, "%s.npy", name);
	if ((rc = zipw_begin(z, member, hl + n * itemsize(t), deflate)) != 0 ||
	    (rc = zipw_write(z, head, hl)) != 0 ||
	    (rc = write_array(a, n, t, put_member, z)) != 0)
		return rc;
	return zipw_end(z);
}

static int
write_npz(FILE *f, enum wdtype t, int deflate, int n,
    const char *const *names, const double *const *arrays, const long *rows,
    const long *cols)
{
	struct zipw z = { .f = f };
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++)
		rc = npz_member(&z, names[i], arrays[i], rows[i], cols[i], t,
		    deflate);
	if (rc == 0)
		return zipw_finish(&z);
	zipw_abandon(&z);
	return rc;
}

/* Why weights_write would write no file of this name and dtype, and its
 * answer then (-3 for the name, -2 for the dtype), or NULL. */
static const char *
unwritable(const char *path, int dtype, int *rc)
{
	int npz = ends_with(path, ".npz"), type = dtype & ~WEIGHTS_DEFLATE;

	*rc = -3;
	if (!npz && !ends_with(path, ".safetensors"))
		return "the name must end in .safetensors or .npz";
	*rc = -2;
	/* the flag off before the value is an enum wdtype: it holds no other */
	if (type < W_F64 || type > W_BF16)
		return "no such dtype";
	if (npz && type == W_BF16)
		return "bfloat16 goes to .safetensors (numpy has no bfloat16)";
	if ((dtype & WEIGHTS_DEFLATE) && !npz)
		return "deflated members go to a .npz";
	return NULL;
}

const char *
weights_unwritable(const char *path, int dtype)
{
	int rc;

	return unwritable(path, dtype, &rc);
}

int
weights_write(const char *path, int dtype, int n, const char *const *names,
    const double *const *arrays, const long *rows, const long *cols)
{
	int npz = ends_with(path, ".npz"), rc;
	int deflate = dtype & WEIGHTS_DEFLATE, type = dtype & ~WEIGHTS_DEFLATE;
	enum wdtype t;
	FILE *f;

	if (unwritable(path, dtype, &rc))
		return rc;
	t = (enum wdtype)type;
	if (!(f = fopen(path, "wb")))
		return -1;
	rc = npz ? write_npz(f, t, deflate, n, names, arrays, rows, cols) :
	    write_safetensors(f, t, n, names, arrays, rows, cols);
	if (fclose(f) != 0 && rc == 0)
		rc = -1;
	return rc;
}
