/*
 * The binarized ReActNet block and ReActNet-A (spec section 6), built from
 * the binary convolution kernels of the table: a block kernel of an ISA is
 * this template over that ISA's conv kernel, found by name.
 *
 * What is fused, and how:
 *   - RSign is fused into packing: the conv kernels get the RSign shift
 *     (bnn_inputs_t.rsign) and binarize sign(x + b) as they pack;
 *   - alpha and BN fold into one multiplier and bias per channel (prepare),
 *     applied to the integer conv result in one output transform that also
 *     adds the shortcut (with the 2x2 average pool when the stride is 2)
 *     and applies RPReLU; the second transform adds u and applies RPReLU2;
 *   - the reduction block's two 1x1 convs read one packed input: they are
 *     one conv with 2c filters, down1's then down2's.
 */
/*
 * The output transforms, the stem and the FC are element-wise float loops
 * with no reduction across lanes: vectorizing them changes no result. GCC's
 * -O2 cost model declines to, and RPReLU's compare counts as control flow
 * while floating-point traps are assumed (bnnbench never enables them).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic", "no-trapping-math")
#endif
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_reactnet.h"
#include "generic.h"
#include "parallel.h"

/* A conv kernel of the table, prepared on one shape. */
typedef struct {
	const bnn_kernel_t *k;
	void *state;
} conv_inst_t;

struct bnn_rblock_state {
	bnn_rblock_shape_t b;
	const bnn_rblock_params_t *p;
	const float *x;                /* the block's input, NHWC */
	conv_inst_t conv3, conv1;
	float *m1, *c1;                /* [c]: alpha3 and BN1 folded */
	float *m2, *c2;                /* [k]: alpha1 and BN2 folded */
	int32_t *acc3, *acc1;          /* integer conv results */
	float *u;                      /* RPReLU1 output: the 1x1 conv's input */
	float *y;                      /* output of the current run */
};

static const bnn_kernel_t *find_kernel(const char *name)
{
	for (size_t i = 0; i < bnn_kernel_count; i++)
		if (strcmp(bnn_kernels[i].name, name) == 0)
			return &bnn_kernels[i];
	return NULL;
}

/*
 * Folds alpha (mean |w| over per_filter weights) and inference BN into
 * y = acc * m + c, in double, rounded once per coefficient.
 */
static void fold_bn(const float *w, int64_t filters, int64_t per_filter, const bnn_bn_t *bn,
		    float *m, float *c)
{
	for (int64_t o = 0; o < filters; o++) {
		double sum = 0;
		for (int64_t i = 0; i < per_filter; i++)
			sum += fabs((double)w[o * per_filter + i]);
		double alpha = sum / (double)per_filter;
		double inv = 1.0 / sqrt((double)bn->var[o] + (double)BNN_BN_EPS);
		m[o] = (float)(alpha * bn->gamma[o] * inv);
		c[o] = (float)(bn->beta[o] - (double)bn->mean[o] * bn->gamma[o] * inv);
	}
}

static int conv_prepare(conv_inst_t *ci, const bnn_kernel_t *k, const bnn_conv_shape_t *s,
			const float *x, const float *w, const float *shift)
{
	bnn_op_desc_t d = { .op = BNN_OP_CONV, .conv = *s };
	bnn_inputs_t in = { .a = x, .b = w, .rsign = shift };
	bnn_conv_shape_finish(&d.conv);
	ci->k = k;
	return k->prepare(&d, &in, &ci->state);
}

void bnn_rblock_release(void *state)
{
	bnn_rblock_state_t *st = state;
	if (!st)
		return;
	if (st->conv3.state)
		st->conv3.k->release(st->conv3.state);
	if (st->conv1.state)
		st->conv1.k->release(st->conv1.state);
	free(st->m1);
	free(st->c1);
	free(st->m2);
	free(st->c2);
	free(st->acc3);
	free(st->acc1);
	free(st->u);
	free(st);
}

