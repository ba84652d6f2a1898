/*
 * bnn_shape.h: problem shapes shared by reference/, kernels/ and harness/.
 *
 * The encoding and the math are those of shared/spec/bnn-math.md:
 *   - GEMM:  C[m][n] = sum_k sign(A[m][k]) * sign(B[n][k])  (both operands K-contiguous)
 *   - conv:  NHWC activations, OHWI filters (O = k filters of kh x kw x c/groups),
 *            NHWC output [n][oh][ow][k]; group g uses channels [g*c/G, (g+1)*c/G)
 *            and filters [g*k/G, (g+1)*k/G).
 */
#ifndef BNN_SHAPE_H
#define BNN_SHAPE_H

#include <stddef.h>
#include <stdint.h>

/* Bits per packed word. */
#define BNN_WORD_BITS 64

typedef enum {
	BNN_OP_GEMM = 0, /* binary GEMM, int32 output */
	BNN_OP_CONV,     /* binary (XNOR) convolution, int32 output */
	BNN_OP_BWN,      /* binary-weight convolution: float x, alpha*sign(W), float output */
	BNN_OP_XNOR,     /* XNOR-Net convolution: alpha (and K-map in paper mode), float output */
	BNN_OP_COUNT
} bnn_op_t;

typedef enum {
	BNN_XNOR_PAPER = 0,    /* beta K-map as in the XNOR-Net paper */
	BNN_XNOR_RELEASED = 1  /* the released code: no K-map, alpha only */
} bnn_xnor_mode_t;

typedef struct {
	int64_t m, n, k;
} bnn_gemm_shape_t;

typedef struct {
	int64_t n, h, w, c;          /* input, NHWC */
	int64_t k, kh, kw;           /* k filters of kh x kw x (c / groups), OHWI */
	int64_t stride, pad, dil;    /* same in both spatial directions */
	int64_t groups;
	int pad_value;               /* value of the binarized padding: 0 or 1 */
	int64_t oh, ow;              /* derived by bnn_conv_shape_finish() */
} bnn_conv_shape_t;

/* One operation to run: the union of what every op needs. */
typedef struct {
	bnn_op_t op;
	bnn_gemm_shape_t gemm;       /* BNN_OP_GEMM */
	bnn_conv_shape_t conv;       /* the convolution ops */
	bnn_xnor_mode_t xnor_mode;   /* BNN_OP_XNOR */
} bnn_op_desc_t;

/* Words needed to hold len bits. */
static inline int64_t bnn_words(int64_t len)
{
	return (len + BNN_WORD_BITS - 1) / BNN_WORD_BITS;
}

/*
 * Fills s->oh and s->ow from the other fields:
 * out = floor((H + 2p - d*(k-1) - 1) / s) + 1.
 * Returns 0, or -1 when the shape is not a valid convolution (non-positive
 * sizes, channels not divisible by groups, empty output); the caller validates
 * user input before and reports which field is wrong.
 */
static inline int bnn_conv_shape_finish(bnn_conv_shape_t *s)
{
	if (s->n < 1 || s->h < 1 || s->w < 1 || s->c < 1 || s->k < 1 || s->kh < 1 ||
	    s->kw < 1 || s->stride < 1 || s->pad < 0 || s->dil < 1 || s->groups < 1)
		return -1;
	if (s->c % s->groups || s->k % s->groups)
		return -1;
	int64_t eh = s->h + 2 * s->pad - s->dil * (s->kh - 1) - 1;
	int64_t ew = s->w + 2 * s->pad - s->dil * (s->kw - 1) - 1;
	if (eh < 0 || ew < 0)
		return -1;
	s->oh = eh / s->stride + 1;
	s->ow = ew / s->stride + 1;
	return 0;
}

/* Binary MACs of an op (spec section 7). */
static inline double bnn_op_macs(const bnn_op_desc_t *d)
{
	if (d->op == BNN_OP_GEMM)
		return (double)d->gemm.m * (double)d->gemm.n * (double)d->gemm.k;
	const bnn_conv_shape_t *s = &d->conv;
	return (double)s->n * s->oh * s->ow * s->k * (double)(s->c / s->groups) * s->kh * s->kw;
}

#endif
