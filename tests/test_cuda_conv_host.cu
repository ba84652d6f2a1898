/*
 * test_cuda_conv_host: the GPU convolutions' per-thread math
 * (kernels/cuda/bconv_cuda_math.cuh) run on the CPU over their whole grids,
 * against reference/, with no GPU and no device API call. Built by nvcc,
 * so the bodies are the very functions the __global__ wrappers call.
 *
 * Covered: packing (with and without an RSign shift) against bnn_ref_pack,
 * the CUDA-core binary conv, the tensor-core implicit GEMM with the mma
 * m16n8k256 .and.popc emulated by kernels/cuda/mma_model.h (the project's
 * host model of the PTX fragment layout), checking the lanes' loads, the
 * tile indexing, the AND identity and the zero-padding correction, BWN,
 * and XNOR-Net scaling (paper and released), on seeded data with exact
 * +0.0 and -0.0, over shapes with channel tails (spare bits), taps sharing
 * and straddling the 256-bit mma steps, zero and +1 padding, stride 2,
 * dilation 2, groups, odd and 1-wide sizes, 1x1 and 7x7 kernels, one output
 * channel, filter and pixel counts around the 64 x 64 tile, batch > 1.
 * Every launch is emulated as the host side launches it (whole blocks,
 * guards included) into a poisoned buffer with a guard zone past its end.
 * Not covered (no GPU here): the mma hardware itself (emulated from our
 * reading of the PTX ISA), warp scheduling, the real launch, memory
 * copies, timing; tests/test_cuda_conv does those where a GPU is present.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>
#include "cuda/bconv_cuda_math.cuh"
#include "cuda/mma_model.h"
extern "C" {
#include "bnn_ref.h"
}
#include "tap.h"

typedef struct {
	int64_t n, h, w, c, k, kh, kw, stride, pad, dil, groups;
	int pad_value;
} shape_t;

static const shape_t shapes[] = {
	{ 1, 5, 5, 1, 1, 3, 3, 1, 1, 1, 1, 0 },       /* one channel, one filter */
	{ 2, 7, 6, 3, 4, 3, 3, 1, 1, 1, 1, 0 },       /* batch 2, odd h */
	{ 1, 7, 6, 3, 4, 3, 3, 1, 1, 1, 1, 1 },       /* +1 padding */
	{ 1, 9, 9, 33, 5, 3, 3, 1, 1, 1, 1, 0 },      /* one over a word */
	{ 1, 8, 7, 65, 7, 3, 3, 2, 1, 1, 1, 0 },      /* stride 2, odd w */
	{ 1, 9, 9, 16, 6, 3, 3, 1, 2, 2, 1, 0 },      /* dilation 2 */
	{ 1, 9, 9, 16, 6, 3, 3, 1, 2, 2, 1, 1 },
	{ 1, 6, 6, 8, 6, 3, 3, 1, 1, 1, 2, 0 },       /* groups 2 */
	{ 1, 6, 6, 132, 8, 3, 3, 1, 1, 1, 4, 0 },     /* groups 4, cg 33 */
	{ 1, 6, 6, 12, 8, 3, 3, 1, 1, 1, 4, 1 },
	{ 1, 5, 8, 9, 3, 1, 3, 1, 1, 1, 1, 0 },       /* 1 x 3 kernel */
	{ 1, 7, 6, 10, 3, 5, 3, 2, 2, 1, 1, 0 },      /* 5 x 3, stride 2 */
	{ 1, 6, 6, 130, 9, 1, 1, 1, 0, 1, 1, 0 },     /* 1x1 */
	{ 1, 5, 5, 64, 1, 3, 3, 1, 1, 1, 1, 0 },      /* one output channel, c = 64 */
	{ 1, 1, 1, 70, 5, 3, 3, 1, 1, 1, 1, 0 },      /* 1x1 image: 8 of 9 taps padding */
	{ 1, 2, 3, 7, 5, 1, 1, 1, 1, 1, 1, 0 },       /* border outputs see only padding */
	{ 1, 2, 2, 7, 5, 3, 3, 1, 2, 1, 1, 1 },
	{ 2, 13, 11, 65, 70, 3, 3, 1, 1, 1, 1, 0 },   /* 70 filters: two column tiles */
	{ 1, 5, 5, 300, 9, 3, 3, 2, 1, 1, 1, 1 },     /* 10 words a tap: taps straddle the 8-word mma steps */
	{ 1, 4, 4, 256, 3, 3, 3, 1, 1, 1, 1, 0 },     /* 8 words a tap: one mma step each */
	{ 1, 4, 4, 257, 3, 3, 3, 1, 1, 1, 1, 0 },     /* one bit over */
	{ 1, 9, 9, 5, 4, 7, 7, 2, 3, 1, 1, 1 },       /* 7x7, stride 2 */
	{ 1, 9, 9, 5, 4, 7, 7, 1, 3, 1, 1, 0 },
	{ 3, 7, 5, 64, 16, 3, 3, 2, 1, 1, 2, 0 },     /* batch 3, groups, stride 2 */
	{ 1, 3, 3, 2048, 5, 3, 3, 1, 1, 1, 1, 0 },    /* 64 words a tap */
	{ 1, 10, 10, 32, 128, 3, 3, 1, 1, 1, 1, 1 },  /* 100 pixels x 128 filters */
	{ 1, 8, 8, 32, 64, 3, 3, 1, 1, 1, 1, 0 },     /* exactly one 64 x 64 tile */
	{ 1, 5, 5, 6, 12, 3, 3, 1, 1, 1, 6, 0 },      /* one channel per group */
	{ 1, 1, 9, 31, 3, 1, 3, 1, 1, 1, 1, 0 },      /* one row */
	{ 1, 9, 1, 31, 3, 3, 1, 1, 1, 1, 1, 0 },      /* one column */
	{ 1, 3, 3, 17, 3, 3, 3, 1, 0, 1, 1, 0 },      /* output 1x1, no padding */
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))
#define GUARD 64   /* elements past each output that no thread may touch */
#define POISON_INT ((int32_t)0xa5a5a5a5)

