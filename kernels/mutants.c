/*
 * Deliberately wrong kernels, for `bnnbench selftest` only: each one carries
 * one classic binarization bug, and the conformance suite must catch every
 * one. They live in their own list (bnn_mutants), which only the selftest
 * command reads, so no normal run can reach them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "bnn_kernels.h"
#include "generic/generic.h"

/* Bug: packs with signbit(), so -0.0 becomes -1 (the rule says +1). */
static void pack_negzero(const float *x, int64_t rows, int64_t len, int64_t ld,
			 uint64_t *out, int64_t wpr)
{
	for (int64_t r = 0; r < rows; r++)
		for (int64_t wi = 0; wi < wpr; wi++) {
			uint64_t word = 0;
			for (int64_t i = wi * 64; i < len && i < (wi + 1) * 64; i++)
				word |= (uint64_t)(signbit(x[r * ld + i]) != 0) << (i & 63);
			out[r * wpr + wi] = word;
		}
}

/* Bug: off by one in the K tail: the last element of a partial word is lost. */
static void pack_ktail(const float *x, int64_t rows, int64_t len, int64_t ld, uint64_t *out,
		       int64_t wpr)
{
	int64_t kept = len % 64 ? len - 1 : len;
	for (int64_t r = 0; r < rows; r++)
		for (int64_t wi = 0; wi < wpr; wi++) {
			uint64_t word = 0;
			for (int64_t i = wi * 64; i < kept && i < (wi + 1) * 64; i++)
				word |= (uint64_t)(x[r * ld + i] < 0.0f) << (i & 63);
			out[r * wpr + wi] = word;
		}
}

/* Bug: the XNOR form without the spare-bit correction: dot = 2*popc(xnor) - k. */
static void gemm_xnor_spare(const uint64_t *a, const uint64_t *b, int64_t m, int64_t n,
			    int64_t k, int64_t wpr, int32_t *c)
{
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			int64_t p = 0;
			for (int64_t w = 0; w < wpr; w++)
				p += __builtin_popcountll(~(a[i * wpr + w] ^ b[j * wpr + w]));
			c[i * n + j] = (int32_t)(2 * p - k);
		}
}

/* Bug: a 16-bit popcount accumulator, which wraps past 32767. */
static void gemm_acc16(const uint64_t *a, const uint64_t *b, int64_t m, int64_t n, int64_t k,
		       int64_t wpr, int32_t *c)
{
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			int16_t p = 0;
			for (int64_t w = 0; w < wpr; w++)
				p = (int16_t)(p + __builtin_popcountll(a[i * wpr + w] ^ b[j * wpr + w]));
			c[i * n + j] = (int32_t)(k - 2 * (int32_t)p);
		}
}

static const bnn_gemm_impl_t impl_negzero = { pack_negzero, bnn_bgemm_xor_popc__generic };
static const bnn_gemm_impl_t impl_ktail = { pack_ktail, bnn_bgemm_xor_popc__generic };
static const bnn_gemm_impl_t impl_spare = { bnn_pack_rows__generic, gemm_xnor_spare };
static const bnn_gemm_impl_t impl_acc16 = { bnn_pack_rows__generic, gemm_acc16 };

#define GEMM_PREPARE(name, impl)                                                           \
	static int name(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)      \
	{                                                                                  \
		return bnn_gemm_prepare_with(&impl, d, in, state);                         \
	}
GEMM_PREPARE(prepare_negzero, impl_negzero)
GEMM_PREPARE(prepare_ktail, impl_ktail)
GEMM_PREPARE(prepare_spare, impl_spare)
GEMM_PREPARE(prepare_acc16, impl_acc16)

static int prepare_conv(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return bnn_conv_prepare_with(bnn_pack_rows__generic, d, in, (bnn_conv_state_t **)state);
}

/* Bug: zero padding treated as +1 (the correction of spec section 5 is skipped). */
static int run_pad_as_one(void *state, void *out)
{
	bnn_conv_state_t *st = state;
	bnn_conv_pack_input(st);
	bnn_bconv_xor_popc__generic(st, out);
	return 0;
}

/*
 * Bug: a ReActNet block that drops the second RSign's learned shift, so the
 * 1x1 conv binarizes sign(u) instead of sign(u + b): the block's bound
 * must catch the flipped bits.
 */
typedef struct {
	bnn_rblock_params_t p;
	float *zeros;
	bnn_rblock_state_t *inner;
} rblock_mutant_t;

