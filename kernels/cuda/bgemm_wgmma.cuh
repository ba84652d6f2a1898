/*
 * The per-thread pieces of the sm_90a wgmma 1-bit GEMM
 * (kernels/cuda/bgemm_wgmma.cu), as __host__ __device__ functions so that
 * tests/test_mma_model.cu can run whole blocks on the CPU through the host
 * model of wgmma (kernels/cuda/mma_model.h). Shared with bgemm_mma.cuh:
 * the AND identity and the m16n8-shaped epilogue (tl_lane_store).
 *
 * Block tile 128 x 256, two warpgroups (256 threads), each one
 * wgmma.m64n256k256 .and.popc per 256-bit K step into 128 accumulators per
 * thread; K stages of 512 bits in a 4-slot cp.async ring, prefetch distance
 * 2 (so a slot is rewritten only after the wgmma that read it was waited
 * for, with one barrier per stage).
 * Shared memory per stage and operand: K-major, no swizzle, 8-row x 16-byte
 * core matrices of 128 contiguous bytes, laid out [row / 8][chunk]: byte
 * offset of (row r, 16-byte chunk c) = 128 (4 (r / 8) + c) + 16 (r % 8).
 * So the descriptor's LBO (next core matrix along K) is 128 bytes and its
 * SBO (next 8 rows) 512 bytes.
 */
#ifndef BNN_BGEMM_WGMMA_CUH
#define BNN_BGEMM_WGMMA_CUH

#include "bgemm_mma.cuh"

#define WG_BM 128
#define WG_BN 256
#define WG_BKW 16                                   /* words per row per stage: 512 bits */
#define WG_STAGES 4
#define WG_PREFETCH 2                               /* stages in flight ahead of the one computed */
#define WG_THREADS 256                              /* two warpgroups */
#define WG_CHUNKS (WG_BKW * 4 / 16)                 /* 16-byte chunks per row per stage: 4 */
#define WG_A_BYTES (WG_BM * WG_BKW * 4)             /* 8 KiB */
#define WG_B_BYTES (WG_BN * WG_BKW * 4)             /* 16 KiB */
#define WG_STAGE_BYTES (WG_A_BYTES + WG_B_BYTES)
#define WG_SMEM_BYTES (WG_STAGES * WG_STAGE_BYTES)  /* 96 KiB */
#define WG_LBO 128u
#define WG_SBO (128u * WG_CHUNKS)
#define WG_A_COPIES (WG_BM * WG_CHUNKS / WG_THREADS)   /* 2 */
#define WG_B_COPIES (WG_BN * WG_CHUNKS / WG_THREADS)   /* 4 */

/* Byte offset of chunk c of staged row r (core-matrix layout above). */
BNN_HD uint32_t wg_off(int r, int c)
{
	return 128u * (uint32_t)(WG_CHUNKS * (r / 8) + c) + 16u * (uint32_t)(r % 8);
}

BNN_HD int64_t wg_ktiles(int64_t kw32)
{
	return (kw32 + WG_BKW - 1) / WG_BKW;
}

BNN_HD int wg_slot(int64_t kt)
{
	return (int)(kt % WG_STAGES);
}

/*
 * The i-th 16-byte copy of thread tid for stage kt of one operand, as
 * tl_copy_chunk (bgemm_mma.cuh) but into the core-matrix layout. Returns
 * the bytes to read (16, or 0: zero-fill).
 */
BNN_HD int wg_copy_chunk(int tid, int i, int64_t kt, int64_t rows0, int64_t rows, int64_t kw32,
			 uint32_t *soff, int64_t *gword)
{
	int q = tid + i * WG_THREADS;
	int r = q / WG_CHUNKS, c = q % WG_CHUNKS;
	int64_t row = rows0 + r, word = kt * WG_BKW + c * 4;
	*soff = wg_off(r, c);
	if (row >= rows || word >= kw32) {
		*gword = 0;
		return 0;
	}
	*gword = row * kw32 + word;
	return 16;
}

/* matrix-descriptor-encode(x) = (x & 0x3FFFF) >> 4 (PTX ISA). */
BNN_HD uint64_t wg_desc_encode(uint32_t x)
{
	return (uint64_t)((x & 0x3ffffu) >> 4);
}

/* Descriptor of a K-major, unswizzled operand starting at shared address saddr. */
BNN_HD uint64_t wg_desc(uint32_t saddr)
{
	return wg_desc_encode(saddr) | (wg_desc_encode(WG_LBO) << 16) |
	       (wg_desc_encode(WG_SBO) << 32);
	/* base offset (bits 51-49) 0 and swizzle mode (63-62) 0: no swizzle */
}

/* Shared address of warpgroup wg's A operand (rows 64 wg ..) at K step s of a stage. */
BNN_HD uint32_t wg_a_addr(uint32_t stage_a, int wg, int s)
{
	return stage_a + wg_off(64 * wg, 2 * s);
}

/* Shared address of the B operand (all 256 rows) at K step s of a stage. */
BNN_HD uint32_t wg_b_addr(uint32_t stage_b, int s)
{
	return stage_b + wg_off(0, 2 * s);
}

/*
 * Epilogue of thread tid: its 128 accumulators are 32 m16n8-shaped blocks
 * (the wgmma D layout: warp tid / 32 % 4 of warpgroup tid / 128 holds rows
 * 64 wg + 16 w ..; registers 4j .. 4j + 3 are the n8 block j).
 */
BNN_HD void wg_thread_store(int32_t *c, int64_t m, int64_t n, int64_t k, int64_t br0, int64_t bc0,
			    int tid, const int (&acc)[WG_BN / 2], const int32_t *pa,
			    const int32_t *pb)
{
	int wg = tid / 128, w = (tid / 32) % 4, lane = tid % 32;
#ifdef __CUDA_ARCH__
#pragma unroll
#endif
	for (int j = 0; j < WG_BN / 8; j++) {
		const int(&a4)[4] = *(const int(*)[4])(acc + 4 * j);
		tl_lane_store(c, m, n, k, br0 + 64 * wg + 16 * w, bc0 + 8 * j, lane, a4, pa, pb);
	}
}

/* ---- launchers (host, kernels/cuda/bgemm_wgmma.cu) ---- */

/* 1 if this build holds the sm_90a kernel (configure found a toolkit for it). */
int bnn_bgemm_wgmma_built(void);
/* Opts the kernel in to WG_SMEM_BYTES of dynamic shared memory. */
cudaError_t bnn_bgemm_wgmma_setup(void);
/* Launches the GEMM on the default stream (a, b packed; pa, pb row popcounts). */
cudaError_t bnn_bgemm_wgmma_launch(const uint32_t *a, const uint32_t *b, const int32_t *pa,
				   const int32_t *pb, int64_t m, int64_t n, int64_t k,
				   int64_t kw32, int32_t *c);

#endif