/* Deterministic values in [-1, 1), with exact +0.0 and -0.0 (both sign +1). */
static void fill(float *x, int64_t n, uint64_t seed)
{
	for (int64_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(seed >> 33);
		if (r % 23 == 0)
			x[i] = 0.0f;
		else if (r % 23 == 1)
			x[i] = -0.0f;
		else
			x[i] = (float)((int32_t)(r % 2001) - 1000) / 1000.0f;
	}
}

/* gamma_n of doc/bnn-math.md section 3 (the harness's bnn_gamma). */
static double gamma_n(double n)
{
	double u = ldexp(1.0, -24);
	return n * u / (1.0 - n * u);
}

static bnn_conv_shape_t conv_shape(const shape_t *t)
{
	bnn_conv_shape_t c;
	memset(&c, 0, sizeof(c));
	c.n = t->n, c.h = t->h, c.w = t->w, c.c = t->c, c.k = t->k, c.kh = t->kh, c.kw = t->kw;
	c.stride = t->stride, c.pad = t->pad, c.dil = t->dil, c.groups = t->groups;
	c.pad_value = t->pad_value;
	if (bnn_conv_shape_finish(&c) != 0) {
		fprintf(stderr, "test shape is not a valid convolution\n");
		abort();
	}
	return c;
}

static const char *describe(const bnn_conv_shape_t *c)
{
	static char buf[200];
	snprintf(buf, sizeof(buf),
		 "n=%lld h=%lld w=%lld c=%lld k=%lld kh=%lld kw=%lld stride=%lld pad=%lld dil=%lld "
		 "groups=%lld pad_value=%d",
		 (long long)c->n, (long long)c->h, (long long)c->w, (long long)c->c, (long long)c->k,
		 (long long)c->kh, (long long)c->kw, (long long)c->stride, (long long)c->pad,
		 (long long)c->dil, (long long)c->groups, c->pad_value);
	return buf;
}

/* The packing launch of bconv_pack_kernel, whole blocks: [rows][groups][cw] words. */
static std::vector<uint32_t> pack(const float *x, const float *shift, int64_t rows,
				  int64_t groups, int64_t cg, int64_t ld, int64_t cw)
{
	int64_t words = rows * groups * cw;
	std::vector<uint32_t> out((size_t)words, 0xdeadbeefu);
	for (int64_t idx = 0; idx < bc_blocks(words) * BC_THREADS; idx++)
		if (idx < words)   /* the wrapper's guard */
			out[(size_t)idx] = bc_pack_word(x, shift, groups, cg, ld, cw, idx);
	return out;
}

