/*
 * lut_kernel.h: the AVX2 XOR-popcount inner loops, shared by the GEMM
 * (bgemm_avx2.c) and its peak probe (probe_avx2.c), so the probe measures
 * exactly the loops the kernel runs and the GEMM's efficiency against it
 * shows what blocking and packing cost: the 2x4 nibble-lookup microkernel
 * and the Harley-Seal pair loop. Include only from files built
 * with the AVX2 flags.
 */
#ifndef BNN_AVX2_LUT_KERNEL_H
#define BNN_AVX2_LUT_KERNEL_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

/* Per 256-bit chunk a byte counter grows by at most 8: flush before 255. */
#define BNN_LUT_FLUSH 31

/* Per-byte popcounts of x: nibble lookups in a 16-entry table. */
static inline __m256i popc_bytes(__m256i x, __m256i lut, __m256i low)
{
	__m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(x, low));
	__m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), low));
	return _mm256_add_epi8(lo, hi);
}

/* The four 64-bit lane sums of s0..s3, as one vector [sum s0, .., sum s3]. */
static inline __m256i hsum4(__m256i s0, __m256i s1, __m256i s2, __m256i s3)
{
	__m256i t01 = _mm256_add_epi64(_mm256_unpacklo_epi64(s0, s1), _mm256_unpackhi_epi64(s0, s1));
	__m256i t23 = _mm256_add_epi64(_mm256_unpacklo_epi64(s2, s3), _mm256_unpackhi_epi64(s2, s3));
	return _mm256_add_epi64(_mm256_permute2x128_si256(t01, t23, 0x20),
				_mm256_permute2x128_si256(t01, t23, 0x31));
}

/*
 * r0[j] = popcount(a0 xor b_j), r1[j] = popcount(a1 xor b_j), j < 4, over
 * chunks 256-bit chunks, as two vectors of four int64. Byte counters are
 * flushed every BNN_LUT_FLUSH chunks: vpsadbw into 64-bit lanes, then the
 * lanes of four counters reduced into one vector of four outputs.
 */
static inline __attribute__((always_inline)) void
ukernel_2x4(const uint64_t *a0, const uint64_t *a1, const uint64_t *b0, const uint64_t *b1,
	    const uint64_t *b2, const uint64_t *b3, int64_t chunks, __m256i *r0, __m256i *r1)
{
	const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
					     0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
	/* Four outputs per vector, reduced after every flush: only two vectors
	 * live across the inner loop, which needs every other register. */
	__m256i p0 = zero, p1 = zero;
	for (int64_t c0 = 0; c0 < chunks; c0 += BNN_LUT_FLUSH) {
		int64_t c1 = c0 + BNN_LUT_FLUSH < chunks ? c0 + BNN_LUT_FLUSH : chunks;
		__m256i c00 = zero, c01 = zero, c02 = zero, c03 = zero;
		__m256i c10 = zero, c11 = zero, c12 = zero, c13 = zero;
		for (int64_t c = c0; c < c1; c++) {
			__m256i x0 = _mm256_loadu_si256((const __m256i *)(a0 + 4 * c));
			__m256i x1 = _mm256_loadu_si256((const __m256i *)(a1 + 4 * c));
			__m256i y = _mm256_loadu_si256((const __m256i *)(b0 + 4 * c));
			c00 = _mm256_add_epi8(c00, popc_bytes(_mm256_xor_si256(x0, y), lut, low));
			c10 = _mm256_add_epi8(c10, popc_bytes(_mm256_xor_si256(x1, y), lut, low));
			y = _mm256_loadu_si256((const __m256i *)(b1 + 4 * c));
			c01 = _mm256_add_epi8(c01, popc_bytes(_mm256_xor_si256(x0, y), lut, low));
			c11 = _mm256_add_epi8(c11, popc_bytes(_mm256_xor_si256(x1, y), lut, low));
			y = _mm256_loadu_si256((const __m256i *)(b2 + 4 * c));
			c02 = _mm256_add_epi8(c02, popc_bytes(_mm256_xor_si256(x0, y), lut, low));
			c12 = _mm256_add_epi8(c12, popc_bytes(_mm256_xor_si256(x1, y), lut, low));
			y = _mm256_loadu_si256((const __m256i *)(b3 + 4 * c));
			c03 = _mm256_add_epi8(c03, popc_bytes(_mm256_xor_si256(x0, y), lut, low));
			c13 = _mm256_add_epi8(c13, popc_bytes(_mm256_xor_si256(x1, y), lut, low));
		}
		p0 = _mm256_add_epi64(p0, hsum4(_mm256_sad_epu8(c00, zero), _mm256_sad_epu8(c01, zero),
						_mm256_sad_epu8(c02, zero), _mm256_sad_epu8(c03, zero)));
		p1 = _mm256_add_epi64(p1, hsum4(_mm256_sad_epu8(c10, zero), _mm256_sad_epu8(c11, zero),
						_mm256_sad_epu8(c12, zero), _mm256_sad_epu8(c13, zero)));
	}
	*r0 = p0;
	*r1 = p1;
}

