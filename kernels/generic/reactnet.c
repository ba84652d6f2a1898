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
#include "direct.h"
#include "reactnet_loops.h"

BNN_RNET_LOOPS_DEFINE(bnn_rnet_loops__generic, 0);

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

/* The generic conv template's state under a conv instance of shape s (the
 * generic conv's state is one; the AVX2 and AVX-512 convs' states start
 * with a pointer to one), or NULL when it does not hold that shape. */
static bnn_conv_state_t *conv_base(const conv_inst_t *ci, int64_t c, int64_t k, int64_t kh)
{
	bnn_conv_state_t *b = ci->k->run == bnn_bconv_run__generic ?
				      ci->state : *(bnn_conv_state_t **)ci->state;
	return b && b->s.c == c && b->s.k == k && b->s.kh == kh && b->x ? b : NULL;
}

/* Bytes per pixel of a band that should stay in L2 together, per thread. */
#define BNN_BAND_BYTES (384 * 1024)
/* Rows of a band per thread from which the 3x3 conv runs by rows. */
#define BNN_BAND3_ROWS 4

/* Output rows (flattened n, oy) per band of block b: as many as keep a
 * band's u and acc1 (and its 3x3 result when band3) within BNN_BAND_BYTES
 * per thread, whole rows for every thread, at least one; all the rows
 * when they fit. */
static int64_t rblock_band_rows(const bnn_rblock_shape_t *b, int band3)
{
	int64_t rows = b->n * b->oh, nt = bnn_parallel_threads();
	int64_t per_row = b->ow * ((band3 ? 2 : 1) * b->c + b->k) * 4;
	int64_t r = BNN_BAND_BYTES * nt / per_row;
	r -= r % nt;
	if (r < nt)
		r = nt;
	return r < rows ? r : rows;
}

void bnn_rblock_release(void *state)
{
	bnn_rblock_state_t *st = state;
	if (!st)
		return;
	if (st->conv3.state)
		st->conv3.k->release(st->conv3.state);
	for (int64_t i = 0; i < 2; i++)
		if (st->conv1[i].state)
			st->conv1[i].k->release(st->conv1[i].state);
	free(st->m1);
	free(st->c1);
	free(st->m2);
	free(st->c2);
	if (st->own_scratch) {
		free(st->acc3);
		free(st->acc1);
		free(st->u);
	}
	free(st);
}

/* Block b over x; acc3, acc1 and u are the caller's when acc3 is not NULL
 * (acc3 for the whole 3x3 result, acc1 and u for bands of
 * rblock_band_rows(b, 0) rows, the largest), else allocated here. */
