/*
 * AVX-512 peak probes (kernels/probe.h), compiled with -mavx512f
 * -mavx512bw -mavx512vpopcntdq -mavx512vl -mpopcnt -mfma. Run only where
 * bnn_isa_available(BNN_ISA_AVX512) says so (Ice Lake and later, Zen 4).
 * The XOR-popcount probe is also built against SIMDe (__avx512emu, never
 * timed), so tests/test_probe checks its count here too.
 */
#include "avx512.h"
#include "intrin.h"
#include "xpc_kernel.h"
#include "probe.h"

#if defined(__GNUC__)
#define PROBE_BARRIER() __asm__ volatile("" ::: "memory")
#else
#define PROBE_BARRIER() ((void)0)
#endif

/*
 * The GEMM's own 4x4 tile (xpc_kernel.h), on the probe's rows (row r at
 * a + r*words, so steps 8 words apart): 16 accumulators of 64-bit lanes,
 * 4 a vectors and 1 b vector; per 512-bit step 8 loads feed 16 XOR +
 * VPOPCNTQ + ADD. Words past the last whole step are the GEMM's masked
 * tail step, whose zeroed lanes count nothing; each rep ends with the
 * tile's reduction, as each tile of the GEMM does.
 */
int64_t BNN_A512(bnn_probe_xorpopc)(const uint64_t *a, const uint64_t *b, int64_t words,
				    int64_t reps)
{
	const int64_t full = words / 8;
	const bnn_mask8_t tk = bnn_mask8_low(words % 8);
	int64_t total = 0;
	for (int64_t r = 0; r < reps; r++) {
		__m512i r01, r23;
		bnn_a512_tile_4x4(a, b, words, 8, full, a + full * 8, b + full * 8, words, tk, &r01,
				  &r23);
		total += _mm512_reduce_add_epi64(_mm512_add_epi64(r01, r23));
		PROBE_BARRIER();
	}
	return total;
}

/* The FMA probe measures the hardware: no emulated build of it. */
#ifndef BNN_AVX512_EMULATED

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

#endif /* BNN_AVX512_EMULATED */
