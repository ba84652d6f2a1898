/*
 * ref_layers.c: the real-valued layers around the binary convolutions
 * (doc/bnn-math.md, section 6): batch norm, RSign, RPReLU, the
 * pools and the final fully connected layer. Arithmetic is done in double
 * and rounded once to float per output.
 */
#include <math.h>

#include "bnn_ref.h"

/* The spec's epsilon, the PyTorch BatchNorm default. */
#define BNN_REF_BN_EPS 1e-5

void bnn_ref_batchnorm(const float *x, int64_t pixels, int64_t c, const float *gamma,
		       const float *beta, const float *mean, const float *var, float *y)
{
	for (int64_t p = 0; p < pixels; p++) {
		for (int64_t ch = 0; ch < c; ch++) {
			int64_t i = p * c + ch;
			double norm = ((double)x[i] - mean[ch]) / sqrt((double)var[ch] + BNN_REF_BN_EPS);

			y[i] = (float)((double)gamma[ch] * norm + beta[ch]);
		}
	}
}

/*
 * The sum x + b is taken in float, as a kernel would: with IEEE gradual
 * underflow a float sum is zero only when x == -b exactly, and rounding never
 * changes the sign of a non-zero sum, so sign(x + b) is +1 exactly when
 * x >= -b, the tie included.
 */
void bnn_ref_rsign(const float *x, int64_t pixels, int64_t c, const float *b, float *y)
{
	for (int64_t p = 0; p < pixels; p++) {
		for (int64_t ch = 0; ch < c; ch++) {
			int64_t i = p * c + ch;

			y[i] = bnn_ref_sign(x[i] + b[ch]);
		}
	}
}

/* At x == g both branches give z exactly; the else branch takes it. */
void bnn_ref_rprelu(const float *x, int64_t pixels, int64_t c, const float *g,
		    const float *beta, const float *z, float *y)
{
	for (int64_t p = 0; p < pixels; p++) {
		for (int64_t ch = 0; ch < c; ch++) {
			int64_t i = p * c + ch;
			double d = (double)x[i] - g[ch];

			if (x[i] > g[ch])
				y[i] = (float)(d + z[ch]);
			else
				y[i] = (float)((double)beta[ch] * d + z[ch]);
		}
	}
}

/* An odd last row or column has no partner and is dropped (floor). */
void bnn_ref_avgpool2x2(const float *x, int64_t n, int64_t h, int64_t w, int64_t c, float *y)
{
	int64_t oh = h / 2, ow = w / 2;

	for (int64_t b = 0; b < n; b++) {
		for (int64_t oy = 0; oy < oh; oy++) {
			for (int64_t ox = 0; ox < ow; ox++) {
				/* The window's top-left pixel, and the pixel below it. */
				const float *top = x + ((b * h + 2 * oy) * w + 2 * ox) * c;
				const float *bottom = top + w * c;
				float *out = y + ((b * oh + oy) * ow + ox) * c;

				for (int64_t ch = 0; ch < c; ch++) {
					double sum = (double)top[ch] + top[c + ch] +
						     bottom[ch] + bottom[c + ch];

					out[ch] = (float)(sum / 4.0);
				}
			}
		}
	}
}

void bnn_ref_global_avgpool(const float *x, int64_t n, int64_t h, int64_t w, int64_t c,
			    float *y)
{
	for (int64_t b = 0; b < n; b++) {
		for (int64_t ch = 0; ch < c; ch++) {
			double sum = 0.0;

			for (int64_t pix = 0; pix < h * w; pix++)
				sum += x[(b * h * w + pix) * c + ch];
			y[b * c + ch] = (float)(sum / (double)(h * w));
		}
	}
}

void bnn_ref_fc(const float *x, int64_t batch, int64_t in, int64_t out, const float *w,
		const float *bias, float *y)
{
	for (int64_t b = 0; b < batch; b++) {
		for (int64_t o = 0; o < out; o++) {
			double acc = bias ? bias[o] : 0.0;

			for (int64_t i = 0; i < in; i++)
				acc += (double)w[o * in + i] * x[b * in + i];
			y[b * out + o] = (float)acc;
		}
	}
}
