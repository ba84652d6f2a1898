/*
 * The ReActNet peers (peers_reactnet.h): one ReActNet block and the whole
 * ReActNet-A (doc/bnn-math.md section 6) as a user would deploy them with oneDNN, so
 * that bnnbench's binarized block and network kernels have a speedup
 * measured in the same run.
 *
 * Each binary conv is one oneDNN direct convolution of +-1 data:
 *   - f32: RSign writes +-1.0f, the weights are sign(W) as +-1.0f;
 *   - s8:  RSign writes u8 x+1 in {0, 2}, the weights are sign(W) as s8
 *          +-1, s32 sums; the epilogue subtracts sum(w) over the taps that
 *          fall inside the image (a per-filter constant for each of the
 *          border classes of an output pixel), which turns the u8 sums back
 *          into the +-1 sums with zero padding. That is oneDNN's own source
 *          zero point done by hand: oneDNN 2.6 on AVX2 without VNNI halves
 *          the weights of an s8-source conv (+-1 -> 0, see peers.c), and
 *          its zero-point path makes the padded 3x3 convs 1.3 to 2.5 times
 *          slower than the same conv without one (1x1: the same).
 * The weights stay +-1 so that every sum is an exact integer (f32 sums of
 * +-1 are exact up to 2^24 terms): folding alpha and BN into the weights
 * would round each partial sum, far beyond the block's rounding bound. So
 * alpha and BN fold into one multiplier and bias per channel applied to
 * the sums, in the C epilogue that also adds the shortcut (the 2x2 average
 * pool when the stride is 2), applies RPReLU and writes the next RSign's
 * +-1 output, one pass per conv, as bnnbench's own block kernel does
 * (kernels/generic/reactnet.c), split over oneDNN's OpenMP threads
 * (rn_parallel_for). The reduction block's two 1x1 convs are one conv of 2c
 * filters.
 *
 * Layouts: the int8 convs work on NHWC (the layout oneDNN's int8 AVX2
 * convolutions take). The f32 tensors are nChw8c, oneDNN's preferred f32
 * layout on AVX2 (its jit stem writes it too): on the (loaded) Zen 3
 * machine the network and the block shapes ran 0 to 15% faster (best of
 * 10 to 20 runs, interleaved) than the same peer on NHWC, never clearly
 * slower. The block peer reorders its NHWC input and output at the ends,
 * timed. RN_F32_BLOCKED=0 builds the NHWC variant.
 *
 * The network: the stem is an fp32 oneDNN conv (3 -> 32, stride 2, pad 1)
 * reading the NCHW images as they come, with BN folded into its weights
 * and a bias; the 13 blocks; the global average pool in C; the FC as a
 * oneDNN fp32 inner product with bias. The stem and FC stay fp32 in the
 * int8 network too, as a deployed int8 BNN keeps them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#if defined(__GNUC__) && !defined(__clang__)
/* The epilogues are element-wise float loops without cross-lane sums, as
 * in kernels/generic/reactnet.c: vectorizing them changes no result. */
#pragma GCC optimize("vect-cost-model=dynamic", "no-trapping-math")
#endif

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_reactnet.h"
#include "parallel.h"
#include "peers_reactnet.h"

#ifdef HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#include "dnnl_util.h"
#if defined(_OPENMP) && DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#define RN_OMP 1
#endif

/* f32 tensors in nChw8c, else NHWC (see the top comment). */
#ifndef RN_F32_BLOCKED
#define RN_F32_BLOCKED 1
#endif

/* ---- oneDNN plumbing ----------------------------------------------------- */


/* What every primitive of one peer shares. */
typedef struct {
	dnnl_engine_t eng;
	dnnl_stream_t strm;
	int int8;              /* binary convs in int8, else f32 */
	int blocked;           /* f32 tensors nChw8c, else NHWC */
	void *scratch;         /* one user scratchpad for every primitive */
	size_t scratch_size;
} rn_ctx_t;

/* One primitive (conv or inner product) and the memories it runs on. */
typedef struct {
	dnnl_primitive_t prim;
	dnnl_memory_t src, wei, bias, dst, scratch;   /* bias, scratch may be NULL */
} rn_prim_t;

/* Destroys what p holds (any part may be NULL) and zeroes it. */
static void rn_prim_free(rn_prim_t *p)
{
	dnnl_primitive_destroy(p->prim);
	dnnl_memory_destroy(p->src);
	dnnl_memory_destroy(p->wei);
	dnnl_memory_destroy(p->bias);
	dnnl_memory_destroy(p->dst);
	dnnl_memory_destroy(p->scratch);
	memset(p, 0, sizeof(*p));
}

/* The CPU engine and its stream; on failure rn_ctx_free still cleans up. */
static int rn_ctx_init(rn_ctx_t *cx, int int8)
{
	int rc = 0;
	memset(cx, 0, sizeof(*cx));
	cx->int8 = int8;
	cx->blocked = !int8 && RN_F32_BLOCKED;
	BNN_DNNL_TRY(dnnl_engine_create(&cx->eng, dnnl_cpu, 0));
	BNN_DNNL_TRY(dnnl_stream_create(&cx->strm, cx->eng, dnnl_stream_default_flags));
out:
	return rc;
}

/* Frees what rn_ctx_init and rn_attach_scratch took; destroy the
 * primitives that use them first. */
static void rn_ctx_free(rn_ctx_t *cx)
{
	dnnl_stream_destroy(cx->strm);
	dnnl_engine_destroy(cx->eng);
	free(cx->scratch);
}

/* bytes (at least 64) on 64-byte lines, for free(); NULL when out of memory.
 * oneDNN accepts any alignment but its vector loads run best on lines. */
static void *rn_alloc(size_t bytes)
{
	size_t sz = (bytes + 63) / 64 * 64;
	return aligned_alloc(64, sz ? sz : 64);
}

/* The layout of a 4-D activation tensor of c channels: one for all the
 * tensors of a peer (the epilogues pair channels across tensors). */
static dnnl_format_tag_t rn_tag(const rn_ctx_t *cx)
{
	return cx->blocked ? dnnl_nChw8c : dnnl_nhwc;
}

/* Channels per contiguous run in that layout: 8 for nChw8c, c for NHWC. */
static int64_t rn_blk(const rn_ctx_t *cx, int64_t c)
{
	return rn_tag(cx) == dnnl_nChw8c ? 8 : c;
}

