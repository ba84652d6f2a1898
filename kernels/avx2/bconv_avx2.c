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
#include "lut_kernel.h"
#include "generic/generic.h"
#include "generic/direct.h"
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
	/* The direct path (one group, stride 1 or 2), as the AVX-512 one: the
	 * image packed here into 32-bit words planar per row, [n][ph][dpp][pw];
	 * the filters as [nqb][steps][qw] columns (direct.h); the broadcast tile
	 * (lut_kernel.h) with lanes along the output channels writes NHWC;
	 * the zero-pad correction by classes (generic/pad_class.h). */
	int direct;
	const bnn_avx2_bc_t *bc;
	bnn_direct_t dp;
} conv_state_t;

void bnn_bconv_release__avx2(void *state)
{
	conv_state_t *st = state;
	if (!st)
		return;
	bnn_conv_release(st->base);
	bnn_direct_free(&st->dp);
	free(st->wrows);
	if (st->scratch)
		for (int t = 0; t < st->nthreads; t++)
			free(st->scratch[t]);
	free(st->scratch);
	free(st);
}


/* ---- the direct path ---- */

static void direct_pack_all(void *vst);
static void direct_rows_own(void *vst, int32_t *out, int64_t r0, int64_t r1);

static int direct_prepare(conv_state_t *st)
{
	const bnn_conv_state_t *b = st->base;
	st->direct = 1;
	st->base->pack_own = direct_pack_all;
	st->base->rows_own = direct_rows_own;
	st->base->own = st;
	st->bc = bnn_avx2_bc_pick(b->s.ow, (b->s.k + 7) / 8);
	int rc = bnn_direct_setup(&st->dp, b, 8, st->bc->q);
	st->base->own_x = st->dp.x;
	return rc;
}

/* Bit i of the word: p[i] (+ shift[i] when SH) < 0, ordered (-0.0 and
 * +0.0 pack as +1), 32 floats. */
static inline __attribute__((always_inline)) uint32_t sign_dword32(const float *p,
								   const float *shift, const int SH)
{
	const __m256 zero = _mm256_setzero_ps();
	uint32_t word = 0;
	for (int g = 0; g < 4; g++) {
		__m256 v = _mm256_loadu_ps(p + 8 * g);
		if (SH)
			v = _mm256_add_ps(v, _mm256_loadu_ps(shift + 8 * g));
		word |= (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ)) << (8 * g);
	}
	return word;
}

/* The same for cnt < 32 floats, one at a time. */
static uint32_t sign_dword_tail(const float *p, const float *shift, int64_t cnt)
{
	uint32_t word = 0;
	for (int64_t i = 0; i < cnt; i++) {
		float v = shift ? p[i] + shift[i] : p[i];
		word |= (uint32_t)(v < 0.0f) << i;
	}
	return word;
}

static inline __attribute__((always_inline)) void
pack_row(const float *src, const float *shift, int64_t w, int64_t c, uint32_t *dst, int64_t pw,
	 const int SH)
{
	const int64_t full = c / 32, dpp = (c + 31) / 32;
	for (int64_t ix = 0; ix < w; ix++, src += c) {
		for (int64_t j = 0; j < full; j++)
			dst[j * pw + ix] = sign_dword32(src + 32 * j, SH ? shift + 32 * j : NULL, SH);
		if (full < dpp)
			dst[full * pw + ix] = sign_dword_tail(src + 32 * full,
							      SH ? shift + 32 * full : NULL, c - 32 * full);
	}
}

/* Image rows [r0, r1) (flattened n, y) into the planar packed image. */
static void direct_pack(void *vst, int64_t r0, int64_t r1, int tid)
{
	conv_state_t *st = vst;
	const bnn_direct_t *dp = &st->dp;
	const bnn_conv_state_t *b = st->base;
	const bnn_conv_shape_t *s = &b->s;
	(void)tid;
	for (int64_t r = r0; r < r1; r++) {
		int64_t n = r / s->h, y = r % s->h;
		uint32_t *dst = dp->x + n * dp->imgdw + (y + s->pad) * dp->rowdw + s->pad;
		const float *src = b->x + r * s->w * s->c;
		if (b->shift)
			pack_row(src, b->shift, s->w, s->c, dst, b->pw, 1);
		else
			pack_row(src, NULL, s->w, s->c, dst, b->pw, 0);
	}
}

