/*
 * The ReActNet peers (peers/peers_reactnet.c) against the golden block and
 * network, with the harness's own checks (harness/runner.c):
 *  - a block's output within the derived per-element bound (which accounts
 *    for RSign ties), normal and reduction blocks, stride 1 and 2, batch 2,
 *    sizes that leave every border class of the int8 correction, channel
 *    counts that are and are not multiples of 8 (the f32 peer's nChw8c
 *    layout and its NHWC fallback);
 *  - the network's logits within the stated tolerance, the top-1/top-5
 *    check, and the very same top-1 class as the reference for every image;
 *  - run is repeatable: a second run writes the same bytes.
 * Two threads, so the epilogues' and oneDNN's parallel splits run.
 * Skipped (TAP SKIP) when built without oneDNN.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "bnn_ref.h"
#include "check.h"
#include "gen.h"
#include "peers.h"
#include "reactnet.h"
#include "tap.h"

static const char *const names[] = { "rblock_f32__onednn", "rblock_s8__onednn",
				     "reactnet_a_f32__onednn", "reactnet_a_s8__onednn" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

static const bnn_kernel_t *find_peer(const char *name)
{
	for (size_t i = 0; i < bnn_peer_count; i++)
		if (strcmp(bnn_peers[i].name, name) == 0)
			return &bnn_peers[i];
	return NULL;
}

/* prepare, run into out, run again into out2 (poisoned), release. */
static int run_twice(const bnn_kernel_t *k, const bnn_op_desc_t *d, const bnn_inputs_t *in,
		     float *out, float *out2, size_t n)
{
	char why[256] = "";
	void *state = NULL;
	if (k->supports && k->supports(d, why, sizeof(why))) {
		printf("# %s: unexpectedly unsupported: %s\n", k->name, why);
		return -1;
	}
	int rc = k->prepare(d, in, &state);
	if (rc) {
		printf("# %s: prepare failed: %s\n", k->name, strerror(-rc));
		return -1;
	}
	bnn_poison(out, n, 0);
	bnn_poison(out2, n, 0);
	rc = k->run(state, out);
	if (!rc)
		rc = k->run(state, out2);
	k->release(state);
	if (rc) {
		printf("# %s: run failed: %s\n", k->name, strerror(-rc));
		return -1;
	}
	if (memcmp(out, out2, n * sizeof(float)) != 0) {
		printf("# %s: a second run wrote other values\n", k->name);
		return -1;
	}
	return 0;
}

typedef struct {
	int64_t n, h, w, c, k, stride;
} block_case_t;

static const block_case_t block_cases[] = {
	{ 1, 8, 8, 32, 64, 2 },   /* reduction, stride 2 */
	{ 1, 8, 8, 32, 32, 1 },   /* normal */
	{ 2, 6, 10, 24, 48, 2 },  /* batch 2, not square */
	{ 1, 5, 7, 12, 24, 1 },   /* reduction, stride 1; c not a multiple of 8 */
	{ 2, 2, 2, 16, 16, 1 },   /* every pixel on two borders */
	{ 1, 4, 4, 64, 128, 2 },  /* 2x2 out, both border bits per side */
};
#define NBLOCK (sizeof(block_cases) / sizeof(block_cases[0]))

static int check_block(const bnn_kernel_t *k, const block_case_t *bc)
{
	bnn_op_desc_t d = { .op = BNN_OP_RBLOCK };
	d.rblock = (bnn_rblock_shape_t){ .n = bc->n, .h = bc->h, .w = bc->w, .c = bc->c,
					 .k = bc->k, .stride = bc->stride };
	bnn_rblock_shape_t *b = &d.rblock;
	b->oh = b->h / b->stride;
	b->ow = b->w / b->stride;
	size_t nin = (size_t)(b->n * b->h * b->w * b->c), pix = (size_t)(b->n * b->oh * b->ow);
	size_t nout = pix * (size_t)b->k;
	bnn_weights_t wts;
	bnn_rng_t rng;
	bnn_check_t chk;
	memset(&wts, 0, sizeof(wts));
	memset(&chk, 0, sizeof(chk));
	bnn_rng_init(&rng, 0x5eed0000u + (uint64_t)(b->h * 131 + b->c));
	float *x = malloc(nin * sizeof(float)), *ref = malloc(nout * sizeof(float));
	float *bound = malloc(nout * sizeof(float)), *out = malloc(nout * sizeof(float));
	float *out2 = malloc(nout * sizeof(float));
	float *tr = malloc(pix * (size_t)(4 * b->c + 2 * b->k) * sizeof(float));
	int ok = x && ref && bound && out && out2 && tr &&
		 bnn_rblock_weights_synth(b, &rng, &wts) == 0;
	if (ok) {
		bnn_rblock_fill_input(&rng, b, &wts.block, x);
		bnn_ref_rblock_trace_t t = {
			.acc3 = tr, .r = tr + pix * b->c, .s = tr + 2 * pix * b->c,
			.u = tr + 3 * pix * b->c, .acc1 = tr + 4 * pix * b->c,
			.v = tr + 4 * pix * b->c + pix * b->k
		};
		bnn_ref_rblock(b, &wts.block, x, ref, &t);
		ok = bnn_rblock_bound(b, &wts.block, x, &t, bound) >= 0;
	}
	if (ok) {
		bnn_inputs_t in = { .a = x, .params = &wts.block };
		ok = run_twice(k, &d, &in, out, out2, nout) == 0;
	}
	if (ok) {
		bnn_check_float(ref, out, bound, nout, &chk);
		ok = chk.status == BNN_PASS;
		if (!ok)
			printf("# %s: %s\n", k->name, chk.reason);
	}
	free(x);
	free(ref);
	free(bound);
	free(out);
	free(out2);
	free(tr);
	bnn_weights_free(&wts);
	return tap_ok(ok, "%s n=%lld %lldx%lld c=%lld k=%lld stride=%lld", k->name,
		      (long long)b->n, (long long)b->h, (long long)b->w, (long long)b->c,
		      (long long)b->k, (long long)b->stride);
}

