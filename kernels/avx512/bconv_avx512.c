/*
 * AVX-512 binary convolution as a blocked implicit GEMM, as the AVX2 one:
 * for a block of PIX_BLOCK output pixels, the packed words of every tap
 * are gathered into GEMM rows (a bit im2col of one block, never of the
 * image), written straight into A panels, and the AVX-512 GEMM core
 * multiplies them with the filters, packed once into B panels in prepare.
 * The image is packed with +1 padding (512-bit sign-and-pack) and the
 * zero-padding correction of doc/bnn-math.md section 5 is applied after, from the
 * per-tap weight sums of the generic template, computed in prepare.
 * XNOR-Net is the same integer conv, then the shared scaling (alpha, and
 * the K-map in paper mode).
 *
 * Also compiled against SIMDe as the __avx512emu kernels (intrin.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "avx512.h"
#include "intrin.h"
#include "generic/generic.h"
#include "parallel.h"

#define PIX_BLOCK 128   /* output pixels per GEMM block: 32 A panels */

typedef struct {
	bnn_conv_state_t *base;     /* generic template: packed image, weight sums */
	int64_t kwr;                /* words per GEMM row */
	int tight;                  /* cg < 64: the taps' bits back to back, not a
				     * word per tap (32 channels x 9 taps fill 5
				     * words instead of 9) */
	int64_t kgp;                /* B panels per group: ceil(kg / 4) */
	uint64_t *wpan;             /* [groups][kgp] B panels of filter rows */
	int nthreads;
	uint64_t **scratch;         /* per thread: PIX_BLOCK/4 A panels + one row */
	int32_t *out;
} conv_state_t;

void BNN_A512(bnn_bconv_release)(void *state)
{
	conv_state_t *st = state;
	if (!st)
		return;
	bnn_conv_release(st->base);
	free(st->wpan);
	if (st->scratch)
		for (int t = 0; t < st->nthreads; t++)
			free(st->scratch[t]);
	free(st->scratch);
	free(st);
}

/* Copies one GEMM row of wpr words into row r (< 4) of the panel pan:
 * whole chunks of 8 words, then the tail (avx512.h's layout). */
static void put_row(uint64_t *pan, int64_t r, const uint64_t *row, int64_t wpr)
{
	int64_t full = wpr / 8, tail = wpr % 8;
	for (int64_t c = 0; c < full; c++)
		memcpy(pan + c * 32 + r * 8, row + c * 8, 8 * sizeof(uint64_t));
	if (tail)
		memcpy(pan + full * 32 + r * tail, row + full * 8, (size_t)tail * sizeof(uint64_t));
}

/* The GEMM row of output (nb, oy, ox) in group g: the words of every tap,
 * tap-major (or tightly packed), into row (kwr words). */
static void gather_row(const conv_state_t *st, int64_t nb, int64_t oy, int64_t ox, int64_t g,
		       uint64_t *row)
{
	const bnn_conv_state_t *b = st->base;
	const bnn_conv_shape_t *s = &b->s;
	int64_t pix_words = s->groups * b->wpg;
	uint64_t tap[64];     /* tight only with taps <= 64 */
	uint64_t *dst = st->tight ? tap : row;
	for (int64_t ky = 0; ky < s->kh; ky++) {
		int64_t iy = oy * s->stride + ky * s->dil;
		for (int64_t kx = 0; kx < s->kw; kx++) {
			int64_t ix = ox * s->stride + kx * s->dil;
			const uint64_t *src =
				b->xbits + ((nb * b->ph + iy) * b->pw + ix) * pix_words + g * b->wpg;
			for (int64_t j = 0; j < b->wpg; j++)
				*dst++ = src[j];
		}
	}
	if (st->tight)
		bnn_put_taps(row, st->kwr, tap, b->taps, b->cg);
}

