/*
 * kernels/cuda: the convolutions on an NVIDIA GPU (kernels/cuda/bconv_cuda.cu):
 * binary (XNOR) convolution as an implicit GEMM on CUDA cores (XOR + popc)
 * and on 1-bit tensor cores (mma m16n8k256 .and.popc), BWN convolution,
 * and XNOR-Net convolution (the binary conv, then alpha and the K-map).
 *
 * The kernel-table contract of bnn_kernels.h with fetch: prepare copies x
 * (and the RSign shift, alpha) to the device as floats, packs the filters
 * once on the device and poisons the output (cudaMemset 0xa5); run packs x
 * on the device (binary ops), convolves and scales on the default stream
 * and returns synchronized (0 or -EIO); fetch copies the output back
 * (int32 for conv, float for bwn and xnor, NHWC [n][oh][ow][k]).
 * Compile-only so far: never run on a GPU by its author; the per-thread
 * math is checked on the CPU by tests/test_cuda_conv_host.
 */
#ifndef BNN_BCONV_CUDA_H
#define BNN_BCONV_CUDA_H

#include <stddef.h>
#include "bnn_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 0 when the grids of the CUDA-core kernels fit the launch limits, else -1 and why. */
int bnn_bconv_supports__cuda_popc(const bnn_op_desc_t *d, char *why, size_t whylen);
/* As above, and the device has .and.popc (sm_80+) and the tensor-core grid fits. */
int bnn_bconv_supports__cuda_mma_b1(const bnn_op_desc_t *d, char *why, size_t whylen);

/* prepare for conv and xnor (by d->op): CUDA cores, or 1-bit tensor cores. */
int bnn_bconv_prepare__cuda_popc(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_bconv_prepare__cuda_mma_b1(const bnn_op_desc_t *d, const bnn_inputs_t *in,
				   void **state);
/* prepare for bwn: x and alpha copied, the filter bits packed. */
int bnn_bwn_prepare__cuda(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
/* run, fetch, release: shared by every convolution entry above. */
int bnn_bconv_run__cuda(void *state, void *out);
int bnn_bconv_fetch__cuda(void *state, void *out);
void bnn_bconv_release__cuda(void *state);

#ifdef __cplusplus
}
#endif

#endif
