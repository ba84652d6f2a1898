/*
 * cublas_peers.h: the cuBLASLt peers (peers/cublas_peers.cu): cuBLASLt int8
 * and fp16 GEMM on the GPU, two entries of the peer table (peers.c). Built
 * only where cuBLASLt was found (BNN_HAVE_CUBLAS). Plain C: never includes
 * cuda_runtime.h.
 */
#ifndef BNN_CUBLAS_PEERS_H
#define BNN_CUBLAS_PEERS_H

#include <stddef.h>
#include "bnn_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * gemm_s8__cublaslt: sign(A) and sign(B) as int8 +-1, s32 result, exact.
 * cuBLASLt's int8 tensor-core rules in its column-major view (our row-major
 * C = A B^T is its C^T = B A^T, the "TN" form it requires): the leading
 * dimensions k (A and B) and n (C), and its m (our n), multiples of 4.
 */
int bnn_cublas_supports__s8(const bnn_op_desc_t *d, char *why, size_t whylen);
/* gemm_f16__cublaslt: +-1 halves, fp32 accumulation and output: exact for k < 2^24. */
int bnn_cublas_supports__f16(const bnn_op_desc_t *d, char *why, size_t whylen);
/* prepare: binarize on the host, copy to the device in the peer's type,
 * poison C, choose the algorithm; untimed. 0 or a negative errno. */
int bnn_cublas_prepare__s8(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_cublas_prepare__f16(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
/* run: the cublasLtMatmul call on the default stream, synchronized; 0 or -EIO. */
int bnn_cublas_run(void *state, void *out);
/* fetch: C to the host, as int32 (a non-integer float becomes INT32_MIN,
 * which no exact dot product can be, so the check fails it). */
int bnn_cublas_fetch(void *state, void *out);
void bnn_cublas_release(void *state);
/* "cuBLASLt 130000" style version of the loaded library; static storage. */
const char *bnn_cublas_version(void);

#ifdef __cplusplus
}
#endif

#endif
