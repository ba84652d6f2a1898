/*
 * Known answers: every kernel in the table of the binary conv, BWN and
 * XNOR ops, on a 3x3 image whose outputs were worked out by hand (the
 * working is in the comments). Does not use reference/, so a bug shared by
 * reference and kernels still shows here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "avx512/avx512.h"
#include "tap.h"

/* x (1x3x3x1):      signs:          w (1x3x3x1):      signs:
 *    1  -1   2      +1 -1 +1         -1   1   1        -1 +1 +1
 *    0  -3  -0      +1 -1 +1          1   1  -1        +1 +1 -1
 *    4  -5   6      +1 -1 +1        0.5  -2   1        +1 -1 +1
 * 0 and -0 are +1 (sign rule). pad 1.
 * Centre: row sums of sx*sw: (-1 -1 +1) + (1 -1 -1) + (1 +1 +1) = 1.
 * Top-left, pad 0: only taps (1,1),(1,2),(2,1),(2,2) see the image:
 *   1*1 + (-1)(-1) + (-1)(1) + (1)(-1) = 0.
 * Top-left, pad +1: add the weights of the five padded taps
 *   (0,0),(0,1),(0,2),(1,0),(2,0): -1 +1 +1 +1 +1 = 3, so 0 + 3 = 3. */
static const float X[9] = { 1, -1, 2, 0, -3, -0.0f, 4, -5, 6 };
static const float W[9] = { -1, 1, 1, 1, 1, -1, 0.5f, -2, 1 };
static const int32_t BCONV_PAD0[9] = { 0, 2, -2, 0, 1, 0, 2, -2, 2 };
static const int32_t BCONV_PAD1[9] = { 3, 3, -1, 1, 1, 1, 3, -1, 3 };
/* BWN: sum of x * sign(w) with zero padding. Centre:
 *   -1 -1 +2 +0 -3 +0 +4 +5 +6 = 12. Top-left: taps (1,1),(1,2),(2,1),(2,2)
 *   on x(0,0),(0,1),(1,0),(1,1): 1*1 + (-1)(-1) + 0*(-1) + (-3)(1) = -1.
 * alpha = mean|w| = (1+1+1+1+1+1+0.5+2+1)/9 = 9.5/9. */
static const float BWN_RAW[9] = { -1, 1, -2, -6, 12, -11, 6, -10, 4 };
#define ALPHA (9.5f / 9.0f)
/* XNOR paper mode, one channel: A = |x|; K-map = 3x3 box mean of A with zero
 * padding. Centre: (1+1+2+0+3+0+4+5+6)/9 = 22/9. Top-left: (1+1+0+3)/9 = 5/9. */
static const float KMAP[9] = { 5.0f / 9, 7.0f / 9, 6.0f / 9, 14.0f / 9, 22.0f / 9,
			       17.0f / 9, 12.0f / 9, 18.0f / 9, 14.0f / 9 };

static bnn_op_desc_t desc(bnn_op_t op, int pad_value)
{
	bnn_op_desc_t d;
	memset(&d, 0, sizeof(d));
	d.op = op;
	d.conv = (bnn_conv_shape_t){ .n = 1, .h = 3, .w = 3, .c = 1, .k = 1, .kh = 3, .kw = 3,
				     .stride = 1, .pad = 1, .dil = 1, .groups = 1,
				     .pad_value = pad_value };
	bnn_conv_shape_finish(&d.conv);
	return d;
}

static int run(const bnn_kernel_t *k, const bnn_op_desc_t *d, void *out)
{
	float alpha = ALPHA;
	bnn_inputs_t in = { X, W, &alpha };
	void *st = NULL;
	if (k->prepare(d, &in, &st) != 0)
		return -1;
	int rc = k->run(st, out);
	if (rc == 0 && k->fetch)
		rc = k->fetch(st, out);
	k->release(st);
	return rc;
}

static int near(float got, float want)
{
	return fabsf(got - want) <= 1e-6f * fmaxf(1.0f, fabsf(want));
}

/* The kernel table, then the SIMDe-emulated AVX-512 kernels (empty
 * without SIMDe), which are checked here but never timed. */
static const bnn_kernel_t *kat_kernel(size_t i)
{
	return i < bnn_kernel_count ? &bnn_kernels[i] : &bnn_emulated[i - bnn_kernel_count];
}

int main(void)
{
	int planned = 0;
	const size_t nk = bnn_kernel_count + bnn_emulated_count;
	for (size_t i = 0; i < nk; i++) {
		bnn_op_t op = kat_kernel(i)->op;
		planned += op == BNN_OP_CONV ? 2 : op == BNN_OP_BWN ? 1 : op == BNN_OP_XNOR ? 2 : 0;
	}
	tap_plan(planned);
	for (size_t i = 0; i < nk; i++) {
		const bnn_kernel_t *k = kat_kernel(i);
		char why[200];
		int avail = bnn_isa_available(k->isa, why, sizeof(why));
		int32_t iout[9];
		float fout[9];
		int ok;
		switch (k->op) {
		case BNN_OP_CONV:
			for (int pv = 0; pv <= 1; pv++) {
				if (!avail) {
					tap_ok(1, "# SKIP %s: %s", k->name, why);
					continue;
				}
				bnn_op_desc_t d = desc(BNN_OP_CONV, pv);
				ok = run(k, &d, iout) == 0 &&
				     !memcmp(iout, pv ? BCONV_PAD1 : BCONV_PAD0, sizeof(iout));
				tap_ok(ok, "%s: hand-worked 3x3 binary conv, pad_value %d", k->name, pv);
			}
			break;
		case BNN_OP_BWN: {
			if (!avail) {
				tap_ok(1, "# SKIP %s: %s", k->name, why);
				break;
			}
			bnn_op_desc_t d = desc(BNN_OP_BWN, 0);
			ok = run(k, &d, fout) == 0;
			for (int j = 0; j < 9 && ok; j++)
				ok = near(fout[j], ALPHA * BWN_RAW[j]);
			tap_ok(ok, "%s: hand-worked 3x3 BWN conv (alpha 9.5/9, zero padding)", k->name);
			break;
		}
		case BNN_OP_XNOR:
			for (int mode = 0; mode <= 1; mode++) {
				if (!avail) {
					tap_ok(1, "# SKIP %s: %s", k->name, why);
					continue;
				}
				bnn_op_desc_t d = desc(BNN_OP_XNOR, 0);
				d.xnor_mode = mode ? BNN_XNOR_RELEASED : BNN_XNOR_PAPER;
				ok = run(k, &d, fout) == 0;
				for (int j = 0; j < 9 && ok; j++)
					ok = near(fout[j], ALPHA * (mode ? 1.0f : KMAP[j]) *
								   (float)BCONV_PAD0[j]);
				tap_ok(ok, "%s: hand-worked 3x3 XNOR conv, %s mode", k->name,
				       mode ? "released" : "paper");
			}
			break;
		default:
			break;
		}
	}
	return tap_exit();
}
