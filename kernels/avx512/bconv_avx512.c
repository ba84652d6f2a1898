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
#include "xpc_kernel.h"
#include "generic/generic.h"
#include "generic/direct.h"
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
	/* The direct path (one group, stride 1 or 2): the image packed by this
	 * file into 32-bit words, planar per row, [n][ph][dpp][pw], so the
	 * words of P neighbouring pixels lie XS = stride apart; the filters
	 * as [nqb][steps][qw] columns of 32-bit words (direct.h); the broadcast tile
	 * (xpc_kernel.h) with lanes along the output channels writes NHWC
	 * directly, and the pad correction follows per row. */
	int direct;
	const bnn_a512_bc_t *bc;
	bnn_direct_t dp;
} conv_state_t;

void BNN_A512(bnn_bconv_release)(void *state)
{
	conv_state_t *st = state;
	if (!st)
		return;
	bnn_conv_release(st->base);
	bnn_direct_free(&st->dp);
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


/* ---- the direct path ---- */

/* The 32-bit word of cnt <= 32 floats at p (plus shift when not NULL): bit i
 * = (p[i] + shift[i] < 0), ordered, as sign_word of the GEMM. */
static inline uint32_t sign_dword(const float *p, const float *shift, int64_t cnt)
{
	const __m512 zero = _mm512_setzero_ps();
	uint32_t word = 0;
	for (int g = 0; g < 2 && 16 * g < cnt; g++) {
		bnn_mask16_t m = bnn_mask16_low(cnt - 16 * g);
		__m512 v = _mm512_maskz_loadu_ps(m, p + 16 * g);
		if (shift)
			v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, shift + 16 * g));
		word |= (uint32_t)_mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ) << (16 * g);
	}
	return word;
}



static void direct_pack_all(void *vst);
static void direct_rows_own(void *vst, int32_t *out, int64_t r0, int64_t r1);

static int direct_prepare(conv_state_t *st)
{
	const bnn_conv_state_t *b = st->base;
	st->direct = 1;
	st->base->pack_own = direct_pack_all;
	st->base->rows_own = direct_rows_own;
	st->base->own = st;
	st->bc = bnn_a512_bc_pick(b->s.ow, (b->s.k + 15) / 16);
	int rc = bnn_direct_setup(&st->dp, b, 16, st->bc->q);
	st->base->own_x = st->dp.x;
	return rc;
}

/* One image row of w pixels of c floats (c a multiple of 32), plus shift
 * when SH, into dst[word * pw + ix]: unmasked compares, inlined twice. */
static inline __attribute__((always_inline)) void
pack_row32(const float *src, const float *shift, int64_t w, int64_t c, uint32_t *dst, int64_t pw,
	   const int SH)
{
	const __m512 zero = _mm512_setzero_ps();
	const int64_t dpp = c / 32;
	for (int64_t ix = 0; ix < w; ix++, src += c)
		for (int64_t j = 0; j < dpp; j++) {
			__m512 lo = _mm512_loadu_ps(src + 32 * j), hi = _mm512_loadu_ps(src + 32 * j + 16);
			if (SH) {
				lo = _mm512_add_ps(lo, _mm512_loadu_ps(shift + 32 * j));
				hi = _mm512_add_ps(hi, _mm512_loadu_ps(shift + 32 * j + 16));
			}
			uint32_t m = (uint32_t)_mm512_cmp_ps_mask(lo, zero, _CMP_LT_OQ) |
				     (uint32_t)_mm512_cmp_ps_mask(hi, zero, _CMP_LT_OQ) << 16;
			dst[j * pw + ix] = m;
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
		if (s->c % 32 == 0) {
			if (b->shift)
				pack_row32(src, b->shift, s->w, s->c, dst, b->pw, 1);
			else
				pack_row32(src, NULL, s->w, s->c, dst, b->pw, 0);
			continue;
		}
		for (int64_t ix = 0; ix < s->w; ix++, src += s->c)
			for (int64_t w = 0; w < dp->dpp; w++) {
				int64_t cnt = s->c - 32 * w;
				dst[w * b->pw + ix] = sign_dword(src + 32 * w,
								 b->shift ? b->shift + 32 * w : NULL,
								 cnt < 32 ? cnt : 32);
			}
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
	const int64_t P = st->bc->p, qw = 16 * st->bc->q;
	const bnn_a512_bc_fn fn = st->bc->fn[s->stride - 1];
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

static void direct_run(conv_state_t *st)
{
	const bnn_conv_shape_t *s = &st->base->s;
	direct_pack_all(st);
	bnn_parallel_for(st->dp.nqb * s->n * s->oh, 1, direct_rows, st);
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
	/* kh, kw <= 64: the template prepared the pad correction's classes */
	if (d->conv.groups == 1 && (d->conv.stride == 1 || d->conv.stride == 2) &&
	    d->conv.kh <= 64 && d->conv.kw <= 64) {
		rc = direct_prepare(st);
		if (rc != 0) {
			BNN_A512(bnn_bconv_release)(st);
			return rc;
		}
		*state = st;
		return 0;
	}
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
	if (st->direct) {
		direct_run(st);
		if (st->base->d.op == BNN_OP_XNOR)
			bnn_xnor_scale(st->base, out);
		return 0;
	}
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
