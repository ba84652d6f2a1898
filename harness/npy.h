/* npy.h: writes NumPy .npy files (format 1.0), so that anyone can re-check
 * a problem's inputs and outputs with numpy.load. */
#ifndef BNN_NPY_H
#define BNN_NPY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes ndim dims of little-endian float32 ("<f4") or int32 ("<i4") data.
 * Returns 0, or -errno (the file is removed on failure).
 */
int bnn_npy_write(const char *path, const char *descr, const void *data, int ndim,
		  const int64_t *dims);

/*
 * Reads a C-ordered little-endian float32 .npy file (format 1.0 to 3.0) of
 * at most max_ndim dimensions: *ndim and dims[] get its shape, *data a
 * malloc'ed copy of its values (the caller frees it). Returns 0, or a
 * negative errno with a message naming the file and the field in err.
 */
int bnn_npy_read_f32(const char *path, int max_ndim, int *ndim, int64_t *dims, float **data,
		     char *err, size_t errlen);

#endif
