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

#endif
