/*
 * Peers: OpenBLAS sgemm and oneDNN convolutions behind the kernel interface
 * (see peers.h). Each peer binarizes its inputs to +-1 in prepare (untimed),
 * as a user feeding a float or int8 library with binary data would hold them,
 * and converts its result to our output type in run (timed).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "peers.h"
#ifdef HAVE_DNNL
#include "peers_reactnet.h"
#endif

#ifdef HAVE_OPENBLAS
#include <cblas.h>
#endif

#ifdef BNN_HAVE_CUBLAS
/* The GPU peers: cublas_peers.cu, device-resident (fetch). */
#include "cublas_peers.h"
#endif

#ifdef HAVE_DNNL
/* The oneDNN 2.x C API (operation descriptors; 3.0 removed them). */
#include <oneapi/dnnl/dnnl.h>
#include "dnnl_util.h"
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
#ifdef _OPENMP
#include <omp.h>
#else
#include <dlfcn.h>
#endif
#endif
#endif

#if !defined(HAVE_OPENBLAS) && !defined(HAVE_DNNL) && !defined(BNN_HAVE_CUBLAS)
#define BNN_PEERS_NONE 1
#elif defined(HAVE_OPENBLAS) || defined(HAVE_DNNL)
/* Float sums of +-1 are exact while no partial sum exceeds 2^24. */
#define PEER_F32_EXACT_LEN (INT64_C(1) << 24)

static float sign1f(float x)
{
	return x >= 0.0f ? 1.0f : -1.0f;
}
#endif

/* ---- OpenBLAS ----------------------------------------------------------- */

#ifdef HAVE_OPENBLAS

typedef struct {
	int m, n, k;
	float *a;	/* sign(A), m x k */
	float *b;	/* sign(B), n x k */
	float *c;	/* sgemm's result, m x n, converted to int32 by run */
} sgemm_peer_t;

/* Accepts GEMMs whose sizes fit BLAS's int and whose sums stay exact. */
static int sgemm_supports(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	const bnn_gemm_shape_t *g = &d->gemm;
	if (g->m > INT_MAX || g->n > INT_MAX || g->k > INT_MAX) {
		snprintf(why, whylen, "a size exceeds the BLAS int range");
		return -1;
	}
	if (g->k > PEER_F32_EXACT_LEN) {
		snprintf(why, whylen, "float32 sums of +-1 are exact only up to k = 2^24");
		return -1;
	}
	return 0;
}

/* Frees what sgemm_prepare took; state may be NULL. */
static void sgemm_release(void *state)
{
	sgemm_peer_t *st = state;
	if (!st)
		return;
	free(st->a);
	free(st->b);
	free(st->c);
	free(st);
}

/* Copies sign(A) and sign(B) as +-1.0f and allocates the float result.
 * Returns 0 and *state, or -ENOMEM / -EOVERFLOW with nothing held. */
static int sgemm_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	char why[64];
	if (sgemm_supports(d, why, sizeof(why)))
		return -EOVERFLOW;
	sgemm_peer_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->m = (int)d->gemm.m;
	st->n = (int)d->gemm.n;
	st->k = (int)d->gemm.k;
	size_t ak = (size_t)st->m * (size_t)st->k, bk = (size_t)st->n * (size_t)st->k;
	st->a = malloc(ak * sizeof(float));
	st->b = malloc(bk * sizeof(float));
	st->c = malloc((size_t)st->m * (size_t)st->n * sizeof(float));
	if (!st->a || !st->b || !st->c) {
		sgemm_release(st);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ak; i++)
		st->a[i] = sign1f(in->a[i]);
	for (size_t i = 0; i < bk; i++)
		st->b[i] = sign1f(in->b[i]);
	*state = st;
	return 0;
}

/* C = sign(A) sign(B)^T in float, then to int32 (exact: small integers). */
static int sgemm_run(void *state, void *out)
{
	sgemm_peer_t *st = state;
	int32_t *c = out;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, st->m, st->n, st->k, 1.0f, st->a,
		    st->k, st->b, st->k, 0.0f, st->c, st->n);
	size_t mn = (size_t)st->m * (size_t)st->n;
	for (size_t i = 0; i < mn; i++)
		c[i] = (int32_t)st->c[i];
	return 0;
}

#endif /* HAVE_OPENBLAS */