/* ---- Harley-Seal, one pair at a time (the GEMM's long-K path and the
 * probe's fastest AVX2 loop) ---- */


/* Carry-save adder: h:l = a + b + c, bitwise. */
#define CSA(h, l, a, b, c)                                                   \
	do {                                                                 \
		__m256i u_ = _mm256_xor_si256(a, b);                          \
		h = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(u_, c)); \
		l = _mm256_xor_si256(u_, c);                                  \
	} while (0)

#define XV(k) _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x + 4 * (v + (k)))), \
			       _mm256_loadu_si256((const __m256i *)(y + 4 * (v + (k)))))

/*
 * popcount(x ^ y) over vecs vectors: Harley-Seal (Mula, Kurz, Lemire,
 * "Faster population counts using AVX2 instructions", 2018): 16 vectors
 * go through 15 carry-save adders into ones, twos, fours, eights and one
 * "sixteens" vector, which alone is counted (vpshufb) per 16 vectors.
 * Its state (4 vectors per pair) cannot be register-blocked over a 4x4
 * tile, so it streams a and b for every pair: 2 loads per XOR.
 */
static inline int64_t hs_xor_popc(const uint64_t *x, const uint64_t *y, int64_t vecs)
{
	const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
					     0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f);
	const __m256i zero = _mm256_setzero_si256();
	__m256i total = zero, ones = zero, twos = zero, fours = zero, eights = zero;
	__m256i sixteens, twosA, twosB, foursA, foursB, eightsA, eightsB;
	int64_t v = 0;
	for (; v + 16 <= vecs; v += 16) {
		CSA(twosA, ones, ones, XV(0), XV(1));
		CSA(twosB, ones, ones, XV(2), XV(3));
		CSA(foursA, twos, twos, twosA, twosB);
		CSA(twosA, ones, ones, XV(4), XV(5));
		CSA(twosB, ones, ones, XV(6), XV(7));
		CSA(foursB, twos, twos, twosA, twosB);
		CSA(eightsA, fours, fours, foursA, foursB);
		CSA(twosA, ones, ones, XV(8), XV(9));
		CSA(twosB, ones, ones, XV(10), XV(11));
		CSA(foursA, twos, twos, twosA, twosB);
		CSA(twosA, ones, ones, XV(12), XV(13));
		CSA(twosB, ones, ones, XV(14), XV(15));
		CSA(foursB, twos, twos, twosA, twosB);
		CSA(eightsB, fours, fours, foursA, foursB);
		CSA(sixteens, eights, eights, eightsA, eightsB);
		total = _mm256_add_epi64(total, _mm256_sad_epu8(popc_bytes(sixteens, lut, low), zero));
	}
	total = _mm256_slli_epi64(total, 4);
	/* Weighted counts of the carries: 8 * 8 + 4 * 8 + 2 * 8 + 8 = 120 per
	 * byte at most, and the rest (under 16 vectors, 8 each) another 120:
	 * the byte sum stays below 255 without an intermediate flush. */
	__m256i rest = popc_bytes(eights, lut, low);
	rest = _mm256_add_epi8(rest, rest);
	rest = _mm256_add_epi8(rest, popc_bytes(fours, lut, low));
	rest = _mm256_add_epi8(rest, rest);
	rest = _mm256_add_epi8(rest, popc_bytes(twos, lut, low));
	rest = _mm256_add_epi8(rest, rest);
	rest = _mm256_add_epi8(rest, popc_bytes(ones, lut, low));
	for (; v < vecs; v++)
		rest = _mm256_add_epi8(rest, popc_bytes(XV(0), lut, low));
	total = _mm256_add_epi64(total, _mm256_sad_epu8(rest, zero));
	__m128i h = _mm_add_epi64(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
	return _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
}

