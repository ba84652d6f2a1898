/*
 * The ReActNet template's element-wise loops (output transforms, stem, head)
 * compiled with the AVX-512 flags (16-wide), for the ReActNet entries over
 * the AVX-512 conv; the emulated build compiles them with no ISA flags.
 * Same source, same arithmetic, same bits (reactnet_loops.h).
 */
#include "avx512.h"
#include "intrin.h"
#include "generic/reactnet_loops.h"

BNN_RNET_LOOPS_DEFINE(BNN_A512(bnn_rnet_loops), 1);
