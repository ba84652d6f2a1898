/*
 * Binary GEMM on an NVIDIA GPU: C[m][n] = sum_k sign(A[m][k]) * sign(B[n][k]).
 *
 * Five kernel-table entries share the packing and the state:
 *   bgemm_xor_popc__cuda_popc   CUDA cores: XOR + __popcll on 64-bit words,
 *                               64x64 block tiles staged in shared memory;
 *                               dot = k - 2 popc(A XOR B).
 *   bgemm_and_popc__cuda_mma_b1 1-bit tensor cores (sm_80+):
 *                               mma.sync m16n8k256 .and.popc gives popc(A AND B);
 *                               dot = 4 popc(A AND B) - 2 popc(A) - 2 popc(B) + k.
 *   bgemm_and_popc__cuda_mma_b1_tiled  the same math, fast structure: 128x256
 *                               block tiles, 512-bit K stages through a 3-deep
 *                               cp.async ring in swizzled shared memory,
 *                               ldmatrix fragments, 64x64 warp tiles.
 *   bgemm_and_popc__cuda_wgmma_b1  Hopper wgmma m64n256k256 .and.popc, sm_90a
 *                               only (kernels/cuda/bgemm_wgmma.cu).
 *   bgemm_xor_popc__cuda_mma_b1 the simple kernel with .xor.popc: dot = k - 2 popc(A XOR B).
 *                               Native on sm_80..89 only: sm_90 emulates it (doc/bnn-math.md
 *                               section 8), so that build traps and supports() skips.
 * The AND identity (doc/bnn-math.md section 2) is stated for the encoding +1 -> 1, but
 * it holds for ours (bit 1 = -1) unchanged: with x = 1 - 2u, y = 1 - 2v,
 * x*y = 1 - 2u - 2v + 4uv, the same polynomial as (2u-1)(2v-1). No
 * complement is needed, and the zero spare bits stay zero in all popcounts.
 *
 * Layout and padding: kernels/cuda/bnn_cuda.h. Nothing here has been run on a
 * GPU by its author (compile-only); tests/test_cuda checks it against the
 * reference wherever a device is present.
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
#include "bnn_cuda_internal.cuh"
#include "bgemm_mma.cuh"
#include "bgemm_wgmma.cuh"

#define TILE BNN_CUDA_TILE    /* block tile, rows of A and of B; packed rows pad to it */
#define KBITS BNN_CUDA_KBITS  /* packed rows pad to one m16n8k256 step */
#define KW32 BNN_CUDA_KW32

typedef enum { ALGO_POPC = 0, ALGO_MMA_B1 = 1, ALGO_MMA_B1_XOR = 2, ALGO_MMA_B1_TILED = 3,
	       ALGO_WGMMA_B1 = 4 } algo_t;

typedef struct {
	algo_t algo;
	int64_t m, n, k;
	int64_t mp, np;       /* rows padded to TILE */
	int64_t kw32;         /* packed row length in 32-bit words (multiple of KW32) */
	float *d_a;           /* A as floats on the device, [m][k], copied by prepare */
	uint32_t *d_ap, *d_bp;/* packed, [mp][kw32] and [np][kw32] */
	int32_t *d_pa, *d_pb; /* popc of each packed row (MMA only) */
	int32_t *d_c;         /* [m][n] */
} cuda_gemm_t;

/* ---- device code ---- */

/*
 * CUDA cores: 16x16 threads, each 4x4 outputs (rows ty + 16 i, columns
 * tx + 16 j) of a 64x64 tile; K walks in steps of 4 64-bit words (256 bits,
 * the padding unit) staged in shared memory. Padded rows make every load
 * in range; only the store is guarded.
 */
