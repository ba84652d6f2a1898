/*
 * bnn_cuda_info.h: what C sees of the GPU machine record and the GPU peak
 * probes (kernels/cuda/probe_cuda.cu); the cuBLASLt peers are declared in
 * peers/cublas_peers.h. Plain C: never includes cuda_runtime.h.
 *
 * Everything here was written and compiled on a machine without a GPU
 * (compile-only): on a device it is checked by tests/test_cuda_peers; the
 * op counting below is checked on the host by tests/test_cuda_probe_host.
 */
#ifndef BNN_CUDA_INFO_H
#define BNN_CUDA_INFO_H

#include <stddef.h>
#include <stdint.h>
#include "bnn_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the machine record ---- */

typedef struct {
	int ok;                 /* 1: device 0 was read; 0: why says why not */
	char why[200];          /* "no CUDA device: ..." when ok is 0 */
	int device_count;
	char name[256];
	int cc_major, cc_minor; /* compute capability */
	int sms;                /* multiprocessors */
	int sm_clock_khz;       /* peak SM clock (cudaDevAttrClockRate), 0 unknown */
	int mem_clock_khz;      /* peak memory clock (cudaDevAttrMemoryClockRate), 0 unknown */
	int bus_width_bits;     /* memory bus width */
	long long mem_bytes;    /* global memory */
	long long l2_bytes;     /* L2 cache */
	int driver_version;     /* cudaDriverGetVersion: 13000 is 13.0; 0 when no driver */
	int runtime_version;    /* cudaRuntimeGetVersion of the linked runtime */
} bnn_cuda_info_t;

/*
 * Fills *info from device 0 and the runtime (cannot fail: without a device
 * ok is 0 with the reason, and the versions are still filled where known).
 */
void bnn_cuda_info(bnn_cuda_info_t *info);

/* ---- the peak probes ---- */

typedef enum {
	BNN_CUDA_PROBE_MMA_B1 = 0,  /* mma.sync m16n8k256 b1 .and.popc, s32 accumulators */
	BNN_CUDA_PROBE_MMA_S8,      /* mma.sync m16n8k32 s8 x s8, s32 accumulators */
	BNN_CUDA_PROBE_MMA_F16,     /* mma.sync m16n8k16 f16 x f16, f32 accumulators */
	BNN_CUDA_PROBE_DRAM_READ,   /* read a buffer far beyond L2 */
	BNN_CUDA_PROBE_DRAM_COPY,   /* copy its first half into its second half */
	BNN_CUDA_PROBE_COUNT
} bnn_cuda_probe_kind_t;

/* The launch the MMA probes use: blocks of this many threads, this many
 * blocks per SM, this many independent accumulator tiles per warp. */
#define BNN_CUDA_PROBE_THREADS 256
#define BNN_CUDA_PROBE_BLOCKS_PER_SM 4
#define BNN_CUDA_PROBE_NACC 8

/* Multiply-adds of one warp-wide mma instruction of the kind (M*N*K), 0 for
 * the bandwidth probes. */
static inline int64_t bnn_cuda_probe_mma_macs(bnn_cuda_probe_kind_t kind)
{
	switch (kind) {
	case BNN_CUDA_PROBE_MMA_B1: return 16 * 8 * 256;
	case BNN_CUDA_PROBE_MMA_S8: return 16 * 8 * 32;
	case BNN_CUDA_PROBE_MMA_F16: return 16 * 8 * 16;
	default: return 0;
	}
}

/*
 * Operations of one MMA probe launch, counted as doc/bnn-math.md section 7 does (2 per
 * multiply-add, a binary MAC included): each of the blocks x threads / 32
 * warps issues NACC mma per iteration.
 */
static inline double bnn_cuda_probe_ops(bnn_cuda_probe_kind_t kind, int64_t blocks,
					int64_t threads, int64_t iters)
{
	return 2.0 * (double)(blocks * (threads / 32)) * (double)iters * BNN_CUDA_PROBE_NACC *
	       (double)bnn_cuda_probe_mma_macs(kind);
}

/*
 * The value every accumulator element must hold after iters iterations:
 * the fragments are all ones (b1: every bit set, so popc(A AND B) = 256 per
 * step; s8: +1 bytes, 32 per step; f16: 1.0 halves, 16 per step), so the
 * value does not depend on the fragment layout. iters stays under
 * bnn_cuda_probe_max_iters, so the value is exact (int32, or f32 < 2^24).
 */
static inline int64_t bnn_cuda_probe_expect(bnn_cuda_probe_kind_t kind, int64_t iters)
{
	switch (kind) {
	case BNN_CUDA_PROBE_MMA_B1: return 256 * iters;
	case BNN_CUDA_PROBE_MMA_S8: return 32 * iters;
	case BNN_CUDA_PROBE_MMA_F16: return 16 * iters;
	default: return 0;
	}
}

/* The most iterations one launch may run for the expected value to stay exact. */
static inline int64_t bnn_cuda_probe_max_iters(bnn_cuda_probe_kind_t kind)
{
	switch (kind) {
	case BNN_CUDA_PROBE_MMA_B1: return INT64_C(1) << 22;  /* 2^30 < 2^31 */
	case BNN_CUDA_PROBE_MMA_S8: return INT64_C(1) << 24;  /* 2^29 */
	case BNN_CUDA_PROBE_MMA_F16: return INT64_C(1) << 20; /* 2^24: f32 exact */
	default: return 0;
	}
}

/*
 * Bytes one bandwidth-probe pass moves over a buffer of buf_bytes (a whole
 * number of 16-byte elements): read counts each byte once; copy reads the
 * first half and writes the second, so it moves buf_bytes as well (STREAM's
 * copy counts read and write bytes alike).
 */
static inline double bnn_cuda_probe_bytes(bnn_cuda_probe_kind_t kind, int64_t buf_bytes,
					  int64_t passes)
{
	int64_t n16 = buf_bytes / 16;
	if (kind == BNN_CUDA_PROBE_DRAM_READ)
		return (double)(n16 * 16) * (double)passes;
	if (kind == BNN_CUDA_PROBE_DRAM_COPY)
		return (double)((n16 / 2) * 16 * 2) * (double)passes;
	return 0;
}

/* "mma_b1 cuda", "mma_s8 cuda", "mma_f16 cuda", "dram_read cuda", "dram_copy cuda". */
const char *bnn_cuda_probe_name(bnn_cuda_probe_kind_t kind);

typedef struct {
	double best, median;    /* rate over the repetitions: highest, median */
	char unit[16];          /* "TOPS" (MMA, 2 ops per MAC) or "GB/s" */
	char method[64];
} bnn_cuda_rate_t;

/*
 * Runs one probe on device 0: a warm-up launch, a calibration until one
 * repetition lasts about min_time_s / repeats (5 ms at least), then repeats
 * timed repetitions (CUDA events on the default stream). The MMA probes
 * check every accumulator against bnn_cuda_probe_expect. Returns 0 and *r;
 * -ENODEV with the reason in why (no device, or an MMA kind below sm_80);
 * -EIO with why when a launch failed or an accumulator was wrong;
 * -ENOMEM when the buffers cannot be had.
 */
int bnn_cuda_probe(bnn_cuda_probe_kind_t kind, double min_time_s, int repeats,
		   bnn_cuda_rate_t *r, char *why, size_t whylen);

#ifdef __cplusplus
}
#endif

#endif
