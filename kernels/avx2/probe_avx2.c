/*
 * AVX2 peak probes (kernels/probe.h), compiled with -mavx2 -mfma -mpopcnt.
 *
 * Three ways to count XOR-popcount, all timed by the harness (which takes
 * the fastest as the AVX2 peak); bnn_probe_xorpopc__avx2 below gives the
 * numbers measured here and which one it calls.
 */
#include <immintrin.h>
#include "probe.h"
#include "lut_kernel.h"

#if defined(__GNUC__)
#define PROBE_BARRIER() __asm__ volatile("" ::: "memory")
#else
#define PROBE_BARRIER() ((void)0)
#endif

static inline __m256i nibble_lut(void)
{
	return _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
				0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
}

static inline int64_t hsum64(__m256i v)
{
	__m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
	return _mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1);
}

/* The words [from, words) below a whole vector, every pair, scalar. */
static inline int64_t tail_pairs(const uint64_t *a, const uint64_t *b, int64_t words,
				 int64_t from)
{
	int64_t p = 0;
	for (int i = 0; i < BNN_PROBE_ROWS; i++)
		for (int j = 0; j < BNN_PROBE_ROWS; j++)
			for (int64_t w = from; w < words; w++)
				p += _mm_popcnt_u64(a[i * words + w] ^ b[j * words + w]);
	return p;
}

/* ---- nibble lookup, 2x4 register blocking ---- */

/* Rows a0, a1 against the four rows of b over vecs 256-bit vectors, with
 * the AVX2 bgemm's own microkernel (lut_kernel.h). */
static int64_t lut_2x4(const uint64_t *a0, const uint64_t *a1, const uint64_t *b,
		       int64_t words, int64_t vecs)
{
	__m256i p0, p1;
	ukernel_2x4(a0, a1, b, b + words, b + 2 * words, b + 3 * words, vecs, &p0, &p1);
	return hsum64(_mm256_add_epi64(p0, p1));
}

int64_t bnn_probe_xorpopc__avx2_lut(const uint64_t *a, const uint64_t *b, int64_t words,
				    int64_t reps)
{
	int64_t vecs = words / 4, total = 0;
	for (int64_t r = 0; r < reps; r++) {
		total += lut_2x4(a, a + words, b, words, vecs);
		total += lut_2x4(a + 2 * words, a + 3 * words, b, words, vecs);
		total += tail_pairs(a, b, words, vecs * 4);
		PROBE_BARRIER();
	}
	return total;
}

/* ---- scalar POPCNT, 1x4 ---- */

/*
 * One a word against the four b rows' words: 4 independent 64-bit
 * accumulators (16 for a 4x4 tile plus 8 loaded words would exceed the 16
 * general registers), 5 loads, 4 XOR, 4 POPCNT, 4 ADD per 256 bit-MACs.
 */
int64_t bnn_probe_xorpopc__avx2_popcnt(const uint64_t *a, const uint64_t *b, int64_t words,
				       int64_t reps)
{
	const uint64_t *b0 = b, *b1 = b + words, *b2 = b + 2 * words, *b3 = b + 3 * words;
	int64_t total = 0;
	for (int64_t r = 0; r < reps; r++) {
		uint64_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
		for (int i = 0; i < BNN_PROBE_ROWS; i++) {
			const uint64_t *ai = a + i * words;
			for (int64_t w = 0; w < words; w++) {
				uint64_t x = ai[w];
				p0 += (uint64_t)_mm_popcnt_u64(x ^ b0[w]);
				p1 += (uint64_t)_mm_popcnt_u64(x ^ b1[w]);
				p2 += (uint64_t)_mm_popcnt_u64(x ^ b2[w]);
				p3 += (uint64_t)_mm_popcnt_u64(x ^ b3[w]);
			}
		}
		total += (int64_t)(p0 + p1 + p2 + p3);
		PROBE_BARRIER();
	}
	return total;
}

/* ---- Harley-Seal, one pair at a time: hs_xor_popc in lut_kernel.h ---- */