/* ---- oneDNN ------------------------------------------------------------- */

#ifdef HAVE_DNNL

/*
 * One oneDNN convolution with the user's layouts on both sides: NHWC source
 * and destination, OHWI weights (5-D gohwi with groups). The primitive picks
 * its own layouts (format "any"); where they differ from the user's, a
 * reorder converts. The weights are reordered once in prepare; the source
 * and destination reorders run in run and are timed, since a user holding
 * NHWC tensors pays them on every call. The destination reorder also
 * converts to our output type (f32 -> s32 rounds to nearest: exact here).
 */
typedef struct {
	dnnl_engine_t eng;
	dnnl_stream_t strm;
	dnnl_primitive_t conv;
	dnnl_primitive_t src_reorder;	/* NULL when usr_src is the primitive's source */
	dnnl_primitive_t dst_reorder;	/* NULL when usr_dst is the primitive's destination */
	dnnl_memory_t usr_src, src;	/* src == usr_src without a reorder */
	dnnl_memory_t wei;
	dnnl_memory_t dst, usr_dst;	/* usr_dst's handle is run's out */
	dnnl_memory_t scratch;		/* NULL when the primitive needs none */
	void *src_buf;			/* the +-1 source we own; NULL when borrowed */
} dnnl_peer_t;

/* What a peer feeds oneDNN: data types and the inputs in user layouts. */
typedef struct {
	dnnl_data_type_t src_dt, wei_dt, dst_dt, out_dt;
	void *src;		/* NHWC, read by every run */
	int src_owned;		/* the state frees src (on success only) */
	int32_t src_zp;		/* the source's zero point, 0 for none */
	int exact_wei;		/* refuse a layout that rescales the weights */
	const void *wei;	/* OHWI, read once by prepare */
} dnnl_peer_io_t;


/* Binary conv: pad_value = 1 has no oneDNN form; zero padding is oneDNN's
 * own (without padding, pad_value changes nothing and is accepted). */
static int dnnl_conv_supports(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	if (d->conv.pad_value != 0 && d->conv.pad > 0) {
		snprintf(why, whylen, "oneDNN pads with zeros; pad_value=1 has no oneDNN equivalent");
		return -1;
	}
	return 0;
}

/* The f32 binary peer also needs its float sums to stay exact. */
static int dnnl_conv_f32_supports(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	const bnn_conv_shape_t *s = &d->conv;
	if (s->kh * s->kw * (s->c / s->groups) > PEER_F32_EXACT_LEN) {
		snprintf(why, whylen, "float32 sums of +-1 are exact only up to 2^24 taps");
		return -1;
	}
	return dnnl_conv_supports(d, why, whylen);
}

/* Frees everything a dnnl_peer_t holds; state may be NULL or half built. */
static void dnnl_peer_release(void *state)
{
	dnnl_peer_t *st = state;
	if (!st)
		return;
	dnnl_primitive_destroy(st->conv);
	dnnl_primitive_destroy(st->src_reorder);
	dnnl_primitive_destroy(st->dst_reorder);
	if (st->src != st->usr_src)
		dnnl_memory_destroy(st->src);
	dnnl_memory_destroy(st->usr_src);
	if (st->dst != st->usr_dst)
		dnnl_memory_destroy(st->dst);
	dnnl_memory_destroy(st->usr_dst);
	dnnl_memory_destroy(st->wei);
	dnnl_memory_destroy(st->scratch);
	dnnl_stream_destroy(st->strm);
	dnnl_engine_destroy(st->eng);
	free(st->src_buf);
	free(st);
}

/* A reorder primitive from one layout to another on the CPU engine. */
static dnnl_status_t dnnl_make_reorder(dnnl_engine_t eng, const dnnl_memory_desc_t *from,
				       const dnnl_memory_desc_t *to, dnnl_primitive_t *prim)
{
	dnnl_primitive_desc_t pd;
	dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, from, eng, to, eng, NULL);
	if (s != dnnl_success)
		return s;
	s = dnnl_primitive_create(prim, pd);
	dnnl_primitive_desc_destroy(pd);
	return s;
}

/* Runs one reorder now and waits for it. */
static dnnl_status_t dnnl_run_reorder(dnnl_stream_t strm, dnnl_primitive_t r, dnnl_memory_t from,
				      dnnl_memory_t to)
{
	dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, from }, { DNNL_ARG_TO, to } };
	dnnl_status_t s = dnnl_primitive_execute(r, strm, 2, args);
	return s == dnnl_success ? dnnl_stream_wait(strm) : s;
}

