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

#endif
