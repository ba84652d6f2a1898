/*
 * reactnet_cuda_impl.cuh: the ReActNet block and ReActNet-A on the GPU
 * (doc/bnn-math.md section 6), written once for two back ends (C++ only):
 *
 *   - the device (kernels/cuda/reactnet_cuda.cu): memory is cudaMalloc'd and
 *     every stage is a kernel launched on the default stream;
 *   - the host (tests/test_cuda_reactnet_host.cu): memory is malloc'd and a
 *     "launch" runs the same per-thread body over the whole grid on the CPU,
 *     with the same grid and block sizes, so that make check verifies the
 *     bodies, the index math and the launch sequence without a GPU.
 *
 * A back end BE provides: alloc/release (device bytes), put (host to device),
 * get (device to host), fill (bytes), launch(f, blocks_x, blocks_y) which
 * runs f(bx, by, tx) for tx < RN_THREADS, and sync. All return 0 or -errno.
 *
 * The design follows the CPU template (kernels/generic/reactnet.c):
 *   - RSign fused into packing: bit = (x + rsign[c] < 0), 32 channels per
 *     word, spare bits zero; the 3x3 conv's input is packed with a one-pixel
 *     border of zero words (bit 0 = +1), so every tap reads in range and the
 *     zero padding of doc/bnn-math.md section 5 is restored by subtracting, per output,
 *     the weight sums sum_c w[o][tap][c] = c - 2 popc(wbits) of the taps that
 *     fall outside the image;
 *   - one thread computes one output pixel for 32 filters (one packed word
 *     of output channels) with XOR + popc on CUDA cores, then the epilogue:
 *     alpha and BN folded into one multiplier and bias per channel, the
 *     shortcut (2x2 average pool at stride 2), RPReLU1, and RSign2 packed
 *     straight into the 1x1 conv's input word;
 *   - the 1x1 conv (c -> k: the reduction block's two convs are one conv of
 *     2c filters, down1's then down2's) with its epilogue: folded BN2, + u,
 *     RPReLU2;
 *   - the stem (real 3x3 conv, stride 2, BN folded) and the head (global
 *     average pool, FC with bias) in float.
 * Every float operation is written out with rn_mul / rn_add (never contracted
 * into an FMA on the device) in the order of the CPU loops
 * (kernels/generic/reactnet_loops.h), so a correct GPU result equals the
 * CPU template's bit for bit, and the harness's derived bound applies as it
 * does to the CPU kernels.
 *
 * Compile-only on the author's machine: never run on a GPU.
 */
#ifndef BNN_REACTNET_CUDA_IMPL_CUH
#define BNN_REACTNET_CUDA_IMPL_CUH

#include <cuda_runtime.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "bnn_reactnet.h"

#define RN_HD __host__ __device__ __forceinline__
#define RN_THREADS 128      /* threads per block of every ReActNet kernel */
#define RN_FG 32            /* filters per thread: one packed word of channels */

/* ---- arithmetic that is the same on both sides ---- */

RN_HD uint32_t rn_popc(uint32_t x)
{
#ifdef __CUDA_ARCH__
	return (uint32_t)__popc(x);
#else
	return (uint32_t)__builtin_popcount(x);
#endif
}

/* Rounded once, never fused: nvcc contracts a*b+c into an FMA by default,
 * and the CPU template (ISO C, no contraction) rounds the product first. */
RN_HD float rn_mul(float a, float b)
{
#ifdef __CUDA_ARCH__
	return __fmul_rn(a, b);
#else
	return a * b;
#endif
}

RN_HD float rn_add(float a, float b)
{
#ifdef __CUDA_ARCH__
	return __fadd_rn(a, b);
#else
	return a + b;
#endif
}

RN_HD float rn_sub(float a, float b)
{
#ifdef __CUDA_ARCH__
	return __fsub_rn(a, b);
#else
	return a - b;
#endif
}

RN_HD float rn_div(float a, float b)
{
#ifdef __CUDA_ARCH__
	return __fdiv_rn(a, b);
#else
	return a / b;
#endif
}

RN_HD uint4 rn_ld4(const uint4 *p)
{
#ifdef __CUDA_ARCH__
	return __ldg(p);
#else
	return *p;
#endif
}

/* RPReLU as the CPU template writes it: d = v - g; (d > 0 ? 1 : slope) * d + z. */
RN_HD float rn_rprelu(float v, float g, float slope, float z)
{
	float d = rn_sub(v, g);
	float s = d > 0.0f ? 1.0f : slope;
	return rn_add(rn_mul(s, d), z);
}

/* ---- per-thread bodies: f(bx, by, tx) of a grid of RN_THREADS-thread blocks ---- */

/*
 * RSign packing of an NHWC float image (n x h x w x c) into words over
 * channels, [n][h + 2 pad][w + 2 pad][cw]: bit i of word j is
 * (x[32 j + i] + shift[32 j + i] < 0); spare bits and border words are 0.
 * One thread per output word.
 */
