/*
 * Portable binary, BWN and XNOR-Net convolutions and the convolution
 * template they share (doc/bnn-math.md sections 3 to 5).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "generic.h"
#include "pad_class.h"
#include "popcount.h"
#include "parallel.h"

static size_t zsize(int64_t a, int64_t b, int64_t c, int64_t d)
{
	return (size_t)a * (size_t)b * (size_t)c * (size_t)d;
}

int bnn_conv_prepare_with(bnn_pack_fn pack, const bnn_op_desc_t *d, const bnn_inputs_t *in,
			  bnn_conv_state_t **state)
{
	bnn_conv_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	const bnn_conv_shape_t *s = &d->conv;
	st->d = *d;
	st->s = *s;
	st->pack = pack;
	st->pack_shift = bnn_pack_rsign__generic;
	st->shift = in->rsign;
	st->x = in->a;
	st->alpha = in->alpha;
	st->cg = s->c / s->groups;
	st->kg = s->k / s->groups;
	st->taps = s->kh * s->kw;
	st->wpg = bnn_words(st->cg);
	st->ph = s->h + 2 * s->pad;
	st->pw = s->w + 2 * s->pad;

	st->wbits = malloc(zsize(s->k, st->taps, st->wpg, 1) * sizeof(uint64_t));
	st->wsum = malloc(zsize(s->k, st->taps, 1, 1) * sizeof(int32_t));
	if (!st->wbits || !st->wsum)
		goto nomem;
	pack(in->b, s->k * st->taps, st->cg, st->cg, st->wbits, st->wpg);
	for (int64_t r = 0; r < s->k * st->taps; r++) {
		int64_t p = 0;
		for (int64_t j = 0; j < st->wpg; j++)
			p += bnn_popc64(st->wbits[r * st->wpg + j]);
		st->wsum[r] = (int32_t)(st->cg - 2 * p);
	}
	if ((d->op == BNN_OP_CONV || d->op == BNN_OP_XNOR) && s->kh <= 64 && s->kw <= 64) {
		/* The class vectors want the weight sums tap-major. */
		int32_t *wsumt = malloc(zsize(st->taps, s->k, 1, 1) * sizeof(int32_t));
		if (!wsumt)
			goto nomem;
		for (int64_t o = 0; o < s->k; o++)
			for (int64_t t = 0; t < st->taps; t++)
				wsumt[t * s->k + o] = st->wsum[o * st->taps + t];
		int rc = bnn_pad_class_prepare(s, wsumt, s->k, &st->ycls, &st->xcls, &st->corr,
					       &st->ncx);
		free(wsumt);
		if (rc)
			goto nomem;
	}

	if (d->op == BNN_OP_CONV || d->op == BNN_OP_XNOR) {
		/* calloc: the border must be zero bits, i.e. +1 padding. */
		st->xbits = calloc(zsize(s->n, st->ph, st->pw, s->groups * st->wpg),
				   sizeof(uint64_t));
		if (!st->xbits)
			goto nomem;
	}
	if (d->op == BNN_OP_XNOR) {
		st->dot = malloc(zsize(s->n, s->oh, s->ow, s->k) * sizeof(int32_t));
		st->amap = malloc(zsize(s->n, s->h, s->w, 1) * sizeof(float));
		st->kmap = malloc(zsize(s->n, s->oh, s->ow, 1) * sizeof(float));
		if (!st->dot || !st->amap || !st->kmap)
			goto nomem;
	}
	*state = st;
	return 0;
nomem:
	bnn_conv_release(st);
	return -ENOMEM;
}

void bnn_conv_release(void *state)
{
	bnn_conv_state_t *st = state;
	if (!st)
		return;
	free(st->wbits);
	free(st->wsum);
	free(st->xbits);
	free(st->dot);
	free(st->amap);
	free(st->kmap);
	free(st->ycls);
	free(st->xcls);
	free(st->corr);
	free(st);
}

/* Image rows [r0, r1) (flattened n, y) into the padded packed image. */
static void pack_rows_task(void *vst, int64_t r0, int64_t r1, int tid)
{
	bnn_conv_state_t *st = vst;
	const bnn_conv_shape_t *s = &st->s;
	int64_t pix_words = s->groups * st->wpg;
	(void)tid;
	for (int64_t r = r0; r < r1; r++) {
		int64_t b = r / s->h, y = r % s->h;
		uint64_t *dst = st->xbits + ((b * st->ph + y + s->pad) * st->pw + s->pad) * pix_words;
		const float *src = st->x + (b * s->h + y) * s->w * s->c;
		if (!st->shift) {
			/* (pixel, group) rows are cg floats apart in NHWC. */
			st->pack(src, s->w * s->groups, st->cg, st->cg, dst, st->wpg);
		} else if (s->groups == 1) {
			st->pack_shift(src, st->shift, s->w, s->c, s->c, dst, st->wpg);
		} else {
			/* The shift is per channel: one (pixel, group) row at a time. */
			for (int64_t px = 0; px < s->w * s->groups; px++)
				st->pack_shift(src + px * st->cg, st->shift + px % s->groups * st->cg,
					       1, st->cg, st->cg, dst + px * st->wpg, st->wpg);
		}
	}
}

