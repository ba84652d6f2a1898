/*
 * The AVX-512 kernels built against SIMDe (kernels/avx512/intrin.h), for
 * checking their logic on a CPU without AVX-512. They are the same sources
 * as the real __avx512 kernels, so the conformance suite passing on them
 * shows the tiling, tails, masks and reductions are right; it says nothing
 * about speed, nor about the compiler's native code generation. This list
 * is apart from the kernel table so that no run times or reports them:
 * only tests/test_emulated reads it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stddef.h>
#include "avx512/avx512.h"

#ifdef BNN_HAVE_SIMDE
static const bnn_kernel_t list[] = {
	BNN_AVX512_TABLE(avx512emu, BNN_ISA_GENERIC, " (SIMDe emulation)")
};
const bnn_kernel_t *const bnn_emulated = list;
const size_t bnn_emulated_count = sizeof(list) / sizeof(list[0]);
#else
const bnn_kernel_t *const bnn_emulated = NULL;
const size_t bnn_emulated_count = 0;
#endif
