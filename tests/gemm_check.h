/*
 * gemm_check.h: the exact check of one device-resident GEMM entry (a CUDA
 * kernel or a GPU peer, with a fetch hook) against the float reference,
 * shared by tests/test_cuda.c and tests/test_cuda_peers.c.
 *
 * The check: seeded +-1-valued data with exact +0.0 and -0.0 (both
 * binarize to +1, doc/bnn-math.md section 1); prepare; fetch before any run must show
 * the poison (no element equal to the reference, so a kernel that writes
 * nothing cannot pass); then run and fetch twice (runs must be repeatable),
 * each time over a host buffer filled with another pattern, and every
 * element equal to the reference (binary GEMM is exact, doc/bnn-math.md section 2).
 */
#ifndef BNN_TEST_GEMM_CHECK_H
#define BNN_TEST_GEMM_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "bnn_ref.h"

/* Deterministic values in [-1, 1), with exact +0.0 and -0.0. */
static inline void gc_fill(float *x, int64_t n, uint64_t seed)
{
	for (int64_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(seed >> 33);
		x[i] = r % 17 == 0 ? 0.0f : r % 19 == 0 ? -0.0f
			: (float)((int32_t)(r % 2001) - 1000) / 1000.0f;
	}
}

static inline void gc_desc(bnn_op_desc_t *d, int64_t m, int64_t n, int64_t k)
{
	memset(d, 0, sizeof(*d));
	d->op = BNN_OP_GEMM;
	d->gemm.m = m;
	d->gemm.n = n;
	d->gemm.k = k;
}

/* Entry e (with prepare, run, fetch, release) on m x n x k: 1 if exact,
 * else 0 with what went wrong in msg. */
static inline int gc_check(const bnn_kernel_t *e, int64_t m, int64_t n, int64_t k, char *msg,
			   size_t len)
{
	bnn_op_desc_t d;
	int ok = 0, rc;
	void *state = NULL;
	gc_desc(&d, m, n, k);
	float *a = malloc(sizeof(float) * (size_t)(m * k));
	float *b = malloc(sizeof(float) * (size_t)(n * k));
	float *ref = malloc(sizeof(float) * (size_t)(m * n));
	int32_t *c = malloc(sizeof(int32_t) * (size_t)(m * n));
	snprintf(msg, len, "ok");
	if (!a || !b || !ref || !c) {
		snprintf(msg, len, "out of memory");
		goto out;
	}
	if (!e->fetch) {
		snprintf(msg, len, "%s has no fetch hook: not a device-resident entry", e->name);
		goto out;
	}
	gc_fill(a, m * k, (uint64_t)(m * 1000003 + k));
	gc_fill(b, n * k, (uint64_t)(n * 7919 + k * 31 + 5));
	bnn_ref_bgemm(&d.gemm, a, b, ref);
	bnn_inputs_t in = { .a = a, .b = b };
	if ((rc = e->prepare(&d, &in, &state)) != 0) {
		snprintf(msg, len, "prepare returned %d", rc);
		goto out;
	}
	if ((rc = e->fetch(state, c)) != 0) {
		snprintf(msg, len, "fetch before run returned %d", rc);
		goto out;
	}
	for (int64_t i = 0; i < m * n; i++)
		if ((float)c[i] == ref[i]) {
			snprintf(msg, len, "C[%lld] = %d before any run: prepare did not poison C",
				 (long long)i, c[i]);
			goto out;
		}
	for (int rep = 0; rep < 2; rep++) {
		memset(c, 0x5a, sizeof(int32_t) * (size_t)(m * n));
		if ((rc = e->run(state, c)) != 0 || (rc = e->fetch(state, c)) != 0) {
			snprintf(msg, len, "run %d (or its fetch) returned %d", rep, rc);
			goto out;
		}
		for (int64_t i = 0; i < m * n; i++)
			if ((float)c[i] != ref[i]) {
				snprintf(msg, len, "run %d: C[%lld][%lld] = %d, reference %.0f", rep,
					 (long long)(i / n), (long long)(i % n), c[i], ref[i]);
				goto out;
			}
	}
	ok = 1;
out:
	if (state)
		e->release(state);
	free(a);
	free(b);
	free(ref);
	free(c);
	return ok;
}

#endif
