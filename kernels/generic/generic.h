/*
 * generic.h: the portable binarized kernels and the shared templates that
 * ISA folders (and the selftest mutants) reuse: a template owns the packed
 * state of an op and calls the building blocks it is given, so a new ISA
 * supplies only its fast pack and compute functions.
 */
#ifndef BNN_GENERIC_H
#define BNN_GENERIC_H

#include <stdint.h>
#include "bnn_kernels.h"
#include "parallel.h"

/* Sign-and-pack: rows x len floats, row i starting at x + i*ld, into
 * words_per_row words per row; bit = (x < 0); spare bits 0. */
typedef void (*bnn_pack_fn)(const float *x, int64_t rows, int64_t len, int64_t ld,
			    uint64_t *out, int64_t words_per_row);

/* Packed GEMM: C[i][j] = k - 2*popcount(A_i xor B_j), A is m rows and B n rows
 * of wpr words; k is the true bit count. */
typedef void (*bnn_bgemm_fn)(const uint64_t *a, const uint64_t *b, int64_t m, int64_t n,
			     int64_t k, int64_t wpr, int32_t *c);

void bnn_pack_rows__generic(const float *x, int64_t rows, int64_t len, int64_t ld,
			    uint64_t *out, int64_t words_per_row);

/* RSign fused into packing (doc/bnn-math.md section 6): bit i = (x[i] + shift[i] < 0),
 * i.e. sign(x + b_c) with shift = b the per-channel RSign shift, the same
 * shift for every row; x == -b gives +0 and packs as +1. */
typedef void (*bnn_pack_shift_fn)(const float *x, const float *shift, int64_t rows,
				  int64_t len, int64_t ld, uint64_t *out, int64_t words_per_row);
void bnn_pack_rsign__generic(const float *x, const float *shift, int64_t rows, int64_t len,
			     int64_t ld, uint64_t *out, int64_t words_per_row);
void bnn_bgemm_xor_popc__generic(const uint64_t *a, const uint64_t *b, int64_t m, int64_t n,
				 int64_t k, int64_t wpr, int32_t *c);

/* ---- GEMM template: prepare packs A and B (untimed); run is the GEMM. ---- */
typedef struct {
	bnn_pack_fn pack;
	bnn_bgemm_fn gemm;
} bnn_gemm_impl_t;

typedef struct {
	const bnn_gemm_impl_t *impl;
	bnn_gemm_shape_t s;
	int64_t wpr;
	uint64_t *a, *b;
} bnn_gemm_state_t;

int bnn_gemm_prepare_with(const bnn_gemm_impl_t *impl, const bnn_op_desc_t *d,
			  const bnn_inputs_t *in, void **state);
int bnn_gemm_run(void *state, void *out);
void bnn_gemm_release(void *state);

/*
 * A GEMM's C of this many bytes or more, written once, goes out with
 * non-temporal stores (the AVX2 and AVX-512 broadcast tiles): it cannot
 * stay in the caches (L2 is 1 MiB a core on the machines of
 * doc/measured.md), and a plain store would first read each line from
 * memory. Only whole tiles on 64-byte (AVX2: 32-byte) aligned rows.
 */
#define BNN_STREAM_BYTES ((int64_t)4 << 20)

/* Where word s of column j lies in a matrix laid out by blocks of qw
 * columns, [block][step][qw]: the broadcast tiles' B and the direct convs'
 * filters, so that a block's K slice is contiguous. */
static inline int64_t bnn_colblock_at(int64_t j, int64_t s, int64_t steps, int64_t qw)
{
	return (j / qw * steps + s) * qw + j % qw;
}

/* ---- Convolution template (binary, BWN and XNOR share it). ----
 * Weights: per filter o and tap t = ky*kw + kx, wpg words holding the cg
 * channel bits: wbits[(o*taps + t)*wpg + j]. wsum[o*taps + t] is that tap's
 * sum of +-1 weights, cg - 2*popc, used by the zero-padding correction.
 * Activations (binary and XNOR): a padded packed image, (h + 2 pad) x
 * (w + 2 pad) pixels of groups*wpg words; the border is zero bits, i.e. +1. */
