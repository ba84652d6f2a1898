#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "npy.h"

int bnn_npy_write(const char *path, const char *descr, const void *data, int ndim,
		  const int64_t *dims)
{
	char hdr[512];
	size_t count = 1;
	int n = snprintf(hdr, sizeof(hdr), "{'descr': '%s', 'fortran_order': False, 'shape': (",
			 descr);
	for (int i = 0; i < ndim; i++) {
		n += snprintf(hdr + n, sizeof(hdr) - (size_t)n, "%lld,%s", (long long)dims[i],
			      i + 1 < ndim ? " " : "");
		count *= (size_t)dims[i];
	}
	n += snprintf(hdr + n, sizeof(hdr) - (size_t)n, "), }");
	/* magic(6) + version(2) + len(2) + header, padded with spaces to 64, ends in \n */
	size_t total = 10 + (size_t)n + 1;
	size_t pad = (64 - total % 64) % 64;
	memset(hdr + n, ' ', pad);
	n += (int)pad;
	hdr[n++] = '\n';

	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
				  (unsigned char)(n & 0xff), (unsigned char)(n >> 8) };
	int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)n, f) == (size_t)n &&
		 fwrite(data, 4, count, f) == count;
	ok = (fclose(f) == 0) && ok;
	if (!ok) {
		unlink(path);
		return -EIO;
	}
	return 0;
}
