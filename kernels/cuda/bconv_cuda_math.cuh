/*
 * The per-thread (and per-lane) math of the GPU convolutions
 * (kernels/cuda/bconv_cuda.cu), as __host__ __device__ functions of explicit
 * indices: each __global__ kernel there only turns blockIdx/threadIdx into
 * those indices, so that tests/test_cuda_conv_host.cu can run the very same
 * bodies over the whole grid on the CPU, with no GPU, against reference/.
 * C++ only (nvcc); never included from C.
 *
 * Shapes, encoding and padding: include/bnn_shape.h, doc/bnn-math.md sections 1 to 5.
 * Packed layouts (32-bit words, bit j of word wd is channel 32*wd + j of the
 * row, bit = (v < 0): bit 1 means -1, spare bits past cg are 0):
 *   image   xb[(pix * groups + g) * cw + wd], pix = (b * h + iy) * w + ix,
 *           v = x (+ rsign[g * cg + ci] when an RSign shift is given);
 *           no padding border: a tap outside the image is an index test.
 *   filters wb[(o * taps + t) * cw + wd], t = ky * kw + kx (OHWI rows).
 * cw, the words per packed channel row, is ceil(cg / 32) in every kernel;
 * the tensor-core GEMM reads a filter's taps' rows back to back as its K.
 */
#ifndef BNN_BCONV_CUDA_MATH_CUH
#define BNN_BCONV_CUDA_MATH_CUH

#include <stdint.h>
#include <math.h>
#include "bnn_shape.h"

#define BC_HD __host__ __device__ inline

/* Filters per thread in the CUDA-core kernels (one pixel, BC_FO filters). */
#define BC_FO 8
/* Tensor-core block tile: BC_TM output pixels x BC_TN filters, 4 warps of 32 x 32. */
#define BC_TM 64
#define BC_TN 64
#define BC_WM 2   /* 16-row mma tiles per warp */
#define BC_WN 4   /* 8-column mma tiles per warp */

/* The convolution as the device sees it: bnn_conv_shape_t plus what follows. */
typedef struct {
	int64_t n, h, w, c, k, kh, kw, stride, pad, dil, groups, oh, ow;
	int64_t cg, kg, taps;   /* channels and filters per group, kh * kw */
	int64_t cw;             /* 32-bit words per packed channel row */
	int64_t pix;            /* output pixels n * oh * ow */
	int pad_value;          /* the binarized padding: 0 or +1 */
} bc_geom_t;

/* Threads per block of the one-dimensional grids. */
#define BC_THREADS 128

/* Blocks of BC_THREADS covering threads (the launch rounds up; each body guards its index). */
static inline int64_t bc_blocks(int64_t threads)
{
	return (threads + BC_THREADS - 1) / BC_THREADS;
}

/* The device geometry of a valid shape (bnn_conv_shape_finish done). */
static inline bc_geom_t bc_geom_make(const bnn_conv_shape_t *c)
{
	bc_geom_t s;
	s.n = c->n, s.h = c->h, s.w = c->w, s.c = c->c, s.k = c->k, s.kh = c->kh, s.kw = c->kw;
	s.stride = c->stride, s.pad = c->pad, s.dil = c->dil, s.groups = c->groups;
	s.oh = c->oh, s.ow = c->ow, s.pad_value = c->pad_value;
	s.cg = c->c / c->groups;
	s.kg = c->k / c->groups;
	s.taps = c->kh * c->kw;
	s.cw = (s.cg + 31) / 32;
	s.pix = c->n * c->oh * c->ow;
	return s;
}

BC_HD int bc_popc32(uint32_t x)
{
#ifdef __CUDA_ARCH__
	return __popc(x);
#else
	return __builtin_popcount(x);
#endif
}

/* ---- packing ---- */

/*
 * Word idx of a packed [rows][groups][cw] array from float rows of ld
 * values: row r, group g, word wd takes values r * ld + g * cg + 32 * wd + j
 * for the j with 32 * wd + j < cg. shift (may be NULL) is added per channel
 * g * cg + ci first, in float, as the CPU kernels' RSign packing does
 * (doc/bnn-math.md section 6: x == -shift gives +1).
 */
