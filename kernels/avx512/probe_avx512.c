/*
 * AVX-512 peak probes (kernels/probe.h), compiled with -mavx512f
 * -mavx512bw -mavx512vpopcntdq -mavx512vl -mpopcnt -mfma. Run only where
 * bnn_isa_available(BNN_ISA_AVX512) says so (Ice Lake and later, Zen 4).
 */
#include <immintrin.h>
#include "probe.h"

#if defined(__GNUC__)
#define PROBE_BARRIER() __asm__ volatile("" ::: "memory")
#else
#define PROBE_BARRIER() ((void)0)
#endif

#define XPC(acc, x, y) acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(x, y)))

/*
 * The full 4x4 tile: 16 accumulators of 64-bit lanes (VPOPCNTQ counts
 * whole qwords, so nothing needs flushing), 4 a vectors and 1 b vector in
 * the 32 zmm registers; per 512-bit step 8 loads feed 16 XOR + VPOPCNTQ +
 * ADD. The last step under 8 words uses masked loads, whose zeroed lanes
 * XOR to zero and count nothing.
 */
int64_t bnn_probe_xorpopc__avx512(const uint64_t *a, const uint64_t *b, int64_t words,
				  int64_t reps)
{
	const uint64_t *a0 = a, *a1 = a + words, *a2 = a + 2 * words, *a3 = a + 3 * words;
	const uint64_t *b0 = b, *b1 = b + words, *b2 = b + 2 * words, *b3 = b + 3 * words;
	int64_t total = 0;
	for (int64_t r = 0; r < reps; r++) {
		__m512i c00 = _mm512_setzero_si512(), c01 = c00, c02 = c00, c03 = c00;
		__m512i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
		__m512i c20 = c00, c21 = c00, c22 = c00, c23 = c00;
		__m512i c30 = c00, c31 = c00, c32 = c00, c33 = c00;
		for (int64_t w = 0; w < words; w += 8) {
			__mmask8 k = words - w >= 8 ? (__mmask8)0xff
						    : (__mmask8)((1u << (words - w)) - 1);
			__m512i x0 = _mm512_maskz_loadu_epi64(k, a0 + w);
			__m512i x1 = _mm512_maskz_loadu_epi64(k, a1 + w);
			__m512i x2 = _mm512_maskz_loadu_epi64(k, a2 + w);
			__m512i x3 = _mm512_maskz_loadu_epi64(k, a3 + w);
			__m512i y = _mm512_maskz_loadu_epi64(k, b0 + w);
			XPC(c00, x0, y);
			XPC(c10, x1, y);
			XPC(c20, x2, y);
			XPC(c30, x3, y);
			y = _mm512_maskz_loadu_epi64(k, b1 + w);
			XPC(c01, x0, y);
			XPC(c11, x1, y);
			XPC(c21, x2, y);
			XPC(c31, x3, y);
			y = _mm512_maskz_loadu_epi64(k, b2 + w);
			XPC(c02, x0, y);
			XPC(c12, x1, y);
			XPC(c22, x2, y);
			XPC(c32, x3, y);
			y = _mm512_maskz_loadu_epi64(k, b3 + w);
			XPC(c03, x0, y);
			XPC(c13, x1, y);
			XPC(c23, x2, y);
			XPC(c33, x3, y);
		}
		/* The probe needs only the total; a GEMM would reduce each. */
		__m512i s = _mm512_add_epi64(_mm512_add_epi64(_mm512_add_epi64(c00, c01),
							      _mm512_add_epi64(c02, c03)),
					     _mm512_add_epi64(_mm512_add_epi64(c10, c11),
							      _mm512_add_epi64(c12, c13)));
		s = _mm512_add_epi64(s, _mm512_add_epi64(_mm512_add_epi64(_mm512_add_epi64(c20, c21),
									  _mm512_add_epi64(c22, c23)),
							 _mm512_add_epi64(_mm512_add_epi64(c30, c31),
									  _mm512_add_epi64(c32, c33))));
		total += _mm512_reduce_add_epi64(s);
		PROBE_BARRIER();
	}
	return total;
}

#undef XPC

#define STEP(x) x = _mm512_fmadd_ps(x, m, c)

/*
 * 24 independent chains of acc = acc * m + c, 512-bit FMA: latency 4 on up
 * to 2 FMA ports needs 8; 24 leaves margin for parts with longer latency,
 * in 26 of the 32 zmm registers. Fixed point 1 keeps values normal.
 */
double bnn_probe_fma__avx512(int64_t reps)
{
	const __m512 m = _mm512_set1_ps(0.9999f), c = _mm512_set1_ps(0.0001f);
	const __m512 step = _mm512_set1_ps(0.001f);
	__m512 x0 = _mm512_set1_ps(0.0f), x1 = _mm512_add_ps(x0, step);
	__m512 x2 = _mm512_add_ps(x1, step), x3 = _mm512_add_ps(x2, step);
	__m512 x4 = _mm512_add_ps(x3, step), x5 = _mm512_add_ps(x4, step);
	__m512 x6 = _mm512_add_ps(x5, step), x7 = _mm512_add_ps(x6, step);
	__m512 x8 = _mm512_add_ps(x7, step), x9 = _mm512_add_ps(x8, step);
	__m512 x10 = _mm512_add_ps(x9, step), x11 = _mm512_add_ps(x10, step);
	__m512 x12 = _mm512_add_ps(x11, step), x13 = _mm512_add_ps(x12, step);
	__m512 x14 = _mm512_add_ps(x13, step), x15 = _mm512_add_ps(x14, step);
	__m512 x16 = _mm512_add_ps(x15, step), x17 = _mm512_add_ps(x16, step);
	__m512 x18 = _mm512_add_ps(x17, step), x19 = _mm512_add_ps(x18, step);
	__m512 x20 = _mm512_add_ps(x19, step), x21 = _mm512_add_ps(x20, step);
	__m512 x22 = _mm512_add_ps(x21, step), x23 = _mm512_add_ps(x22, step);
	for (int64_t r = 0; r < reps; r++) {
		STEP(x0); STEP(x1); STEP(x2); STEP(x3); STEP(x4); STEP(x5);
		STEP(x6); STEP(x7); STEP(x8); STEP(x9); STEP(x10); STEP(x11);
		STEP(x12); STEP(x13); STEP(x14); STEP(x15); STEP(x16); STEP(x17);
		STEP(x18); STEP(x19); STEP(x20); STEP(x21); STEP(x22); STEP(x23);
	}
	__m512 s0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x0, x1), _mm512_add_ps(x2, x3)),
				  _mm512_add_ps(_mm512_add_ps(x4, x5), _mm512_add_ps(x6, x7)));
	__m512 s1 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x8, x9), _mm512_add_ps(x10, x11)),
				  _mm512_add_ps(_mm512_add_ps(x12, x13), _mm512_add_ps(x14, x15)));
	__m512 s2 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x16, x17), _mm512_add_ps(x18, x19)),
				  _mm512_add_ps(_mm512_add_ps(x20, x21), _mm512_add_ps(x22, x23)));
	return (double)_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), s2));
}

#undef STEP
