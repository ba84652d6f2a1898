/*
 * The judge itself under test: the references, the bounds the runner builds
 * for the float ops, and the runner's own checks (poisoned outputs, the
 * timed output against the checked one).
 *
 * 1. Bounds, for tightness and not only for value. For BWN, XNOR in both
 *    modes, the ReActNet block and the network, over seeded problems (the
 *    runner's data: same seeds, same generators, same bound functions), the
 *    float reference is compared with an independent float64 computation
 *    of the same math written here. Every element's error must lie under
 *    its bound, and the bound must not be vacuous: at the tightest element
 *    of each problem, bound / error must stay under a stated limit (see
 *    the LIMIT_* constants for the measured values and the reasoning), and
 *    the reference must use little of its bound (LOW_RATIO*). A bound made
 *    10x looser breaks the limit; one made too tight, or a reference that
 *    drifts from the math, breaks the first test or the low ratio.
 * 2. The runner's path, with planted kernels that compute the reference
 *    themselves: an output moved just inside its bound at one element
 *    passes, one ulp further fails; a kernel that writes nothing, or
 *    writes nothing in its timed runs, fails with that reason even when
 *    the kernel before it left a right answer in the buffers; and one whose
 *    timed runs differ in the last element only fails on the timed output.
 * 3. The network's classes check on planted logits: what the tolerance
 *    allows, and a wrong top-1 or 5th class named in the reason.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_ref.h"
#include "bounds.h"
#include "gen.h"
#include "reactnet.h"
#include "runner.h"
#include "tap.h"

#define SEED 20161008u   /* bnnbench's default run seed */

/*
 * The limits on bound / error at the tightest element of a problem, each
 * two and a half to three times the largest value measured over the problems and seeds
 * below, so that a bound made 10x looser fails for every problem. The float
 * reference accumulates in double and rounds a product once, so its error
 * is about u|y| (u = 2^-24), while each bound admits a kernel that
 * accumulates in float; the ratios follow from that:
 * - XNOR released: gamma_3 |y| against alpha's rounding and the final one,
 *   up to 1.5u|y|: measured 2.0 to 5.0; limit 16.
 * - XNOR paper: gamma_m |y|, m = c + kh*kw + 6 (the float channel mean and
 *   box filter a kernel may compute), against the same few u|y|: measured
 *   0.5m to 0.75m; limit 2m.
 * - BWN: gamma_{n+4} alpha sum|x| against u|y|; with random signs the
 *   largest |y| of a problem is a few times alpha sum|x| / sqrt(n), so the
 *   ratio grows as (n + 4) sqrt(n): measured 0.15 to 0.62 times that (12
 *   to 1.7e4 for n = 9 to 1161); limit 1.5 (n + 4) sqrt(n). It passes 10^3
 *   from n of about 100 on: the bound is that of a float kernel's n-term
 *   sum, which the reference does not make.
 * - ReActNet block: gamma_20 times the magnitudes of each step, through
 *   RPReLU's slope, against the reference's one rounding per step: measured
 *   12 to 36; limit 100.
 * - network: the stated bound is 1/1024 of the largest |logit| (a tolerance
 *   for signs that flip, not a rounding bound: reactnet.h); rounding through
 *   13 blocks moves a logit by about 1e-7 of the largest: measured 1.0e4 to
 *   1.5e4; limit 4e4.
 */
/*
 * And the other way: the golden reference must use only a small part of the
 * bound itself, or a kernel's own error would have little left (and a
 * reference that drifted from the math by less than the bound would go
 * unseen). At the tightest element bound / error must be at least
 * LOW_RATIO, a third of the smallest measured value (about 12 for every op
 * but XNOR released, 2.0 there, and 1.0e4 for the network: its reference
 * must be far closer to float64 than its tolerance).
 */
#define LOW_RATIO 4.0
#define LOW_RATIO_XNOR_RELEASED 1.5
#define LOW_RATIO_RNET 3000.0

#define LIMIT_XNOR_RELEASED 16.0
#define LIMIT_XNOR_PAPER_PER_TERM 2.0
#define LIMIT_BWN_SCALE 1.5
#define LIMIT_RBLOCK 100.0
#define LIMIT_RNET 4e4

static double sgn(double v)
{
	return v >= 0 ? 1.0 : -1.0;   /* sign(-0.0) = +1 (doc/bnn-math.md section 1) */
}

/* The input pixel (its c channels) under tap (ky, kx) of output (b, oy, ox),
 * or NULL in the padding: the convolution's geometry, written out again. */
static const float *tap(const bnn_conv_shape_t *s, const float *x, int64_t b, int64_t oy,
			int64_t ox, int64_t ky, int64_t kx)
{
	int64_t iy = oy * s->stride - s->pad + ky * s->dil;
	int64_t ix = ox * s->stride - s->pad + kx * s->dil;
	if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
		return NULL;
	return x + ((b * s->h + iy) * s->w + ix) * s->c;
}

