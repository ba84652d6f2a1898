/*
 * The binarized ReActNet block and ReActNet-A (doc/bnn-math.md section 6), built from
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
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "reactnet_loops.h"

BNN_RNET_LOOPS_DEFINE(bnn_rnet_loops__generic);

/* The table's kernel of that name, or an emulated one (bnn_emulated), for
 * the emulated AVX-512 block that names the emulated conv. */
static const bnn_kernel_t *find_kernel(const char *name)
{
	for (size_t i = 0; i < bnn_kernel_count; i++)
		if (strcmp(bnn_kernels[i].name, name) == 0)
			return &bnn_kernels[i];
	for (size_t i = 0; i < bnn_emulated_count; i++)
		if (strcmp(bnn_emulated[i].name, name) == 0)
			return &bnn_emulated[i];
	return NULL;
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

int bnn_rblock_prepare_with(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			    const bnn_rblock_shape_t *b, const bnn_rblock_params_t *p, const float *x,
			    bnn_rblock_state_t **out)
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
	st->loops = loops;
	st->m1 = malloc((size_t)b->c * sizeof(float));
	st->c1 = malloc((size_t)b->c * sizeof(float));
	st->m2 = malloc((size_t)b->k * sizeof(float));
	st->c2 = malloc((size_t)b->k * sizeof(float));
	st->acc3 = malloc(pix * (size_t)b->c * sizeof(int32_t));
	st->acc1 = malloc(pix * (size_t)b->k * sizeof(int32_t));
	st->u = malloc(pix * (size_t)b->c * sizeof(float));
	if (!st->m1 || !st->c1 || !st->m2 || !st->c2 || !st->acc3 || !st->acc1 || !st->u)
		goto fail;
	bnn_rnet_fold_bn(p->w3, b->c, 9 * b->c, &p->bn1, st->m1, st->c1);
	bnn_rnet_fold_bn(p->w1, b->k, b->c, &p->bn2, st->m2, st->c2);

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

int bnn_rblock_forward(bnn_rblock_state_t *st, float *y)
{
	int64_t pix = st->b.n * st->b.oh * st->b.ow;
	int rc = st->conv3.k->run(st->conv3.state, st->acc3);
	if (rc != 0)
		return rc;
	bnn_parallel_for(pix, 16, st->loops->transform1, st);
	if ((rc = st->conv1.k->run(st->conv1.state, st->acc1)) != 0)
		return rc;
	st->y = y;
	bnn_parallel_for(pix, 16, st->loops->transform2, st);
	return 0;
}

/* ---- ReActNet-A ---- */

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

int bnn_rnet_prepare_with(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			  const bnn_rnet_shape_t *r, const bnn_rnet_params_t *p, const float *img,
			  bnn_rnet_state_t **out)
{
	bnn_rnet_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = -ENOMEM;
	const int64_t sc = BNN_RNET_STEM_C;
	st->r = *r;
	st->p = p;
	st->img = img;
	st->loops = loops;
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
		if ((rc = bnn_rblock_prepare_with(loops, conv_kernel, &b, &p->block[i], st->act[i],
						  &st->block[i])) != 0)
			goto fail;
	}
	*out = st;
	return 0;
fail:
	bnn_rnet_release(st);
	return rc;
}

/* The host clock, for the profile hook's stage times. */
static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The forward pass; with ns, each stage's time (stem, blocks, head). */
static int rnet_forward(bnn_rnet_state_t *st, float *logits, double *ns)
{
	double t0 = ns ? now_ns() : 0, t;
	bnn_parallel_for(st->r.n * (st->r.h / 2), 4, st->loops->stem_rows, st);
	if (ns) {
		t = now_ns();
		ns[0] = t - t0;
		t0 = t;
	}
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		int rc = bnn_rblock_forward(st->block[i], st->act[i + 1]);
		if (rc != 0)
			return rc;
		if (ns) {
			t = now_ns();
			ns[i + 1] = t - t0;
			t0 = t;
		}
	}
	st->logits = logits;
	bnn_parallel_for(st->r.n, 1, st->loops->head_images, st);
	if (ns)
		ns[BNN_RNET_BLOCKS + 1] = now_ns() - t0;
	return 0;
}

int bnn_rnet_forward(bnn_rnet_state_t *st, float *logits)
{
	return rnet_forward(st, logits, NULL);
}

int bnn_rnet_profile(void *state, double *ns, int max)
{
	bnn_rnet_state_t *st = state;
	if (max < BNN_PROFILE_MAX)
		return -EINVAL;
	float *logits = malloc((size_t)(st->r.n * BNN_RNET_CLASSES) * sizeof(float));
	if (!logits)
		return -ENOMEM;
	int rc = rnet_forward(st, logits, ns);
	free(logits);
	return rc ? rc : BNN_PROFILE_MAX;
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

int bnn_rblock_prepare_kernel(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			      const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return bnn_rblock_prepare_with(loops, conv_kernel, &d->rblock, in->params, in->a,
				       (bnn_rblock_state_t **)state);
}

int bnn_rblock_run(void *state, void *out)
{
	return bnn_rblock_forward(state, out);
}

int bnn_rnet_prepare_kernel(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			    const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return bnn_rnet_prepare_with(loops, conv_kernel, &d->rnet, in->params, in->a,
				     (bnn_rnet_state_t **)state);
}

int bnn_rnet_run(void *state, void *out)
{
	return bnn_rnet_forward(state, out);
}
