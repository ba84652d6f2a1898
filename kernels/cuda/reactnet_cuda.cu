/*
 * The ReActNet block (rblock_xor_popc__cuda) and ReActNet-A
 * (reactnet_a_xor_popc__cuda) on CUDA cores: the device back end of
 * reactnet_cuda_impl.cuh, which holds the design and every per-thread body.
 * Each body runs as one template kernel (rn_kernel) of RN_THREADS threads
 * per block on the default stream.
 *
 * Nothing here has been run on a GPU by its author (compile-only); the
 * host test (tests/test_cuda_reactnet_host.cu) runs the same bodies and the
 * same launch sequence on the CPU, and tests/test_cuda_reactnet checks these
 * entries against the reference wherever a device is present.
 */
#include <cuda_runtime.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "bnn_cuda.h"
#include "bnn_cuda_internal.cuh"
#include "bnn_cuda_reactnet.h"
#include "reactnet_cuda_impl.cuh"

template <class F> __global__ void __launch_bounds__(RN_THREADS) rn_kernel(const F f)
{
	f((int64_t)blockIdx.x, (int64_t)blockIdx.y, (int)threadIdx.x);
}

/* The device back end: CUDA runtime calls on the default stream; a failed
 * call clears the runtime's sticky launch error before returning. */
struct rn_dev_be {
	static int fail(int rc)
	{
		bnn_cuda_fail("reactnet", cudaSuccess);
		return rc;
	}
	static int alloc(void **p, size_t bytes)
	{
		return cudaMalloc(p, bytes) == cudaSuccess ? 0 : fail(-ENOMEM);
	}
	static void release(void *p)
	{
		cudaFree(p);
	}
	static int put(void *dst, const void *src, size_t bytes)
	{
		return cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice) == cudaSuccess ? 0 :
											  fail(-EIO);
	}
	static int get(void *dst, const void *src, size_t bytes)
	{
		return cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost) == cudaSuccess ? 0 :
											  fail(-EIO);
	}
	static int fill(void *dst, int byte, size_t bytes)
	{
		return cudaMemset(dst, byte, bytes) == cudaSuccess ? 0 : fail(-EIO);
	}
	template <class F> static int launch(const F &f, int64_t nx, int64_t ny)
	{
		if (nx < 1 || ny < 1 || nx > INT_MAX || ny > 65535) {
			bnn_cuda_fail("reactnet launch", cudaErrorInvalidConfiguration);
			return -EINVAL;
		}
		rn_kernel<F><<<dim3((unsigned)nx, (unsigned)ny), RN_THREADS>>>(f);
		cudaError_t e = cudaGetLastError();
		if (e != cudaSuccess)
			bnn_cuda_fail("reactnet launch", e);
		return e == cudaSuccess ? 0 : -EIO;
	}
	static int sync(void)
	{
		return cudaDeviceSynchronize() == cudaSuccess ? 0 : fail(-EIO);
	}
	/* Stage stamps for the profile hook: events on the default stream,
	 * made once (one thread uses them: the harness runs one kernel). */
	static cudaEvent_t ev[BNN_PROFILE_MAX + 1];
	static int nev;
	static int mark(int i)
	{
		if (i < 0 || i > BNN_PROFILE_MAX)
			return -EINVAL;
		while (nev <= i) {
			if (cudaEventCreate(&ev[nev]) != cudaSuccess)
				return fail(-EIO);
			nev++;
		}
		return cudaEventRecord(ev[i], 0) == cudaSuccess ? 0 : fail(-EIO);
	}
	/* After sync: the time between stamps i and i + 1, for i < n. */
	static int stage_ns(double *ns, int n)
	{
		for (int i = 0; i < n; i++) {
			float ms = 0;
			if (i + 1 >= nev || cudaEventElapsedTime(&ms, ev[i], ev[i + 1]) != cudaSuccess)
				return fail(-EIO);
			ns[i] = (double)ms * 1e6;
		}
		return 0;
	}
};
cudaEvent_t rn_dev_be::ev[BNN_PROFILE_MAX + 1];
int rn_dev_be::nev;

/* -1 with why when the estimate exceeds 90% of the device's memory. */
static int fits(double bytes, char *why, size_t whylen)
{
	if (bnn_cuda_device_major() <= 0)
		return 0;   /* no device: the ISA check reports it */
	const cudaDeviceProp *pr = bnn_cuda_device_props();
	if (bytes > 0.9 * (double)pr->totalGlobalMem) {
		snprintf(why, whylen, "needs %.2f GiB of device memory, %s has %.2f GiB",
			 bytes / 1073741824.0, pr->name, (double)pr->totalGlobalMem / 1073741824.0);
		return -1;
	}
	return 0;
}

extern "C" int bnn_rblock_supports__cuda(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	const bnn_rblock_shape_t *b = &d->rblock;
	if (b->k != b->c && b->k != 2 * b->c) {
		snprintf(why, whylen, "k must be c (normal block) or 2c (reduction block)");
		return -1;
	}
	if (b->stride != 1 && b->stride != 2) {
		snprintf(why, whylen, "stride %lld: only 1 and 2", (long long)b->stride);
		return -1;
	}
	/* acc = 9c - 2 popc converts to float exactly only below 2^24. */
	if (9 * b->c >= (1 << 24)) {
		snprintf(why, whylen, "c = %lld: 9c must stay below 2^24", (long long)b->c);
		return -1;
	}
	return fits(rn_rblock_bytes(b), why, whylen);
}

extern "C" int bnn_rnet_supports__cuda(const bnn_op_desc_t *d, char *why, size_t whylen)
{
	return fits(rn_rnet_bytes(&d->rnet), why, whylen);
}

extern "C" int bnn_rblock_prepare__cuda(const bnn_op_desc_t *d, const bnn_inputs_t *in,
					void **state)
{
	return rn_rblock_prepare<rn_dev_be>(d, in, state);
}

extern "C" int bnn_rblock_run__cuda(void *state, void *out)
{
	(void)out;   /* the result stays on the device: bnn_rblock_fetch__cuda */
	return rn_rblock_run<rn_dev_be>(state) == 0 ? 0 : -EIO;
}

extern "C" int bnn_rblock_fetch__cuda(void *state, void *out)
{
	return rn_rblock_fetch<rn_dev_be>(state, out);
}

extern "C" void bnn_rblock_release__cuda(void *state)
{
	rn_rblock_release<rn_dev_be>(state);
}

extern "C" int bnn_rnet_prepare__cuda(const bnn_op_desc_t *d, const bnn_inputs_t *in,
				      void **state)
{
	return rn_rnet_prepare<rn_dev_be>(d, in, state);
}

extern "C" int bnn_rnet_run__cuda(void *state, void *out)
{
	(void)out;
	return rn_rnet_run<rn_dev_be>(state) == 0 ? 0 : -EIO;
}

extern "C" int bnn_rnet_fetch__cuda(void *state, void *out)
{
	return rn_rnet_fetch<rn_dev_be>(state, out);
}

extern "C" void bnn_rnet_release__cuda(void *state)
{
	rn_rnet_release<rn_dev_be>(state);
}

extern "C" const float *bnn_rnet_stage__cuda(void *state, int i, int64_t dims[4])
{
	return rn_rnet_stage<rn_dev_be>(state, i, dims);
}

extern "C" int bnn_rnet_profile__cuda(void *state, double *ns, int max)
{
	int rc = rn_rnet_profile<rn_dev_be>(state, ns, max);
	return rc < 0 && rc != -EINVAL ? -EIO : rc;
}