#undef XV
#undef CSA


/*
 * The broadcast tile, lanes along N (the AVX2 form of the AVX-512 one in
 * kernels/avx512/xpc_kernel.h): for s < steps, the 32-bit word of row i
 * (i < P), x[toff[s] + i*XS], broadcast against the Q vectors of 8 words at
 * w + s*wld + 8q (8 columns each). Byte counts by nibble lookup, flushed
 * every BNN_LUT_FLUSH steps into 32-bit lanes (vpmaddubsw, vpmaddwd), so
 * lane l of a vector is column 8q + l and no horizontal sum is needed.
 * Then c[i*ldc + 8q + l] = k - 2*count for i < rows and 8q + l < cols,
 * with non-temporal stores when stream is set and the whole tile is
 * 32-byte aligned (c, and ldc a multiple of 8; BNN_STREAM_BYTES).
 * P*Q byte counters and Q weight vectors stay in the 16 registers
 * (P*Q + Q <= 10); the 32-bit sums are touched once per flush.
 */
static inline __attribute__((always_inline)) void
bnn_avx2_bcast_tile(const uint32_t *x, const int32_t *toff, const uint32_t *w, int64_t wld,
		    int64_t steps, const int P, const int Q, const int XS, int32_t k, int32_t *c,
		    int64_t ldc, int64_t rows, int64_t cols, int stream)
{
	const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
					     0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f), ones8 = _mm256_set1_epi8(1);
	const __m256i ones16 = _mm256_set1_epi16(1);
	__m256i sum[8][2];
#pragma GCC unroll 8
	for (int i = 0; i < P; i++)
#pragma GCC unroll 2
		for (int q = 0; q < Q; q++)
			sum[i][q] = _mm256_setzero_si256();
	for (int64_t s0 = 0; s0 < steps; s0 += BNN_LUT_FLUSH) {
		int64_t s1 = steps - s0 < BNN_LUT_FLUSH ? steps : s0 + BNN_LUT_FLUSH;
		__m256i acc[8][2];
#pragma GCC unroll 8
		for (int i = 0; i < P; i++)
#pragma GCC unroll 2
			for (int q = 0; q < Q; q++)
				acc[i][q] = _mm256_setzero_si256();
		for (int64_t s = s0; s < s1; s++) {
			const uint32_t *xs = x + toff[s];
			const uint32_t *ws = w + s * wld;
			__m256i wv[2];
#pragma GCC unroll 2
			for (int q = 0; q < Q; q++)
				wv[q] = _mm256_loadu_si256((const __m256i *)(ws + 8 * q));
#pragma GCC unroll 8
			for (int i = 0; i < P; i++) {
				__m256i b = _mm256_set1_epi32((int)xs[i * XS]);
#pragma GCC unroll 2
				for (int q = 0; q < Q; q++)
					acc[i][q] = _mm256_add_epi8(
						acc[i][q], popc_bytes(_mm256_xor_si256(b, wv[q]), lut, low));
			}
		}
#pragma GCC unroll 8
		for (int i = 0; i < P; i++)
#pragma GCC unroll 2
			for (int q = 0; q < Q; q++)
				sum[i][q] = _mm256_add_epi32(
					sum[i][q],
					_mm256_madd_epi16(_mm256_maddubs_epi16(acc[i][q], ones8), ones16));
	}
	const __m256i kv = _mm256_set1_epi32(k);
	if (stream && rows >= P && cols >= 8 * Q && ((uintptr_t)c & 31) == 0 && ldc % 8 == 0) {
#pragma GCC unroll 8
		for (int i = 0; i < P; i++)
#pragma GCC unroll 2
			for (int q = 0; q < Q; q++)
				_mm256_stream_si256((__m256i *)(c + i * ldc + 8 * q),
						    _mm256_sub_epi32(kv, _mm256_slli_epi32(sum[i][q], 1)));
		return;
	}