BC_HD uint32_t bc_pack_word(const float *x, const float *shift, int64_t groups, int64_t cg,
			    int64_t ld, int64_t cw, int64_t idx)
{
	int64_t wd = idx % cw, rg = idx / cw;
	int64_t g = rg % groups, r = rg / groups;
	const float *src = x + r * ld + g * cg;
	uint32_t bits = 0;
	for (int j = 0; j < 32; j++) {
		int64_t ci = 32 * wd + j;
		if (ci >= cg)
			break;
		float v = shift ? src[ci] + shift[g * cg + ci] : src[ci];
		bits |= (uint32_t)(v < 0.0f) << j;
	}
	return bits;
}

/*
 * Launches bc_pack_word over a packed [rows][groups][cw] array on the
 * default stream (bconv_cuda.cu): the NHWC image d_x of rows pixels of
 * groups * cg floats each, with the RSign shift d_shift (groups * cg floats,
 * or NULL), into d_out. For reuse by a GPU ReActNet block, whose binary
 * convs binarize RSign(x). Returns the launch status.
 */
#ifdef __CUDACC__
cudaError_t bnn_cuda_conv_pack(const float *d_x, const float *d_shift, int64_t rows,
			       int64_t groups, int64_t cg, int64_t cw, uint32_t *d_out);
#endif

/* popc of packed row idx (of cw words): the -1 count of one (pixel, group). */
BC_HD int32_t bc_row_popc(const uint32_t *p, int64_t cw, int64_t idx)
{
	int32_t s = 0;
	for (int64_t j = 0; j < cw; j++)
		s += bc_popc32(p[idx * cw + j]);
	return s;
}

/*
 * Host side, in prepare: wsum[o * taps + t] = cg - 2 * (the -1 count of
 * filter o's tap t), what a +1-padded tap adds, and wpop[o] = the -1 count
 * of filter o over all taps, from the float OHWI weights (sign rule of
 * doc/bnn-math.md section 1: -0.0 is +1, the same test as bc_pack_word).
 */
static inline void bc_weight_sums(const bc_geom_t &s, const float *w, int32_t *wsum,
				  int32_t *wpop)
{
	for (int64_t o = 0; o < s.k; o++) {
		wpop[o] = 0;
		for (int64_t t = 0; t < s.taps; t++) {
			int32_t neg = 0;
			for (int64_t ci = 0; ci < s.cg; ci++)
				neg += w[(o * s.taps + t) * s.cg + ci] < 0.0f;
			wsum[o * s.taps + t] = (int32_t)s.cg - 2 * neg;
			wpop[o] += neg;
		}
	}
}

/* ---- CUDA cores: binary conv, XOR + popc ---- */

/* Filter blocks of BC_FO per group, and the threads of the CUDA-core grids. */
BC_HD int64_t bc_fblocks(const bc_geom_t &s)
{
	return (s.kg + BC_FO - 1) / BC_FO;
}

BC_HD int64_t bc_fo_threads(const bc_geom_t &s)
{
	return s.pix * s.groups * bc_fblocks(s);
}

/* What CUDA-core thread idx computes: output pixel p = (b, oy, ox), and
 * filters o0 .. o0 + nf - 1 of group g. */
typedef struct {
	int64_t p, b, oy, ox, g, o0, nf;
} bc_fo_t;

BC_HD bc_fo_t bc_fo_map(const bc_geom_t &s, int64_t idx)
{
	bc_fo_t t;
	int64_t fb = idx / s.pix, nfb = bc_fblocks(s), j0 = fb % nfb * BC_FO;
	t.p = idx % s.pix;
	t.g = fb / nfb;
	t.nf = s.kg - j0 < BC_FO ? s.kg - j0 : BC_FO;
	t.o0 = t.g * s.kg + j0;
	t.b = t.p / (s.oh * s.ow);
	t.oy = t.p / s.ow % s.oh;
	t.ox = t.p % s.ow;
	return t;
}