void bnn_conv_pack_input(bnn_conv_state_t *st)
{
	bnn_parallel_for(st->s.n * st->s.h, 4, pack_rows_task, st);
}

typedef struct {
	const bnn_conv_state_t *st;
	void *out;
} conv_job_t;

/* Output pixels [p0, p1), flattened over (n, oy, ox). */
static void bconv_pixels(void *vjob, int64_t p0, int64_t p1, int tid)
{
	const conv_job_t *j = vjob;
	const bnn_conv_state_t *st = j->st;
	const bnn_conv_shape_t *s = &st->s;
	int64_t pix_words = s->groups * st->wpg, opix = s->oh * s->ow;
	int32_t full = (int32_t)(st->taps * st->cg);
	(void)tid;
	for (int64_t p = p0; p < p1; p++) {
		int64_t b = p / opix, oy = p % opix / s->ow, ox = p % s->ow;
		int32_t *o_px = (int32_t *)j->out + p * s->k;
		for (int64_t o = 0; o < s->k; o++) {
			int64_t g = o / st->kg;
			const uint64_t *wrow = st->wbits + o * st->taps * st->wpg;
			int64_t pop = 0;
			for (int64_t ky = 0; ky < s->kh; ky++) {
				int64_t iy = oy * s->stride + ky * s->dil;
				for (int64_t kx = 0; kx < s->kw; kx++) {
					int64_t ix = ox * s->stride + kx * s->dil;
					const uint64_t *xp = st->xbits +
							     ((b * st->ph + iy) * st->pw + ix) * pix_words +
							     g * st->wpg;
					const uint64_t *wp = wrow + (ky * s->kw + kx) * st->wpg;
					pop += bnn_popc_xor(xp, wp, st->wpg);
				}
			}
			o_px[o] = full - 2 * (int32_t)pop;
		}
	}
}

void bnn_bconv_xor_popc__generic(const bnn_conv_state_t *st, int32_t *out)
{
	conv_job_t job = { st, out };
	bnn_parallel_for(st->s.n * st->s.oh * st->s.ow, 16, bconv_pixels, &job);
}

/* Whether output row/column o has a tap outside [0, size): with stride s,
 * padding pad, kernel extent (taps-1)*dil+1. */
static int touches_pad(int64_t o, int64_t stride, int64_t pad, int64_t dil, int64_t taps,
		       int64_t size)
{
	int64_t first = o * stride - pad, last = first + (taps - 1) * dil;
	return first < 0 || last >= size;
}

/* Output rows [r0, r1) (flattened n, oy): each border output subtracts its
 * class's vector, contiguous over the channels. */
static void pad_correct_rows(void *vjob, int64_t r0, int64_t r1, int tid)
{
	const conv_job_t *j = vjob;
	const bnn_conv_state_t *st = j->st;
	const bnn_conv_shape_t *s = &st->s;
	int64_t k = s->k;
	(void)tid;
	for (int64_t r = r0; r < r1; r++)
		bnn_pad_correct_row((int32_t *)j->out + r * s->ow * k, s->ow, k, st->ycls[r % s->oh],
				    st->xcls, st->corr, st->ncx, k, 0, k);
}

/* Kernels wider than 64 taps: tap by tap, one thread. */
static void pad_correct_taps(const bnn_conv_state_t *st, int32_t *out)
{
	const bnn_conv_shape_t *s = &st->s;
	for (int64_t b = 0; b < s->n; b++)
		for (int64_t oy = 0; oy < s->oh; oy++) {
			int row_pad = touches_pad(oy, s->stride, s->pad, s->dil, s->kh, s->h);
			for (int64_t ox = 0; ox < s->ow; ox++) {
				/* Interior outputs have no padded tap: skip them whole. */
				if (!row_pad && !touches_pad(ox, s->stride, s->pad, s->dil, s->kw, s->w))
					continue;
				int32_t *o_px = out + ((b * s->oh + oy) * s->ow + ox) * s->k;
				for (int64_t ky = 0; ky < s->kh; ky++) {
					int64_t iy = oy * s->stride - s->pad + ky * s->dil;
					for (int64_t kx = 0; kx < s->kw; kx++) {
						int64_t ix = ox * s->stride - s->pad + kx * s->dil;
						if (iy >= 0 && iy < s->h && ix >= 0 && ix < s->w)
							continue;
						/* The +1 padding added sum(w) here; zero padding adds 0. */
						int64_t t = ky * s->kw + kx;
						for (int64_t o = 0; o < s->k; o++)
							o_px[o] -= st->wsum[o * st->taps + t];
					}
				}
			}
		}
}