int bnn_rblock_prepare_with(const char *conv_kernel, const bnn_rblock_shape_t *b,
			    const bnn_rblock_params_t *p, const float *x, bnn_rblock_state_t **out)
{
	const bnn_kernel_t *k = find_kernel(conv_kernel);
	if (!k || k->op != BNN_OP_CONV)
		return -ENOENT;
	bnn_rblock_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = -ENOMEM;
	size_t pix = (size_t)(b->n * b->oh * b->ow);
	st->b = *b;
	st->p = p;
	st->x = x;
	st->m1 = malloc((size_t)b->c * sizeof(float));
	st->c1 = malloc((size_t)b->c * sizeof(float));
	st->m2 = malloc((size_t)b->k * sizeof(float));
	st->c2 = malloc((size_t)b->k * sizeof(float));
	st->acc3 = malloc(pix * (size_t)b->c * sizeof(int32_t));
	st->acc1 = malloc(pix * (size_t)b->k * sizeof(int32_t));
	st->u = malloc(pix * (size_t)b->c * sizeof(float));
	if (!st->m1 || !st->c1 || !st->m2 || !st->c2 || !st->acc3 || !st->acc1 || !st->u)
		goto fail;
	fold_bn(p->w3, b->c, 9 * b->c, &p->bn1, st->m1, st->c1);
	fold_bn(p->w1, b->k, b->c, &p->bn2, st->m2, st->c2);

	bnn_conv_shape_t s3 = { .n = b->n, .h = b->h, .w = b->w, .c = b->c, .k = b->c, .kh = 3,
				.kw = 3, .stride = b->stride, .pad = 1, .pad_value = 0, .dil = 1,
				.groups = 1 };
	bnn_conv_shape_t s1 = { .n = b->n, .h = b->oh, .w = b->ow, .c = b->c, .k = b->k, .kh = 1,
				.kw = 1, .stride = 1, .pad = 0, .pad_value = 0, .dil = 1,
				.groups = 1 };
	if ((rc = conv_prepare(&st->conv3, k, &s3, x, p->w3, p->rsign1)) != 0 ||
	    (rc = conv_prepare(&st->conv1, k, &s1, st->u, p->w1, p->rsign2)) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	bnn_rblock_release(st);
	return rc;
}

/* RPReLU (spec section 6); at v == g both branches give z. Written as a
 * select of the slope so that the loops around it vectorize: v - g > 0
 * exactly when v > g (gradual underflow), and 1 * d is d. */
static inline float rprelu(float v, float g, float slope, float z)
{
	float d = v - g;
	float s = d > 0.0f ? 1.0f : slope;
	return s * d + z;
}

/* Output pixels [p0, p1): u = RPReLU1(acc3 * m1 + c1 + shortcut). */
static void transform1(void *vst, int64_t p0, int64_t p1, int tid)
{
	const bnn_rblock_state_t *st = vst;
	const bnn_rblock_shape_t *b = &st->b;
	const bnn_rprelu_t *rp = &st->p->rp1;
	int64_t c = b->c, opix = b->oh * b->ow;
	(void)tid;
	for (int64_t q = p0; q < p1; q++) {
		const int32_t *acc = st->acc3 + q * c;
		float *u = st->u + q * c;
		int64_t n = q / opix, oy = q % opix / b->ow, ox = q % b->ow;
		if (b->stride == 2) {
			const float *top = st->x + ((n * b->h + 2 * oy) * b->w + 2 * ox) * c;
			const float *bot = top + b->w * c;
			for (int64_t ch = 0; ch < c; ch++) {
				float r = (top[ch] + top[c + ch] + bot[ch] + bot[c + ch]) * 0.25f;
				float t = (float)acc[ch] * st->m1[ch] + st->c1[ch];
				u[ch] = rprelu(t + r, rp->g[ch], rp->slope[ch], rp->z[ch]);
			}
		} else {
			const float *x = st->x + q * c;
			for (int64_t ch = 0; ch < c; ch++) {
				float t = (float)acc[ch] * st->m1[ch] + st->c1[ch];
				u[ch] = rprelu(t + x[ch], rp->g[ch], rp->slope[ch], rp->z[ch]);
			}
		}
	}
}

/* Output pixels [p0, p1): y = RPReLU2(acc1 * m2 + c2 + u), u repeated per half. */
static void transform2(void *vst, int64_t p0, int64_t p1, int tid)
{
	const bnn_rblock_state_t *st = vst;
	const bnn_rblock_shape_t *b = &st->b;
	const bnn_rprelu_t *rp = &st->p->rp2;
	int64_t c = b->c, k = b->k;
	(void)tid;
	for (int64_t q = p0; q < p1; q++) {
		const int32_t *acc = st->acc1 + q * k;
		const float *u = st->u + q * c;
		float *y = st->y + q * k;
		for (int64_t h0 = 0; h0 < k; h0 += c)
			for (int64_t ch = 0; ch < c; ch++) {
				int64_t o = h0 + ch;
				float v = (float)acc[o] * st->m2[o] + st->c2[o] + u[ch];
				y[o] = rprelu(v, rp->g[o], rp->slope[o], rp->z[o]);
			}
	}
}

int bnn_rblock_forward(bnn_rblock_state_t *st, float *y)
{
	int64_t pix = st->b.n * st->b.oh * st->b.ow;
	int rc = st->conv3.k->run(st->conv3.state, st->acc3);
	if (rc != 0)
		return rc;
	bnn_parallel_for(pix, 16, transform1, st);
	if ((rc = st->conv1.k->run(st->conv1.state, st->acc1)) != 0)
		return rc;
	st->y = y;
	bnn_parallel_for(pix, 16, transform2, st);
	return 0;
}

/* ---- ReActNet-A ---- */

struct bnn_rnet_state {
	bnn_rnet_shape_t r;
	const bnn_rnet_params_t *p;
	const float *img;              /* NCHW */
	float *stem_wt;                /* [3][3][3][32]: tap, input channel, filter */
	float *stem_m, *stem_c;        /* BN folded */
	float *act[BNN_RNET_BLOCKS + 1]; /* act[0] the stem's output, act[i+1] block i's */
	bnn_rblock_state_t *block[BNN_RNET_BLOCKS];
	float *fc_wt;                  /* [1024][1000], transposed so outputs vectorize */
	float *pooled;                 /* [n][1024] */
	float *logits;
};

void bnn_rnet_release(void *state)
{
	bnn_rnet_state_t *st = state;
	if (!st)
		return;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++)
		bnn_rblock_release(st->block[i]);
	for (int i = 0; i <= BNN_RNET_BLOCKS; i++)
		free(st->act[i]);
	free(st->stem_wt);
	free(st->stem_m);
	free(st->stem_c);
	free(st->fc_wt);
	free(st->pooled);
	free(st);
}