/* Where the run of channels [cb*B, cb*B + B) of pixel p of image n starts,
 * in a tensor of C channels, P pixels per image, runs of B channels. */
static inline size_t rn_at(int64_t C, int64_t B, int64_t P, int64_t n, int64_t cb, int64_t p)
{
	return (size_t)(((n * (C / B) + cb) * P + p) * B);
}

/* Records the largest scratchpad; rn_ctx_attach gives it to every primitive. */
static void rn_note_scratch(rn_ctx_t *cx, const_dnnl_primitive_desc_t pd)
{
	const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	size_t sz = md ? dnnl_memory_desc_get_size(md) : 0;
	if (sz > cx->scratch_size)
		cx->scratch_size = sz;
}

/* After every primitive exists: the one scratch buffer, and p's view of it. */
static int rn_attach_scratch(rn_ctx_t *cx, rn_prim_t *p)
{
	const_dnnl_primitive_desc_t pd;
	int rc = 0;
	if (!cx->scratch && !(cx->scratch = rn_alloc(cx->scratch_size)))
		return -ENOMEM;
	BNN_DNNL_TRY(dnnl_primitive_get_primitive_desc(p->prim, &pd));
	const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	if (md && dnnl_memory_desc_get_size(md) > 0)
		BNN_DNNL_TRY(dnnl_memory_create(&p->scratch, md, cx->eng, cx->scratch));
out:
	return rc;
}

/* Reorders the user's weights (layout usr_md, data w) into p->wei. */
static int rn_load_weights(rn_ctx_t *cx, rn_prim_t *p, const dnnl_memory_desc_t *usr_md,
			   const dnnl_memory_desc_t *wei_md, const void *w)
{
	dnnl_primitive_desc_t rpd = NULL;
	dnnl_primitive_t r = NULL;
	dnnl_memory_t usr = NULL;
	int rc = 0;
	BNN_DNNL_TRY(dnnl_memory_create(&p->wei, wei_md, cx->eng, DNNL_MEMORY_ALLOCATE));
	/* A reorder only reads its source: dropping const is safe. */
	BNN_DNNL_TRY(dnnl_memory_create(&usr, usr_md, cx->eng, (void *)w));
	BNN_DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, usr_md, cx->eng, wei_md, cx->eng, NULL));
	BNN_DNNL_TRY(dnnl_primitive_create(&r, rpd));
	dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, usr }, { DNNL_ARG_TO, p->wei } };
	BNN_DNNL_TRY(dnnl_primitive_execute(r, cx->strm, 2, args));
	BNN_DNNL_TRY(dnnl_stream_wait(cx->strm));
out:
	dnnl_primitive_destroy(r);
	dnnl_primitive_desc_destroy(rpd);
	dnnl_memory_destroy(usr);
	return rc;
}

/* A bias memory of k floats holding b. */
static int rn_load_bias(rn_ctx_t *cx, rn_prim_t *p, const dnnl_memory_desc_t *md, const float *b,
			int64_t k)
{
	void *h;
	int rc = 0;
	BNN_DNNL_TRY(dnnl_memory_create(&p->bias, md, cx->eng, DNNL_MEMORY_ALLOCATE));
	BNN_DNNL_TRY(dnnl_memory_get_data_handle(p->bias, &h));
	memcpy(h, b, (size_t)k * sizeof(float));
out:
	return rc;
}

/* The geometry and types of one convolution. */
typedef struct {
	int64_t n, c, h, w, k, ks, stride;
	dnnl_format_tag_t src_tag, dst_tag;
	dnnl_data_type_t src_dt, wei_dt, dst_dt;
	const void *wei;        /* OHWI, in wei_dt */
	const float *bias;      /* [k], or NULL */
	void *src, *dst;        /* the buffers it reads and writes; NULL: its own */
} rn_conv_spec_t;

/*
 * A direct convolution, pad ks/2 of zeros, weights reordered now into
 * oneDNN's layout. Returns 0, or a negative errno: -ERANGE where oneDNN
 * would rescale the int8 weights (+-1 would not survive).
 */
static int rn_conv_make(rn_ctx_t *cx, rn_prim_t *p, const rn_conv_spec_t *s)
{
	dnnl_primitive_desc_t pd = NULL;
	dnnl_primitive_attr_t attr = NULL;
	int rc = 0;
	int64_t pad = s->ks / 2, oh = (s->h + 2 * pad - s->ks) / s->stride + 1,
		ow = (s->w + 2 * pad - s->ks) / s->stride + 1;
	dnnl_dims_t sd = { s->n, s->c, s->h, s->w }, dd = { s->n, s->k, oh, ow },
		    wd = { s->k, s->c, s->ks, s->ks }, bd = { s->k }, st = { s->stride, s->stride },
		    pp = { pad, pad };
	dnnl_memory_desc_t src_md, dst_md, wei_any, wei_usr, bias_md;
	dnnl_convolution_desc_t cd;
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, s->src_dt, s->src_tag));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, s->dst_dt, s->dst_tag));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_any, 4, wd, s->wei_dt, dnnl_format_tag_any));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_usr, 4, wd, s->wei_dt, dnnl_ohwi));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&bias_md, 1, bd, dnnl_f32, dnnl_x));
	BNN_DNNL_TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
						  dnnl_convolution_direct, &src_md, &wei_any,
						  s->bias ? &bias_md : NULL, &dst_md, st, pp, pp));
	BNN_DNNL_TRY(dnnl_primitive_attr_create(&attr));
	BNN_DNNL_TRY(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
	BNN_DNNL_TRY(dnnl_primitive_desc_create(&pd, &cd, attr, cx->eng, NULL));
	const dnnl_memory_desc_t *wei_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	if ((wei_md->extra.flags & dnnl_memory_extra_flag_scale_adjust) &&
	    wei_md->extra.scale_adjust != 1.0f) {
		rc = -ERANGE;
		goto out;
	}
	if ((rc = rn_load_weights(cx, p, &wei_usr, wei_md, s->wei)) != 0)
		goto out;
	if (s->bias && (rc = rn_load_bias(cx, p, &bias_md, s->bias, s->k)) != 0)
		goto out;
	/* The layouts oneDNN settled on: ours, except where a tag is any. */
	BNN_DNNL_TRY(dnnl_memory_create(&p->src, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
				  cx->eng, s->src ? s->src : DNNL_MEMORY_ALLOCATE));
	BNN_DNNL_TRY(dnnl_memory_create(&p->dst, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0),
				  cx->eng, s->dst ? s->dst : DNNL_MEMORY_ALLOCATE));
	rn_note_scratch(cx, pd);
	BNN_DNNL_TRY(dnnl_primitive_create(&p->prim, pd));
