/*
 * reactnet_loops.h: the element-wise loops of the ReActNet template
 * (reactnet.c) and the states they read: the blocks' output transforms, the
 * stem and the head. Included once by reactnet.c (generic build) and once by
 * each ISA folder that compiles them with its own flags; each includer
 * defines its bnn_rnet_loops_t with BNN_RNET_LOOPS_DEFINE. The arithmetic is
 * the same in every build (element-wise, no contraction under -std=c11),
 * so every build gives the same bits.
 */
#ifndef BNN_REACTNET_LOOPS_H
#define BNN_REACTNET_LOOPS_H

/*
 * The output transforms, the stem and the FC are element-wise float loops
 * with no reduction across lanes: vectorizing them changes no result. GCC's
 * -O2 cost model declines to, and RPReLU's compare counts as control flow
 * while floating-point traps are assumed (bnnbench never enables them).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic", "no-trapping-math")
#endif
#include <math.h>
#include <string.h>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include "bnn_reactnet.h"
#include "generic/generic.h"
#include "parallel.h"

/* A conv kernel of the table, prepared on one shape. */
typedef struct {
	const bnn_kernel_t *k;
	void *state;
} conv_inst_t;

/*
 * A stage's output packed as it is made, for the next block's 3x3 conv
 * (that conv's own_x, the direct layout of direct.h), so that the next
 * block need not read the float activations back from memory to pack
 * them: bit l of word w of output pixel (n, y, x) is set when
 * out[32w + l] + shift[32w + l] < 0 (ordered), the packing's test. x is
 * NULL when the stage packs nothing.
 */
typedef struct {
	uint32_t *base;                /* the packed image (own_x), or NULL */
	uint32_t *x;                   /* word 0 of image 0 of the current call */
	const float *shift;            /* the next block's RSign shift, or NULL */
	int64_t pw, rowdw, imgdw, pad; /* the packed image's layout */
} bnn_rnet_pk_t;

/* Word 0 of pixel (n, y, x) of pk's packed image. */
static inline uint32_t *pk_at(const bnn_rnet_pk_t *pk, int64_t n, int64_t y, int64_t x)
{
	return pk->x + n * pk->imgdw + (y + pk->pad) * pk->rowdw + x + pk->pad;
}

/*
 * A block packs its input for the 3x3 conv, then walks the output pixels
 * in bands of whole rows sized to stay in the core's L2 (rblock_band_rows
 * in reactnet.c): per band, each thread computes its rows of the 3x3 conv
 * into acc3 and runs transform1 on them, writing u, while they are in its
 * cache (conv3_t1; a conv kernel without rows_own computes the whole 3x3
 * result into acc3 first); the 1x1 conv over the band's pixels (a conv
 * instance on the band's shape, reading u: a 1x1 conv needs no
 * neighbours) packs u and writes acc1, and transform2 reads acc1 and u
 * while both are still in cache (in a network, also packing y for the
 * next block's 3x3 conv). acc3 holds a band when the 3x3 conv runs
 * by rows, else the whole 3x3 result; u and acc1 hold one band; the
 * network's blocks share the three (one allocation each, sized for the
 * largest need).
 */
