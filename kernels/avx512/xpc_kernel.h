/*
 * xpc_kernel.h: the AVX-512 XOR-popcount microkernel, shared by the GEMM
 * core (bgemm_avx512.c) and the peak probe (probe_avx512.c), so that the
 * probe measures exactly the loop the kernel runs. Include only from this
 * folder's sources (after intrin.h).
 */
#ifndef BNN_AVX512_XPC_KERNEL_H
#define BNN_AVX512_XPC_KERNEL_H

#include "intrin.h"

#define BNN_XPC(acc, x, y) acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(x, y)))

/* One step of the 4x4 tile: LOAD(p) loads 8 words at p; rows rs apart. */
#define BNN_XPC_STEP(ap, bp, rs, LOAD)                                                \
	do {                                                                          \
		__m512i x0 = LOAD(ap), x1 = LOAD((ap) + (rs));                        \
		__m512i x2 = LOAD((ap) + 2 * (rs)), x3 = LOAD((ap) + 3 * (rs));      \
		__m512i y = LOAD(bp);                                                 \
		BNN_XPC(c00, x0, y); BNN_XPC(c10, x1, y);                             \
		BNN_XPC(c20, x2, y); BNN_XPC(c30, x3, y);                             \
		y = LOAD((bp) + (rs));                                                \
		BNN_XPC(c01, x0, y); BNN_XPC(c11, x1, y);                             \
		BNN_XPC(c21, x2, y); BNN_XPC(c31, x3, y);                             \
		y = LOAD((bp) + 2 * (rs));                                            \
		BNN_XPC(c02, x0, y); BNN_XPC(c12, x1, y);                             \
		BNN_XPC(c22, x2, y); BNN_XPC(c32, x3, y);                             \
		y = LOAD((bp) + 3 * (rs));                                            \
		BNN_XPC(c03, x0, y); BNN_XPC(c13, x1, y);                             \
		BNN_XPC(c23, x2, y); BNN_XPC(c33, x3, y);                             \
	} while (0)

#define BNN_LOAD_FULL(p) _mm512_loadu_si512((const void *)(p))
#define BNN_LOAD_TAIL(p) _mm512_maskz_loadu_epi64(tk, (const void *)(p))

/*
 * The lane sums of two tile rows, q0..q3 (row i) and q4..q7 (row i+1),
 * as one vector [sum q0, .., sum q3, sum q4, .., sum q7]: pairs of lanes
 * added by unpack, then 128-bit lanes folded by shuffles (no reduction
 * instruction per accumulator).
 */
static inline __attribute__((always_inline)) __m512i
bnn_a512_hsum_2x4(__m512i q0, __m512i q1, __m512i q2, __m512i q3, __m512i q4, __m512i q5,
		  __m512i q6, __m512i q7)
{
	/* 128-bit lane L of t01: [q0 lanes 2L + 2L+1, q1 lanes 2L + 2L+1] */
	__m512i t01 = _mm512_add_epi64(_mm512_unpacklo_epi64(q0, q1), _mm512_unpackhi_epi64(q0, q1));
	__m512i t23 = _mm512_add_epi64(_mm512_unpacklo_epi64(q2, q3), _mm512_unpackhi_epi64(q2, q3));
	__m512i t45 = _mm512_add_epi64(_mm512_unpacklo_epi64(q4, q5), _mm512_unpackhi_epi64(q4, q5));
	__m512i t67 = _mm512_add_epi64(_mm512_unpacklo_epi64(q6, q7), _mm512_unpackhi_epi64(q6, q7));
	/* [t01 L0+L2, t01 L1+L3, t23 L0+L2, t23 L1+L3]; 0x44 and 0xEE are
	 * _MM_SHUFFLE(1,0,1,0) and (3,2,3,2). vshufi32x4 moves 128-bit lanes
	 * exactly as vshufi64x2 does (they differ only in masking), and SIMDe
	 * 0.7.4 aliases only the former. */
	__m512i s0 = _mm512_add_epi64(_mm512_shuffle_i32x4(t01, t23, 0x44),
				      _mm512_shuffle_i32x4(t01, t23, 0xEE));
	__m512i s1 = _mm512_add_epi64(_mm512_shuffle_i32x4(t45, t67, 0x44),
				      _mm512_shuffle_i32x4(t45, t67, 0xEE));
	/* 0x88 = (2,0,2,0), 0xDD = (3,1,3,1): the two halves of each row */
	return _mm512_add_epi64(_mm512_shuffle_i32x4(s0, s1, 0x88),
				_mm512_shuffle_i32x4(s0, s1, 0xDD));
}

/*
 * The 4x4 tile: the popcounts of (a_i xor b_j), i, j < 4, over `steps`
 * whole steps of 8 words (row i of step s at a + i*rs + s*cs, b likewise),
 * then, when tk is not 0, one step at at / bt (rows trs apart) that loads
 * only the lanes in tk: the others read as zero and count nothing, so the
 * K tail needs no scalar code. VPOPCNTQ counts whole 64-bit lanes, so the
 * 16 accumulators never need a flush; with 4 a vectors and 1 b vector they
 * take 21 of the 32 zmm registers, and each step's 8 loads feed 16 XOR +
 * VPOPCNTQ + ADD. Returns the 16 sums as *r01 = [row 0: j = 0..3, row 1:
 * j = 0..3] and *r23 (rows 2 and 3), int64.
 */
static inline __attribute__((always_inline)) void
bnn_a512_tile_4x4(const uint64_t *a, const uint64_t *b, int64_t rs, int64_t cs, int64_t steps,
		  const uint64_t *at, const uint64_t *bt, int64_t trs, bnn_mask8_t tk, __m512i *r01,
		  __m512i *r23)
{
	const __m512i zero = _mm512_setzero_si512();
	__m512i c00 = zero, c01 = zero, c02 = zero, c03 = zero;
	__m512i c10 = zero, c11 = zero, c12 = zero, c13 = zero;
	__m512i c20 = zero, c21 = zero, c22 = zero, c23 = zero;
	__m512i c30 = zero, c31 = zero, c32 = zero, c33 = zero;
	for (int64_t s = 0; s < steps; s++) {
		const uint64_t *ap = a + s * cs, *bp = b + s * cs;
		BNN_XPC_STEP(ap, bp, rs, BNN_LOAD_FULL);
	}
	if (tk)
		BNN_XPC_STEP(at, bt, trs, BNN_LOAD_TAIL);
	*r01 = bnn_a512_hsum_2x4(c00, c01, c02, c03, c10, c11, c12, c13);
	*r23 = bnn_a512_hsum_2x4(c20, c21, c22, c23, c30, c31, c32, c33);
}

#undef BNN_LOAD_TAIL
#undef BNN_LOAD_FULL
#undef BNN_XPC_STEP
#undef BNN_XPC

#endif
