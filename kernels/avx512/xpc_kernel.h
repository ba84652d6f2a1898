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

/*
 * The 4x4 tile: acc[4*i + j] += the per-lane popcounts of (a_i xor b_j)
 * over `steps` steps of 8 words; row i of step s is at a + i*rs + s*cs
 * (b likewise), and only the lanes in k are loaded (the others read as
 * zero, so they count nothing: the K tail is one step with a short mask).
 * VPOPCNTQ counts whole 64-bit lanes, so the 16 accumulators never need
 * a flush; with 4 a vectors and 1 b vector they take 21 of the 32 zmm
 * registers, and each step's 8 loads feed 16 XOR + VPOPCNTQ + ADD.
 */
static inline __attribute__((always_inline)) void
bnn_a512_xpc_4x4(const uint64_t *a, const uint64_t *b, int64_t rs, int64_t cs, int64_t steps,
		 bnn_mask8_t k, __m512i acc[16])
{
	__m512i c00 = acc[0], c01 = acc[1], c02 = acc[2], c03 = acc[3];
	__m512i c10 = acc[4], c11 = acc[5], c12 = acc[6], c13 = acc[7];
	__m512i c20 = acc[8], c21 = acc[9], c22 = acc[10], c23 = acc[11];
	__m512i c30 = acc[12], c31 = acc[13], c32 = acc[14], c33 = acc[15];
	for (int64_t s = 0; s < steps; s++) {
		const uint64_t *ap = a + s * cs, *bp = b + s * cs;
		__m512i x0 = _mm512_maskz_loadu_epi64(k, ap);
		__m512i x1 = _mm512_maskz_loadu_epi64(k, ap + rs);
		__m512i x2 = _mm512_maskz_loadu_epi64(k, ap + 2 * rs);
		__m512i x3 = _mm512_maskz_loadu_epi64(k, ap + 3 * rs);
		__m512i y = _mm512_maskz_loadu_epi64(k, bp);
		BNN_XPC(c00, x0, y);
		BNN_XPC(c10, x1, y);
		BNN_XPC(c20, x2, y);
		BNN_XPC(c30, x3, y);
		y = _mm512_maskz_loadu_epi64(k, bp + rs);
		BNN_XPC(c01, x0, y);
		BNN_XPC(c11, x1, y);
		BNN_XPC(c21, x2, y);
		BNN_XPC(c31, x3, y);
		y = _mm512_maskz_loadu_epi64(k, bp + 2 * rs);
		BNN_XPC(c02, x0, y);
		BNN_XPC(c12, x1, y);
		BNN_XPC(c22, x2, y);
		BNN_XPC(c32, x3, y);
		y = _mm512_maskz_loadu_epi64(k, bp + 3 * rs);
		BNN_XPC(c03, x0, y);
		BNN_XPC(c13, x1, y);
		BNN_XPC(c23, x2, y);
		BNN_XPC(c33, x3, y);
	}
	acc[0] = c00, acc[1] = c01, acc[2] = c02, acc[3] = c03;
	acc[4] = c10, acc[5] = c11, acc[6] = c12, acc[7] = c13;
	acc[8] = c20, acc[9] = c21, acc[10] = c22, acc[11] = c23;
	acc[12] = c30, acc[13] = c31, acc[14] = c32, acc[15] = c33;
}

#undef BNN_XPC

/*
 * The lane sums of two tile rows, c[0..3] (row i) and c[4..7] (row i+1),
 * as one vector [sum c0, .., sum c3, sum c4, .., sum c7]: pairs of lanes
 * added by unpack, then 128-bit lanes folded by shuffles (no reduction
 * instruction per accumulator).
 */
static inline __m512i bnn_a512_hsum_2x4(const __m512i *c)
{
	__m512i s[2];
	for (int r = 0; r < 2; r++) {
		const __m512i *q = c + 4 * r;
		/* 128-bit lane L of t01: [c0 lanes 2L+2L+1, c1 lanes 2L+2L+1] */
		__m512i t01 = _mm512_add_epi64(_mm512_unpacklo_epi64(q[0], q[1]),
					       _mm512_unpackhi_epi64(q[0], q[1]));
		__m512i t23 = _mm512_add_epi64(_mm512_unpacklo_epi64(q[2], q[3]),
					       _mm512_unpackhi_epi64(q[2], q[3]));
		/* [t01 L0+L2, t01 L1+L3, t23 L0+L2, t23 L1+L3]; 0x44 and 0xEE are
		 * _MM_SHUFFLE(1,0,1,0) and (3,2,3,2) */
		s[r] = _mm512_add_epi64(_mm512_shuffle_i32x4(t01, t23, 0x44),
					_mm512_shuffle_i32x4(t01, t23, 0xEE));
	}
	/* 0x88 = (2,0,2,0), 0xDD = (3,1,3,1): the two halves of each row.
	 * vshufi32x4 moves 128-bit lanes exactly as vshufi64x2 does (they
	 * differ only in masking), and SIMDe 0.7.4 aliases only the former. */
	return _mm512_add_epi64(_mm512_shuffle_i32x4(s[0], s[1], 0x88),
				_mm512_shuffle_i32x4(s[0], s[1], 0xDD));
}

#endif