int BNN_A512(bnn_bconv_prepare)(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	conv_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = bnn_conv_prepare_with(BNN_A512(bnn_pack_rows), d, in, &st->base);
	if (rc != 0) {
		free(st);
		return rc;
	}
	bnn_conv_state_t *b = st->base;
	b->pack_shift = BNN_A512(bnn_pack_rsign);   /* ReActNet's RSign, fused */
	int64_t row = b->taps * b->wpg;
	st->tight = b->cg < 64 && b->taps > 1 && b->taps <= 64;
	st->kwr = st->tight ? bnn_words(b->taps * b->cg) : row;
	st->kgp = (b->kg + BNN_A512_NR - 1) / BNN_A512_NR;
	size_t pan = (size_t)(BNN_A512_NR * st->kwr);
	st->wpan = calloc((size_t)(d->conv.groups * st->kgp) * pan, sizeof(uint64_t));
	st->nthreads = bnn_parallel_threads();
	st->scratch = calloc((size_t)st->nthreads, sizeof(*st->scratch));
	uint64_t *tmp = malloc((size_t)st->kwr * sizeof(uint64_t));
	if (!st->wpan || !st->scratch || !tmp)
		goto nomem;
	for (int t = 0; t < st->nthreads; t++) {
		/* zeroed once: rows past a short last block hold zeros or an older
		 * block's pixels, whose outputs are never stored */
		st->scratch[t] = calloc((size_t)(PIX_BLOCK * st->kwr + st->kwr), sizeof(uint64_t));
		if (!st->scratch[t])
			goto nomem;
	}
	/* Filter o = g*kg + oo is row oo % 4 of panel oo / 4 of group g;
	 * the rows past kg stay zero (calloc). */
	for (int64_t o = 0; o < d->conv.k; o++) {
		int64_t g = o / b->kg, oo = o % b->kg;
		const uint64_t *w = b->wbits + o * row;
		if (st->tight) {
			bnn_put_taps(tmp, st->kwr, w, b->taps, b->cg);
			w = tmp;
		}
		put_row(st->wpan + (g * st->kgp + oo / BNN_A512_NR) * pan, oo % BNN_A512_NR, w,
			st->kwr);
	}
	free(tmp);
	*state = st;
	return 0;
nomem:
	free(tmp);
	BNN_A512(bnn_bconv_release)(st);
	return -ENOMEM;
}

/* Output pixels [p0, p1) (flattened n, oy, ox), every group. */
static void conv_pixels(void *vst, int64_t p0, int64_t p1, int tid)
{
	conv_state_t *st = vst;
	const bnn_conv_state_t *b = st->base;
	const bnn_conv_shape_t *s = &b->s;
	int64_t opix = s->oh * s->ow, pan = BNN_A512_MR * st->kwr;
	uint64_t *apan = st->scratch[tid], *row = apan + PIX_BLOCK * st->kwr;
	for (int64_t q0 = p0; q0 < p1; q0 += PIX_BLOCK) {
		int64_t q1 = q0 + PIX_BLOCK < p1 ? q0 + PIX_BLOCK : p1;
		for (int64_t g = 0; g < s->groups; g++) {
			for (int64_t p = q0; p < q1; p++) {
				int64_t nb = p / opix, oy = p % opix / s->ow, ox = p % s->ow;
				int64_t r = p - q0;
				gather_row(st, nb, oy, ox, g, row);
				put_row(apan + r / BNN_A512_MR * pan, r % BNN_A512_MR, row, st->kwr);
			}
			BNN_A512(bnn_bgemm_core)(apan, st->wpan + g * st->kgp * pan, q1 - q0, b->kg,
						 st->kwr, b->taps * b->cg,
						 st->out + q0 * s->k + g * b->kg, s->k, 0);
		}
	}
}

int BNN_A512(bnn_bconv_run)(void *state, void *out)
{
	conv_state_t *st = state;
	const bnn_conv_shape_t *s = &st->base->s;
	/* XNOR-Net computes the integer conv into its own buffer, then scales. */
	st->out = st->base->d.op == BNN_OP_XNOR ? st->base->dot : out;
	bnn_conv_pack_input(st->base);
	int64_t npix = s->n * s->oh * s->ow, nt = bnn_parallel_threads();
	/* Small images (7x7 late layers) still give every thread a share,
	 * in whole panels of 4 pixels. */
	int64_t grain = (npix + nt - 1) / nt;
	grain = grain < PIX_BLOCK ? (grain + BNN_A512_MR - 1) / BNN_A512_MR * BNN_A512_MR :
				    PIX_BLOCK;
	if (nt <= st->nthreads)
		bnn_parallel_for(npix, grain, conv_pixels, st);
	else /* the pool grew after prepare: no scratch for the new threads */
		conv_pixels(st, 0, npix, 0);
	bnn_bconv_pad_correct(st->base, st->out);
	if (st->base->d.op == BNN_OP_XNOR)
		bnn_xnor_scale(st->base, out);
	return 0;
}
