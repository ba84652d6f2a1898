/*
 * AVX2 Binary-Weight-Network convolution: real activations times +-1
 * weights with additions only. Each weight is kept as a sign mask
 * (0 or 0x80000000) so x * sign(w) is one XOR of x's sign bit; a 4-pixel
 * by 16-filter register tile accumulates x XOR mask, then alpha scales the
 * sums once. Out-of-image taps read a zero row (zero padding).
 */
#include <errno.h>
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>
#include "avx2.h"
#include "generic/generic.h"
#include "parallel.h"

#define PX 4     /* output pixels per tile */
#define OB 16    /* filters per tile: two ymm of 8 */

typedef struct {
	bnn_conv_shape_t s;
	int64_t cg, kg, taps, nob;  /* nob: filter blocks of OB per group */
	uint32_t *mask;             /* [g][ob][tap][ci][OB] */
	float *zeros;               /* cg zeros, for taps outside the image */
	const float *x, *alpha;
	float *y;
} bwn_state_t;

void bnn_bwn_release__avx2(void *state)
{
	bwn_state_t *st = state;
	if (!st)
		return;
	free(st->mask);
	free(st->zeros);
	free(st);
}

int bnn_bwn_prepare__avx2(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	bwn_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	const bnn_conv_shape_t *s = &d->conv;
	st->s = *s;
	st->cg = s->c / s->groups;
	st->kg = s->k / s->groups;
	st->taps = s->kh * s->kw;
	st->nob = (st->kg + OB - 1) / OB;
	st->x = in->a;
	st->alpha = in->alpha;
	size_t n = (size_t)(s->groups * st->nob * st->taps * st->cg * OB);
	/* 32 bytes of slack, rounded up to the multiple of 32 aligned_alloc wants */
	st->mask = aligned_alloc(32, (n * sizeof(uint32_t) + 32 + 31) / 32 * 32);
	st->zeros = calloc((size_t)st->cg + 8, sizeof(float));
	if (!st->mask || !st->zeros) {
		bnn_bwn_release__avx2(st);
		return -ENOMEM;
	}
	/* Filters past kg in the last block get mask 0: their sums are dropped. */
	memset(st->mask, 0, n * sizeof(uint32_t));
	for (int64_t g = 0; g < s->groups; g++)
		for (int64_t oo = 0; oo < st->kg; oo++) {
			int64_t o = g * st->kg + oo, ob = oo / OB, lane = oo % OB;
			for (int64_t t = 0; t < st->taps; t++)
				for (int64_t ci = 0; ci < st->cg; ci++) {
					float w = in->b[(o * st->taps + t) * st->cg + ci];
					size_t at = (size_t)((((g * st->nob + ob) * st->taps + t) * st->cg +
							      ci) * OB + lane);
					st->mask[at] = w < 0.0f ? 0x80000000u : 0;
				}
		}
	*state = st;
	return 0;
}

/* Output pixels [b, e) (flattened n, oy, ox), in tiles of PX. */
static void bwn_pixels(void *vst, int64_t b, int64_t e, int tid)
{
	const bwn_state_t *st = vst;
	const bnn_conv_shape_t *s = &st->s;
	int64_t opix = s->oh * s->ow;
	(void)tid;
	for (int64_t p0 = b; p0 < e; p0 += PX) {
		int64_t np = e - p0 < PX ? e - p0 : PX;
		for (int64_t g = 0; g < s->groups; g++)
			for (int64_t ob = 0; ob < st->nob; ob++) {
				__m256 acc[PX][2];
#pragma GCC unroll 8
				for (int q = 0; q < PX; q++)
					acc[q][0] = acc[q][1] = _mm256_setzero_ps();
				const uint32_t *mblk =
					st->mask + (g * st->nob + ob) * st->taps * st->cg * OB;
				for (int64_t ky = 0; ky < s->kh; ky++)
					for (int64_t kx = 0; kx < s->kw; kx++) {
						const float *xp[PX];
#pragma GCC unroll 8
						for (int q = 0; q < PX; q++) {
							int64_t p = p0 + (q < np ? q : np - 1);
							int64_t nb = p / opix, oy = p % opix / s->ow,
								ox = p % s->ow;
							int64_t iy = oy * s->stride - s->pad + ky * s->dil;
							int64_t ix = ox * s->stride - s->pad + kx * s->dil;
							xp[q] = iy < 0 || iy >= s->h || ix < 0 || ix >= s->w ?
									st->zeros :
									st->x + ((nb * s->h + iy) * s->w + ix) *
											s->c + g * st->cg;
						}
						const uint32_t *m =
							mblk + (ky * s->kw + kx) * st->cg * OB;
						for (int64_t ci = 0; ci < st->cg; ci++, m += OB) {
							__m256 m0 = _mm256_load_ps((const float *)m);
							__m256 m1 = _mm256_load_ps((const float *)m + 8);
#pragma GCC unroll 8
							for (int q = 0; q < PX; q++) {
								__m256 xb = _mm256_broadcast_ss(xp[q] + ci);
								acc[q][0] = _mm256_add_ps(acc[q][0],
											  _mm256_xor_ps(xb, m0));
								acc[q][1] = _mm256_add_ps(acc[q][1],
											  _mm256_xor_ps(xb, m1));
							}
						}
					}
				int64_t o0 = g * st->kg + ob * OB;
				int64_t nv = st->kg - ob * OB < OB ? st->kg - ob * OB : OB;
				for (int q = 0; q < np; q++) {
					float tmp[OB];
					_mm256_storeu_ps(tmp, acc[q][0]);
					_mm256_storeu_ps(tmp + 8, acc[q][1]);
					float *yp = st->y + (p0 + q) * s->k + o0;
					for (int64_t l = 0; l < nv; l++)
						yp[l] = st->alpha[o0 + l] * tmp[l];
				}
			}
	}
}

int bnn_bwn_run__avx2(void *state, void *out)
{
	bwn_state_t *st = state;
	const bnn_conv_shape_t *s = &st->s;
	st->y = out;
	bnn_parallel_for(s->n * s->oh * s->ow, PX * 8, bwn_pixels, st);
	return 0;
}