/*
 * Builds the convolution of shape d with io's types. On success the state
 * owns io->src when io->src_owned; on failure the caller still does.
 * Reorders the weights now (the caller may free io->wei on return) and
 * creates every workspace run needs, so run allocates nothing. Returns 0
 * and *state, or a negative errno: -ENOTSUP where oneDNN has no
 * implementation for the shape and types, -ERANGE where io->exact_wei is
 * set and oneDNN would scale the weights (see conv_s8_prepare).
 */
static int dnnl_peer_build(const bnn_op_desc_t *d, const dnnl_peer_io_t *io, void **state)
{
	const bnn_conv_shape_t *s = &d->conv;
	dnnl_primitive_desc_t pd = NULL;
	dnnl_primitive_attr_t attr = NULL;
	dnnl_primitive_t wr = NULL;
	dnnl_memory_t usr_wei = NULL;
	int rc = 0;

	dnnl_peer_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;

	int64_t g = s->groups;
	dnnl_dims_t src_dims = { s->n, s->c, s->h, s->w };
	dnnl_dims_t dst_dims = { s->n, s->k, s->oh, s->ow };
	dnnl_dims_t wei_dims = { s->k, s->c, s->kh, s->kw };
	dnnl_dims_t gwei_dims = { g, s->k / g, s->c / g, s->kh, s->kw };
	dnnl_dims_t strides = { s->stride, s->stride };
	dnnl_dims_t dil = { s->dil - 1, s->dil - 1 };	/* oneDNN counts the gaps */
	dnnl_dims_t pad = { s->pad, s->pad };
	dnnl_memory_desc_t usr_src_md, usr_wei_md, usr_dst_md, src_any, wei_any, dst_any;
	const dnnl_memory_desc_t *src_md, *wei_md, *dst_md, *scr_md;
	dnnl_convolution_desc_t cd;

	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&usr_src_md, 4, src_dims, io->src_dt, dnnl_nhwc));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&usr_dst_md, 4, dst_dims, io->out_dt, dnnl_nhwc));
	if (g == 1)
		BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&usr_wei_md, 4, wei_dims, io->wei_dt,
						      dnnl_ohwi));
	else
		BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&usr_wei_md, 5, gwei_dims, io->wei_dt,
						      dnnl_gohwi));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_any, 4, src_dims, io->src_dt,
					      dnnl_format_tag_any));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst_any, 4, dst_dims, io->dst_dt,
					      dnnl_format_tag_any));
	BNN_DNNL_TRY(dnnl_memory_desc_init_by_tag(&wei_any, g == 1 ? 4 : 5, g == 1 ? wei_dims : gwei_dims,
					      io->wei_dt, dnnl_format_tag_any));
	/* Direct, never Winograd: BWN's rounding bound assumes plain sums. */
	BNN_DNNL_TRY(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference,
							    dnnl_convolution_direct, &src_any,
							    &wei_any, NULL, &dst_any, strides, dil,
							    pad, pad));

	BNN_DNNL_TRY(dnnl_engine_create(&st->eng, dnnl_cpu, 0));
	BNN_DNNL_TRY(dnnl_stream_create(&st->strm, st->eng, dnnl_stream_default_flags));
	/* A user scratchpad, allocated here, keeps allocation out of run. */
	BNN_DNNL_TRY(dnnl_primitive_attr_create(&attr));
	BNN_DNNL_TRY(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
	if (io->src_zp)
		BNN_DNNL_TRY(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &io->src_zp));
	BNN_DNNL_TRY(dnnl_primitive_desc_create(&pd, &cd, attr, st->eng, NULL));

	src_md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
	wei_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	dst_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
	scr_md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	if (io->exact_wei && (wei_md->extra.flags & dnnl_memory_extra_flag_scale_adjust) &&
	    wei_md->extra.scale_adjust != 1.0f) {
		rc = -ERANGE;
		goto out;
	}

	/* Weights: the user's OHWI, reordered once into the primitive's layout
	 * (a reorder only reads its source, so dropping const is safe). */
	BNN_DNNL_TRY(dnnl_memory_create(&usr_wei, &usr_wei_md, st->eng, (void *)io->wei));
	BNN_DNNL_TRY(dnnl_memory_create(&st->wei, wei_md, st->eng, DNNL_MEMORY_ALLOCATE));
	BNN_DNNL_TRY(dnnl_make_reorder(st->eng, &usr_wei_md, wei_md, &wr));
	BNN_DNNL_TRY(dnnl_run_reorder(st->strm, wr, usr_wei, st->wei));

	BNN_DNNL_TRY(dnnl_memory_create(&st->usr_src, &usr_src_md, st->eng, io->src));
	if (dnnl_memory_desc_equal(&usr_src_md, src_md)) {
		st->src = st->usr_src;
	} else {
		BNN_DNNL_TRY(dnnl_memory_create(&st->src, src_md, st->eng, DNNL_MEMORY_ALLOCATE));
		BNN_DNNL_TRY(dnnl_make_reorder(st->eng, &usr_src_md, src_md, &st->src_reorder));
	}

	BNN_DNNL_TRY(dnnl_memory_create(&st->usr_dst, &usr_dst_md, st->eng, DNNL_MEMORY_NONE));
	if (dnnl_memory_desc_equal(&usr_dst_md, dst_md)) {
		st->dst = st->usr_dst;
	} else {
		BNN_DNNL_TRY(dnnl_memory_create(&st->dst, dst_md, st->eng, DNNL_MEMORY_ALLOCATE));
		BNN_DNNL_TRY(dnnl_make_reorder(st->eng, dst_md, &usr_dst_md, &st->dst_reorder));
	}

	if (scr_md && dnnl_memory_desc_get_size(scr_md) > 0)
		BNN_DNNL_TRY(dnnl_memory_create(&st->scratch, scr_md, st->eng, DNNL_MEMORY_ALLOCATE));
	BNN_DNNL_TRY(dnnl_primitive_create(&st->conv, pd));