out:
	dnnl_primitive_desc_destroy(pd);
	dnnl_primitive_attr_destroy(attr);
	return rc;
}

/* Runs a conv or inner product built above and waits for it. */
static int rn_exec(rn_ctx_t *cx, rn_prim_t *p)
{
	dnnl_exec_arg_t args[5];
	int na = 0, rc = 0;
	args[na++] = (dnnl_exec_arg_t){ DNNL_ARG_SRC, p->src };
	args[na++] = (dnnl_exec_arg_t){ DNNL_ARG_WEIGHTS, p->wei };
	if (p->bias)
		args[na++] = (dnnl_exec_arg_t){ DNNL_ARG_BIAS, p->bias };
	args[na++] = (dnnl_exec_arg_t){ DNNL_ARG_DST, p->dst };
	if (p->scratch)
		args[na++] = (dnnl_exec_arg_t){ DNNL_ARG_SCRATCHPAD, p->scratch };
	BNN_DNNL_TRY(dnnl_primitive_execute(p->prim, cx->strm, na, args));
	BNN_DNNL_TRY(dnnl_stream_wait(cx->strm));
out:
	return rc;
}

/*
 * Splits [0, n) like bnn_parallel_for. With oneDNN on OpenMP, over the same
 * OpenMP threads oneDNN uses (their count follows --threads, see peers.c):
 * on the worker pool instead, oneDNN's OpenMP workers would still be
 * spinning for work after each primitive while the pool's threads run the
 * epilogue, and at --threads 2 on 2 cores that made the network twice as
 * slow.
 */
static void rn_parallel_for(int64_t n, int64_t grain, bnn_task_fn fn, void *ctx)
{
#ifdef RN_OMP
	int64_t chunks = (n + grain - 1) / grain;
	int want = omp_get_max_threads();
	if (want > chunks)
		want = (int)chunks;
	if (want <= 1) {
		if (n > 0)
			fn(ctx, 0, n, 0);
		return;
	}
#pragma omp parallel num_threads(want)
	{
		int t = omp_get_thread_num(), nt = omp_get_num_threads();
		int64_t per = chunks / nt, extra = chunks % nt;
		int64_t c0 = t * per + (t < extra ? t : extra), c1 = c0 + per + (t < extra);
		int64_t b0 = c0 * grain, b1 = c1 * grain < n ? c1 * grain : n;
		if (b0 < b1)
			fn(ctx, b0, b1, t);
	}
#else
	bnn_parallel_for(n, grain, fn, ctx);
#endif
}

/* ---- one block ----------------------------------------------------------- */

/* The block's binarized data: +-1.0f for f32 convs, x+1 as u8 for int8. */
static size_t rn_sign_size(const rn_ctx_t *cx)
{
	return cx->int8 ? 1 : sizeof(float);
}

typedef struct {
	rn_ctx_t *cx;
	bnn_rblock_shape_t b;
	const bnn_rblock_params_t *p;
	int64_t bc, bk;            /* channels per run: input/3x3 side, output side */
	const float *x;            /* input, bc runs */
	void *s3;                  /* RSign1(x) */
	void *acc3;                /* 3x3 sums [pix][c]: float or int32 */
	float *u;                  /* RPReLU1 output, the 1x1 conv's input */
	void *s1;                  /* RSign2(u) */
	void *acc1;                /* 1x1 sums [pix][k] */
	float *y;                  /* output, bk runs */
	void *next_s3;             /* when not NULL: RSign of y for the next block */
	const float *next_rsign;
	float *m1, *c1, *m2, *c2;  /* alpha and BN folded */
	int32_t *comp3;            /* int8: [16 border classes][c], sum of w inside */
	int32_t *comp1;            /* int8: [k] */
	rn_prim_t conv3, conv1;
} rn_block_t;

/* Frees what rn_block_init took (not the tensors: their owner frees them). */
static void rn_block_free(rn_block_t *bl)
{
	rn_prim_free(&bl->conv3);
	rn_prim_free(&bl->conv1);
	free(bl->m1);
	free(bl->comp3);
}

/* sign(w) as the convs' weight type: +-1.0f or s8 +-1. */
static void *rn_sign_weights(const rn_ctx_t *cx, const float *w, size_t n)
{
	void *out = malloc(n * rn_sign_size(cx));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (cx->int8)
			((int8_t *)out)[i] = w[i] >= 0.0f ? 1 : -1;
		else
			((float *)out)[i] = w[i] >= 0.0f ? 1.0f : -1.0f;
	}
	return out;
}

/* Border class of output row oy (or column): bit 0 when the tap before is
 * outside the input, bit 1 when the tap after is. */
static inline int rn_border(int64_t o, int64_t stride, int64_t len)
{
	return (o * stride - 1 < 0) | ((o * stride + 1 >= len) << 1);
}

/* The int8 corrections: for each 3x3 border class, sum of sign(w3) over the
 * taps inside the image, per filter; for the 1x1, over all of it. */
static int rn_block_comp(rn_block_t *bl)
{
	int64_t c = bl->b.c, k = bl->b.k;
	const float *w3 = bl->p->w3, *w1 = bl->p->w1;
	bl->comp3 = malloc((size_t)(16 * c + k) * sizeof(int32_t));
	if (!bl->comp3)
		return -ENOMEM;
	bl->comp1 = bl->comp3 + 16 * c;
	for (int64_t o = 0; o < c; o++) {
		int32_t tap[9] = { 0 };
		for (int64_t t = 0; t < 9; t++)
			for (int64_t i = 0; i < c; i++)
				tap[t] += w3[(o * 9 + t) * c + i] >= 0.0f ? 1 : -1;
		for (int cls = 0; cls < 16; cls++) {
			int ry = cls >> 2, rx = cls & 3;
			int32_t sum = 0;
			for (int ky = 0; ky < 3; ky++)
				for (int kx = 0; kx < 3; kx++) {
					if ((ky == 0 && (ry & 1)) || (ky == 2 && (ry & 2)) ||
					    (kx == 0 && (rx & 1)) || (kx == 2 && (rx & 2)))
						continue;
					sum += tap[ky * 3 + kx];
				}
			bl->comp3[cls * c + o] = sum;
		}
	}
	for (int64_t o = 0; o < k; o++) {
		int32_t sum = 0;
		for (int64_t i = 0; i < c; i++)
			sum += w1[o * c + i] >= 0.0f ? 1 : -1;
		bl->comp1[o] = sum;
	}
	return 0;
}

