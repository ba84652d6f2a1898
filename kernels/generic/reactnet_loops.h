/*
 * reactnet_loops.h: the element-wise loops of the ReActNet template
 * (reactnet.c) and the states they read: the blocks' output transforms, the
 * stem and the head. Included once by reactnet.c (generic build) and once by
 * each ISA folder that compiles them with its own flags; each includer
 * defines its bnn_rnet_loops_t with BNN_RNET_LOOPS_DEFINE. The arithmetic is
 * the same in every build (element-wise, no contraction under -std=c11),
 * so every build gives the same bits.
 */
#ifndef BNN_REACTNET_LOOPS_H
#define BNN_REACTNET_LOOPS_H

/*
 * The output transforms, the stem and the FC are element-wise float loops
 * with no reduction across lanes: vectorizing them changes no result. GCC's
 * -O2 cost model declines to, and RPReLU's compare counts as control flow
 * while floating-point traps are assumed (bnnbench never enables them).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic", "no-trapping-math")
#endif
#include <math.h>
#include <string.h>
#include "bnn_reactnet.h"
#include "generic/generic.h"
#include "parallel.h"

/* A conv kernel of the table, prepared on one shape. */
typedef struct {
	const bnn_kernel_t *k;
	void *state;
} conv_inst_t;

struct bnn_rblock_state {
	bnn_rblock_shape_t b;
	const bnn_rblock_params_t *p;
	const float *x;                /* the block's input, NHWC */
	conv_inst_t conv3, conv1;
	float *m1, *c1;                /* [c]: alpha3 and BN1 folded */
	float *m2, *c2;                /* [k]: alpha1 and BN2 folded */
	int32_t *acc3, *acc1;          /* integer conv results */
	float *u;                      /* RPReLU1 output: the 1x1 conv's input */
	const bnn_rnet_loops_t *loops;
	float *y;                      /* output of the current run */
};

/* RPReLU (doc/bnn-math.md section 6); at v == g both branches give z. Written as a
 * select of the slope so that the loops around it vectorize: v - g > 0
 * exactly when v > g (gradual underflow), and 1 * d is d. */
static inline float rprelu(float v, float g, float slope, float z)
{
	float d = v - g;
	float s = d > 0.0f ? 1.0f : slope;
	return s * d + z;
}

/* Output pixels [p0, p1): u = RPReLU1(acc3 * m1 + c1 + shortcut). */
static void transform1(void *vst, int64_t p0, int64_t p1, int tid)
{
	const bnn_rblock_state_t *st = vst;
	const bnn_rblock_shape_t *b = &st->b;
	const bnn_rprelu_t *rp = &st->p->rp1;
	int64_t c = b->c, opix = b->oh * b->ow;
	(void)tid;
	for (int64_t q = p0; q < p1; q++) {
		const int32_t *acc = st->acc3 + q * c;
		float *u = st->u + q * c;
		int64_t n = q / opix, oy = q % opix / b->ow, ox = q % b->ow;
		if (b->stride == 2) {
			const float *top = st->x + ((n * b->h + 2 * oy) * b->w + 2 * ox) * c;
			const float *bot = top + b->w * c;
			for (int64_t ch = 0; ch < c; ch++) {
				float r = (top[ch] + top[c + ch] + bot[ch] + bot[c + ch]) * 0.25f;
				float t = (float)acc[ch] * st->m1[ch] + st->c1[ch];
				u[ch] = rprelu(t + r, rp->g[ch], rp->slope[ch], rp->z[ch]);
			}
		} else {
			const float *x = st->x + q * c;
			for (int64_t ch = 0; ch < c; ch++) {
				float t = (float)acc[ch] * st->m1[ch] + st->c1[ch];
				u[ch] = rprelu(t + x[ch], rp->g[ch], rp->slope[ch], rp->z[ch]);
			}
		}
	}
}

/* Output pixels [p0, p1): y = RPReLU2(acc1 * m2 + c2 + u), u repeated per half. */
static void transform2(void *vst, int64_t p0, int64_t p1, int tid)
{
	const bnn_rblock_state_t *st = vst;
	const bnn_rblock_shape_t *b = &st->b;
	const bnn_rprelu_t *rp = &st->p->rp2;
	int64_t c = b->c, k = b->k;
	(void)tid;
	for (int64_t q = p0; q < p1; q++) {
		const int32_t *acc = st->acc1 + q * k;
		const float *u = st->u + q * c;
		float *y = st->y + q * k;
		for (int64_t h0 = 0; h0 < k; h0 += c)
			for (int64_t ch = 0; ch < c; ch++) {
				int64_t o = h0 + ch;
				float v = (float)acc[o] * st->m2[o] + st->c2[o] + u[ch];
				y[o] = rprelu(v, rp->g[o], rp->slope[o], rp->z[o]);
			}
	}
}