out:
	dnnl_primitive_destroy(wr);
	dnnl_memory_destroy(usr_wei);
	dnnl_primitive_desc_destroy(pd);
	dnnl_primitive_attr_destroy(attr);
	if (rc) {
		dnnl_peer_release(st);
		return rc;
	}
	if (io->src_owned)
		st->src_buf = io->src;
	*state = st;
	return 0;
}

/*
 * Timed: source reorder (if any), the convolution, destination reorder into
 * out (if any; else the convolution writes out directly). Returns 0, or a
 * negative errno when oneDNN fails (out is then undefined).
 */
static int dnnl_peer_run(void *state, void *out)
{
	dnnl_peer_t *st = state;
	dnnl_exec_arg_t src_args[2] = { { DNNL_ARG_FROM, st->usr_src }, { DNNL_ARG_TO, st->src } };
	dnnl_exec_arg_t dst_args[2] = { { DNNL_ARG_FROM, st->dst }, { DNNL_ARG_TO, st->usr_dst } };
	dnnl_exec_arg_t args[4] = {
		{ DNNL_ARG_SRC, st->src },
		{ DNNL_ARG_WEIGHTS, st->wei },
		{ DNNL_ARG_DST, st->dst },
		{ DNNL_ARG_SCRATCHPAD, st->scratch },
	};
	int rc = 0;

	BNN_DNNL_TRY(dnnl_memory_set_data_handle(st->usr_dst, out));
	if (st->src_reorder)
		BNN_DNNL_TRY(dnnl_primitive_execute(st->src_reorder, st->strm, 2, src_args));
	BNN_DNNL_TRY(dnnl_primitive_execute(st->conv, st->strm, st->scratch ? 4 : 3, args));
	if (st->dst_reorder)
		BNN_DNNL_TRY(dnnl_primitive_execute(st->dst_reorder, st->strm, 2, dst_args));
	BNN_DNNL_TRY(dnnl_stream_wait(st->strm));
out:
	return rc;
}

static size_t conv_src_len(const bnn_conv_shape_t *s)
{
	return (size_t)s->n * (size_t)s->h * (size_t)s->w * (size_t)s->c;
}

static size_t conv_wei_len(const bnn_conv_shape_t *s)
{
	return (size_t)s->k * (size_t)s->kh * (size_t)s->kw * (size_t)(s->c / s->groups);
}