/*
 * Builds block b on the given buffers (see rn_block_t); the caller owns
 * them and sets next_s3 / next_rsign. Returns 0 or a negative errno.
 */
static int rn_block_init(rn_ctx_t *cx, rn_block_t *bl, const bnn_rblock_shape_t *b,
			 const bnn_rblock_params_t *p, const float *x, void *s3, void *acc3,
			 float *u, void *s1, void *acc1, float *y)
{
	int rc = -ENOMEM;
	void *w3 = NULL, *w1 = NULL;
	int64_t c = b->c, k = b->k;
	memset(bl, 0, sizeof(*bl));
	bl->cx = cx;
	bl->b = *b;
	bl->p = p;
	bl->bc = rn_blk(cx, c);
	bl->bk = rn_blk(cx, k);
	bl->x = x, bl->s3 = s3, bl->acc3 = acc3, bl->u = u, bl->s1 = s1, bl->acc1 = acc1;
	bl->y = y;
	bl->m1 = malloc((size_t)(2 * c + 2 * k) * sizeof(float));
	if (!bl->m1)
		goto out;
	bl->c1 = bl->m1 + c, bl->m2 = bl->c1 + c, bl->c2 = bl->m2 + k;
	bnn_rnet_fold_bn(p->w3, c, 9 * c, &p->bn1, bl->m1, bl->c1);
	bnn_rnet_fold_bn(p->w1, k, c, &p->bn2, bl->m2, bl->c2);
	if (cx->int8 && (rc = rn_block_comp(bl)) != 0)
		goto out;
	w3 = rn_sign_weights(cx, p->w3, (size_t)(9 * c * c));
	w1 = rn_sign_weights(cx, p->w1, (size_t)(k * c));
	rc = -ENOMEM;
	if (!w3 || !w1)
		goto out;
	dnnl_data_type_t sdt = cx->int8 ? dnnl_u8 : dnnl_f32, wdt = cx->int8 ? dnnl_s8 : dnnl_f32,
			 ddt = cx->int8 ? dnnl_s32 : dnnl_f32;
	rn_conv_spec_t s3c = { .n = b->n, .c = c, .h = b->h, .w = b->w, .k = c, .ks = 3,
			       .stride = b->stride, .src_tag = rn_tag(cx),
			       .dst_tag = rn_tag(cx), .src_dt = sdt, .wei_dt = wdt,
			       .dst_dt = ddt, .wei = w3, .src = s3, .dst = acc3 };
	rn_conv_spec_t s1c = { .n = b->n, .c = c, .h = b->oh, .w = b->ow, .k = k, .ks = 1,
			       .stride = 1, .src_tag = rn_tag(cx), .dst_tag = rn_tag(cx),
			       .src_dt = sdt, .wei_dt = wdt, .dst_dt = ddt, .wei = w1, .src = s1,
			       .dst = acc1 };
	if ((rc = rn_conv_make(cx, &bl->conv3, &s3c)) != 0 ||
	    (rc = rn_conv_make(cx, &bl->conv1, &s1c)) != 0)
		goto out;
out:
	free(w3);
	free(w1);
	return rc;
}

/* RPReLU (doc/bnn-math.md section 6) as bnnbench's block kernel writes it: a select of
 * the slope, so that the loops vectorize; v - g > 0 exactly when v > g. */
static inline float rn_rprelu(float v, float g, float slope, float z)
{
	float d = v - g;
	float s = d > 0.0f ? 1.0f : slope;
	return s * d + z;
}

/* sign(v + shift) into the block's binarized type. */
static inline void rn_put_sign(int int8, void *s, size_t i, float v)
{
	if (int8)
		((uint8_t *)s)[i] = v >= 0.0f ? 2 : 0;
	else
		((float *)s)[i] = v >= 0.0f ? 1.0f : -1.0f;
}

/* RSign of a whole tensor (the first block's input): rows of runs. */
typedef struct {
	const rn_ctx_t *cx;
	const float *x;
	void *s;
	const float *shift;
	int64_t c, run, pix;
} rn_rsign_job_t;

/* Rows [r0, r1) of an rn_rsign_job_t, one run of channels each. */
static void rn_rsign_rows(void *vj, int64_t r0, int64_t r1, int tid)
{
	const rn_rsign_job_t *j = vj;
	int64_t runs = j->c / j->run;
	int int8 = j->cx->int8;
	(void)tid;
	for (int64_t r = r0; r < r1; r++) {
		const float *sh = j->shift + r / j->pix % runs * j->run;
		size_t o = (size_t)(r * j->run);
		if (int8)
			for (int64_t i = 0; i < j->run; i++)
				rn_put_sign(1, j->s, o + i, j->x[o + i] + sh[i]);
		else
			for (int64_t i = 0; i < j->run; i++)
				rn_put_sign(0, j->s, o + i, j->x[o + i] + sh[i]);
	}
}

/* s = sign(x + shift[channel]) for n images of pix pixels, c channels, in
 * the peer's layout and binarized type; split over the threads. */
static void rn_rsign(const rn_ctx_t *cx, const float *x, void *s, const float *shift, int64_t n,
		     int64_t pix, int64_t c)
{
	rn_rsign_job_t j = { cx, x, s, shift, c, rn_blk(cx, c), pix };
	int64_t rows = n * (c / j.run) * pix;
	rn_parallel_for(rows, j.run >= 256 ? 1 : 256 / j.run, rn_rsign_rows, &j);
}

/* One run of u = RPReLU1(acc3 * m1 + c1 + shortcut), s1 = RSign2(u):
 * output row r of the 3x3 side; int8 and s2 are constants after inlining. */