/* The direct path's packing of the whole image (base->pack_own). */
static void direct_pack_all(void *vst)
{
	conv_state_t *st = vst;
	const bnn_conv_shape_t *s = &st->base->s;
	bnn_parallel_for(s->n * s->h, 1, direct_pack, st);
}

/* Items [i0, i1) of (column block, output row) of the output rows [r0,
 * r0 + nrows), written from out (row r0's place): rows outer when the
 * filters are small (rows_outer: a thread's share is then whole output rows,
 * written contiguously, from the image rows it packed), else column blocks
 * outer (a block's filters stay in cache while the rows pass). */
static void direct_items(const conv_state_t *st, int32_t *out, int64_t r0, int64_t nrows,
			 int64_t i0, int64_t i1)
{
	const bnn_direct_t *dp = &st->dp;
	const bnn_conv_state_t *b = st->base;
	const bnn_conv_shape_t *s = &b->s;
	const int64_t P = st->bc->p, qw = 8 * st->bc->q;
	const bnn_avx2_bc_fn fn = st->bc->fn[s->stride - 1];
	const int32_t ktot = (int32_t)(st->base->taps * s->c);
	for (int64_t it = i0; it < i1; it++) {
		int64_t qb = dp->rows_outer ? it % dp->nqb : it / nrows;
		int64_t r = r0 + (dp->rows_outer ? it / dp->nqb : it % nrows);
		int64_t n = r / s->oh, oy = r % s->oh;
		int64_t oc0 = qb * qw, oc1 = oc0 + qw < s->k ? oc0 + qw : s->k;
		const uint32_t *xr = dp->x + n * dp->imgdw + oy * s->stride * dp->rowdw;
		int32_t *orow = out + (r - r0) * s->ow * s->k;
		for (int64_t ox = 0; ox < s->ow; ox += P)
			fn(xr + ox * s->stride, dp->toff, dp->wt + qb * dp->steps * dp->qw, dp->qw,
			   dp->steps, ktot,
			   orow + ox * s->k + oc0, s->k, s->ow - ox, oc1 - oc0, 0);
		if (b->corr)
			bnn_pad_correct_row(orow, s->ow, s->k, b->ycls[oy], b->xcls, b->corr, b->ncx,
					    s->k, oc0, oc1);
	}
}

/* Items [i0, i1) of the whole output (a task of run's loop). */
static void direct_rows(void *vst, int64_t i0, int64_t i1, int tid)
{
	const conv_state_t *st = vst;
	(void)tid;
	direct_items(st, st->out, 0, st->base->s.n * st->base->s.oh, i0, i1);
}

/* Output rows [r0, r1) (flattened n, oy) into out, row r0's place, in the
 * calling thread (base->rows_own: a fused block's band, by rows). */
static void direct_rows_own(void *vst, int32_t *out, int64_t r0, int64_t r1)
{
	const conv_state_t *st = vst;
	direct_items(st, out, r0, r1 - r0, 0, st->dp.nqb * (r1 - r0));
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
	/* kh, kw <= 64: the pad classes' tap masks. From 512 channels on (K
	 * of 4608 bits at 3x3) the implicit GEMM's long rows are as fast or
	 * faster (Zen 4, paired runs: 14x14x512 3x3 1200 us against 1287,
	 * 7x7x1024 3x3 1217 against 1208); 1x1 convs gain at every width. */
	if (d->conv.groups == 1 && (d->conv.stride == 1 || d->conv.stride == 2) &&
	    d->conv.kh <= 64 && d->conv.kw <= 64 &&
	    (d->conv.kh * d->conv.kw == 1 || d->conv.c <= 256)) {
		rc = direct_prepare(st);
		if (rc != 0) {
			bnn_bconv_release__avx2(st);
			return rc;
		}
		*state = st;
		return 0;
	}
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
	const bnn_direct_t *dp = &st->dp;
	const bnn_conv_shape_t *s = &st->base->s;
	/* XNOR-Net computes the integer conv into its own buffer, then scales. */
	st->out = st->base->d.op == BNN_OP_XNOR ? st->base->dot : out;
	if (st->direct) {
		direct_pack_all(st);
		bnn_parallel_for(dp->nqb * s->n * s->oh, 1, direct_rows, st);
		if (st->base->d.op == BNN_OP_XNOR)
			bnn_xnor_scale(st->base, out);
		return 0;
	}
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
