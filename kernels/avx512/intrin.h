/*
 * intrin.h: the AVX-512 intrinsics the kernels of this folder use, native
 * or emulated.
 *
 * Native (the libbnnkern_avx512.a build, -mavx512f -mavx512bw -mavx512vl
 * -mavx512vpopcntdq): <immintrin.h>, nothing else.
 *
 * Emulated (BNN_AVX512_EMULATED, the libbnnkern_avx512emu.a build, no ISA
 * flags): the same source compiled against SIMDe's portable
 * implementations, so that the kernels' logic (tiling, tails, masks,
 * reductions) is checked by the conformance suite on a machine without
 * AVX-512. The function names then end in __avx512emu (BNN_A512), so both
 * builds link into one program. SIMDe 0.7.4 (Debian 12) lacks the masked
 * loads and the reductions; they are written here, reading only the lanes
 * the mask selects, as the instructions do (a full-width load past the end
 * of a row would be an out-of-bounds read that the hardware never makes).
 */
#ifndef BNN_AVX512_INTRIN_H
#define BNN_AVX512_INTRIN_H

#include <stdint.h>
#include <string.h>

#ifndef BNN_AVX512_EMULATED

#include <immintrin.h>
typedef __mmask8 bnn_mask8_t;
typedef __mmask16 bnn_mask16_t;
#define BNN_A512(f) f##__avx512
/* A non-temporal store of 64 aligned bytes, and the fence that orders a
 * thread's such stores before its later ones. */
#define bnn_stream_si512(p, v) _mm512_stream_si512((void *)(p), v)
#define bnn_sfence() _mm_sfence()

#else /* BNN_AVX512_EMULATED */

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <assert.h>
#include <simde/x86/avx512.h>
typedef simde__mmask8 bnn_mask8_t;
typedef simde__mmask16 bnn_mask16_t;
#define BNN_A512(f) f##__avx512emu
/* Plain stores here (SIMDe has no non-temporal store): the same results. */
#define bnn_stream_si512(p, v) simde_mm512_storeu_si512((void *)(p), v)
#define bnn_sfence() ((void)0)

/* Zero-masked loads: lane i read from p only when bit i of k is set. */
static inline simde__m512i bnn_emu_maskz_loadu_epi64(simde__mmask8 k, const void *p)
{
	int64_t v[8] = { 0 };
	for (int i = 0; i < 8; i++)
		if ((k >> i) & 1)
			memcpy(&v[i], (const char *)p + 8 * i, 8);
	return simde_mm512_loadu_si512(v);
}

static inline simde__m512 bnn_emu_maskz_loadu_ps(simde__mmask16 k, const void *p)
{
	float v[16] = { 0 };
	for (int i = 0; i < 16; i++)
		if ((k >> i) & 1)
			memcpy(&v[i], (const char *)p + 4 * i, 4);
	return simde_mm512_loadu_ps(v);
}

static inline int64_t bnn_emu_reduce_add_epi64(simde__m512i a)
{
	int64_t v[8], s = 0;
	simde_mm512_storeu_si512(v, a);
	for (int i = 0; i < 8; i++)
		s += v[i];
	return s;
}

/* The aligned load faults on hardware when p is not 64-byte aligned;
 * SIMDe's would not, so the emulation asserts it (only a bug breaks it). */
static inline simde__m512i bnn_emu_load_si512(const void *p)
{
	assert((uintptr_t)p % 64 == 0);
	return simde_mm512_loadu_si512(p);
}
#undef _mm512_load_si512
#define _mm512_load_si512(p) bnn_emu_load_si512(p)

#ifndef _mm512_maskz_loadu_epi64
#define _mm512_maskz_loadu_epi64(k, p) bnn_emu_maskz_loadu_epi64((k), (p))
#endif
#ifndef _mm512_maskz_loadu_ps
#define _mm512_maskz_loadu_ps(k, p) bnn_emu_maskz_loadu_ps((k), (p))
#endif
#ifndef _mm512_reduce_add_epi64
#define _mm512_reduce_add_epi64(a) bnn_emu_reduce_add_epi64(a)
#endif

#endif /* BNN_AVX512_EMULATED */

/* The mask of the low n lanes, 0 <= n <= 8 (16). */
static inline bnn_mask8_t bnn_mask8_low(int64_t n)
{
	return (bnn_mask8_t)(n >= 8 ? 0xffu : (1u << n) - 1);
}

static inline bnn_mask16_t bnn_mask16_low(int64_t n)
{
	return (bnn_mask16_t)(n >= 16 ? 0xffffu : (1u << n) - 1);
}

#endif