#define KS64 4
__global__ void __launch_bounds__(256)
bgemm_popc_kernel(const uint64_t *__restrict__ a, const uint64_t *__restrict__ b,
		  int64_t m, int64_t n, int64_t k, int64_t kw64, int32_t *__restrict__ c)
{
	__shared__ uint64_t as[TILE][KS64 + 1];   /* +1: rows in different banks */
	__shared__ uint64_t bs[TILE][KS64 + 1];
	int tx = threadIdx.x, ty = threadIdx.y, tid = ty * 16 + tx;
	int64_t r0 = (int64_t)blockIdx.y * TILE, c0 = (int64_t)blockIdx.x * TILE;
	int acc[4][4] = { { 0 } };
	int lr = tid / KS64, lw = tid % KS64;     /* 256 threads load 64 x 4 words */
	for (int64_t kk = 0; kk < kw64; kk += KS64) {
		as[lr][lw] = a[(r0 + lr) * kw64 + kk + lw];
		bs[lr][lw] = b[(c0 + lr) * kw64 + kk + lw];
		__syncthreads();
#pragma unroll
		for (int w = 0; w < KS64; w++) {
			uint64_t av[4], bv[4];
#pragma unroll
			for (int i = 0; i < 4; i++) {
				av[i] = as[ty + 16 * i][w];
				bv[i] = bs[tx + 16 * i][w];
			}
#pragma unroll
			for (int i = 0; i < 4; i++)
#pragma unroll
				for (int j = 0; j < 4; j++)
					acc[i][j] += __popcll(av[i] ^ bv[j]);
		}
		__syncthreads();
	}
#pragma unroll
	for (int i = 0; i < 4; i++)
#pragma unroll
		for (int j = 0; j < 4; j++) {
			int64_t r = r0 + ty + 16 * i, col = c0 + tx + 16 * j;
			if (r < m && col < n)
				c[r * n + col] = (int32_t)(k - 2 * (int64_t)acc[i][j]);
		}
}

/*
 * Tensor cores, the simple baseline: 4 warps (2 x 2) per 64x64 block tile,
 * each warp 32x32 = 2 x 4 mma tiles of 16x8; fragments come straight from
 * global memory (the packed rows are short and L1/L2 hold them). Then the
 * AND identity with the row popcounts and the true k (AND), or the XOR form
 * (XOR: pa, pb unused). The per-lane loads and the epilogue are the
 * __host__ __device__ functions of bgemm_mma.cuh, which tests/test_mma_model
 * runs on the CPU through the PTX fragment model.
 */
template <bool XOR>
__global__ void __launch_bounds__(128)
bgemm_mma_b1_kernel(const uint32_t *__restrict__ a, const uint32_t *__restrict__ b,
		    const int32_t *__restrict__ pa, const int32_t *__restrict__ pb,
		    int64_t m, int64_t n, int64_t k, int64_t kw32, int32_t *__restrict__ c)
{
	int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
	int64_t r0, c0;
	simple_warp_origin(blockIdx.x, blockIdx.y, warp, &r0, &c0);
	int acc[SIMPLE_WM][SIMPLE_WN][4];
#pragma unroll
	for (int i = 0; i < SIMPLE_WM; i++)
#pragma unroll
		for (int j = 0; j < SIMPLE_WN; j++)
			acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0;
	for (int64_t kk = 0; kk < kw32; kk += KW32) {
		uint32_t af[SIMPLE_WM][4], bf[SIMPLE_WN][2];
#pragma unroll
		for (int i = 0; i < SIMPLE_WM; i++)
			simple_load_a(a, kw32, r0 + 16 * i, kk, lane, af[i]);
#pragma unroll
		for (int j = 0; j < SIMPLE_WN; j++)
			simple_load_b(b, kw32, c0 + 8 * j, kk, lane, bf[j]);
#pragma unroll
		for (int i = 0; i < SIMPLE_WM; i++)
#pragma unroll
			for (int j = 0; j < SIMPLE_WN; j++)
				if (XOR)
					bnn_mma_b1_xor(acc[i][j], af[i], bf[j]);
				else
					bnn_mma_b1_and(acc[i][j], af[i], bf[j]);
	}
#pragma unroll
	for (int i = 0; i < SIMPLE_WM; i++)
#pragma unroll
		for (int j = 0; j < SIMPLE_WN; j++)
			mma_lane_store(c, m, n, k, r0 + 16 * i, c0 + 8 * j, lane, acc[i][j], pa, pb,
				       XOR);
}

/*
 * Tensor cores, tiled (CUTLASS-like structure, our own code): a 128 x 256
 * block tile, 8 warps (2 x 4) of 64 x 64 (4 x 8 mma tiles, 128 accumulators
 * per lane), K in stages of 512 bits. Each stage is copied global -> shared
 * with 16-byte cp.async.cg (zero-fill past the true rows and the padded K)
 * into a 3-deep ring, in the XOR-swizzled layout of tl_swz(), and read with
 * ldmatrix.x4 (one instruction = one A fragment, or the B fragments of two
 * n8 tiles). Epilogue: the AND identity, 8-byte stores where aligned.
 * The indexing (copy map, swizzle, ldmatrix addresses, ring slots,
 * epilogue) is in bgemm_mma.cuh and is checked on the CPU by
 * tests/test_mma_model; the instructions, barriers and the cp.async group
 * accounting are not (compile-only: never run on a GPU).
 */