int64_t bnn_probe_xorpopc__avx2_hs(const uint64_t *a, const uint64_t *b, int64_t words,
				   int64_t reps)
{
	int64_t vecs = words / 4, total = 0;
	for (int64_t r = 0; r < reps; r++) {
		for (int i = 0; i < BNN_PROBE_ROWS; i++)
			for (int j = 0; j < BNN_PROBE_ROWS; j++)
				total += hs_xor_popc(a + i * words, b + j * words, vecs);
		total += tail_pairs(a, b, words, vecs * 4);
		PROBE_BARRIER();
	}
	return total;
}

/*
 * The AVX2 peak as a single call: Harley-Seal, the fastest of the three on
 * the machine this was written on (AMD EPYC family 25 model 1 VM, 2 vCPUs,
 * gcc 12 -O2, words = 256, best of 5 x 0.1 s, 1 thread, TOPS at 2 ops per
 * binary MAC): Harley-Seal 0.74-0.77, nibble LUT 2x4 0.70-0.71 (0.50 in a
 * noisy run), scalar POPCNT 1x4 0.35-0.36, generic SWAR 0.07-0.10. On 2
 * threads the VM's second vCPU was too noisy to rank them (1.1-1.5 for
 * both vector methods). Harley-Seal does fewer vector operations per
 * counted vector (about 6 against the lookup's 8) with a single vpshufb
 * count per 16 vectors, and its 2 loads per XOR stay within the 2 x
 * 256-bit loads a cycle. The harness times all three and takes the best, so
 * this choice only matters to callers of this one function.
 */
int64_t bnn_probe_xorpopc__avx2(const uint64_t *a, const uint64_t *b, int64_t words,
				int64_t reps)
{
	return bnn_probe_xorpopc__avx2_hs(a, b, words, reps);
}

/* ---- FP32 FMA ---- */

/*
 * 12 independent chains of acc = acc * m + c, 256-bit FMA: latency 4 on 2
 * pipes needs 8 in flight (Zen 3/4, Haswell to Ice Lake); 12 + the two
 * constants fit the 16 ymm registers. The fixed point c / (1 - m) = 1
 * keeps every value normal.
 */
double bnn_probe_fma__avx2(int64_t reps)
{
	const __m256 m = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(0.0001f);
	const __m256 step = _mm256_set1_ps(0.08f);
	__m256 x0 = _mm256_setr_ps(0.00f, 0.01f, 0.02f, 0.03f, 0.04f, 0.05f, 0.06f, 0.07f);
	__m256 x1 = _mm256_add_ps(x0, step), x2 = _mm256_add_ps(x1, step);
	__m256 x3 = _mm256_add_ps(x2, step), x4 = _mm256_add_ps(x3, step);
	__m256 x5 = _mm256_add_ps(x4, step), x6 = _mm256_add_ps(x5, step);
	__m256 x7 = _mm256_add_ps(x6, step), x8 = _mm256_add_ps(x7, step);
	__m256 x9 = _mm256_add_ps(x8, step), x10 = _mm256_add_ps(x9, step);
	__m256 x11 = _mm256_add_ps(x10, step);
	for (int64_t r = 0; r < reps; r++) {
		x0 = _mm256_fmadd_ps(x0, m, c);
		x1 = _mm256_fmadd_ps(x1, m, c);
		x2 = _mm256_fmadd_ps(x2, m, c);
		x3 = _mm256_fmadd_ps(x3, m, c);
		x4 = _mm256_fmadd_ps(x4, m, c);
		x5 = _mm256_fmadd_ps(x5, m, c);
		x6 = _mm256_fmadd_ps(x6, m, c);
		x7 = _mm256_fmadd_ps(x7, m, c);
		x8 = _mm256_fmadd_ps(x8, m, c);
		x9 = _mm256_fmadd_ps(x9, m, c);
		x10 = _mm256_fmadd_ps(x10, m, c);
		x11 = _mm256_fmadd_ps(x11, m, c);
	}
	__m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3)),
				 _mm256_add_ps(_mm256_add_ps(x4, x5), _mm256_add_ps(x6, x7)));
	s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(x8, x9), _mm256_add_ps(x10, x11)));
	__m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
	h = _mm_add_ps(h, _mm_movehl_ps(h, h));
	h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
	return (double)_mm_cvtss_f32(h);
}
