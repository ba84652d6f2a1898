/*
 * kernels/cuda: binary GEMM on an NVIDIA GPU (nvcc, kernels/cuda/bgemm_cuda.cu).
 *
 * C sees only these extern "C" functions, never launch syntax (doc/STYLE.md).
 * Each kernel-table entry does the whole operation on the GPU, with its
 * data resident there (the kernel table's fetch contract, bnn_kernels.h):
 * prepare copies A and B to the device as floats, packs B once (weights
 * are packed ahead of time) and poisons C; run packs A on the device and
 * multiplies, on the default stream, and returns synchronized; fetch copies
 * C back. The timed region is thus the device work alone, as inside a
 * network, and never a host-device transfer.
 *
 * Packed layout (both operands, K-contiguous): 32-bit words, bit j of word w
 * is element 32*w + j, bit = (x < 0) (doc/bnn-math.md section 1: bit 1 means -1), the
 * row padded with zero bits to a multiple of 256 (one m16n8k256 step), and
 * the rows padded with all-zero rows to a multiple of the block tile (64).
 * Read as little-endian 64-bit words the same memory is the 64-bit layout
 * the CUDA-core kernel uses. Zero spare bits add nothing to popc(A XOR B),
 * popc(A AND B), popc(A) or popc(B), so both identities of doc/bnn-math.md section 2
 * hold with the true k.
 */
#ifndef BNN_KERNELS_CUDA_H
#define BNN_KERNELS_CUDA_H

#include <stddef.h>
#include "bnn_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * 1 when a CUDA device can be used, else 0 with the reason in why
 * ("no CUDA device: <cudaGetErrorString>"). Asked once, then cached.
 */
int bnn_cuda_available(char *why, size_t whylen);

/*
 * One line for the machine record: the CUDA runtime version this program
 * was linked with, the gencode list, and the device or why there is none.
 * Static storage; not thread-safe on the first call.
 */
const char *bnn_cuda_describe(void);

/*
 * The harness's device clock: CUDA events recorded on the default stream.
 * begin records the start event (0, or -1 when CUDA cannot); end records the
 * stop event, waits for it and gives the elapsed time in ns (0 or -1).
 */
int bnn_cuda_timer_begin(void);
int bnn_cuda_timer_end(double *ns);

/* 0 when the grid fits CUDA's limits (m up to 65535 64-row tiles), else -1 and why. */
int bnn_bgemm_supports__cuda_popc(const bnn_op_desc_t *d, char *why, size_t whylen);
/*
 * Why the last GPU kernel-table call that failed did (its CUDA error, e.g.
 * "run: cudaErrorInvalidConfiguration (invalid configuration argument)"),
 * or "" when that failure had no CUDA error (a shape refused, out of host
 * memory). Static storage, overwritten by the next failure; one thread.
 */
const char *bnn_cuda_last_error(void);
/* Forgets it: the runner calls this before each hook of a GPU entry, so that
 * a failure without a CUDA error of its own is not given an older one. */
void bnn_cuda_clear_last_error(void);

/* 0 when the device has 1-bit tensor cores with .and.popc (sm_80+) and the grid fits,
 * else -1 and why. */
int bnn_bgemm_supports__cuda_mma_b1(const bnn_op_desc_t *d, char *why, size_t whylen);
/* The same for the tiled kernel's 128 x 256 block tiles. */
int bnn_bgemm_supports__cuda_mma_b1_tiled(const bnn_op_desc_t *d, char *why, size_t whylen);
/* 0 where .xor.popc is native (sm_80..89), else -1 and why (emulated from sm_90 on). */
int bnn_bgemm_supports__cuda_mma_b1_xor(const bnn_op_desc_t *d, char *why, size_t whylen);
/* 0 from sm_90 on, where .xor.popc is emulated (its prepare: ..._mma_b1_xor), else -1 and why. */
int bnn_bgemm_supports__cuda_mma_b1_xor_emulated(const bnn_op_desc_t *d, char *why,
						 size_t whylen);

/* prepare: device buffers, B copied and packed; the kernel-table contract. */
int bnn_bgemm_prepare__cuda_popc(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_bgemm_prepare__cuda_mma_b1(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_bgemm_prepare__cuda_mma_b1_xor(const bnn_op_desc_t *d, const bnn_inputs_t *in,
				       void **state);
/* 0 on a compute capability 9.0 device with the sm_90a wgmma kernel built, else -1 and why. */
int bnn_bgemm_supports__cuda_wgmma_b1(const bnn_op_desc_t *d, char *why, size_t whylen);
/* The wgmma .and.popc kernel (kernels/cuda/bgemm_wgmma.cu). */
int bnn_bgemm_prepare__cuda_wgmma_b1(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
/* The tiled .and.popc kernel (supports: bnn_bgemm_supports__cuda_mma_b1_tiled). */
int bnn_bgemm_prepare__cuda_mma_b1_tiled(const bnn_op_desc_t *d, const bnn_inputs_t *in,
					 void **state);
/* run: pack A, GEMM, on the device; synchronized. out is not touched. */
int bnn_bgemm_run__cuda(void *state, void *out);
/* fetch: C of the last run into out (int32 [m][n]). */
int bnn_bgemm_fetch__cuda(void *state, void *out);
/* Frees the device buffers and the state; NULL is allowed. */
void bnn_bgemm_release__cuda(void *state);

#ifdef __cplusplus
}
#endif

#endif