struct rn_pack_k {
	const float *x, *shift;
	uint32_t *out;
	int64_t n, h, w, c, cw, pad;
	RN_HD void operator()(int64_t bx, int64_t by, int tx) const
	{
		(void)by;
		int64_t hp = h + 2 * pad, wp = w + 2 * pad, i = bx * RN_THREADS + tx;
		if (i >= n * hp * wp * cw)
			return;
		int64_t j = i % cw, pp = i / cw, px = pp % wp, py = pp / wp % hp, b = pp / (wp * hp);
		int64_t iy = py - pad, ix = px - pad;
		uint32_t word = 0;
		if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
			const float *src = x + ((b * h + iy) * w + ix) * c;
			for (int bit = 0; bit < 32; bit++) {
				int64_t ch = 32 * j + bit;
				if (ch < c && rn_add(src[ch], shift[ch]) < 0.0f)
					word |= 1u << bit;
			}
		}
		out[i] = word;
	}
};

/*
 * Binary weights, OHWI floats [filters][taps][c], into
 * [filters / 32][taps][cw][32]: the 32 filters of a group side by side for
 * each (tap, word), so that one thread's 32 filters are 8 aligned uint4
 * loads. bit = (w < 0); filters past the last are zero words. One thread per
 * word.
 */
struct rn_wpack_k {
	const float *w;
	uint32_t *out;
	int64_t filters, taps, c, cw, ng;
	RN_HD void operator()(int64_t bx, int64_t by, int tx) const
	{
		(void)by;
		int64_t i = bx * RN_THREADS + tx;
		if (i >= ng * taps * cw * RN_FG)
			return;
		int64_t f = i % RN_FG, rest = i / RN_FG, j = rest % cw;
		rest /= cw;
		int64_t tap = rest % taps, o = rest / taps * RN_FG + f;
		uint32_t word = 0;
		if (o < filters)
			for (int bit = 0; bit < 32; bit++) {
				int64_t ch = 32 * j + bit;
				if (ch < c && w[(o * taps + tap) * c + ch] < 0.0f)
					word |= 1u << bit;
			}
		out[i] = word;
	}
};

/* sum_c sign(w[o][tap][c]) = c - 2 popc(bits) per (filter, tap): the zero
 * padding correction of doc/bnn-math.md section 5. One thread per (o, tap). */
struct rn_wsum_k {
	const uint32_t *wp;
	int32_t *out;
	int64_t filters, taps, c, cw;
	RN_HD void operator()(int64_t bx, int64_t by, int tx) const
	{
		(void)by;
		int64_t i = bx * RN_THREADS + tx;
		if (i >= filters * taps)
			return;
		int64_t o = i / taps, tap = i % taps, g = o / RN_FG, f = o % RN_FG;
		int64_t p = 0;
		for (int64_t j = 0; j < cw; j++)
			p += rn_popc(wp[((g * taps + tap) * cw + j) * RN_FG + f]);
		out[i] = (int32_t)(c - 2 * p);
	}
};

/*
 * Per-channel float parameters of a block, one array:
 * m1 c1 rs1 rs2 g1 slope1 z1 ([c] each), then m2 c2 g2 slope2 z2 ([k] each).
 */
enum { RN_M1, RN_C1, RN_RS1, RN_RS2, RN_G1, RN_S1, RN_Z1, RN_PER_C };
enum { RN_M2, RN_C2, RN_G2, RN_S2, RN_Z2, RN_PER_K };

/* acc[f] += popc(a ^ w[f]) for the 32 filter words at w (128-byte aligned). */
RN_HD void rn_popc32(uint32_t (&acc)[RN_FG], uint32_t a, const uint32_t *w)
{
	const uint4 *w4 = (const uint4 *)w;
#pragma unroll
	for (int v = 0; v < RN_FG / 4; v++) {
		uint4 q = rn_ld4(w4 + v);
		acc[4 * v + 0] += rn_popc(a ^ q.x);
		acc[4 * v + 1] += rn_popc(a ^ q.y);
		acc[4 * v + 2] += rn_popc(a ^ q.z);
		acc[4 * v + 3] += rn_popc(a ^ q.w);
	}
}

/*
 * The 3x3 binary conv (c -> c, stride 1 or 2, pad 1 of zeros) fused with
 * the first output transform. Thread (q, g): output pixel q =
 * bx * RN_THREADS + tx, channels [32 g, 32 g + 32) with g = by.
 *   acc = 9c - 2 popc(x ^ w) over the +1-bordered image, minus the weight
 *         sums of the out-of-image taps: the zero-padded integer conv;
 *   t = acc * m1 + c1;  r = x, or ((x00 + x01) + x10) + x11) * 0.25;
 *   u = RPReLU1(t + r), stored as float (the second shortcut) and packed as
 *   (u + rsign2 < 0) into word g of pixel q of ubits.
 */
