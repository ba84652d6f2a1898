/* Portable sign-and-pack (doc/bnn-math.md section 1), and RSign fused into it (section 6). */
#include "generic.h"

/* bit i = (x[i] + shift[i] < 0), or (x[i] < 0) without a shift; inlined
 * into both callers, so the test on shift leaves the inner loop. */
static inline void pack(const float *x, const float *shift, int64_t rows, int64_t len,
			int64_t ld, uint64_t *out, int64_t words_per_row)
{
	for (int64_t r = 0; r < rows; r++) {
		const float *row = x + r * ld;
		uint64_t *dst = out + r * words_per_row;
		for (int64_t wi = 0; wi < words_per_row; wi++) {
			int64_t base = wi * BNN_WORD_BITS;
			int64_t cnt = len - base;
			uint64_t word = 0;
			if (cnt > BNN_WORD_BITS)
				cnt = BNN_WORD_BITS;
			for (int64_t i = 0; i < cnt; i++) {
				float v = shift ? row[base + i] + shift[base + i] : row[base + i];
				word |= (uint64_t)(v < 0.0f) << i;
			}
			dst[wi] = word;
		}
	}
}

void bnn_pack_rows__generic(const float *x, int64_t rows, int64_t len, int64_t ld,
			    uint64_t *out, int64_t words_per_row)
{
	pack(x, NULL, rows, len, ld, out, words_per_row);
}

void bnn_pack_rsign__generic(const float *x, const float *shift, int64_t rows, int64_t len,
			     int64_t ld, uint64_t *out, int64_t words_per_row)
{
	pack(x, shift, rows, len, ld, out, words_per_row);
}
