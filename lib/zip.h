/*
 * zip: the archives numpy's .npz files are, read from memory and written
 * to a file: members stored (np.savez) or deflated (np.savez_compressed),
 * with the ZIP64 fields numpy always writes (force_zip64) and those of
 * archives over 2 GiB, and with data descriptors (numpy writing to a
 * stream that cannot seek).  zlib inflates and deflates.
 *
 * Nothing in a header is trusted: every offset and size is checked
 * against the archive, the central directory against each local header
 * and data descriptor, a declared size against deflate's largest ratio
 * (1032:1) before anything is allocated, and a member's bytes against its
 * declared size and CRC-32 as they are read: a stream cut short, longer
 * than declared, followed by garbage, or corrupt is an error.  Errors are
 * a message in the caller's buffer (why, of whylen bytes), so that the
 * caller can name its file and tensor.
 */
#ifndef ZIP_H
#define ZIP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZLIB_CONST
#include <zlib.h>

/* Little-endian fields, as zip (and .npy, safetensors) keep them. */
static inline uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static inline void
put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

struct zip {
	const unsigned char *map;
	size_t  size;
	uint64_t count;          /* members */
	uint64_t cdoff, cdsize;  /* the central directory */
	uint64_t next;           /* offset of the next entry zip_member reads */
	uint64_t seen;           /* entries read */
};

struct zmember {
	const char *name;        /* not NUL-terminated: namelen bytes */
	size_t  namelen;
	int     method;          /* 0 stored, 8 deflated */
	uint32_t crc;
	uint64_t csize, usize;
	const unsigned char *data;   /* csize bytes in the map */
};

/* The member's bytes in order, n at a time (zread), checked at the end
 * (zread_end). */
struct zreader {
	const struct zmember *m;
	z_stream s;
	uint64_t in, out;        /* compressed bytes handed to zlib; output */
	uint32_t crc;
	int     ended;           /* the deflate stream has ended */
};

/* Finds the central directory; 0, or -1 with why. */
int    zip_open(struct zip *z, const unsigned char *map, size_t size,
           char *why, size_t whylen);
/* The next member of the central directory (z->count of them): 0, or -1
 * with why; m->name is set as soon as it is known (else NULL), so that
 * the caller can say which member an error is about. */
int    zip_member(struct zip *z, struct zmember *m, char *why, size_t whylen);

void   zread_open(struct zreader *r, const struct zmember *m);
/* Exactly n bytes into buf: 0, or -1 with why (the member ends sooner,
 * its deflate data are corrupt). */
int    zread(struct zreader *r, void *buf, size_t n, char *why,
           size_t whylen);
/* After the last byte: the member holds no more (not a byte of output nor
 * of input), and its size and CRC-32 are the declared ones: 0, or -1 with
 * why.  Frees what zread_open took; zread_close alone when abandoning. */
int    zread_end(struct zreader *r, char *why, size_t whylen);
void   zread_close(struct zreader *r);

/* Writing, to a file that can seek: a member's header (zipw_begin), its
 * bytes in pieces (zipw_write), its CRC-32 and sizes written back into
 * the header (zipw_end); then the central directory (zipw_finish).  As
 * python's zipfile (numpy's np.savez) writes them, ZIP64 fields are where
 * a size or an offset passes ZIP64_LIMIT (2 GiB) and nowhere else: a
 * member's local header holds one when its size may pass it, its central
 * entry when its sizes or offset do, the archive a ZIP64 end record and
 * locator when the central directory's size or offset does.  Each is 0,
 * or -1 with errno on I/O errors (the file cannot seek: ESPIPE). */
#define ZIP64_LIMIT 0x7FFFFFFFu

struct zipw {
	FILE   *f;
	unsigned char *cd;       /* the central directory so far */
	size_t  cdlen;
	uint64_t at;             /* offset of the member's local header */
	int     n;
	/* the member being written */
	char   *name;
	int     deflate, wide;   /* wide: its local header has a ZIP64 field */
	uint64_t len;            /* the bytes zipw_begin was told of */
	uint64_t usize, csize;
	uint32_t crc;
	z_stream s;
	unsigned char *out;      /* deflate's output, written in pieces */
};

/* Starts member name, of exactly len bytes, deflated if deflate (else
 * stored). */
int    zipw_begin(struct zipw *z, const char *name, uint64_t len,
           int deflate);
int    zipw_write(struct zipw *z, const void *data, size_t n);
int    zipw_end(struct zipw *z);
/* Writes the central directory and frees it. */
int    zipw_finish(struct zipw *z);
/* After an error: frees what the writing took (the file is not a zip). */
void   zipw_abandon(struct zipw *z);

#endif