struct rn_conv3_k {
	const uint32_t *xbits, *wp;
	const int32_t *wsum;
	const float *chan, *x;
	float *u;
	uint32_t *ubits;
	int64_t h, w, c, cw, stride, oh, ow, pix;
	RN_HD void operator()(int64_t bx, int64_t by, int tx) const
	{
		int64_t q = bx * RN_THREADS + tx, g = by;
		if (q >= pix)
			return;
		int64_t opix = oh * ow, b = q / opix, oy = q % opix / ow, ox = q % ow;
		int64_t wp2 = w + 2, y0 = oy * stride, x0 = ox * stride;
		const uint32_t *base = xbits + ((b * (h + 2) + y0) * wp2 + x0) * cw;
		const uint32_t *wg = wp + g * 9 * cw * RN_FG;
		uint32_t acc[RN_FG];
#pragma unroll
		for (int f = 0; f < RN_FG; f++)
			acc[f] = 0;
		for (int tap = 0; tap < 9; tap++) {
			const uint32_t *xp = base + ((tap / 3) * wp2 + tap % 3) * cw;
			const uint32_t *wt = wg + tap * cw * RN_FG;
			for (int64_t j = 0; j < cw; j++)
				rn_popc32(acc, xp[j], wt + j * RN_FG);
		}
		/* Taps outside the image: padded row y0 + ky is image row y0 + ky - 1. */
		unsigned out_taps = 0;
		for (int tap = 0; tap < 9; tap++) {
			int64_t iy = y0 + tap / 3 - 1, ix = x0 + tap % 3 - 1;
			if (iy < 0 || iy >= h || ix < 0 || ix >= w)
				out_taps |= 1u << tap;
		}
		const float *m1 = chan + RN_M1 * c, *c1 = chan + RN_C1 * c, *rs2 = chan + RN_RS2 * c;
		const float *g1 = chan + RN_G1 * c, *s1 = chan + RN_S1 * c, *z1 = chan + RN_Z1 * c;
		const float *top = x + ((b * h + y0) * w + x0) * c, *bot = top + w * c;
		uint32_t word = 0;
#pragma unroll
		for (int f = 0; f < RN_FG; f++) {
			int64_t ch = g * RN_FG + f;
			if (ch >= c)
				break;
			int32_t dot = (int32_t)(9 * c) - 2 * (int32_t)acc[f];
			if (out_taps)
				for (int tap = 0; tap < 9; tap++)
					if (out_taps >> tap & 1)
						dot -= wsum[ch * 9 + tap];
			float t = rn_add(rn_mul((float)dot, m1[ch]), c1[ch]);
			float r = stride == 2 ?
					  rn_mul(rn_add(rn_add(rn_add(top[ch], top[c + ch]), bot[ch]),
							bot[c + ch]),
						 0.25f) :
					  x[q * c + ch];
			float uu = rn_rprelu(rn_add(t, r), g1[ch], s1[ch], z1[ch]);
			u[q * c + ch] = uu;
			if (rn_add(uu, rs2[ch]) < 0.0f)
				word |= 1u << f;
		}
		ubits[q * cw + g] = word;
	}
};

/*
 * The 1x1 binary conv (c -> k) fused with the second output transform.
 * Thread (q, g): pixel q, filters [32 g, 32 g + 32):
 *   y[q][o] = RPReLU2(((c - 2 popc) * m2 + c2) + u[q][o mod c]).
 */
struct rn_conv1_k {
	const uint32_t *ubits, *wp;
	const float *chank, *u;   /* chank: the [k] parameters (RN_M2 ...) */
	float *y;
	int64_t c, k, cw, pix;
	RN_HD void operator()(int64_t bx, int64_t by, int tx) const
	{
		int64_t q = bx * RN_THREADS + tx, g = by;
		if (q >= pix)
			return;
		const uint32_t *a = ubits + q * cw, *wg = wp + g * cw * RN_FG;
		uint32_t acc[RN_FG];
#pragma unroll
		for (int f = 0; f < RN_FG; f++)
			acc[f] = 0;
		for (int64_t j = 0; j < cw; j++)
			rn_popc32(acc, a[j], wg + j * RN_FG);
		const float *m2 = chank + RN_M2 * k, *c2 = chank + RN_C2 * k;
		const float *g2 = chank + RN_G2 * k, *s2 = chank + RN_S2 * k, *z2 = chank + RN_Z2 * k;
#pragma unroll
		for (int f = 0; f < RN_FG; f++) {
			int64_t o = g * RN_FG + f;
			if (o >= k)
				break;
			int32_t dot = (int32_t)c - 2 * (int32_t)acc[f];
			int64_t ch = o >= c ? o - c : o;   /* o mod c: k is c or 2c (supports) */
			float v = rn_add(rn_add(rn_mul((float)dot, m2[o]), c2[o]), u[q * c + ch]);
			y[q * k + o] = rn_rprelu(v, g2[o], s2[o], z2[o]);
		}
	}
};

