/*
 * ReActNet-A: the shape walker reproduces the published op counts and the
 * spec's layer table; a block worked out by hand (the working is in the
 * comments) gives the same numbers from the reference and from every block
 * kernel of the table, the RSign tie x == -b included; blocks run in many
 * bands and batches whose leading blocks run image by image give the same
 * bits on every CPU kernel and thread count; a network's stages are its
 * blocks' outputs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "bnn_ref.h"
#include "parallel.h"
#include "reactnet.h"
#include "gen.h"
#include "tap.h"

/*
 * One pixel, one input channel, batch 2: x = 0.3 and x = 0.5.
 * rsign1 = -0.5: sign(0.3 - 0.5) = -1; sign(0.5 - 0.5) = sign(0) = +1 (the tie).
 * w3: nine weights of magnitude 0.5, the centre +0.5, so alpha3 = 0.5; on a
 * 1x1 image only the centre tap sees the input: acc3 = -1 and +1.
 * BN1: gamma 2, beta 0.1, mean 0.5, var + eps = 1:
 *   t = 2*(0.5*acc3 - 0.5) + 0.1 = -1.9 and 0.1.
 * shortcut x: s = -1.6 and 0.6.
 * RPReLU1 g 0.1, slope 0.25, z 0.2: s <= g: 0.25*(-1.7) + 0.2 = -0.225;
 *   s > g: 0.6 - 0.1 + 0.2 = 0.7. So u = -0.225 and 0.7.
 * rsign2 = 0.5: u + 0.5 = 0.275 and 1.2: both +1.
 * w1 (normal block, one filter) -0.25: alpha 0.25, sign -1: acc1 = -1.
 * BN2: gamma 1, beta 0, mean 0, var + eps = 1: -0.25.
 *   v = -0.25 + u = -0.475 and 0.45.
 * RPReLU2 g -1, slope 0.25, z 0: v > g: v + 1 = 0.525 and 1.45.
 * Reduction block (k = 2): filter 1 of w1 is +0.75 (down2): acc1 = +1,
 *   0.75 + u = 0.525 and 1.45, RPReLU2 (same parameters): 1.525 and 2.45.
 */
static const float X[2] = { 0.3f, 0.5f };
static const float EXPECT_NORMAL[2] = { 0.525f, 1.45f };
static const float EXPECT_REDUCTION[4] = { 0.525f, 1.525f, 1.45f, 2.45f };

typedef struct {
	float rsign1[1], w3[9], bn1[4], rp1[3], rsign2[1], w1[2], bn2[8], rp2[6];
	bnn_rblock_params_t p;
} hand_block_t;

static void hand_block(hand_block_t *h, int64_t k)
{
	static const float w3[9] = { -0.5f, 0.5f, -0.5f, 0.5f, 0.5f, -0.5f, 0.5f, 0.5f, -0.5f };
	const float one = 1.0f - BNN_BN_EPS;   /* var + eps = 1 (to float rounding) */
	memset(h, 0, sizeof(*h));
	h->rsign1[0] = -0.5f;
	memcpy(h->w3, w3, sizeof(w3));
	h->bn1[0] = 2, h->bn1[1] = 0.1f, h->bn1[2] = 0.5f, h->bn1[3] = one;
	h->rp1[0] = 0.1f, h->rp1[1] = 0.25f, h->rp1[2] = 0.2f;
	h->rsign2[0] = 0.5f;
	h->w1[0] = -0.25f, h->w1[1] = 0.75f;
	/* bn2 as [gamma k][beta k][mean k][var k], rp2 as [g k][slope k][z k] */
	for (int64_t o = 0; o < k; o++) {
		h->bn2[o] = 1, h->bn2[k + o] = 0, h->bn2[2 * k + o] = 0, h->bn2[3 * k + o] = one;
		h->rp2[o] = -1, h->rp2[k + o] = 0.25f, h->rp2[2 * k + o] = 0;
	}
	h->p = (bnn_rblock_params_t){
		.rsign1 = h->rsign1, .w3 = h->w3,
		.bn1 = { &h->bn1[0], &h->bn1[1], &h->bn1[2], &h->bn1[3] },
		.rp1 = { &h->rp1[0], &h->rp1[1], &h->rp1[2] },
		.rsign2 = h->rsign2, .w1 = h->w1,
		.bn2 = { &h->bn2[0], &h->bn2[k], &h->bn2[2 * k], &h->bn2[3 * k] },
		.rp2 = { &h->rp2[0], &h->rp2[k], &h->rp2[2 * k] },
	};
}

static int close_to(const float *y, const float *want, int n)
{
	for (int i = 0; i < n; i++)
		if (!(fabsf(y[i] - want[i]) <= 1e-5f))
			return 0;
	return 1;
}