int bnn_rnet_prepare_with(const char *conv_kernel, const bnn_rnet_shape_t *r,
			  const bnn_rnet_params_t *p, const float *img, bnn_rnet_state_t **out)
{
	bnn_rnet_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = -ENOMEM;
	const int64_t sc = BNN_RNET_STEM_C;
	st->r = *r;
	st->p = p;
	st->img = img;
	st->stem_wt = malloc(27 * sc * sizeof(float));
	st->stem_m = malloc(sc * sizeof(float));
	st->stem_c = malloc(sc * sizeof(float));
	st->fc_wt = malloc((size_t)BNN_RNET_FC_IN * BNN_RNET_CLASSES * sizeof(float));
	st->pooled = malloc((size_t)(r->n * BNN_RNET_FC_IN) * sizeof(float));
	st->act[0] = malloc((size_t)(r->n * (r->h / 2) * (r->w / 2) * sc) * sizeof(float));
	if (!st->stem_wt || !st->stem_m || !st->stem_c || !st->fc_wt || !st->pooled || !st->act[0])
		goto fail;
	for (int64_t o = 0; o < sc; o++) {
		for (int64_t t = 0; t < 27; t++)   /* OHWI: tap-major, then input channel */
			st->stem_wt[t * sc + o] = p->stem_w[o * 27 + t];
		double inv = 1.0 / sqrt((double)p->stem_bn.var[o] + (double)BNN_BN_EPS);
		st->stem_m[o] = (float)(p->stem_bn.gamma[o] * inv);
		st->stem_c[o] = (float)(p->stem_bn.beta[o] -
					(double)p->stem_bn.mean[o] * p->stem_bn.gamma[o] * inv);
	}
	for (int64_t o = 0; o < BNN_RNET_CLASSES; o++)
		for (int64_t i = 0; i < BNN_RNET_FC_IN; i++)
			st->fc_wt[i * BNN_RNET_CLASSES + o] = p->fc_w[o * BNN_RNET_FC_IN + i];
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		st->act[i + 1] = malloc((size_t)(b.n * b.oh * b.ow * b.k) * sizeof(float));
		if (!st->act[i + 1])
			goto fail;
		if ((rc = bnn_rblock_prepare_with(conv_kernel, &b, &p->block[i], st->act[i],
						  &st->block[i])) != 0)
			goto fail;
	}
	*out = st;
	return 0;
fail:
	bnn_rnet_release(st);
	return rc;
}