/* mean |w| of each filter, in double, not rounded to float. */
static void alpha64(const float *w, int64_t filters, int64_t per, double *a)
{
	for (int64_t o = 0; o < filters; o++) {
		double sum = 0;
		for (int64_t i = 0; i < per; i++)
			sum += fabs((double)w[o * per + i]);
		a[o] = sum / (double)per;
	}
}

/* The K-map of XNOR-Net's paper mode at one output pixel, in float64. */
static double kmap64(const bnn_conv_shape_t *s, const float *x, int64_t b, int64_t oy,
		     int64_t ox)
{
	double kmap = 0;
	for (int64_t ky = 0; ky < s->kh; ky++)
		for (int64_t kx = 0; kx < s->kw; kx++) {
			const float *px = tap(s, x, b, oy, ox, ky, kx);
			double m = 0;
			for (int64_t ch = 0; px && ch < s->c; ch++)
				m += fabs((double)px[ch]);
			kmap += m / (double)s->c;
		}
	return kmap / (double)(s->kh * s->kw);
}

/* The sum over the receptive field of output (b, oy, ox, o): of x*sign(w)
 * (BWN), or of sign(x)*sign(w) with padding taps worth pad_value (XNOR). */
static double dot64(const bnn_conv_shape_t *s, bnn_op_t op, const float *x, const float *w,
		    int64_t b, int64_t oy, int64_t ox, int64_t o)
{
	int64_t cg = s->c / s->groups, g = o / (s->k / s->groups);
	double acc = 0;
	for (int64_t ky = 0; ky < s->kh; ky++)
		for (int64_t kx = 0; kx < s->kw; kx++) {
			const float *px = tap(s, x, b, oy, ox, ky, kx);
			const float *pw = w + ((o * s->kh + ky) * s->kw + kx) * cg;
			for (int64_t ci = 0; ci < cg; ci++) {
				double sw = sgn(pw[ci]);
				if (!px)
					acc += op == BNN_OP_BWN ? 0 : s->pad_value * sw;
				else if (op == BNN_OP_BWN)
					acc += (double)px[g * cg + ci] * sw;
				else
					acc += sgn(px[g * cg + ci]) * sw;
			}
		}
	return acc;
}

/* BWN or XNOR in float64: alpha * the sum of dot64, times the K-map in
 * XNOR's paper mode. */
static void conv64(const bnn_conv_shape_t *s, bnn_op_t op, bnn_xnor_mode_t mode,
		   const float *x, const float *w, double *y)
{
	double *a = malloc((size_t)s->k * sizeof(double));
	alpha64(w, s->k, s->kh * s->kw * (s->c / s->groups), a);
	for (int64_t b = 0; b < s->n; b++)
		for (int64_t oy = 0; oy < s->oh; oy++)
			for (int64_t ox = 0; ox < s->ow; ox++) {
				double kmap = op == BNN_OP_XNOR && mode == BNN_XNOR_PAPER ?
						      kmap64(s, x, b, oy, ox) : 1.0;
				double *py = y + ((b * s->oh + oy) * s->ow + ox) * s->k;
				for (int64_t o = 0; o < s->k; o++)
					py[o] = a[o] * kmap * dot64(s, op, x, w, b, oy, ox, o);
			}
	free(a);
}

static double bn64(const bnn_bn_t *bn, int64_t o, double v)
{
	return (double)bn->gamma[o] * (v - bn->mean[o]) /
		       sqrt((double)bn->var[o] + (double)BNN_BN_EPS) + bn->beta[o];
}

static double rprelu64(const bnn_rprelu_t *rp, int64_t ch, double v)
{
	double g = rp->g[ch];
	return v > g ? v - g + rp->z[ch] : rp->slope[ch] * (v - g) + rp->z[ch];
}

/* The block's binary 3x3 conv (zero padding) of RSign1(x) for filter o at
 * output (b, oy, ox), x NHWC in float64: an exact integer. */
static double bconv3x3_64(const bnn_rblock_shape_t *bs, const bnn_rblock_params_t *p,
			  const double *x, int64_t b, int64_t oy, int64_t ox, int64_t o)
{
	int64_t c = bs->c;
	double acc = 0;
	for (int64_t ky = 0; ky < 3; ky++)
		for (int64_t kx = 0; kx < 3; kx++) {
			int64_t iy = oy * bs->stride - 1 + ky, ix = ox * bs->stride - 1 + kx;
			if (iy < 0 || iy >= bs->h || ix < 0 || ix >= bs->w)
				continue;
			const double *px = x + ((b * bs->h + iy) * bs->w + ix) * c;
			const float *pw = p->w3 + ((o * 3 + ky) * 3 + kx) * c;
			for (int64_t ci = 0; ci < c; ci++)
				acc += sgn(px[ci] + p->rsign1[ci]) * sgn(pw[ci]);
		}
	return acc;
}