/*
 * The stem: real 3x3 conv 3 -> 32, stride 2, pad 1 (zeros), of the NCHW
 * image, then BN folded (y = acc * m + c). Thread i = (pixel, filter): the
 * 27 products summed in the CPU's order (ky, kx, input channel), from 0.
 * wt is [27][32] (tap-major, then input channel, filters innermost); sm/sc
 * are wt + 27*32 and + 28*32.
 */
struct rn_stem_k {
	const float *img, *wt;
	float *y;
	int64_t n, h, w;
	RN_HD void operator()(int64_t bx, int64_t by, int tx) const
	{
		(void)by;
		const int64_t sc = BNN_RNET_STEM_C, oh = h / 2, ow = w / 2;
		int64_t i = bx * RN_THREADS + tx;
		if (i >= n * oh * ow * sc)
			return;
		int64_t o = i % sc, q = i / sc, b = q / (oh * ow), oy = q % (oh * ow) / ow, ox = q % ow;
		float acc = 0.0f;
		int t = 0;
		for (int ky = 0; ky < 3; ky++)
			for (int kx = 0; kx < 3; kx++)
				for (int ci = 0; ci < 3; ci++, t++) {
					int64_t iy = 2 * oy - 1 + ky, ix = 2 * ox - 1 + kx;
					float p = iy < 0 || iy >= h || ix < 0 || ix >= w ?
							  0.0f :
							  img[((b * 3 + ci) * h + iy) * w + ix];
					acc = rn_add(acc, rn_mul(p, wt[t * sc + o]));
				}
		y[i] = rn_add(rn_mul(acc, wt[27 * sc + o]), wt[28 * sc + o]);
	}
};

/* Global average pool, [n][pix][c] -> [n][c]: summed in pixel order from 0,
 * then divided by pix. Thread per (image, channel). */
struct rn_pool_k {
	const float *act;
	float *pooled;
	int64_t n, pix, c;
	RN_HD void operator()(int64_t bx, int64_t by, int tx) const
	{
		(void)by;
		int64_t i = bx * RN_THREADS + tx;
		if (i >= n * c)
			return;
		int64_t b = i / c, ch = i % c;
		float s = 0.0f;
		for (int64_t q = 0; q < pix; q++)
			s = rn_add(s, act[(b * pix + q) * c + ch]);
		pooled[i] = rn_div(s, (float)pix);
	}
};

/* The FC with bias: y = b[o], then + pooled[i] * W[o][i] for i in order;
 * wt is W transposed, [1024][1000], then the bias [1000]. Thread per (image, class). */
struct rn_fc_k {
	const float *pooled, *wt;
	float *y;
	int64_t n;
	RN_HD void operator()(int64_t bx, int64_t by, int tx) const
	{
		(void)by;
		const int64_t nc = BNN_RNET_CLASSES, ni = BNN_RNET_FC_IN;
		int64_t i = bx * RN_THREADS + tx;
		if (i >= n * nc)
			return;
		int64_t b = i / nc, o = i % nc;
		float acc = wt[ni * nc + o];
		for (int64_t k = 0; k < ni; k++)
			acc = rn_add(acc, rn_mul(pooled[b * ni + k], wt[k * nc + o]));
		y[i] = acc;
	}
};

/* ---- sizes (shared by prepare and the memory estimate of supports) ---- */

static inline int64_t rn_blocks(int64_t threads)
{
	return (threads + RN_THREADS - 1) / RN_THREADS;
}

typedef struct {
	int64_t cw, ng3, ng1, pix;
	int64_t xbits, ubits, u;     /* scratch: words, words, floats */
	int64_t wp3, wsum3, wp1, chan, wtmp;
} rn_sizes_t;

static inline rn_sizes_t rn_block_sizes(const bnn_rblock_shape_t *b)
{
	rn_sizes_t z;
	z.cw = (b->c + 31) / 32;
	z.ng3 = z.cw;
	z.ng1 = (b->k + RN_FG - 1) / RN_FG;
	z.pix = b->n * b->oh * b->ow;
	z.xbits = b->n * (b->h + 2) * (b->w + 2) * z.cw;
	z.ubits = z.pix * z.cw;
	z.u = z.pix * b->c;
	z.wp3 = z.ng3 * 9 * z.cw * RN_FG;
	z.wsum3 = b->c * 9;
	z.wp1 = z.ng1 * z.cw * RN_FG;
	z.chan = RN_PER_C * b->c + RN_PER_K * b->k;
	z.wtmp = 9 * b->c * b->c > b->k * b->c ? 9 * b->c * b->c : b->k * b->c;
	return z;
}

/* Device bytes of one block's own arrays (parameters, packed weights). */
static inline double rn_block_param_bytes(const rn_sizes_t *z)
{
	return 4.0 * (double)(z->wp3 + z->wsum3 + z->wp1 + z->chan);
}

/* Device bytes of the scratch (packed input, u, packed u). */
static inline double rn_block_scratch_bytes(const rn_sizes_t *z)
{
	return 4.0 * (double)(z->xbits + z->ubits + z->u);
}

