/*
 * The convolutions on an NVIDIA GPU (kernel-table entries, bconv_cuda.h):
 *   bconv_xor_popc__cuda_popc       CUDA cores: implicit GEMM, one thread per
 *                                   output pixel and BC_FO filters, XOR + popc
 *                                   over the in-image taps' packed words.
 *   bconv_and_popc__cuda_mma_b1     1-bit tensor cores (sm_80+): the implicit
 *                                   GEMM of each group, rows = output pixels,
 *                                   columns = filters, K = the taps' packed
 *                                   rows back to back); fragments gathered from
 *                                   the packed image (zero, i.e. +1, outside
 *                                   it), mma m16n8k256 .and.popc, then the AND
 *                                   identity and the zero-padding correction.
 *   bwn_conv_addsub__cuda           CUDA cores: float x added or subtracted by
 *                                   the weight bit, times alpha.
 *   xnor_conv_{xor,and}_popc__...   the binary conv of either kind into a
 *                                   workspace, then y = alpha * beta * dot
 *                                   (beta the K-map in paper mode, else 1).
 * The math of each thread is in bconv_cuda_math.cuh (host-checked by
 * tests/test_cuda_conv_host); this file holds the __global__ wrappers, which
 * only map blockIdx/threadIdx to those functions' indices, and the
 * kernel-table glue. The AND identity holds for the suite's encoding (bit 1
 * = -1) unchanged: see bgemm_cuda.cu. Compile-only: nothing here has run on
 * a GPU; tests/test_cuda_conv checks it where one is present.
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
#include "bconv_cuda.h"
#include "bnn_cuda_internal.cuh"
#include "bconv_cuda_math.cuh"

typedef enum { ALGO_POPC = 0, ALGO_MMA_B1 = 1, ALGO_BWN = 2 } algo_t;

typedef struct {
	algo_t algo;
	bnn_op_t op;
	bnn_xnor_mode_t mode;
	bc_geom_t s;
	int64_t in_pix;        /* n * h * w */
	float *d_x;            /* x NHWC floats, copied by prepare */
	float *d_shift;        /* RSign shift per input channel, or NULL */
	float *d_alpha;        /* bwn, xnor */
	uint32_t *d_xb;        /* packed image [in_pix][groups][cw] (binary ops) */
	uint32_t *d_wb;        /* packed filters [k][taps][cw] */
	int32_t *d_apop;       /* popc per (pixel, group) (tensor cores) */
	int32_t *d_wpop;       /* popc per filter over all taps (tensor cores) */
	int32_t *d_wsum;       /* [k][taps]: cg - 2 popc of the tap's weights */
	int32_t *d_dot;        /* xnor: the integer conv before scaling */
	float *d_amap, *d_kmap;/* xnor paper mode */
	void *d_out;           /* int32 (conv) or float (bwn, xnor), [pix][k] */
} cuda_conv_t;

#define THREADS BC_THREADS

/* ---- __global__ wrappers: indices only ---- */

__global__ void __launch_bounds__(THREADS)
bconv_pack_kernel(const float *__restrict__ x, const float *__restrict__ shift, int64_t words,
		  int64_t groups, int64_t cg, int64_t ld, int64_t cw, uint32_t *__restrict__ out)
{
	int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (idx < words)
		out[idx] = bc_pack_word(x, shift, groups, cg, ld, cw, idx);
}

__global__ void __launch_bounds__(THREADS)
bconv_rowpop_kernel(const uint32_t *__restrict__ p, int64_t rows, int64_t cw,
		    int32_t *__restrict__ out)
{
	int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (idx < rows)
		out[idx] = bc_row_popc(p, cw, idx);
}

/* minBlocks 1: without it ptxas capped this kernel at 96 registers and spilled on sm_90. */
__global__ void __launch_bounds__(THREADS, 1)
bconv_popc_kernel(bc_geom_t s, const uint32_t *__restrict__ xb, const uint32_t *__restrict__ wb,
		  const int32_t *__restrict__ wsum, int32_t *__restrict__ out)
{
	bc_popc_thread(s, xb, wb, wsum, (int64_t)blockIdx.x * blockDim.x + threadIdx.x, out);
}

__global__ void __launch_bounds__(THREADS)
bconv_bwn_kernel(bc_geom_t s, const float *__restrict__ x, const uint32_t *__restrict__ wb,
		 const float *__restrict__ alpha, float *__restrict__ out)
{
	bc_bwn_thread(s, x, wb, alpha, (int64_t)blockIdx.x * blockDim.x + threadIdx.x, out);
}

__global__ void __launch_bounds__(THREADS)
bconv_amap_kernel(bc_geom_t s, const float *__restrict__ x, float *__restrict__ amap)
{
	bc_amap_thread(s, x, (int64_t)blockIdx.x * blockDim.x + threadIdx.x, amap);
}