/* The ReActNet block (doc/bnn-math.md section 6) in float64, x and y NHWC. */
static void rblock64(const bnn_rblock_shape_t *bs, const bnn_rblock_params_t *p,
		     const double *x, double *y)
{
	int64_t c = bs->c, k = bs->k, opix = bs->oh * bs->ow, pix = bs->n * opix;
	double *a1 = malloc((size_t)(c + k) * sizeof(double)), *a2 = a1 + c;
	double *u = malloc((size_t)(pix * c) * sizeof(double));
	alpha64(p->w3, c, 9 * c, a1);
	alpha64(p->w1, k, c, a2);
	for (int64_t q = 0; q < pix; q++) {
		int64_t b = q / opix, oy = q % opix / bs->ow, ox = q % bs->ow;
		int64_t row = bs->w * c;
		const double *x0 = x + ((b * bs->h + oy * bs->stride) * bs->w + ox * bs->stride) *
					       c;
		for (int64_t o = 0; o < c; o++) {
			/* the shortcut: x, or its 2x2 average pool */
			double acc = bconv3x3_64(bs, p, x, b, oy, ox, o), r = x0[o];
			if (bs->stride == 2)
				r = (x0[o] + x0[c + o] + x0[row + o] + x0[row + c + o]) / 4;
			u[q * c + o] = rprelu64(&p->rp1, o, bn64(&p->bn1, o, a1[o] * acc) + r);
		}
		for (int64_t o = 0; o < k; o++) {
			double acc = 0;
			for (int64_t ci = 0; ci < c; ci++)
				acc += sgn(u[q * c + ci] + p->rsign2[ci]) * sgn(p->w1[o * c + ci]);
			double v = bn64(&p->bn2, o, a2[o] * acc) + u[q * c + o % c];
			y[q * k + o] = rprelu64(&p->rp2, o, v);
		}
	}
	free(a1);
	free(u);
}

/* The stem's real 3x3 conv, stride 2, zero padding, of image b at (oy, ox)
 * for filter o, in float64; img NCHW. */
static double stem64(const bnn_rnet_shape_t *r, const float *w, const float *img, int64_t b,
		     int64_t oy, int64_t ox, int64_t o)
{
	double acc = 0;
	for (int64_t ky = 0; ky < 3; ky++)
		for (int64_t kx = 0; kx < 3; kx++) {
			int64_t iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
			if (iy < 0 || iy >= r->h || ix < 0 || ix >= r->w)
				continue;
			for (int64_t ci = 0; ci < 3; ci++)
				acc += (double)img[((b * 3 + ci) * r->h + iy) * r->w + ix] *
				       w[((o * 3 + ky) * 3 + kx) * 3 + ci];
		}
	return acc;
}

/* ReActNet-A in float64: img NCHW, logits n x 1000. */
static void rnet64(const bnn_rnet_shape_t *r, const bnn_rnet_params_t *p, const float *img,
		   double *logits)
{
	int64_t n = r->n, sh = (r->h - 1) / 2 + 1, sw = (r->w - 1) / 2 + 1;
	int64_t sc = BNN_RNET_STEM_C;
	double *act = malloc((size_t)(n * sh * sw * sc) * sizeof(double));
	for (int64_t b = 0; b < n; b++)
		for (int64_t q = 0; q < sh * sw; q++)
			for (int64_t o = 0; o < sc; o++)
				act[(b * sh * sw + q) * sc + o] =
					bn64(&p->stem_bn, o, stem64(r, p->stem_w, img, b, q / sw,
								    q % sw, o));
	bnn_rblock_shape_t bs = { 0 };
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bs = bnn_rnet_block(r, i);
		double *next = malloc((size_t)(bs.n * bs.oh * bs.ow * bs.k) * sizeof(double));
		rblock64(&bs, &p->block[i], act, next);
		free(act);
		act = next;
	}
	int64_t opix = bs.oh * bs.ow;
	for (int64_t b = 0; b < n; b++)
		for (int64_t o = 0; o < BNN_RNET_CLASSES; o++) {
			double acc = p->fc_b[o];
			for (int64_t i = 0; i < BNN_RNET_FC_IN; i++) {
				double m = 0;
				for (int64_t q = 0; q < opix; q++)
					m += act[(b * opix + q) * BNN_RNET_FC_IN + i];
				acc += (double)p->fc_w[o * BNN_RNET_FC_IN + i] * (m / (double)opix);
			}
			logits[b * BNN_RNET_CLASSES + o] = acc;
		}
	free(act);
}

/* One problem's reference, bound and float64 values, made as the runner makes them. */
typedef struct {
	bnn_problem_t p;
	size_t nout;
	float *a, *b, *alpha, *ref, *bound;
	double *exact;
	bnn_weights_t wts;
} judged_t;

static void judged_free(judged_t *j)
{
	free(j->a);
	free(j->b);
	free(j->alpha);
	free(j->ref);
	free(j->bound);
	free(j->exact);
	bnn_weights_free(&j->wts);
}