/* Stem output rows [r0, r1) (flattened n, oy): real 3x3 conv, stride 2, pad 1, BN. */
static void stem_rows(void *vst, int64_t r0, int64_t r1, int tid)
{
	const bnn_rnet_state_t *st = vst;
	const int64_t sc = BNN_RNET_STEM_C, h = st->r.h, w = st->r.w, oh = h / 2, ow = w / 2;
	(void)tid;
	for (int64_t row = r0; row < r1; row++) {
		int64_t n = row / oh, oy = row % oh;
		for (int64_t ox = 0; ox < ow; ox++) {
			float acc[BNN_RNET_STEM_C] = { 0 };
			for (int64_t ky = 0; ky < 3; ky++) {
				int64_t iy = 2 * oy - 1 + ky;
				if (iy < 0 || iy >= h)
					continue;
				for (int64_t kx = 0; kx < 3; kx++) {
					int64_t ix = 2 * ox - 1 + kx;
					if (ix < 0 || ix >= w)
						continue;
					for (int64_t ci = 0; ci < 3; ci++) {
						float v = st->img[((n * 3 + ci) * h + iy) * w + ix];
						const float *wt = st->stem_wt + ((ky * 3 + kx) * 3 + ci) * sc;
						for (int64_t o = 0; o < sc; o++)
							acc[o] += v * wt[o];
					}
				}
			}
			float *y = st->act[0] + ((n * oh + oy) * ow + ox) * sc;
			for (int64_t o = 0; o < sc; o++)
				y[o] = acc[o] * st->stem_m[o] + st->stem_c[o];
		}
	}
}

/* Images [b0, b1): global average pool, then the FC with bias. */
static void head_images(void *vst, int64_t b0, int64_t b1, int tid)
{
	const bnn_rnet_state_t *st = vst;
	bnn_rblock_shape_t last = bnn_rnet_block(&st->r, BNN_RNET_BLOCKS - 1);
	const float *act = st->act[BNN_RNET_BLOCKS];
	int64_t pix = last.oh * last.ow, c = last.k;
	(void)tid;
	for (int64_t b = b0; b < b1; b++) {
		float *pooled = st->pooled + b * c;
		for (int64_t ch = 0; ch < c; ch++)
			pooled[ch] = 0.0f;
		for (int64_t q = 0; q < pix; q++)
			for (int64_t ch = 0; ch < c; ch++)
				pooled[ch] += act[(b * pix + q) * c + ch];
		for (int64_t ch = 0; ch < c; ch++)
			pooled[ch] /= (float)pix;
		float *y = st->logits + b * BNN_RNET_CLASSES;
		for (int64_t o = 0; o < BNN_RNET_CLASSES; o++)
			y[o] = st->p->fc_b[o];
		for (int64_t i = 0; i < c; i++) {
			const float *wt = st->fc_wt + i * BNN_RNET_CLASSES;
			for (int64_t o = 0; o < BNN_RNET_CLASSES; o++)
				y[o] += pooled[i] * wt[o];
		}
	}
}

int bnn_rnet_forward(bnn_rnet_state_t *st, float *logits)
{
	bnn_parallel_for(st->r.n * (st->r.h / 2), 4, stem_rows, st);
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		int rc = bnn_rblock_forward(st->block[i], st->act[i + 1]);
		if (rc != 0)
			return rc;
	}
	st->logits = logits;
	bnn_parallel_for(st->r.n, 1, head_images, st);
	return 0;
}

const float *bnn_rnet_stage(void *state, int i, int64_t dims[4])
{
	bnn_rnet_state_t *st = state;
	if (i < 0 || i > BNN_RNET_BLOCKS)
		return NULL;
	if (i == 0) {
		dims[0] = st->r.n, dims[1] = st->r.h / 2, dims[2] = st->r.w / 2;
		dims[3] = BNN_RNET_STEM_C;
	} else {
		bnn_rblock_shape_t b = bnn_rnet_block(&st->r, i - 1);
		dims[0] = b.n, dims[1] = b.oh, dims[2] = b.ow, dims[3] = b.k;
	}
	return st->act[i];
}

/* ---- Kernel-table glue: d and in as bnn_kernels.h describes them. ---- */

int bnn_rblock_prepare_kernel(const char *conv_kernel, const bnn_op_desc_t *d,
			      const bnn_inputs_t *in, void **state)
{
	return bnn_rblock_prepare_with(conv_kernel, &d->rblock, in->params, in->a,
				       (bnn_rblock_state_t **)state);
}

int bnn_rblock_run(void *state, void *out)
{
	return bnn_rblock_forward(state, out);
}

int bnn_rnet_prepare_kernel(const char *conv_kernel, const bnn_op_desc_t *d,
			    const bnn_inputs_t *in, void **state)
{
	return bnn_rnet_prepare_with(conv_kernel, &d->rnet, in->params, in->a,
				     (bnn_rnet_state_t **)state);
}

int bnn_rnet_run(void *state, void *out)
{
	return bnn_rnet_forward(state, out);
}
