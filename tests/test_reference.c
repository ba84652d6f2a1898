/*
 * test_reference.c: known-answer tests for reference/ (the golden float
 * code), printed as TAP.
 *
 * Every expected value below was worked out by hand from the formulas of
 * doc/bnn-math.md and is written literally; nothing is computed by
 * the reference under test. The comments beside the numbers show the working.
 * Integer-valued results are compared exactly; other float results within
 * |got - want| <= 1e-6 * max(|want|, 1) (TOL_REL below).
 * The random tests at the end only cross-check one reference against another.
 *
 * Build, from the repository root (ref_*.c being every .c file of reference/):
 *   gcc -std=c11 -Wall -Wextra -O2 -I include -I reference \
 *       tests/test_reference.c reference/ref_*.c -lm
 * Exit status 0 only when every test passes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn_ref.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Relative tolerance for the float results that are not integers. */
#define TOL_REL 1e-6

/* ---- checking helpers: each prints a TAP diagnostic line per mismatch ---- */

/* Exact comparison of n floats; returns 1 when all match. */
static int check_exact(const char *what, const float *got, const float *want, size_t n)
{
	int ok = 1;

	for (size_t i = 0; i < n; i++) {
		if (got[i] != want[i]) {
			printf("# %s[%zu]: got %.9g, want %.9g\n", what, i, got[i], want[i]);
			ok = 0;
		}
	}
	return ok;
}

/* Comparison of n floats within TOL_REL; returns 1 when all match. */
static int check_close(const char *what, const float *got, const float *want, size_t n)
{
	int ok = 1;

	for (size_t i = 0; i < n; i++) {
		double tol = TOL_REL * fmax(fabs(want[i]), 1.0);

		if (!(fabs((double)got[i] - want[i]) <= tol)) {
			printf("# %s[%zu]: got %.9g, want %.9g\n", what, i, got[i], want[i]);
			ok = 0;
		}
	}
	return ok;
}

/* Fills a shape and derives oh, ow; a bad literal shape is a bug in this file. */
static bnn_conv_shape_t conv_shape(int64_t n, int64_t h, int64_t w, int64_t c, int64_t k,
				   int64_t kh, int64_t kw, int64_t stride, int64_t pad,
				   int64_t dil, int64_t groups, int pad_value)
{
	bnn_conv_shape_t s = {
		.n = n, .h = h, .w = w, .c = c, .k = k, .kh = kh, .kw = kw,
		.stride = stride, .pad = pad, .dil = dil, .groups = groups,
		.pad_value = pad_value,
	};

	if (bnn_conv_shape_finish(&s)) {
		printf("# invalid test shape\n");
		abort();
	}
	return s;
}

/* Checks the derived output size against the hand-computed one. */
static int check_out_size(const bnn_conv_shape_t *s, int64_t oh, int64_t ow)
{
	if (s->oh == oh && s->ow == ow)
		return 1;
	printf("# output size %lldx%lld, want %lldx%lld\n", (long long)s->oh,
	       (long long)s->ow, (long long)oh, (long long)ow);
	return 0;
}

/* ---- section 1: sign and bits ---- */

static int test_sign(int arg)
{
	/* +0.0, -0.0, the smallest negative subnormal, a tiny normal, +-1 */
	const float x[] = { 0.0f, -0.0f, -1.401298464e-45f, -1e-30f, 1.0f, -1.0f, 1e-30f };
	const float want[] = { 1.0f, 1.0f, -1.0f, -1.0f, 1.0f, -1.0f, 1.0f };
	float got[ARRAY_SIZE(x)];

	(void)arg;
	for (size_t i = 0; i < ARRAY_SIZE(x); i++)
		got[i] = bnn_ref_sign(x[i]);
	return check_exact("sign", got, want, ARRAY_SIZE(x));
}

static int test_bit(int arg)
{
	const float x[] = { 0.0f, -0.0f, -1.401298464e-45f, -1e-30f, 1.0f, -1.0f, 1e-30f };
	const float want[] = { 0, 0, 1, 1, 0, 1, 0 };
	float got[ARRAY_SIZE(x)];

	(void)arg;
	for (size_t i = 0; i < ARRAY_SIZE(x); i++)
		got[i] = (float)bnn_ref_bit(x[i]);
	return check_exact("bit", got, want, ARRAY_SIZE(x));
}

/*
 * Two rows of 65 values packed into 3 words per row (one more than the 2
 * needed, to check that whole spare words are cleared too).
 * Row 0: negative at 0, 3, 63, 64; -0.0 at 5 and +0.0 at 6 (both bit 0).
 * Row 1: all 65 negative.
 */