static void check_block(int64_t k, const float *want)
{
	hand_block_t h;
	float y[4];
	bnn_op_desc_t d = { .op = BNN_OP_RBLOCK,
			    .rblock = { .n = 2, .h = 1, .w = 1, .c = 1, .k = k, .stride = 1,
					.oh = 1, .ow = 1 } };
	hand_block(&h, k);
	memset(y, 0, sizeof(y));
	bnn_ref_rblock(&d.rblock, &h.p, X, y, NULL);
	tap_ok(close_to(y, want, (int)(2 * k)), "reference, %s block by hand: %g %g ...",
	       k == 1 ? "normal" : "reduction", y[0], y[1]);
	for (size_t i = 0; i < bnn_kernel_count; i++) {
		const bnn_kernel_t *kn = &bnn_kernels[i];
		char why[200];
		void *st = NULL;
		bnn_inputs_t in = { .a = X, .params = &h.p };
		if (kn->op != BNN_OP_RBLOCK)
			continue;
		if (!bnn_isa_available(kn->isa, why, sizeof(why))) {
			tap_ok(1, "# SKIP %s: %s", kn->name, why);
			continue;
		}
		memset(y, 0xff, sizeof(y));
		int rc = kn->prepare(&d, &in, &st);
		if (rc == 0)
			rc = kn->run(st, y);
		if (rc == 0 && kn->fetch)   /* device kernels: the output stays there until fetched */
			rc = kn->fetch(st, y);
		tap_ok(rc == 0 && close_to(y, want, (int)(2 * k)), "%s, %s block by hand: %g %g ...",
		       kn->name, k == 1 ? "normal" : "reduction", y[0], y[1]);
		kn->release(st);
	}
}

/* Runs kernel kn on d with inputs in into y (bytes of out floats). */
static int run_kernel(const bnn_kernel_t *kn, const bnn_op_desc_t *d, const bnn_inputs_t *in,
		      float *y)
{
	void *st = NULL;
	int rc = kn->prepare(d, in, &st);
	if (rc == 0)
		rc = kn->run(st, y);
	if (rc == 0)   /* a second run on the same state gives the same bits */
		rc = kn->run(st, y);
	kn->release(st);
	return rc;
}

/*
 * A block of many bands (the 1x1 conv and the transforms run band by band,
 * the last band shorter, batch 2, stride 2 and 1), at 1 and 2 threads:
 * every CPU block kernel gives the bits of the generic one.
 */
static void check_bands(const bnn_rblock_shape_t *shape)
{
	bnn_rng_t rng;
	bnn_weights_t w;
	bnn_op_desc_t d = { .op = BNN_OP_RBLOCK, .rblock = *shape };
	bnn_rblock_shape_t *b = &d.rblock;
	b->oh = b->h / b->stride, b->ow = b->w / b->stride;
	size_t nx = (size_t)(b->n * b->h * b->w * b->c), ny = (size_t)(b->n * b->oh * b->ow * b->k);
	bnn_rng_init(&rng, 11);
	float *x = malloc(nx * sizeof(float)), *want = malloc(ny * sizeof(float));
	float *y = malloc(ny * sizeof(float));
	if (!x || !want || !y || bnn_rblock_weights_synth(b, &rng, &w) != 0) {
		tap_ok(0, "out of memory");
		return;
	}
	bnn_rblock_fill_input(&rng, b, &w.block, x);
	bnn_inputs_t in = { .a = x, .params = &w.block };
	int have = 0;
	for (int threads = 1; threads <= 2; threads++) {
		bnn_parallel_init(threads, NULL, NULL);
		for (size_t i = 0; i < bnn_kernel_count; i++) {
			const bnn_kernel_t *kn = &bnn_kernels[i];
			char why[200];
			if (kn->op != BNN_OP_RBLOCK || kn->fetch || !bnn_isa_available(kn->isa, why, sizeof(why)))
				continue;
			float *out = have ? y : want;
			memset(out, 0xff, ny * sizeof(float));
			int rc = run_kernel(kn, &d, &in, out);
			tap_ok(rc == 0 && (!have || memcmp(y, want, ny * sizeof(float)) == 0),
			       "%s, %d thread(s), block n=%lld %lldx%lld c=%lld k=%lld stride %lld in "
			       "bands: the generic kernel's bits", kn->name, threads,
			       (long long)b->n, (long long)b->h, (long long)b->w, (long long)b->c,
			       (long long)b->k, (long long)b->stride);
			have = 1;
		}
	}
	bnn_parallel_init(1, NULL, NULL);
	bnn_weights_free(&w);
	free(x);
	free(want);
	free(y);
}

