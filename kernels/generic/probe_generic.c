/*
 * Portable peak probes (kernels/probe.h): compiled with no ISA flags, so
 * what they measure is what the generic kernels can reach at best.
 */
#include "probe.h"
#include "popcount.h"

/*
 * Keeps the compiler from merging or hoisting repetitions of a loop whose
 * inputs do not change: it must assume memory changed. Costs nothing at
 * run time.
 */
#if defined(__GNUC__)
#define PROBE_BARRIER() __asm__ volatile("" ::: "memory")
#else
#define PROBE_BARRIER() ((void)0)
#endif

/*
 * The generic XOR-popcount probe is the fastest of several portable loops
 * (machine/peak.c times every one and takes the best, as for AVX2), since
 * no single loop is fastest under every compiler: GCC 12 at -O2 turns the
 * fixed 8- and 16-word blocks below into SSE2 code (two words per
 * instruction, baseline x86-64), and leaves the 1x4 loop scalar.
 */

/* 1x4: one row of a against the four rows of b at a time, with the generic
 * bgemm's own inner loop (popcount.h, bnn_popc_xor_1x4). */
int64_t bnn_probe_xorpopc__generic_1x4(const uint64_t *a, const uint64_t *b, int64_t words,
				       int64_t reps)
{
	int64_t total = 0;
	for (int64_t r = 0; r < reps; r++) {
		for (int i = 0; i < BNN_PROBE_ROWS; i++) {
			int64_t p[4];
			bnn_popc_xor_1x4(a + i * words, b, b + words, b + 2 * words, b + 3 * words,
					 words, p);
			total += p[0] + p[1] + p[2] + p[3];
		}
		PROBE_BARRIER();
	}
	return total;
}

/* 8w: one pair at a time, one horizontal sum per 8 words, with the generic
 * conv's, ReActNet block's and example GEMM's inner loop (popcount.h,
 * bnn_popc_xor). */
int64_t bnn_probe_xorpopc__generic_8w(const uint64_t *a, const uint64_t *b, int64_t words,
				      int64_t reps)
{
	int64_t total = 0;
	for (int64_t r = 0; r < reps; r++) {
		for (int i = 0; i < BNN_PROBE_ROWS; i++)
			for (int j = 0; j < BNN_PROBE_ROWS; j++)
				total += bnn_popc_xor(a + i * words, b + j * words, words);
		PROBE_BARRIER();
	}
	return total;
}

/* 16w: as 8w with a horizontal sum per 16 words (a byte counter holds 16
 * words' counts, at most 128): no kernel's loop, the fastest portable one
 * found (words = 256, gcc 12 -O2, zen4-vm: 1x4 0.133, 8w 0.214, 16w 0.230
 * TOPS on one thread, best of 300 x 20 reps). */
int64_t bnn_probe_xorpopc__generic_16w(const uint64_t *a, const uint64_t *b, int64_t words,
				       int64_t reps)
{
	int64_t total = 0;
	for (int64_t r = 0; r < reps; r++) {
		for (int i = 0; i < BNN_PROBE_ROWS; i++)
			for (int j = 0; j < BNN_PROBE_ROWS; j++) {
				const uint64_t *x = a + i * words, *y = b + j * words;
				int64_t w = 0;
				for (; w + 16 <= words; w += 16) {
					uint64_t acc = 0;
					for (int k = 0; k < 16; k++)
						acc += bnn_popc_bytes(x[w + k] ^ y[w + k]);
					total += bnn_popc_hsum(acc);
				}
				uint64_t acc = 0;
				for (; w < words; w++)
					acc += bnn_popc_bytes(x[w] ^ y[w]);
				total += bnn_popc_hsum(acc);
			}
		PROBE_BARRIER();
	}
	return total;
}

/* The fastest of the three where it was written (the 16w comment). */
int64_t bnn_probe_xorpopc__generic(const uint64_t *a, const uint64_t *b, int64_t words,
				   int64_t reps)
{
	return bnn_probe_xorpopc__generic_16w(a, b, words, reps);
}

/*
 * 12 independent chains of acc = acc * m + c on 4-float vectors. GCC and
 * Clang's vector extension keeps the 12 chains in registers as SSE2 (or
 * NEON) vectors, the portable peak: a plain float array was kept on the
 * stack by GCC 12, one store-to-load round trip per update. A multiply then
 * an add is about 6 cycles of latency on 2 + 2 pipes, which 12 chains cover
 * in 14 registers. Without ISA flags there is no FMA: a multiply and an
 * add, still 2 FLOPs. The fixed point c / (1 - m) = 1 keeps every value
 * normal.
 */
#if defined(__GNUC__)
typedef float v4f_t __attribute__((vector_size(16)));
#define STEP(v) v = v * m + c
double bnn_probe_fma__generic(int64_t reps)
{
	const v4f_t m = { 0.9999f, 0.9999f, 0.9999f, 0.9999f };
	const v4f_t c = { 0.0001f, 0.0001f, 0.0001f, 0.0001f };
	v4f_t x0 = { 0.00f, 0.01f, 0.02f, 0.03f }, x1 = x0 + 0.04f, x2 = x1 + 0.04f,
	      x3 = x2 + 0.04f, x4 = x3 + 0.04f, x5 = x4 + 0.04f, x6 = x5 + 0.04f,
	      x7 = x6 + 0.04f, x8 = x7 + 0.04f, x9 = x8 + 0.04f, x10 = x9 + 0.04f,
	      x11 = x10 + 0.04f;
	for (int64_t r = 0; r < reps; r++) {
		STEP(x0); STEP(x1); STEP(x2); STEP(x3); STEP(x4); STEP(x5);
		STEP(x6); STEP(x7); STEP(x8); STEP(x9); STEP(x10); STEP(x11);
	}
	v4f_t s = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
	return (double)s[0] + (double)s[1] + (double)s[2] + (double)s[3];
}
#undef STEP
#else
/* Other compilers: the same 48 chains as a plain array. */
double bnn_probe_fma__generic(int64_t reps)
{
	float acc[48];
	for (int j = 0; j < 48; j++)
		acc[j] = 0.01f * (float)j;
	for (int64_t r = 0; r < reps; r++)
		for (int j = 0; j < 48; j++)
			acc[j] = acc[j] * 0.9999f + 0.0001f;
	double sum = 0.0;
	for (int j = 0; j < 48; j++)
		sum += acc[j];
	return sum;
}
#endif

double bnn_probe_triad(float *a, const float *b, const float *c, size_t n, int64_t reps)
{
	float *restrict pa = a;   /* the contract: no overlap */
	const float *restrict pb = b, *restrict pc = c;
	const float s = BNN_PROBE_TRIAD_SCALAR;
	for (int64_t r = 0; r < reps; r++) {
		for (size_t i = 0; i < n; i++)
			pa[i] = pb[i] + s * pc[i];
		PROBE_BARRIER();
	}
	return n ? (double)a[0] + (double)a[n - 1] : 0.0;
}
