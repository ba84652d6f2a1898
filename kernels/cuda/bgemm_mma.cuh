/*
 * The per-lane pieces of the 1-bit tensor-core GEMM kernels
 * (kernels/cuda/bgemm_cuda.cu), as __host__ __device__ functions of explicit
 * indices, so that tests/test_mma_model.cu can run whole blocks on the CPU
 * through the PTX fragment model (kernels/cuda/mma_model.h) and compare
 * with the reference. The kernels call exactly these functions; only the
 * instructions themselves (mma.sync, ldmatrix, cp.async), the barriers and
 * the launch are outside them.
 *
 * Packed layout: kernels/cuda/bnn_cuda.h (K-contiguous 32-bit words, rows
 * padded to 256 bits and to a multiple of BNN_CUDA_TILE rows, zero bits).
 */
#ifndef BNN_BGEMM_MMA_CUH
#define BNN_BGEMM_MMA_CUH

#include <stdint.h>
#include <stdio.h>
#include <cuda_runtime.h>

#define BNN_HD __host__ __device__ __forceinline__

/* Read-only global load: __ldg on the device, a plain load on the host. */
template <typename T> BNN_HD T bnn_ldg(const T *p)
{
#ifdef __CUDA_ARCH__
	return __ldg(p);
#else
	return *p;
#endif
}

/*
 * The AND identity (doc/bnn-math.md section 2) for one output: and_pc = popc(A AND B)
 * over the row pair, pa, pb the rows' popcounts, k the true length.
 */
BNN_HD int32_t bnn_dot_from_and(int32_t and_pc, int32_t pa, int32_t pb, int64_t k)
{
	return (int32_t)(4 * (int64_t)and_pc - 2 * (int64_t)pa - 2 * (int64_t)pb + k);
}

/* The XOR identity: dot = k - 2 popc(A XOR B). */
BNN_HD int32_t bnn_dot_from_xor(int32_t xor_pc, int64_t k)
{
	return (int32_t)(k - 2 * (int64_t)xor_pc);
}

/* ---- launch geometry (host): the grids the launchers use, CUDA's limits ---- */

#define BNN_CUDA_GRID_X_MAX INT64_C(2147483647)   /* gridDim.x <= 2^31 - 1 */
#define BNN_CUDA_GRID_Y_MAX INT64_C(65535)        /* gridDim.y and gridDim.z */

/*
 * The grid of a GEMM kernel whose blocks compute tm rows by tn columns of
 * C, x over the n columns and y over the m rows, as every GEMM launcher
 * here lays it out: 0 with *gx, *gy, or -1 with why (may be NULL) when a
 * dimension is empty or over CUDA's limit. y bounds m: at most 65535 * tm
 * rows (4,194,240 at tm = 64, 8,388,480 at 128); past that the launch
 * itself would fail with cudaErrorInvalidConfiguration.
 */
static inline int bnn_gemm_grid(int64_t m, int64_t n, int64_t tm, int64_t tn, int64_t *gx,
				int64_t *gy, char *why, size_t whylen)
{
	*gx = n > 0 ? (n + tn - 1) / tn : 0;
	*gy = m > 0 ? (m + tm - 1) / tm : 0;
	if (*gx < 1 || *gy < 1) {
		if (why && whylen)
			snprintf(why, whylen, "empty GEMM (m=%lld n=%lld): no grid", (long long)m,
				 (long long)n);
		return -1;
	}
	if (*gy > BNN_CUDA_GRID_Y_MAX || *gx > BNN_CUDA_GRID_X_MAX) {
		if (why && whylen)
			snprintf(why, whylen, "m=%lld n=%lld needs a %lld x %lld grid of %lldx%lld "
				 "tiles: over CUDA's limits (x < 2^31, y <= 65535)", (long long)m,
				 (long long)n, (long long)*gx, (long long)*gy, (long long)tm,
				 (long long)tn);
		return -1;
	}
	return 0;
}

/* ---- the simple kernel: fragments straight from global memory ---- */

#define SIMPLE_TILE 64   /* block tile (= BNN_CUDA_TILE): 4 warps, 2 x 2, of 32 x 32 */
#define SIMPLE_WM 2      /* m16 tiles per warp */
#define SIMPLE_WN 4      /* n8 tiles per warp */

