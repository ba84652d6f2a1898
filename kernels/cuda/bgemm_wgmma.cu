/*
 * Binary GEMM with the Hopper warpgroup MMA: wgmma.mma_async m64n256k256
 * .b1 .and.popc (sm_90a only; doc/bnn-math.md section 8: .and only). Table entry
 * bgemm_and_popc__cuda_wgmma_b1; the packing, state and the AND identity
 * are those of kernels/cuda/bgemm_cuda.cu.
 *
 * This file is compiled for -gencode=arch=compute_90a,code=sm_90a alone
 * (configure's CUDA_WGMMA_FLAGS, when the toolkit accepts it): an sm_90a
 * cubin runs on compute capability 9.0 devices only, so supports() asks for
 * exactly 9.0. Built without it, the kernel body is a trap and supports()
 * says why.
 *
 * The structure (bgemm_wgmma.cuh): 128 x 256 block tiles, two warpgroups of
 * 64 x 256, K stages of 512 bits through a 4-slot cp.async ring with
 * prefetch distance 2, operands K-major and unswizzled in shared memory
 * (core matrices of 128 contiguous bytes), descriptors with LBO 128 and SBO
 * 512 bytes. Per stage: wait for its copies, fence.proxy.async (the copies
 * were generic-proxy writes; wgmma reads through the async proxy), one
 * barrier, issue the copies of stage kt + 2, then wgmma.fence, two wgmmas,
 * commit, and wait until at most one group is pending: the group of stage
 * kt - 1 is then complete, so the slot of kt - 2 that the next stage
 * overwrites was read to the end by every warpgroup before that barrier.
 *
 * Compile-only: never run on a GPU. tests/test_mma_model runs the copy map,
 * descriptors, ring order and epilogue through a host model of wgmma
 * written from the PTX ISA; what that model assumes beyond the ISA's text
 * (bit order inside shared-memory bytes, the D layout from its figure) and
 * the proxy/async ordering are unverified until tests/test_cuda runs on an
 * H100/H200.
 */
#include <cuda_runtime.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "bnn_cuda.h"
#include "bnn_cuda_internal.cuh"
#include "bgemm_wgmma.cuh"

__device__ __forceinline__ void wg_cp_async16(uint32_t saddr, const uint32_t *g, int bytes)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
	asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(saddr), "l"(g),
		     "r"(bytes));
#else
	(void)saddr;
	(void)g;
	(void)bytes;
#endif
}

/* Stage kt's copies of this thread (A then B) into its ring slot; one commit group. */
__device__ __forceinline__ void wg_issue(uint32_t sbase, int tid, int64_t kt, int64_t nkt,
					 int64_t br0, int64_t bc0, int64_t m, int64_t n,
					 int64_t kw32, const uint32_t *a, const uint32_t *b)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
	if (kt < nkt) {
		uint32_t slot = sbase + (uint32_t)wg_slot(kt) * WG_STAGE_BYTES;
#pragma unroll
		for (int i = 0; i < WG_A_COPIES; i++) {
			uint32_t so;
			int64_t gw;
			int bytes = wg_copy_chunk(tid, i, kt, br0, m, kw32, &so, &gw);
			wg_cp_async16(slot + so, a + gw, bytes);
		}
#pragma unroll
		for (int i = 0; i < WG_B_COPIES; i++) {
			uint32_t so;
			int64_t gw;
			int bytes = wg_copy_chunk(tid, i, kt, bc0, n, kw32, &so, &gw);
			wg_cp_async16(slot + WG_A_BYTES + so, b + gw, bytes);
		}
	}
	asm volatile("cp.async.commit_group;\n" ::);   /* empty groups keep the count uniform */
#endif
}

