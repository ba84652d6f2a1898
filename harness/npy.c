#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Skips the blanks a header may hold between tokens. */
static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A quoted string (either quote, no escapes) into buf; NULL when p has none. */
static const char *parse_str(const char *p, char *buf, size_t len)
{
	char q = *p;
	size_t n = 0;

	if (q != '\'' && q != '"')
		return NULL;
	for (p++; *p && *p != q; p++) {
		if (*p == '\\' || n + 1 >= len)
			return NULL;
		buf[n++] = *p;
	}
	if (*p != q)
		return NULL;
	buf[n] = '\0';
	return p + 1;
}

/*
 * A shape tuple: "(" sizes separated by "," (a trailing one allowed) ")",
 * each size plain decimal digits. Fills dims and *ndim (at most max_ndim)
 * and the element count (at most 2^40); NULL on anything else.
 */
static const char *parse_shape(const char *p, int max_ndim, int *ndim, int64_t *dims,
			       size_t *count)
{
	*ndim = 0;
	*count = 1;
	if (*p != '(')
		return NULL;
	p = skip_ws(p + 1);
	while (*p != ')') {
		long long v = 0;

		if (*p < '0' || *p > '9' || *ndim >= max_ndim)
			return NULL;
		for (; *p >= '0' && *p <= '9'; p++)
			if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
				return NULL;
		if (v < 1 || __builtin_mul_overflow(*count, (size_t)v, count) ||
		    *count > ((size_t)1 << 40))
			return NULL;
		dims[(*ndim)++] = v;
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p != ')')
			return NULL;
	}
	return p + 1;
}

/*
 * Parses the header dict exactly as numpy writes it: the keys 'descr',
 * 'fortran_order' and 'shape', each once, in any order; a value of descr
 * other than little-endian float32, a fortran_order other than False, an
 * unknown key or anything after the dict but the padding is refused.
 * Returns 0 or -1 with the message (naming path and the field) in err.
 */
static int parse_header(const char *path, const char *hdr, int max_ndim, int *ndim,
			int64_t *dims, size_t *count, char *err, size_t errlen)
{
	const char *p = skip_ws(hdr);
	int seen[3] = { 0, 0, 0 };
	char key[32], val[32];

	if (*p != '{') {
		snprintf(err, errlen, "%s: header: not a dict", path);
		return -1;
	}
	p = skip_ws(p + 1);
	while (*p != '}') {
		const char *q = parse_str(p, key, sizeof(key));
		int k = !q ? -1 : !strcmp(key, "descr") ? 0 : !strcmp(key, "fortran_order") ? 1 :
			!strcmp(key, "shape") ? 2 : -1;
		if (k < 0 || seen[k]) {
			snprintf(err, errlen, "%s: header: %s key%s%s%s at offset %td", path,
				 k < 0 ? "an unexpected" : "a repeated", q ? " '" : "",
				 q ? key : "", q ? "'" : "", p - hdr);
			return -1;
		}
		seen[k] = 1;
		p = skip_ws(q);
		if (*p != ':') {
			snprintf(err, errlen, "%s: header: no ':' after key '%s'", path, key);
			return -1;
		}
		p = skip_ws(p + 1);
		if (k == 0) {
			q = parse_str(p, val, sizeof(val));
			if (!q || strcmp(val, "<f4")) {
				snprintf(err, errlen, "%s: field 'descr': the data must be "
					 "little-endian float32 ('<f4'; use numpy's "
					 ".astype(np.float32))", path);
				return -1;
			}
		} else if (k == 1) {
			q = !strncmp(p, "False", 5) ? p + 5 : NULL;
			if (!q) {
				snprintf(err, errlen, "%s: field 'fortran_order': must be False (C "
					 "order; use np.ascontiguousarray)", path);
				return -1;
			}
		} else {
			q = parse_shape(p, max_ndim, ndim, dims, count);
			if (!q) {
				snprintf(err, errlen, "%s: field 'shape': not a tuple of up to %d "
					 "positive sizes", path, max_ndim);
				return -1;
			}
		}
		p = skip_ws(q);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p != '}') {
			snprintf(err, errlen, "%s: header: ',' or '}' expected after '%s'", path,
				 key);
			return -1;
		}
	}
	for (p++; *p == ' '; p++)
		;
	if (*p == '\n')
		p++;
	if (*p) {
		snprintf(err, errlen, "%s: header: bytes after the dict", path);
		return -1;
	}
	for (int k = 0; k < 3; k++)
		if (!seen[k]) {
			snprintf(err, errlen, "%s: field '%s': missing", path,
				 k == 0 ? "descr" : k == 1 ? "fortran_order" : "shape");
			return -1;
		}
	return 0;
}

/*
 * See npy.h. The file must be a regular file (a FIFO would block, a
 * directory is no file) whose size is exactly the header plus the data the
 * shape declares: checked before the data is allocated, so a header that
 * lies costs nothing.
 */
int bnn_npy_read_f32(const char *path, int max_ndim, int *ndim, int64_t *dims, float **data,
		     char *err, size_t errlen)
{
	unsigned char pre[12];
	char *hdr = NULL;
	float *buf = NULL;
	int rc = -EINVAL;
	struct stat sb;
	FILE *f = NULL;
	size_t count = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	*data = NULL;
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, S_ISDIR(sb.st_mode) ? "is a directory" :
			 "not a regular file");
		close(fd);
		return -EINVAL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "rb");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
		snprintf(err, errlen, "%s: not a .npy file (no \\x93NUMPY magic)", path);
		goto out;
	}
	size_t hlen = pre[8] | (size_t)pre[9] << 8, pos = 10;
	if (pre[6] >= 2) {   /* versions 2 and 3: a 4-byte header length */
		if (fread(pre + 10, 1, 2, f) != 2) {
			snprintf(err, errlen, "%s: truncated header", path);
			goto out;
		}
		hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
		pos = 12;
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
	if (memchr(hdr, '\0', hlen)) {
		snprintf(err, errlen, "%s: header: a NUL byte in the dict", path);
		goto out;
	}
	if (parse_header(path, hdr, max_ndim, ndim, dims, &count, err, errlen) != 0)
		goto out;
	pos += hlen;
	if ((uint64_t)sb.st_size != pos + count * sizeof(float)) {
		snprintf(err, errlen, "%s: field 'shape': it says %zu floats (%zu bytes of data), "
			 "the file has %lld bytes of data", path, count, count * sizeof(float),
			 (long long)sb.st_size - (long long)pos);
		goto out;
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
