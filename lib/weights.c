#include "weights.h"

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

static uint32_t
le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t
le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
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
	w->t = xrealloc(w->t, ((size_t)w->n + 1) * sizeof *w->t);
	t = &w->t[w->n++];
	memset(t, 0, sizeof *t);
	memcpy(t->name, name, namelen);
	t->name[namelen] = 0;
	return t;
}

/* The bytes a shape needs, or fails: dimensions within a 2^31 and the
 * product within the file. */
static size_t
shape_bytes(const struct weights *w, const struct wtensor *t)
{
	size_t n = itemsize(t->dtype);

	if (t->ndim < 1 || t->ndim > 2)
		fail(w, t->name, "%d dimensions: a weight is a matrix (or a "
		    "vector)", t->ndim);
	for (int i = 0; i < t->ndim; i++) {
		if (t->shape[i] < 0 || t->shape[i] > INT32_MAX)
			fail(w, t->name, "dimension %ld out of range", t->shape[i]);
		if (t->shape[i] && n > w->size / (size_t)t->shape[i] + 1)
			fail(w, t->name, "its shape needs more bytes than the file "
			    "holds (%zu)", w->size);
		n *= (size_t)t->shape[i];
	}
	return n;
}

/* ---- .npy ---- */

/* The value after 'key': in a numpy header dict (hdr, NUL-terminated). */
static const char *
npy_key(const struct weights *w, const char *name, const char *hdr,
    const char *key)
{
	const char *p = strstr(hdr, key);

	if (!p)
		fail(w, name, ".npy header has no %s", key);
	p += strlen(key);
	while (*p == ' ')
		p++;
	if (*p++ != ':')
		fail(w, name, ".npy header: no ':' after %s", key);
	while (*p == ' ')
		p++;
	return p;
}

static void
npy_header(const struct weights *w, struct wtensor *t, const char *hdr)
{
	const char *p = npy_key(w, t->name, hdr, "'descr'");
	char q, descr[16];
	size_t n = 0;

	if ((q = *p) != '\'' && q != '"')
		fail(w, t->name, ".npy descr is not a string");
	for (p++; *p && *p != q && n + 1 < sizeof descr; p++)
		descr[n++] = *p;
	descr[n] = 0;
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
	p = npy_key(w, t->name, hdr, "'fortran_order'");
	if (strncmp(p, "True", 4) == 0)
		t->fortran = 1;
	else if (strncmp(p, "False", 5) != 0)
		fail(w, t->name, ".npy fortran_order is neither True nor False");
	p = npy_key(w, t->name, hdr, "'shape'");
	if (*p++ != '(')
		fail(w, t->name, ".npy shape is not a tuple");
	for (t->ndim = 0;;) {
		char *end;
		long v;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ')')
			break;
		if (t->ndim >= 2)
			fail(w, t->name, "more than 2 dimensions: a weight is a "
			    "matrix");
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < 0)
			fail(w, t->name, ".npy shape holds no non-negative integer");
		t->shape[t->ndim++] = v;
		p = end;
	}
}

/* A .npy image in [p, p + len): its header and data, exactly len bytes. */
static void
npy_parse(struct weights *w, struct wtensor *t, const unsigned char *p,
    size_t len)
{
	size_t hl, off, need;
	char *hdr;

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
	hdr = xmalloc(hl + 1);
	memcpy(hdr, p + off, hl);
	hdr[hl] = 0;
	npy_header(w, t, hdr);
	free(hdr);
	off += hl;
	need = shape_bytes(w, t);
	if (need != len - off)
		fail(w, t->name, "the shape needs %zu bytes of data, the file "
		    "holds %zu", need, len - off);
	t->data = p + off;
	t->bytes = need;
}

/* ---- .npz: a zip archive of .npy files, stored ---- */

