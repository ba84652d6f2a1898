/*
 * stats.h: the statistics of comparing two sets of timed samples: the
 * median, the Mann-Whitney U test (normal approximation, tie-corrected,
 * with continuity correction) and a seeded bootstrap interval of the ratio
 * of medians. Pure functions of their inputs: no I/O, no global state.
 */
#ifndef BNN_STATS_H
#define BNN_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Median of n values (the mean of the two middle ones for even n); NaN for
 * n == 0 or out of memory. v is not modified. */
double bnn_stat_median(const double *v, size_t n);

/* The summary kept of a timed result's samples (or of its round medians). */
typedef struct {
	size_t n;
	double min, median;
	double ci_lo, ci_hi;   /* distribution-free 95% interval of the median */
} bnn_stats_t;

/*
 * Statistics of n samples (unchanged; n >= 1): the minimum, the median (as
 * bnn_stat_median) and a 95% interval of the median from the binomial order
 * statistics around it; with fewer than 6 samples it cannot reach 95% and
 * is the whole range [min, max]. Returns 0, or -ENOMEM (also for n == 0).
 */
int bnn_stats(const double *samples, size_t n, bnn_stats_t *st);

/*
 * Two-sided Mann-Whitney U test of a against b: *u is U of a (the number of
 * pairs with a > b, ties counting one half), *p the two-sided p-value from
 * the normal approximation with the tie correction of the variance and a
 * continuity correction of 0.5. Returns 0, or -1 when a side is empty or
 * memory runs out. All values equal on both sides give p = 1.
 */
int bnn_stat_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			  double *u, double *p);

/*
 * Percentile bootstrap of median(b) / median(a): iters resamples of each
 * side with replacement, drawn from a generator seeded with seed, so the
 * same inputs give the same interval. *lo and *hi bound the central level
 * (e.g. 0.95) of the resampled ratios. Returns 0, or -1 on empty input,
 * iters < 1 or out of memory.
 */
int bnn_stat_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb,
			     int iters, uint64_t seed, double level, double *lo, double *hi);

/*
 * Exact two-sided Wilcoxon signed-rank test of the paired differences
 * d[0..n): zeros are dropped, ties share their mean rank, and the null
 * distribution of the positive-rank sum is counted exactly (every sign
 * pattern equally likely). *p is the two-sided p-value (1 when no nonzero
 * difference is left), *nz the count of nonzero differences. Returns 0,
 * or -1 when n > 64 or memory runs out.
 */
int bnn_stat_wilcoxon(const double *d, size_t n, double *p, size_t *nz);

/*
 * The interval that goes with the signed-rank test: the Hodges-Lehmann
 * interval of the center of d[0..n), from the n(n+1)/2 Walsh averages
 * (d_i + d_j) / 2, i <= j, sorted: [W_(C), W_(M+1-C)], C the largest count
 * with P(W+ < C) <= (1 - level) / 2 under the exact null distribution (no
 * ties). It excludes 0 exactly when the test rejects at 1 - level, up to
 * the test's discreteness. With too few values for level (n <= 5 at 95%)
 * it is [min, max] of d. Returns 0, or -1 when n is 0 or above 64.
 */
int bnn_stat_wilcoxon_ci(const double *d, size_t n, double level, double *lo, double *hi);

#endif