static int judged_make(const char *desc, uint64_t seed, judged_t *j)
{
	char err[512];
	memset(j, 0, sizeof(*j));
	if (bnn_problem_parse(desc, "test", &j->p, err, sizeof(err)) != 0) {
		printf("# %s\n", err);
		return -1;
	}
	bnn_rng_t rng;
	bnn_rng_init(&rng, bnn_problem_seed(seed, j->p.canonical));
	const bnn_op_desc_t *d = &j->p.d;
	if (d->op == BNN_OP_RBLOCK) {
		const bnn_rblock_shape_t *b = &d->rblock;
		size_t na = (size_t)(b->n * b->h * b->w * b->c);
		size_t pix = (size_t)(b->n * b->oh * b->ow);
		j->nout = pix * (size_t)b->k;
		j->a = malloc(na * sizeof(float));
		j->ref = malloc(j->nout * sizeof(float));
		j->bound = malloc(j->nout * sizeof(float));
		j->exact = malloc(j->nout * sizeof(double));
		bnn_rblock_weights_synth(b, &rng, &j->wts);
		bnn_rblock_fill_input(&rng, b, &j->wts.block, j->a);
		float *tr = malloc(pix * (size_t)(4 * b->c + 2 * b->k) * sizeof(float));
		bnn_ref_rblock_trace_t t = { tr, tr + pix * b->c, tr + 2 * pix * b->c,
					     tr + 3 * pix * b->c, tr + 4 * pix * b->c,
					     tr + 4 * pix * b->c + pix * b->k };
		bnn_ref_rblock(b, &j->wts.block, j->a, j->ref, &t);
		bnn_rblock_bound(b, &j->wts.block, j->a, &t, j->bound);
		free(tr);
		double *x = malloc(na * sizeof(double));
		for (size_t i = 0; i < na; i++)
			x[i] = j->a[i];
		rblock64(b, &j->wts.block, x, j->exact);
		free(x);
		return 0;
	}
	if (d->op == BNN_OP_RNET) {
		const bnn_rnet_shape_t *r = &d->rnet;
		size_t na = (size_t)(r->n * 3 * r->h * r->w);
		j->nout = (size_t)r->n * BNN_RNET_CLASSES;
		j->a = malloc(na * sizeof(float));
		j->ref = malloc(j->nout * sizeof(float));
		j->bound = malloc(j->nout * sizeof(float));
		j->exact = malloc(j->nout * sizeof(double));
		bnn_rnet_weights_synth(r, &rng, &j->wts);
		bnn_fill_activations(&rng, j->a, na);
		bnn_ref_reactnet(r, &j->wts.net, j->a, j->ref);
		bnn_rnet_bound(r, j->ref, j->bound);
		rnet64(r, &j->wts.net, j->a, j->exact);
		return 0;
	}
	const bnn_conv_shape_t *s = &d->conv;
	size_t na = (size_t)(s->n * s->h * s->w * s->c);
	size_t nb = (size_t)(s->k * s->kh * s->kw * (s->c / s->groups));
	j->nout = (size_t)(s->n * s->oh * s->ow * s->k);
	j->a = malloc(na * sizeof(float));
	j->b = malloc(nb * sizeof(float));
	j->alpha = malloc((size_t)s->k * sizeof(float));
	j->ref = malloc(j->nout * sizeof(float));
	j->bound = malloc(j->nout * sizeof(float));
	j->exact = malloc(j->nout * sizeof(double));
	bnn_fill_activations(&rng, j->a, na);
	bnn_fill_activations(&rng, j->b, nb);
	bnn_ref_alpha(j->b, s->k, (int64_t)nb / s->k, j->alpha);
	if (d->op == BNN_OP_BWN) {
		bnn_ref_bwn_conv(s, j->a, j->b, j->alpha, j->ref);
		bnn_bwn_bound(s, j->a, j->alpha, j->bound);
	} else {
		bnn_ref_xnor_conv(s, d->xnor_mode, j->a, j->b, j->alpha, j->ref);
		bnn_xnor_bound(s, d->xnor_mode, j->ref, j->bound);
	}
	conv64(s, d->op, d->xnor_mode, j->a, j->b, j->exact);
	return 0;
}

/* The limit on bound / error at the tightest element (see LIMIT_*). */
static double limit_of(const bnn_op_desc_t *d)
{
	const bnn_conv_shape_t *s = &d->conv;
	switch (d->op) {
	case BNN_OP_BWN:
		{
			double n = (double)(s->kh * s->kw * (s->c / s->groups));
			return LIMIT_BWN_SCALE * (n + 4) * sqrt(n);
		}
	case BNN_OP_XNOR:
		return d->xnor_mode == BNN_XNOR_PAPER ?
			       LIMIT_XNOR_PAPER_PER_TERM * (double)(s->c + s->kh * s->kw + 6) :
			       LIMIT_XNOR_RELEASED;
	case BNN_OP_RBLOCK:
		return LIMIT_RBLOCK;
	default:
		return LIMIT_RNET;
	}
}

/* The least bound / error at the tightest element (see LOW_RATIO). */
static double low_of(const bnn_op_desc_t *d)
{
	if (d->op == BNN_OP_RNET)
		return LOW_RATIO_RNET;
	if (d->op == BNN_OP_XNOR && d->xnor_mode == BNN_XNOR_RELEASED)
		return LOW_RATIO_XNOR_RELEASED;
	return LOW_RATIO;
}

/* Error under the bound everywhere; bound / error between the low ratio
 * and the limit at the tightest element. */
