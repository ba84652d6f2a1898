/*
 * xpc_kernel.h: the AVX-512 XOR-popcount microkernel, shared by the GEMM
 * core (bgemm_avx512.c) and the peak probe (probe_avx512.c), so that the
 * probe measures exactly the loop the kernel runs. Include only from this
 * folder's sources (after intrin.h).
 */
#ifndef BNN_AVX512_XPC_KERNEL_H
#define BNN_AVX512_XPC_KERNEL_H

#include <stddef.h>
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

/*
 * The broadcast tile, lanes along N: 16 outputs of one row of C per vector,
 * so no horizontal sum. For s < steps, the 32-bit word of row i (i < P) is
 * x[toff[s] + i*XS], broadcast against the Q vectors of 16 words at
 * w + s*wld + 16q (16 columns each); acc[i][q] lane l gains
 * popc(x word ^ w word l). One XOR (its broadcast folded into the load),
 * VPOPCNTD and ADD per 512 bit-MACs, as the 4x4 tile; P*Q accumulators and
 * Q weight vectors stay in registers (P*Q + Q <= 32). Then
 * c[i*ldc + 16q + l] = k - 2*acc for i < rows and 16q + l < cols, or, when
 * more is 1 (a later slice of K), c -= 2*acc. more 2 is 0 with
 * non-temporal stores where the whole tile is 64-byte aligned (c, and ldc
 * a multiple of 16): for an output too large to stay in cache, written
 * once, which then goes to memory without being read first.
 * Rows of x are 32-bit words, so K pads only to 32 bits. XS, P, Q are
 * constants after inlining.
 */
static inline __attribute__((always_inline)) void
bnn_a512_bcast_tile(const uint32_t *x, const int32_t *toff, const uint32_t *w, int64_t wld,
		    int64_t steps, const int P, const int Q, const int XS, int32_t k, int32_t *c,
		    int64_t ldc, int64_t rows, int64_t cols, int more)
{
	__m512i acc[16][4];
#pragma GCC unroll 16
	for (int i = 0; i < P; i++)
#pragma GCC unroll 4
		for (int q = 0; q < Q; q++)
			acc[i][q] = _mm512_setzero_si512();
	for (int64_t s = 0; s < steps; s++) {
		const uint32_t *xs = x + toff[s];
		const uint32_t *ws = w + s * wld;
		__m512i wv[4];
#pragma GCC unroll 4
		for (int q = 0; q < Q; q++)
			wv[q] = _mm512_loadu_si512((const void *)(ws + 16 * q));
#pragma GCC unroll 16
		for (int i = 0; i < P; i++) {
			__m512i b = _mm512_set1_epi32((int)xs[i * XS]);
#pragma GCC unroll 4
			for (int q = 0; q < Q; q++)
				acc[i][q] = _mm512_add_epi32(
					acc[i][q], _mm512_popcnt_epi32(_mm512_xor_si512(b, wv[q])));
		}
	}
	const __m512i kv = _mm512_set1_epi32(k);
	const int stream = more == 2 && ((uintptr_t)c & 63) == 0 && ldc % 16 == 0;
	if (more == 2)
		more = 0;
	if (rows >= P && cols >= 16 * Q) {   /* a whole tile: no tests per store */
#pragma GCC unroll 16
		for (int i = 0; i < P; i++)
#pragma GCC unroll 4
			for (int q = 0; q < Q; q++) {
				int32_t *ci = c + i * ldc + 16 * q;
				__m512i base = more ? _mm512_loadu_si512((const void *)ci) : kv;
				__m512i v = _mm512_sub_epi32(base, _mm512_slli_epi32(acc[i][q], 1));
				if (stream)
					bnn_stream_si512(ci, v);
				else
					_mm512_storeu_si512((void *)ci, v);
			}
		return;
	}
#pragma GCC unroll 16
	for (int i = 0; i < P; i++) {
		if (i >= rows)
			break;
#pragma GCC unroll 4
		for (int q = 0; q < Q; q++) {
			__m512i twice = _mm512_slli_epi32(acc[i][q], 1);
			int32_t *ci = c + i * ldc + 16 * q;
			int64_t n = cols - 16 * q;
			if (n >= 16) {
				__m512i base = more ? _mm512_loadu_si512((const void *)ci) : kv;
				_mm512_storeu_si512((void *)ci, _mm512_sub_epi32(base, twice));
			} else if (n > 0) {
				int32_t t[16];
				_mm512_storeu_si512((void *)t, twice);
				for (int64_t l = 0; l < n; l++)
					ci[l] = (more ? ci[l] : k) - t[l];
			}
		}
	}
}