/*
 * The network at batch 3 on 128x128 images (the leading blocks run image by
 * image) gives each image the bits of that image alone at batch 1, at 1 and
 * 2 threads, on every CPU network kernel.
 */
static void check_batch(void)
{
	bnn_rnet_shape_t r3 = { 3, 128, 128 }, r1 = { 1, 128, 128 };
	bnn_rng_t rng;
	bnn_weights_t w;
	size_t img = 3 * 128 * 128;
	float *x = malloc(3 * img * sizeof(float));
	float y3[3 * BNN_RNET_CLASSES], y1[BNN_RNET_CLASSES];
	bnn_rng_init(&rng, 12);
	if (!x || bnn_rnet_weights_synth(&r3, &rng, &w) != 0) {
		tap_ok(0, "out of memory");
		return;
	}
	bnn_fill_activations(&rng, x, 3 * img);
	for (int threads = 1; threads <= 2; threads++) {
		bnn_parallel_init(threads, NULL, NULL);
		for (size_t i = 0; i < bnn_kernel_count; i++) {
			const bnn_kernel_t *kn = &bnn_kernels[i];
			char why[200];
			if (kn->op != BNN_OP_RNET || kn->fetch ||
			    !bnn_isa_available(kn->isa, why, sizeof(why)))
				continue;
			bnn_op_desc_t d3 = { .op = BNN_OP_RNET, .rnet = r3 };
			bnn_op_desc_t d1 = { .op = BNN_OP_RNET, .rnet = r1 };
			bnn_inputs_t in3 = { .a = x, .params = &w.net };
			int ok = run_kernel(kn, &d3, &in3, y3) == 0;
			for (int b = 0; b < 3 && ok; b++) {
				bnn_inputs_t in1 = { .a = x + b * img, .params = &w.net };
				ok = run_kernel(kn, &d1, &in1, y1) == 0 &&
				     memcmp(y1, y3 + b * BNN_RNET_CLASSES, sizeof(y1)) == 0;
			}
			tap_ok(ok, "%s, %d thread(s): each image of a batch of 3 (128x128) has the "
			       "logits of that image alone", kn->name, threads);
		}
	}
	bnn_parallel_init(1, NULL, NULL);
	bnn_weights_free(&w);
	free(x);
}

/*
 * A network kernel's stages (bnn_kernel_t.stage, for --dump-blocks) are
 * each block's output: stage i is what the block kernel of the same ISA
 * gives on stage i - 1 with block i's parameters, bit for bit, whether the
 * stages share buffers, hold one image of a batch run image by image
 * (128x128, batch 3) or the batch (32x32, batch 2); and the last run's
 * logits stay as they were.
 */
static void check_stages(const bnn_rnet_shape_t *r, int skip_generic)
{
	bnn_rng_t rng;
	bnn_weights_t w;
	size_t img = (size_t)(3 * r->h * r->w), nmax = 0;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		size_t f = (size_t)(b.n * b.h * b.w * b.c), o = (size_t)(b.n * b.oh * b.ow * b.k);
		nmax = f > nmax ? f : nmax;
		nmax = o > nmax ? o : nmax;
	}
	float *x = malloc((size_t)r->n * img * sizeof(float));
	float *in = malloc(nmax * sizeof(float)), *y = malloc(nmax * sizeof(float));
	float *l1 = malloc((size_t)r->n * BNN_RNET_CLASSES * sizeof(float));
	float *l2 = malloc((size_t)r->n * BNN_RNET_CLASSES * sizeof(float));
	bnn_rng_init(&rng, 13);
	if (!x || !in || !y || !l1 || !l2 || bnn_rnet_weights_synth(r, &rng, &w) != 0) {
		tap_ok(0, "out of memory");
		free(x), free(in), free(y), free(l1), free(l2);
		return;
	}
	bnn_fill_uniform(&rng, x, (size_t)r->n * img);
	for (size_t i = 0; i < bnn_kernel_count; i++) {
		const bnn_kernel_t *kn = &bnn_kernels[i], *kb = NULL;
		char why[200];
		if (kn->op != BNN_OP_RNET || kn->fetch || !kn->stage ||
		    !bnn_isa_available(kn->isa, why, sizeof(why)) ||
		    (skip_generic && kn->isa == BNN_ISA_GENERIC))
			continue;
		for (size_t j = 0; j < bnn_kernel_count; j++)   /* rblock_ + the same suffix */
			if (bnn_kernels[j].op == BNN_OP_RBLOCK &&
			    !strcmp(strstr(bnn_kernels[j].name, "__"), strstr(kn->name, "__")))
				kb = &bnn_kernels[j];
		bnn_op_desc_t d = { .op = BNN_OP_RNET, .rnet = *r };
		bnn_inputs_t inp = { .a = x, .params = &w.net };
		void *st = NULL;
		int ok = kb && kn->prepare(&d, &inp, &st) == 0 && kn->run(st, l1) == 0;
		int bad = -1;
		for (int s = 1; ok && s <= BNN_RNET_BLOCKS; s++) {
			int64_t dims[4];
			const float *prev = kn->stage(st, s - 1, dims);
			bnn_rblock_shape_t b = bnn_rnet_block(r, s - 1);
			size_t nin = (size_t)(b.n * b.h * b.w * b.c), nout = (size_t)(b.n * b.oh * b.ow * b.k);
			ok = prev && (size_t)(dims[0] * dims[1] * dims[2] * dims[3]) == nin;
			if (!ok)
				break;
			memcpy(in, prev, nin * sizeof(float));
			bnn_op_desc_t db = { .op = BNN_OP_RBLOCK, .rblock = b };
			bnn_inputs_t ib = { .a = in, .params = &w.net.block[s - 1] };
			const float *cur = NULL;
			ok = run_kernel(kb, &db, &ib, y) == 0 && (cur = kn->stage(st, s, dims)) &&
			     memcmp(cur, y, nout * sizeof(float)) == 0;
			if (!ok)
				bad = s;
		}
		ok = ok && kn->run(st, l2) == 0 &&
		     memcmp(l1, l2, (size_t)r->n * BNN_RNET_CLASSES * sizeof(float)) == 0;
		tap_ok(ok, "%s, batch %lld %lldx%lld: each stage is its block's output on the stage "
		       "before (first wrong: %d)", kn->name, (long long)r->n, (long long)r->h,
		       (long long)r->w, bad);
		kn->release(st);
	}
	bnn_weights_free(&w);
	free(x), free(in), free(y), free(l1), free(l2);
}

