/*
 * test_cuda_reactnet: the GPU ReActNet kernels of the table (op rblock and
 * op reactnet, isa cuda) on a GPU, through the kernel-table contract
 * (prepare, run, fetch, the stage hook), against the CPU:
 *   - blocks (normal, reduction at stride 1 and 2, odd c and sizes, c = 1,
 *     ReActNet-A's shapes) within the harness's derived bound against the
 *     reference, and bit for bit against rblock_xor_popc__generic (the GPU
 *     code keeps the CPU template's float order, so they must agree);
 *   - the network at 32x32, 32x64 and 224x224 (batch 1 and 4): logits
 *     against the reference (bound and top-5) and against
 *     reactnet_a_xor_popc__generic bit for bit, every stage too;
 *   - batch 256 at 224x224: four images repeated, each logit row equal to
 *     the batch-4 run's (images are independent).
 * Runs are repeated (repeatable outputs). Without a GPU, or built without
 * CUDA, the whole test is a TAP SKIP with the reason.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bnn_kernels.h"
#include "bnn_ref.h"
#include "check.h"
#include "gen.h"
#include "parallel.h"
#include "reactnet.h"
#include "tap.h"

static const int64_t blocks[][6] = {
	{ 1, 1, 1, 1, 1, 1 },     { 1, 5, 3, 3, 3, 1 },      { 2, 6, 4, 5, 10, 2 },
	{ 1, 2, 2, 33, 66, 2 },   { 1, 7, 5, 33, 66, 1 },    { 1, 4, 4, 64, 64, 1 },
	{ 1, 3, 3, 65, 130, 1 },  { 2, 9, 7, 32, 64, 1 },    { 3, 10, 6, 64, 128, 2 },
	{ 2, 112, 112, 32, 64, 1 }, { 2, 56, 56, 128, 256, 2 }, { 4, 14, 14, 512, 512, 1 },
	{ 2, 14, 14, 512, 1024, 2 }, { 2, 7, 7, 1024, 1024, 1 },
};
#define NB ((int)(sizeof(blocks) / sizeof(blocks[0])))
static const int64_t nets[][3] = { { 1, 32, 32 }, { 2, 32, 64 }, { 1, 224, 224 }, { 4, 224, 224 } };
#define NN ((int)(sizeof(nets) / sizeof(nets[0])))

static const bnn_kernel_t *find(const char *name)
{
	for (size_t i = 0; i < bnn_kernel_count; i++)
		if (strcmp(bnn_kernels[i].name, name) == 0)
			return &bnn_kernels[i];
	return NULL;
}

static int64_t first_diff(const float *a, const float *b, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
			return i;
	return -1;
}

/* prepare, then run + fetch twice; the two outputs must be equal. 0 or rc. */
static int run_kernel(const bnn_kernel_t *k, const bnn_op_desc_t *d, const bnn_inputs_t *in,
		      float *y, int64_t nout, void **keep)
{
	void *st = NULL;
	float *y2 = malloc(sizeof(float) * (size_t)nout);
	int rc = y2 ? k->prepare(d, in, &st) : -ENOMEM;
	for (int rep = 0; rc == 0 && rep < 2; rep++) {
		float *o = rep ? y2 : y;
		memset(o, 0x5a, sizeof(float) * (size_t)nout);
		if ((rc = k->run(st, o)) == 0 && k->fetch)
			rc = k->fetch(st, o);
	}
	if (rc == 0 && first_diff(y, y2, nout) >= 0)
		rc = -EDOM;
	if (keep && rc == 0)
		*keep = st;
	else if (st)
		k->release(st);
	free(y2);
	return rc;
}