void bnn_bconv_pad_correct(const bnn_conv_state_t *st, int32_t *out)
{
	const bnn_conv_shape_t *s = &st->s;
	if (s->pad_value != 0 || s->pad == 0)
		return;
	if (!st->corr) {
		pad_correct_taps(st, out);
		return;
	}
	conv_job_t job = { st, out };
	bnn_parallel_for(s->n * s->oh, 1, pad_correct_rows, &job);
}

int bnn_bconv_run__generic(void *state, void *out)
{
	bnn_conv_state_t *st = state;
	bnn_conv_pack_input(st);
	bnn_bconv_xor_popc__generic(st, out);
	bnn_bconv_pad_correct(st, out);
	return 0;
}

/* Real activations times +-1 weights: additions and subtractions only.
 * Output pixels [p0, p1), flattened over (n, oy, ox). */
static void bwn_pixels(void *vjob, int64_t p0, int64_t p1, int tid)
{
	const conv_job_t *j = vjob;
	const bnn_conv_state_t *st = j->st;
	const bnn_conv_shape_t *s = &st->s;
	int64_t opix = s->oh * s->ow;
	(void)tid;
	for (int64_t p = p0; p < p1; p++) {
		int64_t b = p / opix, oy = p % opix / s->ow, ox = p % s->ow;
		float *y_px = (float *)j->out + p * s->k;
		for (int64_t o = 0; o < s->k; o++) {
			int64_t g = o / st->kg;
			float acc = 0.0f;
			for (int64_t ky = 0; ky < s->kh; ky++) {
				int64_t iy = oy * s->stride - s->pad + ky * s->dil;
				if (iy < 0 || iy >= s->h)
					continue;
				for (int64_t kx = 0; kx < s->kw; kx++) {
					int64_t ix = ox * s->stride - s->pad + kx * s->dil;
					if (ix < 0 || ix >= s->w)
						continue;
					const float *xp = st->x + ((b * s->h + iy) * s->w + ix) * s->c +
							  g * st->cg;
					const uint64_t *wp =
						st->wbits + (o * st->taps + ky * s->kw + kx) * st->wpg;
					for (int64_t ci = 0; ci < st->cg; ci++) {
						if ((wp[ci >> 6] >> (ci & 63)) & 1)
							acc -= xp[ci];
						else
							acc += xp[ci];
					}
				}
			}
			y_px[o] = st->alpha[o] * acc;
		}
	}
}

int bnn_bwn_run__generic(void *state, void *out)
{
	conv_job_t job = { state, out };
	bnn_conv_state_t *st = state;
	bnn_parallel_for(st->s.n * st->s.oh * st->s.ow, 16, bwn_pixels, &job);
	return 0;
}

/* Paper mode's K-map: channel mean of |x|, then the box filter over the
 * conv's taps (zero padding), in float. */
void bnn_xnor_kmap__generic(bnn_conv_state_t *st)
{
	const bnn_conv_shape_t *s = &st->s;
	int64_t pixels = s->n * s->h * s->w;
	for (int64_t p = 0; p < pixels; p++) {
		const float *xp = st->x + p * s->c;
		float sum = 0.0f;
		for (int64_t ci = 0; ci < s->c; ci++)
			sum += fabsf(xp[ci]);
		st->amap[p] = sum / (float)s->c;
	}
	for (int64_t b = 0; b < s->n; b++)
		for (int64_t oy = 0; oy < s->oh; oy++)
			for (int64_t ox = 0; ox < s->ow; ox++) {
				float sum = 0.0f;
				for (int64_t ky = 0; ky < s->kh; ky++) {
					int64_t iy = oy * s->stride - s->pad + ky * s->dil;
					if (iy < 0 || iy >= s->h)
						continue;
					for (int64_t kx = 0; kx < s->kw; kx++) {
						int64_t ix = ox * s->stride - s->pad + kx * s->dil;
						if (ix >= 0 && ix < s->w)
							sum += st->amap[(b * s->h + iy) * s->w + ix];
					}
				}
				st->kmap[(b * s->oh + oy) * s->ow + ox] = sum / (float)st->taps;
			}
}

void bnn_xnor_scale(bnn_conv_state_t *st, float *y)
{
	const bnn_conv_shape_t *s = &st->s;
	int64_t opix = s->n * s->oh * s->ow;
	if (st->d.xnor_mode == BNN_XNOR_PAPER)
		bnn_xnor_kmap__generic(st);
	for (int64_t p = 0; p < opix; p++) {
		float beta = st->d.xnor_mode == BNN_XNOR_PAPER ? st->kmap[p] : 1.0f;
		for (int64_t o = 0; o < s->k; o++)
			y[p * s->k + o] = st->alpha[o] * beta * (float)st->dot[p * s->k + o];
	}
}

int bnn_xnor_run__generic(void *state, void *out)
{
	bnn_conv_state_t *st = state;
	bnn_conv_pack_input(st);
	bnn_bconv_xor_popc__generic(st, st->dot);
	bnn_bconv_pad_correct(st, st->dot);
	bnn_xnor_scale(st, out);
	return 0;
}
