/*
 * The kernel table: one list, filled reference-first (every op has its
 * generic entry); ISA folders add entries here and are then checked and
 * timed everywhere without further registration.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "bnn_kernels.h"
#include "generic/generic.h"
#ifdef BNN_HAVE_AVX2
#include "avx2/avx2.h"
#endif
/* always: the emulated list at the end uses it without the native build */
#include "avx512/avx512.h"
#ifdef BNN_HAVE_CUDA
#include "cuda/bnn_cuda.h"
#include "cuda/bnn_cuda_reactnet.h"
#include "cuda/bconv_cuda.h"
#endif

/*
 * A planted slowdown, for measuring how well `compare` and `ab` detect one
 * (tools/ab-calibrate.sh): built with -DBNN_PLANT_SLOWDOWN_PCT=P, the AVX2
 * GEMM spins after each run for P% of that run's time. Never defined in a
 * normal build.
 */
#if defined(BNN_PLANT_SLOWDOWN_PCT) && defined(BNN_HAVE_AVX2)
#include <time.h>
static double planted_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int planted_bgemm_run__avx2(void *state, void *out)
{
	double t0 = planted_now();
	int rc = bnn_bgemm_run__avx2(state, out);
	double until = t0 + (planted_now() - t0) * (1.0 + BNN_PLANT_SLOWDOWN_PCT / 100.0);
	while (planted_now() < until)
		;
	return rc;
}
#define BGEMM_RUN_AVX2 planted_bgemm_run__avx2
#else
#define BGEMM_RUN_AVX2 bnn_bgemm_run__avx2
#endif

