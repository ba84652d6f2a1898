/* Portable packed XOR-popcount GEMM and the GEMM template (spec section 2). */
#include <errno.h>
#include <stdlib.h>
#include "generic.h"

static inline int64_t popc_xor(const uint64_t *x, const uint64_t *y, int64_t words)
{
	int64_t p = 0;
	for (int64_t w = 0; w < words; w++)
		p += __builtin_popcountll(x[w] ^ y[w]);
	return p;
}

/* Four columns at a time so each A word is loaded once per four outputs. */
void bnn_bgemm_xor_popc__generic(const uint64_t *a, const uint64_t *b, int64_t m, int64_t n,
				 int64_t k, int64_t wpr, int32_t *c)
{
	for (int64_t i = 0; i < m; i++) {
		const uint64_t *ai = a + i * wpr;
		int32_t *ci = c + i * n;
		int64_t j = 0;
		for (; j + 4 <= n; j += 4) {
			const uint64_t *b0 = b + j * wpr, *b1 = b0 + wpr, *b2 = b1 + wpr,
				       *b3 = b2 + wpr;
			int64_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
			for (int64_t w = 0; w < wpr; w++) {
				uint64_t x = ai[w];
				p0 += __builtin_popcountll(x ^ b0[w]);
				p1 += __builtin_popcountll(x ^ b1[w]);
				p2 += __builtin_popcountll(x ^ b2[w]);
				p3 += __builtin_popcountll(x ^ b3[w]);
			}
			ci[j] = (int32_t)(k - 2 * p0);
			ci[j + 1] = (int32_t)(k - 2 * p1);
			ci[j + 2] = (int32_t)(k - 2 * p2);
			ci[j + 3] = (int32_t)(k - 2 * p3);
		}
		for (; j < n; j++)
			ci[j] = (int32_t)(k - 2 * popc_xor(ai, b + j * wpr, wpr));
	}
}

int bnn_gemm_prepare_with(const bnn_gemm_impl_t *impl, const bnn_op_desc_t *d,
			  const bnn_inputs_t *in, void **state)
{
	bnn_gemm_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->impl = impl;
	st->s = d->gemm;
	st->wpr = bnn_words(d->gemm.k);
	st->a = malloc((size_t)st->s.m * (size_t)st->wpr * sizeof(uint64_t));
	st->b = malloc((size_t)st->s.n * (size_t)st->wpr * sizeof(uint64_t));
	if (!st->a || !st->b) {
		bnn_gemm_release(st);
		return -ENOMEM;
	}
	impl->pack(in->a, st->s.m, st->s.k, st->s.k, st->a, st->wpr);
	impl->pack(in->b, st->s.n, st->s.k, st->s.k, st->b, st->wpr);
	*state = st;
	return 0;
}

int bnn_gemm_run(void *state, void *out)
{
	bnn_gemm_state_t *st = state;
	st->impl->gemm(st->a, st->b, st->s.m, st->s.n, st->s.k, st->wpr, out);
	return 0;
}

void bnn_gemm_release(void *state)
{
	bnn_gemm_state_t *st = state;
	if (!st)
		return;
	free(st->a);
	free(st->b);
	free(st);
}
