/*
 * ref_reactnet.c: the golden ReActNet block and ReActNet-A (doc/bnn-math.md section 6),
 * written as the float network computes them: RSign to +-1 values, a
 * convolution with alpha-scaled +-1 weights and zero padding, batch norm,
 * the shortcut, RPReLU; then the stem, the 13 blocks, the pool and the FC.
 *
 * The binary convolution is computed on +-1 integers (int8 in, int32 sums):
 * every product is -1, 0 or +1, so the sum is exact, and alpha times it,
 * rounded once to float, is exactly what a float convolution with weights
 * alpha*sign(w) accumulated in double and rounded once gives. Integers only
 * make the reference fast enough to run beside every kernel on whole
 * networks; they do not change a single bit of its result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn_ref.h"

/*
 * The only tuning in reference/: GCC's -O2 leaves the int8 dot product of
 * bnn_ref_sign_conv scalar, and whole networks of them are what makes the
 * reactnet suite slow. Integer sums are exact in any order, so letting the
 * compiler vectorize them (plain SSE2, no ISA flag) changes no result.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

/* malloc or abort: reference code has no error path (see bnn_ref.h). */
static void *bnn_ref_alloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size);

	if (!p) {
		fprintf(stderr, "bnn_ref: out of memory for %zu x %zu bytes\n", count, size);
		abort();
	}
	return p;
}

/* +1 or -1 as int8: sign(v) of section 1. */
static int8_t bnn_ref_sign_i8(float v)
{
	return v < 0.0f ? -1 : 1;
}

/*
 * Square k x k convolution of +-1 activations xs (NHWC, n x h x w x c) with
 * +-1 filters ws (OHWI, o x k x k x c), stride s, padding pad of zeros:
 * acc is [n][oh][ow][o], exact.
 */
static void bnn_ref_sign_conv(const int8_t *xs, int64_t n, int64_t h, int64_t w, int64_t c,
			      const int8_t *ws, int64_t o, int64_t k, int64_t s, int64_t pad,
			      int64_t oh, int64_t ow, int32_t *acc)
{
	for (int64_t b = 0; b < n; b++)
		for (int64_t oy = 0; oy < oh; oy++)
			for (int64_t ox = 0; ox < ow; ox++)
				for (int64_t f = 0; f < o; f++) {
					int32_t sum = 0;

					for (int64_t ky = 0; ky < k; ky++) {
						int64_t iy = oy * s - pad + ky;

						if (iy < 0 || iy >= h)
							continue;   /* zero padding */
						for (int64_t kx = 0; kx < k; kx++) {
							int64_t ix = ox * s - pad + kx;
							const int8_t *px, *pw;

							if (ix < 0 || ix >= w)
								continue;
							px = xs + ((b * h + iy) * w + ix) * c;
							pw = ws + ((f * k + ky) * k + kx) * c;
							for (int64_t ci = 0; ci < c; ci++)
								sum += px[ci] * pw[ci];
						}
					}
					acc[((b * oh + oy) * ow + ox) * o + f] = sum;
				}
}

/* sign(x + shift[c]) as int8, per channel (RSign, section 6; the sum in float). */
static int8_t *bnn_ref_rsign_i8(const float *x, int64_t pixels, int64_t c, const float *shift)
{
	int8_t *s = bnn_ref_alloc((size_t)(pixels * c), 1);

	for (int64_t i = 0; i < pixels * c; i++)
		s[i] = bnn_ref_sign_i8(x[i] + shift[i % c]);
	return s;
}

static int8_t *bnn_ref_sign_weights(const float *w, int64_t count)
{
	int8_t *s = bnn_ref_alloc((size_t)count, 1);

	for (int64_t i = 0; i < count; i++)
		s[i] = bnn_ref_sign_i8(w[i]);
	return s;
}

/*
 * The binary conv of a block with its scaling and batch norm:
 * y = BN(alpha[o] * acc), acc the exact +-1 conv, alpha = mean |w_o|.
 * acc_out, when not NULL, receives acc as floats.
 */
static void bnn_ref_bconv_bn(const int8_t *xs, int64_t n, int64_t h, int64_t w, int64_t c,
			     const float *wf, int64_t o, int64_t k, int64_t s, int64_t oh,
			     int64_t ow, const bnn_bn_t *bn, float *acc_out, float *y)
{
	int64_t outs = n * oh * ow * o;
	int8_t *ws = bnn_ref_sign_weights(wf, o * k * k * c);
	int32_t *acc = bnn_ref_alloc((size_t)outs, sizeof(int32_t));
	float *alpha = bnn_ref_alloc((size_t)o, sizeof(float));

	bnn_ref_alpha(wf, o, k * k * c, alpha);
	bnn_ref_sign_conv(xs, n, h, w, c, ws, o, k, s, k / 2, oh, ow, acc);
	for (int64_t i = 0; i < outs; i++) {
		y[i] = (float)acc[i] * alpha[i % o];   /* exact product, rounded once */
		if (acc_out)
			acc_out[i] = (float)acc[i];
	}
	bnn_ref_batchnorm(y, n * oh * ow, o, bn->gamma, bn->beta, bn->mean, bn->var, y);
	free(ws);
	free(acc);
	free(alpha);
}

