/*
 * The peers (peers/peers.c) against a naive computation written here:
 *  - GEMM and binary conv peers are fed +-1 data, so they must be exact;
 *  - the BWN peer must stay within the harness's rounding bound,
 *    gamma_{n+4} * alpha_o * sum|x| (doc/bnn-math.md section 3);
 *  - binary conv peers refuse pad_value = 1 through supports (a SKIP with
 *    a reason); BWN has no pad_value (its real activations pad with 0).
 * Inputs hold exact +0.0 and -0.0 (both binarize to +1, doc/bnn-math.md section 1).
 * Shapes: the tile-free corner cases of the oneDNN and BLAS paths: 1x1x1,
 * odd k and c, stride, dilation, groups, depthwise, 1x1 filters, batch 2.
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
#include "peers.h"
#include "tap.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [-1, 1), with about one value in eight an exact +0.0 or -0.0. */
static void fill(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rng_next();
		if ((r & 7) == 0)
			x[i] = (r & 8) ? -0.0f : 0.0f;
		else
			x[i] = (float)((double)(r >> 11) / 4503599627370496.0 - 1.0);
	}
}

static int sgn(float x)
{
	return x >= 0.0f ? 1 : -1;
}

/* Runs peer k once on (d, in) into out; prints the reason of a failure. */
static int run_peer(const bnn_kernel_t *k, const bnn_op_desc_t *d, const bnn_inputs_t *in,
		    void *out)
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
	/* Twice: run must be repeatable. */
	rc = k->run(state, out);
	if (!rc)
		rc = k->run(state, out);
	k->release(state);
	if (rc)
		printf("# %s: run failed: %s\n", k->name, strerror(-rc));
	return rc;
}

static int check_gemm(const bnn_kernel_t *k, int64_t m, int64_t n, int64_t kk)
{
	bnn_op_desc_t d = { .op = BNN_OP_GEMM, .gemm = { m, n, kk } };
	float *a = malloc((size_t)(m * kk) * sizeof(float));
	float *b = malloc((size_t)(n * kk) * sizeof(float));
	int32_t *c = malloc((size_t)(m * n) * sizeof(int32_t));
	int ok = a && b && c;
	if (ok) {
		fill(a, (size_t)(m * kk));
		fill(b, (size_t)(n * kk));
		bnn_inputs_t in = { .a = a, .b = b };
		ok = run_peer(k, &d, &in, c) == 0;
	}
	for (int64_t i = 0; ok && i < m; i++)
		for (int64_t j = 0; ok && j < n; j++) {
			int32_t ref = 0;
			for (int64_t p = 0; p < kk; p++)
				ref += sgn(a[i * kk + p]) * sgn(b[j * kk + p]);
			if (c[i * n + j] != ref) {
				printf("# C[%lld][%lld] = %d, expected %d\n", (long long)i,
				       (long long)j, c[i * n + j], ref);
				ok = 0;
			}
		}
	free(a);
	free(b);
	free(c);
	return tap_ok(ok, "%s m=%lld n=%lld k=%lld", k->name, (long long)m, (long long)n,
		      (long long)kk);
}

typedef struct {
	int64_t n, h, w, c, k, kh, kw, stride, pad, dil, groups;
} conv_case_t;

static const conv_case_t conv_cases[] = {
	{ 1, 5, 5, 3, 4, 3, 3, 1, 1, 1, 1 },	/* the basic 3x3, pad 1 */
	{ 1, 7, 6, 3, 4, 3, 3, 2, 1, 1, 1 },	/* stride 2, odd sizes */
	{ 1, 7, 7, 3, 4, 3, 3, 1, 2, 2, 1 },	/* dilation 2 */
	{ 1, 5, 5, 4, 6, 3, 3, 1, 1, 1, 2 },	/* groups 2 */
	{ 1, 6, 5, 8, 8, 3, 3, 1, 1, 1, 8 },	/* depthwise */
	{ 2, 4, 3, 5, 7, 1, 1, 1, 0, 1, 1 },	/* 1x1, batch 2 */
	{ 1, 5, 5, 33, 5, 3, 3, 1, 1, 1, 1 },	/* odd c = 33 */
	{ 2, 6, 6, 129, 17, 3, 3, 2, 1, 1, 1 },	/* c past a 128 tail, stride 2 */
};
#define NCONV (sizeof(conv_cases) / sizeof(conv_cases[0]))

static int conv_desc(bnn_op_t op, const conv_case_t *cc, int pad_value, bnn_op_desc_t *d)
{
	memset(d, 0, sizeof(*d));
	d->op = op;
	d->conv = (bnn_conv_shape_t){
		.n = cc->n, .h = cc->h, .w = cc->w, .c = cc->c, .k = cc->k, .kh = cc->kh,
		.kw = cc->kw, .stride = cc->stride, .pad = cc->pad, .dil = cc->dil,
		.groups = cc->groups, .pad_value = pad_value,
	};
	return bnn_conv_shape_finish(&d->conv);
}