typedef struct bnn_conv_state {
	bnn_op_desc_t d;
	bnn_conv_shape_t s;
	bnn_pack_fn pack;
	/* RSign fused into packing (bnn_inputs_t.rsign): when shift is set the
	 * image packs with pack_shift, which prepare sets to the generic one;
	 * an ISA's prepare may put its own in its place. */
	bnn_pack_shift_fn pack_shift;
	const float *shift;
	int64_t cg, kg, taps, wpg;
	int64_t ph, pw;                 /* padded image */
	const float *x;                 /* the caller's activations */
	const float *alpha;             /* the caller's alpha (BWN, XNOR) */
	uint64_t *wbits;
	int32_t *wsum;
	uint64_t *xbits;                /* padded packed activations */
	int32_t *dot;                   /* XNOR: integer conv result */
	float *amap, *kmap;             /* XNOR paper mode */
	/* Zero padding (pad_class.h): row and column classes of the outputs
	 * and corr[(yc * ncx + xc)][k], the weight sums each class subtracts;
	 * NULL when nothing needs correcting or a kernel is wider than 64. */
	int32_t *ycls, *xcls, *corr;
	int64_t ncx;
	/* An ISA's direct path packs the image its own way (pack_own(own)) and
	 * corrects the padding inside its output loop: what a profile times as
	 * this conv's packing, and why it has no separate correction. NULL for
	 * the template's path (bnn_conv_pack_input, bnn_bconv_pad_correct). */
	void (*pack_own)(void *own);
	/* The direct path's output rows [r0, r1) (flattened n, oy) of the image
	 * pack_own packed last into out, row r0's place, in the calling thread
	 * (threads may compute disjoint rows at once): run's work after the
	 * packing, row by row (a fused block's 3x3 conv, reactnet.c). NULL
	 * with pack_own. */
	void (*rows_own)(void *own, int32_t *out, int64_t r0, int64_t r1);
	void *own;
	/* The direct path's packed image, which pack_own writes and rows_own
	 * reads: 32-bit words [n][ph][dpp][pw] (direct.h), bit l of word w of
	 * a pixel set when x[32w + l] (+ shift) < 0, the border zero bits. The
	 * block before a fused block in a network may write it as it makes x
	 * (reactnet.c), in place of pack_own. NULL where pack_own is. */
	uint32_t *own_x;
} bnn_conv_state_t;

/* Packs the weights of d with pack and allocates the workspaces the op
 * needs. Returns 0 or -ENOMEM; on failure nothing is left allocated. */
int bnn_conv_prepare_with(bnn_pack_fn pack, const bnn_op_desc_t *d, const bnn_inputs_t *in,
			  bnn_conv_state_t **state);
void bnn_conv_release(void *state);

/* Packs st->x into the padded packed image (border stays +1 bits). */
void bnn_conv_pack_input(bnn_conv_state_t *st);
/* The XOR-popcount convolution over the padded packed image, as if the
 * padding were +1: out[n][oy][ox][o] = taps*cg - 2*popc. */
void bnn_bconv_xor_popc__generic(const bnn_conv_state_t *st, int32_t *out);
/* doc/bnn-math.md section 5: for pad_value 0, subtracts from every output the weight
 * sums of its out-of-image taps. No-op for pad_value 1 or pad 0. */
void bnn_bconv_pad_correct(const bnn_conv_state_t *st, int32_t *out);

/* XNOR-Net: the K-map of paper mode (into st->kmap), and the scaling of the
 * integer result st->dot into y: alpha (times the K-map in paper mode). */
void bnn_xnor_kmap__generic(bnn_conv_state_t *st);
void bnn_xnor_scale(bnn_conv_state_t *st, float *y);

/* ---- ReActNet (reactnet.c): a block and the network over a conv kernel
 * of the table, named by conv_kernel (its ISA's binary conv). ---- */
#include "bnn_reactnet.h"
typedef struct bnn_rblock_state bnn_rblock_state_t;
typedef struct bnn_rnet_state bnn_rnet_state_t;

/* The element-wise loops (reactnet_loops.h) as one ISA's build compiled
 * them: each takes a block state (transforms) or a network state. */
typedef struct {
	bnn_task_fn transform1, transform2, conv3_t1, stem_rows, head_pool, head_fc;
	/* A network's transform 2 packs its output for the next block's 3x3
	 * conv (reactnet.c): set by the AVX-512 loops, where a word is two
	 * compares to masks; with AVX2's eight compares and movemasks it cost
	 * as much as the conv packing on its own. */
	int pack_next;
} bnn_rnet_loops_t;
extern const bnn_rnet_loops_t bnn_rnet_loops__generic;

