/*
 * The ReActNet block and ReActNet-A on an NVIDIA GPU
 * (kernels/cuda/reactnet_cuda.cu; the design: reactnet_cuda_impl.cuh).
 * C sees only these extern "C" functions (doc/STYLE.md). The kernel table's
 * fetch contract (bnn_kernels.h): prepare copies the op's input and every
 * parameter to the device, packs the binary weights there and poisons the
 * output; run does the whole block or network on the default stream and
 * returns synchronized (0 or -EIO); fetch copies the output back; the
 * network's stage hook copies one stage's output to a host buffer on demand.
 * Compile-only: never run on a GPU by its author.
 */
#ifndef BNN_CUDA_REACTNET_H
#define BNN_CUDA_REACTNET_H

#include <stddef.h>
#include "bnn_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 0 when the shape is handled and fits the device's memory, else -1 and why. */
int bnn_rblock_supports__cuda(const bnn_op_desc_t *d, char *why, size_t whylen);
int bnn_rnet_supports__cuda(const bnn_op_desc_t *d, char *why, size_t whylen);

int bnn_rblock_prepare__cuda(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_rblock_run__cuda(void *state, void *out);     /* out untouched: fetch */
int bnn_rblock_fetch__cuda(void *state, void *out);   /* float NHWC [n][oh][ow][k] */
void bnn_rblock_release__cuda(void *state);

int bnn_rnet_prepare__cuda(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_rnet_run__cuda(void *state, void *out);       /* out untouched: fetch */
int bnn_rnet_fetch__cuda(void *state, void *out);     /* logits [n][1000] */
void bnn_rnet_release__cuda(void *state);
/* Stage i (0 the stem, then each block) of the last run, NHWC; NULL past the
 * end or when the copy fails. The buffer belongs to the state. */
const float *bnn_rnet_stage__cuda(void *state, int i, int64_t dims[4]);
/* bnn_kernel_t.profile: the stages timed by CUDA events on the default stream. */
int bnn_rnet_profile__cuda(void *state, double *ns, int max);

#ifdef __cplusplus
}
#endif

#endif
