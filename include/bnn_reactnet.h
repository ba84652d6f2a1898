/*
 * bnn_reactnet.h: the parameters of a ReActNet block and of ReActNet-A
 * (doc/bnn-math.md section 6), as the official PyTorch model holds
 * them, shared by reference/, kernels/ and harness/. Every array is float,
 * owned by whoever filled the struct (the harness: synthetic weights or a
 * loaded checkpoint), and stays valid while a kernel uses it.
 *
 * Names follow the official BasicBlock (mobilenet/2_step2/reactnet.py):
 *   move11 -> rsign1   binary_3x3 -> w3   bn1   move12, prelu1, move13 -> rp1
 *   move21 -> rsign2   binary_pw (or _down1 | _down2) -> w1   bn2 (bn2_1 | bn2_2)
 *   move22, prelu2, move23 -> rp2
 * The official LearnableBias adds its bias, so RSign is sign(x + rsign[c])
 * and RPReLU's shifts are g = -move12, z = move13.
 */
#ifndef BNN_REACTNET_H
#define BNN_REACTNET_H

#include "bnn_shape.h"

/* Inference batch norm: y = gamma*(x - mean)/sqrt(var + 1e-5) + beta. */
#define BNN_BN_EPS 1e-5f

typedef struct {
	const float *gamma, *beta, *mean, *var;
} bnn_bn_t;

/* RPReLU: f(x) = x - g + z if x > g, else slope*(x - g) + z, per channel. */
typedef struct {
	const float *g, *slope, *z;
} bnn_rprelu_t;

/*
 * One block of shape b (bnn_shape.h): c input channels, k output channels.
 *   t = BN1(alpha3 * bconv3x3(RSign1(x), stride, pad 1, zero padding))
 *   u = RPReLU1(t + (stride 2 ? AvgPool2x2(x) : x))
 *   v = BN2(alpha1 * bconv1x1(RSign2(u))) + u   (reduction: filters [0, c)
 *       are binary_pw_down1 with bn2_1, [c, 2c) binary_pw_down2 with bn2_2,
 *       each adding u: the concat of doc/bnn-math.md section 6)
 *   out = RPReLU2(v)
 * alpha per filter is mean |w| of that filter (HardBinaryConv).
 */
typedef struct {
	const float *rsign1;    /* [c] */
	const float *w3;        /* [c][3][3][c], OHWI */
	bnn_bn_t bn1;           /* [c] */
	bnn_rprelu_t rp1;       /* [c] */
	const float *rsign2;    /* [c] */
	const float *w1;        /* [k][c] (1x1, OHWI) */
	bnn_bn_t bn2;           /* [k] */
	bnn_rprelu_t rp2;       /* [k] */
} bnn_rblock_params_t;

/*
 * ReActNet-A: the real stem (3x3 conv, 3 -> 32, stride 2, pad 1, no bias,
 * then BN, no activation), the 13 blocks, global average pool and the real
 * FC 1024 -> 1000 with bias. Input images are NCHW (as PyTorch holds them).
 */
typedef struct {
	const float *stem_w;    /* [32][3][3][3], OHWI */
	bnn_bn_t stem_bn;       /* [32] */
	bnn_rblock_params_t block[BNN_RNET_BLOCKS];
	const float *fc_w;      /* [1000][1024] */
	const float *fc_b;      /* [1000] */
} bnn_rnet_params_t;

#ifdef __cplusplus
extern "C" {
#endif
/*
 * Folds alpha (mean |w| over the per_filter weights of each of filters
 * filters, w[filter][per_filter]) and inference BN into y = acc * m + c,
 * in double, rounded once per coefficient. Every binarized block kernel
 * (CPU, GPU, the oneDNN peer's epilogue) folds through this one function,
 * so all of them round alike. kernels/generic/reactnet.c.
 */
void bnn_rnet_fold_bn(const float *w, int64_t filters, int64_t per_filter, const bnn_bn_t *bn,
		      float *m, float *c);
#ifdef __cplusplus
}
#endif

#endif
