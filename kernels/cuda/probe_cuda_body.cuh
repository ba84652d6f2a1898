/*
 * The GPU probes' per-thread bodies, as __host__ __device__ functions of
 * explicit indices (C++ only): kernels/cuda/probe_cuda.cu launches them with
 * the real mma instructions; tests/test_cuda_probe_host runs them on the
 * host over a whole launch with a counting stand-in for the mma, so the op
 * and byte counts the rates are computed from are checked without a GPU.
 */
#ifndef BNN_PROBE_CUDA_BODY_CUH
#define BNN_PROBE_CUDA_BODY_CUH

#include <stdint.h>
#include "bnn_cuda_info.h"

/*
 * iters x NACC mma on NACC independent accumulator tiles (no dependency
 * between them, so the tensor pipe, not the mma latency, limits the rate).
 * Mma is called as mma(acc[j]) and issues one warp-wide instruction.
 */
template <class Mma, class Acc>
__host__ __device__ inline void bnn_probe_mma_body(const Mma &mma, int64_t iters,
						   Acc (&acc)[BNN_CUDA_PROBE_NACC][4])
{
	for (int64_t i = 0; i < iters; i++) {
#pragma unroll
		for (int j = 0; j < BNN_CUDA_PROBE_NACC; j++)
			mma(acc[j]);
	}
}

/* How many accumulator elements of one thread differ from expect. */
template <class Acc>
__host__ __device__ inline int bnn_probe_count_wrong(const Acc (&acc)[BNN_CUDA_PROBE_NACC][4],
						     Acc expect)
{
	int wrong = 0;
#pragma unroll
	for (int j = 0; j < BNN_CUDA_PROBE_NACC; j++)
#pragma unroll
		for (int e = 0; e < 4; e++)
			wrong += acc[j][e] != expect;
	return wrong;
}

/* The 16-byte element type of the bandwidth probes (uint4 on the device). */
struct bnn_probe_v4 {
	uint32_t x, y, z, w;
};

/*
 * Read: thread tid of nthreads XORs elements tid, tid + nthreads, ... of
 * the n16 elements into *acc (grid-stride, so consecutive threads read
 * consecutive 16-byte elements and every element is read exactly once).
 * Returns the number of elements this thread read.
 */
template <class V>
__host__ __device__ inline int64_t bnn_probe_read_body(const V *buf, int64_t n16, int64_t tid,
						       int64_t nthreads, V *acc)
{
	int64_t count = 0;
	for (int64_t i = tid; i < n16; i += nthreads) {
		V v = buf[i];
		acc->x ^= v.x;
		acc->y ^= v.y;
		acc->z ^= v.z;
		acc->w ^= v.w;
		count++;
	}
	return count;
}

/* Copy: element i of the first half (n16 / 2 elements) to the same place
 * in the second half, grid-stride. Returns the elements this thread copied. */
template <class V>
__host__ __device__ inline int64_t bnn_probe_copy_body(V *buf, int64_t n16, int64_t tid,
						       int64_t nthreads)
{
	int64_t half = n16 / 2, count = 0;
	for (int64_t i = tid; i < half; i += nthreads) {
		buf[half + i] = buf[i];
		count++;
	}
	return count;
}

#endif