__device__ __forceinline__ void tl_cp_async16(uint32_t saddr, const uint32_t *g, int bytes)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
	asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(saddr), "l"(g),
		     "r"(bytes));
#else
	__trap();   /* sm_80+ only; supports() keeps us from here */
#endif
}

__device__ __forceinline__ void tl_cp_commit(void)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
	asm volatile("cp.async.commit_group;\n" ::);
#endif
}

/* Waits until at most TL_STAGES - 2 of this thread's copy groups are pending. */
__device__ __forceinline__ void tl_cp_wait(void)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
	asm volatile("cp.async.wait_group %0;\n" ::"n"(TL_STAGES - 2));
#endif
}

__device__ __forceinline__ void tl_ldsm_x4(uint32_t (&r)[4], uint32_t saddr)
{
	asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
		     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
		     : "r"(saddr));
}

/* Issues this thread's copies of stage kt (A and B) into its ring slot. */
__device__ __forceinline__ void tl_issue(uint32_t sbase, int tid, int64_t kt, int64_t br0,
					 int64_t bc0, int64_t m, int64_t n, int64_t kw32,
					 const uint32_t *a, const uint32_t *b)
{
	uint32_t slot = sbase + (uint32_t)tl_slot(kt) * TL_STAGE_BYTES;
#pragma unroll
	for (int i = 0; i < TL_A_COPIES; i++) {
		uint32_t so;
		int64_t gw;
		int bytes = tl_copy_chunk(tid, i, kt, br0, m, kw32, &so, &gw);
		tl_cp_async16(slot + so, a + gw, bytes);
	}
#pragma unroll
	for (int i = 0; i < TL_B_COPIES; i++) {
		uint32_t so;
		int64_t gw;
		int bytes = tl_copy_chunk(tid, i, kt, bc0, n, kw32, &so, &gw);
		tl_cp_async16(slot + TL_A_BYTES + so, b + gw, bytes);
	}
}

__global__ void __launch_bounds__(TL_THREADS, 1)
bgemm_mma_b1_tiled_kernel(const uint32_t *__restrict__ a, const uint32_t *__restrict__ b,
			  const int32_t *__restrict__ pa, const int32_t *__restrict__ pb,
			  int64_t m, int64_t n, int64_t k, int64_t kw32, int32_t *__restrict__ c)
{
	extern __shared__ __align__(128) uint8_t tl_smem[];
	int tid = threadIdx.x, lane = tid & 31, wm, wn;
	tl_warp_pos(tid / 32, &wm, &wn);
	int64_t br0 = (int64_t)blockIdx.y * TL_BM, bc0 = (int64_t)blockIdx.x * TL_BN;
	int64_t nkt = tl_ktiles(kw32);
	uint32_t sbase = (uint32_t)__cvta_generic_to_shared(tl_smem);
	int acc[TL_MI][TL_NJ][4];
#pragma unroll
	for (int i = 0; i < TL_MI; i++)
#pragma unroll
		for (int j = 0; j < TL_NJ; j++)
			acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0;
	/* Prologue: stages 0 .. STAGES-2 in flight; one group each, empty ones too. */
#pragma unroll
	for (int s = 0; s < TL_STAGES - 1; s++) {
		if (s < nkt)
			tl_issue(sbase, tid, s, br0, bc0, m, n, kw32, a, b);
		tl_cp_commit();
	}
	for (int64_t kt = 0; kt < nkt; kt++) {
		/* kt + STAGES - 1 groups committed: at most STAGES - 2 pending = stage kt landed. */
		tl_cp_wait();
		__syncthreads();   /* everyone's copies of kt visible; everyone done with kt - 1 */
		if (kt + TL_STAGES - 1 < nkt)
			tl_issue(sbase, tid, kt + TL_STAGES - 1, br0, bc0, m, n, kw32, a, b);
		tl_cp_commit();
		uint32_t sa = sbase + (uint32_t)tl_slot(kt) * TL_STAGE_BYTES, sb = sa + TL_A_BYTES;
#pragma unroll
		for (int s = 0; s < TL_BKW / KW32; s++) {
			uint32_t af[TL_MI][4], bf[TL_NJ][2];
#pragma unroll
			for (int i = 0; i < TL_MI; i++)
				tl_ldsm_x4(af[i], sa + tl_ldsm_a(lane, wm, i, s));
#pragma unroll
			for (int p = 0; p < TL_NJ / 2; p++) {
				uint32_t r[4];
				tl_ldsm_x4(r, sb + tl_ldsm_b(lane, wn, p, s));
				bf[2 * p][0] = r[0];
				bf[2 * p][1] = r[1];
				bf[2 * p + 1][0] = r[2];
				bf[2 * p + 1][1] = r[3];
			}
#pragma unroll
			for (int i = 0; i < TL_MI; i++)
#pragma unroll
				for (int j = 0; j < TL_NJ; j++)
					bnn_mma_b1_and(acc[i][j], af[i], bf[j]);
		}
	}
#pragma unroll
	for (int i = 0; i < TL_MI; i++)
#pragma unroll
		for (int j = 0; j < TL_NJ; j++)
			tl_lane_store(c, m, n, k, br0 + wm * TL_WTM + 16 * i,
				      bc0 + wn * TL_WTN + 8 * j, lane, acc[i][j], pa, pb);
}

