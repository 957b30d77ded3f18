#include "zip.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SIG_LOCAL      0x04034b50
#define SIG_CENTRAL    0x02014b50
#define SIG_END        0x06054b50
#define SIG_END64      0x06064b50
#define SIG_LOCATOR64  0x07064b50
#define SIG_DESCRIPTOR 0x08074b50
#define ZIP32          0xFFFFFFFFu  /* "see the ZIP64 field" */
#define FLAG_CRYPT     (1 | 0x40 | 0x2000)
#define FLAG_DESCRIPTOR 8
/* Deflate's largest ratio: a 258-byte match in 2 bits.  No real stream
 * inflates to more than this many bytes per compressed byte. */
#define DEFLATE_RATIO  1032
/* zlib counts in 32 bits: hand it at most this much at a time */
#define ZLIB_CHUNK     (1u << 30)

typedef unsigned long long ull;

static int
err(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
err(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The ZIP64 extra field (id 1) among the xlen bytes at x: the 8-byte
 * values of those of *f[0..nf) that are 0xFFFFFFFF, in order.  1 if there
 * is one, 0 if not, -1 if it runs past its end. */
static int
zip64_extra(const unsigned char *x, size_t xlen, uint64_t *const *f, int nf)
{
	while (xlen >= 4) {
		size_t id = le16(x), n = le16(x + 2);
		const unsigned char *v = x + 4, *end = x + 4 + n;

		if (n > xlen - 4)
			return -1;
		if (id == 1) {
			for (int i = 0; i < nf; i++)
				if (*f[i] == ZIP32) {
					if (end - v < 8)
						return -1;
					*f[i] = le64(v);
					v += 8;
				}
			return 1;
		}
		x = end;
		xlen -= 4 + n;
	}
	return 0;
}

/* The end records' count of members must be the central directory's:
 * python's zipfile reads every entry the directory holds, whatever the
 * count (the last of two of the same name), so that a smaller count would
 * hide members numpy reads. */
static int
more_entries(const struct zip *z, char *why, size_t whylen)
{
	return err(why, whylen, "the zip central directory (%llu bytes) holds "
	    "more than the %llu members its end record counts",
	    (ull)z->cdsize, (ull)z->count);
}

int
zip_open(struct zip *z, const unsigned char *map, size_t size, char *why,
    size_t whylen)
{
	const unsigned char *eocd = NULL, *r;
	uint64_t end, at;

	memset(z, 0, sizeof *z);
	z->map = map;
	z->size = size;
	for (size_t i = size >= 22 ? size - 22 : 0; size >= 22; i--) {
		if (le32(map + i) == SIG_END) {
			eocd = map + i;
			break;
		}
		if (i == 0 || size - i > 22 + 65535)
			break;
	}
	if (!eocd)
		return err(why, whylen, "not a zip archive (.npz): no end of "
		    "central directory");
	if (le16(eocd + 4) || le16(eocd + 6) || le16(eocd + 8) != le16(eocd + 10))
		return err(why, whylen, "a zip archive split over disks");
	z->count = le16(eocd + 10);
	z->cdsize = le32(eocd + 12);
	z->cdoff = le32(eocd + 16);
	end = (uint64_t)(eocd - map);
	/* ZIP64 (numpy's archives over 2 GiB): a locator just before the end
	 * record points at the ZIP64 end record, whose values count */
	if (end >= 20 && le32(eocd - 20) == SIG_LOCATOR64) {
		end -= 20;
		at = le64(eocd - 20 + 8);
		if (at > end || end - at < 56 || le32(map + at) != SIG_END64)
			return err(why, whylen, "no ZIP64 end of central directory "
			    "record at %llu", (ull)at);
		r = map + at;
		if (le32(r + 16) || le32(r + 20) || le64(r + 24) != le64(r + 32))
			return err(why, whylen, "a zip archive split over disks");
		z->count = le64(r + 32);
		z->cdsize = le64(r + 40);
		z->cdoff = le64(r + 48);
		end = at;
	}
	if (z->cdoff > end || z->cdsize > end - z->cdoff)
		return err(why, whylen, "zip central directory at %llu (%llu bytes) "
		    "runs past its end", (ull)z->cdoff, (ull)z->cdsize);
	if (z->count > z->cdsize / 46)
		return err(why, whylen, "zip central directory of %llu bytes "
		    "cannot hold %llu members", (ull)z->cdsize, (ull)z->count);
	if (z->count == 0 && z->cdsize > 0)
		return more_entries(z, why, whylen);
	z->next = z->cdoff;
	return 0;
}

/* Without a data descriptor the local header repeats the CRC-32 and the
 * sizes (numpy: 32-bit fields and a ZIP64 field, both with the values). */
static int
check_local(const struct zmember *m, const unsigned char *lh, char *why,
    size_t whylen)
{
	uint64_t crc = le32(lh + 14), csize = le32(lh + 18), usize = le32(lh + 22);
	uint64_t *f[2] = { &usize, &csize };

	if (zip64_extra(lh + 30 + le16(lh + 26), le16(lh + 28), f, 2) < 0)
		return err(why, whylen, "its local ZIP64 field runs past its end");
	if (crc != m->crc || csize != m->csize || usize != m->usize)
		return err(why, whylen, "its local header (CRC-32 %08llx, %llu "
		    "bytes of %llu) disagrees with the central directory (CRC-32 "
		    "%08x, %llu bytes of %llu)", (ull)crc, (ull)csize, (ull)usize,
		    m->crc, (ull)m->csize, (ull)m->usize);
	return 0;
}

/* With one (flag bit 3; numpy writing to a stream that cannot seek) they
 * follow the data, after a signature or not, the sizes in 8 bytes if the
 * local header has a ZIP64 field. */
static int
check_descriptor(const struct zip *z, const struct zmember *m,
    const unsigned char *lh, char *why, size_t whylen)
{
	uint64_t none = 0, *f[2] = { &none, &none };
	int wide = zip64_extra(lh + 30 + le16(lh + 26), le16(lh + 28), f, 2);
	size_t at = (size_t)(m->data - z->map) + (size_t)m->csize;
	size_t sz = wide ? 8 : 4;

	if (wide < 0)
		return err(why, whylen, "its local ZIP64 field runs past its end");
	for (int sig = 1; sig >= 0; sig--) {
		const unsigned char *p = z->map + at + 4 * sig;

		if (z->size - at < 4 * (size_t)sig + 4 + 2 * sz ||
		    (sig && le32(z->map + at) != SIG_DESCRIPTOR))
			continue;
		if (le32(p) == m->crc &&
		    (wide ? le64(p + 4) : le32(p + 4)) == m->csize &&
		    (wide ? le64(p + 4 + sz) : le32(p + 4 + sz)) == m->usize)
			return 0;
	}
	return err(why, whylen, "its data descriptor is missing or disagrees "
	    "with the central directory");
}

/* What the entry's fields say, before the local header is looked at. */
static int
check_entry(const struct zmember *m, unsigned flags, char *why,
    size_t whylen)
{
	if (flags & FLAG_CRYPT)
		return err(why, whylen, "encrypted zip member");
	if (m->method != 0 && m->method != 8)
		return err(why, whylen, "compression method %d: only stored "
		    "(np.savez) and deflated (np.savez_compressed) members are "
		    "read", m->method);
	if (m->method == 0 && m->csize != m->usize)
		return err(why, whylen, "stored member of %llu bytes declares %llu "
		    "uncompressed", (ull)m->csize, (ull)m->usize);
	if (m->method == 8 && m->usize / DEFLATE_RATIO > m->csize)
		return err(why, whylen, "declares %llu bytes inflated from %llu: "
		    "beyond deflate's largest ratio (%d:1)", (ull)m->usize,
		    (ull)m->csize, DEFLATE_RATIO);
	return 0;
}

int
zip_member(struct zip *z, struct zmember *m, char *why, size_t whylen)
{
	const unsigned char *e = z->map + z->next, *lh;
	uint64_t room = z->cdoff + z->cdsize - z->next, lho, at;
	uint64_t *f[3] = { &m->usize, &m->csize, &lho };
	unsigned flags, nlen, xlen;

	memset(m, 0, sizeof *m);
	if (room < 46 || le32(e) != SIG_CENTRAL)
		return err(why, whylen, "zip central directory entry at %llu "
		    "broken", (ull)z->next);
	nlen = le16(e + 28);
	xlen = le16(e + 30);
	if (46 + (uint64_t)nlen + xlen + le16(e + 32) > room)
		return err(why, whylen, "zip central directory entry runs past the "
		    "directory's end");
	z->next += 46 + (uint64_t)nlen + xlen + le16(e + 32);
	m->name = (const char *)e + 46;
	m->namelen = nlen;
	if (++z->seen == z->count && z->next != z->cdoff + z->cdsize)
		return more_entries(z, why, whylen);
	flags = le16(e + 8);
	m->method = le16(e + 10);
	m->crc = le32(e + 16);
	m->csize = le32(e + 20);
	m->usize = le32(e + 24);
	lho = le32(e + 42);
	if (zip64_extra(e + 46 + nlen, xlen, f, 3) < 0)
		return err(why, whylen, "its ZIP64 field runs past its end");
	if (check_entry(m, flags, why, whylen) < 0)
		return -1;
	if (lho > z->size || z->size - lho < 30 ||
	    le32(z->map + lho) != SIG_LOCAL)
		return err(why, whylen, "no local header at %llu", (ull)lho);
	lh = z->map + lho;
	at = lho + 30 + le16(lh + 26) + le16(lh + 28);
	if (at > z->size || m->csize > z->size - at)
		return err(why, whylen, "data of %llu bytes at %llu run past the "
		    "end (%zu bytes)", (ull)m->csize, (ull)at, z->size);
	m->data = z->map + at;
	if (le16(lh + 26) != nlen || memcmp(lh + 30, m->name, nlen) != 0 ||
	    le16(lh + 8) != m->method || ((le16(lh + 6) ^ flags) & FLAG_DESCRIPTOR))
		return err(why, whylen, "its local header disagrees with the "
		    "central directory (name, method or flags)");
	return flags & FLAG_DESCRIPTOR ? check_descriptor(z, m, lh, why, whylen) :
	    check_local(m, lh, why, whylen);
}

/* ---- reading a member ---- */

void
zread_open(struct zreader *r, const struct zmember *m)
{
	memset(r, 0, sizeof *r);
	r->m = m;
	r->crc = (uint32_t)crc32(0, NULL, 0);
	if (m->method == 8 && inflateInit2(&r->s, -MAX_WBITS) != Z_OK)
		die(EXIT_FAIL, "zlib: %s", r->s.msg ? r->s.msg : "out of memory");
}

/* Inflates exactly n bytes into out, unless the stream ends, is cut
 * short or is corrupt. */
static int
inflate_exactly(struct zreader *r, unsigned char *out, size_t n, char *why,
    size_t whylen)
{
	const struct zmember *m = r->m;
	size_t done = 0;

	while (done < n) {
		uInt room = n - done > ZLIB_CHUNK ? ZLIB_CHUNK : (uInt)(n - done);
		int rc;

		if (r->ended)
			return err(why, whylen, "its deflate stream ends after %llu "
			    "bytes; %llu declared", (ull)(r->out + done),
			    (ull)m->usize);
		if (r->s.avail_in == 0 && r->in < m->csize) {
			uint64_t k = m->csize - r->in;

			r->s.next_in = m->data + r->in;
			r->s.avail_in = k > ZLIB_CHUNK ? ZLIB_CHUNK : (uInt)k;
			r->in += r->s.avail_in;
		}
		r->s.next_out = out + done;
		r->s.avail_out = room;
		rc = inflate(&r->s, Z_NO_FLUSH);
		done += room - r->s.avail_out;
		if (rc == Z_STREAM_END)
			r->ended = 1;
		else if (rc == Z_BUF_ERROR)     /* no input left, none to come */
			return err(why, whylen, "its deflate stream is cut short "
			    "after %llu bytes of %llu declared", (ull)(r->out + done),
			    (ull)m->usize);
		else if (rc == Z_MEM_ERROR)
			die(EXIT_FAIL, "zlib: out of memory");
		else if (rc != Z_OK)
			return err(why, whylen, "corrupt deflate data (%s)",
			    r->s.msg ? r->s.msg : zError(rc));
	}
	return 0;
}

int
zread(struct zreader *r, void *buf, size_t n, char *why, size_t whylen)
{
	const struct zmember *m = r->m;

	if (m->method == 0) {
		if (n > m->csize - r->out)
			return err(why, whylen, "the member ends after %llu bytes",
			    (ull)m->csize);
		memcpy(buf, m->data + r->out, n);
	} else if (inflate_exactly(r, buf, n, why, whylen) < 0)
		return -1;
	r->crc = (uint32_t)crc32_z(r->crc, buf, n);
	r->out += n;
	return 0;
}

int
zread_end(struct zreader *r, char *why, size_t whylen)
{
	const struct zmember *m = r->m;
	unsigned char probe;
	int rc = 0;

	/* one byte more must find the stream's end, and no input after it */
	if (m->method == 8 && !r->ended) {
		if (inflate_exactly(r, &probe, 1, why, whylen) == 0)
			rc = err(why, whylen, "its deflate stream holds more than "
			    "the %llu bytes declared", (ull)m->usize);
		else if (!r->ended)
			rc = -1;                /* cut short or corrupt */
	}
	if (rc == 0 && m->method == 8 && (r->s.avail_in || r->in < m->csize))
		rc = err(why, whylen, "%llu bytes follow the end of its deflate "
		    "stream", (ull)(m->csize - r->in + r->s.avail_in));
	if (rc == 0 && r->out != m->usize)
		rc = err(why, whylen, "%llu bytes read of the %llu declared",
		    (ull)r->out, (ull)m->usize);
	if (rc == 0 && r->crc != m->crc)
		rc = err(why, whylen, "CRC-32 %08x, the zip header says %08x: the "
		    "data are damaged", r->crc, m->crc);
	zread_close(r);
	return rc;
}

void
zread_close(struct zreader *r)
{
	if (r->m && r->m->method == 8)
		inflateEnd(&r->s);
	r->m = NULL;
}

/* ---- writing ---- */

#define VERSION   20     /* "version needed": deflate */
#define VERSION64 45     /* ZIP64 */
#define WBUF      (1u << 16)

/* The fields a local header and a central entry share, from "version
 * needed" on: 26 bytes at p (no time, no date: 0). */
static void
put_common(unsigned char *p, int version, int method, uint32_t crc,
    uint64_t csize, uint64_t usize, size_t nl, size_t xl)
{
	memset(p, 0, 26);
	put_le(p, (uint64_t)version, 2);
	put_le(p + 4, (uint64_t)method, 2);
	put_le(p + 10, crc, 4);
	put_le(p + 14, csize, 4);
	put_le(p + 18, usize, 4);
	put_le(p + 22, nl, 2);
	put_le(p + 24, xl, 2);
}

/* The member's local header as it stands into h (50 + its name's
 * length): its length.  With a ZIP64 field, the 32-bit sizes are
 * 0xFFFFFFFF and the field holds both (APPNOTE 4.5.3). */
static size_t
local_header(const struct zipw *z, unsigned char *h)
{
	size_t nl = strlen(z->name), xl = z->wide ? 20 : 0;

	put_le(h, SIG_LOCAL, 4);
	put_common(h + 4, z->wide ? VERSION64 : VERSION, z->deflate ? 8 : 0,
	    z->crc, z->wide ? ZIP32 : z->csize, z->wide ? ZIP32 : z->usize, nl,
	    xl);
	memcpy(h + 30, z->name, nl);
	if (z->wide) {
		put_le(h + 30 + nl, 1, 2);
		put_le(h + 32 + nl, 16, 2);
		put_le(h + 34 + nl, z->usize, 8);
		put_le(h + 42 + nl, z->csize, 8);
	}
	return 30 + nl + xl;
}

static int
write_local(struct zipw *z)
{
	unsigned char *h = xmalloc(50 + strlen(z->name));
	size_t n = local_header(z, h);
	int rc = fwrite(h, 1, n, z->f) == n ? 0 : -1;

	free(h);
	return rc;
}

int
zipw_begin(struct zipw *z, const char *name, uint64_t len, int deflate)
{
	uint64_t most = len;

	if (strlen(name) > 0xFFFF) {
		errno = ENAMETOOLONG;
		return -1;
	}
	z->name = xstrdup(name);
	z->deflate = deflate;
	z->len = len;
	z->usize = z->csize = 0;
	z->crc = (uint32_t)crc32(0, NULL, 0);
	if (deflate) {
		memset(&z->s, 0, sizeof z->s);
		if (deflateInit2(&z->s, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
		    -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			die(EXIT_FAIL, "zlib: out of memory");
		z->out = xmalloc(WBUF);
		most = deflateBound(&z->s, (uLong)len);
	}
	/* the sizes must fit the header written now, before they are known */
	z->wide = len > ZIP64_LIMIT || most > ZIP64_LIMIT;
	return write_local(z);
}

/* Deflates what is handed to zlib, writing its output as it comes; with
 * Z_FINISH, to the end of the stream. */
static int
deflate_out(struct zipw *z, int flush)
{
	int rc;

	do {
		size_t k;

		z->s.next_out = z->out;
		z->s.avail_out = WBUF;
		rc = deflate(&z->s, flush);
		if (rc == Z_STREAM_ERROR)
			die(EXIT_FAIL, "zlib: deflate failed");
		k = WBUF - z->s.avail_out;
		if (fwrite(z->out, 1, k, z->f) != k)
			return -1;
		z->csize += k;
	} while (flush == Z_FINISH ? rc != Z_STREAM_END : z->s.avail_out == 0);
	return 0;
}

int
zipw_write(struct zipw *z, const void *data, size_t n)
{
	const unsigned char *p = data;

	z->crc = (uint32_t)crc32_z(z->crc, p, n);
	z->usize += n;
	if (!z->deflate) {
		z->csize += n;
		return fwrite(p, 1, n, z->f) == n ? 0 : -1;
	}
	while (n > 0) {                 /* zlib counts in 32 bits */
		uInt k = n > ZLIB_CHUNK ? ZLIB_CHUNK : (uInt)n;

		z->s.next_in = p;
		z->s.avail_in = k;
		if (deflate_out(z, Z_NO_FLUSH) < 0)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* The member's central directory entry, ZIP64 field and all. */
static void
central_entry(struct zipw *z)
{
	size_t nl = strlen(z->name), xl;
	int big = z->usize > ZIP64_LIMIT || z->csize > ZIP64_LIMIT;
	int far = z->at > ZIP64_LIMIT;
	int version = big || far || z->wide ? VERSION64 : VERSION;
	unsigned char *e, *x;

	xl = big || far ? 4 + 16 * big + 8 * far : 0;
	z->cd = xrealloc(z->cd, z->cdlen + 46 + nl + xl);
	e = z->cd + z->cdlen;
	memset(e, 0, 46);
	put_le(e, SIG_CENTRAL, 4);
	put_le(e + 4, (uint64_t)version, 2);     /* made by (MS-DOS) */
	put_common(e + 6, version, z->deflate ? 8 : 0, z->crc,
	    big ? ZIP32 : z->csize, big ? ZIP32 : z->usize, nl, xl);
	put_le(e + 42, far ? ZIP32 : z->at, 4);
	memcpy(e + 46, z->name, nl);
	x = e + 46 + nl;
	if (xl) {                       /* the fields that are 0xFFFFFFFF */
		put_le(x, 1, 2);
		put_le(x + 2, xl - 4, 2);
		x += 4;
		if (big) {
			put_le(x, z->usize, 8);
			put_le(x + 8, z->csize, 8);
			x += 16;
		}
		if (far)
			put_le(x, z->at, 8);
	}
	z->cdlen += 46 + nl + xl;
}

int
zipw_end(struct zipw *z)
{
	int rc = 0;
	off_t end;

	if (z->deflate) {
		rc = deflate_out(z, Z_FINISH);
		deflateEnd(&z->s);
		free(z->out);
		z->out = NULL;
	}
	if (rc == 0 && z->usize != z->len)
		die(EXIT_FAIL, "zip: member %s: %llu bytes written, %llu announced",
		    z->name, (ull)z->usize, (ull)z->len);
	/* the CRC-32 and sizes into the local header */
	if (rc == 0 && ((end = ftello(z->f)) < 0 ||
	    fseeko(z->f, (off_t)z->at, SEEK_SET) != 0 || write_local(z) < 0 ||
	    fseeko(z->f, end, SEEK_SET) != 0))
		rc = -1;
	if (rc == 0) {
		central_entry(z);
		z->at += 30 + strlen(z->name) + (z->wide ? 20 : 0) + z->csize;
		z->n++;
	}
	free(z->name);
	z->name = NULL;
	return rc || ferror(z->f) ? -1 : 0;
}

void
zipw_abandon(struct zipw *z)
{
	if (z->name && z->deflate)
		deflateEnd(&z->s);
	free(z->out);
	free(z->name);
	free(z->cd);
	z->out = NULL;
	z->name = NULL;
	z->cd = NULL;
}

int
zipw_finish(struct zipw *z)
{
	unsigned char end[56 + 20 + 22], *p = end;
	uint64_t n = (uint64_t)z->n;

	if (z->name || fwrite(z->cd, 1, z->cdlen, z->f) != z->cdlen) {
		zipw_abandon(z);
		return -1;
	}
	memset(end, 0, sizeof end);
	if (z->at > ZIP64_LIMIT || z->cdlen > ZIP64_LIMIT || n > 0xFFFF) {
		put_le(p, SIG_END64, 4);        /* the ZIP64 end record */
		put_le(p + 4, 44, 8);
		put_le(p + 12, VERSION64, 2);
		put_le(p + 14, VERSION64, 2);
		put_le(p + 24, n, 8);
		put_le(p + 32, n, 8);
		put_le(p + 40, z->cdlen, 8);
		put_le(p + 48, z->at, 8);
		put_le(p + 56, SIG_LOCATOR64, 4);   /* and where it is */
		put_le(p + 64, z->at + z->cdlen, 8);
		put_le(p + 72, 1, 4);
		p += 76;
	}
	/* the classic end record, its fields at most 0xFFFF(FFFF): the
	 * ZIP64 record's, if any, count */
	put_le(p, SIG_END, 4);
	put_le(p + 8, n > 0xFFFF ? 0xFFFF : n, 2);
	put_le(p + 10, n > 0xFFFF ? 0xFFFF : n, 2);
	put_le(p + 12, z->cdlen > ZIP32 ? ZIP32 : z->cdlen, 4);
	put_le(p + 16, z->at > ZIP32 ? ZIP32 : z->at, 4);
	p += 22;
	free(z->cd);
	z->cd = NULL;
	if (fwrite(end, 1, (size_t)(p - end), z->f) != (size_t)(p - end))
		return -1;
	return ferror(z->f) ? -1 : 0;
}