/* Device bytes the block op takes at its peak (prepare's weight staging included). */
static inline double rn_rblock_bytes(const bnn_rblock_shape_t *b)
{
	rn_sizes_t z = rn_block_sizes(b);
	return rn_block_param_bytes(&z) + rn_block_scratch_bytes(&z) +
	       4.0 * (double)(b->n * b->h * b->w * b->c + z.pix * b->k + z.wtmp);
}

/* Device bytes the network takes: image, every stage's output (kept for the
 * stage hook), every block's parameters, one shared scratch, stem, head. */
static inline double rn_rnet_bytes(const bnn_rnet_shape_t *r)
{
	double bytes = 4.0 * (double)(r->n * 3 * r->h * r->w);
	int64_t xb = 0, ub = 0, uf = 0, wtmp = 0;
	bytes += 4.0 * (double)(r->n * (r->h / 2) * (r->w / 2) * BNN_RNET_STEM_C);
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		rn_sizes_t z = rn_block_sizes(&b);
		bytes += rn_block_param_bytes(&z) + 4.0 * (double)(z.pix * b.k);
		xb = z.xbits > xb ? z.xbits : xb;
		ub = z.ubits > ub ? z.ubits : ub;
		uf = z.u > uf ? z.u : uf;
		wtmp = z.wtmp > wtmp ? z.wtmp : wtmp;
	}
	bytes += 4.0 * (double)(xb + ub + uf + wtmp);
	bytes += 4.0 * (double)(29 * BNN_RNET_STEM_C + (BNN_RNET_FC_IN + 1) * BNN_RNET_CLASSES +
				r->n * (BNN_RNET_FC_IN + BNN_RNET_CLASSES));
	return bytes;
}

/* ---- the back-end-independent kernels ---- */

#define RN_MAX_ALLOCS 128

/* Everything a state allocated on the device, freed together. */
typedef struct {
	void *p[RN_MAX_ALLOCS];
	int n;
} rn_mem_t;

template <class BE> static int rn_take(rn_mem_t *m, void *pp, int64_t bytes)
{
	void **out = (void **)pp;
	*out = NULL;
	if (m->n == RN_MAX_ALLOCS)
		return -ENOMEM;
	int rc = BE::alloc(out, (size_t)(bytes > 0 ? bytes : 1));
	if (rc == 0)
		m->p[m->n++] = *out;
	return rc;
}

template <class BE> static void rn_free_all(rn_mem_t *m)
{
	for (int i = m->n - 1; i >= 0; i--)
		BE::release(m->p[i]);
	m->n = 0;
}

/* One block on the device: its shape, parameters and where it reads and writes. */
typedef struct {
	bnn_rblock_shape_t b;
	rn_sizes_t z;
	const float *x;          /* input, NHWC [n][h][w][c] */
	float *y;                /* output, NHWC [n][oh][ow][k] */
	uint32_t *xbits, *ubits; /* scratch */
	float *u;
	uint32_t *wp3, *wp1;
	int32_t *wsum3;
	float *chan;
} rn_block_t;

/*
 * Prepares block bk of shape b and parameters p (host) to read x and write y
 * (device): folds and copies the per-channel parameters, copies the weights
 * and packs them on the device. Scratch (xbits, ubits, u) must be set by the
 * caller. Allocations go to m. Returns 0 or -errno; synchronized.
 */