/* D += popc(A AND B), m64n256k256, both operands from shared memory (descriptors). */
__device__ __forceinline__ void wg_mma_and(int (&d)[WG_BN / 2], uint64_t da, uint64_t db)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
	asm volatile("wgmma.mma_async.sync.aligned.m64n256k256.s32.b1.b1.and.popc "
		     "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, %128, %129, 1;\n"
		     : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]), "+r"(d[4]), "+r"(d[5]), "+r"(d[6]), "+r"(d[7]),
		       "+r"(d[8]), "+r"(d[9]), "+r"(d[10]), "+r"(d[11]), "+r"(d[12]), "+r"(d[13]), "+r"(d[14]), "+r"(d[15]),
		       "+r"(d[16]), "+r"(d[17]), "+r"(d[18]), "+r"(d[19]), "+r"(d[20]), "+r"(d[21]), "+r"(d[22]), "+r"(d[23]),
		       "+r"(d[24]), "+r"(d[25]), "+r"(d[26]), "+r"(d[27]), "+r"(d[28]), "+r"(d[29]), "+r"(d[30]), "+r"(d[31]),
		       "+r"(d[32]), "+r"(d[33]), "+r"(d[34]), "+r"(d[35]), "+r"(d[36]), "+r"(d[37]), "+r"(d[38]), "+r"(d[39]),
		       "+r"(d[40]), "+r"(d[41]), "+r"(d[42]), "+r"(d[43]), "+r"(d[44]), "+r"(d[45]), "+r"(d[46]), "+r"(d[47]),
		       "+r"(d[48]), "+r"(d[49]), "+r"(d[50]), "+r"(d[51]), "+r"(d[52]), "+r"(d[53]), "+r"(d[54]), "+r"(d[55]),
		       "+r"(d[56]), "+r"(d[57]), "+r"(d[58]), "+r"(d[59]), "+r"(d[60]), "+r"(d[61]), "+r"(d[62]), "+r"(d[63]),
		       "+r"(d[64]), "+r"(d[65]), "+r"(d[66]), "+r"(d[67]), "+r"(d[68]), "+r"(d[69]), "+r"(d[70]), "+r"(d[71]),
		       "+r"(d[72]), "+r"(d[73]), "+r"(d[74]), "+r"(d[75]), "+r"(d[76]), "+r"(d[77]), "+r"(d[78]), "+r"(d[79]),
		       "+r"(d[80]), "+r"(d[81]), "+r"(d[82]), "+r"(d[83]), "+r"(d[84]), "+r"(d[85]), "+r"(d[86]), "+r"(d[87]),
		       "+r"(d[88]), "+r"(d[89]), "+r"(d[90]), "+r"(d[91]), "+r"(d[92]), "+r"(d[93]), "+r"(d[94]), "+r"(d[95]),
		       "+r"(d[96]), "+r"(d[97]), "+r"(d[98]), "+r"(d[99]), "+r"(d[100]), "+r"(d[101]), "+r"(d[102]), "+r"(d[103]),
		       "+r"(d[104]), "+r"(d[105]), "+r"(d[106]), "+r"(d[107]), "+r"(d[108]), "+r"(d[109]), "+r"(d[110]), "+r"(d[111]),
		       "+r"(d[112]), "+r"(d[113]), "+r"(d[114]), "+r"(d[115]), "+r"(d[116]), "+r"(d[117]), "+r"(d[118]), "+r"(d[119]),
		       "+r"(d[120]), "+r"(d[121]), "+r"(d[122]), "+r"(d[123]), "+r"(d[124]), "+r"(d[125]), "+r"(d[126]), "+r"(d[127])
		     : "l"(da), "l"(db));
#else
	(void)d;
	(void)da;
	(void)db;
	__trap();   /* built without sm_90a: supports() keeps us from here */
#endif
}

/* Keeps the compiler from moving accumulator reads/writes across wgmma boundaries. */
__device__ __forceinline__ void wg_fence_acc(int (&d)[WG_BN / 2])
{
#pragma unroll
	for (int i = 0; i < WG_BN / 2; i++)
		asm volatile("" : "+r"(d[i])::"memory");
}

__global__ void __launch_bounds__(WG_THREADS, 1)
bgemm_wgmma_b1_kernel(const uint32_t *__restrict__ a, const uint32_t *__restrict__ b,
		      const int32_t *__restrict__ pa, const int32_t *__restrict__ pb, int64_t m,
		      int64_t n, int64_t k, int64_t kw32, int32_t *__restrict__ c)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
	extern __shared__ __align__(128) uint8_t wg_smem[];
	int tid = threadIdx.x, wg = tid / 128;
	int64_t br0 = (int64_t)blockIdx.y * WG_BM, bc0 = (int64_t)blockIdx.x * WG_BN;
	int64_t nkt = wg_ktiles(kw32);
	uint32_t sbase = (uint32_t)__cvta_generic_to_shared(wg_smem);
	int acc[WG_BN / 2];
