/*
 * The GPU peers: cuBLASLt int8 and fp16 GEMM on the same M, N, K as our
 * binary GEMM, with the binarized inputs as +-1 in the library's own type
 * (cublas_peers.h). Device-resident like our CUDA kernels
 * (the fetch contract of bnn_kernels.h): prepare binarizes on the host and
 * copies A and B to the device (untimed), run is the cublasLtMatmul call on
 * the default stream, synchronized, fetch copies C back and converts it to
 * int32 on the host.
 *
 * Layout. Our C[m][n] = sum_k A[m][k] B[n][k], all row-major, is in
 * cuBLAS's column-major view C^T (n x m, ld n) = op(B') op(A') with
 * B' = our B seen as k x n (ld k), transposed, and A' = our A seen as k x m
 * (ld k), not transposed: the "TN" form cuBLASLt's int8 tensor-core kernels
 * require. So no copy is transposed, and C comes back as our row-major C.
 *
 * Exactness. int8: +-1 products summed in int32, exact for k < 2^31.
 * fp16: +-1 halves, fp32 accumulation and fp32 output; every partial sum is
 * an integer below 2^24, so the result is exact whatever order the tensor
 * cores add in (supports() refuses k >= 2^24). An fp16 output would be
 * exact only while |dot| <= 2048, hence fp32.
 *
 * Compile-only: written and built without a GPU, never run;
 * tests/test_cuda_peers checks both peers against the reference on a device.
 */
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "cuda/bnn_cuda.h"
#include "cuda/bnn_cuda_internal.cuh"   /* the kernels' error helpers */
#include "cublas_peers.h"

#define WORKSPACE_BYTES ((size_t)32 << 20)
#define F16_EXACT_K (INT64_C(1) << 24)

typedef enum { PEER_S8 = 0, PEER_F16 = 1 } peer_t;

typedef struct {
	peer_t type;
	int64_t m, n, k;
	cublasLtHandle_t lt;
	cublasLtMatmulDesc_t op;
	cublasLtMatrixLayout_t la, lb, lc;   /* cuBLAS's A (our B'), B (our A'), C */
	cublasLtMatmulAlgo_t algo;
	void *d_a, *d_b;                     /* our A and B in the peer's type */
	void *d_c;                           /* int32 or float [m][n] */
	void *d_ws;
	size_t ws_bytes;
	float *h_c;                          /* fp16 peer: fetch's float staging */
} cublas_peer_t;

/* The descriptors of one peer for shape (m, n, k), and the best algorithm
 * the heuristic offers; on failure why says which step and status. */
static int describe(cublas_peer_t *s, char *why, size_t whylen)
{
	cublasStatus_t st;
	cublasLtMatmulPreference_t pref = NULL;
	cublasLtMatmulHeuristicResult_t res;
	int found = 0, rc = -ENOTSUP;
	const char *step = "cublasLtCreate";
	cudaDataType_t ab = s->type == PEER_S8 ? CUDA_R_8I : CUDA_R_16F;
	cudaDataType_t ct = s->type == PEER_S8 ? CUDA_R_32I : CUDA_R_32F;
	cublasComputeType_t comp = s->type == PEER_S8 ? CUBLAS_COMPUTE_32I : CUBLAS_COMPUTE_32F;
	cublasOperation_t t = CUBLAS_OP_T;
	size_t ws = WORKSPACE_BYTES;

	if ((st = cublasLtCreate(&s->lt)) != CUBLAS_STATUS_SUCCESS)
		goto fail;
	step = "cublasLtMatmulDescCreate";
	if ((st = cublasLtMatmulDescCreate(&s->op, comp, ct)) != CUBLAS_STATUS_SUCCESS ||
	    (st = cublasLtMatmulDescSetAttribute(s->op, CUBLASLT_MATMUL_DESC_TRANSA, &t,
						 sizeof(t))) != CUBLAS_STATUS_SUCCESS)
		goto fail;
	step = "cublasLtMatrixLayoutCreate";
	/* cuBLAS's A: k x n, ld k (op T gives n x k); B: k x m, ld k; C: n x m, ld n. */
	if ((st = cublasLtMatrixLayoutCreate(&s->la, ab, (uint64_t)s->k, (uint64_t)s->n, s->k)) !=
		    CUBLAS_STATUS_SUCCESS ||
	    (st = cublasLtMatrixLayoutCreate(&s->lb, ab, (uint64_t)s->k, (uint64_t)s->m, s->k)) !=
		    CUBLAS_STATUS_SUCCESS ||
	    (st = cublasLtMatrixLayoutCreate(&s->lc, ct, (uint64_t)s->n, (uint64_t)s->m, s->n)) !=
		    CUBLAS_STATUS_SUCCESS)
		goto fail;
	step = "the matmul preference";
	if ((st = cublasLtMatmulPreferenceCreate(&pref)) != CUBLAS_STATUS_SUCCESS ||
	    (st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
						       &ws, sizeof(ws))) != CUBLAS_STATUS_SUCCESS)
		goto fail;
	step = "cublasLtMatmulAlgoGetHeuristic";
	st = cublasLtMatmulAlgoGetHeuristic(s->lt, s->op, s->la, s->lb, s->lc, s->lc, pref, 1, &res,
					    &found);
	if (st != CUBLAS_STATUS_SUCCESS)
		goto fail;
	if (found < 1 || res.state != CUBLAS_STATUS_SUCCESS) {
		snprintf(why, whylen, "cuBLASLt offers no %s algorithm for m=%lld n=%lld k=%lld",
			 s->type == PEER_S8 ? "int8 (s8 x s8 -> s32)" : "fp16 (f16 x f16 -> f32)",
			 (long long)s->m, (long long)s->n, (long long)s->k);
		goto out;
	}
	s->algo = res.algo;
	s->ws_bytes = res.workspaceSize;
	rc = 0;
	goto out;