/*
 * Thread idx of the CUDA-core conv: output pixel p = idx % pix (neighbouring
 * threads, neighbouring pixels, the same filters: the weight loads are the
 * same address across a warp), filters o0 .. o0 + nf - 1 of one group.
 * Out-of-image taps are skipped; each adds wsum[o][t] = sum of the tap's
 * signed weights when the padding is +1, nothing when it is 0 (doc/bnn-math.md
 * section 5). dot = valid * cg - 2 popc(x XOR w) over the valid taps.
 */
BC_HD void bc_popc_thread(const bc_geom_t &s, const uint32_t *xb, const uint32_t *wb,
			  const int32_t *wsum, int64_t idx, int32_t *out)
{
	if (idx >= bc_fo_threads(s))
		return;
	const bc_fo_t t = bc_fo_map(s, idx);
	const int64_t p = t.p, g = t.g, nf = t.nf, o0 = t.o0, b = t.b, oy = t.oy, ox = t.ox;
	int32_t acc[BC_FO], corr[BC_FO];
	int32_t valid = 0;
#pragma unroll
	for (int f = 0; f < BC_FO; f++)
		acc[f] = corr[f] = 0;
	for (int64_t ky = 0; ky < s.kh; ky++) {
		int64_t iy = oy * s.stride - s.pad + ky * s.dil;
		for (int64_t kx = 0; kx < s.kw; kx++) {
			int64_t ix = ox * s.stride - s.pad + kx * s.dil;
			int64_t t = ky * s.kw + kx;
			if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) {
				if (s.pad_value)
#pragma unroll
					for (int f = 0; f < BC_FO; f++)
						if (f < nf)
							corr[f] += wsum[(o0 + f) * s.taps + t];
				continue;
			}
			valid++;
			const uint32_t *xp = xb + (((b * s.h + iy) * s.w + ix) * s.groups + g) * s.cw;
			const uint32_t *wp = wb + (o0 * s.taps + t) * s.cw;
			for (int64_t wd = 0; wd < s.cw; wd++) {
				uint32_t xv = xp[wd];
#pragma unroll
				for (int f = 0; f < BC_FO; f++)
					if (f < nf)
						acc[f] += bc_popc32(xv ^ wp[f * s.taps * s.cw + wd]);
			}
		}
	}
#pragma unroll
	for (int f = 0; f < BC_FO; f++)
		if (f < nf)
			out[p * s.k + o0 + f] = valid * (int32_t)s.cg - 2 * acc[f] + corr[f];
}

/* ---- CUDA cores: BWN, float activations times weight bits ---- */

/*
 * Thread idx of the BWN conv (same mapping as bc_popc_thread): real x
 * plus or minus by the weight bit, summed in float in the order of the
 * generic kernel (taps, then channels); padding contributes 0 (doc/bnn-math.md
 * section 3: real activations pad with 0). y = alpha[o] * sum.
 */
BC_HD void bc_bwn_thread(const bc_geom_t &s, const float *x, const uint32_t *wb,
			 const float *alpha, int64_t idx, float *out)
{
	if (idx >= bc_fo_threads(s))
		return;
	const bc_fo_t t = bc_fo_map(s, idx);
	const int64_t p = t.p, g = t.g, nf = t.nf, o0 = t.o0, b = t.b, oy = t.oy, ox = t.ox;
	float acc[BC_FO];
#pragma unroll
	for (int f = 0; f < BC_FO; f++)
		acc[f] = 0.0f;
	for (int64_t ky = 0; ky < s.kh; ky++) {
		int64_t iy = oy * s.stride - s.pad + ky * s.dil;
		if (iy < 0 || iy >= s.h)
			continue;
		for (int64_t kx = 0; kx < s.kw; kx++) {
			int64_t ix = ox * s.stride - s.pad + kx * s.dil;
			if (ix < 0 || ix >= s.w)
				continue;
			int64_t t = ky * s.kw + kx;
			const float *xp = x + ((b * s.h + iy) * s.w + ix) * s.c + g * s.cg;
			const uint32_t *wp = wb + (o0 * s.taps + t) * s.cw;
			for (int64_t wd = 0; wd < s.cw; wd++) {
				uint32_t wv[BC_FO];
#pragma unroll
				for (int f = 0; f < BC_FO; f++)
					wv[f] = f < nf ? wp[f * s.taps * s.cw + wd] : 0u;
				int64_t cn = s.cg - 32 * wd < 32 ? s.cg - 32 * wd : 32;
				for (int64_t j = 0; j < cn; j++) {
					float xv = xp[32 * wd + j];
#pragma unroll
					for (int f = 0; f < BC_FO; f++)
						acc[f] += (wv[f] >> j) & 1u ? -xv : xv;
				}
			}
		}
	}
#pragma unroll
	for (int f = 0; f < BC_FO; f++)
		if (f < nf)
			out[p * s.k + o0 + f] = alpha[o0 + f] * acc[f];
}

