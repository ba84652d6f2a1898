/*
 * What the CUDA kernels share (kernels/cuda/bnn_cuda_internal.cuh): the
 * device probe behind the CUDA ISA's availability, the harness's device
 * clock, and packing on the GPU.
 */
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "bnn_cuda.h"
#include "bnn_cuda_internal.cuh"

/* ---- packing ---- */

/*
 * One warp per 32-bit word: lane j reads element 32*w + j (coalesced) and
 * the ballot is the word. Rows >= rows and elements >= k give 0 bits.
 */
__global__ void pack_rows(const float *__restrict__ x, int64_t rows, int64_t k,
			  int64_t rows_p, int64_t kw32, uint32_t *__restrict__ out)
{
	int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32;
	int lane = threadIdx.x & 31;
	if (warp >= rows_p * kw32)
		return;   /* whole warps leave together: blockDim is a multiple of 32 */
	int64_t r = warp / kw32, w = warp % kw32;
	int64_t col = w * 32 + lane;
	int neg = r < rows && col < k && x[r * k + col] < 0.0f;
	uint32_t bits = __ballot_sync(0xffffffffu, neg);
	if (lane == 0)
		out[r * kw32 + w] = bits;
}

/* popc of each packed row, one thread per row (small next to the GEMM). */
__global__ void row_popc(const uint32_t *__restrict__ p, int64_t rows_p, int64_t kw32,
			 int32_t *__restrict__ out)
{
	int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (r >= rows_p)
		return;
	int s = 0;
	for (int64_t w = 0; w < kw32; w++)
		s += __popc(p[r * kw32 + w]);
	out[r] = s;
}


/* Packs rows x k floats already on the device into p ([rows_p][kw32]). */
cudaError_t bnn_cuda_pack(const float *d_x, int64_t rows, int64_t k, int64_t rows_p,
			  int64_t kw32, uint32_t *p)
{
	int64_t threads = rows_p * kw32 * 32;
	pack_rows<<<(unsigned)((threads + 255) / 256), 256>>>(d_x, rows, k, rows_p, kw32, p);
	return cudaGetLastError();
}

cudaError_t bnn_cuda_popcounts(const uint32_t *p, int64_t rows_p, int64_t kw32, int32_t *out)
{
	row_popc<<<(unsigned)((rows_p + 127) / 128), 128>>>(p, rows_p, kw32, out);
	return cudaGetLastError();
}


/* ---- why the last failure failed ---- */

static char last_error[256];

cudaError_t bnn_cuda_fail(const char *what, cudaError_t e)
{
	cudaError_t slot = cudaGetLastError();
	if (e == cudaSuccess)
		e = slot;
	if (e == cudaSuccess)
		last_error[0] = 0;
	else
		snprintf(last_error, sizeof(last_error), "%s: %s (%s)", what, cudaGetErrorName(e),
			 cudaGetErrorString(e));
	return e;
}

void bnn_cuda_fail_text(const char *what, const char *text)
{
	cudaGetLastError();
	snprintf(last_error, sizeof(last_error), "%s: %s", what, text);
}

extern "C" const char *bnn_cuda_last_error(void)
{
	return last_error;
}

extern "C" void bnn_cuda_clear_last_error(void)
{
	last_error[0] = 0;
}

/* ---- the device ---- */

static struct {
	int done, ok, major;
	cudaDeviceProp props;
	char why[160];
} dev;

/* Asks the runtime once; cudaGetDeviceCount fails with a reason when there is no GPU. */
static void probe_device(void)
{
	if (dev.done)
		return;
	dev.done = 1;
	int count = 0;
	cudaError_t e = cudaGetDeviceCount(&count);
	FILE *drv = NULL;
	if (e == cudaErrorInsufficientDriver &&
	    !(drv = fopen("/proc/driver/nvidia/version", "r"))) {
		/* The runtime says the driver is too old when there is none at
		 * all: say what is missing instead of asking for an upgrade. */
		snprintf(dev.why, sizeof(dev.why), "no CUDA device: no NVIDIA driver is loaded "
			 "on this machine (no /proc/driver/nvidia/version)");
		cudaGetLastError();
		return;
	}
	if (drv)
		fclose(drv);
	if (e != cudaSuccess) {
		snprintf(dev.why, sizeof(dev.why), "no CUDA device: %s", cudaGetErrorString(e));
		cudaGetLastError();   /* reset the runtime's last-error slot for the next caller */
		return;
	}
	if (count == 0) {
		snprintf(dev.why, sizeof(dev.why), "no CUDA device: the runtime reports 0 devices");
		return;
	}
	cudaDeviceProp p;
	e = cudaGetDeviceProperties(&p, 0);
	if (e != cudaSuccess) {
		snprintf(dev.why, sizeof(dev.why), "no CUDA device: %s", cudaGetErrorString(e));
		cudaGetLastError();
		return;
	}
	dev.major = p.major;
	dev.props = p;
	dev.ok = 1;
	snprintf(dev.why, sizeof(dev.why), "device 0 of %d: %s, sm_%d%d", count, p.name, p.major,
		 p.minor);
}

extern "C" int bnn_cuda_available(char *why, size_t whylen)
{
	probe_device();
	if (why && whylen)
		snprintf(why, whylen, "%s", dev.why);
	return dev.ok;
}

extern "C" const char *bnn_cuda_describe(void)
{
	static char line[512];
	int rt = 0;
	probe_device();
	cudaRuntimeGetVersion(&rt);
	snprintf(line, sizeof(line), "CUDA runtime %d.%d, built for %s; %s", rt / 1000,
		 (rt % 1000) / 10, BNN_CUDA_ARCH, dev.why);
	return line;
}

int bnn_cuda_device_major(void)
{
	probe_device();
	return dev.ok ? dev.major : 0;
}

const cudaDeviceProp *bnn_cuda_device_props(void)
{
	probe_device();
	return &dev.props;
}

/* ---- the harness's device clock ---- */

static cudaEvent_t ev_start, ev_stop;
static int ev_ready;   /* 1: created; -1: creation failed, never retried */

extern "C" int bnn_cuda_timer_begin(void)
{
	if (ev_ready == 0) {
		ev_ready = cudaEventCreate(&ev_start) == cudaSuccess &&
				   cudaEventCreate(&ev_stop) == cudaSuccess
			   ? 1 : -1;
		if (ev_ready < 0)
			cudaGetLastError();
	}
	if (ev_ready < 0 || cudaEventRecord(ev_start, 0) != cudaSuccess) {
		cudaGetLastError();
		return -1;
	}
	return 0;
}

extern "C" int bnn_cuda_timer_end(double *ns)
{
	float ms = 0;
	if (ev_ready < 0 || cudaEventRecord(ev_stop, 0) != cudaSuccess ||
	    cudaEventSynchronize(ev_stop) != cudaSuccess ||
	    cudaEventElapsedTime(&ms, ev_start, ev_stop) != cudaSuccess) {
		cudaGetLastError();
		return -1;
	}
	*ns = (double)ms * 1e6;
	return 0;
}