/* The packed image of the CUDA-core layout against bnn_ref_pack of each (pixel, group) row. */
static int check_pack(const bnn_conv_shape_t *c, const float *x, const float *shift,
		      char *msg, size_t len)
{
	bc_geom_t s = bc_geom_make(c);
	int64_t rows = c->n * c->h * c->w;
	std::vector<uint32_t> xb = pack(x, shift, rows, s.groups, s.cg, s.c, s.cw);
	int64_t w64 = bnn_words(s.cg);
	std::vector<float> row((size_t)s.cg);
	std::vector<uint64_t> ref((size_t)w64);
	for (int64_t r = 0; r < rows; r++)
		for (int64_t g = 0; g < s.groups; g++) {
			for (int64_t ci = 0; ci < s.cg; ci++) {
				float v = x[r * s.c + g * s.cg + ci];
				row[(size_t)ci] = shift ? v + shift[g * s.cg + ci] : v;
			}
			bnn_ref_pack(row.data(), 1, s.cg, ref.data(), w64);
			for (int64_t wd = 0; wd < s.cw; wd++) {
				uint32_t want = (uint32_t)(ref[(size_t)(wd / 2)] >> (32 * (wd % 2)));
				uint32_t got = xb[(size_t)((r * s.groups + g) * s.cw + wd)];
				if (got != want) {
					snprintf(msg, len, "pixel %lld group %lld word %lld: %08x, want %08x",
						 (long long)r, (long long)g, (long long)wd, got, want);
					return 0;
				}
			}
		}
	return 1;
}

/* The device-side inputs of one binary conv, built as prepare and run build them. */
typedef struct {
	bc_geom_t s;
	std::vector<uint32_t> xb, wb;
	std::vector<int32_t> apop, wsum, wpop;
} packed_t;

static packed_t make_packed(const bnn_conv_shape_t *c, const float *x, const float *w,
			    const float *shift)
{
	packed_t p;
	p.s = bc_geom_make(c);
	const bc_geom_t &s = p.s;
	int64_t rows = s.n * s.h * s.w;
	p.wb = pack(w, NULL, s.k * s.taps, 1, s.cg, s.cg, s.cw);
	p.xb = pack(x, shift, rows, s.groups, s.cg, s.c, s.cw);
	p.wsum.resize((size_t)(s.k * s.taps));
	p.wpop.resize((size_t)s.k);
	bc_weight_sums(s, w, p.wsum.data(), p.wpop.data());
	p.apop.assign((size_t)(rows * s.groups), -1);
	for (int64_t idx = 0; idx < bc_blocks(rows * s.groups) * BC_THREADS; idx++)
		if (idx < rows * s.groups)   /* bconv_rowpop_kernel's guard */
			p.apop[(size_t)idx] = bc_row_popc(p.xb.data(), s.cw, idx);
	return p;
}

/* bconv_popc_kernel's launch, every thread of every block. */
static void run_popc(const packed_t &p, int32_t *out)
{
	for (int64_t idx = 0; idx < bc_blocks(bc_fo_threads(p.s)) * BC_THREADS; idx++)
		bc_popc_thread(p.s, p.xb.data(), p.wb.data(), p.wsum.data(), idx, out);
}

/* bconv_mma_b1_kernel's launch: every block, warp and lane, in the kernel's loop order. */
static void run_mma(const packed_t &p, int32_t *out)
{
	const bc_geom_t &s = p.s;
	for (int64_t bx = 0; bx < bc_mma_mtiles(s); bx++)
		for (int64_t by = 0; by < s.groups * bc_mma_ntiles(s); by++)
			for (int warp = 0; warp < 4; warp++) {
				static bc_row_t rows[32][BC_WM][2];
				static int acc[32][BC_WM][BC_WN][4];
				int64_t g = bc_tile_group(s, by);
				memset(acc, 0, sizeof(acc));
				for (int lane = 0; lane < 32; lane++)
					bc_lane_rows(s, bx, warp, lane / 4, rows[lane]);
				for (int64_t ks = 0; ks < bc_mma_ksteps(s); ks++) {
					uint32_t a[32][BC_WM][4], b[32][BC_WN][2];
					for (int lane = 0; lane < 32; lane++)
						bc_lane_frags(s, p.xb.data(), p.wb.data(), rows[lane], g, by,
							      warp, lane / 4, lane % 4, ks, a[lane], b[lane]);
					for (int i = 0; i < BC_WM; i++)
						for (int jj = 0; jj < BC_WN; jj++) {
							uint32_t la[32][4], lb[32][2];
							int lc[32][4];
							for (int l = 0; l < 32; l++) {
								memcpy(la[l], a[l][i], sizeof(la[l]));
								memcpy(lb[l], b[l][jj], sizeof(lb[l]));
								memcpy(lc[l], acc[l][i][jj], sizeof(lc[l]));
							}
							/* the project's one PTX model of the mma */
							mma_model_m16n8k256(0, la, lb, lc, lc);
							for (int l = 0; l < 32; l++)
								memcpy(acc[l][i][jj], lc[l], sizeof(lc[l]));
						}
				}
				for (int lane = 0; lane < 32; lane++)
					bc_lane_store(s, p.apop.data(), p.wpop.data(), p.wsum.data(),
						      rows[lane], bx, by, warp, lane / 4, lane % 4,
						      acc[lane], out);
			}
}