/* The zip64 extra field's values for the fields that are 0xFFFFFFFF. */
static void
zip64_sizes(const struct weights *w, const unsigned char *x, size_t xlen,
    uint64_t *usize, uint64_t *csize, uint64_t *lho)
{
	while (xlen >= 4) {
		unsigned id = le16(x), n = le16(x + 2);
		const unsigned char *v = x + 4;

		if (n > xlen - 4)
			fail(w, NULL, "a zip extra field runs past its entry");
		if (id == 1) {
			uint64_t *f[3] = { usize, csize, lho };

			for (int i = 0; i < 3; i++)
				if (*f[i] == 0xFFFFFFFF) {
					if (v + 8 > x + 4 + n)
						fail(w, NULL, "zip64 extra field cut short");
					*f[i] = le64(v);
					v += 8;
				}
			return;
		}
		x += 4 + n;
		xlen -= 4 + n;
	}
}

static void
npz_entry(struct weights *w, const unsigned char *e, size_t room)
{
	unsigned method, flags, nlen, xlen;
	uint64_t csize, usize, lho;
	const unsigned char *name, *lh;
	struct wtensor *t;

	if (room < 46 || le32(e) != 0x02014b50)
		fail(w, NULL, "zip central directory entry broken");
	flags = le16(e + 8);
	method = le16(e + 10);
	csize = le32(e + 20);
	usize = le32(e + 24);
	nlen = le16(e + 28);
	xlen = le16(e + 30);
	lho = le32(e + 42);
	if (46 + (size_t)nlen + xlen > room)
		fail(w, NULL, "zip central directory entry runs past its end");
	name = e + 46;
	zip64_sizes(w, name + nlen, xlen, &usize, &csize, &lho);
	if (nlen < 5 || memcmp(name + nlen - 4, ".npy", 4) != 0)
		fail(w, NULL, "member '%.*s' is not a .npy", (int)nlen, name);
	t = new_tensor(w, (const char *)name, nlen - 4);
	if (flags & 1)
		fail(w, t->name, "encrypted zip member");
	if (method != 0)
		fail(w, t->name, "compressed (method %u, np.savez_compressed): "
		    "only stored members are read; save with np.savez", method);
	if (csize != usize)
		fail(w, t->name, "stored member of %llu bytes claims %llu "
		    "uncompressed", (unsigned long long)csize,
		    (unsigned long long)usize);
	if (lho > w->size || w->size - lho < 30)
		fail(w, t->name, "local header at %llu past the end (%zu bytes)",
		    (unsigned long long)lho, w->size);
	lh = w->map + lho;
	if (le32(lh) != 0x04034b50)
		fail(w, t->name, "no local header at offset %llu",
		    (unsigned long long)lho);
	lho += 30 + (uint64_t)le16(lh + 26) + le16(lh + 28);
	if (lho > w->size || csize > w->size - lho)
		fail(w, t->name, "data of %llu bytes at %llu runs past the end "
		    "(%zu bytes)", (unsigned long long)csize,
		    (unsigned long long)lho, w->size);
	npy_parse(w, t, w->map + lho, (size_t)csize);
}