__global__ void __launch_bounds__(THREADS)
bconv_kmap_kernel(bc_geom_t s, const float *__restrict__ amap, float *__restrict__ kmap)
{
	bc_kmap_thread(s, amap, (int64_t)blockIdx.x * blockDim.x + threadIdx.x, kmap);
}

__global__ void __launch_bounds__(THREADS)
bconv_scale_kernel(bc_geom_t s, const int32_t *__restrict__ dot, const float *__restrict__ alpha,
		   const float *__restrict__ kmap, float *__restrict__ y)
{
	bc_xnor_scale_thread(s, dot, alpha, kmap, (int64_t)blockIdx.x * blockDim.x + threadIdx.x, y);
}

/*
 * 4 warps (2 x 2) of 32 pixels x 32 filters each; every lane walks the
 * whole K (256 bits a step) with its fragments from global memory
 * (L1 and L2 hold the packed image's neighbourhood), one mma per 16 x 8 tile
 * per step. No early return: the mma needs every lane of the warp.
 */
__global__ void __launch_bounds__(128, 1)   /* as bconv_popc_kernel: no spills */
bconv_mma_b1_kernel(bc_geom_t s, const uint32_t *__restrict__ xb, const uint32_t *__restrict__ wb,
		    const int32_t *__restrict__ apop, const int32_t *__restrict__ wpop,
		    const int32_t *__restrict__ wsum, int32_t *__restrict__ out)
{
	int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
	int gq = lane / 4, tq = lane % 4;
	int64_t bx = blockIdx.x, by = blockIdx.y;
	int64_t g = bc_tile_group(s, by);
	int64_t ksteps = bc_mma_ksteps(s);
	bc_row_t rows[BC_WM][2];
	int acc[BC_WM][BC_WN][4];
	bc_lane_rows(s, bx, warp, gq, rows);
#pragma unroll
	for (int i = 0; i < BC_WM; i++)
#pragma unroll
		for (int jj = 0; jj < BC_WN; jj++)
			acc[i][jj][0] = acc[i][jj][1] = acc[i][jj][2] = acc[i][jj][3] = 0;
	for (int64_t ks = 0; ks < ksteps; ks++) {
		uint32_t a[BC_WM][4], b[BC_WN][2];
		bc_lane_frags(s, xb, wb, rows, g, by, warp, gq, tq, ks, a, b);
#pragma unroll
		for (int i = 0; i < BC_WM; i++)
#pragma unroll
			for (int jj = 0; jj < BC_WN; jj++)
				bnn_mma_b1_and(acc[i][jj], a[i], b[jj]);
	}
	bc_lane_store(s, apop, wpop, wsum, rows, bx, by, warp, gq, tq, acc, out);
}

/* ---- host side ---- */

cudaError_t bnn_cuda_conv_pack(const float *d_x, const float *d_shift, int64_t rows,
			       int64_t groups, int64_t cg, int64_t cw, uint32_t *d_out)
{
	int64_t words = rows * groups * cw;
	bconv_pack_kernel<<<(unsigned)bc_blocks(words), BC_THREADS>>>(d_x, d_shift, words, groups,
								     cg, groups * cg, cw, d_out);
	return cudaGetLastError();
}

static unsigned blocks_for(int64_t threads)
{
	return (unsigned)bc_blocks(threads);
}

/* The grids of the op, or -1 with why when one exceeds a launch limit. */
static int grid_limits(const bnn_op_desc_t *d, algo_t algo, char *why, size_t whylen)
{
	const bnn_conv_shape_t *c = &d->conv;
	bc_geom_t s = bc_geom_make(c);
	int64_t cw = s.cw;
	int64_t most = bc_fo_threads(s);
	int64_t words = c->n * c->h * c->w * c->groups * cw;
	if (words > most)
		most = words;
	if (s.pix * c->k > most)
		most = s.pix * c->k;
	if ((most + THREADS - 1) / THREADS > 0x7fffffffLL) {
		snprintf(why, whylen, "%lld threads: over the CUDA grid limit", (long long)most);
		return -1;
	}
	if (algo == ALGO_MMA_B1 && s.taps * cw >= 0x7fffffffLL) {
		snprintf(why, whylen, "K of %lld words: over the 32-bit K index",
			 (long long)(s.taps * cw));
		return -1;
	}
	if (algo == ALGO_MMA_B1 && s.groups * bc_mma_ntiles(s) > 65535) {
		snprintf(why, whylen, "groups x filter tiles = %lld: over the grid's y limit 65535",
			 (long long)(s.groups * bc_mma_ntiles(s)));
		return -1;
	}
	return 0;
}