fail:
	snprintf(why, whylen, "cuBLASLt: %s: %s", step, cublasLtGetStatusString(st));
out:
	if (pref)
		cublasLtMatmulPreferenceDestroy(pref);
	return rc;
}

/* Frees every descriptor, buffer and the handle; s may be NULL or half built. */
extern "C" void bnn_cublas_release(void *state)
{
	cublas_peer_t *s = (cublas_peer_t *)state;
	if (!s)
		return;
	if (s->la)
		cublasLtMatrixLayoutDestroy(s->la);
	if (s->lb)
		cublasLtMatrixLayoutDestroy(s->lb);
	if (s->lc)
		cublasLtMatrixLayoutDestroy(s->lc);
	if (s->op)
		cublasLtMatmulDescDestroy(s->op);
	if (s->lt)
		cublasLtDestroy(s->lt);
	cudaFree(s->d_a);
	cudaFree(s->d_b);
	cudaFree(s->d_c);
	cudaFree(s->d_ws);
	free(s->h_c);
	free(s);
}

/* The rules that need no device: sizes, exactness, int8 alignment. */
static int shape_rules(peer_t type, const bnn_op_desc_t *d, char *why, size_t whylen)
{
	const bnn_gemm_shape_t *g = &d->gemm;
	if (g->m <= 0 || g->n <= 0 || g->k <= 0) {
		snprintf(why, whylen, "empty GEMM");
		return -1;
	}
	if (g->m > INT32_MAX || g->n > INT32_MAX || g->k > INT32_MAX) {
		snprintf(why, whylen, "a size exceeds cuBLAS's int range");
		return -1;
	}
	if (type == PEER_S8 && (g->k % 4 || g->n % 4)) {
		snprintf(why, whylen, "cuBLASLt int8 (TN, column-major view) needs k and n "
			 "multiples of 4 (leading dimensions and its m); here k=%lld n=%lld",
			 (long long)g->k, (long long)g->n);
		return -1;
	}
	if (type == PEER_F16 && g->k >= F16_EXACT_K) {
		snprintf(why, whylen, "fp32 sums of +-1 are exact only below k = 2^24");
		return -1;
	}
	return 0;
}

/* The rules, then (with a device) whether the heuristic has an algorithm. */
static int supports(peer_t type, const bnn_op_desc_t *d, char *why, size_t whylen)
{
	if (shape_rules(type, d, why, whylen) != 0)
		return -1;
	if (!bnn_cuda_available(NULL, 0))
		return 0;   /* the ISA check reports the missing device */
	cublas_peer_t *s = (cublas_peer_t *)calloc(1, sizeof(*s));
	if (!s) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	s->type = type;
	s->m = d->gemm.m;
	s->n = d->gemm.n;
	s->k = d->gemm.k;
	int rc = describe(s, why, whylen);
	bnn_cublas_release(s);
	return rc ? -1 : 0;
}

extern "C" int bnn_cublas_supports__s8(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	return supports(PEER_S8, d, why, whylen);
}

extern "C" int bnn_cublas_supports__f16(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	return supports(PEER_F16, d, why, whylen);
}

/* sign(x) in the peer's type: int8 +-1, or the bits of half +-1.0. */
static void binarize(peer_t type, const float *x, size_t n, void *out)
{
	if (type == PEER_S8) {
		int8_t *o = (int8_t *)out;
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] >= 0.0f ? 1 : -1;   /* doc/bnn-math.md section 1: sign(-0.0) = +1 */
	} else {
		uint16_t *o = (uint16_t *)out;
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] >= 0.0f ? 0x3c00 : 0xbc00;
	}
}