/*
 * Binary conv in fp32: sign(x) and sign(w) as +-1.0f, f32 destination
 * reordered into int32 out. Returns 0 and *state, or a negative errno.
 */
static int conv_f32_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	const bnn_conv_shape_t *s = &d->conv;
	size_t nx = conv_src_len(s), nw = conv_wei_len(s);
	float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float));
	if (!x || !w) {
		free(x);
		free(w);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nx; i++)
		x[i] = sign1f(in->a[i]);
	for (size_t i = 0; i < nw; i++)
		w[i] = sign1f(in->b[i]);
	dnnl_peer_io_t io = {
		.src_dt = dnnl_f32, .wei_dt = dnnl_f32, .dst_dt = dnnl_f32, .out_dt = dnnl_s32,
		.src = x, .src_owned = 1, .wei = w,
	};
	int rc = dnnl_peer_build(d, &io, state);
	if (rc)
		free(x);
	free(w);
	return rc;
}

/*
 * Binary conv in int8: s8 +-1 weights, s32 destination (written straight
 * into out when oneDNN's layout is NHWC). The source is s8 +-1 where oneDNN
 * keeps the int8 weights as given (with VNNI). Without VNNI, oneDNN 2.6
 * halves the weights of an s8-source conv to keep vpmaddubsw from
 * saturating ("sa0.5" in DNNL_VERBOSE), which rounds +-1 to 0 and silently
 * returns zeros; there the source is u8 x+1 in {0, 2} with zero point 1,
 * i.e. the same +-1 values, and oneDNN pads with the zero point (a real 0).
 * Returns 0 and *state, or a negative errno.
 */
static int conv_s8_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	const bnn_conv_shape_t *s = &d->conv;
	size_t nx = conv_src_len(s), nw = conv_wei_len(s);
	int8_t *x = malloc(nx), *w = malloc(nw);
	if (!x || !w) {
		free(x);
		free(w);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nx; i++)
		x[i] = in->a[i] >= 0.0f ? 1 : -1;
	for (size_t i = 0; i < nw; i++)
		w[i] = in->b[i] >= 0.0f ? 1 : -1;
	dnnl_peer_io_t io = {
		.src_dt = dnnl_s8, .wei_dt = dnnl_s8, .dst_dt = dnnl_s32, .out_dt = dnnl_s32,
		.src = x, .src_owned = 1, .exact_wei = 1, .wei = w,
	};
	int rc = dnnl_peer_build(d, &io, state);
	if (rc == -ERANGE) {
		uint8_t *u = (uint8_t *)x;
		for (size_t i = 0; i < nx; i++)
			u[i] = (uint8_t)(x[i] + 1);
		io.src_dt = dnnl_u8;
		io.src_zp = 1;
		rc = dnnl_peer_build(d, &io, state);
	}
	if (rc)
		free(x);
	free(w);
	return rc;
}

/*
 * BWN in fp32: the real activations (borrowed from in, which outlives the
 * state) and weights alpha_o * sign(W_o), float output. Returns 0 and
 * *state, or a negative errno.
 */
static int bwn_f32_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	const bnn_conv_shape_t *s = &d->conv;
	size_t nw = conv_wei_len(s), per = nw / (size_t)s->k;
	float *w = malloc(nw * sizeof(float));
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < nw; i++)
		w[i] = in->alpha[i / per] * sign1f(in->b[i]);
	/* oneDNN only reads a source: dropping const is safe. */
	dnnl_peer_io_t io = {
		.src_dt = dnnl_f32, .wei_dt = dnnl_f32, .dst_dt = dnnl_f32, .out_dt = dnnl_f32,
		.src = (void *)in->a, .src_owned = 0, .wei = w,
	};
	int rc = dnnl_peer_build(d, &io, state);
	free(w);
	return rc;
}

#endif /* HAVE_DNNL */

/* ---- the table ---------------------------------------------------------- */

/*
 * C has no empty initializer list: a build without peer libraries gets one
 * placeholder entry that bnn_peer_count (0) hides.
 */