extern "C" int bnn_bconv_supports__cuda_popc(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	return grid_limits(d, d->op == BNN_OP_BWN ? ALGO_BWN : ALGO_POPC, why, whylen);
}

extern "C" int bnn_bconv_supports__cuda_mma_b1(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	int major = bnn_cuda_device_major();
	if (major && major < 8) {
		snprintf(why, whylen, "mma .and.popc needs sm_80 or later (%s)",
			 bnn_cuda_device_props()->name);
		return -1;
	}
	return grid_limits(d, ALGO_MMA_B1, why, whylen);
}

extern "C" void bnn_bconv_release__cuda(void *state)
{
	cuda_conv_t *st = (cuda_conv_t *)state;
	if (!st)
		return;
	cudaFree(st->d_x);
	cudaFree(st->d_shift);
	cudaFree(st->d_alpha);
	cudaFree(st->d_xb);
	cudaFree(st->d_wb);
	cudaFree(st->d_apop);
	cudaFree(st->d_wpop);
	cudaFree(st->d_wsum);
	cudaFree(st->d_dot);
	cudaFree(st->d_amap);
	cudaFree(st->d_kmap);
	cudaFree(st->d_out);
	free(st);
}

/* cudaMalloc of count elements of size bytes; 0 or -1. */
static int dev_alloc(void *pp, int64_t count, size_t size)
{
	return cudaMalloc((void **)pp, (size_t)count * size) == cudaSuccess ? 0 : -1;
}

/* Host copy of the bytes to a new device buffer; 0, -ENOMEM or -EIO. */
static int dev_copy(void *pp, const void *src, int64_t count, size_t size)
{
	if (dev_alloc(pp, count, size) != 0)
		return -ENOMEM;
	return cudaMemcpy(*(void **)pp, src, (size_t)count * size, cudaMemcpyHostToDevice) ==
			       cudaSuccess
		       ? 0 : -EIO;
}

/* The weight sums of bc_weight_sums, computed here and copied to the device. */
static int weight_sums(cuda_conv_t *st, const float *w)
{
	const bc_geom_t &s = st->s;
	int rc = -ENOMEM;
	int32_t *wsum = (int32_t *)malloc((size_t)(s.k * s.taps) * sizeof(int32_t));
	int32_t *wpop = (int32_t *)malloc((size_t)s.k * sizeof(int32_t));
	if (!wsum || !wpop)
		goto out;
	bc_weight_sums(s, w, wsum, wpop);
	if ((rc = dev_copy(&st->d_wsum, wsum, s.k * s.taps, sizeof(int32_t))) == 0)
		rc = dev_copy(&st->d_wpop, wpop, s.k, sizeof(int32_t));
out:
	free(wsum);
	free(wpop);
	return rc;
}

static int prepare(algo_t algo, const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	const bnn_conv_shape_t *c = &d->conv;
	int rc;
	float *d_w = NULL;
	int binary = algo != ALGO_BWN;
	size_t osize = d->op == BNN_OP_CONV ? sizeof(int32_t) : sizeof(float);
	*state = NULL;
	if (c->groups < 1 || c->c % c->groups || c->k % c->groups || c->oh < 1 || c->ow < 1)
		return -EINVAL;
	cuda_conv_t *st = (cuda_conv_t *)calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->algo = algo;
	st->op = d->op;
	st->mode = d->xnor_mode;
	st->s = bc_geom_make(c);
	bc_geom_t &s = st->s;
	st->in_pix = s.n * s.h * s.w;

	rc = -ENOMEM;
	if (dev_alloc(&st->d_wb, s.k * s.taps * s.cw, 4) != 0 ||
	    dev_alloc(&st->d_out, s.pix * s.k, osize) != 0 ||
	    (binary && dev_alloc(&st->d_xb, st->in_pix * s.groups * s.cw, 4) != 0) ||
	    (algo == ALGO_MMA_B1 && dev_alloc(&st->d_apop, st->in_pix * s.groups, 4) != 0) ||
	    (d->op == BNN_OP_XNOR && dev_alloc(&st->d_dot, s.pix * s.k, 4) != 0) ||
	    (d->op == BNN_OP_XNOR && st->mode == BNN_XNOR_PAPER &&
	     (dev_alloc(&st->d_amap, st->in_pix, 4) != 0 || dev_alloc(&st->d_kmap, s.pix, 4) != 0)))
		goto out;
	if ((rc = dev_copy(&st->d_x, in->a, st->in_pix * s.c, sizeof(float))) != 0 ||
	    (rc = dev_copy(&d_w, in->b, s.k * s.taps * s.cg, sizeof(float))) != 0 ||
	    (in->rsign && binary && (rc = dev_copy(&st->d_shift, in->rsign, s.c, sizeof(float))) != 0) ||
	    (d->op != BNN_OP_CONV && (rc = dev_copy(&st->d_alpha, in->alpha, s.k, sizeof(float))) != 0) ||
	    (binary && (rc = weight_sums(st, in->b)) != 0))
		goto out;
	rc = -EIO;
	bconv_pack_kernel<<<blocks_for(s.k * s.taps * s.cw), THREADS>>>(
		d_w, NULL, s.k * s.taps * s.cw, 1, s.cg, s.cg, s.cw, st->d_wb);
	if (cudaGetLastError() != cudaSuccess ||
	    cudaMemset(st->d_out, 0xa5, (size_t)(s.pix * s.k) * osize) != cudaSuccess ||
	    cudaDeviceSynchronize() != cudaSuccess)
		goto out;
	*state = st;
	st = NULL;
	rc = 0;
out:
	cudaFree(d_w);
	bnn_bconv_release__cuda(st);
	if (rc != 0)
		bnn_cuda_fail("conv prepare", cudaSuccess);
	return rc;
}