static int rblock_prepare(const bnn_rnet_loops_t *loops, const bnn_kernel_t *k,
			  const bnn_rblock_shape_t *b, const bnn_rblock_params_t *p, const float *x,
			  int32_t *acc3, int32_t *acc1, float *u, bnn_rblock_state_t **out)
{
	bnn_rblock_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = -ENOMEM;
	int64_t rows = b->n * b->oh;
	st->b = *b;
	st->p = p;
	st->x = x;
	st->loops = loops;
	st->m1 = malloc((size_t)b->c * sizeof(float));
	st->c1 = malloc((size_t)b->c * sizeof(float));
	st->m2 = malloc((size_t)b->k * sizeof(float));
	st->c2 = malloc((size_t)b->k * sizeof(float));
	if (!st->m1 || !st->c1 || !st->m2 || !st->c2)
		goto fail;
	bnn_rnet_fold_bn(p->w3, b->c, 9 * b->c, &p->bn1, st->m1, st->c1);
	bnn_rnet_fold_bn(p->w1, b->k, b->c, &p->bn2, st->m2, st->c2);

	bnn_conv_shape_t s3 = { .n = b->n, .h = b->h, .w = b->w, .c = b->c, .k = b->c, .kh = 3,
				.kw = 3, .stride = b->stride, .pad = 1, .pad_value = 0, .dil = 1,
				.groups = 1 };
	if ((rc = conv_prepare(&st->conv3, k, &s3, x, p->w3, p->rsign1)) != 0)
		goto fail;
	/* The 3x3 conv by rows in the bands' loop when the conv kernel can and
	 * every thread gets at least BNN_BAND3_ROWS rows of a band (a thread's
	 * rows are one range: fewer would leave threads idle, where the whole
	 * conv splits finer), else over the whole batch first. */
	bnn_conv_state_t *c3 = conv_base(&st->conv3, b->c, b->c, 3);
	int64_t band_rows = rblock_band_rows(b, 1);
	st->band3 = c3 && c3->rows_own &&
			    band_rows >= BNN_BAND3_ROWS * bnn_parallel_threads() ? c3 : NULL;
	if (!st->band3)
		band_rows = rblock_band_rows(b, 0);
	st->band = band_rows * b->ow;
	st->nbands = (rows + band_rows - 1) / band_rows;
	rc = -ENOMEM;
	if (acc3) {
		st->acc3 = acc3, st->acc1 = acc1, st->u = u;
	} else {
		st->own_scratch = 1;
		st->acc3 = malloc((size_t)((st->band3 ? st->band : rows * b->ow) * b->c) *
				  sizeof(int32_t));
		st->acc1 = malloc((size_t)(st->band * b->k) * sizeof(int32_t));
		st->u = malloc((size_t)(st->band * b->c) * sizeof(float));
	}
	if (!st->acc3 || !st->acc1 || !st->u)
		goto fail;
	/* The 1x1 conv of a band: its rows of ow pixels, read from u. Every band
	 * but the last has band_rows rows: conv1[0] serves them, conv1[1] the
	 * last when it is shorter. One band of all the rows is the block's
	 * whole 1x1 conv, batch included. */
	int64_t last = rows - (st->nbands - 1) * band_rows;
	for (int i = 0; i < 2; i++) {
		int64_t r = i == 0 ? band_rows : last;
		if (i == 1 && r == band_rows)
			break;
		bnn_conv_shape_t s1 = { .n = st->nbands == 1 ? b->n : 1,
					.h = st->nbands == 1 ? b->oh : r, .w = b->ow, .c = b->c,
					.k = b->k, .kh = 1, .kw = 1, .stride = 1, .pad = 0,
					.pad_value = 0, .dil = 1, .groups = 1 };
		if ((rc = conv_prepare(&st->conv1[i], k, &s1, st->u, p->w1, p->rsign2)) != 0)
			goto fail;
	}
	*out = st;
	return 0;
fail:
	bnn_rblock_release(st);
	return rc;
}

int bnn_rblock_prepare_with(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			    const bnn_rblock_shape_t *b, const bnn_rblock_params_t *p, const float *x,
			    bnn_rblock_state_t **out)
{
	const bnn_kernel_t *k = find_kernel(conv_kernel);
	if (!k || k->op != BNN_OP_CONV)
		return -ENOENT;
	return rblock_prepare(loops, k, b, p, x, NULL, NULL, NULL, out);
}

/* The host clock, for the profile's stage times. */
static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int bnn_rblock_forward(bnn_rblock_state_t *st, float *y)
{
	int64_t pix = st->b.n * st->b.oh * st->b.ow;
	double *prof = st->prof, t0 = prof ? now_ns() : 0, t;
	int rc = 0;
	if (st->band3) {
		if (!st->prepacked)
			st->band3->pack_own(st->band3->own);
	} else
		rc = st->conv3.k->run(st->conv3.state, st->acc3);
	if (rc != 0)
		return rc;
	if (prof) {
		t = now_ns();
		prof[0] += t - t0;
		t0 = t;
	}
	st->y = y;
	for (int64_t j = 0; j < st->nbands; j++) {
		int64_t len = pix - j * st->band < st->band ? pix - j * st->band : st->band;
		const conv_inst_t *c1 = &st->conv1[len == st->band ? 0 : 1];
		st->q0 = j * st->band;
		if (st->band3) {
			st->acc3q = st->acc3;
			bnn_parallel_for(len / st->b.ow, 1, st->loops->conv3_t1, st);
		} else {
			st->acc3q = st->acc3 + st->q0 * st->b.c;
			bnn_parallel_for(len, 16, st->loops->transform1, st);
		}
		if (prof) {
			/* a row-wise 3x3 conv and transform 1 are one loop: the 3x3
			 * conv's time, transform 1 none of its own (NaN) */
			t = now_ns();
			if (st->band3) {
				prof[0] += t - t0;
				prof[1] = NAN;
			} else {
				prof[1] += t - t0;
			}
			t0 = t;
		}
		if ((rc = c1->k->run(c1->state, st->acc1)) != 0)
			return rc;
		if (prof) {
			t = now_ns();
			prof[2] += t - t0;
			t0 = t;
		}
		bnn_parallel_for(len, 16, st->loops->transform2, st);
		if (prof) {
			t = now_ns();
			prof[3] += t - t0;
			t0 = t;
		}
	}
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
	for (int i = 0; i < 3; i++)
		free(st->buf[i]);
	for (int i = 0; i <= BNN_RNET_BLOCKS; i++)
		free(st->whole[i]);
	free(st->acc3);
	free(st->acc1);
	free(st->u);
	free(st->stem_wt);
	free(st->stem_m);
	free(st->stem_c);
	free(st->stem_rows);
	free(st->fc_wt);
	free(st->pooled);
	free(st);
}