#pragma GCC unroll 8
	for (int i = 0; i < P; i++) {
		if (i >= rows)
			break;
#pragma GCC unroll 2
		for (int q = 0; q < Q; q++) {
			__m256i v = _mm256_sub_epi32(kv, _mm256_slli_epi32(sum[i][q], 1));
			int32_t *ci = c + i * ldc + 8 * q;
			int64_t n = cols - 8 * q;
			if (n >= 8) {
				_mm256_storeu_si256((__m256i *)ci, v);
			} else if (n > 0) {
				int32_t t[8];
				_mm256_storeu_si256((__m256i *)t, v);
				for (int64_t l = 0; l < n; l++)
					ci[l] = t[l];
			}
		}
	}
}

/* The AVX2 broadcast tile's instances: (Q vectors of 8 columns, P rows),
 * row step XS of 1 or 2. */
typedef void (*bnn_avx2_bc_fn)(const uint32_t *x, const int32_t *toff, const uint32_t *w,
			       int64_t wld, int64_t steps, int32_t k, int32_t *c, int64_t ldc,
			       int64_t rows, int64_t cols, int stream);
#define BNN_AVX2_BC_FN(Q_, P_, XS_)                                                         \
	static void bnn_avx2_bc_q##Q_##p##P_##x##XS_(                                       \
		const uint32_t *x, const int32_t *toff, const uint32_t *w, int64_t wld,     \
		int64_t steps, int32_t k, int32_t *c, int64_t ldc, int64_t rows, int64_t cols, \
		int stream)                                                                 \
	{                                                                                   \
		bnn_avx2_bcast_tile(x, toff, w, wld, steps, P_, Q_, XS_, k, c, ldc, rows, cols, \
				    stream);                                                \
	}
#define BNN_AVX2_BC_SHAPES(X, XS_) X(2, 4, XS_) X(1, 8, XS_) X(1, 7, XS_) X(2, 3, XS_)
BNN_AVX2_BC_SHAPES(BNN_AVX2_BC_FN, 1)
BNN_AVX2_BC_SHAPES(BNN_AVX2_BC_FN, 2)
#define BNN_AVX2_BC_ENTRY(Q_, P_, XS_) \
	{ Q_, P_, { bnn_avx2_bc_q##Q_##p##P_##x1, bnn_avx2_bc_q##Q_##p##P_##x2 } },
typedef struct {
	int q, p;
	bnn_avx2_bc_fn fn[2];   /* XS = 1, 2 */
} bnn_avx2_bc_t;
static const bnn_avx2_bc_t bnn_avx2_bc[] = { BNN_AVX2_BC_SHAPES(BNN_AVX2_BC_ENTRY, 0) };
#undef BNN_AVX2_BC_ENTRY
#undef BNN_AVX2_BC_FN

/* The instance for rows of len rows and kv vectors of 8 columns: least
 * padded work, a little weight on the loads per lookup. */
static inline const bnn_avx2_bc_t *bnn_avx2_bc_pick(int64_t len, int64_t kv)
{
	const bnn_avx2_bc_t *best = &bnn_avx2_bc[0];
	double bc = 0.0;
	for (size_t i = 0; i < sizeof(bnn_avx2_bc) / sizeof(bnn_avx2_bc[0]); i++) {
		const bnn_avx2_bc_t *e = &bnn_avx2_bc[i];
		double work = (double)((len + e->p - 1) / e->p * e->p) *
			      (double)((kv + e->q - 1) / e->q * e->q);
		double cost = work * (1.0 + 0.1 * (e->p + e->q) / (double)(e->p * e->q));
		if (i == 0 || cost < bc) {
			bc = cost;
			best = e;
		}
	}
	return best;
}

#endif