static int prepare(peer_t type, const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	char why[256];
	int rc = -ENOMEM;
	void *h = NULL;
	cublas_peer_t *s = (cublas_peer_t *)calloc(1, sizeof(*s));
	*state = NULL;
	if (!s)
		return -ENOMEM;
	why[0] = 0;
	if (shape_rules(type, d, why, sizeof(why)) != 0) {
		rc = -EINVAL;
		goto out;
	}
	s->type = type;
	s->m = d->gemm.m;
	s->n = d->gemm.n;
	s->k = d->gemm.k;
	if ((rc = describe(s, why, sizeof(why))) != 0)
		goto out;
	{
		size_t el = type == PEER_S8 ? 1 : 2;
		size_t na = (size_t)(s->m * s->k), nb = (size_t)(s->n * s->k);
		size_t nc = (size_t)(s->m * s->n) * 4;   /* int32 or float */
		rc = -ENOMEM;
		h = malloc((na > nb ? na : nb) * el);
		if (!h || cudaMalloc(&s->d_a, na * el) != cudaSuccess ||
		    cudaMalloc(&s->d_b, nb * el) != cudaSuccess ||
		    cudaMalloc(&s->d_c, nc) != cudaSuccess ||
		    (s->ws_bytes && cudaMalloc(&s->d_ws, s->ws_bytes) != cudaSuccess))
			goto out;
		if (type == PEER_F16 && !(s->h_c = (float *)malloc(nc)))
			goto out;
		rc = -EIO;
		binarize(type, in->a, na, h);
		if (cudaMemcpy(s->d_a, h, na * el, cudaMemcpyHostToDevice) != cudaSuccess)
			goto out;
		binarize(type, in->b, nb, h);
		if (cudaMemcpy(s->d_b, h, nb * el, cudaMemcpyHostToDevice) != cudaSuccess ||
		    cudaMemset(s->d_c, 0xa5, nc) != cudaSuccess ||
		    cudaDeviceSynchronize() != cudaSuccess)
			goto out;
	}
	*state = s;
	s = NULL;
	rc = 0;
out:
	free(h);
	bnn_cublas_release(s);
	if (rc != 0) {
		if (why[0])   /* a refusal of the rules or of cuBLASLt */
			bnn_cuda_fail_text("cuBLASLt prepare", why);
		else
			bnn_cuda_fail("cuBLASLt prepare", cudaSuccess);
	}
	return rc;
}

extern "C" int bnn_cublas_prepare__s8(const bnn_op_desc_t *d, const bnn_inputs_t *in,
				      void **state)
{
	return prepare(PEER_S8, d, in, state);
}

extern "C" int bnn_cublas_prepare__f16(const bnn_op_desc_t *d, const bnn_inputs_t *in,
				       void **state)
{
	return prepare(PEER_F16, d, in, state);
}

extern "C" int bnn_cublas_run(void *state, void *out)
{
	cublas_peer_t *s = (cublas_peer_t *)state;
	cublasStatus_t st;
	(void)out;   /* C stays on the device: bnn_cublas_fetch */
	/* cuBLAS's A is our B, its B our A (see the layout note above). */
	if (s->type == PEER_S8) {
		int32_t one = 1, zero = 0;
		st = cublasLtMatmul(s->lt, s->op, &one, s->d_b, s->la, s->d_a, s->lb, &zero, s->d_c,
				    s->lc, s->d_c, s->lc, &s->algo, s->d_ws, s->ws_bytes, 0);
	} else {
		float one = 1.0f, zero = 0.0f;
		st = cublasLtMatmul(s->lt, s->op, &one, s->d_b, s->la, s->d_a, s->lb, &zero, s->d_c,
				    s->lc, s->d_c, s->lc, &s->algo, s->d_ws, s->ws_bytes, 0);
	}
	if (st != CUBLAS_STATUS_SUCCESS) {
		bnn_cuda_fail_text("cublasLtMatmul", cublasLtGetStatusString(st));
		return -EIO;
	}
	cudaError_t e = cudaDeviceSynchronize();
	if (e != cudaSuccess) {
		bnn_cuda_fail("cuBLASLt run", e);
		return -EIO;
	}
	return 0;
}

extern "C" int bnn_cublas_fetch(void *state, void *out)
{
	cublas_peer_t *s = (cublas_peer_t *)state;
	size_t mn = (size_t)(s->m * s->n);
	int32_t *c = (int32_t *)out;
	cudaError_t e = cudaMemcpy(s->type == PEER_S8 ? out : (void *)s->h_c, s->d_c, mn * 4,
				   cudaMemcpyDeviceToHost);
	if (e != cudaSuccess) {
		bnn_cuda_fail("cuBLASLt fetch", e);
		return -EIO;
	}
	if (s->type == PEER_F16)
		for (size_t i = 0; i < mn; i++) {
			float v = s->h_c[i];
			/* Only an exact integer in int32's range converts; anything else
			 * (a rounding, the poison) becomes a value no dot product has. */
			c[i] = v >= -2147483520.0f && v <= 2147483520.0f && v == (float)(int32_t)v
				       ? (int32_t)v : INT32_MIN;
		}
	return 0;
}

extern "C" const char *bnn_cublas_version(void)
{
	static char buf[64];
	size_t v = cublasLtGetVersion();
	/* cuBLASLt encodes major * 10000 + minor * 100 + patch. */
	snprintf(buf, sizeof(buf), "cuBLASLt %zu.%zu.%zu", v / 10000, v / 100 % 100, v % 100);
	return buf;
}