#pragma unroll
	for (int i = 0; i < WG_BN / 2; i++)
		acc[i] = 0;
	wg_fence_acc(acc);
#pragma unroll
	for (int s = 0; s < WG_PREFETCH; s++)
		wg_issue(sbase, tid, s, nkt, br0, bc0, m, n, kw32, a, b);
	for (int64_t kt = 0; kt < nkt; kt++) {
		/* kt + WG_PREFETCH groups committed; <= WG_PREFETCH - 1 pending: stage kt landed. */
		asm volatile("cp.async.wait_group %0;\n" ::"n"(WG_PREFETCH - 1));
		asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
		__syncthreads();
		wg_issue(sbase, tid, kt + WG_PREFETCH, nkt, br0, bc0, m, n, kw32, a, b);
		uint32_t sa = sbase + (uint32_t)wg_slot(kt) * WG_STAGE_BYTES, sb = sa + WG_A_BYTES;
		asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
		for (int s = 0; s < WG_BKW / BNN_CUDA_KW32; s++)
			wg_mma_and(acc, wg_desc(wg_a_addr(sa, wg, s)), wg_desc(wg_b_addr(sb, s)));
		asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
		asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
	}
	asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
	wg_fence_acc(acc);
	wg_thread_store(c, m, n, k, br0, bc0, tid, acc, pa, pb);
#else
	(void)a;
	(void)b;
	(void)pa;
	(void)pb;
	(void)m;
	(void)n;
	(void)k;
	(void)kw32;
	(void)c;
	__trap();
#endif
}

int bnn_bgemm_wgmma_built(void)
{
#if defined(BNN_CUDA_SM90A) && BNN_CUDA_SM90A
	return 1;
#else
	return 0;
#endif
}

cudaError_t bnn_bgemm_wgmma_setup(void)
{
	return cudaFuncSetAttribute(bgemm_wgmma_b1_kernel,
				    cudaFuncAttributeMaxDynamicSharedMemorySize, WG_SMEM_BYTES);
}

cudaError_t bnn_bgemm_wgmma_launch(const uint32_t *a, const uint32_t *b, const int32_t *pa,
				   const int32_t *pb, int64_t m, int64_t n, int64_t k,
				   int64_t kw32, int32_t *c)
{
	int64_t gx, gy;
	if (bnn_gemm_grid(m, n, WG_BM, WG_BN, &gx, &gy, NULL, 0) != 0)
		return cudaErrorInvalidConfiguration;   /* supports() refuses such shapes */
	dim3 grid((unsigned)gx, (unsigned)gy);
	bgemm_wgmma_b1_kernel<<<grid, WG_THREADS, WG_SMEM_BYTES>>>(a, b, pa, pb, m, n, k, kw32, c);
	return cudaGetLastError();
}

/*
 * 0 on a compute capability 9.0 device with the sm_90a kernel built; else
 * -1 and why (sm_90a code runs on cc 9.0 only; 9.x others, 10.x: no).
 */
extern "C" int bnn_bgemm_supports__cuda_wgmma_b1(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	int64_t gx, gy;
	if (!bnn_bgemm_wgmma_built()) {
		snprintf(why, whylen, "wgmma b1 needs an sm_90a build; this toolkit (%s) could not "
			 "compile for sm_90a at configure time", BNN_CUDA_ARCH);
		return -1;
	}
	int major = bnn_cuda_device_major();
	if (major) {
		const cudaDeviceProp *p = bnn_cuda_device_props();
		if (p->major != 9 || p->minor != 0) {
			snprintf(why, whylen, "wgmma b1 is built for sm_90a, which runs on compute "
				 "capability 9.0 only (%s is %d.%d)", p->name, p->major, p->minor);
			return -1;
		}
	}
	return bnn_gemm_grid(d->gemm.m, d->gemm.n, WG_BM, WG_BN, &gx, &gy, why, whylen);
}
