/*
 * The GPU's side of the machine record and its peak probes
 * (kernels/cuda/bnn_cuda_info.h): tight mma.sync loops on the 1-bit, int8
 * and fp16 tensor cores, and the device memory bandwidth over a buffer far
 * beyond L2. Like the CPU probes (machine/peak.c), a probe is an upper
 * bound: its peak is the best repetition, the median shows how steady the
 * device was.
 *
 * Compile-only: written and built on a machine without a GPU, never run.
 * The bodies are in probe_cuda_body.cuh, whose op counting
 * tests/test_cuda_probe_host checks on the host; on a device the MMA
 * probes check every accumulator against the value all-ones fragments must
 * give, so a rate is never reported for instructions that did not run.
 */
#include <cuda_runtime.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "bnn_cuda.h"
#include "bnn_cuda_info.h"
#include "bnn_cuda_internal.cuh"
#include "probe_cuda_body.cuh"

/* ---- the machine record ---- */

extern "C" void bnn_cuda_info(bnn_cuda_info_t *info)
{
	memset(info, 0, sizeof(*info));
	cudaRuntimeGetVersion(&info->runtime_version);
	if (cudaDriverGetVersion(&info->driver_version) != cudaSuccess)
		info->driver_version = 0;
	cudaGetLastError();
	info->ok = bnn_cuda_available(info->why, sizeof(info->why));
	if (!info->ok)
		return;
	const cudaDeviceProp *p = bnn_cuda_device_props();
	if (cudaGetDeviceCount(&info->device_count) != cudaSuccess)
		info->device_count = 0;
	snprintf(info->name, sizeof(info->name), "%s", p->name);
	info->cc_major = p->major;
	info->cc_minor = p->minor;
	info->sms = p->multiProcessorCount;
	info->bus_width_bits = p->memoryBusWidth;
	info->mem_bytes = (long long)p->totalGlobalMem;
	info->l2_bytes = p->l2CacheSize;
	/* CUDA 13 dropped the clock fields from cudaDeviceProp: ask the attributes. */
	if (cudaDeviceGetAttribute(&info->sm_clock_khz, cudaDevAttrClockRate, 0) != cudaSuccess)
		info->sm_clock_khz = 0;
	if (cudaDeviceGetAttribute(&info->mem_clock_khz, cudaDevAttrMemoryClockRate, 0) !=
	    cudaSuccess)
		info->mem_clock_khz = 0;
	cudaGetLastError();
}

/* ---- device code ---- */

/* The three mma stand-ins: fragments held in registers, all ones. */
struct mma_b1_t {
	uint32_t a[4], b[2];
	__device__ void operator()(int (&d)[4]) const { bnn_mma_b1_and(d, a, b); }
};

struct mma_s8_t {
	uint32_t a[4], b[2];
	__device__ void operator()(int (&d)[4]) const
	{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
		__trap();   /* m16n8k32 s8 needs sm_80; bnn_cuda_probe refuses earlier */
#else
		asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
			     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
			     : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
			     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
	}
};

struct mma_f16_t {
	uint32_t a[4], b[2];
	__device__ void operator()(float (&d)[4]) const
	{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
		__trap();
#else
		asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
			     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
			     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
			     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
	}
};

/* One MMA probe launch; wrong counts the accumulator elements that differ. */
template <class Mma, class Acc>
__global__ void __launch_bounds__(BNN_CUDA_PROBE_THREADS)
probe_mma_kernel(Mma mma, int64_t iters, Acc expect, unsigned long long *wrong)
{
	Acc acc[BNN_CUDA_PROBE_NACC][4];
#pragma unroll
	for (int j = 0; j < BNN_CUDA_PROBE_NACC; j++)
		acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = Acc(0);
	bnn_probe_mma_body(mma, iters, acc);
	int w = bnn_probe_count_wrong(acc, expect);
	if (w)
		atomicAdd(wrong, (unsigned long long)w);
}

