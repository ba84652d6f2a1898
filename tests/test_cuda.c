/*
 * test_cuda: every CUDA kernel of the table against the float reference on
 * the conformance GEMM edges: K tails around the 64-bit word, the 256-bit
 * mma step and the tiled kernel's 512-bit stage (1, 63, 64, 65, 255, 256,
 * 257, 511, 512, 513, 4097), M and N of 1, odd, one under, at and over the
 * 64-row block tile and at and over the tiled kernel's 128 x 256 tile. Binary results are exact
 * (doc/bnn-math.md section 2), so the check (tests/gemm_check.h: poisoned before the
 * first run, then two runs) is equality. Without a GPU (or without CUDA in
 * the build) the whole test is a TAP SKIP with the reason.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "gemm_check.h"
#include "tap.h"

static const int64_t ks[] = { 1, 63, 64, 65, 255, 256, 257, 511, 512, 513, 4097 };
static const int64_t mns[][2] = { { 1, 1 }, { 1, 77 }, { 33, 1 }, { 63, 64 }, { 64, 65 },
				  { 129, 127 }, { 128, 256 }, { 129, 257 } };
#define NK (sizeof(ks) / sizeof(ks[0]))
#define NMN (sizeof(mns) / sizeof(mns[0]))

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
				gc_desc(&d, m, n, kk);
				if (k->supports && k->supports(&d, why, sizeof(why)) != 0) {
					printf("ok %d - %s m=%lld n=%lld k=%lld # SKIP %s\n", ++tap_n,
					       k->name, (long long)m, (long long)n, (long long)kk, why);
					continue;
				}
				int ok = gc_check(k, m, n, kk, msg, sizeof(msg));
				tap_ok(ok, "%s m=%lld n=%lld k=%lld: %s", k->name, (long long)m,
				       (long long)n, (long long)kk, msg);
			}
	}
	return tap_exit();
}