/* Top-left output (row r0, column c0) of warp warp in block (bx, by). */
BNN_HD void simple_warp_origin(int bx, int by, int warp, int64_t *r0, int64_t *c0)
{
	*r0 = (int64_t)by * SIMPLE_TILE + (warp / 2) * 32;
	*c0 = (int64_t)bx * SIMPLE_TILE + (warp % 2) * 32;
}

/*
 * A fragment of lane for the m16 tile at row r0 and the 256-bit step at
 * word kk: registers 0/1 word t of rows g / g + 8, registers 2/3 word t + 4.
 * Rows up to the padded count are readable (zero rows), so no guard.
 */
BNN_HD void simple_load_a(const uint32_t *a, int64_t kw32, int64_t r0, int64_t kk, int lane,
			  uint32_t (&af)[4])
{
	int g = lane / 4, t = lane % 4;
	const uint32_t *ra = a + (r0 + g) * kw32 + kk;
	const uint32_t *rb = ra + 8 * kw32;
	af[0] = bnn_ldg(ra + t);
	af[1] = bnn_ldg(rb + t);
	af[2] = bnn_ldg(ra + t + 4);
	af[3] = bnn_ldg(rb + t + 4);
}

/* B fragment of lane for the n8 tile at column c0: words t and t + 4 of column g. */
BNN_HD void simple_load_b(const uint32_t *b, int64_t kw32, int64_t c0, int64_t kk, int lane,
			  uint32_t (&bf)[2])
{
	int g = lane / 4, t = lane % 4;
	const uint32_t *cb = b + (c0 + g) * kw32 + kk;
	bf[0] = bnn_ldg(cb + t);
	bf[1] = bnn_ldg(cb + t + 4);
}

/*
 * Epilogue of one lane for the 16 x 8 tile at (r0, c0): its four
 * accumulators to C through the AND identity (pa, pb) or the XOR one
 * (xor_op; pa, pb unused), rows >= m and columns >= n dropped.
 */
BNN_HD void mma_lane_store(int32_t *c, int64_t m, int64_t n, int64_t k, int64_t r0, int64_t c0,
			   int lane, const int (&acc)[4], const int32_t *pa, const int32_t *pb,
			   bool xor_op)
{
	int g = lane / 4, t = lane % 4;
	for (int e = 0; e < 4; e++) {
		int64_t r = r0 + g + (e >= 2 ? 8 : 0);
		int64_t col = c0 + 2 * t + (e & 1);
		if (r < m && col < n)
			c[r * n + col] = xor_op ? bnn_dot_from_xor(acc[e], k)
						: bnn_dot_from_and(acc[e], pa[r], pb[col], k);
	}
}

/* ---- the tiled kernel: cp.async into swizzled shared memory, ldmatrix ---- */

#define TL_BM 128        /* block tile rows (A) */
#define TL_BN 256        /* block tile columns (B rows) */
#define TL_BKW 16        /* 32-bit words per row per stage: 512 bits, two k256 steps */
#define TL_STAGES 3      /* cp.async ring depth */
#define TL_WARPS_M 2
#define TL_WARPS_N 4
#define TL_THREADS (32 * TL_WARPS_M * TL_WARPS_N)
#define TL_WTM 64        /* warp tile rows: 4 m16 tiles */
#define TL_WTN 64        /* warp tile columns: 8 n8 tiles */
#define TL_MI (TL_WTM / 16)
#define TL_NJ (TL_WTN / 8)
#define TL_ROWB (TL_BKW * 4)                       /* bytes per staged row: 64 */
#define TL_CHUNKS (TL_ROWB / 16)                   /* 16-byte chunks per row: 4 */
#define TL_A_BYTES (TL_BM * TL_ROWB)               /* 8 KiB */
#define TL_B_BYTES (TL_BN * TL_ROWB)               /* 16 KiB */
#define TL_STAGE_BYTES (TL_A_BYTES + TL_B_BYTES)
#define TL_SMEM_BYTES (TL_STAGES * TL_STAGE_BYTES) /* 72 KiB: dynamic, opted in */

/*
 * Byte offset of chunk c of staged row r. The chunk index is XORed with
 * (r >> 1) & 3 so that the 8 rows one ldmatrix matrix reads (8 consecutive
 * rows, one logical chunk) fall in 8 different 16-byte bank groups: with
 * 64-byte rows, unswizzled rows r and r + 2 share banks (4-way conflict).
 */
BNN_HD uint32_t tl_swz(int r, int c)
{
	return (uint32_t)(r * TL_ROWB + ((c ^ ((r >> 1) & 3)) * 16));
}