struct bnn_rblock_state {
	bnn_rblock_shape_t b;
	const bnn_rblock_params_t *p;
	const float *x;                /* the block's input, NHWC */
	conv_inst_t conv3;
	conv_inst_t conv1[2];          /* the 1x1 conv of a band, of the last if shorter */
	int64_t nbands, band;          /* bands of band output pixels (the last shorter) */
	float *m1, *c1;                /* [c]: alpha3 and BN1 folded */
	float *m2, *c2;                /* [k]: alpha1 and BN2 folded */
	int32_t *acc3;                 /* [pixels][c]: the 3x3 conv's integer results, of
					* the whole batch, or of a band when band3 */
	int32_t *acc3q;                /* acc3 of the current band's first pixel */
	/* The 3x3 conv's template state when it runs by rows (its rows_own,
	 * after its pack_own), else NULL: then each thread computes its rows
	 * of a band and transform 1 reads them from its cache (conv3_t1). */
	bnn_conv_state_t *band3;
	int32_t *acc1;                 /* [band][k]: the band's 1x1 conv results */
	float *u;                      /* [band][c]: RPReLU1 output, the 1x1 conv's input */
	int own_scratch;               /* acc3, acc1 and u are this block's to free */
	const bnn_rnet_loops_t *loops;
	float *y;                      /* output of the current run */
	int64_t q0;                    /* first output pixel of the current band */
	double *prof;                  /* profiled run: conv3, t1, conv1, t2 ns (added up) */
	/* Transform 2 also packs y for the next block (pk.x set per call by
	 * the network), and this block's input was packed so by the block
	 * before (prepacked: no pack_own of its own). */
	bnn_rnet_pk_t pk;
	int prepacked;
};

/* RPReLU (doc/bnn-math.md section 6); at v == g both branches give z. Written as a
 * select of the slope so that the loops around it vectorize: v - g > 0
 * exactly when v > g (gradual underflow), and 1 * d is d. */
static inline float rprelu(float v, float g, float slope, float z)
{
	float d = v - g;
	float s = d > 0.0f ? 1.0f : slope;
	return s * d + z;
}

/*
 * The transforms in vectors of BNN_RV floats (GCC and clang vector
 * extensions: element-wise, the same operations in the same order as the
 * scalar rprelu, so the same bits), over tiles of BNN_TILE_PX pixels: each
 * vector of per-channel coefficients is loaded once per tile instead of
 * once per pixel. Channel counts that are no multiple of BNN_RV take the
 * scalar loops.
 */
#if defined(__AVX512F__)
#define BNN_RV 16
#elif defined(__AVX2__)
#define BNN_RV 8
#else
#define BNN_RV 4
#endif
#define BNN_TILE_PX 4
typedef float bnn_vf_t __attribute__((vector_size(BNN_RV * 4)));
typedef int32_t bnn_vi_t __attribute__((vector_size(BNN_RV * 4)));