static void tightness(const char *desc, uint64_t seed)
{
	judged_t j;
	if (!tap_ok(judged_make(desc, seed, &j) == 0, "%s: made", desc)) {
		tap_ok(0, "%s", desc);
		return;
	}
	size_t over = 0, first = 0, nerr = 0;
	double tight = 0, maxerr = 0;   /* tight: the largest error / bound */
	for (size_t i = 0; i < j.nout; i++) {
		double e = fabs((double)j.ref[i] - j.exact[i]);
		if (!(e <= j.bound[i]) && !over++)
			first = i;
		if (e > 0) {
			nerr++;
			if (e > maxerr)
				maxerr = e;
			if (e / j.bound[i] > tight)
				tight = e / j.bound[i];
		}
	}
	tap_ok(over == 0, "%s (seed %llu): the float reference lies within the runner's bound "
	       "of a float64 computation at all %zu elements (%zu over; first at %zu: error %.3g, "
	       "bound %.3g)", j.p.canonical, (unsigned long long)seed, j.nout, over, first,
	       fabs((double)j.ref[first] - j.exact[first]), (double)j.bound[first]);
	double ratio = tight > 0 ? 1.0 / tight : INFINITY, lim = limit_of(&j.p.d);
	double low = low_of(&j.p.d);
	tap_ok(nerr > 0 && ratio <= lim && ratio >= low,
	       "%s (seed %llu): not vacuous: bound / error at the tightest element %.3g <= %.3g, "
	       "and the reference uses little of it: >= %.3g (%zu of %zu elements rounded, "
	       "max error %.3g)", j.p.canonical, (unsigned long long)seed, ratio, lim, low, nerr,
	       j.nout, maxerr);
	judged_free(&j);
}

/* ---- the runner's path, with planted kernels ---- */

typedef enum {
	PLANT_EXACT,         /* the reference, exactly */
	PLANT_INSIDE,        /* one element as far from it as its bound allows */
	PLANT_BEYOND,        /* ... and one float further */
	PLANT_NOTHING,       /* writes nothing */
	PLANT_TIMED_NOTHING, /* right in its first run, writes nothing after */
	PLANT_TIMED_LAST     /* right in its first run, the last element off by one step after */
} plant_mode_t;

typedef struct {
	float *out;          /* what run writes: float, or int32 for the integer ops */
	float *bound;        /* the bound the kernel computed (float ops) */
	size_t n, at;        /* elements; the perturbed one */
	plant_mode_t mode;
	int runs;
} plant_t;

static size_t g_at;          /* the element the last prepare perturbed */
static double g_maxbound;    /* the largest bound it computed */

/* The largest float t with |t - r| <= b (in double, as the checker compares). */
static float edge(float r, float b)
{
	float t = (float)((double)r + b);
	while ((double)t - r > b)
		t = nextafterf(t, -INFINITY);
	while ((double)nextafterf(t, INFINITY) - r <= b)
		t = nextafterf(t, INFINITY);
	return t;
}

static int plant_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state,
			 plant_mode_t mode)
{
	plant_t *pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -1;
	pl->mode = mode;
	const bnn_conv_shape_t *s = &d->conv;
	if (d->op == BNN_OP_GEMM)
		pl->n = (size_t)(d->gemm.m * d->gemm.n);
	else if (d->op == BNN_OP_RBLOCK)
		pl->n = (size_t)(d->rblock.n * d->rblock.oh * d->rblock.ow * d->rblock.k);
	else if (d->op == BNN_OP_RNET)
		pl->n = (size_t)d->rnet.n * BNN_RNET_CLASSES;
	else
		pl->n = (size_t)(s->n * s->oh * s->ow * s->k);
	pl->out = malloc(pl->n * sizeof(float));
	pl->bound = calloc(pl->n, sizeof(float));
	float *ref = malloc(pl->n * sizeof(float));
	switch (d->op) {
	case BNN_OP_GEMM:
		bnn_ref_bgemm(&d->gemm, in->a, in->b, ref);
		break;
	case BNN_OP_CONV:
		bnn_ref_bconv(s, in->a, in->b, ref);
		break;
	case BNN_OP_BWN:
		bnn_ref_bwn_conv(s, in->a, in->b, in->alpha, ref);
		bnn_bwn_bound(s, in->a, in->alpha, pl->bound);
		break;
	case BNN_OP_XNOR:
		bnn_ref_xnor_conv(s, d->xnor_mode, in->a, in->b, in->alpha, ref);
		bnn_xnor_bound(s, d->xnor_mode, ref, pl->bound);
		break;
	case BNN_OP_RBLOCK:
		{
			const bnn_rblock_shape_t *b = &d->rblock;
			size_t pix = (size_t)(b->n * b->oh * b->ow);
			float *tr = malloc(pix * (size_t)(4 * b->c + 2 * b->k) * sizeof(float));
			bnn_ref_rblock_trace_t t = { tr, tr + pix * b->c, tr + 2 * pix * b->c,
						     tr + 3 * pix * b->c, tr + 4 * pix * b->c,
						     tr + 4 * pix * b->c + pix * b->k };
			bnn_ref_rblock(b, in->params, in->a, ref, &t);
			bnn_rblock_bound(b, in->params, in->a, &t, pl->bound);
			free(tr);
		}
		break;
	case BNN_OP_RNET:
		bnn_ref_reactnet(&d->rnet, in->params, in->a, ref);
		bnn_rnet_bound(&d->rnet, ref, pl->bound);
		break;
	default:
		break;
	}
	/* The last element with a non-zero bound (the last one for the integer ops). */
	pl->at = pl->n - 1;
	while (pl->at > 0 && !bnn_op_output_is_int(d->op) && pl->bound[pl->at] == 0)
		pl->at--;
	g_at = pl->at;
	g_maxbound = 0;
	for (size_t i = 0; i < pl->n; i++)
		if (pl->bound[i] > g_maxbound)
			g_maxbound = pl->bound[i];
	if (bnn_op_output_is_int(d->op)) {
		int32_t *o = (int32_t *)pl->out;
		for (size_t i = 0; i < pl->n; i++)
			o[i] = (int32_t)ref[i];
		if (mode == PLANT_BEYOND)
			o[pl->at] += 1;
	} else {
		memcpy(pl->out, ref, pl->n * sizeof(float));
		float in_edge = edge(ref[pl->at], pl->bound[pl->at]);
		if (mode == PLANT_INSIDE)
			pl->out[pl->at] = in_edge;
		else if (mode == PLANT_BEYOND)
			pl->out[pl->at] = nextafterf(in_edge, INFINITY);
	}
	free(ref);
	*state = pl;
	return 0;
}