static int test_pack_65(int arg)
{
	enum { LEN = 65, WPR = 3 };
	float x[2 * LEN], back[2 * LEN], want_back[2 * LEN];
	uint64_t words[2 * WPR];
	const uint64_t want[2 * WPR] = {
		0x8000000000000009ull, 0x1ull, 0x0ull,	/* bits 0, 3, 63 | bit 64 | none */
		0xffffffffffffffffull, 0x1ull, 0x0ull,
	};
	int ok = 1;

	(void)arg;
	for (int i = 0; i < LEN; i++) {
		x[i] = 0.5f + (float)i;
		x[LEN + i] = -0.25f - (float)i;
	}
	x[0] = -1.0f;
	x[3] = -3.0f;
	x[5] = -0.0f;
	x[6] = 0.0f;
	x[63] = -1e-30f;
	x[64] = -64.0f;
	memset(words, 0xa5, sizeof(words));	/* garbage that pack must clear */

	bnn_ref_pack(x, 2, LEN, words, WPR);
	for (int i = 0; i < 2 * WPR; i++) {
		if (words[i] != want[i]) {
			printf("# word %d: got %016llx, want %016llx\n", i,
			       (unsigned long long)words[i], (unsigned long long)want[i]);
			ok = 0;
		}
	}

	for (int i = 0; i < LEN; i++) {
		want_back[i] = 1.0f;
		want_back[LEN + i] = -1.0f;
	}
	want_back[0] = want_back[3] = want_back[63] = want_back[64] = -1.0f;
	bnn_ref_unpack(words, 2, LEN, WPR, back);
	return check_exact("unpack", back, want_back, 2 * LEN) && ok;
}

/* ---- a small deterministic generator for the random tests ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* An integer in [0, n). */
static int64_t rng_below(int64_t n)
{
	return (int64_t)(rng_next() % (uint64_t)n);
}