static inline bnn_vf_t vload(const float *p)
{
	bnn_vf_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline bnn_vf_t vload_acc(const int32_t *p)
{
	bnn_vi_t v;
	memcpy(&v, p, sizeof(v));
	return __builtin_convertvector(v, bnn_vf_t);
}

/* rprelu on a vector: the slope is exactly 1 or slope, picked by bits. */
static inline bnn_vf_t vrprelu(bnn_vf_t v, bnn_vf_t g, bnn_vf_t slope, bnn_vf_t z)
{
	const bnn_vf_t one = (bnn_vf_t){ 0 } + 1.0f;
	bnn_vf_t d = v - g;
	bnn_vi_t pos = d > (bnn_vf_t){ 0 };
	bnn_vf_t s = (bnn_vf_t)((pos & (bnn_vi_t)one) | (~pos & (bnn_vi_t)slope));
	return s * d + z;
}

/* Bit l set when v[l] + sh[l] < 0 (ordered, as the conv's packing tests
 * it): one compare to a mask where the ISA has one. */
static inline uint32_t vsignbits(bnn_vf_t v, bnn_vf_t sh)
{
	v += sh;
#if defined(__AVX512F__)
	__m512 x;
	memcpy(&x, &v, sizeof(x));
	return (uint32_t)_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
#elif defined(__AVX2__)
	__m256 x;
	memcpy(&x, &v, sizeof(x));
	return (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
#else
	uint32_t m = 0;
	for (int l = 0; l < BNN_RV; l++)
		m |= (uint32_t)(v[l] < 0.0f) << l;
	return m;
#endif
}

/* A pixel's k floats (k a multiple of 32) packed into its words, pw
 * apart: bit l of word w set when y[32w + l] + shift[32w + l] < 0. */
static inline void pk_words(const float *y, const float *shift, int64_t k, uint32_t *dst,
			    int64_t pw)
{
	for (int64_t w = 0; w < k / 32; w++) {
		uint32_t word = 0;
#pragma GCC unroll 8
		for (int l = 0; l < 32; l += BNN_RV)
			word |= vsignbits(vload(y + 32 * w + l),
					  shift ? vload(shift + 32 * w + l) : (bnn_vf_t){ 0 })
				<< l;
		dst[w * pw] = word;
	}
}

/* Band pixels [p0, p1) (output pixel q0 + p): u = RPReLU1(acc3 * m1 + c1 + shortcut),
 * the shortcut x (stride 1) or its 2x2 average pool (stride 2: s2, a
 * constant where it is inlined, so each stride has its own loop). */
static inline void transform1_px(const bnn_rblock_state_t *st, int64_t p0, int64_t p1,
				 const int s2)
{
	const bnn_rblock_shape_t *b = &st->b;
	const bnn_rprelu_t *rp = &st->p->rp1;
	const float *restrict m1 = st->m1, *restrict c1 = st->c1;
	const float *restrict g = rp->g, *restrict slope = rp->slope, *restrict z = rp->z;
	int64_t c = b->c, opix = b->oh * b->ow, vc = c % BNN_RV == 0 ? c : 0, row = b->w * c;
	/* Wide pixels one at a time: the tile's three streams per pixel would
	 * be 4 KiB apart and share L1 sets. */
	int64_t tile = c >= 512 ? 1 : BNN_TILE_PX;
	/* The pool's top row walks with the output pixel (one division per
	 * call): 2 pixels right per pixel; at a row's end down to the next
	 * pair of rows, and at an image's end past any odd last row. */
	int64_t q = st->q0 + p0, oy = q % opix / b->ow, ox = q % b->ow;
	const float *pool = s2 ? st->x + ((q / opix * b->h + 2 * oy) * b->w + 2 * ox) * c : NULL;
	for (int64_t p = p0; p < p1; p += tile) {
		int np = p1 - p < tile ? (int)(p1 - p) : (int)tile;
		const int32_t *acc = st->acc3q + p * c;
		const float *top[BNN_TILE_PX];   /* the shortcut: x, or the pool's top row */
		float *u = st->u + p * c;
		for (int i = 0; i < np; i++) {
			if (!s2) {
				top[i] = st->x + (st->q0 + p + i) * c;
				continue;
			}
			top[i] = pool;
			pool += 2 * c;
			if (++ox == b->ow) {
				ox = 0;
				pool += (2 * b->w - 2 * b->ow) * c;
				if (++oy == b->oh) {
					oy = 0;
					pool += (b->h - 2 * b->oh) * row;
				}
			}
		}
		for (int64_t ch = 0; ch < vc; ch += BNN_RV) {
			bnn_vf_t vm = vload(m1 + ch), vc1 = vload(c1 + ch), vg = vload(g + ch);
			bnn_vf_t vs = vload(slope + ch), vz = vload(z + ch);
			for (int i = 0; i < np; i++) {
				const float *t = top[i] + ch;
				bnn_vf_t r = s2 ? (vload(t) + vload(t + c) + vload(t + row) +
						   vload(t + row + c)) * 0.25f :
						  vload(t);
				bnn_vf_t v = vload_acc(acc + i * c + ch) * vm + vc1;
				bnn_vf_t y = vrprelu(v + r, vg, vs, vz);
				memcpy(u + i * c + ch, &y, sizeof(y));
			}
		}
		for (int i = 0; i < np; i++)
			for (int64_t ch = vc; ch < c; ch++) {
				const float *t = top[i];
				float r = s2 ? (t[ch] + t[c + ch] + t[row + ch] + t[row + c + ch]) * 0.25f :
					       t[ch];
				float v = (float)acc[i * c + ch] * m1[ch] + c1[ch];
				u[i * c + ch] = rprelu(v + r, g[ch], slope[ch], z[ch]);
			}
	}
}

static void transform1(void *vst, int64_t p0, int64_t p1, int tid)
{
	const bnn_rblock_state_t *st = vst;
	(void)tid;
	if (st->b.stride == 2)
		transform1_px(st, p0, p1, 1);
	else
		transform1_px(st, p0, p1, 0);
}

/* Band rows [a, b) of a block whose 3x3 conv runs by rows (band3): the
 * conv's rows, then transform 1 on their pixels while this core's cache
 * still holds the results. */
static void conv3_t1(void *vst, int64_t a, int64_t b, int tid)
{
	const bnn_rblock_state_t *st = vst;
	int64_t ow = st->b.ow, r0 = st->q0 / ow;
	st->band3->rows_own(st->band3->own, st->acc3 + a * ow * st->b.c, r0 + a, r0 + b);
	transform1(vst, a * ow, b * ow, tid);
}

/* Band pixels [p0, p1): y = RPReLU2(acc1 * m2 + c2 + u), u repeated per
 * half; with pk.x, y packed too (the network sets pk only where k is a
 * multiple of 32). */
static void transform2(void *vst, int64_t p0, int64_t p1, int tid)
{
	const bnn_rblock_state_t *st = vst;
	const bnn_rblock_shape_t *b = &st->b;
	const bnn_rprelu_t *rp = &st->p->rp2;
	const bnn_rnet_pk_t *pk = &st->pk;
	const float *restrict m2 = st->m2, *restrict c2 = st->c2;
	const float *restrict g = rp->g, *restrict slope = rp->slope, *restrict z = rp->z;
	int64_t c = b->c, k = b->k, vk = c % BNN_RV == 0 ? k : 0, opix = b->oh * b->ow;
	/* The packed words of the tile's pixels: the output pixel walks
	 * from one division per call. */
	int64_t q = st->q0 + p0, n = q / opix, oy = q % opix / b->ow, ox = q % b->ow;
	(void)tid;
	for (int64_t p = p0; p < p1; p += BNN_TILE_PX) {
		int np = p1 - p < BNN_TILE_PX ? (int)(p1 - p) : BNN_TILE_PX;
		const int32_t *acc = st->acc1 + p * k;
		const float *u = st->u + p * c;
		float *y = st->y + (st->q0 + p) * k;
		for (int64_t o = 0; o < vk; o += BNN_RV) {
			int64_t ch = o < c ? o : o - c;   /* k is c or 2c */
			bnn_vf_t vm = vload(m2 + o), vc2 = vload(c2 + o), vg = vload(g + o);
			bnn_vf_t vs = vload(slope + o), vz = vload(z + o);
			for (int i = 0; i < np; i++) {
				bnn_vf_t v = vload_acc(acc + i * k + o) * vm + vc2 + vload(u + i * c + ch);
				bnn_vf_t r = vrprelu(v, vg, vs, vz);
				memcpy(y + i * k + o, &r, sizeof(r));
			}
		}
		for (int i = 0; i < np; i++)
			for (int64_t o = vk; o < k; o++) {
				float v = (float)acc[i * k + o] * m2[o] + c2[o] + u[i * c + o % c];
				y[i * k + o] = rprelu(v, g[o], slope[o], z[o]);
			}
		/* the tile's pixels packed from y, still in L1 */
		for (int i = 0; pk->x && i < np; i++) {
			pk_words(y + i * k, pk->shift, k, pk_at(pk, n, oy, ox), pk->pw);
			if (++ox == b->ow) {
				ox = 0;
				if (++oy == b->oh)
					oy = 0, n++;
			}
		}
	}
}

struct bnn_rnet_state {
	bnn_rnet_shape_t r;
	const bnn_rnet_params_t *p;
	const float *img;              /* NCHW */
	const bnn_rnet_loops_t *loops;
	float *stem_wt;                /* [3][3][3][32]: tap, input channel, filter */
	float *stem_m, *stem_c;        /* BN folded */
	float *stem_rows;              /* per thread: three padded input rows, CHW */
	int stem_nbuf;                 /* threads that have stem rows */
	/* act[0] the stem's output, act[i+1] block i's: the batch's, or, when
	 * block i + 1 runs image by image, one image's, reused image after
	 * image so that it stays in cache (act_images in reactnet.c). */
	float *act[BNN_RNET_BLOCKS + 1];   /* each one of buf (act_buffer in reactnet.c) */
	float *buf[3];
	float *whole[BNN_RNET_BLOCKS + 1]; /* stage i of the last run, for stage() */
	/* Block i over the whole batch, or, for the leading blocks of large
	 * activations at batch > 1 (nsplit[i] = n), over one image (b.n = 1),
	 * run image by image from the stem on. */
	bnn_rblock_state_t *block[BNN_RNET_BLOCKS];
	int64_t nsplit[BNN_RNET_BLOCKS];
	int nlead;                     /* leading blocks run image by image */
	int64_t stem_r0;               /* first output row of the current stem call */
	int64_t stem_nbase;            /* image whose output goes to image 0's place */
	int32_t *acc3, *acc1;          /* shared by the blocks (struct bnn_rblock_state) */
	float *u;
	float *fc_wt;                  /* [chunk][1024][BNN_HEAD_FC_OUT]: the FC's weights
					* transposed, by chunks of outputs (head_fc) */
	float *pooled;                 /* [n][1024] */
	float *logits;
};

/* The stem's vectors of output channels (GCC and clang vector extensions):
 * sixteen floats where a register holds them (AVX-512: half the
 * instructions of eight for the same work), else eight; the 32 sums of a
 * pixel stay in two or four of them, in registers. */
#if defined(__AVX512F__)
#define BNN_STEM_V 16
#else
#define BNN_STEM_V 8
#endif
typedef float bnn_vsf_t __attribute__((vector_size(BNN_STEM_V * 4)));

/* Output pixels the stem computes at once: their sums of a vector of
 * output channels in eight registers, one weight load for the eight. */
#define BNN_STEM_PX 8

/* Floats of one thread's stem rows: three input rows of three channel
 * planes of w + 2 floats. */
static inline int64_t stem_row_floats(int64_t w)
{
	return 3 * 3 * (w + 2);
}

/* Stem output rows [r0, r1) (flattened n, oy): real 3x3 conv, stride 2, pad 1, BN.
 * The three input rows of an output row are copied once, each channel's
 * plane row as it is (CHW, a plain copy) with a zero either side, so the
 * input of tap (ky, kx, ci) for output x is float 2x + kx of plane row
 * (ky, ci). BNN_STEM_PX pixels share each weight load; every sum is
 * accumulated element by element in the order of the plain loop,
 * t = (ky * 3 + kx) * 3 + ci = 0 .. 26, mul then add, then BN as mul then
 * add (so every build gives the same sums). */
static void stem_rows(void *vst, int64_t r0, int64_t r1, int tid)
{
	const bnn_rnet_state_t *st = vst;
	const int64_t h = st->r.h, w = st->r.w, oh = h / 2, ow = w / 2, pw = w + 2;
	float *rows = st->stem_rows + tid * stem_row_floats(w);
	int64_t toff[9];   /* tap (kx, ci) of a row: plane ci, float kx */
	for (int e = 0; e < 9; e++)
		toff[e] = e % 3 * pw + e / 3;
	for (int64_t row = st->stem_r0 + r0; row < st->stem_r0 + r1; row++) {
		int64_t n = row / oh, oy = row % oh;
		for (int64_t ky = 0; ky < 3; ky++) {
			int64_t iy = 2 * oy - 1 + ky;
			for (int64_t ci = 0; ci < 3; ci++) {
				float *dst = rows + (ky * 3 + ci) * pw;
				dst[0] = dst[pw - 1] = 0.0f;
				if (iy < 0 || iy >= h)
					memset(dst + 1, 0, (size_t)w * sizeof(float));
				else
					memcpy(dst + 1, st->img + ((n * 3 + ci) * h + iy) * w,
					       (size_t)w * sizeof(float));
			}
		}
		float *yrow = st->act[0] + ((n - st->stem_nbase) * oh + oy) * ow * BNN_RNET_STEM_C;
		/* The next output row's two new input rows, a line of each of
		 * their planes per group of pixels (a row of w floats has about
		 * as many lines as the output row has groups): the image comes
		 * from memory, in short runs the hardware prefetcher misses. */
		const float *next = oy + 1 < oh ? st->img + (n * 3 * h + 2 * oy + 2) * w : NULL;
		for (int64_t ox0 = 0; ox0 < ow; ox0 += BNN_STEM_PX) {
			int np = ow - ox0 < BNN_STEM_PX ? (int)(ow - ox0) : BNN_STEM_PX;
			for (int64_t ci = 0; next && ci < 3; ci++)
				for (int64_t r = 0; r < 2 && 2 * oy + 2 + r < h; r++)
					__builtin_prefetch(next + (ci * h + r) * w + 2 * ox0);
			const float *in[BNN_STEM_PX];
#pragma GCC unroll 8
			for (int i = 0; i < BNN_STEM_PX; i++)   /* a short group repeats its last */
				in[i] = rows + 2 * (ox0 + (i < np ? i : np - 1));
			for (int j = 0; j < BNN_RNET_STEM_C / BNN_STEM_V; j++) {
				bnn_vsf_t a[BNN_STEM_PX], m, c;
#pragma GCC unroll 8
				for (int i = 0; i < BNN_STEM_PX; i++)
					a[i] = (bnn_vsf_t){ 0 };
				for (int64_t ky = 0; ky < 3; ky++) {
					const float *wt = st->stem_wt + ky * 9 * BNN_RNET_STEM_C +
							  j * BNN_STEM_V;
					for (int e = 0; e < 9; e++) {
						const int64_t off = ky * 3 * pw + toff[e];
						bnn_vsf_t wv;
						memcpy(&wv, wt + e * BNN_RNET_STEM_C, sizeof(wv));
#pragma GCC unroll 8
						for (int i = 0; i < BNN_STEM_PX; i++)
							a[i] += in[i][off] * wv;
					}
				}
				memcpy(&m, st->stem_m + j * BNN_STEM_V, sizeof(m));
				memcpy(&c, st->stem_c + j * BNN_STEM_V, sizeof(c));
				for (int i = 0; i < np; i++) {
					bnn_vsf_t y = a[i] * m + c;
					memcpy(yrow + (ox0 + i) * BNN_RNET_STEM_C + j * BNN_STEM_V, &y,
					       sizeof(y));
				}
			}
		}
	}
}

/* The head's two steps, split so that one image keeps every thread busy.
 * Channels of the pool and outputs of the FC per work item: */
#define BNN_HEAD_POOL_CH 64
#define BNN_HEAD_FC_OUT 64
/* Rows of the FC's weights (BNN_HEAD_FC_OUT floats each) prefetched ahead:
 * 4 KiB. At batch 1 the 4 MB of weights come from L3, which on the Xeon
 * VM of doc/measured.md answers late enough for the hardware prefetcher
 * to leave the loop waiting (head 0.86 at batch 1, 0.84 at batch 8). */
#define BNN_HEAD_FC_PF 16

/* Items [i0, i1) of (image, chunk of BNN_HEAD_POOL_CH channels): the
 * global average pool, each channel summed over the pixels in order. */
static void head_pool(void *vst, int64_t i0, int64_t i1, int tid)
{
	const bnn_rnet_state_t *st = vst;
	bnn_rblock_shape_t last = bnn_rnet_block(&st->r, BNN_RNET_BLOCKS - 1);
	const float *act = st->act[BNN_RNET_BLOCKS];
	int64_t pix = last.oh * last.ow, c = last.k;
	int64_t chunks = (c + BNN_HEAD_POOL_CH - 1) / BNN_HEAD_POOL_CH;
	(void)tid;
	for (int64_t it = i0; it < i1; it++) {
		int64_t b = it / chunks, c0 = it % chunks * BNN_HEAD_POOL_CH;
		int64_t c1 = c0 + BNN_HEAD_POOL_CH < c ? c0 + BNN_HEAD_POOL_CH : c;
		float *pooled = st->pooled + b * c;
		for (int64_t ch = c0; ch < c1; ch++)
			pooled[ch] = 0.0f;
		for (int64_t q = 0; q < pix; q++) {
			const float *a = act + (b * pix + q) * c;
			for (int64_t ch = c0; ch < c1; ch++)
				pooled[ch] += a[ch];
		}
		for (int64_t ch = c0; ch < c1; ch++)
			pooled[ch] /= (float)pix;
	}
}

/* Chunks [i0, i1) of BNN_HEAD_FC_OUT outputs: the FC with bias for every
 * image, each output summed over the inputs in order. The weights are
 * chunk-major (fc_wt): a chunk streams one contiguous slice, each row of
 * it used by all the images while in L1. */
static void head_fc(void *vst, int64_t i0, int64_t i1, int tid)
{
	const bnn_rnet_state_t *st = vst;
	int64_t c = BNN_RNET_FC_IN, n = st->r.n;
	(void)tid;
	for (int64_t ch = i0; ch < i1; ch++) {
		int64_t o0 = ch * BNN_HEAD_FC_OUT;
		int64_t no = o0 + BNN_HEAD_FC_OUT < BNN_RNET_CLASSES ? BNN_HEAD_FC_OUT :
								       BNN_RNET_CLASSES - o0;
		const float *wc = st->fc_wt + ch * c * BNN_HEAD_FC_OUT;
		float bias[BNN_HEAD_FC_OUT] = { 0 }, out[BNN_HEAD_FC_OUT];
		memcpy(bias, st->p->fc_b + o0, (size_t)no * sizeof(float));
		/* The chunk's outputs of one image in registers across the
		 * inputs (the chunk's weights, 256 KiB, stay in L2 for the
		 * next image), each the bias plus the products in input order. */
		for (int64_t b = 0; b < n; b++) {
			const float *x = st->pooled + b * c;
			bnn_vf_t acc[BNN_HEAD_FC_OUT / BNN_RV];
#pragma GCC unroll 16
			for (int v = 0; v < BNN_HEAD_FC_OUT / BNN_RV; v++)
				acc[v] = vload(bias + v * BNN_RV);
			for (int64_t i = 0; i < c; i++) {
				const float *wt = wc + i * BNN_HEAD_FC_OUT;
				/* the row BNN_HEAD_FC_PF ahead, a line at a time
				 * (a prefetch past the end is harmless) */
#pragma GCC unroll 4
				for (int l = 0; l < BNN_HEAD_FC_OUT; l += 16)
					__builtin_prefetch(wt + BNN_HEAD_FC_PF * BNN_HEAD_FC_OUT + l);
#pragma GCC unroll 16
				for (int v = 0; v < BNN_HEAD_FC_OUT / BNN_RV; v++)
					acc[v] += x[i] * vload(wt + v * BNN_RV);
			}
			memcpy(out, acc, sizeof(out));
			memcpy(st->logits + b * BNN_RNET_CLASSES + o0, out, (size_t)no * sizeof(float));
		}
	}
}

#define BNN_RNET_LOOPS_DEFINE(name, pack_next)                                           \
	const bnn_rnet_loops_t name = { transform1, transform2, conv3_t1, stem_rows, head_pool, \
					 head_fc, pack_next }

#endif