/* The int32 output against the reference (exact) and the guard zone untouched. */
static int check_int(const int32_t *out, const float *ref, int64_t count, char *msg, size_t len)
{
	for (int64_t i = 0; i < count; i++)
		if ((float)out[i] != ref[i]) {
			snprintf(msg, len, "element %lld = %d, reference %.0f", (long long)i, out[i],
				 ref[i]);
			return 0;
		}
	for (int64_t i = count; i < count + GUARD; i++)
		if (out[i] != POISON_INT) {
			snprintf(msg, len, "element %lld past the end written", (long long)i);
			return 0;
		}
	return 1;
}

/* Float output within bound[i] of the reference, not NaN; the guard untouched. */
static int check_float(const float *out, const float *ref, const float *bound, int64_t count,
		       double *worst, char *msg, size_t len)
{
	*worst = 0;
	for (int64_t i = 0; i < count; i++) {
		double e = fabs((double)out[i] - (double)ref[i]);
		if (isnan(out[i]) || e > bound[i]) {
			snprintf(msg, len, "element %lld = %.9g, reference %.9g, bound %.3g",
				 (long long)i, (double)out[i], (double)ref[i], (double)bound[i]);
			return 0;
		}
		if (e > *worst)
			*worst = e;
	}
	for (int64_t i = count; i < count + GUARD; i++)
		if (!isnan(out[i])) {
			snprintf(msg, len, "element %lld past the end written", (long long)i);
			return 0;
		}
	return 1;
}

/* The binary conv of either kind into a poisoned buffer of count + GUARD. */
static std::vector<int32_t> bconv(const packed_t &p, int mma, int64_t count)
{
	std::vector<int32_t> out((size_t)(count + GUARD), POISON_INT);
	if (mma)
		run_mma(p, out.data());
	else
		run_popc(p, out.data());
	return out;
}

/* XNOR-Net scaling of dot as bnn_bconv_run__cuda launches it, into y (count + GUARD). */
static void xnor_scale(const bc_geom_t &s, const float *x, const int32_t *dot,
		       const float *alpha, bnn_xnor_mode_t mode, float *y)
{
	std::vector<float> amap((size_t)(s.n * s.h * s.w), nanf("")), kmap((size_t)s.pix, nanf(""));
	const float *km = NULL;
	if (mode == BNN_XNOR_PAPER) {
		for (int64_t q = 0; q < bc_blocks(s.n * s.h * s.w) * BC_THREADS; q++)
			bc_amap_thread(s, x, q, amap.data());
		for (int64_t p = 0; p < bc_blocks(s.pix) * BC_THREADS; p++)
			bc_kmap_thread(s, amap.data(), p, kmap.data());
		km = kmap.data();
	}
	for (int64_t i = 0; i < bc_blocks(s.pix * s.k) * BC_THREADS; i++)
		bc_xnor_scale_thread(s, dot, alpha, km, i, y);
}