static inline __attribute__((always_inline)) void rn_t1_row(const rn_block_t *bl, int64_t r,
							     const int int8, const int s2)
{
	const bnn_rblock_shape_t *b = &bl->b;
	const bnn_rprelu_t *rp = &bl->p->rp1;
	int64_t c = b->c, B = bl->bc, opix = b->oh * b->ow, ipix = b->h * b->w;
	int64_t n = r / opix / (c / B), cb = r / opix % (c / B), q = r % opix;
	int64_t oy = q / b->ow, ox = q % b->ow, ch0 = cb * B;
	size_t o = rn_at(c, B, opix, n, cb, q);
	const float *m1 = bl->m1 + ch0, *c1 = bl->c1 + ch0, *g = rp->g + ch0,
		    *sl = rp->slope + ch0, *z = rp->z + ch0, *rs = bl->p->rsign2 + ch0;
	const float *top = bl->x + rn_at(c, B, ipix, n, cb, s2 ? 2 * oy * b->w + 2 * ox : q);
	const float *bot = top + b->w * B;
	const int32_t *ai = (const int32_t *)bl->acc3 + o;
	const float *af = (const float *)bl->acc3 + o;
	const int32_t *comp = int8 ? bl->comp3 + (rn_border(oy, b->stride, b->h) * 4 +
						  rn_border(ox, b->stride, b->w)) * c + ch0 : NULL;
	float *u = bl->u + o;
	for (int64_t j = 0; j < B; j++) {
		float acc = int8 ? (float)(ai[j] - comp[j]) : af[j];
		float t = acc * m1[j] + c1[j];
		float sc = s2 ? (top[j] + top[B + j] + bot[j] + bot[B + j]) * 0.25f : top[j];
		float v = rn_rprelu(t + sc, g[j], sl[j], z[j]);
		u[j] = v;
		rn_put_sign(int8, bl->s1, o + (size_t)j, v + rs[j]);
	}
}

/* Rows [r0, r1) of the first epilogue, specialized per type and stride. */
static void rn_t1_rows(void *vbl, int64_t r0, int64_t r1, int tid)
{
	const rn_block_t *bl = vbl;
	(void)tid;
	if (bl->cx->int8) {
		if (bl->b.stride == 2)
			for (int64_t r = r0; r < r1; r++)
				rn_t1_row(bl, r, 1, 1);
		else
			for (int64_t r = r0; r < r1; r++)
				rn_t1_row(bl, r, 1, 0);
	} else {
		if (bl->b.stride == 2)
			for (int64_t r = r0; r < r1; r++)
				rn_t1_row(bl, r, 0, 1);
		else
			for (int64_t r = r0; r < r1; r++)
				rn_t1_row(bl, r, 0, 0);
	}
}

/* One run of y = RPReLU2(acc1 * m2 + c2 + u) (u repeated for each half of
 * a reduction block's 2c outputs), and the next block's RSign of y. */
static inline __attribute__((always_inline)) void rn_t2_row(const rn_block_t *bl, int64_t r,
							     const int int8, const int next)
{
	const bnn_rblock_shape_t *b = &bl->b;
	const bnn_rprelu_t *rp = &bl->p->rp2;
	int64_t c = b->c, k = b->k, B = bl->bk, opix = b->oh * b->ow;
	int64_t n = r / opix / (k / B), ob = r / opix % (k / B), q = r % opix;
	int64_t part = B < c ? B : c;
	size_t o = rn_at(k, B, opix, n, ob, q);
	for (int64_t h0 = 0; h0 < B; h0 += part) {
		int64_t ch0 = ob * B + h0, uc = ch0 % c;
		const float *u = bl->u + rn_at(c, bl->bc, opix, n, uc / bl->bc, q) + uc % bl->bc;
		const float *m2 = bl->m2 + ch0, *c2 = bl->c2 + ch0, *g = rp->g + ch0,
			    *sl = rp->slope + ch0, *z = rp->z + ch0;
		const float *rs = next ? bl->next_rsign + ch0 : NULL;
		const int32_t *ai = (const int32_t *)bl->acc1 + o + h0;
		const float *af = (const float *)bl->acc1 + o + h0;
		const int32_t *comp = int8 ? bl->comp1 + ch0 : NULL;
		float *y = bl->y + o + h0;
		for (int64_t j = 0; j < part; j++) {
			float acc = int8 ? (float)(ai[j] - comp[j]) : af[j];
			float v = rn_rprelu(acc * m2[j] + c2[j] + u[j], g[j], sl[j], z[j]);
			y[j] = v;
			if (next)
				rn_put_sign(int8, bl->next_s3, o + (size_t)(h0 + j), v + rs[j]);
		}
	}
}

/* Rows [r0, r1) of the second epilogue, specialized per type and fusion. */
static void rn_t2_rows(void *vbl, int64_t r0, int64_t r1, int tid)
{
	const rn_block_t *bl = vbl;
	(void)tid;
	if (bl->cx->int8) {
		if (bl->next_s3)
			for (int64_t r = r0; r < r1; r++)
				rn_t2_row(bl, r, 1, 1);
		else
			for (int64_t r = r0; r < r1; r++)
				rn_t2_row(bl, r, 1, 0);
	} else {
		if (bl->next_s3)
			for (int64_t r = r0; r < r1; r++)
				rn_t2_row(bl, r, 0, 1);
		else
			for (int64_t r = r0; r < r1; r++)
				rn_t2_row(bl, r, 0, 0);
	}
}

/* The block from its s3 (already RSign1(x)) to y: conv, epilogue, conv, epilogue. */
static int rn_block_forward(rn_block_t *bl)
{
	const bnn_rblock_shape_t *b = &bl->b;
	int64_t opix = b->oh * b->ow;
	int rc = rn_exec(bl->cx, &bl->conv3);
	if (rc)
		return rc;
	rn_parallel_for(b->n * (b->c / bl->bc) * opix, bl->bc >= 256 ? 1 : 256 / bl->bc,
			 rn_t1_rows, bl);
	if ((rc = rn_exec(bl->cx, &bl->conv1)) != 0)
		return rc;
	rn_parallel_for(b->n * (b->k / bl->bk) * opix, bl->bk >= 256 ? 1 : 256 / bl->bk,
			 rn_t2_rows, bl);
	return 0;
}

/* ---- the block peer ------------------------------------------------------ */

typedef struct {
	rn_ctx_t cx;
	rn_block_t bl;
	const float *x;                 /* the user's NHWC input */
	void *buf;                      /* one allocation for every tensor */
	float *xb, *yb;                 /* blocked layout: the ends in oneDNN's layout */
	rn_prim_t x_reorder, y_reorder; /* src/dst as FROM/TO; NULL prims for NHWC */
} rn_block_peer_t;

void bnn_peer_rblock_release(void *state)
{
	rn_block_peer_t *st = state;
	if (!st)
		return;
	rn_block_free(&st->bl);
	rn_prim_free(&st->x_reorder);
	rn_prim_free(&st->y_reorder);
	free(st->buf);
	rn_ctx_free(&st->cx);
	free(st);
}

