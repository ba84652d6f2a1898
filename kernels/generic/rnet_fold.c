/*
 * The folding of alpha and inference BN that every binarized ReActNet block
 * shares (bnn_rnet_fold_bn, include/bnn_reactnet.h). A file of its own, so
 * that what links it (the oneDNN peer, the GPU kernels) does not pull in the
 * kernel table with the CPU block kernels.
 */
#include <math.h>
#include <stdint.h>
#include "bnn_reactnet.h"

void bnn_rnet_fold_bn(const float *w, int64_t filters, int64_t per_filter, const bnn_bn_t *bn,
		      float *m, float *c)
{
	for (int64_t o = 0; o < filters; o++) {
		double sum = 0;
		for (int64_t i = 0; i < per_filter; i++)
			sum += fabs((double)w[o * per_filter + i]);
		double alpha = sum / (double)per_filter;
		double inv = 1.0 / sqrt((double)bn->var[o] + (double)BNN_BN_EPS);
		m[o] = (float)(alpha * bn->gamma[o] * inv);
		c[o] = (float)(bn->beta[o] - (double)bn->mean[o] * bn->gamma[o] * inv);
	}
}
