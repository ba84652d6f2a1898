/*
 * peak.h: the machine's measured peaks, taken in the same run
 * as the benchmarks so that each result can state its efficiency =
 * achieved / probed peak on the same machine.
 *
 * The loops themselves are kernels/probe.h (per-ISA folders, per-ISA
 * flags); this module runs them on 1 thread and on all threads, times
 * them and keeps the statistics.
 *
 * A probe is an upper bound: its peak is the best (highest) rate over the
 * repetitions, since noise (other processes, frequency dips, interrupts)
 * can only slow a loop down; the median is kept beside it to show how
 * steady the machine was.
 */
#ifndef BNN_PEAK_H
#define BNN_PEAK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "bnn_kernels.h"

/* Words per row of the XOR-popcount probes: 2 x 4 rows x 256 x 8 bytes =
 * 16 KiB, inside any L1 data cache the probes target (32 KiB and up). */
#define BNN_PROBE_WORDS 256

/* Enough results for every ISA and method on 1 and all threads. */
#define BNN_PROBE_MAX_RESULTS 32

typedef struct {
	double min_time_s;   /* time per measurement, all repetitions; <= 0: 0.2 */
	int threads;         /* "all threads"; <= 0: every CPU this process may run on */
	int repeats;         /* repetitions per measurement; <= 0: 5; at most 64 */
	size_t triad_bytes;  /* bytes per triad array; 0: 64 MiB (3 arrays, well
				beyond a 32 MiB L3); rounded down to whole floats */
	/* Set (by a signal handler) to stop between measurements: the probe
	 * then returns -EINTR. NULL: never. */
	volatile sig_atomic_t *stop;
} bnn_probe_opts_t;

typedef struct {
	char name[64];    /* "xorpopc avx2.lut threads=1", "fma avx2 threads=2", "triad threads=2" */
	char isa[16];     /* "generic", "avx2", "avx512" */
	int threads;
	char unit[16];    /* "TOPS" (2 ops per binary MAC), "GFLOPS", "GB/s" */
	double best;      /* highest rate over the repetitions: the peak */
	double median;    /* median rate over the repetitions */
	char method[64];  /* how: "vpshufb nibble LUT 2x4, vpsadbw flush" */
} bnn_probe_result_t;

/*
 * Measures, on 1 thread and on o->threads threads (each thread its own
 * private in-L1 buffers, all started together from a barrier, timed from
 * the barrier to the last one's finish, the aggregate rate reported):
 *   - XOR-popcount TOPS of every loop in bnn_xorpopc_loops whose ISA
 *     bnn_isa_available() allows here (generic three ways: SWAR 1x4, 8 and
 *     16 words per sum; AVX2 three ways: nibble LUT, scalar POPCNT,
 *     Harley-Seal; AVX-512 VPOPCNTQ); a binary MAC counts as 2 ops
 *     (doc/bnn-math.md section 7);
 *   - FP32 multiply-add GFLOPS with the best ISA allowed;
 *   - STREAM triad bandwidth in GB/s (3 arrays of o->triad_bytes, 12 bytes
 *     per element as STREAM counts, the arrays split over the threads).
 * With one thread in all, the "all threads" rows are left out.
 * o may be NULL (all defaults). Writes up to max results to out and their
 * number to *n. Returns 0; -EINVAL for bad arguments; -ENOSPC when max was
 * too small (the first max results are kept; BNN_PROBE_MAX_RESULTS is
 * always enough); -ENOMEM or another negative errno when buffers or
 * threads cannot be had (*n then counts what was measured before).
 * Takes several times o->min_time_s per row (calibration included).
 */
int bnn_probe_run(const bnn_probe_opts_t *o, bnn_probe_result_t *out, size_t max, size_t *n);

/*
 * The XOR-popcount probe loops (kernels/probe.h), each a row of
 * bnn_probe_run ("NAME threads=N"). An ISA's peak is the fastest of its
 * loops, so that it stays an upper bound for every kernel of that ISA: the
 * list holds each kernel family's own inner loop (and faster ones where
 * found), generic and AVX2 alike.
 */
typedef int64_t (*bnn_xorpopc_fn)(const uint64_t *a, const uint64_t *b, int64_t words,
				  int64_t reps);
typedef struct {
	const char *name;     /* "xorpopc generic.8w" */
	bnn_isa_t isa;
	bnn_xorpopc_fn fn;
	const char *method;   /* stored as the probe row's reason */
	/* Probed again beside each result (machine/localpeak.c): every loop
	 * that may be its ISA's fastest somewhere (AVX2's scalar POPCNT loop
	 * never is: half the vector loops' rate). */
	int local;
} bnn_xorpopc_loop_t;

extern const bnn_xorpopc_loop_t bnn_xorpopc_loops[];
extern const size_t bnn_xorpopc_nloops;

/*
 * The fastest of isa's loops in bnn_xorpopc_loops (only those with local
 * set when local_only): calls rate(loop, ctx) once for each and returns
 * the highest rate, its loop's index in *which (which may be NULL). Rates
 * that are NaN are passed over; NaN and *which = bnn_xorpopc_nloops when
 * no loop of isa gave one. The probes' one rule for picking a peak,
 * separate from the timing so that it can be tested with made-up rates.
 */
double bnn_xorpopc_fastest(bnn_isa_t isa, int local_only,
			   double (*rate)(const bnn_xorpopc_loop_t *loop, void *ctx), void *ctx,
			   size_t *which);

/*
 * The probed XOR-popcount peak in TOPS for isa ("avx2") on threads
 * threads: the highest best over the matching rows (several AVX2 methods
 * match "avx2"), or NaN when none matches.
 */
double bnn_probe_peak_tops(const bnn_probe_result_t *r, size_t n, const char *isa, int threads);

/*
 * The GPU's peaks (CUDA builds, device 0; kernels/cuda/probe_cuda.cu): the
 * 1-bit tensor-core rate of a tight mma.sync m16n8k256 .and.popc loop, the
 * int8 (m16n8k32) and fp16 (m16n8k16, f32 accumulators) mma rates, all in
 * TOPS with 2 ops per multiply-add (doc/bnn-math.md section 7), and the device memory
 * bandwidth (read, and copy) over a buffer far beyond L2, in GB/s. Rows
 * are named "mma_b1 cuda" ... "dram_copy cuda", isa "cuda", threads 1.
 * Appends up to max rows to out and their number to *n. Returns 0;
 * -ENODEV with the reason in why when there is no usable device (nothing
 * measured: the caller reports a SKIP); -ENOTSUP in a build without CUDA;
 * another negative errno with why when a probe failed (*n counts the rows
 * measured before); -ENOSPC when max was too small.
 */
int bnn_probe_run_gpu(const bnn_probe_opts_t *o, bnn_probe_result_t *out, size_t max, size_t *n,
		      char *why, size_t whylen);

/* The best rate of the row named name (e.g. "mma_b1 cuda"), or NaN. */
double bnn_probe_peak_named(const bnn_probe_result_t *r, size_t n, const char *name);

#endif