const bnn_kernel_t bnn_peers[] = {
#ifdef HAVE_OPENBLAS
	{
		.name = "sgemm__openblas",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_GENERIC,
		.summary = "OpenBLAS cblas_sgemm on +-1.0f operands, float result to int32",
		.supports = sgemm_supports,
		.prepare = sgemm_prepare,
		.run = sgemm_run,
		.release = sgemm_release,
	},
#endif
#ifdef HAVE_DNNL
	{
		.name = "conv_f32__onednn",
		.op = BNN_OP_CONV,
		.isa = BNN_ISA_GENERIC,
		.summary = "oneDNN fp32 direct conv on +-1.0f NHWC, timed with its reorders",
		.supports = dnnl_conv_f32_supports,
		.prepare = conv_f32_prepare,
		.run = dnnl_peer_run,
		.release = dnnl_peer_release,
	},
	{
		.name = "conv_s8__onednn",
		.op = BNN_OP_CONV,
		.isa = BNN_ISA_GENERIC,
		.summary = "oneDNN int8 direct conv on +-1 s8 NHWC, s32 result",
		.supports = dnnl_conv_supports,
		.prepare = conv_s8_prepare,
		.run = dnnl_peer_run,
		.release = dnnl_peer_release,
	},
	{
		.name = "bwn_f32__onednn",
		.op = BNN_OP_BWN,
		.isa = BNN_ISA_GENERIC,
		.summary = "oneDNN fp32 direct conv, real x and alpha*sign(W) weights",
		/* BWN pads its real activations with 0, as oneDNN does. */
		.supports = NULL,
		.prepare = bwn_f32_prepare,
		.run = dnnl_peer_run,
		.release = dnnl_peer_release,
	},
	/* ReActNet: peers/peers_reactnet.c. */
	{
		.name = "rblock_f32__onednn",
		.op = BNN_OP_RBLOCK,
		.isa = BNN_ISA_GENERIC,
		.summary = "ReActNet block: oneDNN fp32 convs of +-1.0f, C epilogue (BN, RPReLU)",
		.supports = bnn_peer_rblock_f32_supports,
		.prepare = bnn_peer_rblock_f32_prepare,
		.run = bnn_peer_rblock_run,
		.release = bnn_peer_rblock_release,
	},
	{
		.name = "rblock_s8__onednn",
		.op = BNN_OP_RBLOCK,
		.isa = BNN_ISA_GENERIC,
		.summary = "ReActNet block: oneDNN int8 convs of +-1 (u8 x+1), C epilogue",
		.prepare = bnn_peer_rblock_s8_prepare,
		.run = bnn_peer_rblock_run,
		.release = bnn_peer_rblock_release,
	},
	{
		.name = "reactnet_a_f32__onednn",
		.op = BNN_OP_RNET,
		.isa = BNN_ISA_GENERIC,
		.summary = "ReActNet-A: fp32 stem and FC, the blocks of rblock_f32__onednn",
		.prepare = bnn_peer_rnet_f32_prepare,
		.run = bnn_peer_rnet_run,
		.release = bnn_peer_rnet_release,
	},
	{
		.name = "reactnet_a_s8__onednn",
		.op = BNN_OP_RNET,
		.isa = BNN_ISA_GENERIC,
		.summary = "ReActNet-A: fp32 stem and FC, the blocks of rblock_s8__onednn",
		.prepare = bnn_peer_rnet_s8_prepare,
		.run = bnn_peer_rnet_run,
		.release = bnn_peer_rnet_release,
	},
#endif
#ifdef BNN_HAVE_CUBLAS
	/* GPU (isa cuda: SKIP with the runtime's reason without a device). */
	{
		.name = "gemm_s8__cublaslt",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU cuBLASLt int8 GEMM on +-1 s8 operands, s32 result (device-resident)",
		.supports = bnn_cublas_supports__s8,
		.prepare = bnn_cublas_prepare__s8,
		.run = bnn_cublas_run,
		.release = bnn_cublas_release,
		.fetch = bnn_cublas_fetch,
	},
	{
		.name = "gemm_f16__cublaslt",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU cuBLASLt fp16 GEMM on +-1.0 halves, fp32 accumulate and output, to int32",
		.supports = bnn_cublas_supports__f16,
		.prepare = bnn_cublas_prepare__f16,
		.run = bnn_cublas_run,
		.release = bnn_cublas_release,
		.fetch = bnn_cublas_fetch,
	},
#endif
#ifdef BNN_PEERS_NONE
	{ .name = NULL },
#endif
};

#ifdef BNN_PEERS_NONE
const size_t bnn_peer_count = 0;
#else
const size_t bnn_peer_count = sizeof(bnn_peers) / sizeof(bnn_peers[0]);
#endif

