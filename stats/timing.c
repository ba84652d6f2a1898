/* timing.c: the clock and the efficiency verdict (timing.h); the summary
 * statistics of samples are in stats.c. */
#include <math.h>
#include <time.h>
#include "timing.h"

uint64_t bnn_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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
