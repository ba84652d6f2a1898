/*
 * test_stats: the statistics of `bnnbench compare` (harness/stats.c): the
 * median against sorting, the U test against values computed by hand from
 * the textbook formula (mid-ranks, tie-corrected variance, continuity
 * correction: the same as scipy's mannwhitneyu with method="asymptotic"),
 * and the bootstrap interval: reproducible, ordered, covering a planted ratio.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"
#include "tap.h"

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* Median by sorting, the obvious way. */
static double sorted_median(const double *v, size_t n)
{
	double *c = malloc(n * sizeof(*c));
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp);
	double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
	free(c);
	return m;
}

static uint64_t rng = 88172645463325252ull;
static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* A normal draw (Box-Muller). */
static double gauss(double mean, double sd)
{
	double u = urand(), v = urand();
	if (u < 1e-300)
		u = 1e-300;
	return mean + sd * sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

int main(void)
{
	tap_plan(13);

	/* Median: every size up to 200, with and without many ties. */
	int bad = 0;
	for (size_t n = 1; n <= 200 && !bad; n++)
		for (int ties = 0; ties < 2; ties++) {
			double v[200], before[200];
			for (size_t i = 0; i < n; i++)
				v[i] = ties ? (double)(int)(urand() * 5) : urand();
			memcpy(before, v, sizeof(v));
			bad |= bnn_stat_median(v, n) != sorted_median(v, n);
			bad |= memcmp(before, v, n * sizeof(*v)) != 0;
		}
	tap_ok(!bad, "median equals the sorted median for n = 1..200, with ties, input untouched");
	tap_ok(isnan(bnn_stat_median(NULL, 0)), "median of nothing is NaN");

	double u, p;
	int rc;
	double a1[] = { 1, 2, 3, 4, 5 }, b1[] = { 6, 7, 8, 9, 10 };
	rc = bnn_stat_mann_whitney(a1, 5, b1, 5, &u, &p);
	tap_ok(rc == 0 && u == 0 &&
	       fabs(p - 0.012185780355344818) < 1e-12,
	       "U test, separated samples: U = 0, p = 0.01219 (got U %g, p %.6g)", u, p);
	double a2[] = { 1, 2, 2, 3, 3 }, b2[] = { 2, 3, 4, 4, 5 };
	rc = bnn_stat_mann_whitney(a2, 5, b2, 5, &u, &p);
	tap_ok(rc == 0 && u == 4 &&
	       fabs(p - 0.08567343955231692) < 1e-12,
	       "U test with ties: U = 4, p = 0.08567 (got U %g, p %.6g)", u, p);
	double a3[] = { 3, 1, 4, 1, 5, 9, 2, 6 }, b3[] = { 2, 7, 1, 8, 2, 8 };
	rc = bnn_stat_mann_whitney(a3, 8, b3, 6, &u, &p);
	tap_ok(rc == 0 && u == 21 &&
	       fabs(p - 0.7444328442168985) < 1e-12,
	       "U test, unequal sizes, interleaved: U = 21, p = 0.7444 (got U %g, p %.6g)", u, p);
	double p_ab = p;
	bnn_stat_mann_whitney(b3, 6, a3, 8, &u, &p);
	tap_ok(u == 6 * 8 - 21 && p == p_ab, "swapping the sides gives U' = n1 n2 - U, same p");
	double same[] = { 7, 7, 7, 7 };
	rc = bnn_stat_mann_whitney(same, 4, same, 4, &u, &p);
	tap_ok(rc == 0 && p == 1,
	       "all values equal: p = 1 (got %g)", p);
	tap_ok(bnn_stat_mann_whitney(a1, 0, b1, 5, &u, &p) != 0, "an empty side is refused");

	/* Bootstrap of the ratio of medians: 10% planted, 3% spread. */
	double base[40], slow[40];
	for (int i = 0; i < 40; i++) {
		base[i] = gauss(100, 3);
		slow[i] = gauss(110, 3.3);
	}
	double lo, hi, lo2, hi2;
	rc = bnn_stat_bootstrap_ratio(base, 40, slow, 40, 2000, 42, 0.95, &lo, &hi);
	double point = bnn_stat_median(slow, 40) / bnn_stat_median(base, 40);
	tap_ok(rc == 0 && lo <= point && point <= hi && lo < 1.1 && 1.1 < hi && lo > 1.05,
	       "bootstrap 95%% interval [%.4f, %.4f] holds the point ratio %.4f and the planted 1.1",
	       lo, hi, point);
	bnn_stat_bootstrap_ratio(base, 40, slow, 40, 2000, 42, 0.95, &lo2, &hi2);
	tap_ok(lo2 == lo && hi2 == hi, "the same seed gives the same interval");
	bnn_stat_bootstrap_ratio(base, 40, slow, 40, 2000, 43, 0.95, &lo2, &hi2);
	tap_ok(lo2 != lo || hi2 != hi, "another seed draws other resamples");
	bnn_stat_bootstrap_ratio(base, 40, slow, 40, 2000, 42, 0.50, &lo2, &hi2);
	tap_ok(lo <= lo2 && lo2 <= hi2 && hi2 <= hi, "a 50%% interval lies inside the 95%% one");
	double one[] = { 5 };
	tap_ok(bnn_stat_bootstrap_ratio(one, 1, one, 1, 100, 1, 0.95, &lo, &hi) == 0 && lo == 1 &&
	       hi == 1 && bnn_stat_bootstrap_ratio(one, 0, one, 1, 100, 1, 0.95, &lo, &hi) != 0,
	       "one sample a side gives [1, 1]; an empty side is refused");
	return tap_exit();
}