/* A block's input of one image from this many bytes on runs image by image
 * at batch > 1 (ReActNet-A at 224: blocks 1 to 6), from one image's
 * buffers. */
#define BNN_SPLIT_BYTES (512 * 1024)

/* Images act[i] holds: one when block i runs image by image (the stem's
 * and the leading blocks' outputs but the last), else the batch. */
static int64_t act_images(const bnn_rnet_state_t *st, int i)
{
	return i < st->nlead ? 1 : st->r.n;
}

/* Which of the three buffers holds act[i]: a block's input and output are
 * never the same one, and the batch that the last block run image by image
 * fills image after image (act[nlead]) shares none with the stages before
 * it. Two of them at batch 1. */
static int act_buffer(const bnn_rnet_state_t *st, int i)
{
	if (st->nlead == 0 || i < st->nlead)
		return i % 2;
	return (i - st->nlead) % 2 == 0 ? 2 : 0;
}

/* Stage i's output of the batch, NHWC (0: the stem, i: block i). */
static void stage_dims(const bnn_rnet_state_t *st, int i, int64_t dims[4])
{
	if (i == 0) {
		dims[0] = st->r.n, dims[1] = st->r.h / 2, dims[2] = st->r.w / 2;
		dims[3] = BNN_RNET_STEM_C;
	} else {
		bnn_rblock_shape_t b = bnn_rnet_block(&st->r, i - 1);
		dims[0] = b.n, dims[1] = b.oh, dims[2] = b.ow, dims[3] = b.k;
	}
}

/* Floats of act[i]. */
static int64_t act_floats(const bnn_rnet_state_t *st, int i)
{
	int64_t dims[4];
	stage_dims(st, i, dims);
	return act_images(st, i) * dims[1] * dims[2] * dims[3];
}

/* Block i of r as its state runs it: one image when split. */
static bnn_rblock_shape_t split_block(const bnn_rnet_shape_t *r, int i, int64_t nsplit)
{
	bnn_rblock_shape_t b = bnn_rnet_block(r, i);
	if (nsplit > 1)
		b.n = 1;
	return b;
}