/* A reorder from (fmd, src) to (tmd, dst), kept as p's prim, src and dst. */
static int rn_reorder_md(rn_ctx_t *cx, rn_prim_t *p, const dnnl_memory_desc_t *fmd, void *src,
			 const dnnl_memory_desc_t *tmd, void *dst)
{
	dnnl_primitive_desc_t pd = NULL;
	int rc = 0;
	BNN_DNNL_TRY(dnnl_reorder_primitive_desc_create(&pd, fmd, cx->eng, tmd, cx->eng, NULL));
	BNN_DNNL_TRY(dnnl_primitive_create(&p->prim, pd));
	BNN_DNNL_TRY(dnnl_memory_create(&p->src, fmd, cx->eng, src));
	BNN_DNNL_TRY(dnnl_memory_create(&p->dst, tmd, cx->eng, dst));
out:
	dnnl_primitive_desc_destroy(pd);
	return rc;
}

/* The same between two layouts of n x c x h x w floats. */
static int rn_reorder_make(rn_ctx_t *cx, rn_prim_t *p, int64_t n, int64_t c, int64_t h, int64_t w,
			   dnnl_format_tag_t from, void *src, dnnl_format_tag_t to, void *dst)
{
	dnnl_memory_desc_t fmd, tmd;
	dnnl_dims_t dims = { n, c, h, w };
	int rc = 0;
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&fmd, 4, dims, dnnl_f32, from));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&tmd, 4, dims, dnnl_f32, to));
	rc = rn_reorder_md(cx, p, &fmd, src, &tmd, dst);
out:
	return rc;
}

/* Runs a reorder made above and waits for it. */
static int rn_reorder_run(rn_ctx_t *cx, rn_prim_t *p)
{
	dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, p->src }, { DNNL_ARG_TO, p->dst } };
	int rc = 0;
	BNN_DNNL_TRY(dnnl_primitive_execute(p->prim, cx->strm, 2, args));
	BNN_DNNL_TRY(dnnl_stream_wait(cx->strm));
out:
	return rc;
}

/*
 * The block peer: every tensor in one allocation, the two convs, and in
 * nChw8c the reorders of the user's NHWC input and output. Returns 0 and
 * *state, or a negative errno with nothing held.
 */
static int rblock_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state, int int8)
{
	const bnn_rblock_shape_t *b = &d->rblock;
	rn_block_peer_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = rn_ctx_init(&st->cx, int8);
	if (rc)
		goto fail;
	/* nChw8c needs whole blocks of 8 channels (k is c or 2c). */
	if (b->c % 8)
		st->cx.blocked = 0;
	st->x = in->a;
	int64_t ipix = b->n * b->h * b->w, opix = b->n * b->oh * b->ow;
	size_t ss = rn_sign_size(&st->cx);
	int blk = st->cx.blocked;
	/* s3, acc3, u, s1, acc1, and in nChw8c x and y: byte offsets, each
	 * tensor starting on a line of its own. */
	size_t sz[7] = { (size_t)(ipix * b->c) * ss, (size_t)(opix * b->c) * 4,
			 (size_t)(opix * b->c) * 4, (size_t)(opix * b->c) * ss,
			 (size_t)(opix * b->k) * 4, blk ? (size_t)(ipix * b->c) * 4 : 0,
			 blk ? (size_t)(opix * b->k) * 4 : 0 };
	size_t off[8] = { 0 };
	for (int i = 0; i < 7; i++)
		off[i + 1] = off[i] + (sz[i] + 63) / 64 * 64;
	rc = -ENOMEM;
	if (!(st->buf = rn_alloc(off[7])))
		goto fail;
	char *base = st->buf;
	st->xb = blk ? (float *)(base + off[5]) : NULL;
	st->yb = blk ? (float *)(base + off[6]) : NULL;
	if ((rc = rn_block_init(&st->cx, &st->bl, b, in->params, blk ? st->xb : in->a,
				base + off[0], base + off[1], (float *)(base + off[2]),
				base + off[3], base + off[4], st->yb)) != 0)
		goto fail;
	/* The reorders read in->a (const: a reorder only reads its source). */
	if (blk && (rc = rn_reorder_make(&st->cx, &st->x_reorder, b->n, b->c, b->h, b->w,
					    dnnl_nhwc, (void *)in->a, dnnl_nChw8c, st->xb)) != 0)
		goto fail;
	if (blk && (rc = rn_reorder_make(&st->cx, &st->y_reorder, b->n, b->k, b->oh, b->ow,
					     dnnl_nChw8c, st->yb, dnnl_nhwc,
					     DNNL_MEMORY_NONE)) != 0)
		goto fail;
	if ((rc = rn_attach_scratch(&st->cx, &st->bl.conv3)) != 0 ||
	    (rc = rn_attach_scratch(&st->cx, &st->bl.conv1)) != 0)
		goto fail;
	*state = st;
	return 0;
fail:
	bnn_peer_rblock_release(st);
	return rc;
}

int bnn_peer_rblock_f32_supports(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	if (9 * d->rblock.c > (INT64_C(1) << 24)) {
		snprintf(why, whylen, "float32 sums of +-1 are exact only up to 2^24 taps");
		return -1;
	}
	return 0;
}

int bnn_peer_rblock_f32_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return rblock_prepare(d, in, state, 0);
}

int bnn_peer_rblock_s8_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return rblock_prepare(d, in, state, 1);
}

/* Timed: (reorder x,) RSign1, the block, (reorder y into out). */
int bnn_peer_rblock_run(void *state, void *out)
{
	rn_block_peer_t *st = state;
	rn_block_t *bl = &st->bl;
	const bnn_rblock_shape_t *b = &bl->b;
	int rc = 0;
	if (st->xb && (rc = rn_reorder_run(&st->cx, &st->x_reorder)) != 0)
		return rc;
	rn_rsign(&st->cx, bl->x, bl->s3, bl->p->rsign1, b->n, b->h * b->w, b->c);
	if (!st->yb)
		bl->y = out;
	if ((rc = rn_block_forward(bl)) != 0)
		return rc;
	if (st->yb) {
		BNN_DNNL_TRY(dnnl_memory_set_data_handle(st->y_reorder.dst, out));
		rc = rn_reorder_run(&st->cx, &st->y_reorder);
	}
out:
	return rc;
}

/* ---- the network peer ---------------------------------------------------- */

