/*
 * test_cuda_reactnet_host: the GPU ReActNet kernels' code on the CPU, no GPU
 * and no CUDA device call. reactnet_cuda_impl.cuh is instantiated here with
 * a host back end: memory is malloc'd and a launch runs the per-thread body
 * f(bx, by, tx) over the whole grid (every block, every thread, the sizes
 * the device launch uses), so what runs is the device code's own bodies,
 * index math, grid sizes, weight packing and launch sequence.
 *
 * Checked, on seeded data: RSign packing with its ties (x == -b packs +1),
 * the border and spare bits; whole blocks (normal, reduction at stride 1 and
 * 2, odd channel counts and spatial sizes, batch > 1, the ReActNet-A block
 * shapes) bit for bit against the CPU template's generic block
 * (rblock_xor_popc__generic) and within the harness's derived bound against
 * the reference; an RSign2 tie planted at u == -b; the whole network at
 * small sizes and one 224x224 image, logits and every stage, against the
 * generic network kernel exactly and the reference through the harness's
 * checks (bound and top-5). Also the grid of every launch of ReActNet-A at
 * batch 1 and 256 (224x224) against CUDA's limits, and the failure text the
 * GPU kernels give the harness (bnn_cuda_fail, bnn_cuda_last_error).
 *
 * Not checked here (only a GPU can): the CUDA runtime calls, device
 * memory, real concurrency (the bodies share no memory and need no
 * synchronisation, so a sequential run is a faithful model), the device's
 * float and popc instructions (rn_mul/rn_add are __fmul_rn/__fadd_rn there,
 * IEEE-rounded like the host's), __ldg, and timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
extern "C" {
#include "bnn_kernels.h"
#include "bnn_ref.h"
#include "check.h"
#include "gen.h"
#include "generic/generic.h"
#include "parallel.h"
#include "reactnet.h"
#include "tap.h"
}
#include "cuda/reactnet_cuda_impl.cuh"
#include "cuda/bnn_cuda.h"
#include "cuda/bnn_cuda_internal.cuh"

/* The host back end: "device" memory is host memory, a launch is a loop. */
struct rn_host_be {
	static long launches;
	static int alloc(void **p, size_t bytes)
	{
		*p = malloc(bytes);
		return *p ? 0 : -ENOMEM;
	}
	static void release(void *p)
	{
		free(p);
	}
	static int put(void *dst, const void *src, size_t bytes)
	{
		memcpy(dst, src, bytes);
		return 0;
	}
	static int get(void *dst, const void *src, size_t bytes)
	{
		memcpy(dst, src, bytes);
		return 0;
	}
	static int fill(void *dst, int byte, size_t bytes)
	{
		memset(dst, byte, bytes);
		return 0;
	}
	/* The device back end's limits, so a launch it would refuse fails here too. */
	template <class F> static int launch(const F &f, int64_t nx, int64_t ny)
	{
		if (nx < 1 || ny < 1 || nx > 2147483647 || ny > 65535)
			return -EINVAL;
		launches++;
		for (int64_t by = 0; by < ny; by++)
			for (int64_t bx = 0; bx < nx; bx++)
				for (int tx = 0; tx < RN_THREADS; tx++)
					f(bx, by, tx);
		return 0;
	}
	static int sync(void)
	{
		return 0;
	}
	/* Stage stamps: the host clock. */
	static double stamp[BNN_PROFILE_MAX + 1];
	static int mark(int i)
	{
		struct timespec t;
		if (i < 0 || i > BNN_PROFILE_MAX)
			return -EINVAL;
		clock_gettime(CLOCK_MONOTONIC, &t);
		stamp[i] = (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
		return 0;
	}
	static int stage_ns(double *ns, int n)
	{
		for (int i = 0; i < n; i++)
			ns[i] = stamp[i + 1] - stamp[i];
		return 0;
	}
};
long rn_host_be::launches;
double rn_host_be::stamp[BNN_PROFILE_MAX + 1];

static const bnn_kernel_t *find(const char *name)
{
	for (size_t i = 0; i < bnn_kernel_count; i++)
		if (strcmp(bnn_kernels[i].name, name) == 0)
			return &bnn_kernels[i];
	return NULL;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* First index where a and b differ bitwise, or -1. */
static int64_t first_diff(const float *a, const float *b, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
			return i;
	return -1;
}

/* RSign packing: ties, signed zeros, borders and spare bits against bnn_ref_rsign. */
static void test_pack(void)
{
	const int64_t n = 2, h = 3, w = 2, c = 37, cw = 2;
	int64_t npx = n * h * w;
	float *x = (float *)malloc(sizeof(float) * (size_t)(npx * c));
	float *s = (float *)malloc(sizeof(float) * (size_t)(npx * c));
	float shift[37];
	uint32_t *bits = (uint32_t *)malloc(4 * (size_t)(n * (h + 2) * (w + 2) * cw));
	bnn_rng_t rng;
	bnn_rng_init(&rng, 42);
	bnn_fill_activations(&rng, x, (size_t)(npx * c));
	for (int64_t ch = 0; ch < c; ch++)
		shift[ch] = ch % 3 == 0 ? 0.0f : (float)((double)(bnn_rng_next(&rng) >> 40) * 0x1p-24 - 0.5);
	int64_t ties = 0;
	for (int64_t i = 0; i < npx * c; i++)
		if (i % 5 == 0) {
			x[i] = -shift[i % c];   /* the tie: x + b == 0 (or -0 + 0) packs +1 */
			ties++;
		}
	bnn_ref_rsign(x, npx, c, shift, s);
	rn_pack_k pk = { x, shift, bits, n, h, w, c, cw, 1 };
	memset(bits, 0xff, 4 * (size_t)(n * (h + 2) * (w + 2) * cw));
	int ok = rn_host_be::launch(pk, rn_blocks(n * (h + 2) * (w + 2) * cw), 1) == 0;
	int64_t bad = -1;
	for (int64_t b = 0; ok && b < n; b++)
		for (int64_t py = 0; py < h + 2; py++)
			for (int64_t px = 0; px < w + 2; px++)
				for (int64_t j = 0; j < cw; j++) {
					uint32_t word = bits[((b * (h + 2) + py) * (w + 2) + px) * cw + j];
					int border = py == 0 || px == 0 || py == h + 1 || px == w + 1;
					for (int bit = 0; bit < 32; bit++) {
						int64_t ch = 32 * j + bit;
						int want = 0;
						if (!border && ch < c)
							want = s[((b * h + py - 1) * w + px - 1) * c + ch] < 0;
						if ((int)(word >> bit & 1) != want && bad < 0)
							bad = ((b * (h + 2) + py) * (w + 2) + px) * 64 + ch;
					}
				}
	tap_ok(ok && bad < 0, "RSign packing: %lld ties x == -b pack +1, signed zeros, zero "
	       "border words and spare bits match bnn_ref_rsign (first bad %lld)",
	       (long long)ties, (long long)bad);
	free(x);
	free(s);
	free(bits);
}

/* Runs a kernel-table-shaped prepare/run/fetch of the host back end twice. */
static int emu_block(const bnn_op_desc_t *d, const bnn_inputs_t *in, float *y, void **keep)
{
	void *st = NULL;
	int rc = rn_rblock_prepare<rn_host_be>(d, in, &st);
	for (int rep = 0; rc == 0 && rep < 2; rep++) {
		memset(y, 0x5a, sizeof(float) * (size_t)(d->rblock.n * d->rblock.oh * d->rblock.ow *
							  d->rblock.k));
		if ((rc = rn_rblock_run<rn_host_be>(st)) == 0)
			rc = rn_rblock_fetch<rn_host_be>(st, y);
	}
	if (keep && rc == 0)
		*keep = st;
	else
		rn_rblock_release<rn_host_be>(st);
	return rc;
}

static int cpu_block(const bnn_op_desc_t *d, const bnn_inputs_t *in, float *y)
{
	const bnn_kernel_t *k = find("rblock_xor_popc__generic");
	void *st = NULL;
	int rc = k ? k->prepare(d, in, &st) : -ENOENT;
	if (rc == 0)
		rc = k->run(st, y);
	if (k)
		k->release(st);
	return rc;
}

/*
 * One block shape: synthetic weights and input as the harness makes them
 * (ties x == -rsign1 planted), the emulated GPU block against the generic
 * block bit for bit and against the reference within the harness's bound.
 * tie2: rerun with rsign2 = -u at one pixel per channel (u from the first
 * run), so RSign2 meets exact ties too.
 */
static void test_block(int64_t n, int64_t h, int64_t w, int64_t c, int64_t k, int64_t stride,
		       int tie2)
{
	bnn_op_desc_t d;
	memset(&d, 0, sizeof(d));
	d.op = BNN_OP_RBLOCK;
	bnn_rblock_shape_t *b = &d.rblock;
	*b = (bnn_rblock_shape_t){ n, h, w, c, k, stride, h / stride, w / stride };
	int64_t pix = n * b->oh * b->ow, nout = pix * k, nin = n * h * w * c;
	bnn_weights_t wts;
	bnn_rng_t rng;
	bnn_rng_init(&rng, (uint64_t)(n * 1000003 + h * 10007 + w * 101 + c * 7 + k + stride));
	float *x = (float *)malloc(sizeof(float) * (size_t)nin);
	float *ref = (float *)malloc(sizeof(float) * (size_t)nout);
	float *bound = (float *)malloc(sizeof(float) * (size_t)nout);
	float *gpu = (float *)malloc(sizeof(float) * (size_t)nout);
	float *cpu = (float *)malloc(sizeof(float) * (size_t)nout);
	float *tr = (float *)malloc(sizeof(float) * (size_t)(pix * (4 * c + 2 * k)));
	char name[160];
	snprintf(name, sizeof(name), "rblock n=%lld h=%lld w=%lld c=%lld k=%lld stride=%lld%s",
		 (long long)n, (long long)h, (long long)w, (long long)c, (long long)k,
		 (long long)stride, tie2 ? " (RSign2 ties)" : "");
	if (!x || !ref || !bound || !gpu || !cpu || !tr || bnn_rblock_weights_synth(b, &rng, &wts)) {
		tap_ok(0, "%s: out of memory", name);
		return;
	}
	bnn_rblock_fill_input(&rng, b, &wts.block, x);
	bnn_inputs_t in = { x, NULL, NULL, NULL, &wts.block };
	void *st = NULL;
	int rc = emu_block(&d, &in, gpu, tie2 ? &st : NULL);
	int64_t planted = 0;
	if (tie2 && rc == 0) {
		/* u of the emulated run is in host memory: pin rsign2 to -u. */
		const float *u = ((rn_rblock_state_t *)st)->bk.u;
		float *rs2 = (float *)wts.block.rsign2;
		for (int64_t ch = 0; ch < c; ch++) {
			int64_t q = (ch * 7) % pix;
			rs2[ch] = -u[q * c + ch];
			planted++;
		}
		rn_rblock_release<rn_host_be>(st);
		st = NULL;
		rc = emu_block(&d, &in, gpu, &st);
		/* Each planted tie must have packed as +1 (bit 0). */
		const rn_rblock_state_t *s = (const rn_rblock_state_t *)st;
		for (int64_t ch = 0; rc == 0 && ch < c; ch++) {
			int64_t q = (ch * 7) % pix;
			if (s->bk.u[q * c + ch] + rs2[ch] != 0.0f ||
			    (s->bk.ubits[q * s->bk.z.cw + ch / 32] >> (ch % 32) & 1))
				rc = -EDOM;
		}
		rn_rblock_release<rn_host_be>(st);
	}
	int rcc = cpu_block(&d, &in, cpu);
	bnn_ref_rblock_trace_t t = { tr, tr + pix * c, tr + 2 * pix * c, tr + 3 * pix * c,
				     tr + 4 * pix * c, tr + 4 * pix * c + pix * k };
	bnn_ref_rblock(b, &wts.block, x, ref, &t);
	int64_t amb = bnn_rblock_bound(b, &wts.block, x, &t, bound);
	bnn_check_t chk;
	memset(&chk, 0, sizeof(chk));
	bnn_check_float(ref, gpu, bound, (size_t)nout, &chk);
	int64_t diff = rc == 0 && rcc == 0 ? first_diff(gpu, cpu, nout) : 0;
	tap_ok(rc == 0 && rcc == 0 && diff < 0 && chk.status == BNN_PASS,
	       "%s: emulated GPU %s the generic block bit for bit (first diff %lld); reference "
	       "%s, max err %.3g, bound %.3g, %lld near-ties%s (rc %d/%d)",
	       name, diff < 0 ? "equals" : "differs from", (long long)diff,
	       bnn_status_name(chk.status), chk.max_abs_err, chk.bound, (long long)amb,
	       planted ? ", RSign2 ties planted and packed +1" : "", rc, rcc);
	bnn_weights_free(&wts);
	free(x);
	free(ref);
	free(bound);
	free(gpu);
	free(cpu);
	free(tr);
}

/* The network: logits and every stage against the generic network kernel bit
 * for bit, the logits against the reference through the harness's checks. */
static void test_net(int64_t n, int64_t h, int64_t w)
{
	bnn_op_desc_t d;
	memset(&d, 0, sizeof(d));
	d.op = BNN_OP_RNET;
	d.rnet = (bnn_rnet_shape_t){ n, h, w };
	int64_t nout = n * BNN_RNET_CLASSES, nimg = n * 3 * h * w, dims[4], cd[4];
	bnn_weights_t wts;
	bnn_rng_t rng;
	bnn_rng_init(&rng, (uint64_t)(n * 77 + h * 3 + w));
	float *img = (float *)malloc(sizeof(float) * (size_t)nimg);
	float *ref = (float *)malloc(sizeof(float) * (size_t)nout);
	float *bound = (float *)malloc(sizeof(float) * (size_t)nout);
	float *gpu = (float *)malloc(sizeof(float) * (size_t)nout);
	float *cpu = (float *)malloc(sizeof(float) * (size_t)nout);
	if (!img || !ref || !bound || !gpu || !cpu || bnn_rnet_weights_synth(&d.rnet, &rng, &wts)) {
		tap_ok(0, "reactnet n=%lld h=%lld w=%lld: out of memory", (long long)n,
		       (long long)h, (long long)w);
		return;
	}
	bnn_fill_activations(&rng, img, (size_t)nimg);
	bnn_inputs_t in = { img, NULL, NULL, NULL, &wts.net };
	const bnn_kernel_t *kc = find("reactnet_a_xor_popc__generic");
	void *sg = NULL, *sc = NULL;
	double t0 = now();
	int rc = rn_rnet_prepare<rn_host_be>(&d, &in, &sg);
	for (int rep = 0; rc == 0 && rep < 2; rep++) {
		memset(gpu, 0x5a, sizeof(float) * (size_t)nout);
		if ((rc = rn_rnet_run<rn_host_be>(sg)) == 0)
			rc = rn_rnet_fetch<rn_host_be>(sg, gpu);
	}
	double t1 = now();
	int rcc = kc ? kc->prepare(&d, &in, &sc) : -ENOENT;
	if (rcc == 0)
		rcc = kc->run(sc, cpu);
	double t2 = now();
	bnn_ref_reactnet(&d.rnet, &wts.net, img, ref);
	double t3 = now();
	bnn_rnet_bound(&d.rnet, ref, bound);
	bnn_check_t chk;
	bnn_rnet_check(&d.rnet, ref, gpu, bound, &chk);
	int64_t diff = rc == 0 && rcc == 0 ? first_diff(gpu, cpu, nout) : 0;
	int stage_bad = -1, nstage = 0;
	for (int i = 0; rc == 0 && rcc == 0; i++) {
		const float *yg = rn_rnet_stage<rn_host_be>(sg, i, dims);
		const float *yc = bnn_rnet_stage(sc, i, cd);
		if (!yg || !yc) {
			if (yg || yc || i != BNN_RNET_BLOCKS + 1)
				stage_bad = i;
			break;
		}
		nstage++;
		if (memcmp(dims, cd, sizeof(dims)) != 0 ||
		    first_diff(yg, yc, dims[0] * dims[1] * dims[2] * dims[3]) >= 0) {
			stage_bad = i;
			break;
		}
	}
	tap_ok(rc == 0 && rcc == 0 && diff < 0 && stage_bad < 0 && nstage == BNN_RNET_BLOCKS + 1 &&
	       chk.status == BNN_PASS,
	       "reactnet n=%lld h=%lld w=%lld: emulated GPU logits %s the generic network's "
	       "(first diff %lld), %d stages equal (first bad %d); reference %s %s, max err %.3g, "
	       "bound %.3g (rc %d/%d)",
	       (long long)n, (long long)h, (long long)w, diff < 0 ? "equal" : "differ from",
	       (long long)diff, nstage, stage_bad, bnn_status_name(chk.status), chk.reason,
	       chk.max_abs_err, chk.bound, rc, rcc);
	printf("# reactnet n=%lld %lldx%lld on the host: emulated GPU (prepare + 2 runs) %.2f s, "
	       "generic kernel %.2f s, reference %.2f s\n", (long long)n, (long long)h,
	       (long long)w, t1 - t0, t2 - t1, t3 - t2);
	rn_rnet_release<rn_host_be>(sg);
	if (kc)
		kc->release(sc);
	bnn_weights_free(&wts);
	free(img);
	free(ref);
	free(bound);
	free(gpu);
	free(cpu);
}

/*
 * The profile hook (stage times inside the network): the emulated GPU
 * kernel's (the device back end's launch and stamp sequence, host clock) and
 * the generic kernel's give BNN_PROFILE_MAX stages of finite, non-negative
 * time, refuse a short array, and the profiled run leaves the logits of a
 * plain run.
 */
static void test_profile(int64_t n, int64_t h, int64_t w)
{
	bnn_op_desc_t d;
	memset(&d, 0, sizeof(d));
	d.op = BNN_OP_RNET;
	d.rnet = (bnn_rnet_shape_t){ n, h, w };
	int64_t nout = n * BNN_RNET_CLASSES, nimg = n * 3 * h * w;
	bnn_weights_t wts;
	bnn_rng_t rng;
	bnn_rng_init(&rng, (uint64_t)(n * 5 + h + w));
	float *img = (float *)malloc(sizeof(float) * (size_t)nimg);
	float *a = (float *)malloc(sizeof(float) * (size_t)nout);
	float *b = (float *)malloc(sizeof(float) * (size_t)nout);
	double gns[BNN_PROFILE_MAX + 1], cns[BNN_PROFILE_MAX + 1];
	if (!img || !a || !b || bnn_rnet_weights_synth(&d.rnet, &rng, &wts)) {
		tap_ok(0, "profile: out of memory");
		return;
	}
	bnn_fill_activations(&rng, img, (size_t)nimg);
	bnn_inputs_t in = { img, NULL, NULL, NULL, &wts.net };
	const bnn_kernel_t *kc = find("reactnet_a_xor_popc__generic");
	const bnn_kernel_t *kg = find("reactnet_a_xor_popc__cuda");
	void *sg = NULL, *sc = NULL;
	int rc = rn_rnet_prepare<rn_host_be>(&d, &in, &sg), ng = -1, nc = -1, shortg = 0, shortc = 0;
	if (rc == 0 && (rc = rn_rnet_run<rn_host_be>(sg)) == 0 &&
	    (rc = rn_rnet_fetch<rn_host_be>(sg, a)) == 0) {
		shortg = rn_rnet_profile<rn_host_be>(sg, gns, BNN_PROFILE_MAX - 1);
		ng = rn_rnet_profile<rn_host_be>(sg, gns, BNN_PROFILE_MAX);
		memset(b, 0x5a, sizeof(float) * (size_t)nout);
		rc = rn_rnet_fetch<rn_host_be>(sg, b);
	}
	int rcc = kc && kc->profile ? kc->prepare(&d, &in, &sc) : -ENOENT;
	if (rcc == 0) {
		shortc = kc->profile(sc, cns, BNN_PROFILE_MAX - 1);
		nc = kc->profile(sc, cns, BNN_PROFILE_MAX);
	}
	int ok = rc == 0 && rcc == 0 && ng == BNN_PROFILE_MAX && nc == BNN_PROFILE_MAX &&
		 shortg == -EINVAL && shortc == -EINVAL && first_diff(a, b, nout) < 0 &&
		 kg && kg->profile;
	double gsum = 0, csum = 0;
	for (int i = 0; ok && i < BNN_PROFILE_MAX; i++) {
		ok &= isfinite(gns[i]) && gns[i] >= 0 && isfinite(cns[i]) && cns[i] >= 0;
		gsum += gns[i];
		csum += cns[i];
	}
	tap_ok(ok && gsum > 0 && csum > 0,
	       "profile, reactnet n=%lld %lldx%lld: %d and %d stages (emulated GPU, generic), "
	       "%.2f and %.2f ms in all, a short array refused (%d, %d), the logits unchanged "
	       "(rc %d/%d)", (long long)n, (long long)h, (long long)w, ng, nc, gsum / 1e6,
	       csum / 1e6, shortg, shortc, rc, rcc);
	rn_rnet_release<rn_host_be>(sg);
	if (kc && sc)
		kc->release(sc);
	bnn_weights_free(&wts);
	free(img);
	free(a);
	free(b);
}

/* One launch's grid against CUDA's limits (what rn_dev_be::launch refuses). */
static int grid_ok(int64_t nx, int64_t ny)
{
	return nx >= 1 && ny >= 1 && nx <= 2147483647 && ny <= 65535;
}

/*
 * Every launch ReActNet-A makes at n images of 224x224, prepare's weight
 * packing included, computed as rn_rnet_prepare and rn_rnet_run size them
 * (batch 256 is too big to run here): each grid within CUDA's limits.
 */
static void test_net_grids(int64_t n)
{
	bnn_rnet_shape_t r = { n, 224, 224 };
	bnn_rblock_shape_t last = bnn_rnet_block(&r, BNN_RNET_BLOCKS - 1);
	int64_t worst_x = rn_blocks(n * 112 * 112 * BNN_RNET_STEM_C), worst_y = 1;
	int ok = grid_ok(worst_x, 1) && grid_ok(rn_blocks(n * last.k), 1) &&
		 grid_ok(rn_blocks(n * BNN_RNET_CLASSES), 1);
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(&r, i);
		rn_sizes_t z = rn_block_sizes(&b);
		const int64_t g[][2] = { { rn_blocks(z.wp3), 1 }, { rn_blocks(z.wsum3), 1 },
					 { rn_blocks(z.wp1), 1 }, { rn_blocks(z.xbits), 1 },
					 { rn_blocks(z.pix), z.ng3 }, { rn_blocks(z.pix), z.ng1 } };
		for (int j = 0; j < 6; j++) {
			ok = ok && grid_ok(g[j][0], g[j][1]);
			worst_x = g[j][0] > worst_x ? g[j][0] : worst_x;
			worst_y = g[j][1] > worst_y ? g[j][1] : worst_y;
		}
	}
	tap_ok(ok, "ReActNet-A batch %lld, 224x224: every launch's grid within CUDA's limits "
	       "(largest x %lld, y %lld)", (long long)n, (long long)worst_x, (long long)worst_y);
}

/* bnn_cuda_fail: the reason bnn_cuda_last_error gives the harness (no device: the
 * runtime's last-error slot is only read and cleared). */
static void test_fail_reason(void)
{
	bnn_cuda_fail("run", cudaErrorInvalidConfiguration);
	int ok = !strcmp(bnn_cuda_last_error(),
			 "run: cudaErrorInvalidConfiguration (invalid configuration argument)");
	bnn_cuda_fail_text("cublasLtMatmul", "CUBLAS_STATUS_NOT_SUPPORTED");
	ok = ok && !strcmp(bnn_cuda_last_error(), "cublasLtMatmul: CUBLAS_STATUS_NOT_SUPPORTED");
	/* A failure with no CUDA error of its own takes the runtime's (without a
	 * driver, its sticky initialisation error), else says nothing. */
	char want[256] = "";
	cudaError_t slot = cudaPeekAtLastError();
	if (slot != cudaSuccess)
		snprintf(want, sizeof(want), "prepare: %s (%s)", cudaGetErrorName(slot),
			 cudaGetErrorString(slot));
	bnn_cuda_fail("prepare", cudaSuccess);
	ok = ok && !strcmp(bnn_cuda_last_error(), want);
	tap_ok(ok, "bnn_cuda_fail records the CUDA error (or none) for bnn_cuda_last_error: '%s'",
	       bnn_cuda_last_error());
}

int main(void)
{
	/* Block shapes: n h w c k stride. The conformance suite's edges (c = 1, odd c,
	 * c around the word, odd sizes, 1x1 images) and ReActNet-A's own. */
	static const int64_t blocks[][6] = {
		{ 1, 1, 1, 1, 1, 1 },     { 1, 5, 3, 3, 3, 1 },      { 2, 6, 4, 5, 10, 2 },
		{ 1, 2, 2, 33, 66, 2 },   { 1, 7, 5, 33, 66, 1 },    { 1, 4, 4, 64, 64, 1 },
		{ 1, 3, 3, 65, 130, 1 },  { 2, 9, 7, 32, 64, 1 },    { 3, 10, 6, 64, 128, 2 },
		{ 1, 5, 5, 96, 96, 1 },   { 2, 4, 4, 128, 256, 2 },  { 1, 14, 14, 512, 1024, 2 },
		{ 1, 7, 7, 1024, 1024, 1 },
	};
	const int nb = (int)(sizeof(blocks) / sizeof(blocks[0]));
	bnn_rnet_shape_t r256 = { 256, 224, 224 }, r1 = { 1, 224, 224 };

	bnn_parallel_init(1, NULL, NULL);
	tap_plan(1 + nb + 2 + 4 + 1 + 1 + 3);
	printf("# device memory the GPU kernels take: ReActNet-A 224x224 batch 1 %.2f GiB, "
	       "batch 256 %.2f GiB\n", rn_rnet_bytes(&r1) / 1073741824.0,
	       rn_rnet_bytes(&r256) / 1073741824.0);
	tap_ok(rn_rnet_bytes(&r256) < 40.0 * 1073741824.0,
	       "ReActNet-A at batch 256, 224x224, needs %.2f GiB: fits an 80 GB H100",
	       rn_rnet_bytes(&r256) / 1073741824.0);
	test_pack();
	for (int i = 0; i < nb; i++)
		test_block(blocks[i][0], blocks[i][1], blocks[i][2], blocks[i][3], blocks[i][4],
			   blocks[i][5], 0);
	test_block(1, 3, 3, 3, 6, 1, 1);
	test_block(2, 4, 6, 40, 40, 1, 1);
	test_net(1, 32, 32);
	test_net(2, 32, 64);
	test_net(3, 64, 32);
	test_net(1, 224, 224);
	test_profile(2, 32, 64);
	test_net_grids(1);
	test_net_grids(256);
	test_fail_reason();
	printf("# %ld host launches of the device bodies\n", rn_host_be::launches);
	return tap_exit();
}