/*
 * The naive convolution with zero padding: the +-1 dot (conv) or the real
 * sum and sum|x| (BWN) of output (b, oy, ox, o).
 */
static void naive_conv(const bnn_conv_shape_t *s, const float *x, const float *w, int bin,
		       int64_t b, int64_t oy, int64_t ox, int64_t o, double *sum, double *abs)
{
	int64_t cg = s->c / s->groups, kg = s->k / s->groups, g = o / kg;
	*sum = *abs = 0.0;
	for (int64_t ky = 0; ky < s->kh; ky++)
		for (int64_t kx = 0; kx < s->kw; kx++) {
			int64_t iy = oy * s->stride - s->pad + ky * s->dil;
			int64_t ix = ox * s->stride - s->pad + kx * s->dil;
			if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
				continue;
			for (int64_t ci = 0; ci < cg; ci++) {
				float xv = x[((b * s->h + iy) * s->w + ix) * s->c + g * cg + ci];
				float wv = w[((o * s->kh + ky) * s->kw + kx) * cg + ci];
				double xr = bin ? sgn(xv) : xv;
				*sum += xr * sgn(wv);
				*abs += fabs(xr);
			}
		}
}

static int check_conv(const bnn_kernel_t *k, const conv_case_t *cc)
{
	bnn_op_desc_t d;
	if (conv_desc(k->op, cc, 0, &d))
		return tap_ok(0, "%s: bad test shape", k->name);
	const bnn_conv_shape_t *s = &d.conv;
	int64_t cg = s->c / s->groups, per = s->kh * s->kw * cg;
	size_t nx = (size_t)(s->n * s->h * s->w * s->c), nw = (size_t)(s->k * per);
	size_t ny = (size_t)(s->n * s->oh * s->ow * s->k);
	float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float));
	float *alpha = malloc((size_t)s->k * sizeof(float));
	void *y = malloc(ny * 4);
	int bin = bnn_op_output_is_int(k->op);
	int ok = x && w && alpha && y;
	if (ok) {
		fill(x, nx);
		fill(w, nw);
		for (int64_t o = 0; o < s->k; o++) {
			double a = 0.0;
			for (int64_t i = 0; i < per; i++)
				a += fabs(w[o * per + i]);
			alpha[o] = (float)(a / (double)per);
		}
		bnn_inputs_t in = { .a = x, .b = w, .alpha = alpha };
		ok = run_peer(k, &d, &in, y) == 0;
	}
	/* gamma_{n+4}, u = 2^-24, as the harness's check. */
	double u = ldexp(1.0, -24), gam = (double)(per + 4) * u / (1.0 - (double)(per + 4) * u);
	for (int64_t b = 0; ok && b < s->n; b++)
		for (int64_t oy = 0; ok && oy < s->oh; oy++)
			for (int64_t ox = 0; ok && ox < s->ow; ox++)
				for (int64_t o = 0; ok && o < s->k; o++) {
					size_t i = (size_t)(((b * s->oh + oy) * s->ow + ox) * s->k + o);
					double sum, abs;
					naive_conv(s, x, w, bin, b, oy, ox, o, &sum, &abs);
					if (bin) {
						int32_t got = ((int32_t *)y)[i];
						if (got != (int32_t)sum) {
							printf("# y[%lld,%lld,%lld,%lld] = %d, expected %d\n",
							       (long long)b, (long long)oy, (long long)ox,
							       (long long)o, got, (int32_t)sum);
							ok = 0;
						}
					} else {
						double ref = alpha[o] * sum, got = ((float *)y)[i];
						double bound = gam * alpha[o] * abs;
						if (!(fabs(got - ref) <= bound)) {
							printf("# y[%lld,%lld,%lld,%lld] = %.9g, expected %.9g +- %.3g\n",
							       (long long)b, (long long)oy, (long long)ox,
							       (long long)o, got, ref, bound);
							ok = 0;
						}
					}
				}
	free(x);
	free(w);
	free(alpha);
	free(y);
	return tap_ok(ok, "%s n=%lld %lldx%lldx%lld k=%lld %lldx%lld s=%lld p=%lld d=%lld g=%lld",
		      k->name, (long long)s->n, (long long)s->h, (long long)s->w, (long long)s->c,
		      (long long)s->k, (long long)s->kh, (long long)s->kw, (long long)s->stride,
		      (long long)s->pad, (long long)s->dil, (long long)s->groups);
}

/* pad_value = 1 (with padding) must be a SKIP with a reason, not a failure;
 * without padding it changes nothing and must be accepted. */
