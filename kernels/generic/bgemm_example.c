/*
 * bgemm_xor_popc__example_1x1: the smallest complete kernel, kept in the
 * table as the worked example of doc/adding-a-kernel.md. It is checked
 * against the golden reference and timed like every entry, so the guide
 * that quotes it cannot go stale.
 *
 * Algorithm: binary GEMM by XOR and popcount. Each row of A (m x k) and of
 * B (n x k) is packed into 64-bit words, bit 1 for a negative element, so
 * +0.0 and -0.0 both pack as +1 (sign(0) = +1, as the reference defines
 * it). With a and b the packed rows of A_i and B_j, every output is
 *
 *     C[i][j] = sum over t of sign(A[i][t]) * sign(B[j][t])
 *             = k - 2 * popcount(a XOR b)
 *
 * since equal signs give +1 and different ones -1. The spare bits past k
 * in the last word are 0 in both rows, so their XOR is 0 and never counts.
 *
 * Blocking: none. One output at a time, one thread: for reading, not for a
 * record (bgemm_xor_popc__generic is the portable kernel to time).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "generic.h"
#include "popcount.h"

/* What prepare packs and run reads; owned by the kernel until release. */
typedef struct {
	int64_t m, n, k;   /* C is m x n; each dot product is k long */
	int64_t words;     /* 64-bit words per packed row: ceil(k / 64) */
	uint64_t *a;       /* m packed rows of A, words apart */
	uint64_t *b;       /* n packed rows of B, words apart */
} example_state_t;

/* Packs rows rows of len floats from x into out, words words per row:
 * bit j % 64 of word j / 64 is 1 when x[j] < 0 (so -0.0 packs as 0). */
static void pack_signs(const float *x, int64_t rows, int64_t len, int64_t words,
		       uint64_t *out)
{
	for (int64_t r = 0; r < rows; r++) {
		uint64_t *w = out + r * words;
		for (int64_t i = 0; i < words; i++)
			w[i] = 0;
		for (int64_t j = 0; j < len; j++)
			if (x[r * len + j] < 0.0f)
				w[j / 64] |= (uint64_t)1 << (j % 64);
	}
}

/* See generic.h. Frees what prepare took; state may be NULL. */
void bnn_bgemm_release__example(void *state)
{
	example_state_t *st = state;
	if (!st)
		return;
	free(st->a);
	free(st->b);
	free(st);
}

/* See generic.h. Untimed: packs A and B, as a deployment packs weights
 * ahead of time. Returns 0 and *state, or -ENOMEM with nothing held. */
int bnn_bgemm_prepare__example(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	example_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->m = d->gemm.m;
	st->n = d->gemm.n;
	st->k = d->gemm.k;
	st->words = bnn_words(st->k);
	st->a = malloc((size_t)st->m * (size_t)st->words * sizeof(uint64_t));
	st->b = malloc((size_t)st->n * (size_t)st->words * sizeof(uint64_t));
	if (!st->a || !st->b) {
		bnn_bgemm_release__example(st);
		return -ENOMEM;
	}
	pack_signs(in->a, st->m, st->k, st->words, st->a);
	pack_signs(in->b, st->n, st->k, st->words, st->b);
	*state = st;
	return 0;
}

/* See generic.h. Timed: writes all m x n int32 outputs of C (row-major) into
 * out, from the packed rows only; repeatable. Returns 0. */
int bnn_bgemm_run__example(void *state, void *out)
{
	const example_state_t *st = state;
	int32_t *c = out;
	for (int64_t i = 0; i < st->m; i++)
		for (int64_t j = 0; j < st->n; j++) {
			int64_t differ = bnn_popc_xor(st->a + i * st->words,
						      st->b + j * st->words, st->words);
			c[i * st->n + j] = (int32_t)(st->k - 2 * differ);
		}
	return 0;
}
