/*
 * Deliberately wrong kernels, for `bnnbench selftest` only: each one carries
 * one classic binarization bug, and the conformance suite must catch every
 * one. They live in their own list (bnn_mutants), which only the selftest
 * command reads, so no normal run can reach them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
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

/* Bug: zero padding treated as +1 (the correction of doc/bnn-math.md section 5 is skipped). */
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

/*
 * The judge's own paths: a right generic kernel (found by name in
 * bnn_kernels) whose output one of these bugs then spoils, each aimed at
 * one check of the runner: the poisoned output, the last element, the
 * timed output against the checked one, the network's classes, NaN.
 */
typedef enum {
	SPOIL_NOTHING,       /* writes no element at all */
	SPOIL_LAST,          /* writes every element but the last */
	SPOIL_TIMED,         /* right in its first (checked) run, the last element off after */
	SPOIL_FIFTH_CLASS,   /* network: the least likely class ranked 5th */
	SPOIL_NAN            /* one element (the middle one) computed as NaN */
} spoil_t;

typedef struct {
	const bnn_kernel_t *k;
	void *inner;
	float *scratch;      /* the right output (float or int32 elements) */
	size_t n;
	spoil_t spoil;
	long runs;
} spoiled_t;

static size_t out_count(const bnn_op_desc_t *d)
{
	if (d->op == BNN_OP_GEMM)
		return (size_t)(d->gemm.m * d->gemm.n);
	if (d->op == BNN_OP_RNET)
		return (size_t)d->rnet.n * BNN_RNET_CLASSES;
	if (d->op == BNN_OP_RBLOCK)
		return (size_t)(d->rblock.n * d->rblock.oh * d->rblock.ow * d->rblock.k);
	return (size_t)(d->conv.n * d->conv.oh * d->conv.ow * d->conv.k);
}

static void release_spoiled(void *state)
{
	spoiled_t *m = state;
	if (!m)
		return;
	if (m->inner)
		m->k->release(m->inner);
	free(m->scratch);
	free(m);
}

static int prepare_spoiled(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state,
			   const char *right, spoil_t spoil)
{
	spoiled_t *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < bnn_kernel_count && !m->k; i++)
		if (strcmp(bnn_kernels[i].name, right) == 0)
			m->k = &bnn_kernels[i];
	m->n = out_count(d);
	m->spoil = spoil;
	m->scratch = malloc(m->n * sizeof(float));
	int rc = !m->k ? -ENOENT : !m->scratch ? -ENOMEM : m->k->prepare(d, in, &m->inner);
	if (rc != 0) {
		m->inner = NULL;
		release_spoiled(m);
		return rc;
	}
	*state = m;
	return 0;
}

/* Moves the least likely class of logits y between the 4th and the 5th. */
static void fifth_class(float *y)
{
	int64_t top[5], low = 0;
	for (int j = 0; j < 5; j++) {
		int64_t best = -1;
		for (int64_t o = 0; o < BNN_RNET_CLASSES; o++) {
			int seen = 0;
			for (int q = 0; q < j; q++)
				seen |= top[q] == o;
			if (!seen && (best < 0 || y[o] > y[best]))
				best = o;
		}
		top[j] = best;
	}
	for (int64_t o = 0; o < BNN_RNET_CLASSES; o++)
		if (y[o] < y[low])
			low = o;
	y[low] = y[top[4]] + (y[top[3]] - y[top[4]]) / 2;
}

static int run_spoiled(void *state, void *out)
{
	spoiled_t *m = state;
	int rc = m->k->run(m->inner, m->scratch);
	m->runs++;
	if (rc != 0 || m->spoil == SPOIL_NOTHING)
		return rc;
	memcpy(out, m->scratch, (m->spoil == SPOIL_LAST ? m->n - 1 : m->n) * sizeof(float));
	if (m->spoil == SPOIL_TIMED && m->runs > 1)
		((int32_t *)out)[m->n - 1] += 1;
	else if (m->spoil == SPOIL_NAN)
		((float *)out)[m->n / 2] = NAN;
	else if (m->spoil == SPOIL_FIFTH_CLASS)
		for (size_t b = 0; b < m->n / BNN_RNET_CLASSES; b++)
			fifth_class((float *)out + b * BNN_RNET_CLASSES);
	return 0;
}

#define SPOILED_PREPARE(fn, right, spoil)                                                  \
	static int fn(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)        \
	{                                                                                  \
		return prepare_spoiled(d, in, state, right, spoil);                        \
	}
SPOILED_PREPARE(prepare_writes_nothing, "bgemm_xor_popc__generic", SPOIL_NOTHING)
SPOILED_PREPARE(prepare_skips_last, "bgemm_xor_popc__generic", SPOIL_LAST)
SPOILED_PREPARE(prepare_timed_differs, "bgemm_xor_popc__generic", SPOIL_TIMED)
SPOILED_PREPARE(prepare_fifth_class, "reactnet_a_xor_popc__generic", SPOIL_FIFTH_CLASS)
SPOILED_PREPARE(prepare_nan, "bwn_conv_addsub__generic", SPOIL_NAN)

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
	MUTANT("bgemm_xor_popc__mutant_writes_nothing", BNN_OP_GEMM, prepare_writes_nothing,
	       run_spoiled, release_spoiled, "returns without writing its output"),
	MUTANT("bgemm_xor_popc__mutant_skips_last", BNN_OP_GEMM, prepare_skips_last,
	       run_spoiled, release_spoiled, "never writes the last element"),
	MUTANT("bgemm_xor_popc__mutant_timed_differs", BNN_OP_GEMM, prepare_timed_differs,
	       run_spoiled, release_spoiled, "timed runs differ in the last element"),
	MUTANT("reactnet_a_xor_popc__mutant_fifth_class", BNN_OP_RNET, prepare_fifth_class,
	       run_spoiled, release_spoiled, "the least likely class ranked 5th"),
	MUTANT("bwn_conv_addsub__mutant_nan", BNN_OP_BWN, prepare_nan, run_spoiled,
	       release_spoiled, "one element computed as NaN"),
};

const size_t bnn_mutant_count = sizeof(bnn_mutants) / sizeof(bnn_mutants[0]);

/* What every failure of each mutant must say (the check meant to catch it),
 * and whether every problem of its op must fail: the judge's own mutants
 * spoil every output, so a check that sees only some of them (a prefix, a
 * small problem) shows up. */
const bnn_mutant_rule_t bnn_mutant_rules[] = {
	{ "elements differ; first at", 0 },          /* spare bits */
	{ "elements differ; first at", 0 },          /* -0.0 */
	{ "elements differ; first at", 0 },          /* padding */
	{ "elements differ; first at", 0 },          /* 16-bit accumulator */
	{ "elements differ; first at", 0 },          /* K tail */
	{ "out of bound; first at", 0 },             /* rblock RSign shift */
	{ "out of bound", 0 },                       /* network plain sign */
	{ "was never written", 1 },                  /* writes nothing */
	{ "was never written", 1 },                  /* skips the last element */
	{ "the last timed repetition's output differs", 1 },
	{ "is in the top 5, not in the reference's", 1 },
	{ "is NaN (computed)", 1 },
};

_Static_assert(sizeof(bnn_mutant_rules) / sizeof(bnn_mutant_rules[0]) ==
		       sizeof(bnn_mutants) / sizeof(bnn_mutants[0]),
	       "one reason per mutant");