struct bnn_rnet_state {
	bnn_rnet_shape_t r;
	const bnn_rnet_params_t *p;
	const float *img;              /* NCHW */
	const bnn_rnet_loops_t *loops;
	float *stem_wt;                /* [3][3][3][32]: tap, input channel, filter */
	float *stem_m, *stem_c;        /* BN folded */
	float *act[BNN_RNET_BLOCKS + 1]; /* act[0] the stem's output, act[i+1] block i's */
	bnn_rblock_state_t *block[BNN_RNET_BLOCKS];
	float *fc_wt;                  /* [1024][1000], transposed so outputs vectorize */
	float *pooled;                 /* [n][1024] */
	float *logits;
};

/* Eight floats as one value (GCC and clang vector extensions): the stem's
 * 32 sums stay in four of them, in registers, whatever the ISA's width. */
typedef float bnn_v8f_t __attribute__((vector_size(32)));

/* Stem output rows [r0, r1) (flattened n, oy): real 3x3 conv, stride 2, pad 1, BN.
 * Each output pixel first gathers its 27 inputs (zeros in the padding), then
 * accumulates the 27 x 32 products branch-free, element by element in the
 * order of the plain loop (so every build gives the same sums). */
static void stem_rows(void *vst, int64_t r0, int64_t r1, int tid)
{
	const bnn_rnet_state_t *st = vst;
	const int64_t h = st->r.h, w = st->r.w, oh = h / 2, ow = w / 2;
	(void)tid;
	for (int64_t row = r0; row < r1; row++) {
		int64_t n = row / oh, oy = row % oh;
		for (int64_t ox = 0; ox < ow; ox++) {
			float patch[27], acc[BNN_RNET_STEM_C];
			for (int64_t ky = 0; ky < 3; ky++)
				for (int64_t kx = 0; kx < 3; kx++)
					for (int64_t ci = 0; ci < 3; ci++) {
						int64_t iy = 2 * oy - 1 + ky, ix = 2 * ox - 1 + kx;
						patch[(ky * 3 + kx) * 3 + ci] =
							iy < 0 || iy >= h || ix < 0 || ix >= w ?
								0.0f :
								st->img[((n * 3 + ci) * h + iy) * w + ix];
					}
			bnn_v8f_t a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 }, w0, w1, w2, w3;
			for (int t = 0; t < 27; t++) {
				const float *wt = st->stem_wt + t * BNN_RNET_STEM_C;
				memcpy(&w0, wt, sizeof(w0));
				memcpy(&w1, wt + 8, sizeof(w1));
				memcpy(&w2, wt + 16, sizeof(w2));
				memcpy(&w3, wt + 24, sizeof(w3));
				a0 += patch[t] * w0;
				a1 += patch[t] * w1;
				a2 += patch[t] * w2;
				a3 += patch[t] * w3;
			}
			memcpy(acc, &a0, sizeof(a0));
			memcpy(acc + 8, &a1, sizeof(a1));
			memcpy(acc + 16, &a2, sizeof(a2));
			memcpy(acc + 24, &a3, sizeof(a3));
			float *y = st->act[0] + ((n * oh + oy) * ow + ox) * BNN_RNET_STEM_C;
			for (int o = 0; o < BNN_RNET_STEM_C; o++)
				y[o] = acc[o] * st->stem_m[o] + st->stem_c[o];
		}
	}
}

/* Images [b0, b1): global average pool, then the FC with bias. */
static void head_images(void *vst, int64_t b0, int64_t b1, int tid)
{
	const bnn_rnet_state_t *st = vst;
	bnn_rblock_shape_t last = bnn_rnet_block(&st->r, BNN_RNET_BLOCKS - 1);
	const float *act = st->act[BNN_RNET_BLOCKS];
	int64_t pix = last.oh * last.ow, c = last.k;
	(void)tid;
	for (int64_t b = b0; b < b1; b++) {
		float *pooled = st->pooled + b * c;
		for (int64_t ch = 0; ch < c; ch++)
			pooled[ch] = 0.0f;
		for (int64_t q = 0; q < pix; q++)
			for (int64_t ch = 0; ch < c; ch++)
				pooled[ch] += act[(b * pix + q) * c + ch];
		for (int64_t ch = 0; ch < c; ch++)
			pooled[ch] /= (float)pix;
		float *y = st->logits + b * BNN_RNET_CLASSES;
		for (int64_t o = 0; o < BNN_RNET_CLASSES; o++)
			y[o] = st->p->fc_b[o];
		for (int64_t i = 0; i < c; i++) {
			const float *wt = st->fc_wt + i * BNN_RNET_CLASSES;
			for (int64_t o = 0; o < BNN_RNET_CLASSES; o++)
				y[o] += pooled[i] * wt[o];
		}
	}
}

#define BNN_RNET_LOOPS_DEFINE(name)                                                      \
	const bnn_rnet_loops_t name = { transform1, transform2, stem_rows, head_images }

#endif
