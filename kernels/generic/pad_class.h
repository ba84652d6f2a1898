/*
 * pad_class.h: the zero-padding correction of the direct convolutions
 * (AVX2 and AVX-512), by classes. With the border packed as +1 bits, output
 * (oy, ox) took sum(w) of every tap that falls in the padding
 * (doc/bnn-math.md section 5); which taps those are depends only on the
 * output's row class (top rows, inside, bottom rows) and column class, so
 * the correction is one vector per (row class, column class), subtracted
 * once per border output. Plain C, included by the ISA folders.
 */
#ifndef BNN_PAD_CLASS_H
#define BNN_PAD_CLASS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"

/* The taps (< 64) of output o that fall outside [0, size), as a bit mask. */
static inline uint64_t bnn_pad_taps(int64_t o, int64_t stride, int64_t pad, int64_t dil, int64_t taps,
			 int64_t size)
{
	uint64_t m = 0;
	for (int64_t t = 0; t < taps; t++) {
		int64_t i = o * stride - pad + t * dil;
		if (i < 0 || i >= size)
			m |= (uint64_t)1 << t;
	}
	return m;
}

/* Classes of rows or columns by their padded taps: cls[o] = index into
 * masks (masks[0] = 0, inside); returns the class count. */
static inline int64_t bnn_pad_classify(int32_t *cls, uint64_t *masks, int64_t count, int64_t stride, int64_t pad,
			int64_t dil, int64_t taps, int64_t size)
{
	int64_t nc = 1;
	masks[0] = 0;
	for (int64_t o = 0; o < count; o++) {
		uint64_t m = bnn_pad_taps(o, stride, pad, dil, taps, size);
		int64_t c = 0;
		while (c < nc && masks[c] != m)
			c++;
		if (c == nc)
			masks[nc++] = m;
		cls[o] = (int32_t)c;
	}
	return nc;
}

/*
 * For shape s (kh, kw <= 64) with zero padding, and wsumt[t][ld] the weight
 * sums of tap t per output channel (ld >= k): *ycls[oh], *xcls[ow] (class 0:
 * no padded tap) and *corr[(yc * *ncx + xc)][ld], the summed weight sums of
 * the class's padded taps. Leaves all NULL when nothing needs correcting.
 * Returns 0 or -ENOMEM (the caller frees what was set).
 */
static inline int bnn_pad_class_prepare(const bnn_conv_shape_t *s, const int32_t *wsumt,
					int64_t ld, int32_t **ycls, int32_t **xcls, int32_t **corr,
					int64_t *ncx)
{
	if (s->pad == 0 || s->pad_value != 0)
		return 0;
	*ycls = malloc((size_t)s->oh * sizeof(int32_t));
	*xcls = malloc((size_t)s->ow * sizeof(int32_t));
	uint64_t *ym = malloc((size_t)(s->oh + 1) * sizeof(uint64_t));
	uint64_t *xm = malloc((size_t)(s->ow + 1) * sizeof(uint64_t));
	if (!*ycls || !*xcls || !ym || !xm) {
		free(ym);
		free(xm);
		return -ENOMEM;
	}
	int64_t ncy = bnn_pad_classify(*ycls, ym, s->oh, s->stride, s->pad, s->dil, s->kh, s->h);
	*ncx = bnn_pad_classify(*xcls, xm, s->ow, s->stride, s->pad, s->dil, s->kw, s->w);
	*corr = calloc((size_t)(ncy * *ncx * ld), sizeof(int32_t));
	if (!*corr) {
		free(ym);
		free(xm);
		return -ENOMEM;
	}
	for (int64_t yc = 0; yc < ncy; yc++)
		for (int64_t xc = 0; xc < *ncx; xc++) {
			int32_t *cv = *corr + (yc * *ncx + xc) * ld;
			for (int64_t ky = 0; ky < s->kh; ky++)
				for (int64_t kx = 0; kx < s->kw; kx++) {
					if (!((ym[yc] >> ky) & 1) && !((xm[xc] >> kx) & 1))
						continue;
					const int32_t *ws = wsumt + (ky * s->kw + kx) * ld;
					for (int64_t o = 0; o < ld; o++)
						cv[o] += ws[o];
				}
		}
	free(ym);
	free(xm);
	return 0;
}

/* Vectors of the includer's width (GCC and clang vector extensions): the
 * AVX-512, AVX2 and generic builds each get theirs from one loop. */
#if defined(__AVX512F__)
#define BNN_PC_LANES 16
#elif defined(__AVX2__)
#define BNN_PC_LANES 8
#else
#define BNN_PC_LANES 4
#endif
typedef int32_t bnn_pc_vi_t __attribute__((vector_size(BNN_PC_LANES * 4)));

/*
 * The correction of one output row of row class yc (bnn_pad_class_prepare):
 * output ox of orow (pixels k apart) subtracts, over channels [oc0, oc1),
 * the vector corr[(yc * ncx + xcls[ox])][ld] of its class; inside outputs
 * (class 0, 0) are left alone.
 */
static inline void bnn_pad_correct_row(int32_t *orow, int64_t ow, int64_t k, int64_t yc,
				       const int32_t *xcls, const int32_t *corr, int64_t ncx,
				       int64_t ld, int64_t oc0, int64_t oc1)
{
	for (int64_t ox = 0; ox < ow; ox++) {
		int64_t xc = xcls[ox];
		if (yc == 0 && xc == 0)
			continue;
		const int32_t *cv = corr + (yc * ncx + xc) * ld;
		int32_t *o_px = orow + ox * k;
		int64_t o = oc0;
		for (; o + BNN_PC_LANES <= oc1; o += BNN_PC_LANES) {
			bnn_pc_vi_t a, c;
			memcpy(&a, o_px + o, sizeof(a));
			memcpy(&c, cv + o, sizeof(c));
			a -= c;
			memcpy(o_px + o, &a, sizeof(a));
		}
		for (; o < oc1; o++)
			o_px[o] -= cv[o];
	}
}

#endif