typedef struct {
	rn_ctx_t cx;
	bnn_rnet_shape_t r;
	rn_prim_t stem, fc;
	rn_prim_t img_reorder;  /* NCHW images to the stem's layout; NULL prim: none */
	rn_prim_t stem_reorder; /* the stem's layout to act[0]'s; NULL prim: none */
	rn_block_t bl[BNN_RNET_BLOCKS];
	void *buf;              /* every tensor */
	float *act[2];          /* block i reads act[i % 2], writes act[(i + 1) % 2] */
	void *s3[2];            /* block i's RSign1 input is s3[i % 2] */
	float *pooled;          /* [n][1024] */
} rn_net_peer_t;

void bnn_peer_rnet_release(void *state)
{
	rn_net_peer_t *st = state;
	if (!st)
		return;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++)
		rn_block_free(&st->bl[i]);
	rn_prim_free(&st->stem);
	rn_prim_free(&st->fc);
	rn_prim_free(&st->img_reorder);
	rn_prim_free(&st->stem_reorder);
	free(st->buf);
	rn_ctx_free(&st->cx);
	free(st);
}

/* The stem: fp32 conv of the NCHW images, BN folded into weights and bias. */
static int rn_stem_make(rn_net_peer_t *st, const bnn_rnet_params_t *p, const float *img)
{
	const int64_t sc = BNN_RNET_STEM_C;
	float *w = malloc((27 * sc + sc) * sizeof(float));
	if (!w)
		return -ENOMEM;
	float *bias = w + 27 * sc;
	for (int64_t o = 0; o < sc; o++) {
		double inv = 1.0 / sqrt((double)p->stem_bn.var[o] + (double)BNN_BN_EPS);
		double m = p->stem_bn.gamma[o] * inv;
		for (int64_t t = 0; t < 27; t++)
			w[o * 27 + t] = (float)(p->stem_w[o * 27 + t] * m);
		bias[o] = (float)(p->stem_bn.beta[o] - (double)p->stem_bn.mean[o] * m);
	}
	/*
	 * oneDNN 2.6 has no jit conv of 3 input channels into NHWC, only the
	 * reference one (about 400 ms here); its jit stem takes NCHW to
	 * nChw8c. So both layouts are oneDNN's choice, reached by timed
	 * reorders from the NCHW images and to the blocks' layout where they
	 * differ from those.
	 */
	rn_conv_spec_t s = { .n = st->r.n, .c = 3, .h = st->r.h, .w = st->r.w, .k = sc, .ks = 3,
			     .stride = 2, .src_tag = dnnl_format_tag_any,
			     .dst_tag = dnnl_format_tag_any, .src_dt = dnnl_f32,
			     .wei_dt = dnnl_f32, .dst_dt = dnnl_f32, .wei = w, .bias = bias,
			     .src = NULL, .dst = NULL };
	int rc = rn_conv_make(&st->cx, &st->stem, &s);
	free(w);
	if (rc)
		return rc;
	const dnnl_memory_desc_t *src_md, *dst_md;
	dnnl_memory_desc_t img_md, act_md;
	dnnl_dims_t idims = { st->r.n, 3, st->r.h, st->r.w },
		    adims = { st->r.n, sc, st->r.h / 2, st->r.w / 2 };
	void *h;
	BNN_DNNL_TRY(dnnl_memory_get_memory_desc(st->stem.src, &src_md));
	BNN_DNNL_TRY(dnnl_memory_get_memory_desc(st->stem.dst, &dst_md));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&img_md, 4, idims, dnnl_f32, dnnl_nchw));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&act_md, 4, adims, dnnl_f32, rn_tag(&st->cx)));
	/* oneDNN only reads a source: dropping const is safe. */
	if (dnnl_memory_desc_equal(&img_md, src_md)) {
		BNN_DNNL_TRY(dnnl_memory_set_data_handle(st->stem.src, (void *)img));
	} else {
		BNN_DNNL_TRY(dnnl_memory_get_data_handle(st->stem.src, &h));
		if ((rc = rn_reorder_md(&st->cx, &st->img_reorder, &img_md, (void *)img, src_md,
					h)) != 0)
			goto out;
	}
	if (dnnl_memory_desc_equal(&act_md, dst_md)) {
		BNN_DNNL_TRY(dnnl_memory_set_data_handle(st->stem.dst, st->act[0]));
	} else {
		BNN_DNNL_TRY(dnnl_memory_get_data_handle(st->stem.dst, &h));
		rc = rn_reorder_md(&st->cx, &st->stem_reorder, dst_md, h, &act_md, st->act[0]);
	}
out:
	return rc;
}

/* The FC: a oneDNN fp32 inner product [n][1024] -> [n][1000] with bias. */
static int rn_fc_make(rn_net_peer_t *st, const bnn_rnet_params_t *p)
{
	rn_ctx_t *cx = &st->cx;
	rn_prim_t *f = &st->fc;
	dnnl_primitive_desc_t pd = NULL;
	dnnl_primitive_attr_t attr = NULL;
	dnnl_memory_desc_t src_md, dst_md, wei_any, wei_usr, bias_md;
	dnnl_inner_product_desc_t ipd;
	dnnl_dims_t sd = { st->r.n, BNN_RNET_FC_IN }, dd = { st->r.n, BNN_RNET_CLASSES },
		    wd = { BNN_RNET_CLASSES, BNN_RNET_FC_IN }, bd = { BNN_RNET_CLASSES };
	int rc = 0;
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_md, 2, sd, dnnl_f32, dnnl_nc));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst_md, 2, dd, dnnl_f32, dnnl_nc));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_any, 2, wd, dnnl_f32, dnnl_format_tag_any));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_usr, 2, wd, dnnl_f32, dnnl_oi));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&bias_md, 1, bd, dnnl_f32, dnnl_x));
	BNN_DNNL_TRY(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_inference, &src_md,
						    &wei_any, &bias_md, &dst_md));
	BNN_DNNL_TRY(dnnl_primitive_attr_create(&attr));
	BNN_DNNL_TRY(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
	BNN_DNNL_TRY(dnnl_primitive_desc_create(&pd, &ipd, attr, cx->eng, NULL));
	if ((rc = rn_load_weights(cx, f, &wei_usr,
				  dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
				  p->fc_w)) != 0 ||
	    (rc = rn_load_bias(cx, f, &bias_md, p->fc_b, BNN_RNET_CLASSES)) != 0)
		goto out;
	BNN_DNNL_TRY(dnnl_memory_create(&f->src, &src_md, cx->eng, st->pooled));
	BNN_DNNL_TRY(dnnl_memory_create(&f->dst, &dst_md, cx->eng, DNNL_MEMORY_NONE));
	rn_note_scratch(cx, pd);
	BNN_DNNL_TRY(dnnl_primitive_create(&f->prim, pd));
out:
	dnnl_primitive_desc_destroy(pd);
	dnnl_primitive_attr_destroy(attr);
	return rc;
}