extern "C" int bnn_bconv_prepare__cuda_popc(const bnn_op_desc_t *d, const bnn_inputs_t *in,
					    void **state)
{
	return prepare(ALGO_POPC, d, in, state);
}

extern "C" int bnn_bconv_prepare__cuda_mma_b1(const bnn_op_desc_t *d, const bnn_inputs_t *in,
					      void **state)
{
	return prepare(ALGO_MMA_B1, d, in, state);
}

extern "C" int bnn_bwn_prepare__cuda(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return prepare(ALGO_BWN, d, in, state);
}

extern "C" int bnn_bconv_run__cuda(void *state, void *out)
{
	cuda_conv_t *st = (cuda_conv_t *)state;
	const bc_geom_t &s = st->s;
	cudaError_t e;
	(void)out;   /* the result stays on the device: bnn_bconv_fetch__cuda */
	if (st->algo == ALGO_BWN) {
		bconv_bwn_kernel<<<blocks_for(bc_fo_threads(s)), THREADS>>>(
			s, st->d_x, st->d_wb, st->d_alpha, (float *)st->d_out);
		goto sync;
	}
	{
		int32_t *dot = st->op == BNN_OP_XNOR ? st->d_dot : (int32_t *)st->d_out;
		if ((e = bnn_cuda_conv_pack(st->d_x, st->d_shift, st->in_pix, s.groups, s.cg, s.cw,
					    st->d_xb)) != cudaSuccess)
			goto fail;
		if (st->algo == ALGO_POPC) {
			bconv_popc_kernel<<<blocks_for(bc_fo_threads(s)), THREADS>>>(
				s, st->d_xb, st->d_wb, st->d_wsum, dot);
		} else {
			bconv_rowpop_kernel<<<blocks_for(st->in_pix * s.groups), THREADS>>>(
				st->d_xb, st->in_pix * s.groups, s.cw, st->d_apop);
			dim3 grid((unsigned)bc_mma_mtiles(s), (unsigned)(s.groups * bc_mma_ntiles(s)));
			bconv_mma_b1_kernel<<<grid, 128>>>(s, st->d_xb, st->d_wb, st->d_apop, st->d_wpop,
							   st->d_wsum, dot);
		}
		if (st->op == BNN_OP_XNOR) {
			const float *kmap = NULL;
			if (st->mode == BNN_XNOR_PAPER) {
				bconv_amap_kernel<<<blocks_for(st->in_pix), THREADS>>>(s, st->d_x,
										       st->d_amap);
				bconv_kmap_kernel<<<blocks_for(s.pix), THREADS>>>(s, st->d_amap,
										  st->d_kmap);
				kmap = st->d_kmap;
			}
			bconv_scale_kernel<<<blocks_for(s.pix * s.k), THREADS>>>(
				s, st->d_dot, st->d_alpha, kmap, (float *)st->d_out);
		}
	}
sync:
	if ((e = cudaGetLastError()) == cudaSuccess && (e = cudaDeviceSynchronize()) == cudaSuccess)
		return 0;
fail:
	bnn_cuda_fail("conv run", e);   /* a failed launch must not poison the next kernel */
	return -EIO;
}

extern "C" int bnn_bconv_fetch__cuda(void *state, void *out)
{
	cuda_conv_t *st = (cuda_conv_t *)state;
	size_t osize = st->op == BNN_OP_CONV ? sizeof(int32_t) : sizeof(float);
	cudaError_t e = cudaMemcpy(out, st->d_out, (size_t)(st->s.pix * st->s.k) * osize,
				   cudaMemcpyDeviceToHost);
	if (e != cudaSuccess) {
		bnn_cuda_fail("conv fetch", e);
		return -EIO;
	}
	return 0;
}
