/*
 * stats.c: see stats.h. The U test follows the textbook normal
 * approximation (as LNT and scipy's asymptotic method do); the bootstrap
 * uses the project's splitmix64 (bnn_rand.h) so its draws do not depend on
 * the C library.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_rand.h"
#include "stats.h"

/* qsort order of doubles (no NaN reaches here). */
static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* The k-th smallest of v[0..n) (from 0), which is reordered so that
 * everything left of k is <= v[k] (three-way quickselect, expected O(n)). */
static double kth(double *v, long n, long k)
{
	long lo = 0, hi = n - 1;
	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2], t;
		long lt = lo, i = lo, gt = hi;
		while (i <= gt) {
			if (v[i] < pivot) {
				t = v[lt]; v[lt] = v[i]; v[i] = t;
				lt++, i++;
			} else if (v[i] > pivot) {
				t = v[gt]; v[gt] = v[i]; v[i] = t;
				gt--;
			} else {
				i++;
			}
		}
		/* [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot */
		if (k < lt)
			hi = lt - 1;
		else if (k > gt)
			lo = gt + 1;
		else {
			return pivot;
		}
	}
	return v[k];
}

/* Median of v[0..n), n > 0, which is reordered. */
static double select_median(double *v, size_t n)
{
	long k = (long)(n / 2);
	double upper = kth(v, (long)n, k);
	if (n % 2)
		return upper;
	/* The lower middle is the largest value left of k. */
	double lower = v[0];
	for (long i = 1; i < k; i++)
		if (v[i] > lower)
			lower = v[i];
	return 0.5 * (lower + upper);
}

/* See stats.h: a copy is selected, so v stays as it was. */
double bnn_stat_median(const double *v, size_t n)
{
	if (n == 0)
		return NAN;
	double *c = malloc(n * sizeof(*c));
	if (!c)
		return NAN;
	memcpy(c, v, n * sizeof(*c));
	double m = select_median(c, n);
	free(c);
	return m;
}

/* See stats.h. */
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
	st->median = select_median(s, n);   /* last: it reorders s */
	free(s);
	return 0;
}

/* See stats.h. */
int bnn_stat_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			  double *u, double *p)
{
	size_t n = na + nb;
	if (na == 0 || nb == 0)
		return -1;
	/* Pool the values, each tagged with its side. */
	struct tagged { double v; int from_a; } *t = malloc(n * sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < na; i++)
		t[i] = (struct tagged){ a[i], 1 };
	for (size_t i = 0; i < nb; i++)
		t[na + i] = (struct tagged){ b[i], 0 };
	qsort(t, n, sizeof(*t), cmp_double);   /* v is the first member */

	/* Mid-ranks for ties; ties also shrink the variance. */
	double rank_a = 0, ties = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && t[j + 1].v == t[i].v)
			j++;
		double mid = 0.5 * (double)(i + j) + 1.0, cnt = (double)(j - i + 1);
		for (size_t k = i; k <= j; k++)
			if (t[k].from_a)
				rank_a += mid;
		ties += cnt * cnt * cnt - cnt;
		i = j + 1;
	}
	free(t);
	double n1 = (double)na, n2 = (double)nb, nn = (double)n;
	*u = rank_a - n1 * (n1 + 1) / 2;
	double mean = n1 * n2 / 2;
	double var = n1 * n2 / 12 * ((nn + 1) - ties / (nn * (nn - 1)));
	if (!(var > 0)) {
		*p = 1.0;
		return 0;
	}
	double d = fabs(*u - mean) - 0.5;
	if (d < 0)
		d = 0;
	*p = erfc(d / sqrt(var) / sqrt(2.0));
	if (*p > 1)
		*p = 1;
	return 0;
}

/* A uniform index below n (n small: the modulo bias is far below noise). */
static size_t draw(uint64_t *s, size_t n)
{
	return (size_t)(bnn_splitmix64(s) % n);
}