template <class BE>
static int rn_block_prepare(rn_mem_t *m, rn_block_t *bk, const bnn_rblock_shape_t *b,
			    const bnn_rblock_params_t *p)
{
	int64_t c = b->c, k = b->k;
	rn_sizes_t z = rn_block_sizes(b);
	float *hc = (float *)malloc((size_t)z.chan * sizeof(float));
	void *wtmp = NULL;
	int rc = -ENOMEM;
	bk->b = *b;
	bk->z = z;
	if (!hc)
		return -ENOMEM;
	bnn_rnet_fold_bn(p->w3, c, 9 * c, &p->bn1, hc + RN_M1 * c, hc + RN_C1 * c);
	memcpy(hc + RN_RS1 * c, p->rsign1, (size_t)c * sizeof(float));
	memcpy(hc + RN_RS2 * c, p->rsign2, (size_t)c * sizeof(float));
	memcpy(hc + RN_G1 * c, p->rp1.g, (size_t)c * sizeof(float));
	memcpy(hc + RN_S1 * c, p->rp1.slope, (size_t)c * sizeof(float));
	memcpy(hc + RN_Z1 * c, p->rp1.z, (size_t)c * sizeof(float));
	float *hk = hc + RN_PER_C * c;
	bnn_rnet_fold_bn(p->w1, k, c, &p->bn2, hk + RN_M2 * k, hk + RN_C2 * k);
	memcpy(hk + RN_G2 * k, p->rp2.g, (size_t)k * sizeof(float));
	memcpy(hk + RN_S2 * k, p->rp2.slope, (size_t)k * sizeof(float));
	memcpy(hk + RN_Z2 * k, p->rp2.z, (size_t)k * sizeof(float));
	if ((rc = rn_take<BE>(m, &bk->chan, 4 * z.chan)) != 0 ||
	    (rc = rn_take<BE>(m, &bk->wp3, 4 * z.wp3)) != 0 ||
	    (rc = rn_take<BE>(m, &bk->wsum3, 4 * z.wsum3)) != 0 ||
	    (rc = rn_take<BE>(m, &bk->wp1, 4 * z.wp1)) != 0 ||
	    (rc = BE::alloc(&wtmp, (size_t)(4 * z.wtmp))) != 0)
		goto out;
	if ((rc = BE::put(bk->chan, hc, (size_t)(4 * z.chan))) != 0)
		goto out;
	/* The weights arrive as floats and are packed where they will be used. */
	{
		rn_wpack_k pk3 = { (const float *)wtmp, bk->wp3, c, 9, c, z.cw, z.ng3 };
		rn_wsum_k ws3 = { bk->wp3, bk->wsum3, c, 9, c, z.cw };
		rn_wpack_k pk1 = { (const float *)wtmp, bk->wp1, k, 1, c, z.cw, z.ng1 };
		if ((rc = BE::put(wtmp, p->w3, (size_t)(9 * c * c) * sizeof(float))) != 0 ||
		    (rc = BE::launch(pk3, rn_blocks(z.wp3), 1)) != 0 ||
		    (rc = BE::launch(ws3, rn_blocks(z.wsum3), 1)) != 0 ||
		    (rc = BE::sync()) != 0 ||
		    (rc = BE::put(wtmp, p->w1, (size_t)(k * c) * sizeof(float))) != 0 ||
		    (rc = BE::launch(pk1, rn_blocks(z.wp1), 1)) != 0 || (rc = BE::sync()) != 0)
			goto out;
	}
	rc = 0;
out:
	if (wtmp)
		BE::release(wtmp);
	free(hc);
	return rc;
}

/* The block's device work: pack RSign1(x), the 3x3 conv and its transform,
 * the 1x1 conv and its transform; launched, not synchronized. */
template <class BE> static int rn_block_forward(const rn_block_t *bk)
{
	const bnn_rblock_shape_t *b = &bk->b;
	const rn_sizes_t *z = &bk->z;
	int64_t c = b->c;
	rn_pack_k pk = { bk->x, bk->chan + RN_RS1 * c, bk->xbits, b->n, b->h, b->w, c, z->cw, 1 };
	rn_conv3_k c3 = { bk->xbits, bk->wp3, bk->wsum3, bk->chan, bk->x, bk->u, bk->ubits,
			  b->h, b->w, c, z->cw, b->stride, b->oh, b->ow, z->pix };
	rn_conv1_k c1 = { bk->ubits, bk->wp1, bk->chan + RN_PER_C * c, bk->u, bk->y,
			  c, b->k, z->cw, z->pix };
	int rc;
	if ((rc = BE::launch(pk, rn_blocks(z->xbits), 1)) != 0 ||
	    (rc = BE::launch(c3, rn_blocks(z->pix), z->ng3)) != 0 ||
	    (rc = BE::launch(c1, rn_blocks(z->pix), z->ng1)) != 0)
		return rc;
	return 0;
}

/* State of the block op. */
typedef struct {
	rn_mem_t mem;
	rn_block_t bk;
	size_t nout;
} rn_rblock_state_t;

template <class BE> static void rn_rblock_release(void *state)
{
	rn_rblock_state_t *s = (rn_rblock_state_t *)state;
	if (!s)
		return;
	rn_free_all<BE>(&s->mem);
	free(s);
}

/* The kernel table's prepare for BNN_OP_RBLOCK: x and the parameters to the
 * device, weights packed there, the output poisoned (0xa5 bytes). */
template <class BE>
static int rn_rblock_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	const bnn_rblock_shape_t *b = &d->rblock;
	rn_rblock_state_t *s = (rn_rblock_state_t *)calloc(1, sizeof(*s));
	rn_sizes_t z = rn_block_sizes(b);
	float *x = NULL;
	int rc = -ENOMEM;
	*state = NULL;
	if (!s)
		return -ENOMEM;
	s->nout = (size_t)(z.pix * b->k);
	size_t nin = (size_t)(b->n * b->h * b->w * b->c);
	if ((rc = rn_take<BE>(&s->mem, &x, (int64_t)(4 * nin))) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &s->bk.y, (int64_t)(4 * s->nout))) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &s->bk.xbits, 4 * z.xbits)) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &s->bk.ubits, 4 * z.ubits)) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &s->bk.u, 4 * z.u)) != 0)
		goto out;
	s->bk.x = x;
	if ((rc = BE::put(x, in->a, 4 * nin)) != 0 ||
	    (rc = BE::fill(s->bk.y, 0xa5, 4 * s->nout)) != 0 ||
	    (rc = rn_block_prepare<BE>(&s->mem, &s->bk, b, (const bnn_rblock_params_t *)in->params)) != 0)
		goto out;
	*state = s;
	s = NULL;