/* ---- XNOR-Net scaling (doc/bnn-math.md section 4) ---- */

/* Input pixel q: A = (sum of |x| over all c channels, in float) / c. */
BC_HD void bc_amap_thread(const bc_geom_t &s, const float *x, int64_t q, float *amap)
{
	if (q >= s.n * s.h * s.w)
		return;
	float sum = 0.0f;
	for (int64_t ci = 0; ci < s.c; ci++)
		sum += fabsf(x[q * s.c + ci]);
	amap[q] = sum / (float)s.c;
}

/* Output pixel p: the K-map, A summed over the in-image taps, over kh * kw. */
BC_HD void bc_kmap_thread(const bc_geom_t &s, const float *amap, int64_t p, float *kmap)
{
	if (p >= s.pix)
		return;
	int64_t b = p / (s.oh * s.ow), oy = p / s.ow % s.oh, ox = p % s.ow;
	float sum = 0.0f;
	for (int64_t ky = 0; ky < s.kh; ky++) {
		int64_t iy = oy * s.stride - s.pad + ky * s.dil;
		if (iy < 0 || iy >= s.h)
			continue;
		for (int64_t kx = 0; kx < s.kw; kx++) {
			int64_t ix = ox * s.stride - s.pad + kx * s.dil;
			if (ix >= 0 && ix < s.w)
				sum += amap[(b * s.h + iy) * s.w + ix];
		}
	}
	kmap[p] = sum / (float)s.taps;
}

/* Output element i: y = alpha[o] * beta * dot, beta the K-map (paper) or 1 (released). */
BC_HD void bc_xnor_scale_thread(const bc_geom_t &s, const int32_t *dot, const float *alpha,
				const float *kmap, int64_t i, float *y)
{
	if (i >= s.pix * s.k)
		return;
	float beta = kmap ? kmap[i / s.k] : 1.0f;
	y[i] = alpha[i % s.k] * beta * (float)dot[i];
}

/* ---- 1-bit tensor cores: implicit GEMM, mma m16n8k256 .and.popc ---- */

/*
 * The GEMM of group g: rows are output pixels, columns the group's filters,
 * K the filter's packed rows of every tap back to back (word kw = t * cw +
 * wd, taps * cw words; spare channel bits are zero on both sides), in mma
 * steps of 8 words (256 bits), zero words past the end. Small channel
 * counts thus share a step between taps (32 channels: 9 taps in 2 steps).
 * Grid: x = ceil(pix / BC_TM) pixel tiles, y = groups * ceil(kg / BC_TN).
 */
BC_HD int64_t bc_mma_ntiles(const bc_geom_t &s)
{
	return (s.kg + BC_TN - 1) / BC_TN;
}

BC_HD int64_t bc_mma_mtiles(const bc_geom_t &s)
{
	return (s.pix + BC_TM - 1) / BC_TM;
}

BC_HD int64_t bc_mma_ksteps(const bc_geom_t &s)
{
	return (s.taps * s.cw + 7) / 8;
}

/* One A row, an output pixel, located once before the K loop. */
typedef struct {
	int64_t b;       /* image */
	int64_t iy0, ix0;/* input position of tap (0, 0) */
	int ok;          /* the pixel exists (the last tile may run past pix) */
} bc_row_t;