static void release_rblock_rsign(void *state)
{
	rblock_mutant_t *m = state;
	if (!m)
		return;
	bnn_rblock_release(m->inner);
	free(m->zeros);
	free(m);
}

static int prepare_rblock_rsign(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	rblock_mutant_t *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->p = *(const bnn_rblock_params_t *)in->params;
	m->zeros = calloc((size_t)d->rblock.c, sizeof(float));
	if (!m->zeros) {
		free(m);
		return -ENOMEM;
	}
	m->p.rsign2 = m->zeros;
	int rc = bnn_rblock_prepare_with(&bnn_rnet_loops__generic, "bconv_xor_popc__generic", &d->rblock, &m->p, in->a,
					 &m->inner);
	if (rc != 0) {
		release_rblock_rsign(m);
		return rc;
	}
	*state = m;
	return 0;
}

static int run_rblock_rsign(void *state, void *out)
{
	return bnn_rblock_forward(((rblock_mutant_t *)state)->inner, out);
}

/*
 * Bug: ReActNet-A with RSign as plain sign (the learned thresholds of every
 * block dropped), as a port that maps RSign to a sign function would have:
 * the network's logits and classes check must catch it.
 */
typedef struct {
	bnn_rnet_params_t p;
	float *zeros;
	bnn_rnet_state_t *inner;
} rnet_mutant_t;

static void release_rnet_sign(void *state)
{
	rnet_mutant_t *m = state;
	if (!m)
		return;
	bnn_rnet_release(m->inner);
	free(m->zeros);
	free(m);
}

static int prepare_rnet_sign(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	rnet_mutant_t *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->p = *(const bnn_rnet_params_t *)in->params;
	m->zeros = calloc(BNN_RNET_FC_IN, sizeof(float));   /* the widest block */
	if (!m->zeros) {
		free(m);
		return -ENOMEM;
	}
	for (int i = 0; i < BNN_RNET_BLOCKS; i++)
		m->p.block[i].rsign1 = m->p.block[i].rsign2 = m->zeros;
	int rc = bnn_rnet_prepare_with(&bnn_rnet_loops__generic, "bconv_xor_popc__generic", &d->rnet, &m->p, in->a,
				       &m->inner);
	if (rc != 0) {
		release_rnet_sign(m);
		return rc;
	}
	*state = m;
	return 0;
}

static int run_rnet_sign(void *state, void *out)
{
	return bnn_rnet_forward(((rnet_mutant_t *)state)->inner, out);
}

#define MUTANT(nm, opv, prep, runf, rel, what)                                             \
	{ .name = nm, .op = opv, .isa = BNN_ISA_GENERIC, .summary = what,                  \
	  .prepare = prep, .run = runf, .release = rel }

const bnn_kernel_t bnn_mutants[] = {
	MUTANT("bgemm_xnor_popc__mutant_spare_bits", BNN_OP_GEMM, prepare_spare, bnn_gemm_run,
	       bnn_gemm_release, "XNOR count that forgets the spare bits"),
	MUTANT("bgemm_xor_popc__mutant_negzero", BNN_OP_GEMM, prepare_negzero, bnn_gemm_run,
	       bnn_gemm_release, "sign(-0.0) packed as -1"),
	MUTANT("bconv_xor_popc__mutant_pad_as_one", BNN_OP_CONV, prepare_conv, run_pad_as_one,
	       bnn_conv_release, "zero padding treated as +1"),
	MUTANT("bgemm_xor_popc__mutant_acc16", BNN_OP_GEMM, prepare_acc16, bnn_gemm_run,
	       bnn_gemm_release, "16-bit accumulator that overflows"),
	MUTANT("bgemm_xor_popc__mutant_ktail", BNN_OP_GEMM, prepare_ktail, bnn_gemm_run,
	       bnn_gemm_release, "off-by-one in the K tail"),
	MUTANT("rblock_xor_popc__mutant_rsign2_shift", BNN_OP_RBLOCK, prepare_rblock_rsign,
	       run_rblock_rsign, release_rblock_rsign, "second RSign without its learned shift"),
	MUTANT("reactnet_a_xor_popc__mutant_plain_sign", BNN_OP_RNET, prepare_rnet_sign,
	       run_rnet_sign, release_rnet_sign, "RSign as plain sign in every block"),
};

const size_t bnn_mutant_count = sizeof(bnn_mutants) / sizeof(bnn_mutants[0]);