static void test_block(const bnn_kernel_t *k, const int64_t *s)
{
	bnn_op_desc_t d;
	char why[256];
	memset(&d, 0, sizeof(d));
	d.op = BNN_OP_RBLOCK;
	bnn_rblock_shape_t *b = &d.rblock;
	*b = (bnn_rblock_shape_t){ s[0], s[1], s[2], s[3], s[4], s[5], s[1] / s[5], s[2] / s[5] };
	int64_t c = b->c, kk = b->k, pix = b->n * b->oh * b->ow, nout = pix * kk;
	if (k->supports && k->supports(&d, why, sizeof(why)) != 0) {
		printf("ok %d - %s c=%lld k=%lld # SKIP %s\n", ++tap_n, k->name, (long long)c,
		       (long long)kk, why);
		return;
	}
	bnn_weights_t w;
	bnn_rng_t rng;
	bnn_rng_init(&rng, (uint64_t)(s[0] * 131 + s[1] * 17 + s[3] * 5 + s[4] + s[5]));
	float *x = malloc(sizeof(float) * (size_t)(b->n * b->h * b->w * c));
	float *ref = malloc(sizeof(float) * (size_t)nout), *bound = malloc(sizeof(float) * (size_t)nout);
	float *gpu = malloc(sizeof(float) * (size_t)nout), *cpu = malloc(sizeof(float) * (size_t)nout);
	float *tr = malloc(sizeof(float) * (size_t)(pix * (4 * c + 2 * kk)));
	if (!x || !ref || !bound || !gpu || !cpu || !tr || bnn_rblock_weights_synth(b, &rng, &w)) {
		tap_ok(0, "%s: out of memory", k->name);
		return;
	}
	bnn_rblock_fill_input(&rng, b, &w.block, x);
	bnn_inputs_t in = { .a = x, .params = &w.block };
	int rc = run_kernel(k, &d, &in, gpu, nout, NULL);
	int rcc = run_kernel(find("rblock_xor_popc__generic"), &d, &in, cpu, nout, NULL);
	bnn_ref_rblock_trace_t t = { tr, tr + pix * c, tr + 2 * pix * c, tr + 3 * pix * c,
				     tr + 4 * pix * c, tr + 4 * pix * c + pix * kk };
	bnn_ref_rblock(b, &w.block, x, ref, &t);
	bnn_rblock_bound(b, &w.block, x, &t, bound);
	bnn_check_t chk;
	memset(&chk, 0, sizeof(chk));
	bnn_check_float(ref, gpu, bound, (size_t)nout, &chk);
	int64_t diff = rc == 0 && rcc == 0 ? first_diff(gpu, cpu, nout) : 0;
	tap_ok(rc == 0 && rcc == 0 && diff < 0 && chk.status == BNN_PASS,
	       "%s n=%lld h=%lld w=%lld c=%lld k=%lld stride=%lld: reference %s (max err %.3g, "
	       "bound %.3g %s), generic block first diff %lld (rc %d/%d)", k->name,
	       (long long)b->n, (long long)b->h, (long long)b->w, (long long)c, (long long)kk,
	       (long long)b->stride, bnn_status_name(chk.status), chk.max_abs_err, chk.bound,
	       chk.reason, (long long)diff, rc, rcc);
	bnn_weights_free(&w);
	free(x);
	free(ref);
	free(bound);
	free(gpu);
	free(cpu);
	free(tr);
}

/* The network against the reference and the generic network; keeps its logits
 * in *out (4 images at 224 serve the batch-256 test). */
static void test_net(const bnn_kernel_t *k, int64_t n, int64_t h, int64_t w, float **out,
		     bnn_weights_t *keepw, float **keepimg)
{
	bnn_op_desc_t d;
	char why[256];
	memset(&d, 0, sizeof(d));
	d.op = BNN_OP_RNET;
	d.rnet = (bnn_rnet_shape_t){ n, h, w };
	int64_t nout = n * BNN_RNET_CLASSES, nimg = n * 3 * h * w, dg[4], dc[4];
	if (k->supports && k->supports(&d, why, sizeof(why)) != 0) {
		printf("ok %d - %s n=%lld # SKIP %s\n", ++tap_n, k->name, (long long)n, why);
		return;
	}
	bnn_weights_t wts;
	bnn_rng_t rng;
	bnn_rng_init(&rng, (uint64_t)(n * 77 + h * 3 + w));
	float *img = malloc(sizeof(float) * (size_t)nimg), *ref = malloc(sizeof(float) * (size_t)nout);
	float *bound = malloc(sizeof(float) * (size_t)nout), *gpu = malloc(sizeof(float) * (size_t)nout);
	float *cpu = malloc(sizeof(float) * (size_t)nout);
	if (!img || !ref || !bound || !gpu || !cpu || bnn_rnet_weights_synth(&d.rnet, &rng, &wts)) {
		tap_ok(0, "%s: out of memory", k->name);
		return;
	}
	bnn_fill_activations(&rng, img, (size_t)nimg);
	bnn_inputs_t in = { .a = img, .params = &wts.net };
	const bnn_kernel_t *kc = find("reactnet_a_xor_popc__generic");
	void *sg = NULL, *sc = NULL;
	int rc = run_kernel(k, &d, &in, gpu, nout, &sg);
	int rcc = run_kernel(kc, &d, &in, cpu, nout, &sc);
	bnn_ref_reactnet(&d.rnet, &wts.net, img, ref);
	bnn_rnet_bound(&d.rnet, ref, bound);
	bnn_check_t chk;
	bnn_rnet_check(&d.rnet, ref, gpu, bound, &chk);
	int64_t diff = rc == 0 && rcc == 0 ? first_diff(gpu, cpu, nout) : 0;
	int bad = -1, i = 0;
	for (; rc == 0 && rcc == 0 && i <= BNN_RNET_BLOCKS; i++) {
		const float *yg = k->stage(sg, i, dg), *yc = kc->stage(sc, i, dc);
		if (!yg || !yc || memcmp(dg, dc, sizeof(dg)) != 0 ||
		    first_diff(yg, yc, dg[0] * dg[1] * dg[2] * dg[3]) >= 0) {
			bad = i;
			break;
		}
	}
	if (rc == 0 && k->stage(sg, BNN_RNET_BLOCKS + 1, dg) != NULL)
		bad = BNN_RNET_BLOCKS + 1;
	tap_ok(rc == 0 && rcc == 0 && diff < 0 && bad < 0 && chk.status == BNN_PASS,
	       "%s n=%lld h=%lld w=%lld: reference %s %s (max err %.3g, bound %.3g), generic "
	       "network first diff %lld, first differing stage %d (rc %d/%d)", k->name,
	       (long long)n, (long long)h, (long long)w, bnn_status_name(chk.status), chk.reason,
	       chk.max_abs_err, chk.bound, (long long)diff, bad, rc, rcc);
	if (sg)
		k->release(sg);
	if (sc)
		kc->release(sc);
	free(ref);
	free(bound);
	free(cpu);
	if (out && keepw && keepimg) {
		*out = gpu;
		*keepw = wts;
		*keepimg = img;
		return;
	}
	free(gpu);
	free(img);
	bnn_weights_free(&wts);
}

