/*
 * The AVX-512 kernels, checked on any CPU: their sources built against
 * SIMDe's portable intrinsics (the __avx512emu kernels of bnn_emulated,
 * end of kernels/table.c) go through the conformance suite on the harness's
 * own path (bnn_run_problem: the same seeded inputs, reference, poisoned
 * outputs and checker as `bnnbench run --check-only`), on one thread and
 * on two (the threaded splits of the GEMM core and the convolutions).
 * Every (kernel, problem) must PASS: exact for gemm and conv, within the
 * bound for bwn and xnor. Check only: an emulated kernel is never timed.
 */
#include <stdio.h>
#include <string.h>
#include "avx512/avx512.h"
#include "parallel.h"
#include "runner.h"
#include "suite.h"
#include "tap.h"

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
	/* One point per (threads, kernel, problem of its op), one per kernel
	 * and thread count for the total. */
	int plan = 0;
	for (size_t k = 0; k < bnn_emulated_count; k++)
		for (size_t i = 0; i < suite.count; i++)
			plan += suite.p[i].d.op == bnn_emulated[k].op;
	tap_plan(2 * (plan + (int)bnn_emulated_count));

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
	}
	bnn_parallel_shutdown();
	bnn_suite_free(&suite);
	return tap_exit();
}
