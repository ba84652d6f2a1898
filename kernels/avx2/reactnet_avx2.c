/*
 * The ReActNet template's element-wise loops (output transforms, stem, head)
 * compiled with the AVX2 flags: 8-wide where the generic build is 4-wide.
 * Same source, same arithmetic, same bits (reactnet_loops.h).
 */
#include "avx2.h"
#include "generic/reactnet_loops.h"

BNN_RNET_LOOPS_DEFINE(bnn_rnet_loops__avx2, 0);
