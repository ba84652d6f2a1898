/*
 * peers_reactnet.h: the ReActNet block and ReActNet-A as a user would
 * deploy them with oneDNN (peers/peers_reactnet.c): the binary convs as
 * oneDNN fp32 convolutions of +-1.0f, or as oneDNN int8 convolutions of +-1
 * data, with the float epilogue (alpha, BN, shortcut, RPReLU, RSign) in C.
 * Same interface and checks as the kernels (bnn_kernels.h); entries of the
 * peer table in peers.c. Built only with oneDNN (HAVE_DNNL).
 */
#ifndef BNN_PEERS_REACTNET_H
#define BNN_PEERS_REACTNET_H

#include <stddef.h>
#include "bnn_kernels.h"

/* BNN_OP_RBLOCK: in->a the NHWC float input, in->params the block's
 * bnn_rblock_params_t; the float NHWC output. */
/* f32 sums of +-1 are exact up to 2^24 terms: the 3x3 conv has 9c. */
int bnn_peer_rblock_f32_supports(const bnn_op_desc_t *d, char *why, size_t whylen);
int bnn_peer_rblock_f32_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_peer_rblock_s8_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_peer_rblock_run(void *state, void *out);
void bnn_peer_rblock_release(void *state);

/* BNN_OP_RNET: in->a the NCHW float images, in->params bnn_rnet_params_t;
 * the logits [n][1000]. */
int bnn_peer_rnet_f32_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_peer_rnet_s8_prepare(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_peer_rnet_run(void *state, void *out);
void bnn_peer_rnet_release(void *state);

#endif
