/*
 * ref_conv.c: the reference convolutions (doc/bnn-math.md,
 * sections 3, 4 and 5).
 *
 * Every output is visited in the order of the NHWC output tensor: image b,
 * output row oy, output column ox, filter o. Filter o belongs to group
 * g = o / (k / groups) and reads the input channels [g*cg, (g+1)*cg),
 * cg = c / groups. Tap (ky, kx) of output (oy, ox) reads input pixel
 * iy = oy*stride - pad + ky*dil, ix = ox*stride - pad + kx*dil.
 * The helpers below hold all of that index arithmetic, so that each
 * operation reads as its formula.
 *
 * Sums are kept in double and rounded to float once: a product of two
 * floats is exact in double, so the only rounding left is that of the sum.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bnn_ref.h"

/* One output element: image b, row oy, column ox, filter o. */
typedef struct {
	int64_t b, oy, ox, o;
} bnn_ref_pos_t;

/* Number of elements of the NHWC output [n][oh][ow][k]. */
static int64_t bnn_ref_out_count(const bnn_conv_shape_t *s)
{
	return s->n * s->oh * s->ow * s->k;
}

/* Splits the flat index i of the output [n][oh][ow][k] into its position. */
static bnn_ref_pos_t bnn_ref_out_pos(const bnn_conv_shape_t *s, int64_t i)
{
	bnn_ref_pos_t p;

	p.o = i % s->k;
	i /= s->k;
	p.ox = i % s->ow;
	i /= s->ow;
	p.oy = i % s->oh;
	p.b = i / s->oh;
	return p;
}

/*
 * The input pixel that tap (ky, kx) of output (b, oy, ox) reads: a pointer
 * to its c channels, or NULL when the tap falls in the padding.
 */
static const float *bnn_ref_tap(const bnn_conv_shape_t *s, const float *x, int64_t b,
				int64_t oy, int64_t ox, int64_t ky, int64_t kx)
{
	int64_t iy = oy * s->stride - s->pad + ky * s->dil;
	int64_t ix = ox * s->stride - s->pad + kx * s->dil;

	if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
		return NULL;
	return x + ((b * s->h + iy) * s->w + ix) * s->c;
}

/* The input channel of the pixel px (from bnn_ref_tap) that ci of o's group is. */
static float bnn_ref_group_channel(const bnn_conv_shape_t *s, const float *px, int64_t o,
				   int64_t ci)
{
	int64_t cg = s->c / s->groups;
	int64_t g = o / (s->k / s->groups);

	return px[g * cg + ci];
}

/* The cg = c/groups weights of filter o at tap (ky, kx), OHWI. */
static const float *bnn_ref_filter_tap(const bnn_conv_shape_t *s, const float *w, int64_t o,
				       int64_t ky, int64_t kx)
{
	int64_t cg = s->c / s->groups;

	return w + ((o * s->kh + ky) * s->kw + kx) * cg;
}

/*
 * sum of x * w over the receptive field of p; padding taps read pad_fill.
 * Four partial sums per tap only reorder the additions, in double, whose
 * rounding is far below every bound the harness checks against.
 */
static double bnn_ref_conv_at(const bnn_conv_shape_t *s, const float *x, const float *w,
			      double pad_fill, bnn_ref_pos_t p)
{
	int64_t cg = s->c / s->groups;
	int64_t g = p.o / (s->k / s->groups);
	double acc = 0.0;

	for (int64_t ky = 0; ky < s->kh; ky++) {
		for (int64_t kx = 0; kx < s->kw; kx++) {
			const float *px = bnn_ref_tap(s, x, p.b, p.oy, p.ox, ky, kx);
			const float *pw = bnn_ref_filter_tap(s, w, p.o, ky, kx);
			double part[4] = { 0 };
			int64_t ci = 0;

			if (!px) {
				for (; ci < cg; ci++)
					part[0] += pad_fill * pw[ci];
			} else {
				const float *xg = px + g * cg;   /* o's group of channels */

				for (; ci + 4 <= cg; ci += 4)
					for (int q = 0; q < 4; q++)
						part[q] += (double)xg[ci + q] * pw[ci + q];
				for (; ci < cg; ci++)
					part[0] += (double)xg[ci] * pw[ci];
			}
			acc += (part[0] + part[1]) + (part[2] + part[3]);
		}
	}
	return acc;
}