/* The XOR of everything read is stored only if it hits a value the zeroed
 * buffer cannot give, so the loads stay and nothing else is written. */
__global__ void probe_read_kernel(const uint4 *__restrict__ buf, int64_t n16, uint4 *sink)
{
	int64_t tid = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	uint4 acc = make_uint4(0, 0, 0, 0);
	bnn_probe_read_body(buf, n16, tid, (int64_t)gridDim.x * blockDim.x, &acc);
	if (acc.x == 0x9e3779b9u && acc.y == 0x7f4a7c15u)
		*sink = acc;
}

__global__ void probe_copy_kernel(uint4 *buf, int64_t n16)
{
	int64_t tid = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	bnn_probe_copy_body(buf, n16, tid, (int64_t)gridDim.x * blockDim.x);
}

/* ---- host side ---- */

extern "C" const char *bnn_cuda_probe_name(bnn_cuda_probe_kind_t kind)
{
	switch (kind) {
	case BNN_CUDA_PROBE_MMA_B1: return "mma_b1 cuda";
	case BNN_CUDA_PROBE_MMA_S8: return "mma_s8 cuda";
	case BNN_CUDA_PROBE_MMA_F16: return "mma_f16 cuda";
	case BNN_CUDA_PROBE_DRAM_READ: return "dram_read cuda";
	case BNN_CUDA_PROBE_DRAM_COPY: return "dram_copy cuda";
	default: return "?";
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

typedef struct {
	bnn_cuda_probe_kind_t kind;
	int blocks;
	/* MMA */
	unsigned long long *d_wrong;
	/* bandwidth */
	uint4 *d_buf, *d_sink;
	int64_t buf_bytes;
} probe_t;

/* One launch of the probe with work (iterations, or passes over the
 * buffer) on the default stream; the launch status. */
static cudaError_t launch(const probe_t *p, int64_t work)
{
	switch (p->kind) {
	case BNN_CUDA_PROBE_MMA_B1: {
		mma_b1_t m = { { ~0u, ~0u, ~0u, ~0u }, { ~0u, ~0u } };
		probe_mma_kernel<<<p->blocks, BNN_CUDA_PROBE_THREADS>>>(
			m, work, (int)bnn_cuda_probe_expect(p->kind, work), p->d_wrong);
		break;
	}
	case BNN_CUDA_PROBE_MMA_S8: {
		const uint32_t one = 0x01010101u;   /* four s8 +1 */
		mma_s8_t m = { { one, one, one, one }, { one, one } };
		probe_mma_kernel<<<p->blocks, BNN_CUDA_PROBE_THREADS>>>(
			m, work, (int)bnn_cuda_probe_expect(p->kind, work), p->d_wrong);
		break;
	}
	case BNN_CUDA_PROBE_MMA_F16: {
		const uint32_t one = 0x3c003c00u;   /* two f16 1.0 */
		mma_f16_t m = { { one, one, one, one }, { one, one } };
		probe_mma_kernel<<<p->blocks, BNN_CUDA_PROBE_THREADS>>>(
			m, work, (float)bnn_cuda_probe_expect(p->kind, work), p->d_wrong);
		break;
	}
	case BNN_CUDA_PROBE_DRAM_READ:
		for (int64_t i = 0; i < work; i++)
			probe_read_kernel<<<p->blocks, 256>>>(p->d_buf, p->buf_bytes / 16, p->d_sink);
		break;
	case BNN_CUDA_PROBE_DRAM_COPY:
		for (int64_t i = 0; i < work; i++)
			probe_copy_kernel<<<p->blocks, 256>>>(p->d_buf, p->buf_bytes / 16);
		break;
	default:
		return cudaErrorInvalidValue;
	}
	return cudaGetLastError();
}

/* Seconds for one launch of work, timed with events on the default stream. */
static cudaError_t timed(const probe_t *p, int64_t work, cudaEvent_t e0, cudaEvent_t e1,
			 double *s)
{
	float ms = 0;
	cudaError_t e;
	if ((e = cudaEventRecord(e0, 0)) != cudaSuccess || (e = launch(p, work)) != cudaSuccess ||
	    (e = cudaEventRecord(e1, 0)) != cudaSuccess ||
	    (e = cudaEventSynchronize(e1)) != cudaSuccess ||
	    (e = cudaEventElapsedTime(&ms, e0, e1)) != cudaSuccess)
		return e;
	*s = (double)ms * 1e-3;
	return cudaSuccess;
}

/* Rate of one repetition: ops (TOPS) or bytes (GB/s) per second. */
static double rate_of(const probe_t *p, int64_t work, double s)
{
	if (p->kind <= BNN_CUDA_PROBE_MMA_F16)
		return bnn_cuda_probe_ops(p->kind, p->blocks, BNN_CUDA_PROBE_THREADS, work) / s *
		       1e-12;
	return bnn_cuda_probe_bytes(p->kind, p->buf_bytes, work) / s * 1e-9;
}

#define MAX_REPEATS 64

extern "C" int bnn_cuda_probe(bnn_cuda_probe_kind_t kind, double min_time_s, int repeats,
			      bnn_cuda_rate_t *r, char *why, size_t whylen)
{
	probe_t p;
	cudaEvent_t e0 = NULL, e1 = NULL;
	double rates[MAX_REPEATS];
	int rc = -EIO;
	cudaError_t e = cudaSuccess;
	memset(&p, 0, sizeof(p));
	memset(r, 0, sizeof(*r));
	p.kind = kind;
	if (kind < 0 || kind >= BNN_CUDA_PROBE_COUNT || repeats < 1 || repeats > MAX_REPEATS) {
		snprintf(why, whylen, "bad probe arguments");
		return -EINVAL;
	}
	if (!bnn_cuda_available(why, whylen))
		return -ENODEV;
	const cudaDeviceProp *dp = bnn_cuda_device_props();
	int mma = kind <= BNN_CUDA_PROBE_MMA_F16;
	if (mma && dp->major < 8) {
		snprintf(why, whylen, "the m16n8k256/k32/k16 mma probes need sm_80 or later (%s, "
			 "sm_%d%d)", dp->name, dp->major, dp->minor);
		return -ENODEV;
	}
	if (mma) {
		p.blocks = dp->multiProcessorCount * BNN_CUDA_PROBE_BLOCKS_PER_SM;
		snprintf(r->unit, sizeof(r->unit), "TOPS");
		snprintf(r->method, sizeof(r->method), "%s, %d acc/warp, %dx%d threads/SM",
			 kind == BNN_CUDA_PROBE_MMA_B1 ? "mma.sync m16n8k256 .and.popc" :
			 kind == BNN_CUDA_PROBE_MMA_S8 ? "mma.sync m16n8k32 s8" :
							 "mma.sync m16n8k16 f16, f32 acc",
			 BNN_CUDA_PROBE_NACC, BNN_CUDA_PROBE_BLOCKS_PER_SM, BNN_CUDA_PROBE_THREADS);
		if (cudaMalloc((void **)&p.d_wrong, sizeof(unsigned long long)) != cudaSuccess) {
			rc = -ENOMEM;
			snprintf(why, whylen, "cudaMalloc of 8 bytes failed");
			goto out;
		}
	} else {
		/* Far beyond L2 (at least 8 L2s and 256 MiB), within a quarter of
		 * the free memory. */
		size_t freeb = 0, total = 0;
		if (cudaMemGetInfo(&freeb, &total) != cudaSuccess) {
			freeb = 0;   /* no cap; and no stale error for the launch checks */
			cudaGetLastError();
		}
		int64_t want = (int64_t)dp->l2CacheSize * 8;
		if (want < (INT64_C(256) << 20))
			want = INT64_C(256) << 20;
		if (freeb && want > (int64_t)(freeb / 4))
			want = (int64_t)(freeb / 4);
		p.buf_bytes = want / 32 * 32;   /* two halves of whole 16-byte elements */
		p.blocks = dp->multiProcessorCount * 8;
		snprintf(r->unit, sizeof(r->unit), "GB/s");
		snprintf(r->method, sizeof(r->method), "%s %lld MiB, 16-byte loads, grid-stride",
			 kind == BNN_CUDA_PROBE_DRAM_READ ? "read" : "copy half to half of",
			 (long long)(p.buf_bytes >> 20));
		if (cudaMalloc((void **)&p.d_buf, (size_t)p.buf_bytes) != cudaSuccess ||
		    cudaMalloc((void **)&p.d_sink, sizeof(uint4)) != cudaSuccess) {
			rc = -ENOMEM;
			snprintf(why, whylen, "cudaMalloc of %lld MiB failed",
				 (long long)(p.buf_bytes >> 20));
			goto out;
		}
		if ((e = cudaMemset(p.d_buf, 0, (size_t)p.buf_bytes)) != cudaSuccess)
			goto fail;
	}
	if ((e = cudaEventCreate(&e0)) != cudaSuccess || (e = cudaEventCreate(&e1)) != cudaSuccess)
		goto fail;
	if (mma && (e = cudaMemset(p.d_wrong, 0, sizeof(unsigned long long))) != cudaSuccess)
		goto fail;
	{
		/* Warm-up (clocks up, code loaded), then calibrate the work. */
		double target = min_time_s / repeats, s = 0;
		if (!(target >= 5e-3))
			target = 5e-3;
		int64_t work = mma ? 256 : 1;
		int64_t cap = mma ? bnn_cuda_probe_max_iters(kind) : INT64_C(1) << 20;
		if ((e = timed(&p, work, e0, e1, &s)) != cudaSuccess)
			goto fail;
		for (int i = 0; i < 40; i++) {
			if ((e = timed(&p, work, e0, e1, &s)) != cudaSuccess)
				goto fail;
			if (s >= target || work >= cap)
				break;
			double grow = s > 0 ? 1.2 * target / s : 100.0;
			grow = grow < 2.0 ? 2.0 : grow > 100.0 ? 100.0 : grow;
			work = (int64_t)((double)work * grow);
			if (work > cap)
				work = cap;
		}
		for (int i = 0; i < repeats; i++) {
			if ((e = timed(&p, work, e0, e1, &s)) != cudaSuccess)
				goto fail;
			rates[i] = rate_of(&p, work, s);
		}
	}
	if (mma) {
		unsigned long long wrong = 0;
		if ((e = cudaMemcpy(&wrong, p.d_wrong, sizeof(wrong), cudaMemcpyDeviceToHost)) !=
		    cudaSuccess)
			goto fail;
		if (wrong) {
			snprintf(why, whylen, "%s: %llu accumulator elements differ from the "
				 "all-ones value: the rate is not reported", bnn_cuda_probe_name(kind),
				 wrong);
			goto out;
		}
	}
	qsort(rates, (size_t)repeats, sizeof(double), cmp_double);
	r->best = rates[repeats - 1];
	r->median = repeats % 2 ? rates[repeats / 2]
				: 0.5 * (rates[repeats / 2 - 1] + rates[repeats / 2]);
	rc = 0;
	goto out;
fail:
	snprintf(why, whylen, "%s: %s", bnn_cuda_probe_name(kind), cudaGetErrorString(e));
	rc = -EIO;
out:
	if (e0)
		cudaEventDestroy(e0);
	if (e1)
		cudaEventDestroy(e1);
	cudaFree(p.d_wrong);
	cudaFree(p.d_buf);
	cudaFree(p.d_sink);
	cudaGetLastError();   /* a failed probe must not poison the next launch */
	return rc;
}