/* ---- host side: extern "C" launchers for the kernel table ---- */

/* The grid algo's kernel is launched with for m x n (bnn_gemm_grid), 0 or -1 and why. */
static int algo_grid(algo_t algo, int64_t m, int64_t n, int64_t *gx, int64_t *gy, char *why,
		     size_t whylen)
{
	int64_t tm = algo == ALGO_MMA_B1_TILED ? TL_BM : algo == ALGO_WGMMA_B1 ? WG_BM : TILE;
	int64_t tn = algo == ALGO_MMA_B1_TILED ? TL_BN : algo == ALGO_WGMMA_B1 ? WG_BN : TILE;
	return bnn_gemm_grid(m, n, tm, tn, gx, gy, why, whylen);
}

/* The shape limits of algo that need no device: its grid. */
static int shape_supported(algo_t algo, const bnn_op_desc_t *d, char *why, size_t whylen)
{
	int64_t gx, gy;
	return algo_grid(algo, d->gemm.m, d->gemm.n, &gx, &gy, why, whylen);
}

extern "C" int bnn_bgemm_supports__cuda_popc(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	return shape_supported(ALGO_POPC, d, why, whylen);
}

/* 0 unless a device is present without .and.popc (before sm_80): -1 and why. */
static int and_popc_device(char *why, size_t whylen)
{
	int major = bnn_cuda_device_major();
	if (major && major < 8) {
		snprintf(why, whylen, "mma .and.popc needs sm_80 or later (%s)",
			 bnn_cuda_device_props()->name);
		return -1;
	}
	return 0;
}

extern "C" int bnn_bgemm_supports__cuda_mma_b1(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	if (and_popc_device(why, whylen) != 0)
		return -1;
	return shape_supported(ALGO_MMA_B1, d, why, whylen);
}

extern "C" int bnn_bgemm_supports__cuda_mma_b1_tiled(const bnn_op_desc_t *d, char *why,
						    size_t whylen)
{
	if (and_popc_device(why, whylen) != 0)
		return -1;
	return shape_supported(ALGO_MMA_B1_TILED, d, why, whylen);
}

extern "C" int bnn_bgemm_supports__cuda_mma_b1_xor(const bnn_op_desc_t *d, char *why,
						  size_t whylen)
{
	int major = bnn_cuda_device_major();
	if (major && major < 8) {
		snprintf(why, whylen, "mma m16n8k256 .xor.popc needs sm_80 or later (%s)",
			 bnn_cuda_device_props()->name);
		return -1;
	}
	if (major >= 9) {
		snprintf(why, whylen, "mma .xor.popc is emulated from sm_90 on, not native (%s): "
			 "bgemm_xor_popc__cuda_mma_b1_emulated runs it there",
			 bnn_cuda_device_props()->name);
		return -1;
	}
	return shape_supported(ALGO_MMA_B1_XOR, d, why, whylen);
}

/* The same kernel where .xor.popc is emulated (sm_90 on), timed and named as such. */
extern "C" int bnn_bgemm_supports__cuda_mma_b1_xor_emulated(const bnn_op_desc_t *d, char *why,
							  size_t whylen)
{
	int major = bnn_cuda_device_major();
	if (major && major < 9) {
		snprintf(why, whylen, ".xor.popc is native before sm_90 (%s): "
			 "bgemm_xor_popc__cuda_mma_b1 is the entry there", bnn_cuda_device_props()->name);
		return -1;
	}
	return shape_supported(ALGO_MMA_B1_XOR, d, why, whylen);
}