void bnn_ref_conv2d(const bnn_conv_shape_t *s, const float *x, const float *w,
		    float pad_fill, float *y)
{
	for (int64_t i = 0; i < bnn_ref_out_count(s); i++)
		y[i] = (float)bnn_ref_conv_at(s, x, w, pad_fill, bnn_ref_out_pos(s, i));
}

/*
 * A malloc'ed copy of the count values of v, each replaced by its sign.
 * Reference code has no error path to report through (the header promises
 * that nothing fails for valid shapes), so running out of memory here
 * prints a message and calls abort(); that is the only abort in reference/.
 */
static float *bnn_ref_sign_copy(const float *v, int64_t count)
{
	float *copy = malloc((size_t)count * sizeof(*copy));

	if (!copy) {
		fprintf(stderr, "bnn_ref: out of memory for %lld floats\n", (long long)count);
		abort();
	}
	for (int64_t i = 0; i < count; i++)
		copy[i] = bnn_ref_sign(v[i]);
	return copy;
}

/*
 * Binarizes copies of x and w (allocated and freed here; aborts on out of
 * memory, see bnn_ref_sign_copy) and convolves them with bnn_ref_conv2d,
 * the padding reading s->pad_value. Every term is -1, 0 or +1, so the double
 * sum and its float result are exact integers while c/groups*kh*kw < 2^24.
 */
void bnn_ref_bconv(const bnn_conv_shape_t *s, const float *x, const float *w, float *y)
{
	int64_t x_count = s->n * s->h * s->w * s->c;
	int64_t w_count = s->k * s->kh * s->kw * (s->c / s->groups);
	float *xs, *ws;

	assert(s->pad_value == 0 || s->pad_value == 1);
	xs = bnn_ref_sign_copy(x, x_count);
	ws = bnn_ref_sign_copy(w, w_count);
	bnn_ref_conv2d(s, xs, ws, (float)s->pad_value, y);
	free(xs);
	free(ws);
}

/* Sum of |w| in double, divided once and rounded once to float. */
void bnn_ref_alpha(const float *w, int64_t filters, int64_t per_filter, float *alpha)
{
	for (int64_t o = 0; o < filters; o++) {
		const float *wo = w + o * per_filter;
		double sum = 0.0;

		for (int64_t i = 0; i < per_filter; i++)
			sum += fabs(wo[i]);
		alpha[o] = (float)(sum / (double)per_filter);
	}
}

/* sum of x * sign(w) over the receptive field of p; padding contributes 0. */
static double bnn_ref_bwn_at(const bnn_conv_shape_t *s, const float *x, const float *w,
			     bnn_ref_pos_t p)
{
	int64_t cg = s->c / s->groups;
	double acc = 0.0;

	for (int64_t ky = 0; ky < s->kh; ky++) {
		for (int64_t kx = 0; kx < s->kw; kx++) {
			const float *px = bnn_ref_tap(s, x, p.b, p.oy, p.ox, ky, kx);
			const float *pw = bnn_ref_filter_tap(s, w, p.o, ky, kx);

			if (!px)
				continue;
			for (int64_t ci = 0; ci < cg; ci++)
				acc += bnn_ref_group_channel(s, px, p.o, ci) * bnn_ref_sign(pw[ci]);
		}
	}
	return acc;
}

