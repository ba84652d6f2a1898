/* timing.h: the clock, and the statistics kept of timed repetitions
 * (bnn_stats, declared in stats.h with the others). */
#ifndef BNN_TIMING_H
#define BNN_TIMING_H

#include <stddef.h>
#include <stdint.h>
#include "stats.h"

/* Monotonic nanoseconds. */
uint64_t bnn_now_ns(void);

/*
 * An efficiency (achieved over a probed peak) as it may be shown and
 * stored: "ok" with *eff = raw when raw is at most 1, "mistrusted" with
 * *eff = NaN above 1 (the probe was no upper bound then: the result is
 * kept, its efficiency is not), NULL with *eff = NaN when raw is NaN.
 */
const char *bnn_peak_verdict(double raw, double *eff);

#endif
