/*
 * test_stats: the statistics of `bnnbench compare` (stats/stats.c): the
 * median against sorting, the U test against values computed by hand from
 * the textbook formula (mid-ranks, tie-corrected variance, continuity
 * correction: the same as scipy's mannwhitneyu with method="asymptotic"),
 * and the bootstrap interval: reproducible, ordered, covering a planted ratio.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"
#include "gen.h"
#include "timing.h"
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
	tap_plan(26);

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

	/* Rounds: a figure is the median of the round medians, its interval
	 * from order statistics of the rounds (the whole range under 6). */
	double r3[] = { 120, 100, 110 }, r20[20];
	bnn_stats_t st;
	tap_ok(bnn_stats(r3, 3, &st) == 0 && st.median == 110 && st.ci_lo == 100 &&
	       st.ci_hi == 120 && st.min == 100,
	       "3 rounds 120, 100, 110: median 110, interval [100, 120]");
	for (int i = 0; i < 20; i++)
		r20[i] = 20 - i;
	/* n = 20: ranks floor(10 - 1.96 sqrt(20) / 2) = 5 and ceil(11 + 4.38) = 16. */
	tap_ok(bnn_stats(r20, 20, &st) == 0 && st.median == 10.5 && st.ci_lo == 5 &&
	       st.ci_hi == 16, "20 rounds 1..20: median 10.5, 95%% interval [5, 16] (ranks 5, 16)");

	/* The shuffled order of a round: a permutation, reproducible. */
	size_t pa[9], pb[9], seen[9] = { 0 };
	int perm_ok = 1, again = 1, differs = 0;
	bnn_round_order(77, 2, 9, pa);
	bnn_round_order(77, 2, 9, pb);
	for (int i = 0; i < 9; i++) {
		perm_ok &= pa[i] < 9 && !seen[pa[i]]++;
		again &= pa[i] == pb[i];
	}
	tap_ok(perm_ok, "a round's order is a permutation of the entries");
	tap_ok(again, "the same seed and round give the same order");
	for (int r = 0; r < 8 && !differs; r++) {
		bnn_round_order(77, 3 + r, 9, pb);
		for (int i = 0; i < 9; i++)
			differs |= pa[i] != pb[i];
	}
	tap_ok(differs, "other rounds are shuffled otherwise");

	/* Wilcoxon signed-rank, exact: 6 pairs all one way: 2 / 2^6. */
	double d6[] = { 0.01, 0.02, 0.03, 0.04, 0.05, 0.06 }, pw;
	size_t nz;
	tap_ok(bnn_stat_wilcoxon(d6, 6, &pw, &nz) == 0 && nz == 6 && fabs(pw - 2.0 / 64) < 1e-12,
	       "Wilcoxon: 6 positive differences give p = 2/64 (%g)", pw);
	/* The smallest one reversed: W+ = 20, P(W+ >= 20) = 2/64, p = 4/64. */
	d6[0] = -0.01;
	tap_ok(bnn_stat_wilcoxon(d6, 6, &pw, &nz) == 0 && fabs(pw - 4.0 / 64) < 1e-12,
	       "Wilcoxon: the smallest reversed gives p = 4/64 (%g)", pw);
	/* Ties and zeros: {0, 1, -1, 2}: zero dropped, ranks 1.5, 1.5, 3;
	 * W+ = 4.5 of 6; the 8 sign patterns give sums 0, 1.5, 1.5, 3, 3,
	 * 4.5, 4.5, 6, so P(W+ >= 4.5) = 3/8 and p = 0.75. */
	double dt[] = { 0, 1, -1, 2 };
	tap_ok(bnn_stat_wilcoxon(dt, 4, &pw, &nz) == 0 && nz == 3 && fabs(pw - 0.75) < 1e-12,
	       "Wilcoxon: a zero is dropped and tied ranks are shared (p %g)", pw);
	double dz[] = { 0, 0 };
	tap_ok(bnn_stat_wilcoxon(dz, 2, &pw, &nz) == 0 && nz == 0 && pw == 1,
	       "Wilcoxon: no nonzero difference gives p = 1");

	/* The signed-rank interval: 1..8 has 36 Walsh averages; P(W+ <= 3) =
	 * 5/256 <= 0.025 < P(W+ <= 4) = 7/256, so C = 4: [W_(4), W_(33)] =
	 * [2, 7] (the 4 smallest: 1, 1.5, 2, 2; the 4 largest: 8, 7.5, 7, 7). */
	double d8[] = { 5, 3, 8, 1, 2, 7, 4, 6 }, lo8, hi8;
	tap_ok(bnn_stat_wilcoxon_ci(d8, 8, 0.95, &lo8, &hi8) == 0 && lo8 == 2 && hi8 == 7,
	       "signed-rank 95%% interval of 1..8 is [2, 7] ([%g, %g])", lo8, hi8);
	/* Five values cannot reach 95%: the whole range. */
	tap_ok(bnn_stat_wilcoxon_ci(d8, 5, 0.95, &lo8, &hi8) == 0 && lo8 == 1 && hi8 == 8,
	       "with 5 values the interval is their range");

	/* Efficiency: above 1 the peak is mistrusted and nothing valid is kept. */
	double eff;
	const char *v1 = bnn_peak_verdict(0.93, &eff);
	tap_ok(v1 && !strcmp(v1, "ok") && eff == 0.93, "an efficiency of 93%% is ok and kept");
	const char *v2 = bnn_peak_verdict(1.28, &eff);
	tap_ok(v2 && !strcmp(v2, "mistrusted") && isnan(eff) && bnn_peak_verdict(NAN, &eff) == NULL,
	       "128%% marks the peak mistrusted and keeps no efficiency; NaN has no verdict");
	return tap_exit();
}
