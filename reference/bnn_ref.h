/*
 * bnn_ref.h: the golden references. Plain float C, no ISA flags, written to be
 * obviously right rather than fast. Every function follows
 * doc/bnn-math.md; the section is named beside each one.
 *
 * Conventions: tensors are dense row-major arrays; NHWC activations, OHWI
 * filters (see bnn_shape.h). Callers own every buffer. bnn_ref_bgemm,
 * bnn_ref_bconv and bnn_ref_xnor_conv allocate binarized copies of their
 * inputs and abort() on out-of-memory (the harness checks sizes against
 * --max-mem before); nothing else allocates, and nothing can fail for valid
 * shapes.
 */
#ifndef BNN_REF_H
#define BNN_REF_H

#include "bnn_shape.h"
#include "bnn_reactnet.h"

/* sign(x) = +1 if x >= 0 else -1; +0.0 and -0.0 both give +1 (section 1). */
float bnn_ref_sign(float x);

/* The packed bit of x: 1 encodes -1, 0 encodes +1, i.e. (x < 0) (section 1). */
int bnn_ref_bit(float x);

/*
 * Packs rows x len values, one row after another, into words_per_row 64-bit
 * words per row: element i goes to bit i % 64 of word i / 64, least
 * significant bit first; spare bits past len are 0. Written bit by bit so
 * that it states the encoding rather than optimizes it.
 */
void bnn_ref_pack(const float *x, int64_t rows, int64_t len, uint64_t *out,
		  int64_t words_per_row);

/* Inverse of bnn_ref_pack: the +1/-1 value of every element. */
void bnn_ref_unpack(const uint64_t *in, int64_t rows, int64_t len,
		    int64_t words_per_row, float *x);

/*
 * The +-1 GEMM with float accumulation (section 2):
 * c[i][j] = sum_k sign(a[i][k]) * sign(b[j][k]), a is m x k, b is n x k.
 * Exact while k < 2^24.
 */
void bnn_ref_bgemm(const bnn_gemm_shape_t *s, const float *a, const float *b, float *c);

/*
 * As bnn_ref_bgemm, with b given as its signs (sb: n x k values +-1, such as
 * bnn_ref_sign gives), so that callers computing C a few rows at a time
 * take the signs of b once (the copy is n x k floats).
 */
void bnn_ref_bgemm_signed_b(const bnn_gemm_shape_t *s, const float *a, const float *sb,
			    float *c);

/*
 * Direct 2-D real convolution (section 5): y = conv(x, w), x NHWC, w OHWI,
 * y NHWC [n][oh][ow][k]; taps outside the image read the value pad_fill.
 * Honours stride, dilation, groups and non-square kernels; s->oh/ow must be
 * set (bnn_conv_shape_finish). Accumulates in double, rounds once to float.
 */
void bnn_ref_conv2d(const bnn_conv_shape_t *s, const float *x, const float *w,
		    float pad_fill, float *y);

/*
 * Binary convolution (sections 1 and 5): sign(x) convolved with sign(w),
 * the binarized tensor padded with s->pad_value (0 or +1). The result is an
 * exact integer stored as float.
 */
void bnn_ref_bconv(const bnn_conv_shape_t *s, const float *x, const float *w, float *y);

/* alpha[o] = mean over the per_filter weights of filter o of |w| (section 3). */
void bnn_ref_alpha(const float *w, int64_t filters, int64_t per_filter, float *alpha);

/*
 * BWN convolution (section 3): y = alpha[o] * conv(x, sign(w_o)) with real x
 * and zero padding (s->pad_value is ignored: real activations pad with 0).
 */
void bnn_ref_bwn_conv(const bnn_conv_shape_t *s, const float *x, const float *w,
		      const float *alpha, float *y);

/*
 * Per-output sum of |x| over the receptive field of each output (the same
 * taps and channels the convolution reads; padding contributes 0), NHWC
 * [n][oh][ow][k]. Used for the BWN rounding bound of section 3.
 */