int main(void)
{
	/* The spec's table: output channels, strides and output sizes at 224. */
	static const int64_t cout[13] = { 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512,
					  1024, 1024 };
	static const int64_t oh[13] = { 112, 56, 56, 28, 28, 14, 14, 14, 14, 14, 14, 7, 7 };
	bnn_rnet_shape_t r = { 1, 224, 224 };
	bnn_rnet_counts_t c;
	int table_ok = 1;

	bnn_parallel_init(1, NULL, NULL);
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(&r, i);
		table_ok &= b.k == cout[i] && b.oh == oh[i] && b.ow == oh[i] &&
			    b.c == (i ? cout[i - 1] : 32) && b.stride == (b.h == b.oh ? 1 : 2);
	}
	tap_ok(table_ok, "bnn_rnet_block follows the ReActNet-A table of doc/bnn-math.md section 6");
	bnn_rnet_counts(&r, &c);
	tap_ok(fabs(c.bops - 4.817e9) < 0.0005e9, "BOPs %.4g reproduce the published 4.817e9",
	       c.bops);
	tap_ok(fabs(c.flops - 1.186e7) < 0.0005e7, "FLOPs %.4g reproduce 1.186e7 (stem 10.84M + FC "
	       "1.02M)", c.flops);
	tap_ok(fabs(c.ops - 0.871e8) < 0.0005e8, "OPs = BOPs/64 + FLOPs = %.4g reproduce 0.871e8",
	       c.ops);
	tap_ok(c.binary_weights == 28253184.0, "%.0f binary weights, as published 28,253,184",
	       c.binary_weights);
	bnn_op_desc_t net = { .op = BNN_OP_RNET, .rnet = r };
	tap_ok(bnn_op_macs(&net) == c.bops, "the network's MACs for TOPS are its BOPs");

	check_block(1, EXPECT_NORMAL);
	check_block(2, EXPECT_REDUCTION);
	check_bands(&(bnn_rblock_shape_t){ .n = 2, .h = 70, .w = 62, .c = 32, .k = 64, .stride = 2 });
	check_bands(&(bnn_rblock_shape_t){ .n = 2, .h = 61, .w = 57, .c = 64, .k = 64, .stride = 1 });
	check_bands(&(bnn_rblock_shape_t){ .n = 1, .h = 9, .w = 7, .c = 36, .k = 72, .stride = 1 });
	check_batch();
	/* the stages' bookkeeping is the template's, the same for every ISA:
	 * the large case once on a fast one where there is one */
	char why[200];
	check_stages(&(bnn_rnet_shape_t){ 3, 128, 128 },
		     bnn_isa_available(BNN_ISA_AVX2, why, sizeof(why)) != 0);
	check_stages(&(bnn_rnet_shape_t){ 2, 32, 32 }, 0);
	printf("1..%d\n", tap_n);
	bnn_parallel_shutdown();
	return tap_exit();
}
