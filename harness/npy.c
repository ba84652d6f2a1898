#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The text after key's colon in the header dict, or NULL (either quote style). */
static const char *npy_field(const char *hdr, const char *key)
{
	char a[40], b[40];
	snprintf(a, sizeof(a), "'%s'", key);
	snprintf(b, sizeof(b), "\"%s\"", key);
	const char *p = strstr(hdr, a);
	if (!p)
		p = strstr(hdr, b);
	if (!p)
		return NULL;
	p = strchr(p + strlen(a), ':');
	if (!p)
		return NULL;
	for (p++; *p == ' '; p++)
		;
	return p;
}

int bnn_npy_read_f32(const char *path, int max_ndim, int *ndim, int64_t *dims, float **data,
		     char *err, size_t errlen)
{
	unsigned char pre[12];
	char *hdr = NULL;
	float *buf = NULL;
	int rc = -EINVAL;
	FILE *f = fopen(path, "rb");
	*data = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
		snprintf(err, errlen, "%s: not a .npy file (no \\x93NUMPY magic)", path);
		goto out;
	}
	size_t hlen = pre[8] | (size_t)pre[9] << 8;
	if (pre[6] >= 2) {   /* versions 2 and 3: a 4-byte header length */
		if (fread(pre + 10, 1, 2, f) != 2) {
			snprintf(err, errlen, "%s: truncated header", path);
			goto out;
		}
		hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
	}
	if (pre[6] < 1 || pre[6] > 3 || hlen > (1u << 20)) {
		snprintf(err, errlen, "%s: unsupported .npy version %d.%d or header of %zu bytes",
			 path, pre[6], pre[7], hlen);
		goto out;
	}
	hdr = calloc(1, hlen + 1);
	if (!hdr || fread(hdr, 1, hlen, f) != hlen) {
		snprintf(err, errlen, "%s: truncated header", path);
		goto out;
	}
	const char *descr = npy_field(hdr, "descr"), *fo = npy_field(hdr, "fortran_order");
	const char *shape = npy_field(hdr, "shape");
	if (!descr || (strncmp(descr, "'<f4'", 5) && strncmp(descr, "\"<f4\"", 5))) {
		snprintf(err, errlen, "%s: field 'descr': the data must be little-endian float32 "
			 "('<f4'; use numpy's .astype(np.float32))", path);
		goto out;
	}
	if (!fo || strncmp(fo, "False", 5)) {
		snprintf(err, errlen, "%s: field 'fortran_order': must be False (C order; use "
			 "np.ascontiguousarray)", path);
		goto out;
	}
	if (!shape || *shape != '(') {
		snprintf(err, errlen, "%s: field 'shape': missing or not a tuple", path);
		goto out;
	}
	size_t count = 1;
	*ndim = 0;
	for (const char *p = shape + 1; *p != ')';) {
		char *end;
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ')')
			break;
		long long v = strtoll(p, &end, 10);
		if (end == p || v < 1 || *ndim >= max_ndim || __builtin_mul_overflow(count, (size_t)v, &count) ||
		    count > ((size_t)1 << 40)) {
			snprintf(err, errlen, "%s: field 'shape': %s: not %d positive sizes", path,
				 shape, max_ndim);
			goto out;
		}
		dims[(*ndim)++] = v;
		p = end;
	}
	buf = malloc(count * sizeof(float));
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory for %zu floats", path, count);
		rc = -ENOMEM;
		goto out;
	}
	if (fread(buf, sizeof(float), count, f) != count) {
		snprintf(err, errlen, "%s: truncated data: the shape says %zu floats", path, count);
		goto out;
	}
	*data = buf;
	buf = NULL;
	rc = 0;
out:
	free(hdr);
	free(buf);
	fclose(f);
	return rc;
}
