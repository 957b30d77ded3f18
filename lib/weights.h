/*
 * weights: a model's arrays as users keep them, in numpy's .npy and .npz
 * and in .safetensors (PyTorch, Hugging Face): both are a short header and
 * raw little-endian arrays, read here; a .npz is a zip archive (lib/zip),
 * its members stored (np.savez) or deflated (np.savez_compressed).
 *
 * Read: float64, float32, float16 and bfloat16 (safetensors only: numpy
 * has no bfloat16), C or Fortran order (.npy).  Every size and offset is
 * checked against the file before a byte is read: a header that lies
 * (offsets past the end, overlapping tensors, safetensors data no tensor
 * holds, sizes that disagree with the shape, unknown dtypes, a header over
 * its limit, NaN or infinite values; in a .npz also a wrong CRC-32 or
 * size, corrupt or truncated deflate data) is one line naming the file
 * and the tensor, exit 65.  A deflated member is inflated piece by piece
 * straight into its matrix of doubles.
 * Written: .safetensors or .npz (stored, or deflated with
 * WEIGHTS_DEFLATE), float64 or float32 (and float16, bfloat16 to
 * .safetensors), encoded a piece at a time: no copy of the arrays.
 */
#ifndef WEIGHTS_H
#define WEIGHTS_H

#include <stddef.h>

#include "zip.h"

enum wdtype { W_F64, W_F32, W_F16, W_BF16 };

#define WEIGHTS_MAX_HEADER (100L << 20)   /* safetensors' own limit */
#define WEIGHTS_MAX_TENSORS 4096

struct wtensor {
	char    name[128];
	enum wdtype dtype;
	int     ndim;
	long    shape[2];
	int     fortran;       /* .npy: column-major */
	const unsigned char *data;   /* in the file (not in a .npz) */
	size_t  bytes;         /* of the array */
	const unsigned char *src;    /* the bytes in the file it comes from */
	size_t  srclen;
	int     zipped;        /* a .npz member: */
	struct zmember member;
	size_t  skip;          /* where the array starts in the member */
};

/* Which file, as it was when opened: the same id, the same bytes. */
struct wfile_id {
	unsigned long long dev, ino, size, mtime_ns;
};

struct weights {
	const char *path;
	struct wfile_id id;
	unsigned char *map;
	size_t  size;
	struct wtensor *t;
	int     n;
};

/* Opens and checks the file (by its extension: .npy, .npz or
 * .safetensors); a .npy holds one tensor, which takes the name npy_name. */
void   weights_open(struct weights *w, const char *path, const char *npy_name);
void   weights_close(struct weights *w);
/* The tensor of that name, or NULL (a .npy file: its one tensor). */
const struct wtensor *weights_find(const struct weights *w, const char *name);
/* Its shape as a matrix, from the header alone (a 1-D tensor: one row):
 * what weights_matrix would allocate. */
void   weights_shape(const struct wtensor *t, long *rows, long *cols);
/* A 2-D tensor (or 1-D as one row) as rows x cols doubles, row-major,
 * malloc'd; NaN or infinity is an error naming it. */
double *weights_matrix(const struct weights *w, const struct wtensor *t,
           long *rows, long *cols);

/* Or'd into weights_write's dtype: a .npz's members deflated. */
#define WEIGHTS_DEFLATE 0x100

/* Writes n named rows[i] x cols[i] arrays (dtype: an enum wdtype, with
 * WEIGHTS_DEFLATE or'd in or not); -1 with errno on I/O errors.  The
 * format is the extension's (a .npz past 2 GiB with ZIP64 fields, as
 * numpy writes it); dtypes beyond the format's: -2; another extension:
 * -3. */
int    weights_write(const char *path, int dtype, int n,
           const char *const *names, const double *const *arrays,
           const long *rows, const long *cols);
/* Why weights_write would refuse this name and dtype (as it takes it),
 * or NULL: for a program to say before the work. */
const char *weights_unwritable(const char *path, int dtype);
/* "float64" ... "bfloat16" -> dtype; -1 if unknown. */
int    wdtype_parse(const char *s);

#endif
