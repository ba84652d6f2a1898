/*
 * avx512.h: the AVX-512 kernels (VPOPCNTDQ) and their shared parts.
 *
 * Every source of this folder is compiled twice: natively with only the
 * AVX-512 flags (names ending in __avx512, libbnnkern_avx512.a, listed in
 * the kernel table with ISA avx512), and, when configure found SIMDe, with
 * no ISA flags against SIMDe's portable intrinsics (BNN_AVX512_EMULATED,
 * names ending in __avx512emu, libbnnkern_avx512emu.a, listed only in
 * bnn_emulated, end of kernels/table.c, which the conformance test reaches and
 * no benchmark run does). This header declares both sets.
 *
 * Packed operands of the GEMM core are panels of BNN_A512_MR rows: for a
 * panel of rows of wpr words, full = wpr / 8 whole 512-bit chunks, then
 * tail = wpr % 8 words; chunk c of row r is the 8 words at c*32 + r*8, and
 * the tail of row r the `tail` words at full*32 + r*tail. A panel takes
 * BNN_A512_MR * wpr words; rows past the matrix are zero. So the
 * microkernel reads one contiguous stream per operand, and the tail is one
 * masked step (spare bits and words are zero in both operands).
 */
#ifndef BNN_AVX512_H
#define BNN_AVX512_H

#include <stdint.h>
#include "bnn_kernels.h"

#define BNN_A512_MR 4    /* rows of A per tile and per panel */
#define BNN_A512_NR 4    /* rows of B per tile and per panel */

/* Offset of word w of row r (r < 4) in a panel of rows of wpr words. */
static inline int64_t bnn_a512_panel_off(int64_t r, int64_t w, int64_t wpr)
{
	int64_t full = wpr / 8;
	if (w < full * 8)
		return (w / 8) * 32 + r * 8 + w % 8;
	return full * 32 + r * (wpr % 8) + (w - full * 8);
}

/*
 * Declarations for suffix S (avx512 or avx512emu):
 *  - pack_rows, pack_rsign: as bnn_pack_rows__generic and
 *    bnn_pack_rsign__generic (generic.h), row-major, 512-bit compares;
 *  - pack_panels: rows x len floats (row i at x + i*ld) into
 *    ceil(rows/4) panels of rows of wpr words, zero rows past `rows`;
 *  - bgemm_core: c[i*ldc + j] = k - 2*popc(A_i xor B_j) for i < m, j < n,
 *    A and B in panels of rows of wpr words (k the true bit count);
 *    splits the panels over the worker pool when parallel is set;
 *  - the kernel table's entry points;
 *  - probe_xorpopc: the peak probe (kernels/probe.h) on the GEMM's own
 *    microkernel loop.
 */
#define BNN_AVX512_DECLS(S)                                                                 \
	void bnn_pack_rows__##S(const float *x, int64_t rows, int64_t len, int64_t ld,      \
				uint64_t *out, int64_t words_per_row);                      \
	void bnn_pack_rsign__##S(const float *x, const float *shift, int64_t rows,          \
				 int64_t len, int64_t ld, uint64_t *out,                    \
				 int64_t words_per_row);                                    \
	void bnn_pack_panels__##S(const float *x, int64_t rows, int64_t len, int64_t ld,    \
				  uint64_t *out, int64_t wpr);                              \
	void bnn_bgemm_core__##S(const uint64_t *a, const uint64_t *b, int64_t m,           \
				 int64_t n, int64_t wpr, int64_t k, int32_t *c,             \
				 int64_t ldc, int parallel);                                \
	int bnn_bgemm_prepare__##S(const bnn_op_desc_t *d, const bnn_inputs_t *in,          \
				   void **state);                                           \
	int bnn_bgemm_run__##S(void *state, void *out);                                     \
	void bnn_bgemm_release__##S(void *state);                                           \
	int bnn_bconv_prepare__##S(const bnn_op_desc_t *d, const bnn_inputs_t *in,          \
				   void **state);                                           \
	int bnn_bconv_run__##S(void *state, void *out);                                     \
	void bnn_bconv_release__##S(void *state);                                           \
	int bnn_bwn_prepare__##S(const bnn_op_desc_t *d, const bnn_inputs_t *in,            \
				 void **state);                                             \
	int bnn_bwn_run__##S(void *state, void *out);                                       \
	void bnn_bwn_release__##S(void *state);                                             \
	int64_t bnn_probe_xorpopc__##S(const uint64_t *a, const uint64_t *b, int64_t words, \
				       int64_t reps);