extern "C" void bnn_bgemm_release__cuda(void *state)
{
	cuda_gemm_t *s = (cuda_gemm_t *)state;
	if (!s)
		return;
	cudaFree(s->d_a);
	cudaFree(s->d_ap);
	cudaFree(s->d_bp);
	cudaFree(s->d_pa);
	cudaFree(s->d_pb);
	cudaFree(s->d_c);
	free(s);
}

static int prepare(algo_t algo, const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	int rc = -ENOMEM;
	float *d_b = NULL;
	cuda_gemm_t *s = (cuda_gemm_t *)calloc(1, sizeof(*s));
	*state = NULL;
	if (!s)
		return -ENOMEM;
	s->algo = algo;
	s->m = d->gemm.m;
	s->n = d->gemm.n;
	s->k = d->gemm.k;
	if (s->m <= 0 || s->n <= 0 || s->k <= 0) {
		rc = -EINVAL;
		goto out;
	}
	s->mp = (s->m + TILE - 1) / TILE * TILE;
	s->np = (s->n + TILE - 1) / TILE * TILE;
	s->kw32 = (s->k + KBITS - 1) / KBITS * KW32;
	if (cudaMalloc((void **)&s->d_a, (size_t)(s->m * s->k) * sizeof(float)) != cudaSuccess ||
	    cudaMalloc((void **)&d_b, (size_t)(s->n * s->k) * sizeof(float)) != cudaSuccess ||
	    cudaMalloc((void **)&s->d_ap, (size_t)(s->mp * s->kw32) * 4) != cudaSuccess ||
	    cudaMalloc((void **)&s->d_bp, (size_t)(s->np * s->kw32) * 4) != cudaSuccess ||
	    cudaMalloc((void **)&s->d_c, (size_t)(s->m * s->n) * sizeof(int32_t)) != cudaSuccess)
		goto out;
	if ((algo == ALGO_MMA_B1 || algo == ALGO_MMA_B1_TILED || algo == ALGO_WGMMA_B1) &&
	    (cudaMalloc((void **)&s->d_pa, (size_t)s->mp * sizeof(int32_t)) != cudaSuccess ||
	     cudaMalloc((void **)&s->d_pb, (size_t)s->np * sizeof(int32_t)) != cudaSuccess))
		goto out;
	rc = -EIO;
	if (cudaMemcpy(s->d_a, in->a, (size_t)(s->m * s->k) * sizeof(float),
		       cudaMemcpyHostToDevice) != cudaSuccess ||
	    cudaMemset(s->d_c, 0xa5, (size_t)(s->m * s->n) * sizeof(int32_t)) != cudaSuccess ||
	    cudaMemcpy(d_b, in->b, (size_t)(s->n * s->k) * sizeof(float),
		       cudaMemcpyHostToDevice) != cudaSuccess ||
	    bnn_cuda_pack(d_b, s->n, s->k, s->np, s->kw32, s->d_bp) != cudaSuccess)
		goto out;
	if ((algo == ALGO_MMA_B1 || algo == ALGO_MMA_B1_TILED || algo == ALGO_WGMMA_B1) &&
	    bnn_cuda_popcounts(s->d_bp, s->np, s->kw32, s->d_pb) != cudaSuccess)
		goto out;
	/* 72 KiB of dynamic shared memory is over the 48 KiB default: opt in. */
	if (algo == ALGO_MMA_B1_TILED &&
	    cudaFuncSetAttribute(bgemm_mma_b1_tiled_kernel,
				 cudaFuncAttributeMaxDynamicSharedMemorySize,
				 TL_SMEM_BYTES) != cudaSuccess)
		goto out;
	if (algo == ALGO_WGMMA_B1 && bnn_bgemm_wgmma_setup() != cudaSuccess)
		goto out;
	if (cudaDeviceSynchronize() != cudaSuccess)
		goto out;
	*state = s;
	s = NULL;
	rc = 0;
out:
	cudaFree(d_b);
	bnn_bgemm_release__cuda(s);
	if (rc != 0)
		bnn_cuda_fail("bgemm prepare", cudaSuccess);
	return rc;
}

extern "C" int bnn_bgemm_prepare__cuda_popc(const bnn_op_desc_t *d, const bnn_inputs_t *in,
					    void **state)
{
	return prepare(ALGO_POPC, d, in, state);
}