int bnn_rnet_prepare_with(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			  const bnn_rnet_shape_t *r, const bnn_rnet_params_t *p, const float *img,
			  bnn_rnet_state_t **out)
{
	const bnn_kernel_t *k = find_kernel(conv_kernel);
	if (!k || k->op != BNN_OP_CONV)
		return -ENOENT;
	bnn_rnet_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = -ENOMEM;
	const int64_t sc = BNN_RNET_STEM_C;
	const int64_t fc_chunks = (BNN_RNET_CLASSES + BNN_HEAD_FC_OUT - 1) / BNN_HEAD_FC_OUT;
	st->r = *r;
	st->p = p;
	st->img = img;
	st->loops = loops;
	st->stem_nbuf = bnn_parallel_threads();
	st->stem_wt = malloc(27 * sc * sizeof(float));
	st->stem_m = malloc(sc * sizeof(float));
	st->stem_c = malloc(sc * sizeof(float));
	st->stem_rows = malloc((size_t)(st->stem_nbuf * stem_row_floats(r->w)) * sizeof(float));
	st->fc_wt = malloc((size_t)(fc_chunks * BNN_HEAD_FC_OUT * BNN_RNET_FC_IN) * sizeof(float));
	st->pooled = malloc((size_t)(r->n * BNN_RNET_FC_IN) * sizeof(float));
	/* Which blocks run image by image: the leading ones whose input of one
	 * image is at least BNN_SPLIT_BYTES, at batch > 1. */
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		int split = r->n > 1 && st->nlead == i &&
			    b.h * b.w * b.c * (int64_t)sizeof(float) >= BNN_SPLIT_BYTES;
		st->nlead += split;
		st->nsplit[i] = split ? r->n : 1;
	}
	/* The stages' outputs share three buffers (act_buffer): one network's
	 * activations touch fewer bytes, and a block writes where the block
	 * before read, lately in cache. */
	int64_t nbuf[3] = { 0, 0, 0 };
	for (int i = 0; i <= BNN_RNET_BLOCKS; i++) {
		int64_t f = act_floats(st, i);
		if (f > nbuf[act_buffer(st, i)])
			nbuf[act_buffer(st, i)] = f;
	}
	for (int i = 0; i < 3; i++)
		if (nbuf[i] && !(st->buf[i] = malloc((size_t)nbuf[i] * sizeof(float))))
			goto fail;
	for (int i = 0; i <= BNN_RNET_BLOCKS; i++)
		st->act[i] = st->buf[act_buffer(st, i)];
	/* The blocks' intermediates, one allocation each for all of them: the
	 * largest 3x3 result, the largest band's u and 1x1 result. */
	size_t n3 = 0, n1 = 0, nu = 0;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = split_block(r, i, st->nsplit[i]);
		size_t band = (size_t)(rblock_band_rows(&b, 0) * b.ow);
		size_t a3 = (size_t)(b.n * b.oh * b.ow * b.c), a1 = band * (size_t)b.k;
		size_t au = band * (size_t)b.c;
		n3 = a3 > n3 ? a3 : n3;
		n1 = a1 > n1 ? a1 : n1;
		nu = au > nu ? au : nu;
	}
	st->acc3 = malloc(n3 * sizeof(int32_t));
	st->acc1 = malloc(n1 * sizeof(int32_t));
	st->u = malloc(nu * sizeof(float));
	if (!st->stem_wt || !st->stem_m || !st->stem_c || !st->stem_rows || !st->fc_wt ||
	    !st->pooled || !st->acc3 || !st->acc1 || !st->u)
		goto fail;
	for (int64_t o = 0; o < sc; o++) {
		for (int64_t t = 0; t < 27; t++)   /* OHWI: tap-major, then input channel */
			st->stem_wt[t * sc + o] = p->stem_w[o * 27 + t];
		double inv = 1.0 / sqrt((double)p->stem_bn.var[o] + (double)BNN_BN_EPS);
		st->stem_m[o] = (float)(p->stem_bn.gamma[o] * inv);
		st->stem_c[o] = (float)(p->stem_bn.beta[o] -
					(double)p->stem_bn.mean[o] * p->stem_bn.gamma[o] * inv);
	}
	for (int64_t o = 0; o < fc_chunks * BNN_HEAD_FC_OUT; o++)
		for (int64_t i = 0; i < BNN_RNET_FC_IN; i++)
			st->fc_wt[(o / BNN_HEAD_FC_OUT * BNN_RNET_FC_IN + i) * BNN_HEAD_FC_OUT +
				  o % BNN_HEAD_FC_OUT] =
				o < BNN_RNET_CLASSES ? p->fc_w[o * BNN_RNET_FC_IN + i] : 0.0f;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = split_block(r, i, st->nsplit[i]);
		if ((rc = rblock_prepare(loops, k, &b, &p->block[i], st->act[i], st->acc3, st->acc1,
					 st->u, &st->block[i])) != 0)
			goto fail;
	}
	/* With loops->pack_next, a block whose 3x3 conv runs by rows on a
	 * packed image of its own (and whose channels fill whole words) gets
	 * its input packed by the block before, in transform 2 from the
	 * values still in L1, rather than read back from L3 to be packed. The
	 * stem packs nothing: its float work is its bound, and packing inside
	 * it cost what block 1's own packing does. */
	for (int i = 1; loops->pack_next && i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_state_t *b = st->block[i];
		const bnn_conv_state_t *c3 = b->band3;
		bnn_rnet_pk_t *pk = &st->block[i - 1]->pk;
		if (!c3 || !c3->own_x || b->b.c % 32 != 0)
			continue;
		int64_t dpp;
		pk->base = c3->own_x;
		pk->shift = c3->shift;
		pk->pw = c3->pw;
		bnn_direct_dims(c3, &dpp, &pk->rowdw, &pk->imgdw);
		pk->pad = c3->s.pad;
		b->prepacked = 1;
	}
	*out = st;
	return 0;
fail:
	bnn_rnet_release(st);
	return rc;
}

/* The stem of images [n0, n1): every thread a share of the output rows
 * (one thread when the pool grew after prepare: the rows buffers are per
 * thread). */
