/* Portable packed XOR-popcount GEMM and the GEMM template (doc/bnn-math.md section 2). */
#include <errno.h>
#include <stdlib.h>
#include "generic.h"
#include "popcount.h"
#include "parallel.h"

/* Four columns at a time so each A word is loaded once per four outputs
 * (popcount.h: bnn_popc_xor_1x4, one of the generic probe's loops). */
void bnn_bgemm_xor_popc__generic(const uint64_t *a, const uint64_t *b, int64_t m, int64_t n,
				 int64_t k, int64_t wpr, int32_t *c)
{
	for (int64_t i = 0; i < m; i++) {
		const uint64_t *ai = a + i * wpr;
		int32_t *ci = c + i * n;
		int64_t j = 0;
		for (; j + 4 <= n; j += 4) {
			const uint64_t *b0 = b + j * wpr;
			int64_t p[4];
			bnn_popc_xor_1x4(ai, b0, b0 + wpr, b0 + 2 * wpr, b0 + 3 * wpr, wpr, p);
			for (int q = 0; q < 4; q++)
				ci[j + q] = (int32_t)(k - 2 * p[q]);
		}
		for (; j < n; j++)
			ci[j] = (int32_t)(k - 2 * bnn_popc_xor(ai, b + j * wpr, wpr));
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

typedef struct {
	bnn_gemm_state_t *st;
	int32_t *c;
} gemm_job_t;

/* Rows [i0, i1) of C: the impl's GEMM on that slice of A. */
static void gemm_rows(void *vjob, int64_t i0, int64_t i1, int tid)
{
	gemm_job_t *j = vjob;
	bnn_gemm_state_t *st = j->st;
	(void)tid;
	st->impl->gemm(st->a + i0 * st->wpr, st->b, i1 - i0, st->s.n, st->s.k, st->wpr,
		       j->c + i0 * st->s.n);
}

int bnn_gemm_run(void *state, void *out)
{
	gemm_job_t job = { state, out };
	bnn_parallel_for(job.st->s.m, 4, gemm_rows, &job);
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