static int plant_run(void *state, void *out)
{
	plant_t *pl = state;
	pl->runs++;
	if (pl->mode == PLANT_NOTHING || (pl->mode == PLANT_TIMED_NOTHING && pl->runs > 1))
		return 0;
	memcpy(out, pl->out, pl->n * sizeof(float));
	if (pl->mode == PLANT_TIMED_LAST && pl->runs > 1) {
		/* int32 +1, or the next float: one step either way */
		uint32_t *last = (uint32_t *)out + pl->n - 1;
		*last += 1;
	}
	return 0;
}

static void plant_release(void *state)
{
	plant_t *pl = state;
	if (!pl)
		return;
	free(pl->out);
	free(pl->bound);
	free(pl);
}

#define PLANT_PREPARE(fn, mode)                                                            \
	static int fn(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)        \
	{                                                                                  \
		return plant_prepare(d, in, state, mode);                                  \
	}
PLANT_PREPARE(prep_exact, PLANT_EXACT)
PLANT_PREPARE(prep_inside, PLANT_INSIDE)
PLANT_PREPARE(prep_beyond, PLANT_BEYOND)
PLANT_PREPARE(prep_nothing, PLANT_NOTHING)
PLANT_PREPARE(prep_timed_nothing, PLANT_TIMED_NOTHING)
PLANT_PREPARE(prep_timed_last, PLANT_TIMED_LAST)

static bnn_kernel_t plant(const char *name, bnn_op_t op,
			  int (*prep)(const bnn_op_desc_t *, const bnn_inputs_t *, void **))
{
	return (bnn_kernel_t){ .name = name, .op = op, .isa = BNN_ISA_GENERIC,
			       .summary = "planted", .prepare = prep, .run = plant_run,
			       .release = plant_release };
}

typedef struct {
	bnn_check_t c[4];
	size_t n;
} outcomes_t;

static int collect(void *ctx, const bnn_problem_t *p, const bnn_outcome_t *o)
{
	outcomes_t *oc = ctx;
	(void)p;
	if (oc->n < 4)
		oc->c[oc->n++] = o->check;
	return 0;
}

/* Runs kernels ks[0..nk) on desc through bnn_run_problem. */
static int run_planted(const char *desc, const bnn_kernel_t *ks, size_t nk, int timed,
		       outcomes_t *oc)
{
	bnn_problem_t p;
	char err[512];
	memset(oc, 0, sizeof(*oc));
	if (bnn_problem_parse(desc, "test", &p, err, sizeof(err)) != 0) {
		printf("# %s\n", err);
		return -1;
	}
	bnn_run_opts_t o = { .seed = SEED, .check_only = !timed, .min_time_s = 0, .min_reps = 1,
			     .max_reps = 2, .warmup = 0 };
	if (bnn_run_problem(&p, ks, nk, "kernel", &o, collect, oc, err, sizeof(err)) != 0) {
		printf("# %s\n", err);
		return -1;
	}
	return oc->n == nk ? 0 : -1;
}