out:
	rn_rblock_release<BE>(s);
	return rc;
}

template <class BE> static int rn_rblock_run(void *state)
{
	rn_rblock_state_t *s = (rn_rblock_state_t *)state;
	int rc = rn_block_forward<BE>(&s->bk);
	int rs = BE::sync();
	return rc ? rc : rs;
}

template <class BE> static int rn_rblock_fetch(void *state, void *out)
{
	rn_rblock_state_t *s = (rn_rblock_state_t *)state;
	return BE::get(out, s->bk.y, 4 * s->nout);
}

/* State of ReActNet-A. */
typedef struct {
	rn_mem_t mem;
	bnn_rnet_shape_t r;
	float *img;                            /* NCHW */
	float *stem;                           /* [27][32] weights, then m [32], c [32] */
	float *fc;                             /* [1024][1000] transposed, then the bias */
	float *act[BNN_RNET_BLOCKS + 1];       /* stage outputs, NHWC */
	rn_block_t bk[BNN_RNET_BLOCKS];
	float *pooled, *logits;
	float *host_stage[BNN_RNET_BLOCKS + 1];/* the stage hook's copies, on demand */
} rn_rnet_state_t;

template <class BE> static void rn_rnet_release(void *state)
{
	rn_rnet_state_t *s = (rn_rnet_state_t *)state;
	if (!s)
		return;
	rn_free_all<BE>(&s->mem);
	for (int i = 0; i <= BNN_RNET_BLOCKS; i++)
		free(s->host_stage[i]);
	free(s);
}

/* Elements of stage i's output and its NHWC dims. */
static inline int64_t rn_stage_dims(const bnn_rnet_shape_t *r, int i, int64_t dims[4])
{
	if (i == 0) {
		dims[0] = r->n, dims[1] = r->h / 2, dims[2] = r->w / 2, dims[3] = BNN_RNET_STEM_C;
	} else {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i - 1);
		dims[0] = b.n, dims[1] = b.oh, dims[2] = b.ow, dims[3] = b.k;
	}
	return dims[0] * dims[1] * dims[2] * dims[3];
}

/* The kernel table's prepare for BNN_OP_RNET: images and every parameter to
 * the device, binary weights packed there, stage outputs and logits poisoned. */
template <class BE>
static int rn_rnet_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	const bnn_rnet_shape_t *r = &d->rnet;
	const bnn_rnet_params_t *p = (const bnn_rnet_params_t *)in->params;
	const int64_t sc = BNN_RNET_STEM_C, nc = BNN_RNET_CLASSES, ni = BNN_RNET_FC_IN;
	rn_rnet_state_t *s = (rn_rnet_state_t *)calloc(1, sizeof(*s));
	int64_t nimg = r->n * 3 * r->h * r->w, xb = 0, ub = 0, uf = 0, dims[4];
	uint32_t *xbits, *ubits;
	float *u, *hs = NULL, *hf = NULL;
	int rc = -ENOMEM;
	*state = NULL;
	if (!s)
		return -ENOMEM;
	s->r = *r;
	hs = (float *)malloc((size_t)(29 * sc) * sizeof(float));
	hf = (float *)malloc((size_t)((ni + 1) * nc) * sizeof(float));
	if (!hs || !hf)
		goto out;
	/* The CPU template's stem and FC layouts and its BN fold, expression for expression. */
	for (int64_t o = 0; o < sc; o++) {
		for (int64_t t = 0; t < 27; t++)
			hs[t * sc + o] = p->stem_w[o * 27 + t];
		double inv = 1.0 / sqrt((double)p->stem_bn.var[o] + (double)BNN_BN_EPS);
		hs[27 * sc + o] = (float)(p->stem_bn.gamma[o] * inv);
		hs[28 * sc + o] = (float)(p->stem_bn.beta[o] -
					  (double)p->stem_bn.mean[o] * p->stem_bn.gamma[o] * inv);
	}
	for (int64_t o = 0; o < nc; o++) {
		for (int64_t i = 0; i < ni; i++)
			hf[i * nc + o] = p->fc_w[o * ni + i];
		hf[ni * nc + o] = p->fc_b[o];
	}
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		rn_sizes_t z = rn_block_sizes(&b);
		xb = z.xbits > xb ? z.xbits : xb;
		ub = z.ubits > ub ? z.ubits : ub;
		uf = z.u > uf ? z.u : uf;
	}
	if ((rc = rn_take<BE>(&s->mem, &s->img, 4 * nimg)) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &s->stem, 4 * 29 * sc)) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &s->fc, 4 * (ni + 1) * nc)) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &s->pooled, 4 * r->n * ni)) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &s->logits, 4 * r->n * nc)) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &xbits, 4 * xb)) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &ubits, 4 * ub)) != 0 ||
	    (rc = rn_take<BE>(&s->mem, &u, 4 * uf)) != 0)
		goto out;
	if ((rc = BE::put(s->img, in->a, (size_t)(4 * nimg))) != 0 ||
	    (rc = BE::put(s->stem, hs, (size_t)(4 * 29 * sc))) != 0 ||
	    (rc = BE::put(s->fc, hf, (size_t)(4 * (ni + 1) * nc))) != 0 ||
	    (rc = BE::fill(s->logits, 0xa5, (size_t)(4 * r->n * nc))) != 0)
		goto out;
	for (int i = 0; i <= BNN_RNET_BLOCKS; i++) {
		int64_t cnt = rn_stage_dims(r, i, dims);
		if ((rc = rn_take<BE>(&s->mem, &s->act[i], 4 * cnt)) != 0 ||
		    (rc = BE::fill(s->act[i], 0xa5, (size_t)(4 * cnt))) != 0)
			goto out;
	}
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		rn_block_t *bk = &s->bk[i];
		/* Blocks run one after the other on one stream: one scratch serves all. */
		bk->x = s->act[i];
		bk->y = s->act[i + 1];
		bk->xbits = xbits;
		bk->ubits = ubits;
		bk->u = u;
		if ((rc = rn_block_prepare<BE>(&s->mem, bk, &b, &p->block[i])) != 0)
			goto out;
	}
	*state = s;
	s = NULL;