/*
 * The network peer: the stem, 13 blocks sharing ping-pong activation and
 * RSign buffers and one buffer each for the sums, u and RSign2 (the blocks
 * run one after the other), the pool and the FC. Returns 0 and *state, or
 * a negative errno with nothing held.
 */
static int rnet_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state, int int8)
{
	const bnn_rnet_shape_t *r = &d->rnet;
	const bnn_rnet_params_t *p = in->params;
	rn_net_peer_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int rc = rn_ctx_init(&st->cx, int8);
	if (rc)
		goto fail;
	st->r = *r;
	size_t ss = rn_sign_size(&st->cx);
	/* The largest of each kind of tensor over the blocks. */
	size_t act = (size_t)(r->n * (r->h / 2) * (r->w / 2) * BNN_RNET_STEM_C), sgn = act, acc = 0,
	       u = 0, s1 = 0;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		size_t opix = (size_t)(b.n * b.oh * b.ow);
		size_t in_n = (size_t)(b.n * b.h * b.w * b.c), out_n = opix * (size_t)b.k;
		act = act > out_n ? act : out_n;
		sgn = sgn > out_n ? sgn : out_n;
		sgn = sgn > in_n ? sgn : in_n;
		acc = acc > out_n ? acc : out_n;
		acc = acc > opix * (size_t)b.c ? acc : opix * (size_t)b.c;
		u = u > opix * (size_t)b.c ? u : opix * (size_t)b.c;
	}
	s1 = u;
	size_t sz[7] = { act * 4, act * 4, sgn * ss, sgn * ss, acc * 4, u * 4 + s1 * ss,
			 (size_t)(r->n * BNN_RNET_FC_IN) * 4 };
	size_t off[8] = { 0 };
	for (int i = 0; i < 7; i++)
		off[i + 1] = off[i] + (sz[i] + 63) / 64 * 64;
	rc = -ENOMEM;
	if (!(st->buf = rn_alloc(off[7])))
		goto fail;
	char *base = st->buf;
	st->act[0] = (float *)(base + off[0]);
	st->act[1] = (float *)(base + off[1]);
	st->s3[0] = base + off[2];
	st->s3[1] = base + off[3];
	void *accb = base + off[4];
	float *ub = (float *)(base + off[5]);
	void *s1b = base + off[5] + (u * 4 + 63) / 64 * 64;
	st->pooled = (float *)(base + off[6]);
	if ((rc = rn_stem_make(st, p, in->a)) != 0)
		goto fail;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		rn_block_t *bl = &st->bl[i];
		if ((rc = rn_block_init(&st->cx, bl, &b, &p->block[i], st->act[i % 2],
					st->s3[i % 2], accb, ub, s1b, accb,
					st->act[(i + 1) % 2])) != 0)
			goto fail;
		if (i + 1 < BNN_RNET_BLOCKS) {
			bl->next_s3 = st->s3[(i + 1) % 2];
			bl->next_rsign = p->block[i + 1].rsign1;
		}
	}
	if ((rc = rn_fc_make(st, p)) != 0)
		goto fail;
	if ((rc = rn_attach_scratch(&st->cx, &st->stem)) != 0 ||
	    (rc = rn_attach_scratch(&st->cx, &st->fc)) != 0)
		goto fail;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++)
		if ((rc = rn_attach_scratch(&st->cx, &st->bl[i].conv3)) != 0 ||
		    (rc = rn_attach_scratch(&st->cx, &st->bl[i].conv1)) != 0)
			goto fail;
	*state = st;
	return 0;
fail:
	bnn_peer_rnet_release(st);
	return rc;
}

int bnn_peer_rnet_f32_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return rnet_prepare(d, in, state, 0);
}

int bnn_peer_rnet_s8_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return rnet_prepare(d, in, state, 1);
}

/* Global average pool of the last block's output, any layout, per image. */
static void rn_pool_images(void *vst, int64_t b0, int64_t b1, int tid)
{
	const rn_net_peer_t *st = vst;
	const rn_block_t *last = &st->bl[BNN_RNET_BLOCKS - 1];
	const float *x = last->y;
	int64_t c = last->b.k, B = last->bk, pix = last->b.oh * last->b.ow;
	(void)tid;
	for (int64_t n = b0; n < b1; n++) {
		float *pooled = st->pooled + n * c;
		for (int64_t ch = 0; ch < c; ch++)
			pooled[ch] = 0.0f;
		for (int64_t cb = 0; cb < c / B; cb++)
			for (int64_t q = 0; q < pix; q++) {
				const float *row = x + rn_at(c, B, pix, n, cb, q);
				for (int64_t j = 0; j < B; j++)
					pooled[cb * B + j] += row[j];
			}
		for (int64_t ch = 0; ch < c; ch++)
			pooled[ch] /= (float)pix;
	}
}

/* Timed: the images through the stem (with its reorders), the blocks,
 * the pool and the FC, whose output is out. */
int bnn_peer_rnet_run(void *state, void *out)
{
	rn_net_peer_t *st = state;
	int rc = 0;
	if (st->img_reorder.prim && (rc = rn_reorder_run(&st->cx, &st->img_reorder)) != 0)
		return rc;
	if ((rc = rn_exec(&st->cx, &st->stem)) != 0)
		return rc;
	if (st->stem_reorder.prim && (rc = rn_reorder_run(&st->cx, &st->stem_reorder)) != 0)
		return rc;
	rn_block_t *b0 = &st->bl[0];
	rn_rsign(&st->cx, st->act[0], st->s3[0], b0->p->rsign1, b0->b.n, b0->b.h * b0->b.w,
		 b0->b.c);
	for (int i = 0; i < BNN_RNET_BLOCKS; i++)
		if ((rc = rn_block_forward(&st->bl[i])) != 0)
			return rc;
	rn_parallel_for(st->r.n, 1, rn_pool_images, st);
	BNN_DNNL_TRY(dnnl_memory_set_data_handle(st->fc.dst, out));
	rc = rn_exec(&st->cx, &st->fc);
out:
	return rc;
}

#endif /* HAVE_DNNL */
