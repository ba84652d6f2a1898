/* timing.h: the clock and the statistics kept of timed repetitions. */
#ifndef BNN_TIMING_H
#define BNN_TIMING_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic nanoseconds. */
uint64_t bnn_now_ns(void);

typedef struct {
	size_t n;
	double min, median;
	double ci_lo, ci_hi;   /* distribution-free 95% interval of the median */
} bnn_stats_t;

/*
 * Statistics of n samples (unchanged; n >= 1). The interval comes from the
 * binomial order statistics around the median; with fewer than 6 samples
 * it cannot reach 95% and is the whole range [min, max].
 */
int bnn_stats(const double *samples, size_t n, bnn_stats_t *st);

/*
 * An efficiency (achieved over a probed peak) as it may be shown and
 * stored: "ok" with *eff = raw when raw is at most 1, "mistrusted" with
 * *eff = NaN above 1 (the probe was no upper bound then: the result is
 * kept, its efficiency is not), NULL with *eff = NaN when raw is NaN.
 */
const char *bnn_peak_verdict(double raw, double *eff);

#endif