/* Just inside the bound passes, one float beyond fails, at one element. */
static void edges(const char *desc)
{
	bnn_problem_t p;
	char err[512];
	bnn_problem_parse(desc, "test", &p, err, sizeof(err));
	bnn_kernel_t in = plant("inside", p.d.op, prep_inside);
	bnn_kernel_t out = plant("beyond", p.d.op, prep_beyond);
	outcomes_t oc;
	int rc = run_planted(desc, &in, 1, 0, &oc);
	double maxb = g_maxbound;
	int exact = bnn_op_output_is_int(p.d.op);
	tap_ok(rc == 0 && oc.c[0].status == BNN_PASS && (oc.c[0].max_abs_err > 0) != exact &&
	       oc.c[0].bound == (float)maxb,
	       "%s: element %zu just inside its bound (integers: exact) PASSes (%s %s), "
	       "and the runner's bound is the bound function's (largest %.3g, runner's %.3g)",
	       desc, g_at, bnn_status_name(oc.c[0].status), oc.c[0].reason, maxb, oc.c[0].bound);
	char want[64];
	snprintf(want, sizeof(want), "first at %zu:", g_at);
	rc = run_planted(desc, &out, 1, 0, &oc);
	tap_ok(rc == 0 && oc.c[0].status == BNN_FAIL && strstr(oc.c[0].reason, want) &&
	       strstr(oc.c[0].reason, "1 of "),
	       "%s: the same element one float beyond its bound FAILs, alone: %s", desc,
	       oc.c[0].reason);
}

/* An output the kernel never writes fails as such, even when the kernel
 * before it on the same buffers was right; the same for the timed output. */
static void poison(const char *desc, bnn_op_t op)
{
	bnn_kernel_t ks[2] = { plant("exact", op, prep_exact), plant("nothing", op, prep_nothing) };
	outcomes_t oc;
	int rc = run_planted(desc, ks, 2, 0, &oc);
	tap_ok(rc == 0 && oc.c[0].status == BNN_PASS && oc.c[1].status == BNN_FAIL &&
	       strstr(oc.c[1].reason, "never written"),
	       "%s: a kernel that writes nothing after a right one FAILs as never written: %s",
	       desc, oc.c[1].reason);
	ks[1] = plant("timed-nothing", op, prep_timed_nothing);
	rc = run_planted(desc, ks, 2, 1, &oc);
	tap_ok(rc == 0 && oc.c[0].status == BNN_PASS && oc.c[1].status == BNN_FAIL &&
	       strstr(oc.c[1].reason, "timed repetition's output differs"),
	       "%s: a kernel right once, writing nothing in its timed runs, FAILs on the timed "
	       "output: %s", desc, oc.c[1].reason);
	ks[0] = plant("timed-last", op, prep_timed_last);
	rc = run_planted(desc, ks, 1, 1, &oc);
	tap_ok(rc == 0 && oc.c[0].status == BNN_FAIL &&
	       strstr(oc.c[0].reason, "timed repetition's output differs"),
	       "%s: a kernel whose timed runs differ from its checked run in the last element "
	       "only FAILs on the timed output: %s", desc, oc.c[0].reason);
}

/* The network's classes check (bnn_rnet_check) on planted logits: ref
 * holds 1000 distinct logits, class o at 10 - o/100 (class 0 first), with
 * classes 4 and 5 within the bound of each other; the bound is 1/1024 of
 * the largest (as bnn_rnet_bound gives). */
static void classes(void)
{
	enum { C = BNN_RNET_CLASSES };
	bnn_rnet_shape_t r = { 2, 32, 32 };
	static float ref[2 * C], out[2 * C], bound[2 * C];
	bnn_check_t c;
	for (int b = 0; b < 2; b++)
		for (int o = 0; o < C; o++)
			ref[b * C + o] = 10.0f - (float)o / 100;
	ref[5] = ref[C + 5] = ref[4] - 0.001f;
	/* the bound, per image: image 0's largest |logit| is a negative one */
	memcpy(out, ref, sizeof(out));
	out[999] = -12.0f;
	bnn_rnet_bound(&r, out, bound);
	tap_ok(bound[0] == (float)(12.0 / 1024) && bound[999] == bound[0] &&
	       bound[C] == (float)(10.0 / 1024) && bound[2 * C - 1] == bound[C],
	       "bnn_rnet_bound: 1/1024 of each image's largest |logit| (%g %g)", bound[0],
	       bound[C]);
	bnn_rnet_bound(&r, ref, bound);
	memcpy(out, ref, sizeof(out));
	out[C + 4] = ref[C + 5], out[C + 5] = ref[C + 4];   /* within the bound */
	bnn_rnet_check(&r, ref, out, bound, &c);
	tap_ok(c.status == BNN_PASS, "classes: the 5th and 6th of image 1, within the bound of "
	       "each other, may swap: %s %s", bnn_status_name(c.status), c.reason);
	memcpy(out, ref, sizeof(out));
	out[C + 4] = ref[C + 4] - 0.0105f, out[C + 5] = ref[C + 5] + 0.0005f;
	bnn_rnet_check(&r, ref, out, bound, &c);
	tap_ok(c.status == BNN_FAIL && strncmp(c.reason, "1 of 2000 elements", 18) == 0,
	       "classes: ... and swapped a little beyond the bound, the classes still pass "
	       "(tolerance twice the bound), the logits fail: %s", c.reason);
	memcpy(out, ref, sizeof(out));
	out[C + 10] = ref[C] + 0.5f;   /* class 10 first */
	bnn_rnet_check(&r, ref, out, bound, &c);
	const char *top1 = "image 1: top-1 class 10, the reference's is 0;";
	tap_ok(c.status == BNN_FAIL && strncmp(c.reason, top1, strlen(top1)) == 0 &&
	       strstr(c.reason, "out of bound"),
	       "classes: a wrong top-1 class FAILs, named first, then the logits: %s", c.reason);
	memcpy(out, ref, sizeof(out));
	out[C + 999] = ref[C + 3] - 0.005f;   /* the last class ranked 5th */
	bnn_rnet_check(&r, ref, out, bound, &c);
	const char *top5 = "image 1: class 999 is in the top 5, not in the reference's "
			   "(0 1 2 3 4);";
	tap_ok(c.status == BNN_FAIL && strncmp(c.reason, top5, strlen(top5)) == 0,
	       "classes: a wrong 5th class FAILs, named: %s", c.reason);
	memcpy(out, ref, sizeof(out));
	out[C + 999] = ref[C + 6];   /* the last class ranked 7th */
	bnn_rnet_check(&r, ref, out, bound, &c);
	tap_ok(c.status == BNN_FAIL && strncmp(c.reason, "1 of 2000 elements", 18) == 0,
	       "classes: a logit out of bound that changes no top-5 class fails on the logits "
	       "alone: %s", c.reason);
}

