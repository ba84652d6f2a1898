/*
 * test_cuda: every CUDA kernel of the table against the float reference on
 * the conformance GEMM edges: K tails around the 64-bit word, the 256-bit
 * mma step and the tiled kernel's 512-bit stage (1, 63, 64, 65, 255, 256,
 * 257, 511, 512, 513, 4097), M and N of 1, odd, one under, at and over the
 * 64-row block tile and at and over the tiled kernel's 128 x 256 tile. Binary results are exact
 * (spec section 2), so the check is equality. Without a GPU (or without
 * CUDA in the build) the whole test is a TAP SKIP with the reason.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "bnn_ref.h"
#include "tap.h"

static const int64_t ks[] = { 1, 63, 64, 65, 255, 256, 257, 511, 512, 513, 4097 };
static const int64_t mns[][2] = { { 1, 1 }, { 1, 77 }, { 33, 1 }, { 63, 64 }, { 64, 65 },
				  { 129, 127 }, { 128, 256 }, { 129, 257 } };
#define NK (sizeof(ks) / sizeof(ks[0]))
#define NMN (sizeof(mns) / sizeof(mns[0]))

/* Deterministic values in [-1, 1), with exact zeros (which binarize to +1). */
static void fill(float *x, int64_t n, uint64_t seed)
{
	for (int64_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(seed >> 33);
		x[i] = r % 17 == 0 ? 0.0f : (float)((int32_t)(r % 2001) - 1000) / 1000.0f;
	}
}

/* One kernel on one shape, run twice (runs must be repeatable); 1 if exact. */
static int check(const bnn_kernel_t *k, int64_t m, int64_t n, int64_t kk, char *msg, size_t len)
{
	int ok = 0, rc;
	bnn_op_desc_t d;
	memset(&d, 0, sizeof(d));
	d.op = BNN_OP_GEMM;
	d.gemm.m = m;
	d.gemm.n = n;
	d.gemm.k = kk;
	float *a = malloc(sizeof(float) * (size_t)(m * kk));
	float *b = malloc(sizeof(float) * (size_t)(n * kk));
	float *ref = malloc(sizeof(float) * (size_t)(m * n));
	int32_t *c = malloc(sizeof(int32_t) * (size_t)(m * n));
	void *state = NULL;
	snprintf(msg, len, "ok");
	if (!a || !b || !ref || !c) {
		snprintf(msg, len, "out of memory");
		goto out;
	}
	fill(a, m * kk, (uint64_t)(m * 1000003 + kk));
	fill(b, n * kk, (uint64_t)(n * 7919 + kk * 31 + 5));
	bnn_ref_bgemm(&d.gemm, a, b, ref);
	bnn_inputs_t in = { .a = a, .b = b };
	if ((rc = k->prepare(&d, &in, &state)) != 0) {
		snprintf(msg, len, "prepare returned %d", rc);
		goto out;
	}
	for (int rep = 0; rep < 2; rep++) {
		memset(c, 0x5a, sizeof(int32_t) * (size_t)(m * n));
		if ((rc = k->run(state, c)) != 0 || (k->fetch && (rc = k->fetch(state, c)) != 0)) {
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
		k->release(state);
	free(a);
	free(b);
	free(ref);
	free(c);
	return ok;
}

int main(void)
{
	char why[256], msg[256];
	size_t ncuda = 0;
	for (size_t i = 0; i < bnn_kernel_count; i++)
		ncuda += bnn_kernels[i].isa == BNN_ISA_CUDA && bnn_kernels[i].op == BNN_OP_GEMM;
	if (ncuda == 0) {
		tap_skip_all("built without CUDA: the kernel table has no CUDA entries");
		return 0;
	}
	if (!bnn_isa_available(BNN_ISA_CUDA, why, sizeof(why))) {
		tap_skip_all(why);
		return 0;
	}
	printf("# %s\n", why);
	tap_plan((int)(ncuda * NK * NMN));
	for (size_t i = 0; i < bnn_kernel_count; i++) {
		const bnn_kernel_t *k = &bnn_kernels[i];
		if (k->isa != BNN_ISA_CUDA || k->op != BNN_OP_GEMM)
			continue;   /* the convolutions: tests/test_cuda_conv */
		for (size_t s = 0; s < NMN; s++)
			for (size_t j = 0; j < NK; j++) {
				int64_t m = mns[s][0], n = mns[s][1], kk = ks[j];
				bnn_op_desc_t d;
				memset(&d, 0, sizeof(d));
				d.op = BNN_OP_GEMM;
				d.gemm.m = m;
				d.gemm.n = n;
				d.gemm.k = kk;
				if (k->supports && k->supports(&d, why, sizeof(why)) != 0) {
					printf("ok %d - %s m=%lld n=%lld k=%lld # SKIP %s\n", ++tap_n,
					       k->name, (long long)m, (long long)n, (long long)kk, why);
					continue;
				}
				int ok = check(k, m, n, kk, msg, sizeof(msg));
				tap_ok(ok, "%s m=%lld n=%lld k=%lld: %s", k->name, (long long)m,
				       (long long)n, (long long)kk, msg);
			}
	}
	return tap_exit();
}