BC_HD bc_row_t bc_row(const bc_geom_t &s, int64_t p)
{
	bc_row_t r;
	r.ok = p < s.pix;
	if (!r.ok)
		p = 0;
	r.b = p / (s.oh * s.ow);
	r.iy0 = p / s.ow % s.oh * s.stride - s.pad;
	r.ix0 = p % s.ow * s.stride - s.pad;
	return r;
}

/* Where K word kw lies: tap (ky, kx), word wd of its row; ok = 0 past the end of K. */
typedef struct {
	int ky, kx, wd, ok;
} bc_kpos_t;

/* 32-bit: taps * cw < 2^31 (bnn_bconv_supports__cuda_mma_b1), and cheaper divisions. */
BC_HD bc_kpos_t bc_kpos(const bc_geom_t &s, int64_t kw)
{
	bc_kpos_t q;
	int cw = (int)s.cw, k = (int)kw;
	q.ok = kw < s.taps * s.cw;
	if (!q.ok)
		k = 0;
	int t = k / cw;
	q.wd = k % cw;
	q.ky = t / (int)s.kw;
	q.kx = t % (int)s.kw;
	return q;
}

/* Tile indices: the pixel of mma row r16 (0..15) of row tile i of a warp of block (bx, .). */
BC_HD int64_t bc_tile_pixel(int64_t bx, int warp, int i, int r16)
{
	return bx * BC_TM + (warp / 2) * 32 + 16 * i + r16;
}

/* The filter (within group) of mma column n8 (0..7) of column tile jj; by = group * ntiles + tile. */
BC_HD int64_t bc_tile_filter(const bc_geom_t &s, int64_t by, int warp, int jj, int n8)
{
	return by % bc_mma_ntiles(s) * BC_TN + (warp % 2) * 32 + 8 * jj + n8;
}

BC_HD int64_t bc_tile_group(const bc_geom_t &s, int64_t by)
{
	return by / bc_mma_ntiles(s);
}

/*
 * K word q of row r (an output pixel) in group g; zero (i.e. +1 padding,
 * as the identity of bc_lane_store assumes) outside the image, past the
 * last pixel and past the end of K.
 */
