/* The float convolution ops' error bounds: see bounds.h. */
#include <math.h>
#include "bnn_ref.h"
#include "bounds.h"
#include "check.h"

void bnn_bwn_bound(const bnn_conv_shape_t *s, const float *x, const float *alpha, float *bound)
{
	size_t nout = (size_t)(s->n * s->oh * s->ow * s->k);
	double g = bnn_gamma((double)(s->kh * s->kw * (s->c / s->groups) + 4));
	bnn_ref_abs_sum(s, x, bound);
	for (size_t i = 0; i < nout; i++)
		bound[i] = (float)(g * alpha[i % (size_t)s->k] * bound[i]);
}

void bnn_xnor_bound(const bnn_conv_shape_t *s, bnn_xnor_mode_t mode, const float *ref,
		    float *bound)
{
	size_t nout = (size_t)(s->n * s->oh * s->ow * s->k);
	double g = mode == BNN_XNOR_PAPER ? bnn_gamma((double)(s->c + s->kh * s->kw + 6)) :
					    bnn_gamma(3.0);
	for (size_t i = 0; i < nout; i++)
		bound[i] = (float)(g * fabs((double)ref[i]));
}