/* Batch 256 at 224: four images repeated, each row equal to the batch-4 row. */
static void test_batch256(const bnn_kernel_t *k, const bnn_weights_t *wts, const float *img4,
			  const float *logits4)
{
	bnn_op_desc_t d;
	char why[256];
	const int64_t n = 256, im = 3 * 224 * 224, nout = n * BNN_RNET_CLASSES;
	memset(&d, 0, sizeof(d));
	d.op = BNN_OP_RNET;
	d.rnet = (bnn_rnet_shape_t){ n, 224, 224 };
	if (k->supports && k->supports(&d, why, sizeof(why)) != 0) {
		printf("ok %d - %s n=256 # SKIP %s\n", ++tap_n, k->name, why);
		return;
	}
	float *img = malloc(sizeof(float) * (size_t)(n * im)), *y = malloc(sizeof(float) * (size_t)nout);
	if (!img || !y) {
		tap_ok(0, "%s n=256: out of memory", k->name);
		free(img);
		free(y);
		return;
	}
	for (int64_t b = 0; b < n; b++)
		memcpy(img + b * im, img4 + b % 4 * im, sizeof(float) * (size_t)im);
	bnn_inputs_t in = { .a = img, .params = &wts->net };
	int rc = run_kernel(k, &d, &in, y, nout, NULL);
	int64_t bad = -1;
	for (int64_t b = 0; rc == 0 && b < n && bad < 0; b++)
		if (first_diff(y + b * BNN_RNET_CLASSES, logits4 + b % 4 * BNN_RNET_CLASSES,
			       BNN_RNET_CLASSES) >= 0)
			bad = b;
	tap_ok(rc == 0 && bad < 0, "%s n=256 h=224 w=224: every image's logits equal the batch-4 "
	       "run's (first bad image %lld, rc %d)", k->name, (long long)bad, rc);
	free(img);
	free(y);
}

int main(void)
{
	char why[256];
	int nblock = 0, nnet = 0;
	for (size_t i = 0; i < bnn_kernel_count; i++)
		if (bnn_kernels[i].isa == BNN_ISA_CUDA) {
			nblock += bnn_kernels[i].op == BNN_OP_RBLOCK;
			nnet += bnn_kernels[i].op == BNN_OP_RNET;
		}
	if (nblock + nnet == 0) {
		tap_skip_all("built without CUDA: the kernel table has no CUDA ReActNet entries");
		return 0;
	}
	if (!bnn_isa_available(BNN_ISA_CUDA, why, sizeof(why))) {
		tap_skip_all(why);
		return 0;
	}
	printf("# %s\n", why);
	/* The generic kernels it compares with run on every core. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bnn_parallel_init(cpus < 1 ? 1 : cpus > 64 ? 64 : (int)cpus, NULL, NULL);
	tap_plan(nblock * NB + nnet * (NN + 1));
	for (size_t i = 0; i < bnn_kernel_count; i++) {
		const bnn_kernel_t *k = &bnn_kernels[i];
		if (k->isa != BNN_ISA_CUDA)
			continue;
		if (k->op == BNN_OP_RBLOCK)
			for (int s = 0; s < NB; s++)
				test_block(k, blocks[s]);
		if (k->op != BNN_OP_RNET)
			continue;
		float *logits4 = NULL, *img4 = NULL;
		bnn_weights_t w4;
		memset(&w4, 0, sizeof(w4));
		for (int s = 0; s < NN; s++) {
			int last = nets[s][0] == 4;
			test_net(k, nets[s][0], nets[s][1], nets[s][2], last ? &logits4 : NULL,
				 last ? &w4 : NULL, last ? &img4 : NULL);
		}
		if (logits4)
			test_batch256(k, &w4, img4, logits4);
		else   /* the batch-4 run skipped or failed, and says so itself */
			printf("ok %d - %s n=256 # SKIP no batch-4 logits to compare with\n", ++tap_n,
			       k->name);
		free(logits4);
		free(img4);
		bnn_weights_free(&w4);
	}
	return tap_exit();
}