static const char *const tight_problems[] = {
	"bwn n=1 h=5 w=5 c=1 k=1 kh=3 pad=1",
	"bwn n=2 h=7 w=6 c=3 k=4 kh=3 pad=1",
	"bwn n=1 h=9 w=9 c=33 k=5 kh=3 pad=1 stride=2",
	"bwn n=1 h=8 w=8 c=65 k=7 kh=3 pad=2 dil=2",
	"bwn n=1 h=6 w=6 c=16 k=8 kh=1 kw=3 pad=1 groups=4",
	"bwn n=1 h=6 w=6 c=129 k=3 kh=3 pad=1",
	"bwn n=1 h=9 w=7 c=20 k=33 kh=3 pad=1",
	"xnor mode=paper n=1 h=5 w=5 c=3 k=4 kh=3 pad=1 pad_value=0",
	"xnor mode=paper n=2 h=7 w=6 c=33 k=5 kh=3 pad=1 pad_value=1",
	"xnor mode=paper n=1 h=9 w=9 c=65 k=3 kh=3 pad=2 dil=2 stride=2",
	"xnor mode=paper n=1 h=6 w=6 c=8 k=6 kh=3 pad=1 groups=2",
	"xnor mode=paper n=1 h=13 w=11 c=40 k=9 kh=3 pad=1",
	"xnor mode=released n=1 h=5 w=5 c=3 k=4 kh=3 pad=1 pad_value=0",
	"xnor mode=released n=1 h=9 w=9 c=64 k=8 kh=3 pad=1 stride=2",
	"xnor mode=released n=1 h=6 w=6 c=12 k=8 kh=3 pad=1 groups=4 pad_value=1",
	"xnor mode=released n=1 h=2 w=3 c=7 k=5 kh=1 pad=1",
	"rblock n=1 h=5 w=3 c=3 k=3",
	"rblock n=2 h=6 w=4 c=5 k=10 stride=2",
	"rblock n=1 h=2 w=2 c=33 k=66 stride=2",
	"rblock n=1 h=7 w=5 c=33 k=66 stride=1",
	"rblock n=1 h=4 w=4 c=64 k=64",
	"rblock n=1 h=3 w=3 c=65 k=130 stride=1",
	"reactnet n=1 h=32 w=32",
};
#define NTIGHT (sizeof(tight_problems) / sizeof(tight_problems[0]))
static const uint64_t seeds[] = { SEED, 1, 424242 };
#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))

static const char *const edge_problems[] = {
	"gemm m=7 n=9 k=65",
	"conv n=1 h=7 w=6 c=3 k=4 kh=3 pad=1 pad_value=0",
	"bwn n=2 h=7 w=6 c=3 k=4 kh=3 pad=1",
	"xnor mode=paper n=2 h=7 w=6 c=33 k=5 kh=3 pad=1 pad_value=1",
	"xnor mode=released n=1 h=9 w=9 c=64 k=8 kh=3 pad=1 stride=2",
	"rblock n=2 h=6 w=4 c=5 k=10 stride=2",
	"reactnet n=2 h=32 w=32",   /* the element moved is image 1's */
};
#define NEDGE (sizeof(edge_problems) / sizeof(edge_problems[0]))

int main(void)
{
	tap_plan((int)(3 * NTIGHT * NSEEDS + 2 * NEDGE + 6 + 6));
	for (size_t s = 0; s < NSEEDS; s++)
		for (size_t i = 0; i < NTIGHT; i++)
			tightness(tight_problems[i], seeds[s]);
	for (size_t i = 0; i < NEDGE; i++)
		edges(edge_problems[i]);
	poison("gemm m=7 n=9 k=65", BNN_OP_GEMM);
	poison("bwn n=2 h=7 w=6 c=3 k=4 kh=3 pad=1", BNN_OP_BWN);
	classes();
	return tap_exit();
}
