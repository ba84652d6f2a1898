/*
 * bounds.h: the per-element error bounds the runner builds for the float
 * convolution ops (spec bnn-math.md section 3), one function per op, so
 * that the runner and the tests of the bounds' tightness share one code
 * path. The ReActNet bounds live beside the rest of that op's harness code
 * (reactnet.h).
 */
#ifndef BNN_BOUNDS_H
#define BNN_BOUNDS_H

#include "bnn_shape.h"

/*
 * BWN (section 3): bound[i] = gamma_{n+4} * alpha[o] * sum|x| over output
 * i's receptive field, n = the filter's C_in/groups * kh * kw terms; the 4
 * extra rounding steps are the alpha product, the reference's own rounding
 * and that of the |x| sum. x is the conv's NHWC input, alpha[k]; bound has
 * the output's NHWC size. Cannot fail.
 */
void bnn_bwn_bound(const bnn_conv_shape_t *s, const float *x, const float *alpha, float *bound);

/*
 * XNOR-Net (section 4): the binary dot product is exact, and the float part
 * is made of positive terms, so the bound is relative to the reference:
 * bound[i] = gamma_m * |ref[i]|, m = c + kh*kw + 6 in paper mode (the
 * channel mean, the box filter, the products) and 3 in released mode (the
 * alpha product and two roundings). Cannot fail.
 */
void bnn_xnor_bound(const bnn_conv_shape_t *s, bnn_xnor_mode_t mode, const float *ref,
		    float *bound);

#endif