extern "C" int bnn_bgemm_prepare__cuda_mma_b1(const bnn_op_desc_t *d, const bnn_inputs_t *in,
					      void **state)
{
	return prepare(ALGO_MMA_B1, d, in, state);
}

extern "C" int bnn_bgemm_prepare__cuda_mma_b1_tiled(const bnn_op_desc_t *d,
						    const bnn_inputs_t *in, void **state)
{
	return prepare(ALGO_MMA_B1_TILED, d, in, state);
}

extern "C" int bnn_bgemm_prepare__cuda_wgmma_b1(const bnn_op_desc_t *d, const bnn_inputs_t *in,
						void **state)
{
	return prepare(ALGO_WGMMA_B1, d, in, state);
}

extern "C" int bnn_bgemm_prepare__cuda_mma_b1_xor(const bnn_op_desc_t *d, const bnn_inputs_t *in,
						  void **state)
{
	return prepare(ALGO_MMA_B1_XOR, d, in, state);
}

extern "C" int bnn_bgemm_run__cuda(void *state, void *out)
{
	cuda_gemm_t *s = (cuda_gemm_t *)state;
	int64_t gx = 0, gy = 0;
	int bad = algo_grid(s->algo, s->m, s->n, &gx, &gy, NULL, 0);
	dim3 grid((unsigned)gx, (unsigned)gy);   /* ALGO_WGMMA_B1: its launcher's own */
	cudaError_t e = cudaErrorInvalidConfiguration;
	(void)out;   /* the result stays on the device: bnn_bgemm_fetch__cuda */
	if (bad)
		goto fail;   /* supports() refuses such shapes */
	if ((e = bnn_cuda_pack(s->d_a, s->m, s->k, s->mp, s->kw32, s->d_ap)) != cudaSuccess)
		goto fail;
	if (s->algo == ALGO_POPC) {
		bgemm_popc_kernel<<<grid, dim3(16, 16)>>>((const uint64_t *)s->d_ap,
							  (const uint64_t *)s->d_bp, s->m, s->n,
							  s->k, s->kw32 / 2, s->d_c);
	} else if (s->algo == ALGO_MMA_B1) {
		if ((e = bnn_cuda_popcounts(s->d_ap, s->mp, s->kw32, s->d_pa)) != cudaSuccess)
			goto fail;
		bgemm_mma_b1_kernel<false><<<grid, 128>>>(s->d_ap, s->d_bp, s->d_pa, s->d_pb, s->m,
							  s->n, s->k, s->kw32, s->d_c);
	} else if (s->algo == ALGO_MMA_B1_TILED) {
		if ((e = bnn_cuda_popcounts(s->d_ap, s->mp, s->kw32, s->d_pa)) != cudaSuccess)
			goto fail;
		bgemm_mma_b1_tiled_kernel<<<grid, TL_THREADS, TL_SMEM_BYTES>>>(
			s->d_ap, s->d_bp, s->d_pa, s->d_pb, s->m, s->n, s->k, s->kw32, s->d_c);
	} else if (s->algo == ALGO_WGMMA_B1) {
		if ((e = bnn_cuda_popcounts(s->d_ap, s->mp, s->kw32, s->d_pa)) != cudaSuccess ||
		    (e = bnn_bgemm_wgmma_launch(s->d_ap, s->d_bp, s->d_pa, s->d_pb, s->m, s->n, s->k,
						s->kw32, s->d_c)) != cudaSuccess)
			goto fail;
	} else {
		bgemm_mma_b1_kernel<true><<<grid, 128>>>(s->d_ap, s->d_bp, NULL, NULL, s->m, s->n,
							 s->k, s->kw32, s->d_c);
	}
	if ((e = cudaGetLastError()) != cudaSuccess || (e = cudaDeviceSynchronize()) != cudaSuccess)
		goto fail;
	return 0;
fail:
	bnn_cuda_fail("bgemm run", e);
	return -EIO;
}

extern "C" int bnn_bgemm_fetch__cuda(void *state, void *out)
{
	cuda_gemm_t *s = (cuda_gemm_t *)state;
	cudaError_t e = cudaMemcpy(out, s->d_c, (size_t)(s->m * s->n) * sizeof(int32_t),
				   cudaMemcpyDeviceToHost);
	if (e != cudaSuccess) {
		bnn_cuda_fail("bgemm fetch", e);
		return -EIO;
	}
	return 0;
}