int main(void)
{
	char msg[256];
	/* per shape: pack, pack+rsign, conv popc/mma, conv+rsign popc/mma, bwn, xnor 2 modes x 2 */
	tap_plan((int)(NSHAPES * 11));
	for (size_t si = 0; si < NSHAPES; si++) {
		bnn_conv_shape_t c = conv_shape(&shapes[si]);
		const char *name = describe(&c);
		int64_t cg = c.c / c.groups, taps = c.kh * c.kw;
		int64_t nx = c.n * c.h * c.w * c.c, nw = c.k * taps * cg;
		int64_t count = c.n * c.oh * c.ow * c.k;
		std::vector<float> x((size_t)nx), w((size_t)nw), shift((size_t)c.c), xs((size_t)nx);
		std::vector<float> ref((size_t)count), alpha((size_t)c.k), bound((size_t)count);
		fill(x.data(), nx, 1000003u * si + 17);
		fill(w.data(), nw, 7919u * si + 5);
		fill(shift.data(), c.c, 31u * si + 3);
		/* some shifts that make x + shift == 0 exactly: the RSign tie gives +1 */
		for (int64_t ci = 0; ci < c.c && ci < nx; ci += 3)
			shift[(size_t)ci] = -x[(size_t)ci];
		bnn_ref_rsign(x.data(), c.n * c.h * c.w, c.c, shift.data(), xs.data());

		msg[0] = 0;
		tap_ok(check_pack(&c, x.data(), NULL, msg, sizeof(msg)), "pack %s: %s", name,
		       msg[0] ? msg : "ok");
		msg[0] = 0;
		tap_ok(check_pack(&c, x.data(), shift.data(), msg, sizeof(msg)), "pack rsign %s: %s",
		       name, msg[0] ? msg : "ok");

		/* the binary conv, plain and with the RSign shift fused into packing */
		for (int rs = 0; rs < 2; rs++) {
			bnn_ref_bconv(&c, rs ? xs.data() : x.data(), w.data(), ref.data());
			for (int mma = 0; mma < 2; mma++) {
				msg[0] = 0;
				packed_t p = make_packed(&c, x.data(), w.data(),
							 rs ? shift.data() : NULL);
				std::vector<int32_t> out = bconv(p, mma, count);
				tap_ok(check_int(out.data(), ref.data(), count, msg, sizeof(msg)),
				       "conv %s%s %s: %s", mma ? "mma_b1" : "popc",
				       rs ? " rsign" : "", name, msg[0] ? msg : "exact");
			}
		}

		/* BWN: the harness's bound (runner.c) */
		{
			bnn_conv_shape_t cb = c;
			cb.pad_value = 0;
			bc_geom_t s = bc_geom_make(&cb);
			std::vector<uint32_t> wb = pack(w.data(), NULL, s.k * s.taps, 1, s.cg, s.cg, s.cw);
			bnn_ref_alpha(w.data(), c.k, taps * cg, alpha.data());
			bnn_ref_bwn_conv(&cb, x.data(), w.data(), alpha.data(), ref.data());
			bnn_ref_abs_sum(&cb, x.data(), bound.data());
			double g = gamma_n((double)(taps * cg + 4));
			for (int64_t i = 0; i < count; i++)
				bound[(size_t)i] = (float)(g * alpha[(size_t)(i % c.k)] * bound[(size_t)i]);
			std::vector<float> y((size_t)(count + GUARD), nanf(""));
			for (int64_t idx = 0; idx < bc_blocks(bc_fo_threads(s)) * BC_THREADS; idx++)
				bc_bwn_thread(s, x.data(), wb.data(), alpha.data(), idx, y.data());
			double worst;
			msg[0] = 0;
			int ok = check_float(y.data(), ref.data(), bound.data(), count, &worst, msg,
					     sizeof(msg));
			tap_ok(ok, "bwn %s: %s (worst error %.3g)", name, msg[0] ? msg : "within bound",
			       worst);
		}

		/* XNOR-Net: both modes, over both integer convs */
		bnn_ref_alpha(w.data(), c.k, taps * cg, alpha.data());
		for (int m = 0; m < 2; m++) {
			bnn_xnor_mode_t mode = m ? BNN_XNOR_RELEASED : BNN_XNOR_PAPER;
			bnn_ref_xnor_conv(&c, mode, x.data(), w.data(), alpha.data(), ref.data());
			double g = mode == BNN_XNOR_PAPER ? gamma_n((double)(c.c + taps + 6))
							  : gamma_n(3.0);
			for (int64_t i = 0; i < count; i++)
				bound[(size_t)i] = (float)(g * fabs((double)ref[(size_t)i]));
			for (int mma = 0; mma < 2; mma++) {
				packed_t p = make_packed(&c, x.data(), w.data(), NULL);
				std::vector<int32_t> dot = bconv(p, mma, count);
				std::vector<float> y((size_t)(count + GUARD), nanf(""));
				xnor_scale(p.s, x.data(), dot.data(), alpha.data(), mode, y.data());
				double worst;
				msg[0] = 0;
				int ok = check_float(y.data(), ref.data(), bound.data(), count, &worst,
						     msg, sizeof(msg));
				tap_ok(ok, "xnor %s %s %s: %s (worst error %.3g)", m ? "released" : "paper",
				       mma ? "mma_b1" : "popc", name, msg[0] ? msg : "within bound",
				       worst);
			}
		}
	}
	return tap_exit();
}