void bnn_ref_abs_sum(const bnn_conv_shape_t *s, const float *x, float *out);

/*
 * XNOR-Net K-map (section 4): A[n][y][x] = mean over all c channels of |x|,
 * then a kh x kw box filter of weight 1/(kh*kw) with the convolution's stride,
 * padding (zero) and dilation. kmap is [n][oh][ow].
 */
void bnn_ref_xnor_kmap(const bnn_conv_shape_t *s, const float *x, float *kmap);

/*
 * XNOR-Net convolution (section 4):
 *   paper:    y[n][i][j][o] = alpha[o] * kmap[n][i][j] * bconv(x, w)[n][i][j][o]
 *   released: y = alpha[o] * bconv(x, w)
 * with the binarized input padded by s->pad_value.
 */
void bnn_ref_xnor_conv(const bnn_conv_shape_t *s, bnn_xnor_mode_t mode, const float *x,
		       const float *w, const float *alpha, float *y);

/* Inference batch norm per channel c (section 6):
 * y = gamma*(x - mean)/sqrt(var + 1e-5) + beta; x and y are pixels x c. */
void bnn_ref_batchnorm(const float *x, int64_t pixels, int64_t c, const float *gamma,
		       const float *beta, const float *mean, const float *var, float *y);

/* RSign (section 6): y = sign(x + b[c]), so x == -b[c] gives +1. */
void bnn_ref_rsign(const float *x, int64_t pixels, int64_t c, const float *b, float *y);

/* RPReLU (section 6): y = x - g + z if x > g, else beta*(x - g) + z, per channel. */
void bnn_ref_rprelu(const float *x, int64_t pixels, int64_t c, const float *g,
		    const float *beta, const float *z, float *y);

/* 2x2 average pool with stride 2, NHWC; out is [n][h/2][w/2][c] (floor). */
void bnn_ref_avgpool2x2(const float *x, int64_t n, int64_t h, int64_t w, int64_t c, float *y);

/* Global average pool, NHWC -> [n][c]. */
void bnn_ref_global_avgpool(const float *x, int64_t n, int64_t h, int64_t w, int64_t c,
			    float *y);

/* Fully connected: y[b][o] = bias[o] + sum_i w[o][i] * x[b][i]; bias may be NULL. */
void bnn_ref_fc(const float *x, int64_t batch, int64_t in, int64_t out, const float *w,
		const float *bias, float *y);

/*
 * Intermediates of bnn_ref_rblock, for the harness's error bounds; each
 * buffer is the caller's, sized for the block's output pixels: acc3 the
 * exact 3x3 conv sums and s = t + shortcut, r the shortcut, u = RPReLU1(s)
 * (c channels each); acc1 the exact 1x1 conv sums and v before RPReLU2
 * (k channels each).
 */
typedef struct {
	float *acc3, *r, *s, *u;
	float *acc1, *v;
} bnn_ref_rblock_trace_t;

/*
 * One ReActNet block (section 6; bnn_reactnet.h states the steps): x is
 * NHWC n x h x w x c, y NHWC n x oh x ow x k. trace may be NULL. Allocates
 * its temporaries (aborting on out of memory, as bnn_ref_bconv).
 */
void bnn_ref_rblock(const bnn_rblock_shape_t *b, const bnn_rblock_params_t *p, const float *x,
		    float *y, bnn_ref_rblock_trace_t *trace);

/*
 * ReActNet-A end to end: img NCHW n x 3 x h x w, logits n x 1000. The stem
 * is a real conv (zero padding) and BN, then the blocks of bnn_rnet_block,
 * the global average pool and the FC with bias. Allocates as bnn_ref_rblock.
 */
void bnn_ref_reactnet(const bnn_rnet_shape_t *r, const bnn_rnet_params_t *p, const float *img,
		      float *logits);

#endif