/* alpha[o] times the double sum, rounded once to float. */
void bnn_ref_bwn_conv(const bnn_conv_shape_t *s, const float *x, const float *w,
		      const float *alpha, float *y)
{
	for (int64_t i = 0; i < bnn_ref_out_count(s); i++) {
		bnn_ref_pos_t p = bnn_ref_out_pos(s, i);

		y[i] = (float)((double)alpha[p.o] * bnn_ref_bwn_at(s, x, w, p));
	}
}

/* sum of |x| over the receptive field of p; padding contributes 0. */
static double bnn_ref_abs_sum_at(const bnn_conv_shape_t *s, const float *x, bnn_ref_pos_t p)
{
	int64_t cg = s->c / s->groups;
	double acc = 0.0;

	for (int64_t ky = 0; ky < s->kh; ky++) {
		for (int64_t kx = 0; kx < s->kw; kx++) {
			const float *px = bnn_ref_tap(s, x, p.b, p.oy, p.ox, ky, kx);

			if (!px)
				continue;
			for (int64_t ci = 0; ci < cg; ci++)
				acc += fabs(bnn_ref_group_channel(s, px, p.o, ci));
		}
	}
	return acc;
}

/* Each filter sees only its group's channels, so filters of different groups differ. */
void bnn_ref_abs_sum(const bnn_conv_shape_t *s, const float *x, float *out)
{
	for (int64_t i = 0; i < bnn_ref_out_count(s); i++)
		out[i] = (float)bnn_ref_abs_sum_at(s, x, bnn_ref_out_pos(s, i));
}

/*
 * The K-map at output pixel (b, oy, ox), in double: the box mean over the
 * kh x kw taps of A = mean over all c channels of |x| (the K-map ignores
 * groups), a padding tap counting as A = 0 but still in the divisor kh*kw.
 */
static double bnn_ref_kmap_at(const bnn_conv_shape_t *s, const float *x, int64_t b,
			      int64_t oy, int64_t ox)
{
	double box = 0.0;

	for (int64_t ky = 0; ky < s->kh; ky++) {
		for (int64_t kx = 0; kx < s->kw; kx++) {
			const float *px = bnn_ref_tap(s, x, b, oy, ox, ky, kx);
			double abs_sum = 0.0;

			if (!px)
				continue;
			for (int64_t ci = 0; ci < s->c; ci++)
				abs_sum += fabs(px[ci]);
			box += abs_sum / (double)s->c;
		}
	}
	return box / (double)(s->kh * s->kw);
}

void bnn_ref_xnor_kmap(const bnn_conv_shape_t *s, const float *x, float *kmap)
{
	for (int64_t b = 0; b < s->n; b++) {
		for (int64_t oy = 0; oy < s->oh; oy++) {
			for (int64_t ox = 0; ox < s->ow; ox++)
				kmap[(b * s->oh + oy) * s->ow + ox] =
					(float)bnn_ref_kmap_at(s, x, b, oy, ox);
		}
	}
}

/*
 * Runs bnn_ref_bconv into y (so it allocates and may abort as that does),
 * then scales y in place. Paper mode uses the K-map as bnn_ref_xnor_kmap
 * publishes it, already rounded to float, so that y is exactly
 * round(alpha * kmap * bconv) for the kmap a caller can see; the product of
 * the three is formed in double and rounded once.
 */
void bnn_ref_xnor_conv(const bnn_conv_shape_t *s, bnn_xnor_mode_t mode, const float *x,
		       const float *w, const float *alpha, float *y)
{
	bnn_ref_bconv(s, x, w, y);
	for (int64_t i = 0; i < bnn_ref_out_count(s); i++) {
		bnn_ref_pos_t p = bnn_ref_out_pos(s, i);
		double scale = alpha[p.o];

		if (mode == BNN_XNOR_PAPER)
			scale *= (float)bnn_ref_kmap_at(s, x, p.b, p.oy, p.ox);
		y[i] = (float)(scale * y[i]);
	}
}
