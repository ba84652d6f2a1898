/*
 * Aligned buffers of the SIMD kernels on odd shapes: C11 aligned_alloc
 * wants a size that is a multiple of the alignment. The AVX2 binary GEMM
 * once asked for 64-byte alignment with its panels' plain size (m * words
 * * 8 + slack): glibc took it, a C11-strict libc returns NULL (the kernel
 * then fails with -ENOMEM), and AddressSanitizer aborts
 * ("invalid alignment requested in aligned_alloc").
 *
 * Every CPU kernel of the table (generic, AVX2, AVX-512 where this CPU has
 * them) and every SIMDe-emulated AVX-512 kernel (on any x86 CPU) of the
 * GEMM and BWN ops is prepared, run and released on odd M, N, K and odd
 * conv shapes, its output checked against the reference. The sanitizer
 * build (./configure --enable-sanitizers, run by `make distcheck` in .ci/run)
 * is what catches a wrong size in the kernels' own call, and an over-read
 * past a buffer sized too small. So that a plain build catches a wrong size
 * too, this program defines aligned_alloc itself: the kernels' calls
 * (static libraries, linked into this program) come here, are counted, and
 * one whose size is not a multiple of its alignment fails its kernel's test;
 * the allocation itself is then made by the next aligned_alloc (libc's, or
 * the sanitizer's interceptor, which checks it again).
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "bnn_ref.h"
#include "tap.h"

static size_t calls, bad_calls;
static char first_bad[128];

void *aligned_alloc(size_t align, size_t size)
{
	static void *(*next)(size_t, size_t);
	calls++;
	if (align == 0 || size % align != 0) {
		if (!bad_calls++)
			snprintf(first_bad, sizeof(first_bad), "aligned_alloc(%zu, %zu)", align,
				 size);
	}
	if (!next)
		next = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
	if (next)
		return next(align, size);
	/* No next definition (a static link): posix_memalign takes any size. */
	void *p = NULL;
	return posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size) ? NULL
											 : p;
}

/* Deterministic values k/8, k in -16..16, with exact +0.0 and -0.0: sums of
 * a few hundred of them are exact in float. */
static void fill(float *x, int64_t n, uint64_t seed)
{
	for (int64_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(seed >> 33);
		x[i] = r % 13 == 0 ? 0.0f : r % 17 == 0 ? -0.0f : (float)((int)(r % 33) - 16) / 8;
	}
}

/* The kernels of op to try: the table's CPU kernels, then the emulated. */
static const bnn_kernel_t *kernel_at(size_t i)
{
	return i < bnn_kernel_count ? &bnn_kernels[i] : &bnn_emulated[i - bnn_kernel_count];
}

/* Kernel k on d: prepare, run, release; 1 when the output equals want
 * (within tol of it, for float outputs), else 0 with why. */
static int try_kernel(const bnn_kernel_t *k, const bnn_op_desc_t *d, const bnn_inputs_t *in,
		      const float *want, size_t nout, double tol, char *why, size_t len)
{
	void *st = NULL, *out = malloc(nout * 4 + 4);
	int ok = 0, rc;
	if (!out) {
		snprintf(why, len, "out of memory");
		return 0;
	}
	memset(out, 0x5a, nout * 4);
	if ((rc = k->prepare(d, in, &st)) != 0) {
		snprintf(why, len, "prepare returned %d", rc);
		goto out;
	}
	if ((rc = k->run(st, out)) == 0 && k->fetch)
		rc = k->fetch(st, out);
	if (rc != 0) {
		snprintf(why, len, "run returned %d", rc);
		goto out;
	}
	ok = 1;
	for (size_t i = 0; i < nout && ok; i++) {
		double got = bnn_op_output_is_int(d->op) ? (double)((int32_t *)out)[i]
							 : (double)((float *)out)[i];
		if (!(fabs(got - want[i]) <= tol)) {
			snprintf(why, len, "element %zu is %g, want %g", i, got, (double)want[i]);
			ok = 0;
		}
	}
out:
	k->release(st);
	free(out);
	return ok;
}

static const int64_t GEMMS[][3] = { { 1, 1, 1 }, { 3, 5, 65 }, { 7, 9, 129 }, { 13, 11, 63 },
				    { 5, 3, 200 }, { 17, 1, 127 } };
/* n, h, w, c, k, kh, stride, pad */
static const int64_t CONVS[][8] = { { 1, 1, 1, 1, 1, 1, 1, 0 }, { 1, 5, 7, 3, 5, 3, 1, 1 },
				    { 1, 4, 3, 17, 9, 1, 1, 0 }, { 2, 6, 5, 5, 13, 5, 2, 2 },
				    { 1, 7, 7, 33, 3, 3, 1, 1 } };
#define NG (sizeof(GEMMS) / sizeof(GEMMS[0]))
#define NC (sizeof(CONVS) / sizeof(CONVS[0]))

