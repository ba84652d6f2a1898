/*
 * The AVX-512 kernels, checked on any CPU: their sources built against
 * SIMDe's portable intrinsics (the __avx512emu kernels of bnn_emulated,
 * end of kernels/table.c) go through the conformance suite on the harness's
 * own path (bnn_run_problem: the same seeded inputs, reference, poisoned
 * outputs and checker as `bnnbench run --check-only`), on one thread and
 * on two (the threaded splits of the GEMM core and the convolutions).
 * Every (kernel, problem) must PASS: exact for gemm and conv, within the
 * bound for bwn and xnor. Check only: an emulated kernel is never timed.
 * Beyond the suite, the shapes of the AVX-512 direct convolution and the
 * broadcast-tile GEMM (below: tails of the pixel and channel tiles, 32 and
 * non-multiple-of-32 channels, stride 2, dilation, one row or column,
 * RSign through the ReActNet block); those also run on the native AVX-512
 * and AVX2 kernels when this CPU has them.
 */
#include <stdio.h>
#include <string.h>
#include "avx512/avx512.h"
#include "parallel.h"
#include "runner.h"
#include "suite.h"
#include "tap.h"

/* Seeded random inputs as every problem; the reference decides. */
static const char *const extra[] = {
	"conv n=1 h=11 w=37 c=32 k=32 kh=3 pad=1 pad_value=0",
	"conv n=2 h=9 w=29 c=64 k=70 kh=3 pad=1 pad_value=0 stride=2",
	"conv n=1 h=6 w=30 c=96 k=48 kh=3 pad=1 pad_value=0",
	"conv n=1 h=7 w=7 c=100 k=130 kh=3 pad=1 pad_value=0",
	"conv n=1 h=1 w=40 c=40 k=20 kh=3 pad=1 pad_value=0",
	"conv n=1 h=40 w=1 c=128 k=16 kh=3 pad=1 pad_value=0 stride=2",
	"conv n=1 h=12 w=13 c=48 k=33 kh=3 pad=2 dil=2 pad_value=0",
	"conv n=1 h=10 w=10 c=33 k=20 kh=3 pad=3 pad_value=0 stride=2",
	"conv n=1 h=9 w=9 c=64 k=64 kh=5 pad=2 pad_value=1",
	"conv n=1 h=14 w=14 c=256 k=64 kh=1",
	"conv n=1 h=5 w=17 c=160 k=50 kh=1 stride=2",
	"xnor mode=released n=1 h=9 w=20 c=32 k=40 kh=3 pad=1 stride=2",
	"rblock n=1 h=10 w=30 c=32 k=64 stride=2",
	"rblock n=1 h=8 w=8 c=96 k=96",
	"gemm m=13 n=100 k=1153",
	"gemm m=1 n=80 k=300",
	"gemm m=37 n=65 k=8192",
	"gemm m=100 n=17 k=161",
};
#define NEXTRA (sizeof(extra) / sizeof(extra[0]))

typedef struct {
	size_t pass, total;
	int threads;
} count_t;

static int on_outcome(void *vctx, const bnn_problem_t *p, const bnn_outcome_t *o)
{
	count_t *c = vctx;
	int ok = o->check.status == BNN_PASS;
	c->total++;
	c->pass += ok;
	tap_ok(ok, "%s, %d thread%s: %s %s%s%s", o->kernel->name, c->threads,
	       c->threads > 1 ? "s" : "", p->name, bnn_status_name(o->check.status),
	       o->check.reason[0] ? ": " : "", o->check.reason);
	return 0;
}

int main(void)
{
	if (bnn_emulated_count == 0) {
		tap_skip_all("built without SIMDe (Debian libsimde-dev, configure --with-simde): "
			     "the AVX-512 kernels cannot be checked by emulation here");
		return 0;
	}
	bnn_suite_t suite = { 0 };
	char err[1024];
	if (bnn_suite_load(&suite, "conformance", err, sizeof(err)) != 0) {
		tap_plan(1);
		tap_ok(0, "load the conformance suite: %s", err);
		bnn_suite_free(&suite);
		return tap_exit();
	}
	size_t first_extra = suite.count;
	for (size_t i = 0; i < NEXTRA; i++)
		if (bnn_suite_add_line(&suite, extra[i], "test_emulated", err, sizeof(err)) != 0) {
			tap_plan(1);
			tap_ok(0, "add %s: %s", extra[i], err);
			bnn_suite_free(&suite);
			return tap_exit();
		}
	/* The native AVX-512 and AVX2 kernels of the table (their direct
	 * convolutions share the design), when this CPU runs them. */
	const bnn_kernel_t *native[64];
	size_t nn = 0;
	char why[256];
	for (size_t k = 0; k < bnn_kernel_count && nn < 64; k++)
		if ((bnn_kernels[k].isa == BNN_ISA_AVX512 || bnn_kernels[k].isa == BNN_ISA_AVX2) &&
		    bnn_isa_available(bnn_kernels[k].isa, why, sizeof(why)))
			native[nn++] = &bnn_kernels[k];
	/* One point per (threads, kernel, problem of its op), one per kernel
	 * and thread count for the total. */
	int plan = 0;
	for (size_t k = 0; k < bnn_emulated_count; k++)
		for (size_t i = 0; i < suite.count; i++)
			plan += suite.p[i].d.op == bnn_emulated[k].op;
	for (size_t k = 0; k < nn; k++)
		for (size_t i = first_extra; i < suite.count; i++)
			plan += suite.p[i].d.op == native[k]->op;
	tap_plan(2 * (plan + (int)bnn_emulated_count + (int)nn));

	bnn_run_opts_t o = { .seed = 20161008u, .check_only = 1 };   /* bnnbench's default seed */
	static const int threads[] = { 1, 2 };
	for (int t = 0; t < 2; t++) {
		if (threads[t] > 1 && bnn_parallel_init(threads[t], NULL, NULL) != 0)
			printf("# could not start %d threads: running on %d\n", threads[t],
			       bnn_parallel_threads());
		for (size_t k = 0; k < bnn_emulated_count; k++) {
			count_t c = { 0, 0, bnn_parallel_threads() };
			for (size_t i = 0; i < suite.count; i++)
				if (bnn_run_problem(&suite.p[i], &bnn_emulated[k], 1, "kernel", &o,
						    on_outcome, &c, err, sizeof(err)) != 0)
					tap_ok(0, "%s: %s", bnn_emulated[k].name, err);
			tap_ok(c.total > 0 && c.pass == c.total,
			       "%s (AVX-512 code on SIMDe), %d thread%s: %zu of %zu conformance "
			       "problems pass", bnn_emulated[k].name, c.threads,
			       c.threads > 1 ? "s" : "", c.pass, c.total);
		}
		for (size_t k = 0; k < nn; k++) {
			count_t c = { 0, 0, bnn_parallel_threads() };
			for (size_t i = first_extra; i < suite.count; i++)
				if (bnn_run_problem(&suite.p[i], native[k], 1, "kernel", &o, on_outcome,
						    &c, err, sizeof(err)) != 0)
					tap_ok(0, "%s: %s", native[k]->name, err);
			tap_ok(c.pass == c.total, "%s (native), %d thread%s: %zu of %zu problems pass",
			       native[k]->name, c.threads, c.threads > 1 ? "s" : "", c.pass, c.total);
		}
	}
	bnn_parallel_shutdown();
	bnn_suite_free(&suite);
	return tap_exit();
}