static void
npz_parse(struct weights *w)
{
	const unsigned char *m = w->map, *eocd = NULL;
	uint64_t n, cdoff, cdsize, at;

	for (size_t i = w->size >= 22 ? w->size - 22 : 0;; i--) {
		if (w->size >= 22 && le32(m + i) == 0x06054b50) {
			eocd = m + i;
			break;
		}
		if (i == 0 || w->size - i > 22 + 65535)
			break;
	}
	if (!eocd)
		fail(w, NULL, "not a zip archive (.npz): no end of central "
		    "directory");
	n = le16(eocd + 10);
	cdsize = le32(eocd + 12);
	cdoff = le32(eocd + 16);
	if (n == 0xFFFF || cdoff == 0xFFFFFFFF)
		fail(w, NULL, "a ZIP64 archive (over 65535 members or 4 GiB): "
		    "save the weights as .safetensors");
	if (cdoff > (uint64_t)(eocd - m) || cdsize > (uint64_t)(eocd - m) - cdoff)
		fail(w, NULL, "zip central directory at %llu (%llu bytes) runs "
		    "past its end", (unsigned long long)cdoff,
		    (unsigned long long)cdsize);
	for (at = cdoff; n--; ) {
		const unsigned char *e = m + at;
		size_t room = (size_t)(cdoff + cdsize - at);

		npz_entry(w, e, room);
		at += 46 + (uint64_t)le16(e + 28) + le16(e + 30) + le16(e + 32);
		if (at > cdoff + cdsize)
			fail(w, NULL, "zip central directory overruns its size");
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
	need = shape_bytes(w, t);
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
}

/* No two tensors share a byte. */
static int
by_data(const void *a, const void *b)
{
	const struct wtensor *x = a, *y = b;

	return x->data < y->data ? -1 : x->data > y->data;
}

static void
check_overlap(struct weights *w)
{
	qsort(w->t, (size_t)w->n, sizeof *w->t, by_data);
	for (int i = 0; i + 1 < w->n; i++)
		if (w->t[i].data + w->t[i].bytes > w->t[i + 1].data)
			fail(w, w->t[i + 1].name, "its data overlaps tensor %s's",
			    w->t[i].name);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

void
weights_open(struct weights *w, const char *path, const char *npy_name)
{
	struct stat st;
	int fd;

	memset(w, 0, sizeof *w);
	w->path = path;
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0)
		die(EXIT_DATA, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		fail(w, NULL, "not a regular file with data");
	w->size = (size_t)st.st_size;
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
element(const struct wtensor *t, size_t i)
{
	const unsigned char *p = t->data + i * itemsize(t->dtype);
	uint64_t u = t->dtype == W_F64 ? le64(p) : t->dtype == W_F32 ? le32(p) :
	    le16(p);
	double d;
	float f;

	switch (t->dtype) {
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

double *
weights_matrix(const struct weights *w, const struct wtensor *t, long *rows,
    long *cols)
{
	long r = t->ndim == 2 ? t->shape[0] : 1;
	long c = t->ndim == 2 ? t->shape[1] : t->shape[0];
	double *m = xmalloc(checked_size((size_t)r * (size_t)c + 1, sizeof *m));
	const char *name = t->name;

	for (long i = 0; i < r; i++)
		for (long j = 0; j < c; j++) {
			size_t at = t->fortran ? (size_t)j * r + i : (size_t)i * c + j;
			double v = element(t, at);

			if (!isfinite(v)) {
				free(m);    /* fail exits: nothing left behind */
				fail(w, name, "%s at [%ld, %ld]", isnan(v) ? "NaN" :
				    "an infinite value", i, j);
			}
			m[(size_t)i * c + j] = v;
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
		for (size_t b = 0; b < itemsize(t); b++)
			out[i * itemsize(t) + b] = (unsigned char)(u >> (8 * b));
	}
}

static void
put(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
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
	put(len, (hl + 7) / 8 * 8, 8);      /* padded with spaces to 8 */
	fwrite(len, 1, 8, f);
	fwrite(text, 1, hl, f);
	for (; hl % 8; hl++)
		fputc(' ', f);
	free(text);
	for (int i = 0; i < n && rc == 0; i++) {
		size_t k = (size_t)rows[i] * cols[i];
		unsigned char *buf = xmalloc(k * itemsize(t) + 1);

		encode(arrays[i], k, t, buf);
		rc = fwrite(buf, itemsize(t), k, f) == k ? 0 : -1;
		free(buf);
	}
	return rc;
}

static uint32_t
crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];

	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 255] ^ (crc >> 8);
	return ~crc;
}

/* One .npy image of the array, as np.save writes it (version 1, the
 * header padded with spaces so the data start at a multiple of 64). */
static unsigned char *
npy_image(const double *a, long r, long c, enum wdtype t, size_t *len)
{
	static const char *descr[] = { "<f8", "<f4", "<f2" };
	char hdr[160];
	int hl = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': "
	    "False, 'shape': (%ld, %ld), }", descr[t], r, c);
	size_t pad = (64 - (10 + (size_t)hl + 1) % 64) % 64, k = (size_t)r * c;
	size_t hlen = (size_t)hl + pad + 1;
	unsigned char *img = xmalloc(10 + hlen + k * itemsize(t));

	memcpy(img, "\x93NUMPY\x01\x00", 8);
	put(img + 8, hlen, 2);
	memcpy(img + 10, hdr, (size_t)hl);
	memset(img + 10 + hl, ' ', pad);
	img[10 + hlen - 1] = '\n';
	encode(a, k, t, img + 10 + hlen);
	*len = 10 + hlen + k * itemsize(t);
	return img;
}

static int
write_npz(FILE *f, enum wdtype t, int n, const char *const *names,
    const double *const *arrays, const long *rows, const long *cols)
{
	unsigned char *cd = NULL, h[46], end[22];
	size_t cdlen = 0, at = 0;

	for (int i = 0; i < n; i++) {
		size_t len, nl = strlen(names[i]) + 4;
		unsigned char *img = npy_image(arrays[i], rows[i], cols[i], t, &len);
		uint32_t crc = crc32(0, img, len);
		char name[140];

		if (len > 0xFFFFFFF0u || at > 0xFFFFFFF0u) {
			free(img);
			free(cd);
			return -2;              /* would need ZIP64 */
		}
		snprintf(name, sizeof name, "%s.npy", names[i]);
		memset(h, 0, sizeof h);
		put(h, 0x04034b50, 4);
		put(h + 4, 20, 2);
		put(h + 14, crc, 4);
		put(h + 18, len, 4);
		put(h + 22, len, 4);
		put(h + 26, nl, 2);
		fwrite(h, 1, 30, f);
		fwrite(name, 1, nl, f);
		fwrite(img, 1, len, f);
		free(img);
		cd = xrealloc(cd, cdlen + 46 + nl);
		memset(cd + cdlen, 0, 46);
		put(cd + cdlen, 0x02014b50, 4);
		put(cd + cdlen + 4, 20, 2);
		put(cd + cdlen + 6, 20, 2);
		put(cd + cdlen + 16, crc, 4);
		put(cd + cdlen + 20, len, 4);
		put(cd + cdlen + 24, len, 4);
		put(cd + cdlen + 28, nl, 2);
		put(cd + cdlen + 42, at, 4);
		memcpy(cd + cdlen + 46, name, nl);
		cdlen += 46 + nl;
		at += 30 + nl + len;
	}
	fwrite(cd, 1, cdlen, f);
	free(cd);
	memset(end, 0, sizeof end);
	put(end, 0x06054b50, 4);
	put(end + 8, (uint64_t)n, 2);
	put(end + 10, (uint64_t)n, 2);
	put(end + 12, cdlen, 4);
	put(end + 16, at, 4);
	fwrite(end, 1, 22, f);
	return 0;
}

int
weights_write(const char *path, enum wdtype dtype, int n,
    const char *const *names, const double *const *arrays, const long *rows,
    const long *cols)
{
	int npz = ends_with(path, ".npz"), rc;
	FILE *f;

	if (!npz && !ends_with(path, ".safetensors"))
		return -3;
	if (npz && dtype == W_BF16)
		return -2;
	if (!(f = fopen(path, "wb")))
		return -1;
	rc = npz ? write_npz(f, dtype, n, names, arrays, rows, cols) :
	    write_safetensors(f, dtype, n, names, arrays, rows, cols);
	if (fclose(f) != 0 && rc == 0)
		rc = -1;
	return rc;
}
