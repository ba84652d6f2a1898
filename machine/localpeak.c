#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <math.h>
#include <stdlib.h>
#include "bnn_rand.h"
#include "localpeak.h"
#include "peak.h"
#include "parallel.h"
#include "probe.h"
#include "timing.h"

#define MAX_THREADS 256
#define WINDOWS 3
/* The longest window, and the most windows one probe takes. */
#define SHORT_WINDOW_S 5e-4
#define MAX_WINDOWS 400

typedef bnn_xorpopc_fn xorpopc_fn;

/* Per pool thread: its probe rows, allocated by that thread (first touch). */
static uint64_t *bufs[MAX_THREADS];

typedef struct {
	xorpopc_fn xp;
	double (*fma)(int64_t);
	int64_t reps;
	volatile double sink[MAX_THREADS];
} job_t;

static void task(void *vjob, int64_t b, int64_t e, int tid)
{
	job_t *j = vjob;
	(void)b;
	(void)e;
	if (tid >= MAX_THREADS)
		return;
	if (j->fma) {
		j->sink[tid] = j->fma(j->reps);
		return;
	}
	if (!bufs[tid]) {
		size_t n = 2 * BNN_PROBE_ROWS * BNN_PROBE_WORDS;
		bufs[tid] = aligned_alloc(64, n * sizeof(uint64_t));
		if (!bufs[tid])
			return;
		uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(tid + 1);
		for (size_t i = 0; i < n; i++)
			bufs[tid][i] = bnn_splitmix64(&s);
	}
	const uint64_t *a = bufs[tid], *bb = a + BNN_PROBE_ROWS * BNN_PROBE_WORDS;
	j->sink[tid] = (double)j->xp(a, bb, BNN_PROBE_WORDS, j->reps);
}

/* Seconds for one pass of reps on every pool thread. */
static double pass(job_t *j)
{
	int nt = bnn_parallel_threads();
	uint64_t t0 = bnn_now_ns();
	bnn_parallel_for(nt, 1, task, j);
	return (double)(bnn_now_ns() - t0) * 1e-9;
}

/* Seconds for reps on the calling thread alone (no pool wake-up in it). */
static double pass_here(job_t *j)
{
	uint64_t t0 = bnn_now_ns();
	task(j, 0, 1, 0);
	return (double)(bnn_now_ns() - t0) * 1e-9;
}

/*
 * Best rate (work per rep x reps x threads / s) over WINDOWS windows on the
 * pool. The reps are calibrated on the calling thread, where a pass is not
 * dominated by waking the workers, doubling until a pass lasts an eighth of
 * a window.
 */
static double best_rate(job_t *j, double work_per_rep, double seconds)
{
	j->reps = 1;
	pass_here(j); /* first touch of thread 0's buffers */
	double t;
	/* Short windows, as many as WINDOWS x seconds hold: a long window on a
	 * shared machine always contains another process's time slice. */
	double win = seconds < SHORT_WINDOW_S ? seconds : SHORT_WINDOW_S;
	while ((t = pass_here(j)) < win / 8 && j->reps < ((int64_t)1 << 40))
		j->reps *= 2;
	if (t > 0)
		j->reps = (int64_t)((double)j->reps * win / t) + 1;
	pass(j); /* first touch of the other threads' buffers */
	double best = 0, spent = 0;
	for (int w = 0; w < WINDOWS || (spent < WINDOWS * seconds && w < MAX_WINDOWS); w++) {
		t = pass(j);
		spent += t;
		double r = work_per_rep * (double)j->reps * bnn_parallel_threads() / t;
		if (r > best)
			best = r;
	}
	return best;
}

/* One loop's TOPS on the pool (the rate callback of bnn_xorpopc_fastest). */
static double loop_tops(const bnn_xorpopc_loop_t *loop, void *vseconds)
{
	job_t j = { .xp = loop->fn };
	double bits = BNN_PROBE_XORPOPC_BITS(BNN_PROBE_WORDS, 1);
	return 2.0 * best_rate(&j, bits, *(double *)vseconds) / 1e12;
}

double bnn_local_peak_tops(bnn_isa_t isa, double seconds)
{
	char why[128];
	if (!bnn_isa_available(isa, why, sizeof(why)))
		return NAN;
	return bnn_xorpopc_fastest(isa, 1, loop_tops, &seconds, NULL);
}

double bnn_local_peak_gflops(double seconds)
{
	char why[128];
	job_t j = { .fma = bnn_probe_fma__generic };
	double per = BNN_PROBE_FMA_FLOPS_PER_REP_GENERIC;
#ifdef BNN_HAVE_AVX512
	if (bnn_isa_available(BNN_ISA_AVX512, why, sizeof(why))) {
		j.fma = bnn_probe_fma__avx512;
		per = BNN_PROBE_FMA_FLOPS_PER_REP_AVX512;
	} else
#endif
#ifdef BNN_HAVE_AVX2
	if (bnn_isa_available(BNN_ISA_AVX2, why, sizeof(why))) {
		j.fma = bnn_probe_fma__avx2;
		per = BNN_PROBE_FMA_FLOPS_PER_REP_AVX2;
	}
#endif
	(void)why;
	return best_rate(&j, per, seconds) / 1e9;
}

void bnn_local_peak_free(void)
{
	for (int t = 0; t < MAX_THREADS; t++) {
		free(bufs[t]);
		bufs[t] = NULL;
	}
}