/* The broadcast tile's instances: (Q vectors of 16 columns, P rows) pairs,
 * row step XS of 1 or 2 (a stride-2 convolution reads every other pixel). */
typedef void (*bnn_a512_bc_fn)(const uint32_t *x, const int32_t *toff, const uint32_t *w,
			       int64_t wld, int64_t steps, int32_t k, int32_t *c, int64_t ldc,
			       int64_t rows, int64_t cols, int more);
#define BNN_A512_BC_FN(Q_, P_, XS_)                                                         \
	static void bnn_a512_bc_q##Q_##p##P_##x##XS_(                                       \
		const uint32_t *x, const int32_t *toff, const uint32_t *w, int64_t wld,     \
		int64_t steps, int32_t k, int32_t *c, int64_t ldc, int64_t rows, int64_t cols, \
		int more)                                                                   \
	{                                                                                   \
		bnn_a512_bcast_tile(x, toff, w, wld, steps, P_, Q_, XS_, k, c, ldc, rows, cols, \
				    more);                                                  \
	}
#define BNN_A512_BC_SHAPES(X, XS_) \
	X(4, 6, XS_) X(3, 8, XS_) X(3, 9, XS_) X(3, 7, XS_) X(2, 12, XS_) X(2, 14, XS_) X(1, 16, XS_)
BNN_A512_BC_SHAPES(BNN_A512_BC_FN, 1)
BNN_A512_BC_SHAPES(BNN_A512_BC_FN, 2)
#define BNN_A512_BC_ENTRY(Q_, P_, XS_) { Q_, P_, { bnn_a512_bc_q##Q_##p##P_##x1, bnn_a512_bc_q##Q_##p##P_##x2 } },
typedef struct {
	int q, p;
	bnn_a512_bc_fn fn[2];   /* XS = 1, 2 */
} bnn_a512_bc_t;
static const bnn_a512_bc_t bnn_a512_bc[] = { BNN_A512_BC_SHAPES(BNN_A512_BC_ENTRY, 0) };
#undef BNN_A512_BC_ENTRY
#undef BNN_A512_BC_FN

/* The instance for rows of len rows (pixels of an output row, or GEMM rows)
 * and kv vectors of 16 columns: least padded work, a little weight on the
 * loads per XOR ((P + Q) / PQ). */
static inline const bnn_a512_bc_t *bnn_a512_bc_pick(int64_t len, int64_t kv)
{
	const bnn_a512_bc_t *best = &bnn_a512_bc[0];
	double bc = 0.0;
	for (size_t i = 0; i < sizeof(bnn_a512_bc) / sizeof(bnn_a512_bc[0]); i++) {
		const bnn_a512_bc_t *e = &bnn_a512_bc[i];
		double work = (double)((len + e->p - 1) / e->p * e->p) *
			      (double)((kv + e->q - 1) / e->q * e->q);
		double cost = work * (1.0 + 0.2 * (e->p + e->q) / (double)(e->p * e->q));
		if (i == 0 || cost < bc) {
			bc = cost;
			best = e;
		}
	}
	return best;
}

#undef BNN_LOAD_TAIL
#undef BNN_LOAD_FULL
#undef BNN_XPC_STEP
#undef BNN_XPC

#endif