/* ReActNet kernels: the block and network templates over one ISA's conv. */
#define BNN_REACTNET_GLUE(isa, conv)                                                    \
	static int rblock_prepare__##isa(const bnn_op_desc_t *d, const bnn_inputs_t *in, \
					 void **state)                                    \
	{                                                                                \
		return bnn_rblock_prepare_kernel(&bnn_rnet_loops__##isa, conv, d, in, state); \
	}                                                                                \
	static int rnet_prepare__##isa(const bnn_op_desc_t *d, const bnn_inputs_t *in,   \
				       void **state)                                      \
	{                                                                                \
		return bnn_rnet_prepare_kernel(&bnn_rnet_loops__##isa, conv, d, in, state); \
	}
BNN_REACTNET_GLUE(generic, "bconv_xor_popc__generic")
#ifdef BNN_HAVE_AVX2
BNN_REACTNET_GLUE(avx2, "bconv_xor_popc__avx2_2x4")
#endif
#ifdef BNN_HAVE_AVX512
BNN_REACTNET_GLUE(avx512, "bconv_xor_popc__avx512_4x4")
#endif

const bnn_kernel_t bnn_kernels[] = {
	{
		.name = "bgemm_xor_popc__generic",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_GENERIC,
		.summary = "packed XOR-popcount GEMM, 64-bit words, 1x4 outputs per pass",
		.prepare = bnn_bgemm_prepare__generic,
		.run = bnn_gemm_run,
		.release = bnn_gemm_release,
	},
	/* The worked example of doc/adding-a-kernel.md: a whole kernel in one
	 * file, checked and timed like every entry. */
	{
		.name = "bgemm_xor_popc__example_1x1",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_GENERIC,
		.summary = "the example kernel: packed XOR-popcount GEMM, one output at a time",
		.prepare = bnn_bgemm_prepare__example,
		.run = bnn_bgemm_run__example,
		.release = bnn_bgemm_release__example,
	},
	{
		.name = "bconv_xor_popc__generic",
		.op = BNN_OP_CONV,
		.isa = BNN_ISA_GENERIC,
		.summary = "direct binary conv on a +1-padded packed image, zero-pad correction",
		.prepare = bnn_conv_prepare__generic,
		.run = bnn_bconv_run__generic,
		.release = bnn_conv_release,
	},
	{
		.name = "bwn_conv_addsub__generic",
		.op = BNN_OP_BWN,
		.isa = BNN_ISA_GENERIC,
		.summary = "float activations times weight bits: add/subtract, alpha per filter",
		.prepare = bnn_conv_prepare__generic,
		.run = bnn_bwn_run__generic,
		.release = bnn_conv_release,
	},
	{
		.name = "xnor_conv_xor_popc__generic",
		.op = BNN_OP_XNOR,
		.isa = BNN_ISA_GENERIC,
		.summary = "binary conv scaled by alpha (and the K-map in paper mode)",
		.prepare = bnn_conv_prepare__generic,
		.run = bnn_xnor_run__generic,
		.release = bnn_conv_release,
	},
	{
		.name = "rblock_xor_popc__generic",
		.op = BNN_OP_RBLOCK,
		.isa = BNN_ISA_GENERIC,
		.summary = "ReActNet block over the generic conv: RSign fused into packing, folded BN",
		.prepare = rblock_prepare__generic,
		.run = bnn_rblock_run,
		.release = bnn_rblock_release,
	},
	{
		.name = "reactnet_a_xor_popc__generic",
		.op = BNN_OP_RNET,
		.isa = BNN_ISA_GENERIC,
		.summary = "ReActNet-A: real stem, 13 generic blocks, pool, FC",
		.prepare = rnet_prepare__generic,
		.run = bnn_rnet_run,
		.release = bnn_rnet_release,
		.stage = bnn_rnet_stage,
		.profile = bnn_rnet_profile,
	},
#ifdef BNN_HAVE_AVX2
	{
		.name = "bgemm_xor_popc__avx2_2x4",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_AVX2,
		.summary = "2x4 microkernel, vpshufb nibble popcount, K/M cache blocking, threads",
		.prepare = bnn_bgemm_prepare__avx2,
		.run = BGEMM_RUN_AVX2,
		.release = bnn_bgemm_release__avx2,
	},
	{
		.name = "bconv_xor_popc__avx2_2x4",
		.op = BNN_OP_CONV,
		.isa = BNN_ISA_AVX2,
		.summary = "direct conv, broadcast tile (lanes = filters), lookups; else implicit GEMM",
		.prepare = bnn_bconv_prepare__avx2,
		.run = bnn_bconv_run__avx2,
		.release = bnn_bconv_release__avx2,
	},
	{
		.name = "bwn_conv_xorsign__avx2_4x16",
		.op = BNN_OP_BWN,
		.isa = BNN_ISA_AVX2,
		.summary = "x XOR weight-sign masks, 4 pixels x 16 filters of float adds, alpha",
		.prepare = bnn_bwn_prepare__avx2,
		.run = bnn_bwn_run__avx2,
		.release = bnn_bwn_release__avx2,
	},
	{
		.name = "xnor_conv_xor_popc__avx2_2x4",
		.op = BNN_OP_XNOR,
		.isa = BNN_ISA_AVX2,
		.summary = "the AVX2 binary conv, then alpha (and the K-map in paper mode)",
		.prepare = bnn_bconv_prepare__avx2,
		.run = bnn_bconv_run__avx2,
		.release = bnn_bconv_release__avx2,
	},
	{
		.name = "rblock_xor_popc__avx2",
		.op = BNN_OP_RBLOCK,
		.isa = BNN_ISA_AVX2,
		.summary = "ReActNet block over the AVX2 conv: RSign fused into packing, folded BN",
		.prepare = rblock_prepare__avx2,
		.run = bnn_rblock_run,
		.release = bnn_rblock_release,
	},
	{
		.name = "reactnet_a_xor_popc__avx2",
		.op = BNN_OP_RNET,
		.isa = BNN_ISA_AVX2,
		.summary = "ReActNet-A: real stem, 13 AVX2 blocks, pool, FC",
		.prepare = rnet_prepare__avx2,
		.run = bnn_rnet_run,
		.release = bnn_rnet_release,
		.stage = bnn_rnet_stage,
		.profile = bnn_rnet_profile,
	},
#endif
#ifdef BNN_HAVE_AVX512
	BNN_AVX512_TABLE(avx512, BNN_ISA_AVX512, "")
	BNN_AVX512_REACTNET_TABLE(avx512, BNN_ISA_AVX512, "")
#endif
#ifdef BNN_HAVE_CUDA
	/* GPU: data device-resident (kernels/cuda/bnn_cuda.h): prepare copies in, fetch copies out, the timed run does neither. */
	{
		.name = "bgemm_xor_popc__cuda_popc",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU CUDA cores: XOR + __popcll, 64x64 shared-memory tiles, A packed from its floats on the device per run",
		.supports = bnn_bgemm_supports__cuda_popc,
		.prepare = bnn_bgemm_prepare__cuda_popc,
		.run = bnn_bgemm_run__cuda,
		.release = bnn_bgemm_release__cuda,
		.fetch = bnn_bgemm_fetch__cuda,
	},
	{
		.name = "bgemm_and_popc__cuda_mma_b1",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU 1-bit tensor cores: mma m16n8k256 .and.popc (sm_80+), AND identity with row popcounts",
		.supports = bnn_bgemm_supports__cuda_mma_b1,
		.prepare = bnn_bgemm_prepare__cuda_mma_b1,
		.run = bnn_bgemm_run__cuda,
		.release = bnn_bgemm_release__cuda,
		.fetch = bnn_bgemm_fetch__cuda,
	},
	{
		.name = "bgemm_xor_popc__cuda_mma_b1",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU 1-bit tensor cores: mma m16n8k256 .xor.popc where native, sm_80..89 (on sm_90+: the _emulated entry)",
		.supports = bnn_bgemm_supports__cuda_mma_b1_xor,
		.prepare = bnn_bgemm_prepare__cuda_mma_b1_xor,
		.run = bnn_bgemm_run__cuda,
		.release = bnn_bgemm_release__cuda,
		.fetch = bnn_bgemm_fetch__cuda,
	},
	{
		.name = "bgemm_xor_popc__cuda_mma_b1_emulated",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU 1-bit tensor cores: mma .xor.popc on sm_90+, emulated by ptxas as two BMMA.AND.POPC on complemented operands (reported as such)",
		.supports = bnn_bgemm_supports__cuda_mma_b1_xor_emulated,
		.prepare = bnn_bgemm_prepare__cuda_mma_b1_xor,
		.run = bnn_bgemm_run__cuda,
		.release = bnn_bgemm_release__cuda,
		.fetch = bnn_bgemm_fetch__cuda,
	},
	{
		.name = "bgemm_and_popc__cuda_mma_b1_tiled",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU 1-bit tensor cores: mma m16n8k256 .and.popc, 128x256 tiles, 3-stage cp.async ring, swizzled smem, ldmatrix (sm_80+)",
		.supports = bnn_bgemm_supports__cuda_mma_b1_tiled,
		.prepare = bnn_bgemm_prepare__cuda_mma_b1_tiled,
		.run = bnn_bgemm_run__cuda,
		.release = bnn_bgemm_release__cuda,
		.fetch = bnn_bgemm_fetch__cuda,
	},
	{
		.name = "bgemm_and_popc__cuda_wgmma_b1",
		.op = BNN_OP_GEMM,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU 1-bit tensor cores, Hopper: wgmma m64n256k256 .and.popc, 128x256 tiles, 4-slot cp.async ring (sm_90a build, cc 9.0 only)",
		.supports = bnn_bgemm_supports__cuda_wgmma_b1,
		.prepare = bnn_bgemm_prepare__cuda_wgmma_b1,
		.run = bnn_bgemm_run__cuda,
		.release = bnn_bgemm_release__cuda,
		.fetch = bnn_bgemm_fetch__cuda,
	},
	/* ReActNet on the GPU (kernels/cuda/reactnet_cuda.cu): data device-resident,
	 * fetch copies the output, the stage hook copies a stage on demand. */
	{
		.name = "rblock_xor_popc__cuda",
		.op = BNN_OP_RBLOCK,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU ReActNet block, CUDA cores: RSign packed, 3x3 and 1x1 XOR + popc, 32 filters per thread, fused epilogues",
		.supports = bnn_rblock_supports__cuda,
		.prepare = bnn_rblock_prepare__cuda,
		.run = bnn_rblock_run__cuda,
		.release = bnn_rblock_release__cuda,
		.fetch = bnn_rblock_fetch__cuda,
	},
	{
		.name = "reactnet_a_xor_popc__cuda",
		.op = BNN_OP_RNET,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU ReActNet-A: float stem, 13 CUDA-core blocks, pool, FC, all on the device",
		.supports = bnn_rnet_supports__cuda,
		.prepare = bnn_rnet_prepare__cuda,
		.run = bnn_rnet_run__cuda,
		.release = bnn_rnet_release__cuda,
		.fetch = bnn_rnet_fetch__cuda,
		.stage = bnn_rnet_stage__cuda,
		.profile = bnn_rnet_profile__cuda,
	},
	/* GPU convolutions (kernels/cuda/bconv_cuda.h): device-resident, fetch copies out. */
	{
		.name = "bconv_xor_popc__cuda_popc",
		.op = BNN_OP_CONV,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU CUDA cores: implicit GEMM, XOR + popc, 1 pixel x 8 filters per thread, in-image taps only",
		.supports = bnn_bconv_supports__cuda_popc,
		.prepare = bnn_bconv_prepare__cuda_popc,
		.run = bnn_bconv_run__cuda,
		.release = bnn_bconv_release__cuda,
		.fetch = bnn_bconv_fetch__cuda,
	},
	{
		.name = "bconv_and_popc__cuda_mma_b1",
		.op = BNN_OP_CONV,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU 1-bit tensor cores: implicit GEMM, mma m16n8k256 .and.popc (sm_80+), AND identity, zero-pad correction",
		.supports = bnn_bconv_supports__cuda_mma_b1,
		.prepare = bnn_bconv_prepare__cuda_mma_b1,
		.run = bnn_bconv_run__cuda,
		.release = bnn_bconv_release__cuda,
		.fetch = bnn_bconv_fetch__cuda,
	},
	{
		.name = "bwn_conv_addsub__cuda",
		.op = BNN_OP_BWN,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU CUDA cores: float x added or subtracted by the weight bit, 1 pixel x 8 filters per thread, alpha",
		.supports = bnn_bconv_supports__cuda_popc,
		.prepare = bnn_bwn_prepare__cuda,
		.run = bnn_bconv_run__cuda,
		.release = bnn_bconv_release__cuda,
		.fetch = bnn_bconv_fetch__cuda,
	},
	{
		.name = "xnor_conv_xor_popc__cuda_popc",
		.op = BNN_OP_XNOR,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU: the CUDA-core binary conv, then alpha (and the K-map in paper mode)",
		.supports = bnn_bconv_supports__cuda_popc,
		.prepare = bnn_bconv_prepare__cuda_popc,
		.run = bnn_bconv_run__cuda,
		.release = bnn_bconv_release__cuda,
		.fetch = bnn_bconv_fetch__cuda,
	},
	{
		.name = "xnor_conv_and_popc__cuda_mma_b1",
		.op = BNN_OP_XNOR,
		.isa = BNN_ISA_CUDA,
		.summary = "GPU: the tensor-core binary conv, then alpha (and the K-map in paper mode)",
		.supports = bnn_bconv_supports__cuda_mma_b1,
		.prepare = bnn_bconv_prepare__cuda_mma_b1,
		.run = bnn_bconv_run__cuda,
		.release = bnn_bconv_release__cuda,
		.fetch = bnn_bconv_fetch__cuda,
	},
#endif
};

const size_t bnn_kernel_count = sizeof(bnn_kernels) / sizeof(bnn_kernels[0]);

/*
 * The AVX-512 kernels built against SIMDe (kernels/avx512/intrin.h), for
 * checking their logic on a CPU without AVX-512: the same sources as the
 * real __avx512 entries above, so the conformance suite passing on them
 * shows the tiling, tails, masks and reductions are right; it says nothing
 * about speed, nor about the compiler's native code generation. A list
 * apart from the table, so that no run times or reports them: only
 * tests/test_emulated (and the ReActNet templates, finding the conv an
 * emulated block names) read it. It lives in this file because the
 * ReActNet templates (libbnnkern.a, linked after the table) refer to it.
 */
#ifdef BNN_HAVE_SIMDE
BNN_REACTNET_GLUE(avx512emu, "bconv_xor_popc__avx512emu_4x4")

static const bnn_kernel_t list[] = {
	BNN_AVX512_TABLE(avx512emu, BNN_ISA_GENERIC, " (SIMDe emulation)")
	BNN_AVX512_REACTNET_TABLE(avx512emu, BNN_ISA_GENERIC, " (SIMDe emulation)")
};
const bnn_kernel_t *const bnn_emulated = list;
const size_t bnn_emulated_count = sizeof(list) / sizeof(list[0]);
#else
const bnn_kernel_t *const bnn_emulated = NULL;
const size_t bnn_emulated_count = 0;
#endif