/* Prepares block b reading x (NHWC, valid while the state lives) with
 * params p: packs and folds the weights, allocates the intermediates.
 * Returns 0, -ENOENT when conv_kernel is not a conv kernel of the table,
 * or the conv kernel's error; on failure nothing is left allocated. */
int bnn_rblock_prepare_with(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			    const bnn_rblock_shape_t *b, const bnn_rblock_params_t *p, const float *x,
			    bnn_rblock_state_t **out);
/* One forward pass into y (NHWC n x oh x ow x k). */
int bnn_rblock_forward(bnn_rblock_state_t *st, float *y);
void bnn_rblock_release(void *state);

/* The same for ReActNet-A on NCHW images img; logits n x 1000. */
int bnn_rnet_prepare_with(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			  const bnn_rnet_shape_t *r, const bnn_rnet_params_t *p, const float *img,
			  bnn_rnet_state_t **out);
int bnn_rnet_forward(bnn_rnet_state_t *st, float *logits);
void bnn_rnet_release(void *state);
/* bnn_kernel_t.stage of the network kernels: 0 the stem, i the block i. */
const float *bnn_rnet_stage(void *state, int i, int64_t dims[4]);
/* bnn_kernel_t.profile of the network kernels: stage times by the host clock. */
int bnn_rnet_profile(void *state, double *ns, int max);
/* The parts of each stage (stem, 13 blocks, head) of one forward pass by
 * the host clock, ns, into detail[stage * BNN_RNET_DETAIL + part]: a
 * block's 3x3 conv, transform 1, 1x1 convs, transform 2 (parts 0 to 3),
 * the head's pool (1) and FC (3), every stage's total; then the packing and
 * padding correction of the 3x3 conv and the packing of the 1x1 convs,
 * timed again on their own (NaN where the conv's state is not known).
 * Returns the number of stages, or a negative errno. */
enum {
	BNN_RD_CONV3, BNN_RD_T1, BNN_RD_CONV1, BNN_RD_T2, BNN_RD_PACK3, BNN_RD_PAD3,
	BNN_RD_PACK1, BNN_RD_TOTAL, BNN_RNET_DETAIL
};
int bnn_rnet_profile_detail(void *state, double *detail);

/* Table glue: in->a is the input, in->params the parameters. */
int bnn_rblock_prepare_kernel(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			      const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_rblock_run(void *state, void *out);
int bnn_rnet_prepare_kernel(const bnn_rnet_loops_t *loops, const char *conv_kernel,
			    const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_rnet_run(void *state, void *out);

/*
 * Writes taps one-word taps (the low cg < 64 bits of each of tap[0..taps))
 * back to back into dst, whose first words words (at least
 * bnn_words(taps*cg)) are zeroed here: bit t*cg + i is bit i of tap t.
 * Spare bits stay zero in both operands, so the XOR popcount is unchanged
 * and rows get shorter. Shared by the AVX2 and AVX-512 convs' "tight" rows
 * for inputs of fewer than 64 channels.
 */
static inline void bnn_put_taps(uint64_t *dst, int64_t words, const uint64_t *tap, int64_t taps,
				int64_t cg)
{
	for (int64_t i = 0; i < words; i++)
		dst[i] = 0;
	for (int64_t t = 0, pos = 0; t < taps; t++, pos += cg) {
		int64_t w = pos / 64, off = pos % 64;
		dst[w] |= tap[t] << off;
		if (off + cg > 64)
			dst[w + 1] |= tap[t] >> (64 - off);
	}
}

/* The generic table entries' prepare functions (table_generic.c). */
int bnn_bgemm_prepare__generic(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_conv_prepare__generic(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);

/*
 * bgemm_xor_popc__example_1x1 (bgemm_example.c): the worked example of
 * doc/adding-a-kernel.md. prepare packs A and B (untimed; 0 or -ENOMEM),
 * run writes C (timed; 0), release frees the state (NULL allowed).
 */
int bnn_bgemm_prepare__example(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_bgemm_run__example(void *state, void *out);
void bnn_bgemm_release__example(void *state);

int bnn_bconv_run__generic(void *state, void *out);
int bnn_bwn_run__generic(void *state, void *out);
int bnn_xnor_run__generic(void *state, void *out);

#endif