out:
	free(hs);
	free(hf);
	rn_rnet_release<BE>(s);
	return rc;
}

/*
 * Stem, 13 blocks, pool, FC; synchronized. With ns (the profile hook), a
 * time stamp (BE::mark) before the stem and after each stage, and each
 * stage's time (stem, blocks, head) into ns[0..BNN_PROFILE_MAX).
 */
template <class BE> static int rn_rnet_forward(void *state, double *ns)
{
	rn_rnet_state_t *s = (rn_rnet_state_t *)state;
	const bnn_rnet_shape_t *r = &s->r;
	bnn_rblock_shape_t last = bnn_rnet_block(r, BNN_RNET_BLOCKS - 1);
	rn_stem_k stem = { s->img, s->stem, s->act[0], r->n, r->h, r->w };
	rn_pool_k pool = { s->act[BNN_RNET_BLOCKS], s->pooled, r->n, last.oh * last.ow, last.k };
	rn_fc_k fc = { s->pooled, s->fc, s->logits, r->n };
	int rc = ns ? BE::mark(0) : 0;
	if (rc == 0)
		rc = BE::launch(stem, rn_blocks(r->n * (r->h / 2) * (r->w / 2) * BNN_RNET_STEM_C),
				1);
	if (rc == 0 && ns)
		rc = BE::mark(1);
	for (int i = 0; rc == 0 && i < BNN_RNET_BLOCKS; i++) {
		rc = rn_block_forward<BE>(&s->bk[i]);
		if (rc == 0 && ns)
			rc = BE::mark(i + 2);
	}
	if (rc == 0)
		rc = BE::launch(pool, rn_blocks(r->n * last.k), 1);
	if (rc == 0)
		rc = BE::launch(fc, rn_blocks(r->n * BNN_RNET_CLASSES), 1);
	if (rc == 0 && ns)
		rc = BE::mark(BNN_PROFILE_MAX);
	int rs = BE::sync();
	if (rc == 0 && rs == 0 && ns)
		rc = BE::stage_ns(ns, BNN_PROFILE_MAX);
	return rc ? rc : rs;
}

template <class BE> static int rn_rnet_run(void *state)
{
	return rn_rnet_forward<BE>(state, NULL);
}

/* The profile hook (bnn_kernels.h): one more run, its stages timed. */
template <class BE> static int rn_rnet_profile(void *state, double *ns, int max)
{
	if (max < BNN_PROFILE_MAX)
		return -EINVAL;
	int rc = rn_rnet_forward<BE>(state, ns);
	return rc ? rc : BNN_PROFILE_MAX;
}

template <class BE> static int rn_rnet_fetch(void *state, void *out)
{
	rn_rnet_state_t *s = (rn_rnet_state_t *)state;
	return BE::get(out, s->logits, (size_t)(4 * s->r.n * BNN_RNET_CLASSES));
}

/* The stage hook: stage i's output of the last run, copied to a host buffer
 * of the state on demand; NULL past the last stage or when the copy fails. */
template <class BE> static const float *rn_rnet_stage(void *state, int i, int64_t dims[4])
{
	rn_rnet_state_t *s = (rn_rnet_state_t *)state;
	if (i < 0 || i > BNN_RNET_BLOCKS)
		return NULL;
	int64_t cnt = rn_stage_dims(&s->r, i, dims);
	if (!s->host_stage[i] &&
	    !(s->host_stage[i] = (float *)malloc((size_t)cnt * sizeof(float))))
		return NULL;
	if (BE::get(s->host_stage[i], s->act[i], (size_t)(4 * cnt)) != 0)
		return NULL;
	return s->host_stage[i];
}

#endif
