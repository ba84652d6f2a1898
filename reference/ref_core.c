/*
 * ref_core.c: the sign rule, the bit encoding and the +-1 GEMM
 * (doc/bnn-math.md, sections 1 and 2).
 */
#include <assert.h>

#include <stdio.h>
#include <stdlib.h>
#include "bnn_ref.h"

/*
 * sign(x) = +1 if x >= 0 else -1. The comparison is IEEE, so -0.0 < 0 is
 * false and gives +1, as the spec requires. The harness rejects NaN inputs
 * before any reference or kernel sees them (harness/check.h, the input
 * rule); a NaN that still arrives gives +1, as in every kernel.
 */
float bnn_ref_sign(float x)
{
	/* -1 only for x < 0: a NaN, which the harness rejects in inputs but an
	 * overflowing intermediate could still make, gives +1, as in every
	 * kernel (they pack bit = x < 0) and the ReActNet reference. */
	return x < 0.0f ? -1.0f : 1.0f;
}

/*
 * Written as the bit of bnn_ref_sign rather than as (x < 0): the two agree on
 * every number (including -0.0, which gives bit 0), and writing it this way
 * keeps them in agreement on NaN too (bit 0, value +1).
 */
int bnn_ref_bit(float x)
{
	return bnn_ref_sign(x) < 0.0f;
}

/*
 * Every word of every row is cleared first, so the spare bits of the last
 * word and any whole words past bnn_words(len) are 0.
 * words_per_row must be at least bnn_words(len).
 */
void bnn_ref_pack(const float *x, int64_t rows, int64_t len, uint64_t *out,
		  int64_t words_per_row)
{
	assert(words_per_row >= bnn_words(len));

	for (int64_t r = 0; r < rows; r++) {
		const float *xr = x + r * len;
		uint64_t *row = out + r * words_per_row;

		for (int64_t i = 0; i < words_per_row; i++)
			row[i] = 0;
		for (int64_t i = 0; i < len; i++) {
			if (bnn_ref_bit(xr[i]))
				row[i / BNN_WORD_BITS] |= (uint64_t)1 << (i % BNN_WORD_BITS);
		}
	}
}

/* Reads only the len true bits of each row; spare bits are not looked at. */
void bnn_ref_unpack(const uint64_t *in, int64_t rows, int64_t len,
		    int64_t words_per_row, float *x)
{
	assert(words_per_row >= bnn_words(len));

	for (int64_t r = 0; r < rows; r++) {
		const uint64_t *row = in + r * words_per_row;
		float *xr = x + r * len;

		for (int64_t i = 0; i < len; i++) {
			uint64_t bit = (row[i / BNN_WORD_BITS] >> (i % BNN_WORD_BITS)) & 1;

			xr[i] = bit ? -1.0f : 1.0f;
		}
	}
}

/*
 * The accumulator is a float on purpose: the spec states float
 * accumulation, and a sum of +-1 terms stays an exact integer in a float
 * while k < 2^24.
 */
/* Writes sign(x[i]) for n values into out. */
static void bnn_ref_signs(const float *x, int64_t n, float *out)
{
	for (int64_t i = 0; i < n; i++)
		out[i] = bnn_ref_sign(x[i]);
}

/*
 * The rows are binarized once into +-1 copies; the dot products then use
 * eight partial sums, which only changes the order of the additions: every
 * partial sum is an integer below 2^24, so the float result is exact in
 * any order, and the loop runs several times faster.
 */
void bnn_ref_bgemm(const bnn_gemm_shape_t *s, const float *a, const float *b, float *c)
{
	float *sb = malloc((size_t)(s->n * s->k) * sizeof(float));
	if (!sb) {
		fprintf(stderr, "bnn_ref_bgemm: out of memory\n");
		abort();
	}
	bnn_ref_signs(b, s->n * s->k, sb);
	bnn_ref_bgemm_signed_b(s, a, sb, c);
	free(sb);
}

void bnn_ref_bgemm_signed_b(const bnn_gemm_shape_t *s, const float *a, const float *sb,
			    float *c)
{
	float *sa = malloc((size_t)s->k * sizeof(float));
	if (!sa) {
		fprintf(stderr, "bnn_ref_bgemm: out of memory\n");
		abort();
	}
	for (int64_t i = 0; i < s->m; i++) {
		bnn_ref_signs(a + i * s->k, s->k, sa);
		for (int64_t j = 0; j < s->n; j++) {
			const float *bj = sb + j * s->k;
			float part[8] = { 0 };
			int64_t p = 0;
			for (; p + 8 <= s->k; p += 8)
				for (int q = 0; q < 8; q++)
					part[q] += sa[p + q] * bj[p + q];
			for (; p < s->k; p++)
				part[0] += sa[p] * bj[p];
			float acc = 0.0f;
			for (int q = 0; q < 8; q++)
				acc += part[q];
			c[i * s->n + j] = acc;
		}
	}
	free(sa);
}
