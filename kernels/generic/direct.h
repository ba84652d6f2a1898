/*
 * direct.h: the layout the direct binary convolutions (AVX2 and AVX-512)
 * share, and its setup. The image is packed by the ISA into 32-bit words,
 * planar per row, [n][ph][dpp][pw], so the words of neighbouring pixels lie
 * stride apart; the filters are, per block of qw = q * lanes output
 * channels (the ISA's broadcast tile: q vectors of lanes channels each),
 * [steps][qw] 32-bit words, one step per (tap, word of channels), so that
 * a block's filters are contiguous (a row stride of kpad words, 2 KiB at
 * 512 channels, put every step in the same few L1 sets); toff[step] is a
 * step's offset from a pixel. Output channels are padded to kpad, whole
 * blocks. The zero-padding
 * correction is the template's, by classes (bnn_conv_state_t's ycls, xcls
 * and corr, pad_class.h). Plain C, included by the ISA folders.
 */
#ifndef BNN_DIRECT_H
#define BNN_DIRECT_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "generic/generic.h"
#include "generic/pad_class.h"

typedef struct {
	int64_t dpp;                /* 32-bit words per pixel */
	int64_t rowdw, imgdw;       /* words per padded row, per padded image */
	int64_t steps;              /* taps * dpp */
	int64_t kpad, nqb, qw;      /* padded output channels; blocks of q vectors;
				     * channels per block */
	int rows_outer;             /* items row-major: filters of 256 KiB or less */
	uint32_t *x;                /* packed image, +64 words of slack */
	uint32_t *wt;               /* [nqb][steps][qw] */
	int32_t *toff;              /* [steps] */
} bnn_direct_t;

/* Words per pixel, per padded row and per padded image of b's packed
 * image, [n][ph][dpp][pw]: the layout pack_own writes (own_x), for
 * bnn_direct_setup and for a stage that packs it in pack_own's place. */
static inline void bnn_direct_dims(const bnn_conv_state_t *b, int64_t *dpp, int64_t *rowdw,
				   int64_t *imgdw)
{
	*dpp = (b->s.c + 31) / 32;
	*rowdw = *dpp * b->pw;
	*imgdw = *rowdw * b->ph;
}

/* The layout of b's shape for a tile of q vectors of lanes channels and the
 * filters transposed from b->wbits. Returns 0 or -ENOMEM (bnn_direct_free
 * frees what was set). */
static inline int bnn_direct_setup(bnn_direct_t *dp, const bnn_conv_state_t *b, int64_t lanes,
				   int64_t q)
{
	const bnn_conv_shape_t *s = &b->s;
	bnn_direct_dims(b, &dp->dpp, &dp->rowdw, &dp->imgdw);
	dp->steps = b->taps * dp->dpp;
	int64_t kv = (s->k + lanes - 1) / lanes;
	dp->nqb = (kv + q - 1) / q;
	dp->qw = q * lanes;
	dp->kpad = dp->nqb * dp->qw;
	dp->rows_outer = dp->steps * dp->kpad * 4 <= 256 * 1024;
	/* calloc: the border stays zero bits (+1), corrected after */
	dp->x = calloc((size_t)(s->n * dp->imgdw + 64), sizeof(uint32_t));
	dp->wt = calloc((size_t)(dp->steps * dp->kpad), sizeof(uint32_t));
	dp->toff = malloc((size_t)dp->steps * sizeof(int32_t));
	if (!dp->x || !dp->wt || !dp->toff)
		return -ENOMEM;
	for (int64_t ky = 0; ky < s->kh; ky++)
		for (int64_t kx = 0; kx < s->kw; kx++)
			for (int64_t w = 0; w < dp->dpp; w++)
				dp->toff[(ky * s->kw + kx) * dp->dpp + w] =
					(int32_t)(ky * s->dil * dp->rowdw + w * b->pw + kx * s->dil);
	for (int64_t o = 0; o < s->k; o++)
		for (int64_t t = 0; t < b->taps; t++) {
			const uint64_t *wr = b->wbits + (o * b->taps + t) * b->wpg;
			for (int64_t w = 0; w < dp->dpp; w++)
				dp->wt[bnn_colblock_at(o, t * dp->dpp + w, dp->steps, dp->qw)] =
					(uint32_t)(wr[w / 2] >> (32 * (w % 2)));
		}
	return 0;
}

static inline void bnn_direct_free(bnn_direct_t *dp)
{
	free(dp->x);
	free(dp->wt);
	free(dp->toff);
}

#endif