BNN_AVX512_DECLS(avx512)
BNN_AVX512_DECLS(avx512emu)

/*
 * The four kernel-table entries of suffix S with ISA isa; the same macro
 * makes the real entries (kernels/table.c) and the emulated ones
 * (end of kernels/table.c), so both lists hold the same kernels. Tiles: the
 * GEMM core's 4x4 (A panels x B panels), BWN's 8 pixels x 32 filters.
 */
#define BNN_AVX512_TABLE(S, isa_, note)                                                     \
	{ .name = "bgemm_xor_popc__" #S "_4x4", .op = BNN_OP_GEMM, .isa = isa_,             \
	  .summary = "broadcast tile (lanes = columns) over 128 bits of K, else 4x4 VPOPCNTQ" note, \
	  .prepare = bnn_bgemm_prepare__##S, .run = bnn_bgemm_run__##S,                     \
	  .release = bnn_bgemm_release__##S },                                              \
	{ .name = "bconv_xor_popc__" #S "_4x4", .op = BNN_OP_CONV, .isa = isa_,             \
	  .summary = "direct conv, broadcast tile (lanes = filters), VPOPCNTD; else implicit GEMM" note, \
	  .prepare = bnn_bconv_prepare__##S, .run = bnn_bconv_run__##S,                     \
	  .release = bnn_bconv_release__##S },                                              \
	{ .name = "bwn_conv_xorsign__" #S "_8x32", .op = BNN_OP_BWN, .isa = isa_,           \
	  .summary = "x XOR weight-sign masks, 8 pixels x 32 filters of float adds" note,   \
	  .prepare = bnn_bwn_prepare__##S, .run = bnn_bwn_run__##S,                         \
	  .release = bnn_bwn_release__##S },                                                \
	{ .name = "xnor_conv_xor_popc__" #S "_4x4", .op = BNN_OP_XNOR, .isa = isa_,         \
	  .summary = "the AVX-512 binary conv, then alpha (and the K-map)" note,            \
	  .prepare = bnn_bconv_prepare__##S, .run = bnn_bconv_run__##S,                     \
	  .release = bnn_bconv_release__##S },

/* The ReActNet template's element-wise loops as this folder compiles them
 * (reactnet_avx512.c), natively and emulated. */
#include "generic/generic.h"
extern const bnn_rnet_loops_t bnn_rnet_loops__avx512;
extern const bnn_rnet_loops_t bnn_rnet_loops__avx512emu;

/* The ReActNet block and network entries of suffix S over its conv
 * kernel; rblock_prepare__S and rnet_prepare__S come from
 * BNN_REACTNET_GLUE (kernels/table.c). */
#define BNN_AVX512_REACTNET_TABLE(S, isa_, note)                                             \
	{ .name = "rblock_xor_popc__" #S, .op = BNN_OP_RBLOCK, .isa = isa_,                  \
	  .summary = "ReActNet block over the AVX-512 conv: RSign fused, folded BN" note,    \
	  .prepare = rblock_prepare__##S, .run = bnn_rblock_run,                             \
	  .release = bnn_rblock_release },                                                   \
	{ .name = "reactnet_a_xor_popc__" #S, .op = BNN_OP_RNET, .isa = isa_,                \
	  .summary = "ReActNet-A: real stem, 13 AVX-512 blocks, pool, FC" note,              \
	  .prepare = rnet_prepare__##S, .run = bnn_rnet_run, .release = bnn_rnet_release,   \
	  .stage = bnn_rnet_stage, .profile = bnn_rnet_profile },

#endif
