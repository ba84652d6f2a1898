/* Portable sign-and-pack (spec section 1). */
#include "generic.h"

void bnn_pack_rows__generic(const float *x, int64_t rows, int64_t len, int64_t ld,
			    uint64_t *out, int64_t words_per_row)
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
			for (int64_t i = 0; i < cnt; i++)
				word |= (uint64_t)(row[base + i] < 0.0f) << i;
			dst[wi] = word;
		}
	}
}

void bnn_pack_rsign__generic(const float *x, const float *shift, int64_t rows, int64_t len,
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
			for (int64_t i = 0; i < cnt; i++)
				word |= (uint64_t)(row[base + i] + shift[base + i] < 0.0f) << i;
			dst[wi] = word;
		}
	}
}