static int check_pad_one(const bnn_kernel_t *k)
{
	bnn_op_desc_t d;
	char why[256] = "";
	conv_desc(k->op, &conv_cases[0], 1, &d);
	int skip = k->supports && k->supports(&d, why, sizeof(why)) != 0 && why[0];
	if (skip)
		printf("# %s: %s\n", k->name, why);
	/* conv_cases[5] is the 1x1 case without padding. */
	conv_desc(k->op, &conv_cases[5], 1, &d);
	int nopad = !k->supports || k->supports(&d, why, sizeof(why)) == 0;
	return tap_ok(skip && nopad, "%s refuses pad_value=1 only where there is padding",
		      k->name);
}

static const int64_t gemm_cases[][3] = {
	{ 1, 1, 1 }, { 3, 5, 65 }, { 17, 9, 200 }, { 64, 33, 129 },
};
#define NGEMM (sizeof(gemm_cases) / sizeof(gemm_cases[0]))

/* The ReActNet peers have tests/test_peers_reactnet.c. */
static int is_reactnet(bnn_op_t op)
{
	return op == BNN_OP_RBLOCK || op == BNN_OP_RNET;
}

int main(void)
{
	if (bnn_peer_count == 0) {
		tap_skip_all("built without OpenBLAS and oneDNN");
		return 0;
	}
	int plan = 1 + 6;
	for (size_t i = 0; i < bnn_peer_count; i++)
		/* The GPU peers (isa cuda, fetch hook) have tests/test_cuda_peers.c. */
		plan += bnn_peers[i].isa == BNN_ISA_CUDA ? 0 :
			bnn_peers[i].op == BNN_OP_GEMM ? (int)NGEMM :
			bnn_peers[i].op == BNN_OP_CONV ? (int)NCONV + 1 :
			is_reactnet(bnn_peers[i].op) ? 0 : (int)NCONV;
	tap_plan(plan);

	const char *v = bnn_peers_versions();
	printf("# peers: %s\n", v);
	tap_ok(v && v[0] && strcmp(v, "none") != 0, "bnn_peers_versions names the libraries");
	/* OpenBLAS's core against the CPU's ISA: a fallback core without AVX2
	 * is named, with the core type that fixes it; a fitting one is not. */
	char msg[512] = "";
	const char *xeon = "popcnt avx2 avx512f avx512bw avx512vpopcntdq";
	tap_ok(bnn_openblas_core_short("Prescott", xeon, msg, sizeof(msg)) == 1 &&
		       strstr(msg, "Prescott") && strstr(msg, "OPENBLAS_CORETYPE=SkylakeX"),
	       "OpenBLAS's Prescott core on an AVX-512 CPU is noted, SkylakeX suggested (%s)", msg);
	tap_ok(bnn_openblas_core_short("Sandybridge", "popcnt avx2", msg, sizeof(msg)) == 1 &&
		       strstr(msg, "OPENBLAS_CORETYPE=Haswell") && !strstr(msg, "AVX-512"),
	       "OpenBLAS's Sandybridge core on an AVX2 CPU is noted, Haswell suggested");
	tap_ok(bnn_openblas_core_short("Haswell", "popcnt avx2", msg, sizeof(msg)) == 0,
	       "OpenBLAS's Haswell core on an AVX2 CPU is not noted");
	tap_ok(bnn_openblas_core_short("Zen", xeon, msg, sizeof(msg)) == 0 &&
		       bnn_openblas_core_short("SKYLAKEX", xeon, msg, sizeof(msg)) == 0,
	       "AVX2 and AVX-512 cores on an AVX-512 CPU are not noted (names in any case)");
	tap_ok(bnn_openblas_core_short("Prescott", "popcnt", msg, sizeof(msg)) == 0,
	       "an SSE core on a CPU without AVX2 is not noted");
	tap_ok(bnn_openblas_core_short(NULL, xeon, msg, sizeof(msg)) == 0,
	       "no OpenBLAS core, no note");
	/* Two threads, so the libraries' parallel splits are exercised too. */
	bnn_peers_set_threads(2);

	for (size_t i = 0; i < bnn_peer_count; i++) {
		const bnn_kernel_t *k = &bnn_peers[i];
		if (is_reactnet(k->op) || k->isa == BNN_ISA_CUDA)
			continue;
		if (k->op == BNN_OP_GEMM) {
			for (size_t j = 0; j < NGEMM; j++)
				check_gemm(k, gemm_cases[j][0], gemm_cases[j][1], gemm_cases[j][2]);
			continue;
		}
		for (size_t j = 0; j < NCONV; j++)
			check_conv(k, &conv_cases[j]);
		if (k->op == BNN_OP_CONV)
			check_pad_one(k);
	}
	return tap_exit();
}
