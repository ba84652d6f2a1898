/* The generic entries' prepare functions: the templates with portable parts. */
#include "generic.h"

static const bnn_gemm_impl_t gemm_generic = {
	.pack = bnn_pack_rows__generic,
	.gemm = bnn_bgemm_xor_popc__generic,
};

int bnn_bgemm_prepare__generic(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return bnn_gemm_prepare_with(&gemm_generic, d, in, state);
}

int bnn_conv_prepare__generic(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	return bnn_conv_prepare_with(bnn_pack_rows__generic, d, in, (bnn_conv_state_t **)state);
}