/* ---- threads and versions ----------------------------------------------- */

#if defined(HAVE_DNNL) && DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
/*
 * oneDNN's OpenMP runtime takes its thread count from omp_get_max_threads()
 * of the calling thread. Built with OpenMP we call omp_set_num_threads;
 * otherwise we find it in the OpenMP library libdnnl already loaded (we do
 * not link libgomp ourselves), and without it leave OMP_NUM_THREADS rule.
 */
static void dnnl_set_threads(int n)
{
#ifdef _OPENMP
	omp_set_num_threads(n);
#else
	void (*set)(int);
	*(void **)&set = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
	if (set)
		set(n);
#endif
}
#elif defined(HAVE_DNNL)
/* TBB and threadpool runtimes take their concurrency from the application. */
static void dnnl_set_threads(int n)
{
	(void)n;
}
#endif

void bnn_peers_set_threads(int n)
{
	if (n < 1)
		n = 1;
#ifdef HAVE_OPENBLAS
	openblas_set_num_threads(n);
#endif
#ifdef HAVE_DNNL
	dnnl_set_threads(n);
#endif
	(void)n;
}

#ifdef HAVE_DNNL
static const char *dnnl_runtime_name(unsigned r)
{
	switch (r) {
	case DNNL_RUNTIME_SEQ:
		return "sequential";
	case DNNL_RUNTIME_OMP:
		return "OpenMP";
	case DNNL_RUNTIME_TBB:
		return "TBB";
	case DNNL_RUNTIME_THREADPOOL:
		return "threadpool";
	default:
		return "unknown runtime";
	}
}
#endif

/* OpenBLAS's x86-64 cores with AVX2 kernels (its names, any case). */
static const char *const avx2_cores[] = { "haswell", "zen", "skylakex", "cooperlake",
					  "sapphirerapids" };

int bnn_openblas_core_short(const char *core, const char *cpu_features, char *msg, size_t len)
{
	if (!core || !cpu_features || !strstr(cpu_features, "avx2"))
		return 0;
	for (size_t i = 0; i < sizeof(avx2_cores) / sizeof(avx2_cores[0]); i++)
		if (strcasecmp(core, avx2_cores[i]) == 0)
			return 0;
	int avx512 = strstr(cpu_features, "avx512f") != NULL;
	snprintf(msg, len,
		 "OpenBLAS runs its %s kernels, without the AVX2%s this CPU has (a library "
		 "older than the CPU model): sgemm__openblas is slower than OpenBLAS can be "
		 "here, and ratios against it flatter the kernels; OPENBLAS_CORETYPE=%s in "
		 "the environment picks that core",
		 core, avx512 ? " and AVX-512" : "", avx512 ? "SkylakeX" : "Haswell");
	return 1;
}

const char *bnn_peers_caveat(void)
{
#ifdef HAVE_OPENBLAS
	static char msg[512];
	return bnn_openblas_core_short(openblas_get_corename(), bnn_cpu_features(), msg,
				       sizeof(msg)) ?
		       msg :
		       NULL;
#else
	return NULL;
#endif
}

const char *bnn_peers_versions(void)
{
#ifdef BNN_PEERS_NONE
	return "none";
#else
	static char buf[256];
	size_t len = 0;
#ifdef HAVE_OPENBLAS
	{
		/* openblas_get_config(): "OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell ...";
		 * the library loaded may be newer than the header we saw. */
		char ver[32] = "";
		sscanf(openblas_get_config(), "OpenBLAS %31s", ver);
		int par = openblas_get_parallel();
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "OpenBLAS %s (%s, %s)",
					ver[0] ? ver : "?",
					par == 0 ? "sequential" : par == 1 ? "pthread" : "OpenMP",
					openblas_get_corename());
	}
#endif
#ifdef HAVE_DNNL
	{
		const dnnl_version_t *v = dnnl_version();
		if (len < sizeof(buf))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%soneDNN %d.%d.%d (%s)", len ? ", " : "",
						v->major, v->minor, v->patch,
						dnnl_runtime_name(v->cpu_runtime));
	}
#endif
#ifdef BNN_HAVE_CUBLAS
	if (len < sizeof(buf))
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? ", " : "",
					bnn_cublas_version());
#endif
	return buf;
#endif
}
