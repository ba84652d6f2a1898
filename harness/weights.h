/*
 * weights.h: trained ReActNet-A parameters from a .safetensors file holding
 * the state_dict of the official PyTorch model (liuzechun/ReActNet,
 * mobilenet/2_step2/reactnet.py), converted into the layouts of
 * bnn_reactnet.h. doc/weights-and-dump.md "Real weights (--weights)" lists the
 * names.
 */
#ifndef BNN_HARNESS_WEIGHTS_H
#define BNN_HARNESS_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>
#include "reactnet.h"

/*
 * Loads the file at path into w->net for network shape r (the blocks'
 * channels come from bnn_rnet_block; they do not depend on r's h and w).
 * Every array lies in w's arena, which bnn_weights_free releases; w->block
 * is left zero. The file is checked whole before w is filled: the header
 * length against the file size, the header's JSON, each tensor's dtype
 * (F32, F16, BF16 for parameters; any integer dtype for the ignored
 * num_batches_tracked), shape and data_offsets (inside the data section,
 * as long as dtype size * elements, tensors tiling the section exactly),
 * the names (all with the "module." prefix of nn.DataParallel or none;
 * none missing, none unknown) and the values (finite; running_var >= 0).
 * Returns 0, or a negative errno code (-ENOENT and the like from opening,
 * -EINVAL for a bad file, -EIO, -ENOMEM) with a message naming the file
 * and the tensor in err; w then holds nothing.
 */
int bnn_rnet_weights_load(const char *path, const bnn_rnet_shape_t *r, bnn_weights_t *w,
			  char *err, size_t errlen);

/* IEEE binary16 and bfloat16 bit patterns to float, exactly (every value of
 * both is a float); NaN stays NaN, with its sign. */
float bnn_f16_to_float(uint16_t h);
float bnn_bf16_to_float(uint16_t b);

#endif