static void rnet_stem(bnn_rnet_state_t *st, int64_t n0, int64_t n1)
{
	int64_t rows = (n1 - n0) * (st->r.h / 2);
	st->stem_r0 = n0 * (st->r.h / 2);
	st->stem_nbase = st->nlead ? n0 : 0;
	if (bnn_parallel_threads() <= st->stem_nbuf)
		bnn_parallel_for(rows, 4, st->loops->stem_rows, st);
	else
		st->loops->stem_rows(st, 0, rows, 0);
}

/* The head: the pool, then the FC, each split over every thread; with ns
 * (a row of the detail), their times. */
static void rnet_head(bnn_rnet_state_t *st, float *logits, double *ns)
{
	double t0 = ns ? now_ns() : 0;
	int64_t pool_items = st->r.n * ((BNN_RNET_FC_IN + BNN_HEAD_POOL_CH - 1) / BNN_HEAD_POOL_CH);
	int64_t fc_items = (BNN_RNET_CLASSES + BNN_HEAD_FC_OUT - 1) / BNN_HEAD_FC_OUT;
	st->logits = logits;
	bnn_parallel_for(pool_items, 1, st->loops->head_pool, st);
	if (ns)
		ns[BNN_RD_T1] = now_ns() - t0;
	bnn_parallel_for(fc_items, 1, st->loops->head_fc, st);
	if (ns)
		ns[BNN_RD_T2] = now_ns() - t0 - ns[BNN_RD_T1];
}

/* Block i on image j when split (its output in act[i + 1]'s place for image
 * j: the only one, or j's of the batch after the last split block), else on
 * the batch; adding its parts to detail's row when profiled. */
static int rnet_block(bnn_rnet_state_t *st, int i, int64_t j, double *detail)
{
	bnn_rblock_shape_t b = bnn_rnet_block(&st->r, i);
	int64_t outs = b.oh * b.ow * b.k;
	int64_t at = act_images(st, i + 1) > 1 ? j : 0;   /* j is 0 but when split */
	bnn_rblock_state_t *bs = st->block[i];
	bs->prof = detail ? detail + (i + 1) * BNN_RNET_DETAIL : NULL;
	bs->pk.x = bs->pk.base ? bs->pk.base + at * bs->pk.imgdw : NULL;
	int rc = bnn_rblock_forward(bs, st->act[i + 1] + at * outs);
	bs->prof = NULL;
	return rc;
}

/* The stem and the blocks before stage upto (BNN_RNET_BLOCKS: all of them)
 * as the forward pass runs them: image by image up to the last block run
 * so, then over the batch. With ns, each stage's time (the stem and the
 * leading blocks summed over the images they run on one by one); with
 * detail ([stages][BNN_RNET_DETAIL], zeroed by the caller), the blocks'
 * parts too; with keep, stage upto of the batch copied there as it is made
 * (image by image when act[upto] holds one image). */
static int rnet_stages(bnn_rnet_state_t *st, int upto, float *keep, double *ns, double *detail)
{
	double t0 = ns ? now_ns() : 0, t;
	int64_t n = st->r.n, lead_n = st->nlead ? n : 1;
	size_t floats = keep ? (size_t)act_floats(st, upto) : 0;
	for (int64_t j = 0; j < lead_n; j++) {
		rnet_stem(st, st->nlead ? j : 0, st->nlead ? j + 1 : n);
		if (ns) {
			t = now_ns();
			ns[0] += t - t0;
			t0 = t;
		}
		for (int i = 0; i < st->nlead && i < upto; i++) {
			int rc = rnet_block(st, i, j, detail);
			if (rc != 0)
				return rc;
			if (ns) {
				t = now_ns();
				ns[i + 1] += t - t0;
				t0 = t;
			}
		}
		if (keep && upto < st->nlead)
			memcpy(keep + j * floats, st->act[upto], floats * sizeof(float));
	}
	for (int i = st->nlead; i < upto; i++) {
		int rc = rnet_block(st, i, 0, detail);
		if (rc != 0)
			return rc;
		if (ns) {
			t = now_ns();
			ns[i + 1] = t - t0;
			t0 = t;
		}
	}
	if (keep && upto >= st->nlead)
		memcpy(keep, st->act[upto], floats * sizeof(float));
	return 0;
}

/* The forward pass; with ns, each stage's time (stem, blocks, head); with
 * detail, the blocks' and the head's parts too (rnet_stages). */