void bnn_ref_rblock(const bnn_rblock_shape_t *b, const bnn_rblock_params_t *p, const float *x,
		    float *y, bnn_ref_rblock_trace_t *trace)
{
	int64_t in_pix = b->n * b->h * b->w, pix = b->n * b->oh * b->ow;
	int64_t c = b->c, k = b->k;
	float *t = bnn_ref_alloc((size_t)(pix * c), sizeof(float));
	float *r = bnn_ref_alloc((size_t)(pix * c), sizeof(float));
	float *u = bnn_ref_alloc((size_t)(pix * c), sizeof(float));
	float *v = bnn_ref_alloc((size_t)(pix * k), sizeof(float));
	int8_t *xs;

	/* 1. t = BN1(bconv3x3(RSign1(x))) */
	xs = bnn_ref_rsign_i8(x, in_pix, c, p->rsign1);
	bnn_ref_bconv_bn(xs, b->n, b->h, b->w, c, p->w3, c, 3, b->stride, b->oh, b->ow, &p->bn1,
			 trace ? trace->acc3 : NULL, t);
	free(xs);

	/* 2. u = RPReLU1(t + shortcut) */
	if (b->stride == 2)
		bnn_ref_avgpool2x2(x, b->n, b->h, b->w, c, r);
	else
		memcpy(r, x, (size_t)(pix * c) * sizeof(float));
	for (int64_t i = 0; i < pix * c; i++)
		u[i] = (float)((double)t[i] + r[i]);
	if (trace)
		memcpy(trace->s, u, (size_t)(pix * c) * sizeof(float));
	bnn_ref_rprelu(u, pix, c, p->rp1.g, p->rp1.slope, p->rp1.z, u);

	/* 3. v = BN2(bconv1x1(RSign2(u))) + u, the k/c halves each adding u */
	xs = bnn_ref_rsign_i8(u, pix, c, p->rsign2);
	bnn_ref_bconv_bn(xs, b->n, b->oh, b->ow, c, p->w1, k, 1, 1, b->oh, b->ow, &p->bn2,
			 trace ? trace->acc1 : NULL, v);
	free(xs);
	for (int64_t i = 0; i < pix * k; i++)
		v[i] = (float)((double)v[i] + u[i / k * c + i % k % c]);
	if (trace) {
		memcpy(trace->r, r, (size_t)(pix * c) * sizeof(float));
		memcpy(trace->u, u, (size_t)(pix * c) * sizeof(float));
		memcpy(trace->v, v, (size_t)(pix * k) * sizeof(float));
	}

	/* 4. out = RPReLU2(v) */
	bnn_ref_rprelu(v, pix, k, p->rp2.g, p->rp2.slope, p->rp2.z, y);
	free(t);
	free(r);
	free(u);
	free(v);
}

void bnn_ref_reactnet(const bnn_rnet_shape_t *r, const bnn_rnet_params_t *p, const float *img,
		      float *logits)
{
	int64_t n = r->n, h = r->h, w = r->w;
	bnn_conv_shape_t stem = { .n = n, .h = h, .w = w, .c = 3, .k = BNN_RNET_STEM_C, .kh = 3,
				  .kw = 3, .stride = 2, .pad = 1, .dil = 1, .groups = 1 };
	float *nhwc = bnn_ref_alloc((size_t)(n * h * w * 3), sizeof(float));
	float *act, *next, *pooled;
	bnn_rblock_shape_t last;

	/* The image arrives NCHW, as PyTorch holds it. */
	for (int64_t b = 0; b < n; b++)
		for (int64_t ch = 0; ch < 3; ch++)
			for (int64_t i = 0; i < h * w; i++)
				nhwc[(b * h * w + i) * 3 + ch] = img[(b * 3 + ch) * h * w + i];
	bnn_conv_shape_finish(&stem);
	act = bnn_ref_alloc((size_t)(n * stem.oh * stem.ow * stem.k), sizeof(float));
	bnn_ref_conv2d(&stem, nhwc, p->stem_w, 0.0f, act);
	bnn_ref_batchnorm(act, n * stem.oh * stem.ow, stem.k, p->stem_bn.gamma, p->stem_bn.beta,
			  p->stem_bn.mean, p->stem_bn.var, act);
	free(nhwc);

	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);

		next = bnn_ref_alloc((size_t)(b.n * b.oh * b.ow * b.k), sizeof(float));
		bnn_ref_rblock(&b, &p->block[i], act, next, NULL);
		free(act);
		act = next;
	}
	last = bnn_rnet_block(r, BNN_RNET_BLOCKS - 1);
	pooled = bnn_ref_alloc((size_t)(n * last.k), sizeof(float));
	bnn_ref_global_avgpool(act, n, last.oh, last.ow, last.k, pooled);
	bnn_ref_fc(pooled, n, BNN_RNET_FC_IN, BNN_RNET_CLASSES, p->fc_w, p->fc_b, logits);
	free(act);
	free(pooled);
}