/* One test line per kernel of op GEMM or BWN: every shape of its op. */
static void check_kernel(const bnn_kernel_t *k)
{
	char why[256] = "", avail_why[200];
	size_t before_bad = bad_calls, before_calls = calls, shapes = 0;
	int ok = 1;
	if (k->isa == BNN_ISA_CUDA) {
		tap_ok(1, "# SKIP %s: a GPU kernel (its buffers are the device's)", k->name);
		return;
	}
	if (!bnn_isa_available(k->isa, avail_why, sizeof(avail_why))) {
		tap_ok(1, "# SKIP %s: %s", k->name, avail_why);
		return;
	}
	size_t n = k->op == BNN_OP_GEMM ? NG : NC;
	for (size_t s = 0; s < n && ok; s++) {
		bnn_op_desc_t d;
		memset(&d, 0, sizeof(d));
		d.op = k->op;
		int64_t na, nb, nout, per_filter = 1;
		if (k->op == BNN_OP_GEMM) {
			d.gemm = (bnn_gemm_shape_t){ GEMMS[s][0], GEMMS[s][1], GEMMS[s][2] };
			na = d.gemm.m * d.gemm.k;
			nb = d.gemm.n * d.gemm.k;
			nout = d.gemm.m * d.gemm.n;
		} else {
			const int64_t *c = CONVS[s];
			d.conv = (bnn_conv_shape_t){ .n = c[0], .h = c[1], .w = c[2], .c = c[3],
						     .k = c[4], .kh = c[5], .kw = c[5],
						     .stride = c[6], .pad = c[7], .dil = 1,
						     .groups = 1 };
			bnn_conv_shape_finish(&d.conv);
			per_filter = d.conv.kh * d.conv.kw * d.conv.c;
			na = d.conv.n * d.conv.h * d.conv.w * d.conv.c;
			nb = d.conv.k * per_filter;
			nout = d.conv.n * d.conv.oh * d.conv.ow * d.conv.k;
		}
		if (k->supports && k->supports(&d, avail_why, sizeof(avail_why)) != 0)
			continue;
		float *a = malloc(sizeof(float) * (size_t)na), *b = malloc(sizeof(float) * (size_t)nb);
		float *want = malloc(sizeof(float) * (size_t)nout);
		float *alpha = malloc(sizeof(float) * (size_t)(k->op == BNN_OP_BWN ? d.conv.k : 1));
		if (!a || !b || !want || !alpha) {
			snprintf(why, sizeof(why), "out of memory");
			ok = 0;
		} else {
			fill(a, na, 11 + s);
			fill(b, nb, 977 + 31 * s);
			double tol = 0;
			if (k->op == BNN_OP_GEMM) {
				bnn_ref_bgemm(&d.gemm, a, b, want);
			} else {
				bnn_ref_alpha(b, d.conv.k, per_filter, alpha);
				bnn_ref_bwn_conv(&d.conv, a, b, alpha, want);
				tol = 1e-5 * 2 * (double)per_filter;   /* |alpha| <= 2, |x| <= 2 */
			}
			bnn_inputs_t in = { .a = a, .b = b, .alpha = alpha };
			ok = try_kernel(k, &d, &in, want, (size_t)nout, tol, why, sizeof(why));
			shapes++;
		}
		if (!ok) {
			char shape[160];
			if (k->op == BNN_OP_GEMM)
				snprintf(shape, sizeof(shape), "m=%lld n=%lld k=%lld",
					 (long long)d.gemm.m, (long long)d.gemm.n, (long long)d.gemm.k);
			else
				snprintf(shape, sizeof(shape), "n=%lld h=%lld w=%lld c=%lld k=%lld kh=%lld",
					 (long long)d.conv.n, (long long)d.conv.h, (long long)d.conv.w,
					 (long long)d.conv.c, (long long)d.conv.k, (long long)d.conv.kh);
			size_t l = strlen(why);
			snprintf(why + l, sizeof(why) - l, " (%s)", shape);
		}
		free(a);
		free(b);
		free(want);
		free(alpha);
	}
	if (ok && bad_calls != before_bad) {
		snprintf(why, sizeof(why), "%s: the size is not a multiple of the alignment",
			 first_bad);
		ok = 0;
	}
	tap_ok(ok, "%s: %zu odd shapes exact, %zu aligned_alloc calls, each size a multiple of "
	       "its alignment%s%s", k->name, shapes, calls - before_calls, ok ? "" : ": ",
	       ok ? "" : why);
}

int main(void)
{
	const size_t nk = bnn_kernel_count + bnn_emulated_count;
	int planned = 0;
	for (size_t i = 0; i < nk; i++)
		planned += kernel_at(i)->op == BNN_OP_GEMM || kernel_at(i)->op == BNN_OP_BWN;
	tap_plan(planned + 1);
	size_t simd_calls = 0;
	for (size_t i = 0; i < nk; i++) {
		const bnn_kernel_t *k = kernel_at(i);
		if (k->op != BNN_OP_GEMM && k->op != BNN_OP_BWN)
			continue;
		size_t c0 = calls;
		check_kernel(k);
		if (k->isa != BNN_ISA_GENERIC)
			simd_calls += calls - c0;
	}
	/* On a machine with neither AVX2 nor SIMDe nothing above allocates
	 * aligned buffers, and the test proves nothing: say so. */
	if (simd_calls)
		tap_ok(1, "the SIMD kernels' aligned buffers were checked (%zu calls)", simd_calls);
	else
		tap_ok(1, "# SKIP no SIMD kernel allocated an aligned buffer here (no AVX2 CPU, no "
		       "SIMDe)");
	return tap_exit();
}
