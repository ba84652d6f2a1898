/*
 * bnn_shape.h: problem shapes shared by reference/, kernels/ and harness/.
 *
 * The encoding and the math are those of doc/bnn-math.md:
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
	BNN_OP_RBLOCK,   /* one ReActNet block (doc/bnn-math.md section 6), float NHWC in and out */
	BNN_OP_RNET,     /* ReActNet-A end to end: float NCHW image in, logits out */
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

/*
 * A ReActNet block (doc/bnn-math.md section 6): n images of h x w x c, NHWC, to
 * oh x ow x k. Normal: k == c, stride 1. Reduction: k == 2c, stride 1 or 2
 * (stride 2 needs even h and w, so that the 2x2 average pool of the
 * shortcut and the strided 3x3 conv agree on the output size).
 */
typedef struct {
	int64_t n, h, w, c, k, stride;
	int64_t oh, ow;              /* h / stride, w / stride */
} bnn_rblock_shape_t;

/* ReActNet-A end to end on n images of 3 x h x w (multiples of 32). */
typedef struct {
	int64_t n, h, w;
} bnn_rnet_shape_t;

/* One operation to run: the union of what every op needs. */
typedef struct {
	bnn_op_t op;
	bnn_gemm_shape_t gemm;       /* BNN_OP_GEMM */
	bnn_conv_shape_t conv;       /* the convolution ops */
	bnn_xnor_mode_t xnor_mode;   /* BNN_OP_XNOR */
	bnn_rblock_shape_t rblock;   /* BNN_OP_RBLOCK */
	bnn_rnet_shape_t rnet;       /* BNN_OP_RNET */
} bnn_op_desc_t;

/* The ReActNet-A layer table (doc/bnn-math.md section 6), for input h x w. */
#define BNN_RNET_BLOCKS 13
#define BNN_RNET_STEM_C 32
#define BNN_RNET_FC_IN 1024
#define BNN_RNET_CLASSES 1000

/*
 * Block i (0-based: the table's block i + 1) of ReActNet-A for an n x 3 x
 * h x w input: its input and output channels, stride and input size.
 */
static inline bnn_rblock_shape_t bnn_rnet_block(const bnn_rnet_shape_t *r, int i)
{
	/* Output channels and stride of blocks 1..13; the stem gives 32 at h/2. */
	static const int64_t cout[BNN_RNET_BLOCKS] = { 64, 128, 128, 256, 256, 512, 512,
						       512, 512, 512, 512, 1024, 1024 };
	static const int64_t stride[BNN_RNET_BLOCKS] = { 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1 };
	bnn_rblock_shape_t b = { .n = r->n, .h = r->h / 2, .w = r->w / 2, .c = BNN_RNET_STEM_C };
	for (int j = 0; j <= i; j++) {
		if (j > 0) {
			b.h = b.oh, b.w = b.ow, b.c = b.k;
		}
		b.k = cout[j];
		b.stride = stride[j];
		b.oh = b.h / b.stride;
		b.ow = b.w / b.stride;
	}
	return b;
}

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

/* Binary MACs of an op (doc/bnn-math.md section 7). */
static inline double bnn_rblock_macs(const bnn_rblock_shape_t *b)
{
	/* The 3x3 conv C -> C, then the 1x1 conv(s) C -> k. */
	return (double)b->n * b->oh * b->ow * (double)b->c * (9.0 * b->c + b->k);
}

static inline double bnn_op_macs(const bnn_op_desc_t *d)
{
	if (d->op == BNN_OP_GEMM)
		return (double)d->gemm.m * (double)d->gemm.n * (double)d->gemm.k;
	if (d->op == BNN_OP_RBLOCK)
		return bnn_rblock_macs(&d->rblock);
	if (d->op == BNN_OP_RNET) {
		double macs = 0;
		for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
			bnn_rblock_shape_t b = bnn_rnet_block(&d->rnet, i);
			macs += bnn_rblock_macs(&b);
		}
		return macs;
	}
	const bnn_conv_shape_t *s = &d->conv;
	return (double)s->n * s->oh * s->ow * s->k * (double)(s->c / s->groups) * s->kh * s->kw;
}

#endif
