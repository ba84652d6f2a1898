/*
 * test_cuda_conv: every CUDA convolution of the kernel table (ops conv,
 * bwn, xnor) against the float reference on a GPU: binary results exactly
 * (doc/bnn-math.md section 2), BWN and XNOR-Net within the harness's bounds (doc/bnn-math.md
 * section 3, harness/runner.c), each run twice (runs must be repeatable);
 * the binary convs also with an RSign shift fused into packing (the
 * ReActNet blocks' use), against bnn_ref_rsign then bnn_ref_bconv. Shapes:
 * channel tails, zero and +1 padding, stride, dilation, groups, odd and
 * 1-wide sizes, 1x1, one filter, filters and pixels around the 64 x 64
 * tensor-core tile, K of one to many 256-bit steps, batch > 1. Without a GPU (or
 * without CUDA in the build) the whole test is a TAP SKIP with the reason;
 * tests/test_cuda_conv_host checks the same math on the CPU.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "bnn_ref.h"
#include "tap.h"

/* n h w c k kh kw stride pad dil groups pad_value */
static const int64_t shapes[][12] = {
	{ 1, 5, 5, 1, 1, 3, 3, 1, 1, 1, 1, 0 },     { 2, 7, 6, 3, 4, 3, 3, 1, 1, 1, 1, 0 },
	{ 1, 7, 6, 3, 4, 3, 3, 1, 1, 1, 1, 1 },     { 1, 9, 9, 33, 5, 3, 3, 1, 1, 1, 1, 0 },
	{ 1, 8, 7, 65, 7, 3, 3, 2, 1, 1, 1, 0 },    { 1, 9, 9, 16, 6, 3, 3, 1, 2, 2, 1, 1 },
	{ 1, 6, 6, 132, 8, 3, 3, 1, 1, 1, 4, 0 },   { 1, 6, 6, 12, 8, 3, 3, 1, 1, 1, 4, 1 },
	{ 1, 7, 6, 10, 3, 5, 3, 2, 2, 1, 1, 0 },    { 1, 6, 6, 130, 9, 1, 1, 1, 0, 1, 1, 0 },
	{ 1, 5, 5, 64, 1, 3, 3, 1, 1, 1, 1, 0 },    { 1, 1, 1, 70, 5, 3, 3, 1, 1, 1, 1, 0 },
	{ 1, 2, 3, 7, 5, 1, 1, 1, 1, 1, 1, 0 },     { 2, 13, 11, 65, 70, 3, 3, 1, 1, 1, 1, 0 },
	{ 1, 5, 5, 300, 9, 3, 3, 2, 1, 1, 1, 1 },   { 1, 4, 4, 257, 3, 3, 3, 1, 1, 1, 1, 0 },
	{ 1, 9, 9, 5, 4, 7, 7, 2, 3, 1, 1, 1 },     { 3, 7, 5, 64, 16, 3, 3, 2, 1, 1, 2, 0 },
	{ 1, 3, 3, 2048, 5, 3, 3, 1, 1, 1, 1, 0 },  { 1, 10, 10, 32, 128, 3, 3, 1, 1, 1, 1, 1 },
	{ 1, 5, 5, 6, 12, 3, 3, 1, 1, 1, 6, 0 },    { 4, 14, 14, 128, 128, 3, 3, 1, 1, 1, 1, 0 },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* Deterministic values in [-1, 1), with exact +0.0 and -0.0 (both sign +1). */
static void fill(float *x, int64_t n, uint64_t seed)
{
	for (int64_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(seed >> 33);
		x[i] = r % 23 == 0 ? 0.0f : r % 23 == 1 ? -0.0f
				: (float)((int32_t)(r % 2001) - 1000) / 1000.0f;
	}
}

/* gamma_n of doc/bnn-math.md section 3 (the harness's bnn_gamma). */
static double gamma_n(double n)
{
	double u = ldexp(1.0, -24);
	return n * u / (1.0 - n * u);
}

typedef struct {
	bnn_op_desc_t d;
	int64_t nx, nw, count;
	float *x, *w, *shift, *xs, *alpha, *ref, *bound;
} prob_t;

static void prob_free(prob_t *p)
{
	free(p->x);
	free(p->w);
	free(p->shift);
	free(p->xs);
	free(p->alpha);
	free(p->ref);
	free(p->bound);
}

/* Inputs, reference and bound of shape i for op (mode for xnor; rsign for conv). */
static int prob_make(prob_t *p, size_t i, bnn_op_t op, bnn_xnor_mode_t mode, int rsign)
{
	const int64_t *t = shapes[i];
	memset(p, 0, sizeof(*p));
	bnn_conv_shape_t *c = &p->d.conv;
	p->d.op = op;
	p->d.xnor_mode = mode;
	c->n = t[0], c->h = t[1], c->w = t[2], c->c = t[3], c->k = t[4], c->kh = t[5];
	c->kw = t[6], c->stride = t[7], c->pad = t[8], c->dil = t[9], c->groups = t[10];
	c->pad_value = op == BNN_OP_BWN ? 0 : (int)t[11];
	if (bnn_conv_shape_finish(c) != 0)
		return -1;
	int64_t cg = c->c / c->groups, taps = c->kh * c->kw;
	p->nx = c->n * c->h * c->w * c->c;
	p->nw = c->k * taps * cg;
	p->count = c->n * c->oh * c->ow * c->k;
	p->x = malloc((size_t)p->nx * sizeof(float));
	p->xs = malloc((size_t)p->nx * sizeof(float));
	p->w = malloc((size_t)p->nw * sizeof(float));
	p->shift = malloc((size_t)c->c * sizeof(float));
	p->alpha = malloc((size_t)c->k * sizeof(float));
	p->ref = malloc((size_t)p->count * sizeof(float));
	p->bound = malloc((size_t)p->count * sizeof(float));
	if (!p->x || !p->xs || !p->w || !p->shift || !p->alpha || !p->ref || !p->bound)
		return -1;
	fill(p->x, p->nx, 1000003u * i + 17);
	fill(p->w, p->nw, 7919u * i + 5);
	fill(p->shift, c->c, 31u * i + 3);
	for (int64_t ci = 0; ci < c->c; ci += 3)
		p->shift[ci] = -p->x[ci];   /* ties x + shift == 0: RSign gives +1 */
	bnn_ref_alpha(p->w, c->k, taps * cg, p->alpha);
	if (op == BNN_OP_CONV) {
		if (rsign)
			bnn_ref_rsign(p->x, c->n * c->h * c->w, c->c, p->shift, p->xs);
		bnn_ref_bconv(c, rsign ? p->xs : p->x, p->w, p->ref);
	} else if (op == BNN_OP_BWN) {
		double g = gamma_n((double)(taps * cg + 4));
		bnn_ref_bwn_conv(c, p->x, p->w, p->alpha, p->ref);
		bnn_ref_abs_sum(c, p->x, p->bound);
		for (int64_t j = 0; j < p->count; j++)
			p->bound[j] = (float)(g * p->alpha[j % c->k] * p->bound[j]);
	} else {
		double g = mode == BNN_XNOR_PAPER ? gamma_n((double)(c->c + taps + 6)) : gamma_n(3.0);
		bnn_ref_xnor_conv(c, mode, p->x, p->w, p->alpha, p->ref);
		for (int64_t j = 0; j < p->count; j++)
			p->bound[j] = (float)(g * fabs((double)p->ref[j]));
	}
	return 0;
}

/* One kernel on one problem, run twice; 1 when every output checks. */
static int check(const bnn_kernel_t *k, const prob_t *p, int rsign, char *msg, size_t len)
{
	int ok = 0, rc;
	void *state = NULL;
	void *out = malloc((size_t)p->count * 4);
	bnn_inputs_t in = { .a = p->x, .b = p->w, .alpha = p->alpha,
			    .rsign = rsign ? p->shift : NULL };
	snprintf(msg, len, "ok");
	if (!out) {
		snprintf(msg, len, "out of memory");
		goto out;
	}
	if ((rc = k->prepare(&p->d, &in, &state)) != 0) {
		snprintf(msg, len, "prepare returned %d", rc);
		goto out;
	}
	for (int rep = 0; rep < 2; rep++) {
		memset(out, 0x5a, (size_t)p->count * 4);
		if ((rc = k->run(state, out)) != 0 || (k->fetch && (rc = k->fetch(state, out)) != 0)) {
			snprintf(msg, len, "run %d (or its fetch) returned %d", rep, rc);
			goto out;
		}
		for (int64_t i = 0; i < p->count; i++) {
			if (p->d.op == BNN_OP_CONV) {
				int32_t v = ((const int32_t *)out)[i];
				if ((float)v != p->ref[i]) {
					snprintf(msg, len, "run %d: element %lld = %d, reference %.0f", rep,
						 (long long)i, v, p->ref[i]);
					goto out;
				}
			} else {
				float v = ((const float *)out)[i];
				if (isnan(v) || fabs((double)v - p->ref[i]) > p->bound[i]) {
					snprintf(msg, len, "run %d: element %lld = %.9g, reference %.9g, "
						 "bound %.3g", rep, (long long)i, (double)v,
						 (double)p->ref[i], (double)p->bound[i]);
					goto out;
				}
			}
		}
	}
	ok = 1;
out:
	if (state)
		k->release(state);
	free(out);
	return ok;
}

static int is_conv_op(bnn_op_t op)
{
	return op == BNN_OP_CONV || op == BNN_OP_BWN || op == BNN_OP_XNOR;
}

/* Variants per shape: conv plain and with RSign; bwn; xnor paper and released. */
static int variants(bnn_op_t op)
{
	return op == BNN_OP_BWN ? 1 : 2;
}

int main(void)
{
	char why[256], msg[256];
	int points = 0;
	for (size_t i = 0; i < bnn_kernel_count; i++)
		if (bnn_kernels[i].isa == BNN_ISA_CUDA && is_conv_op(bnn_kernels[i].op))
			points += variants(bnn_kernels[i].op) * (int)NSHAPES;
	if (points == 0) {
		tap_skip_all("built without CUDA: the kernel table has no CUDA convolutions");
		return 0;
	}
	if (!bnn_isa_available(BNN_ISA_CUDA, why, sizeof(why))) {
		tap_skip_all(why);
		return 0;
	}
	printf("# %s\n", why);
	tap_plan(points);
	for (size_t i = 0; i < bnn_kernel_count; i++) {
		const bnn_kernel_t *k = &bnn_kernels[i];
		if (k->isa != BNN_ISA_CUDA || !is_conv_op(k->op))
			continue;
		for (size_t s = 0; s < NSHAPES; s++)
			for (int v = 0; v < variants(k->op); v++) {
				prob_t p;
				int rsign = k->op == BNN_OP_CONV && v == 1;
				bnn_xnor_mode_t mode = v ? BNN_XNOR_RELEASED : BNN_XNOR_PAPER;
				if (prob_make(&p, s, k->op, mode, rsign) != 0) {
					tap_ok(0, "%s shape %zu: could not make the problem", k->name, s);
					prob_free(&p);
					continue;
				}
				const bnn_conv_shape_t *c = &p.d.conv;
				char name[200];
				snprintf(name, sizeof(name),
					 "%s%s%s n=%lld h=%lld w=%lld c=%lld k=%lld kh=%lld kw=%lld "
					 "stride=%lld pad=%lld dil=%lld groups=%lld pad_value=%d",
					 k->name, rsign ? " rsign" : "",
					 k->op == BNN_OP_XNOR ? (v ? " released" : " paper") : "",
					 (long long)c->n, (long long)c->h, (long long)c->w,
					 (long long)c->c, (long long)c->k, (long long)c->kh,
					 (long long)c->kw, (long long)c->stride, (long long)c->pad,
					 (long long)c->dil, (long long)c->groups, c->pad_value);
				if (k->supports && k->supports(&p.d, why, sizeof(why)) != 0) {
					printf("ok %d - %s # SKIP %s\n", ++tap_n, name, why);
				} else {
					int ok = check(k, &p, rsign, msg, sizeof(msg));
					tap_ok(ok, "%s: %s", name, msg);
				}
				prob_free(&p);
			}
	}
	return tap_exit();
}
