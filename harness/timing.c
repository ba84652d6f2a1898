#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "timing.h"

uint64_t bnn_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int bnn_stats(const double *samples, size_t n, bnn_stats_t *st)
{
	double *s = malloc(n * sizeof(*s));
	if (!s || n == 0) {
		free(s);
		return -ENOMEM;
	}
	memcpy(s, samples, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	st->n = n;
	st->min = s[0];
	st->median = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
	if (n < 6) {
		st->ci_lo = s[0];
		st->ci_hi = s[n - 1];
	} else {
		/* 1-based ranks j and k with P(x_(j) <= median <= x_(k)) >= 0.95. */
		double half = 1.96 * sqrt((double)n) / 2.0;
		long j = (long)floor((double)n / 2.0 - half);
		long k = (long)ceil(1.0 + (double)n / 2.0 + half);
		if (j < 1)
			j = 1;
		if (k > (long)n)
			k = (long)n;
		st->ci_lo = s[j - 1];
		st->ci_hi = s[k - 1];
	}
	free(s);
	return 0;
}

const char *bnn_peak_verdict(double raw, double *eff)
{
	*eff = NAN;
	if (isnan(raw))
		return NULL;
	if (raw > 1.0)
		return "mistrusted";
	*eff = raw;
	return "ok";
}