/* A float in [-1, 1), with an exact +0.0 or -0.0 about one time in eight. */
static float rng_float(void)
{
	uint64_t r = rng_next();

	switch (r & 15) {
	case 0:
		return 0.0f;
	case 1:
		return -0.0f;
	default:
		return (float)((double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0);
	}
}

static void rng_fill(float *v, int64_t count)
{
	for (int64_t i = 0; i < count; i++)
		v[i] = rng_float();
}

/* Three random rows of length arg: spare bits 0, and unpack(pack(x)) == sign(x). */
static int test_pack_roundtrip(int arg)
{
	const int64_t rows = 3, len = arg, wpr = bnn_words(len);
	float *x = malloc((size_t)(rows * len) * sizeof(float));
	float *back = malloc((size_t)(rows * len) * sizeof(float));
	float *want = malloc((size_t)(rows * len) * sizeof(float));
	uint64_t *words = malloc((size_t)(rows * wpr) * sizeof(uint64_t));
	int ok = 1;

	if (!x || !back || !want || !words) {
		printf("# out of memory\n");
		ok = 0;
		goto out;
	}
	rng_fill(x, rows * len);
	memset(words, 0xff, (size_t)(rows * wpr) * sizeof(uint64_t));
	bnn_ref_pack(x, rows, len, words, wpr);
	for (int64_t r = 0; r < rows; r++) {
		uint64_t last = words[r * wpr + wpr - 1];
		int used = (int)(len - (wpr - 1) * BNN_WORD_BITS);	/* bits of the last word in use */

		if (used < BNN_WORD_BITS && (last >> used) != 0) {
			printf("# row %lld: spare bits set in %016llx\n", (long long)r,
			       (unsigned long long)last);
			ok = 0;
		}
	}
	for (int64_t i = 0; i < rows * len; i++)
		want[i] = x[i] >= 0.0f ? 1.0f : -1.0f;	/* the spec's rule, stated again */
	bnn_ref_unpack(words, rows, len, wpr, back);
	ok = check_exact("round trip", back, want, (size_t)(rows * len)) && ok;
out:
	free(x);
	free(back);
	free(want);
	free(words);
	return ok;
}

/* ---- section 2: the +-1 GEMM ---- */

/*
 * a (2x5) signs:  a0 = + - + + +   (1, -2, 0, -0.0, 3)
 *                 a1 = - - - + -
 * b (3x5) signs:  b0 = + + + + +
 *                 b1 = - + + - +   (-0.0 at index 2 is +)
 *                 b2 = + - - + -
 * c00 = 1-1+1+1+1 = 3    c01 = -1-1+1-1+1 = -1   c02 = 1+1-1+1-1 = 1
 * c10 = -1-1-1+1-1 = -3  c11 = 1-1-1-1-1 = -3    c12 = -1+1+1+1+1 = 3
 */
static int test_bgemm(int arg)
{
	const bnn_gemm_shape_t s = { .m = 2, .n = 3, .k = 5 };
	const float a[] = {
		1.0f, -2.0f, 0.0f, -0.0f, 3.0f,
		-1.0f, -1.0f, -1.0f, 0.5f, -0.5f,
	};
	const float b[] = {
		2.0f, 2.0f, 2.0f, 2.0f, 2.0f,
		-3.0f, 1.0f, -0.0f, -1.0f, 1.0f,
		1.0f, -1.0f, -1.0f, 1.0f, -1.0f,
	};
	const float want[] = { 3, -1, 1, -3, -3, 3 };
	float c[6];

	(void)arg;
	bnn_ref_bgemm(&s, a, b, c);
	return check_exact("bgemm", c, want, 6);
}

/* ---- section 5: binary convolution and its padding ---- */

/*
 * 1x3x3x1 input, one 3x3 filter, stride 1, pad 1, out 3x3.
 *   x        sign(x)       w               sign(w)
 *   0.5 -2  3    + - +     -0.5  1  0      - + +
 *  -0.0  1 -1    + + -      2   -3  1      + - +
 *  -4    0  2    - + +      1    1 -0.0    + + +
 * Each output = (in-image taps) + pad_value * (sum of sign(w) over the
 * out-of-image taps):
 *   (0,0): 0 + 3p   (0,1): 4 + 1p   (0,2): -2 + 3p
 *   (1,0): 0 + 1p   (1,1): -1       (1,2):  6 + 3p
 *   (2,0): 4 + 3p   (2,1): -2 + 3p  (2,2): -2 + 5p
 * e.g. (0,0): in-image taps (1,1)..(2,2) give -1 -1 +1 +1 = 0; the padding
 * taps (0,0) (0,1) (0,2) (1,0) (2,0) carry -1+1+1+1+1 = 3.
 */
static const float bconv3_x[] = {
	0.5f, -2.0f, 3.0f,
	-0.0f, 1.0f, -1.0f,
	-4.0f, 0.0f, 2.0f,
};
static const float bconv3_w[] = {
	-0.5f, 1.0f, 0.0f,
	2.0f, -3.0f, 1.0f,
	1.0f, 1.0f, -0.0f,
};

static int test_bconv_pad0(int arg)
{
	bnn_conv_shape_t s = conv_shape(1, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 0);
	const float want[] = { 0, 4, -2, 0, -1, 6, 4, -2, -2 };
	float y[9];

	(void)arg;
	if (!check_out_size(&s, 3, 3))
		return 0;
	bnn_ref_bconv(&s, bconv3_x, bconv3_w, y);
	return check_exact("bconv pad 0", y, want, 9);
}

static int test_bconv_pad1(int arg)
{
	bnn_conv_shape_t s = conv_shape(1, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 1);
	const float want[] = { 3, 5, 1, 1, -1, 9, 7, 1, 3 };
	float y[9];

	(void)arg;
	if (!check_out_size(&s, 3, 3))
		return 0;
	bnn_ref_bconv(&s, bconv3_x, bconv3_w, y);
	return check_exact("bconv pad 1", y, want, 9);
}

/*
 * Stride 2: 1x5x5x1 input x[r][c] = 5r + c, 3x3 filter with w(0,0) = 1,
 * w(0,1) = 2, w(2,2) = -1 and zeros elsewhere, pad 1, padding reads 10.
 * out = floor((5 + 2 - 2 - 1) / 2) + 1 = 3; tap rows 2oy-1.., columns 2ox-1..
 * y(oy,ox) = X(2oy-1, 2ox-1) + 2 X(2oy-1, 2ox) - X(2oy+1, 2ox+1), X = 10 outside:
 *   (0,0): 10 + 20 - 6 = 24    (0,1): 10 + 20 - 8 = 22    (0,2): 10 + 20 - 10 = 20
 *   (1,0): 10 + 10 - 16 = 4    (1,1): 6 + 14 - 18 = 2     (1,2): 8 + 18 - 10 = 16
 *   (2,0): 10 + 30 - 10 = 30   (2,1): 16 + 34 - 10 = 40   (2,2): 18 + 38 - 10 = 46
 */
static int test_conv_stride2(int arg)
{
	bnn_conv_shape_t s = conv_shape(1, 5, 5, 1, 1, 3, 3, 2, 1, 1, 1, 0);
	const float w[] = { 1, 2, 0, 0, 0, 0, 0, 0, -1 };
	const float want[] = { 24, 22, 20, 4, 2, 16, 30, 40, 46 };
	float x[25], y[9];

	(void)arg;
	for (int i = 0; i < 25; i++)
		x[i] = (float)i;	/* 5r + c */
	if (!check_out_size(&s, 3, 3))
		return 0;
	bnn_ref_conv2d(&s, x, w, 10.0f, y);
	return check_exact("conv stride 2", y, want, 9);
}

/*
 * Dilation 2: 1x3x3x1 input 1..9, a 2x2 filter (1, 10; 100, 1000), pad 1,
 * padding 0. out = floor((3 + 2 - 2*1 - 1) / 1) + 1 = 3. The taps of (oy,ox)
 * are rows oy-1, oy+1 and columns ox-1, ox+1, so each decimal digit of the
 * result names the input read by one tap:
 *   (0,0): 1000*5 = 5000              (0,1): 100*4 + 1000*6 = 6400
 *   (0,2): 100*5 = 500                (1,0): 10*2 + 1000*8 = 8020
 *   (1,1): 1 + 10*3 + 100*7 + 1000*9 = 9731
 *   (1,2): 2 + 100*8 = 802            (2,0): 10*5 = 50
 *   (2,1): 4 + 10*6 = 64              (2,2): 5
 */
static int test_conv_dilation2(int arg)
{
	bnn_conv_shape_t s = conv_shape(1, 3, 3, 1, 1, 2, 2, 1, 1, 2, 1, 0);
	const float x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	const float w[] = { 1, 10, 100, 1000 };
	const float want[] = { 5000, 6400, 500, 8020, 9731, 802, 50, 64, 5 };
	float y[9];

	(void)arg;
	if (!check_out_size(&s, 3, 3))
		return 0;
	bnn_ref_conv2d(&s, x, w, 0.0f, y);
	return check_exact("conv dilation 2", y, want, 9);
}

/*
 * Groups = 2: 1x1x3x4 input, pixels ix0 = (1,2,3,4), ix1 = (5,6,7,8),
 * ix2 = (9,10,11,12); four 1x2 filters over cg = 2 channels, pad 0, ow = 2.
 * Filters 0, 1 read channels 0, 1; filters 2, 3 read channels 2, 3.
 *   o0: kx0 (1,0)          -> x[ox][0]:                    1, 5
 *   o1: kx1 (0,-1)         -> -x[ox+1][1]:                -6, -10
 *   o2: kx0 (1,0)          -> x[ox][2]:                    3, 7
 *   o3: kx0 (0,2) kx1 (3,0) -> 2 x[ox][3] + 3 x[ox+1][2]:  8+21 = 29, 16+33 = 49
 */
static const float groups_x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static int test_conv_groups2(int arg)
{
	bnn_conv_shape_t s = conv_shape(1, 1, 3, 4, 4, 1, 2, 1, 0, 1, 2, 0);
	const float w[] = {
		1, 0, 0, 0,	/* o0: kx0 (c0, c1), kx1 (c0, c1) */
		0, 0, 0, -1,	/* o1 */
		1, 0, 0, 0,	/* o2: kx0 (c2, c3), kx1 (c2, c3) */
		0, 2, 3, 0,	/* o3 */
	};
	const float want[] = { 1, -6, 3, 29, 5, -10, 7, 49 };
	float y[8];

	(void)arg;
	if (!check_out_size(&s, 1, 2))
		return 0;
	bnn_ref_conv2d(&s, groups_x, w, 0.0f, y);
	return check_exact("conv groups 2", y, want, 8);
}

/*
 * Non-square kernel kh = 1, kw = 3: 1x2x4x1 input (1 2 3 4; 5 6 7 8),
 * filter (1, 10, 100), pad 1 in both directions, padding 0. oh = 2 + 2 - 1 = 4
 * (rows 0 and 3 read only padding), ow = 4 + 2 - 2 = 4.
 * y(oy,ox) = X(oy-1, ox-1) + 10 X(oy-1, ox) + 100 X(oy-1, ox+1):
 *   row 1: 10 + 200 = 210, 1 + 20 + 300 = 321, 2 + 30 + 400 = 432, 3 + 40 = 43
 *   row 2: 50 + 600 = 650, 5 + 60 + 700 = 765, 6 + 70 + 800 = 876, 7 + 80 = 87
 */
static int test_conv_nonsquare(int arg)
{
	bnn_conv_shape_t s = conv_shape(1, 2, 4, 1, 1, 1, 3, 1, 1, 1, 1, 0);
	const float x[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const float w[] = { 1, 10, 100 };
	const float want[] = {
		0, 0, 0, 0,
		210, 321, 432, 43,
		650, 765, 876, 87,
		0, 0, 0, 0,
	};
	float y[16];

	(void)arg;
	if (!check_out_size(&s, 4, 4))
		return 0;
	bnn_ref_conv2d(&s, x, w, 0.0f, y);
	return check_exact("conv 1x3", y, want, 16);
}

/* ---- sections 3 and 4: BWN and XNOR-Net ---- */

/*
 * The shared problem of the BWN and XNOR tests: 1x2x2x2 input, two 2x2
 * filters over 2 channels, stride 1, pad 1, out 3x3x2.
 *   pixels P00 = (1, -2), P01 = (0.5, 3), P10 = (-1.5, 0.25), P11 = (2, -0.5)
 *   w0 taps T00 = (0.25, -0.5), T01 = (-0.75, 1), T10 = (0.5, 0), T11 = (-0.25, -0.75)
 *      signs    (+, -)            (-, +)          (+, +)         (-, -)
 *      alpha0 = (0.25+0.5+0.75+1+0.5+0+0.25+0.75) / 8 = 4 / 8 = 0.5
 *   w1 = 1.5 everywhere except -0.0 at T10 channel 1: all signs +,
 *      alpha1 = 7 * 1.5 / 8 = 1.3125
 */
static const float bx_x[] = {
	1.0f, -2.0f, 0.5f, 3.0f,
	-1.5f, 0.25f, 2.0f, -0.5f,
};
static const float bx_w[] = {
	0.25f, -0.5f, -0.75f, 1.0f, 0.5f, 0.0f, -0.25f, -0.75f,
	1.5f, 1.5f, 1.5f, 1.5f, 1.5f, -0.0f, 1.5f, 1.5f,
};
static const float bx_alpha[] = { 0.5f, 1.3125f };

static bnn_conv_shape_t bx_shape(int pad_value)
{
	return conv_shape(1, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, pad_value);
}

static int test_alpha(int arg)
{
	const float w2[] = { 0.1f, -0.2f, 0.3f };	/* mean 0.2 */
	float got[2], got2[1];
	const float want2[] = { 0.2f };

	(void)arg;
	bnn_ref_alpha(bx_w, 2, 8, got);
	bnn_ref_alpha(w2, 1, 3, got2);
	return check_exact("alpha", got, bx_alpha, 2) & check_close("alpha 0.2", got2, want2, 1);
}

/*
 * Per pixel and tap, sum over channels of x * sign(w0):
 *   T00 (+,-): P00 3, P01 -2.5, P10 -1.75, P11 2.5
 *   T01 (-,+): P00 -3, P01 2.5, P10 1.75, P11 -2.5
 *   T10 (+,+): P00 -1, P01 3.5, P10 -1.25, P11 1.5
 *   T11 (-,-): P00 1, P01 -3.5, P10 1.25, P11 -1.5
 * Output (oy,ox) reads pixel (oy-1+ky, ox-1+kx) at tap Tky,kx; padding is 0.
 * Filter 1 (all +) sums the channels: P00 -1, P01 3.5, P10 -1.25, P11 1.5.
 *          filter 0 sum  * 0.5          filter 1 sum * 1.3125
 *   (0,0): 1                 0.5        -1              -1.3125
 *   (0,1): -1 - 3.5 = -4.5  -2.25       2.5              3.28125
 *   (0,2): 3.5               1.75       3.5              4.59375
 *   (1,0): -3 + 1.25        -0.875      -2.25           -2.953125
 *   (1,1): 3+2.5-1.25-1.5    1.375      2.75             3.609375
 *   (1,2): -2.5 + 1.5       -0.5        5                6.5625
 *   (2,0): 1.75              0.875      -1.25           -1.640625
 *   (2,1): -1.75 - 2.5      -2.125      0.25             0.328125
 *   (2,2): 2.5               1.25       1.5              1.96875
 */
static int test_bwn_conv(int arg)
{
	bnn_conv_shape_t s = bx_shape(1);	/* pad_value must be ignored: BWN pads 0 */
	const float want[] = {
		0.5f, -1.3125f, -2.25f, 3.28125f, 1.75f, 4.59375f,
		-0.875f, -2.953125f, 1.375f, 3.609375f, -0.5f, 6.5625f,
		0.875f, -1.640625f, -2.125f, 0.328125f, 1.25f, 1.96875f,
	};
	float y[18];

	(void)arg;
	if (!check_out_size(&s, 3, 3))
		return 0;
	bnn_ref_bwn_conv(&s, bx_x, bx_w, bx_alpha, y);
	return check_close("bwn", y, want, 18);
}

/*
 * |x| summed per pixel: P00 3, P01 3.5, P10 1.75, P11 2.5; each output sums
 * the pixels its taps reach (the same for both filters, groups = 1):
 *   3, 6.5, 3.5; 4.75, 10.75, 6; 1.75, 4.25, 2.5
 */
static int test_abs_sum(int arg)
{
	bnn_conv_shape_t s = bx_shape(0);
	const float want[] = {
		3, 3, 6.5f, 6.5f, 3.5f, 3.5f,
		4.75f, 4.75f, 10.75f, 10.75f, 6, 6,
		1.75f, 1.75f, 4.25f, 4.25f, 2.5f, 2.5f,
	};
	float out[18];

	(void)arg;
	bnn_ref_abs_sum(&s, bx_x, out);
	return check_close("abs_sum", out, want, 18);
}

/*
 * With groups = 2 (the groups conv test's input), filters 0, 1 sum |x| over
 * channels 0, 1 and filters 2, 3 over channels 2, 3:
 *   ox0: 1+2+5+6 = 14, 3+4+7+8 = 22;  ox1: 5+6+9+10 = 30, 7+8+11+12 = 38
 */
static int test_abs_sum_groups(int arg)
{
	bnn_conv_shape_t s = conv_shape(1, 1, 3, 4, 4, 1, 2, 1, 0, 1, 2, 0);
	const float want[] = { 14, 14, 22, 22, 30, 30, 38, 38 };
	float out[8];

	(void)arg;
	bnn_ref_abs_sum(&s, groups_x, out);
	return check_exact("abs_sum groups", out, want, 8);
}

/*
 * A = mean over the 2 channels of |x|: A00 = 1.5, A01 = 1.75, A10 = 0.875,
 * A11 = 1.25. The K-map is the 2x2 box sum over the in-image taps / 4:
 *   (0,0): 1.5/4 = 0.375            (0,1): 3.25/4 = 0.8125     (0,2): 1.75/4 = 0.4375
 *   (1,0): 2.375/4 = 0.59375        (1,1): 5.375/4 = 1.34375   (1,2): 3/4 = 0.75
 *   (2,0): 0.875/4 = 0.21875        (2,1): 2.125/4 = 0.53125   (2,2): 1.25/4 = 0.3125
 */
static const float bx_kmap[] = {
	0.375f, 0.8125f, 0.4375f,
	0.59375f, 1.34375f, 0.75f,
	0.21875f, 0.53125f, 0.3125f,
};

static int test_xnor_kmap(int arg)
{
	bnn_conv_shape_t s = bx_shape(1);
	float kmap[9];

	(void)arg;
	bnn_ref_xnor_kmap(&s, bx_x, kmap);
	return check_close("kmap", kmap, bx_kmap, 9);
}

/*
 * sign(x): P00 (+,-), P01 (+,+), P10 (-,+), P11 (+,-). Per pixel and tap of
 * filter 0, the binary dot: T00: 2, 0, -2, 2; T01: -2, 0, 2, -2;
 * T10: 0, 2, 0, 0; T11: 0, -2, 0, 0 (for P00, P01, P10, P11). A padding tap
 * adds pad_value * (sum of its signs): T00 0, T01 0, T10 2, T11 -2; for
 * filter 1 every tap adds 2 pad_value and the pixels give 0, 2, 0, 0.
 *   pad 1: filter 0:  2 -2  0 /  0  2 -2 /  2 -4  2
 *          filter 1:  6  6  8 /  4  2  6 /  6  4  6
 *   pad 0: filter 0:  0 -2  2 / -2  2  0 /  2 -4  2
 *          filter 1:  0  2  2 /  0  2  2 /  0  0  0
 * Paper mode, pad 1: y = alpha * kmap * bconv, e.g.
 *   (0,0): 0.5 * 0.375 * 2 = 0.375;  1.3125 * 0.375 * 6 = 2.953125
 *   (0,1): 0.5 * 0.8125 * -2 = -0.8125;  1.3125 * 0.8125 * 6 = 1.3125 * 4.875 = 6.3984375
 *   (1,1): 0.5 * 1.34375 * 2 = 1.34375;  1.3125 * 1.34375 * 2 = 3.52734375
 */
static int test_xnor_paper(int arg)
{
	bnn_conv_shape_t s = bx_shape(1);
	const float want[] = {
		0.375f, 2.953125f,	/* 1.3125 * 0.375 * 6 */
		-0.8125f, 6.3984375f,
		0.0f, 4.59375f,		/* 1.3125 * 0.4375 * 8 */
		0.0f, 3.1171875f,	/* 1.3125 * 0.59375 * 4 */
		1.34375f, 3.52734375f,
		-0.75f, 5.90625f,	/* 0.5 * 0.75 * -2; 1.3125 * 0.75 * 6 */
		0.21875f, 1.72265625f,	/* 0.5 * 0.21875 * 2; 1.3125 * 0.21875 * 6 */
		-1.0625f, 2.7890625f,	/* 0.5 * 0.53125 * -4; 1.3125 * 0.53125 * 4 */
		0.3125f, 2.4609375f,	/* 0.5 * 0.3125 * 2; 1.3125 * 0.3125 * 6 */
	};
	float y[18];

	(void)arg;
	bnn_ref_xnor_conv(&s, BNN_XNOR_PAPER, bx_x, bx_w, bx_alpha, y);
	return check_close("xnor paper", y, want, 18);
}

/* Released mode, pad 0: y = alpha * bconv, 0.5 * filter 0 and 1.3125 * filter 1. */
static int test_xnor_released(int arg)
{
	bnn_conv_shape_t s = bx_shape(0);
	const float want[] = {
		0, 0, -1, 2.625f, 1, 2.625f,
		-1, 0, 1, 2.625f, 0, 2.625f,
		1, 0, -2, 0, 1, 0,
	};
	float y[18];

	(void)arg;
	bnn_ref_xnor_conv(&s, BNN_XNOR_RELEASED, bx_x, bx_w, bx_alpha, y);
	return check_close("xnor released", y, want, 18);
}

/* ---- section 6: the real-valued layers ---- */

/*
 * var + 1e-5 is 4 and 0.25, so the divisors are 2 and 0.5:
 *   c0 (gamma 2, beta 1, mean 0.5):     2.5 -> 2*2/2 + 1 = 3;  -1.5 -> 2*-2/2 + 1 = -1
 *   c1 (gamma -1, beta 0.25, mean -1):  0 -> -1/0.5 + 0.25 = -1.75;
 *                                       -2 -> 1/0.5 + 0.25 = 2.25
 */
static int test_batchnorm(int arg)
{
	const float x[] = { 2.5f, 0.0f, -1.5f, -2.0f };
	const float gamma[] = { 2.0f, -1.0f }, beta[] = { 1.0f, 0.25f };
	const float mean[] = { 0.5f, -1.0f }, var[] = { 4.0f - 1e-5f, 0.25f - 1e-5f };
	const float want[] = { 3.0f, -1.75f, -1.0f, 2.25f };
	float y[4];

	(void)arg;
	bnn_ref_batchnorm(x, 2, 2, gamma, beta, mean, var, y);
	return check_close("batchnorm", y, want, 4);
}

/*
 * b = (0.5, -1, 0.1, 0): pixel 0 sits exactly on every threshold x == -b,
 * which gives +1 (-0.0 + 0 included); pixel 1 is just below (-1), pixel 2
 * just above (+1).
 */
static int test_rsign(int arg)
{
	const float b[] = { 0.5f, -1.0f, 0.1f, 0.0f };
	const float x[] = {
		-0.5f, 1.0f, -0.1f, -0.0f,
		-0.75f, 0.75f, -0.2f, -1e-30f,
		0.0f, 1.5f, 0.0f, 1e-30f,
	};
	const float want[] = { 1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1 };
	float y[12];

	(void)arg;
	bnn_ref_rsign(x, 3, 4, b, y);
	return check_exact("rsign", y, want, 12);
}

/*
 * g = (0.5, -1), beta = (0.25, 2), z = (1, -0.5):
 *   x > g:   1.5 -> 1.5 - 0.5 + 1 = 2;        0 -> 0 + 1 - 0.5 = 0.5
 *   x < g:  -1.5 -> 0.25 * -2 + 1 = 0.5;     -2 -> 2 * -1 - 0.5 = -2.5
 *   x == g:  0.5 -> z = 1;                   -1 -> z = -0.5
 */
static int test_rprelu(int arg)
{
	const float g[] = { 0.5f, -1.0f }, beta[] = { 0.25f, 2.0f }, z[] = { 1.0f, -0.5f };
	const float x[] = { 1.5f, 0.0f, -1.5f, -2.0f, 0.5f, -1.0f };
	const float want[] = { 2.0f, 0.5f, 0.5f, -2.5f, 1.0f, -0.5f };
	float y[6];

	(void)arg;
	bnn_ref_rprelu(x, 3, 2, g, beta, z, y);
	return check_close("rprelu", y, want, 6);
}

/*
 * n = 2, h = 3, w = 5, c = 2 -> out 1x2 (the last row and column dropped).
 * Channel 0 = 100 b + 10 r + col, channel 1 = -2 (10 r + col) - b:
 *   b0: c0 (0+1+10+11)/4 = 5.5, (2+3+12+13)/4 = 7.5; c1 -11, -15
 *   b1: c0 105.5, 107.5; c1 -12, -16
 */
static void pool_input(float *x, int n, int h, int w)
{
	for (int b = 0; b < n; b++) {
		for (int r = 0; r < h; r++) {
			for (int col = 0; col < w; col++) {
				float *px = x + ((b * h + r) * w + col) * 2;

				px[0] = (float)(100 * b + 10 * r + col);
				px[1] = (float)(-2 * (10 * r + col) - b);
			}
		}
	}
}

static int test_avgpool2x2(int arg)
{
	const float want[] = { 5.5f, -11, 7.5f, -15, 105.5f, -12, 107.5f, -16 };
	float x[2 * 3 * 5 * 2], y[8];

	(void)arg;
	pool_input(x, 2, 3, 5);
	bnn_ref_avgpool2x2(x, 2, 3, 5, 2, y);
	return check_exact("avgpool2x2", y, want, 8);
}

/*
 * n = 2, h = 2, w = 3, same channels: the mean of 10 r is 5 and of col is 1,
 * so c0 = 100 b + 6, c1 = -2 * 6 - b: (6, -12), (106, -13).
 */
static int test_global_avgpool(int arg)
{
	const float want[] = { 6, -12, 106, -13 };
	float x[2 * 2 * 3 * 2], y[4];

	(void)arg;
	pool_input(x, 2, 2, 3);
	bnn_ref_global_avgpool(x, 2, 2, 3, 2, y);
	return check_close("global avgpool", y, want, 4);
}

/*
 * w = (1 2 3; -1 0 0.5), x = (1 1 1; 2 -1 4), bias (0.5, -2):
 *   no bias: 1+2+3 = 6, -1+0.5 = -0.5;  2-2+12 = 12, -2+2 = 0
 *   bias:    6.5, -2.5;  12.5, -2
 */
static const float fc_x[] = { 1, 1, 1, 2, -1, 4 };
static const float fc_w[] = { 1, 2, 3, -1, 0, 0.5f };

static int test_fc_bias(int arg)
{
	const float bias[] = { 0.5f, -2.0f };
	const float want[] = { 6.5f, -2.5f, 12.5f, -2.0f };
	float y[4];

	(void)arg;
	bnn_ref_fc(fc_x, 2, 3, 2, fc_w, bias, y);
	return check_close("fc bias", y, want, 4);
}

static int test_fc_nobias(int arg)
{
	const float want[] = { 6.0f, -0.5f, 12.0f, 0.0f };
	float y[4];

	(void)arg;
	bnn_ref_fc(fc_x, 2, 3, 2, fc_w, NULL, y);
	return check_close("fc no bias", y, want, 4);
}

/* ---- random cross-checks between references ---- */

/* A random valid convolution shape, small enough to run quickly. */
static bnn_conv_shape_t random_shape(void)
{
	for (;;) {
		int64_t groups = 1 + rng_below(3);
		bnn_conv_shape_t s = {
			.n = 1 + rng_below(2), .h = 1 + rng_below(7), .w = 1 + rng_below(7),
			.c = groups * (1 + rng_below(5)), .k = groups * (1 + rng_below(3)),
			.kh = 1 + rng_below(3), .kw = 1 + rng_below(3),
			.stride = 1 + rng_below(2), .pad = rng_below(3), .dil = 1 + rng_below(2),
			.groups = groups, .pad_value = (int)rng_below(2),
		};

		if (bnn_conv_shape_finish(&s) == 0)
			return s;
	}
}

/* bnn_ref_bconv equals bnn_ref_conv2d on pre-binarized inputs, 200 random shapes. */
static int test_bconv_vs_conv2d(int arg)
{
	int ok = 1;

	(void)arg;
	for (int t = 0; t < 200 && ok; t++) {
		bnn_conv_shape_t s = random_shape();
		int64_t nx = s.n * s.h * s.w * s.c, nw = s.k * s.kh * s.kw * (s.c / s.groups);
		int64_t ny = s.n * s.oh * s.ow * s.k;
		float *x = malloc((size_t)nx * sizeof(float)), *w = malloc((size_t)nw * sizeof(float));
		float *y = malloc((size_t)ny * sizeof(float)), *want = malloc((size_t)ny * sizeof(float));

		if (!x || !w || !y || !want) {
			printf("# out of memory\n");
			ok = 0;
			goto next;
		}
		rng_fill(x, nx);
		rng_fill(w, nw);
		bnn_ref_bconv(&s, x, w, y);
		for (int64_t i = 0; i < nx; i++)
			x[i] = bnn_ref_sign(x[i]);
		for (int64_t i = 0; i < nw; i++)
			w[i] = bnn_ref_sign(w[i]);
		bnn_ref_conv2d(&s, x, w, (float)s.pad_value, want);
		ok = check_exact("bconv vs conv2d", y, want, (size_t)ny);
		if (!ok)
			printf("# shape n%lld h%lld w%lld c%lld k%lld %lldx%lld s%lld p%lld d%lld g%lld pv%d\n",
			       (long long)s.n, (long long)s.h, (long long)s.w, (long long)s.c,
			       (long long)s.k, (long long)s.kh, (long long)s.kw, (long long)s.stride,
			       (long long)s.pad, (long long)s.dil, (long long)s.groups, s.pad_value);
next:
		free(x);
		free(w);
		free(y);
		free(want);
	}
	return ok;
}

/*
 * A 1x1, stride 1, pad 0, groups 1 binary convolution is the GEMM of the
 * pixels (n*h*w x c) with the filters (k x c): an independent path through
 * bnn_ref_bgemm. The lengths c cover the word tails 1, 63, 64, 65, 129.
 */
static int test_bconv_vs_bgemm(int arg)
{
	const int64_t lens[] = { 1, 63, 64, 65, 129 };
	int ok = 1;

	(void)arg;
	for (size_t t = 0; t < ARRAY_SIZE(lens) && ok; t++) {
		bnn_conv_shape_t s = conv_shape(2, 3, 2, lens[t], 5, 1, 1, 1, 0, 1, 1, 0);
		bnn_gemm_shape_t g = { .m = s.n * s.h * s.w, .n = s.k, .k = s.c };
		float *x = malloc((size_t)(g.m * g.k) * sizeof(float));
		float *w = malloc((size_t)(g.n * g.k) * sizeof(float));
		float *y = malloc((size_t)(g.m * g.n) * sizeof(float));
		float *c = malloc((size_t)(g.m * g.n) * sizeof(float));

		if (!x || !w || !y || !c) {
			printf("# out of memory\n");
			ok = 0;
			goto next;
		}
		rng_fill(x, g.m * g.k);
		rng_fill(w, g.n * g.k);
		bnn_ref_bconv(&s, x, w, y);
		bnn_ref_bgemm(&g, x, w, c);
		ok = check_exact("bconv 1x1 vs bgemm", y, c, (size_t)(g.m * g.n));
next:
		free(x);
		free(w);
		free(y);
		free(c);
	}
	return ok;
}

/* ---- the TAP runner ---- */

typedef struct {
	int (*fn)(int arg);
	int arg;
	const char *name;
} test_case_t;

static const test_case_t tests[] = {
	{ test_sign, 0, "sign of +0.0, -0.0, tiny negatives, +-1" },
	{ test_bit, 0, "bit of +0.0, -0.0, tiny negatives, +-1" },
	{ test_pack_65, 0, "pack/unpack 2 rows of 65, literal words, spare bits zero" },
	{ test_pack_roundtrip, 1, "pack/unpack round trip, len 1" },
	{ test_pack_roundtrip, 63, "pack/unpack round trip, len 63" },
	{ test_pack_roundtrip, 64, "pack/unpack round trip, len 64" },
	{ test_pack_roundtrip, 65, "pack/unpack round trip, len 65" },
	{ test_pack_roundtrip, 127, "pack/unpack round trip, len 127" },
	{ test_pack_roundtrip, 128, "pack/unpack round trip, len 128" },
	{ test_pack_roundtrip, 129, "pack/unpack round trip, len 129" },
	{ test_bgemm, 0, "bgemm 2x3, k=5, with +-0.0" },
	{ test_bconv_pad0, 0, "bconv 3x3 pad 1, pad_value 0" },
	{ test_bconv_pad1, 0, "bconv 3x3 pad 1, pad_value 1" },
	{ test_conv_stride2, 0, "conv2d stride 2, pad_fill 10" },
	{ test_conv_dilation2, 0, "conv2d dilation 2, pad 1" },
	{ test_conv_groups2, 0, "conv2d groups 2" },
	{ test_conv_nonsquare, 0, "conv2d kh=1 kw=3, pad 1" },
	{ test_alpha, 0, "alpha = mean |w|" },
	{ test_bwn_conv, 0, "BWN conv, alpha applied, zero padding" },
	{ test_abs_sum, 0, "BWN abs_sum" },
	{ test_abs_sum_groups, 0, "BWN abs_sum, groups 2" },
	{ test_xnor_kmap, 0, "XNOR K-map" },
	{ test_xnor_paper, 0, "XNOR paper mode, pad_value 1" },
	{ test_xnor_released, 0, "XNOR released mode, pad_value 0" },
	{ test_batchnorm, 0, "batchnorm, eps 1e-5" },
	{ test_rsign, 0, "rsign, tie x == -b gives +1" },
	{ test_rprelu, 0, "rprelu, both branches and x == g" },
	{ test_avgpool2x2, 0, "avgpool2x2, odd sizes floor" },
	{ test_global_avgpool, 0, "global avgpool" },
	{ test_fc_bias, 0, "fc with bias" },
	{ test_fc_nobias, 0, "fc without bias" },
	{ test_bconv_vs_conv2d, 0, "bconv == conv2d on pre-binarized inputs, random shapes" },
	{ test_bconv_vs_bgemm, 0, "bconv 1x1 == bgemm, c in 1 63 64 65 129" },
};

int main(void)
{
	int failed = 0;

	printf("1..%zu\n", ARRAY_SIZE(tests));
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		int ok = tests[i].fn(tests[i].arg);

		printf("%s %zu - %s\n", ok ? "ok" : "not ok", i + 1, tests[i].name);
		fflush(stdout);
		failed += !ok;
	}
	return failed ? 1 : 0;
}