/* See stats.h. */
int bnn_stat_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb,
			     int iters, uint64_t seed, double level, double *lo, double *hi)
{
	int rc = -1;
	if (na == 0 || nb == 0 || iters < 1)
		return -1;
	double *ra = malloc(na * sizeof(*ra)), *rb = malloc(nb * sizeof(*rb));
	double *ratio = malloc((size_t)iters * sizeof(*ratio));
	if (!ra || !rb || !ratio)
		goto out;
	uint64_t s = seed;
	for (int it = 0; it < iters; it++) {
		for (size_t i = 0; i < na; i++)
			ra[i] = a[draw(&s, na)];
		for (size_t i = 0; i < nb; i++)
			rb[i] = b[draw(&s, nb)];
		ratio[it] = select_median(rb, nb) / select_median(ra, na);
	}
	qsort(ratio, (size_t)iters, sizeof(*ratio), cmp_double);
	double tail = (1 - level) / 2;
	size_t ilo = (size_t)floor(tail * (iters - 1));
	size_t ihi = (size_t)ceil((1 - tail) * (iters - 1));
	*lo = ratio[ilo];
	*hi = ratio[ihi];
	rc = 0;
out:
	free(ra);
	free(rb);
	free(ratio);
	return rc;
}

/* |d| ascending, for the ranks of bnn_stat_wilcoxon. */
static int cmp_abs(const void *a, const void *b)
{
	double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
	return (x > y) - (x < y);
}

int bnn_stat_wilcoxon(const double *d, size_t n, double *p, size_t *nz)
{
	double v[64];
	int r2[64];   /* twice the ranks: ties' mean ranks stay integers */
	size_t m = 0;
	*p = 1;
	*nz = 0;
	if (n > 64)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (d[i] != 0 && !isnan(d[i]))
			v[m++] = d[i];
	*nz = m;
	if (m == 0)
		return 0;
	qsort(v, m, sizeof(*v), cmp_abs);
	for (size_t i = 0; i < m;) {
		size_t j = i;
		while (j + 1 < m && fabs(v[j + 1]) == fabs(v[i]))
			j++;
		for (size_t k = i; k <= j; k++)
			r2[k] = (int)(i + j + 2);   /* 2 x mean of ranks i+1 .. j+1 */
		i = j + 1;
	}
	int total = 0, wplus = 0;
	for (size_t i = 0; i < m; i++) {
		total += r2[i];
		if (v[i] > 0)
			wplus += r2[i];
	}
	/* count[s]: sign patterns whose positive (doubled) rank sum is s. */
	double *count = calloc((size_t)total + 1, sizeof(*count));
	if (!count)
		return -1;
	count[0] = 1;
	int reach = 0;
	for (size_t i = 0; i < m; i++) {
		for (int s2 = reach; s2 >= 0; s2--)
			if (count[s2] != 0)
				count[s2 + r2[i]] += count[s2];
		reach += r2[i];
	}
	double all = ldexp(1.0, (int)m), lo = 0, hi = 0;
	for (int s2 = 0; s2 <= total; s2++) {
		if (s2 <= wplus)
			lo += count[s2];
		if (s2 >= wplus)
			hi += count[s2];
	}
	free(count);
	double q = 2 * (lo < hi ? lo : hi) / all;
	*p = q < 1 ? q : 1;
	return 0;
}

int bnn_stat_wilcoxon_ci(const double *d, size_t n, double level, double *lo, double *hi)
{
	if (n == 0 || n > 64)
		return -1;
	size_t m = n * (n + 1) / 2, k = 0;
	int total = (int)m;
	double *w = malloc(m * sizeof(*w)), *count = calloc((size_t)total + 1, sizeof(*count));
	if (!w || !count) {
		free(w);
		free(count);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i; j < n; j++)
			w[k++] = 0.5 * (d[i] + d[j]);
	qsort(w, m, sizeof(*w), cmp_double);
	/* The null distribution of W+ with ranks 1..n. */
	count[0] = 1;
	for (int r = 1, reach = 0; r <= (int)n; reach += r, r++)
		for (int s2 = reach; s2 >= 0; s2--)
			if (count[s2] != 0)
				count[s2 + r] += count[s2];
	double all = ldexp(1.0, (int)n), tail = 0, half = (1 - level) / 2;
	size_t c = 0;   /* P(W+ <= c - 1) <= half */
	for (int s2 = 0; s2 <= total; s2++) {
		tail += count[s2];
		if (tail / all > half)
			break;
		c = (size_t)s2 + 1;
	}
	if (c == 0) {
		*lo = w[0];
		*hi = w[m - 1];
	} else {
		*lo = w[c - 1];      /* W_(C), 1-based */
		*hi = w[m - c];      /* W_(M + 1 - C) */
	}
	free(w);
	free(count);
	return 0;
}