static int64_t argmax(const float *y)
{
	int64_t best = 0;
	for (int64_t o = 1; o < BNN_RNET_CLASSES; o++)
		if (y[o] > y[best])
			best = o;
	return best;
}

static const bnn_rnet_shape_t net_cases[] = { { 1, 32, 32 }, { 2, 32, 64 } };
#define NNET (sizeof(net_cases) / sizeof(net_cases[0]))

static int check_net(const bnn_kernel_t *k, const bnn_rnet_shape_t *r)
{
	bnn_op_desc_t d = { .op = BNN_OP_RNET, .rnet = *r };
	size_t nin = (size_t)(r->n * 3 * r->h * r->w), nout = (size_t)(r->n * BNN_RNET_CLASSES);
	bnn_weights_t wts;
	bnn_rng_t rng;
	bnn_check_t chk;
	memset(&wts, 0, sizeof(wts));
	memset(&chk, 0, sizeof(chk));
	bnn_rng_init(&rng, 0xfeed0000u + (uint64_t)(r->n * 7 + r->w));
	float *img = malloc(nin * sizeof(float)), *ref = malloc(nout * sizeof(float));
	float *bound = malloc(nout * sizeof(float)), *out = malloc(nout * sizeof(float));
	float *out2 = malloc(nout * sizeof(float));
	int ok = img && ref && bound && out && out2 && bnn_rnet_weights_synth(r, &rng, &wts) == 0;
	if (ok) {
		bnn_fill_activations(&rng, img, nin);
		bnn_ref_reactnet(r, &wts.net, img, ref);
		bnn_rnet_bound(r, ref, bound);
		bnn_inputs_t in = { .a = img, .params = &wts.net };
		ok = run_twice(k, &d, &in, out, out2, nout) == 0;
	}
	if (ok) {
		bnn_rnet_check(r, ref, out, bound, &chk);
		if (chk.status != BNN_PASS) {
			printf("# %s: %s\n", k->name, chk.reason);
			ok = 0;
		}
	}
	for (int64_t b = 0; ok && b < r->n; b++) {
		int64_t cr = argmax(ref + b * BNN_RNET_CLASSES), ck = argmax(out + b * BNN_RNET_CLASSES);
		if (cr != ck) {
			printf("# %s: image %lld: class %lld, the reference's is %lld\n", k->name,
			       (long long)b, (long long)ck, (long long)cr);
			ok = 0;
		}
	}
	free(img);
	free(ref);
	free(bound);
	free(out);
	free(out2);
	bnn_weights_free(&wts);
	return tap_ok(ok, "%s n=%lld %lldx%lld: logits within the bound, same classes", k->name,
		      (long long)r->n, (long long)r->h, (long long)r->w);
}

int main(void)
{
#ifndef HAVE_DNNL
	tap_skip_all("built without oneDNN");
	return 0;
#else
	tap_plan((int)(NNAMES + 2 * (NBLOCK + NNET)));
	bnn_peers_set_threads(2);
	for (size_t i = 0; i < NNAMES; i++) {
		const bnn_kernel_t *k = find_peer(names[i]);
		bnn_op_t op = i < 2 ? BNN_OP_RBLOCK : BNN_OP_RNET;
		tap_ok(k && k->op == op, "the peer table holds %s", names[i]);
	}
	for (size_t i = 0; i < NNAMES; i++) {
		const bnn_kernel_t *k = find_peer(names[i]);
		size_t nc = i < 2 ? NBLOCK : NNET;
		for (size_t j = 0; j < nc; j++) {
			if (!k) {
				tap_ok(0, "%s (missing)", names[i]);
				continue;
			}
			if (i < 2)
				check_block(k, &block_cases[j]);
			else
				check_net(k, &net_cases[j]);
		}
	}
	return tap_exit();
#endif
}