/* Number of K stages (TL_BKW words each; the last may be half zero-filled). */
BNN_HD int64_t tl_ktiles(int64_t kw32)
{
	return (kw32 + TL_BKW - 1) / TL_BKW;
}

/* Ring slot of stage kt. */
BNN_HD int tl_slot(int64_t kt)
{
	return (int)(kt % TL_STAGES);
}

/*
 * The i-th 16-byte copy thread tid issues for stage kt of one operand
 * (rows0 = the block's first row of it, rows = its true row count, tile =
 * TL_BM or TL_BN rows): *soff the byte offset in that operand's stage
 * buffer, *gword the first source word, and the return value the bytes to
 * read (16, or 0 to zero-fill: a row past the true rows, or words past the
 * padded row). With kw32 a multiple of 8 a chunk is all in or all out.
 */
BNN_HD int tl_copy_chunk(int tid, int i, int64_t kt, int64_t rows0, int64_t rows, int64_t kw32,
			 uint32_t *soff, int64_t *gword)
{
	int q = tid + i * TL_THREADS;
	int r = q / TL_CHUNKS, c = q % TL_CHUNKS;
	int64_t row = rows0 + r, word = kt * TL_BKW + c * 4;
	*soff = tl_swz(r, c);
	if (row >= rows || word >= kw32) {
		*gword = 0;   /* a valid address; nothing is read */
		return 0;
	}
	*gword = row * kw32 + word;
	return 16;
}
#define TL_A_COPIES (TL_BM * TL_CHUNKS / TL_THREADS)   /* 2 per thread */
#define TL_B_COPIES (TL_BN * TL_CHUNKS / TL_THREADS)   /* 4 per thread */

/* Warp's position: rows wm * 64, columns wn * 64 of the block tile. */
BNN_HD void tl_warp_pos(int warp, int *wm, int *wn)
{
	*wm = warp / TL_WARPS_N;
	*wn = warp % TL_WARPS_N;
}

/*
 * ldmatrix.x4 address (byte offset in the A stage buffer) lane gives for
 * m16 tile i of warp row wm at k256 step s: matrices 0..3 = rows 0-7 /
 * 8-15 (j & 1) of chunk 2s + (j >> 1), so registers 0..3 are exactly the
 * mma A fragment (rows g / g + 8, words t / t + 4 of the step).
 */
BNN_HD uint32_t tl_ldsm_a(int lane, int wm, int i, int s)
{
	int j = lane / 8, rr = lane % 8;
	int r = wm * TL_WTM + 16 * i + (j & 1) * 8 + rr;
	return tl_swz(r, 2 * s + (j >> 1));
}

/*
 * ldmatrix.x4 address in the B stage buffer for the n8 tiles 2p and 2p + 1
 * of warp column wn at step s: matrices 0, 1 = tile 2p chunks 2s, 2s + 1
 * (its b0, b1), matrices 2, 3 = tile 2p + 1.
 */
BNN_HD uint32_t tl_ldsm_b(int lane, int wn, int p, int s)
{
	int j = lane / 8, rr = lane % 8;
	int r = wn * TL_WTN + 8 * (2 * p + (j >> 1)) + rr;
	return tl_swz(r, 2 * s + (j & 1));
}

/*
 * Epilogue of one lane for the tiled kernel's 16 x 8 tile at (r0, c0),
 * AND identity: pairs of adjacent columns go out as one 8-byte store where
 * both are in range and aligned (n even), else one at a time.
 */
BNN_HD void tl_lane_store(int32_t *c, int64_t m, int64_t n, int64_t k, int64_t r0, int64_t c0,
			  int lane, const int (&acc)[4], const int32_t *pa, const int32_t *pb)
{
	int g = lane / 4, t = lane % 4;
	int64_t col = c0 + 2 * t;
	for (int h = 0; h < 2; h++) {
		int64_t r = r0 + g + 8 * h;
		if (r >= m || col >= n)
			continue;
		int32_t v0 = bnn_dot_from_and(acc[2 * h], pa[r], pb[col], k);
		if (col + 1 < n) {
			int32_t v1 = bnn_dot_from_and(acc[2 * h + 1], pa[r], pb[col + 1], k);
			if ((n & 1) == 0) {
				int2 v;
				v.x = v0;
				v.y = v1;
				*(int2 *)(c + r * n + col) = v;
			} else {
				c[r * n + col] = v0;
				c[r * n + col + 1] = v1;
			}
		} else {
			c[r * n + col] = v0;
		}
	}
}

#endif