static int rnet_forward(bnn_rnet_state_t *st, float *logits, double *ns, double *detail)
{
	if (ns)
		for (int i = 0; i < BNN_PROFILE_MAX; i++)
			ns[i] = 0;
	int rc = rnet_stages(st, BNN_RNET_BLOCKS, NULL, ns, detail);
	if (rc != 0)
		return rc;
	double t0 = ns ? now_ns() : 0;
	rnet_head(st, logits, detail ? detail + (BNN_RNET_BLOCKS + 1) * BNN_RNET_DETAIL : NULL);
	if (ns)
		ns[BNN_RNET_BLOCKS + 1] = now_ns() - t0;
	return 0;
}

int bnn_rnet_forward(bnn_rnet_state_t *st, float *logits)
{
	return rnet_forward(st, logits, NULL, NULL);
}

int bnn_rnet_profile(void *state, double *ns, int max)
{
	bnn_rnet_state_t *st = state;
	if (max < BNN_PROFILE_MAX)
		return -EINVAL;
	float *logits = malloc((size_t)(st->r.n * BNN_RNET_CLASSES) * sizeof(float));
	if (!logits)
		return -ENOMEM;
	int rc = rnet_forward(st, logits, ns, NULL);
	free(logits);
	return rc ? rc : BNN_PROFILE_MAX;
}

int bnn_rnet_profile_detail(void *state, double *detail)
{
	bnn_rnet_state_t *st = state;
	double ns[BNN_PROFILE_MAX];
	int nst = BNN_RNET_BLOCKS + 2;
	float *logits = malloc((size_t)(st->r.n * BNN_RNET_CLASSES) * sizeof(float));
	if (!logits)
		return -ENOMEM;
	for (int i = 0; i < nst * BNN_RNET_DETAIL; i++)
		detail[i] = 0;
	int rc = rnet_forward(st, logits, ns, detail);
	free(logits);
	if (rc != 0)
		return rc;
	for (int i = 0; i < nst; i++)
		detail[i * BNN_RNET_DETAIL + BNN_RD_TOTAL] = ns[i];
	/* The convs' packing and padding correction, timed again on their own
	 * (same inputs; the correction on the 3x3 result, spent by now). A
	 * direct path's packing is its own, and it corrects inside its output
	 * loop: no separate correction to time (NaN). */
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		double *d = detail + (i + 1) * BNN_RNET_DETAIL, t0;
		for (int64_t j = 0; j < st->nsplit[i]; j++) {
			bnn_rblock_state_t *b = st->block[i];
			bnn_conv_state_t *c3 = conv_base(&b->conv3, b->b.c, b->b.c, 3);
			bnn_conv_state_t *c1 = conv_base(&b->conv1[0], b->b.c, b->b.k, 1);
			if (!c3 || !c1) {
				d[BNN_RD_PACK3] = d[BNN_RD_PAD3] = d[BNN_RD_PACK1] = NAN;
				break;
			}
			if (b->prepacked) {
				/* packed by the block before, in its transform 2 */
				d[BNN_RD_PACK3] = NAN;
			} else {
				t0 = now_ns();
				if (c3->pack_own)
					c3->pack_own(c3->own);
				else
					bnn_conv_pack_input(c3);
				d[BNN_RD_PACK3] += now_ns() - t0;
			}
			if (c3->pack_own) {
				/* corrected inside the conv's output loop */
				d[BNN_RD_PAD3] = NAN;
			} else {
				t0 = now_ns();
				bnn_bconv_pad_correct(c3, b->acc3);
				d[BNN_RD_PAD3] += now_ns() - t0;
			}
			t0 = now_ns();
			for (int64_t q = 0; q < b->nbands; q++)
				if (c1->pack_own)
					c1->pack_own(c1->own);
				else
					bnn_conv_pack_input(c1);
			d[BNN_RD_PACK1] += now_ns() - t0;
		}
	}
	return nst;
}

const float *bnn_rnet_stage(void *state, int i, int64_t dims[4])
{
	bnn_rnet_state_t *st = state;
	if (i < 0 || i > BNN_RNET_BLOCKS)
		return NULL;
	stage_dims(st, i, dims);
	/* Later stages reused act[i]'s buffer, and a stage that holds one image
	 * holds the last: the stages before i again, keeping stage i. */
	size_t size = (size_t)(dims[0] * dims[1] * dims[2] * dims[3]);
	if (!st->whole[i] && !(st->whole[i] = malloc(size * sizeof(float))))
		return NULL;
	return rnet_stages(st, i, st->whole[i], NULL, NULL) == 0 ? st->whole[i] : NULL;
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
