/*
 * AVX2 binary convolution as a blocked implicit GEMM: for a block of output
 * pixels, the packed words of every tap are gathered into GEMM rows (a
 * "bit im2col" of one block at a time, 32x smaller than a float im2col and
 * never of the whole image), then the AVX2 XOR-popcount core multiplies them
 * with the filters, whose rows are the same tap-major words. The image is
 * packed with +1 padding and the zero-padding correction of doc/bnn-math.md section 5
 * is applied after, from the per-tap weight sums computed in prepare.
 * XNOR-Net convolution is the same integer conv, then the generic scaling
 * (alpha, and the K-map in paper mode), which is O(outputs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "avx2.h"
#include "generic/generic.h"
#include "parallel.h"

#define PIX_BLOCK 128   /* output pixels per GEMM block */

typedef struct {
	bnn_conv_state_t *base;     /* generic template: packed image, weight sums */
	int64_t kw4;                /* words per GEMM row: taps*wpg, padded to 4 unless 1 or 2 */
	uint64_t *wrows;            /* [k][kw4] filters as GEMM rows */
	int tight;                  /* cg < 64: taps' bits back to back, not a
				     * word per tap (32 channels fill 5 words
				     * for 9 taps instead of 9) */
	int nthreads;
	uint64_t **scratch;         /* per thread: PIX_BLOCK x kw4 words */
	int32_t *out;
} conv_state_t;

void bnn_bconv_release__avx2(void *state)
{
	conv_state_t *st = state;
	if (!st)
		return;
	bnn_conv_release(st->base);
	free(st->wrows);
	if (st->scratch)
		for (int t = 0; t < st->nthreads; t++)
			free(st->scratch[t]);
	free(st->scratch);
	free(st);
}

int bnn_bconv_prepare__avx2(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	conv_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = bnn_conv_prepare_with(bnn_pack_rows__avx2, d, in, &st->base);
	if (rc != 0) {
		free(st);
		return rc;
	}
	bnn_conv_state_t *b = st->base;
	b->pack_shift = bnn_pack_rsign__avx2;
	int64_t row = b->taps * b->wpg;
	st->tight = b->cg < 64 && b->taps > 1 && b->taps <= 64;
	st->kw4 = bnn_avx2_row_words(st->tight ? bnn_words(b->taps * b->cg) : row);
	st->wrows = calloc((size_t)(d->conv.k * st->kw4), sizeof(uint64_t));
	st->nthreads = bnn_parallel_threads();
	st->scratch = calloc((size_t)st->nthreads, sizeof(*st->scratch));
	if (!st->wrows || !st->scratch)
		goto nomem;
	for (int t = 0; t < st->nthreads; t++) {
		/* zeroed once: the padding words past taps*wpg stay zero */
		st->scratch[t] = calloc((size_t)(PIX_BLOCK * st->kw4), sizeof(uint64_t));
		if (!st->scratch[t])
			goto nomem;
	}
	for (int64_t o = 0; o < d->conv.k; o++)
		if (st->tight)
			bnn_put_taps(st->wrows + o * st->kw4, bnn_words(b->taps * b->cg),
				     b->wbits + o * row, b->taps, b->cg);
		else
			memcpy(st->wrows + o * st->kw4, b->wbits + o * row,
			       (size_t)row * sizeof(uint64_t));
	*state = st;
	return 0;
nomem:
	bnn_bconv_release__avx2(st);
	return -ENOMEM;
}

/* The one word of every tap of output (nb, oy, ox) in group g. */
static void gather_taps(const bnn_conv_state_t *b, int64_t nb, int64_t oy, int64_t ox,
			int64_t g, uint64_t *tap)
{
	const bnn_conv_shape_t *s = &b->s;
	int64_t pix_words = s->groups * b->wpg;
	for (int64_t ky = 0; ky < s->kh; ky++) {
		int64_t iy = oy * s->stride + ky * s->dil;
		for (int64_t kx = 0; kx < s->kw; kx++) {
			int64_t ix = ox * s->stride + kx * s->dil;
			*tap++ = b->xbits[((nb * b->ph + iy) * b->pw + ix) * pix_words + g];
		}
	}
}

/* Output pixels [p0, p1) (flattened n, oy, ox), every group. */
static void conv_pixels(void *vst, int64_t p0, int64_t p1, int tid)
{
	conv_state_t *st = vst;
	const bnn_conv_state_t *b = st->base;
	const bnn_conv_shape_t *s = &b->s;
	int64_t pix_words = s->groups * b->wpg, opix = s->oh * s->ow;
	uint64_t *rows = st->scratch[tid];
	for (int64_t q0 = p0; q0 < p1; q0 += PIX_BLOCK) {
		int64_t q1 = q0 + PIX_BLOCK < p1 ? q0 + PIX_BLOCK : p1;
		for (int64_t g = 0; g < s->groups; g++) {
			for (int64_t p = q0; p < q1; p++) {
				int64_t nb = p / opix, oy = p % opix / s->ow, ox = p % s->ow;
				uint64_t *dst = rows + (p - q0) * st->kw4;
				if (st->tight) {
					uint64_t tap[64];   /* tight only with taps <= 64 */
					gather_taps(b, nb, oy, ox, g, tap);
					bnn_put_taps(dst, bnn_words(b->taps * b->cg), tap, b->taps, b->cg);
					continue;
				}
				for (int64_t ky = 0; ky < s->kh; ky++) {
					int64_t iy = oy * s->stride + ky * s->dil;
					for (int64_t kx = 0; kx < s->kw; kx++) {
						int64_t ix = ox * s->stride + kx * s->dil;
						const uint64_t *src =
							b->xbits +
							((nb * b->ph + iy) * b->pw + ix) * pix_words +
							g * b->wpg;
						for (int64_t j = 0; j < b->wpg; j++)
							*dst++ = src[j];
					}
				}
			}
			bnn_bgemm_core__avx2(rows, st->kw4, st->wrows + g * b->kg * st->kw4, st->kw4,
					     q1 - q0, b->kg, st->kw4, b->taps * b->cg,
					     st->out + q0 * s->k + g * b->kg, s->k, 0);
		}
	}
}

int bnn_bconv_run__avx2(void *state, void *out)
{
	conv_state_t *st = state;
	const bnn_conv_shape_t *s = &st->base->s;
	/* XNOR-Net computes the integer conv into its own buffer, then scales. */
	st->out = st->base->d.op == BNN_OP_XNOR ? st->base->dot : out;
	bnn_conv_pack_input(st->base);
	int64_t npix = s->n * s->oh * s->ow, nt = bnn_parallel_threads();
	/* Small images (7x7 late layers) still give every thread a share. */
	int64_t grain = (npix + nt - 1) / nt;
	grain = grain < PIX_BLOCK ? (grain + 1) / 2 * 2 : PIX_BLOCK;
	if (nt <= st->nthreads)
		bnn_parallel_for(npix, grain, conv_pixels, st);
	else /* the pool grew after prepare: no scratch for the new threads */
		conv_pixels(st, 0, s->n * s->oh * s->ow, 0);
	bnn_bconv_pad_correct(st->base, st->out);
	if (st->base->d.op == BNN_OP_XNOR)
		bnn_xnor_scale(st->base, out);
	return 0;
}