BC_HD uint32_t bc_load_a(const bc_geom_t &s, const uint32_t *xb, const bc_row_t &r, int64_t g,
			 const bc_kpos_t &q)
{
	int64_t iy = r.iy0 + q.ky * s.dil, ix = r.ix0 + q.kx * s.dil;
	if (!r.ok || !q.ok || iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
		return 0;
	return xb[(((r.b * s.h + iy) * s.w + ix) * s.groups + g) * s.cw + q.wd];
}

/* K word kw of filter j (within group g); zero past the group's filters and past K. */
BC_HD uint32_t bc_load_b(const bc_geom_t &s, const uint32_t *wb, int64_t g, int64_t j,
			 int64_t kw)
{
	if (j >= s.kg || kw >= s.taps * s.cw)
		return 0;
	return wb[(g * s.kg + j) * s.taps * s.cw + kw];
}

/*
 * A lane's fragments of K step ks (PTX b1 m16n8k256; gq = lane / 4,
 * tq = lane % 4): a[i] = {row gq word tq, row gq+8 word tq, row gq word
 * tq+4, row gq+8 word tq+4} of row tile i, b[jj] = {word tq, word tq+4} of
 * column gq of column tile jj, words counted from 8 ks. rows[i][0/1] are
 * the lane's rows gq / gq+8.
 */
BC_HD void bc_lane_frags(const bc_geom_t &s, const uint32_t *xb, const uint32_t *wb,
			 const bc_row_t (&rows)[BC_WM][2], int64_t g, int64_t by, int warp,
			 int gq, int tq, int64_t ks, uint32_t (&a)[BC_WM][4],
			 uint32_t (&bf)[BC_WN][2])
{
	int64_t kw0 = 8 * ks + tq, kw1 = kw0 + 4;
	bc_kpos_t q0 = bc_kpos(s, kw0), q1 = bc_kpos(s, kw1);
#pragma unroll
	for (int i = 0; i < BC_WM; i++) {
		a[i][0] = bc_load_a(s, xb, rows[i][0], g, q0);
		a[i][1] = bc_load_a(s, xb, rows[i][1], g, q0);
		a[i][2] = bc_load_a(s, xb, rows[i][0], g, q1);
		a[i][3] = bc_load_a(s, xb, rows[i][1], g, q1);
	}
#pragma unroll
	for (int jj = 0; jj < BC_WN; jj++) {
		int64_t j = bc_tile_filter(s, by, warp, jj, gq);
		bf[jj][0] = bc_load_b(s, wb, g, j, kw0);
		bf[jj][1] = bc_load_b(s, wb, g, j, kw1);
	}
}

/* The lane's rows, once per block: rows[i][h] is mma row gq + 8h of row tile i. */
BC_HD void bc_lane_rows(const bc_geom_t &s, int64_t bx, int warp, int gq,
			bc_row_t (&rows)[BC_WM][2])
{
#pragma unroll
	for (int i = 0; i < BC_WM; i++)
#pragma unroll
		for (int h = 0; h < 2; h++)
			rows[i][h] = bc_row(s, bc_tile_pixel(bx, warp, i, gq + 8 * h));
}

/*
 * Epilogue of one lane: c[i][jj] = {(gq, 2tq), (gq, 2tq+1), (gq+8, 2tq),
 * (gq+8, 2tq+1)} hold popc(A AND B). With +1 padding (zero A bits) the AND
 * identity over the whole K of n = taps * cg gives the +1-padded dot:
 * 4 acc - 2 popc(A row) - 2 popc(B column) + n, where popc(A row) sums
 * apop (the image's per-pixel, per-group popcounts) over the in-image taps
 * and wpop is the filter's popcount over all taps. For zero padding, each
 * out-of-image tap's wsum (what +1 padding added there) is subtracted
 * (doc/bnn-math.md section 5). Writes out[p * k + o], p < pix and j < kg only.
 */
BC_HD void bc_lane_store(const bc_geom_t &s, const int32_t *apop, const int32_t *wpop,
			 const int32_t *wsum, const bc_row_t (&rows)[BC_WM][2], int64_t bx,
			 int64_t by, int warp, int gq, int tq, const int (&c)[BC_WM][BC_WN][4],
			 int32_t *out)
{
	int64_t g = bc_tile_group(s, by);
	int32_t n = (int32_t)(s.taps * s.cg);
#pragma unroll
	for (int i = 0; i < BC_WM; i++)
#pragma unroll
		for (int h = 0; h < 2; h++) {
			const bc_row_t &r = rows[i][h];
			if (!r.ok)
				continue;
			int64_t p = bc_tile_pixel(bx, warp, i, gq + 8 * h);
			int32_t rowpop = 0;
			int border = 0;
			for (int64_t ky = 0; ky < s.kh; ky++)
				for (int64_t kx = 0; kx < s.kw; kx++) {
					int64_t iy = r.iy0 + ky * s.dil, ix = r.ix0 + kx * s.dil;
					if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
						border = 1;
					else
						rowpop += apop[((r.b * s.h + iy) * s.w + ix) * s.groups + g];
				}
#pragma unroll
			for (int jj = 0; jj < BC_WN; jj++)
#pragma unroll
				for (int e = 0; e < 2; e++) {
					int64_t j = bc_tile_filter(s, by, warp, jj, 2 * tq + e);
					if (j >= s.kg)
						continue;
					int64_t o = g * s.kg + j;
					int32_t dot = 4 * c[i][jj][2 * h + e] - 2 * rowpop - 2 * wpop[o] + n;
					if (border && s.pad_value == 0)
						for (int64_t ky = 0; ky < s.kh; ky++)
							for (int64_t kx = 0; kx < s.kw; kx++) {
								int64_t iy = r.iy0 + ky * s.dil;
								int64_t ix = r.ix0 + kx * s.dil;
								if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
									dot -= wsum[o * s.taps + ky * s.kw + kx];
							}
					out[p * s.k + o] = dot;
				}
		}
}

#endif
