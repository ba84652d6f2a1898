/*
 * test_cuda_probe_host: the GPU probes' counting, checked on the host (no
 * device API is called; built by nvcc, so the bodies are the very
 * __host__ __device__ functions of kernels/cuda/probe_cuda_body.cuh that
 * the probe kernels run).
 *
 * - The MMA bodies run for every thread of a launch of the probe's shape
 *   (BNN_CUDA_PROBE_BLOCKS_PER_SM blocks per SM, BNN_CUDA_PROBE_THREADS
 *   threads), with a stand-in mma that counts its calls and adds what an
 *   all-ones mma of that shape adds to each element. The instructions
 *   issued (calls / 32: an mma is one warp-wide instruction) times
 *   2 x M*N*K must equal bnn_cuda_probe_ops, the count the TOPS come from;
 *   each element must equal bnn_cuda_probe_expect, the value the device
 *   checks; and the wrong-element count must see a planted error.
 * - The bandwidth bodies visit every 16-byte element exactly once over
 *   the grid, so bnn_cuda_probe_bytes is the traffic of a pass.
 * What this cannot check: the mma hardware and its fragment semantics, the
 * launch on a device, occupancy, and timing (tests/test_cuda_peers, on a
 * GPU, checks that the probes run, agree with the all-ones value and give
 * positive finite rates).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "cuda/bnn_cuda_info.h"
#include "cuda/probe_cuda_body.cuh"

/* A counting mma: what one all-ones instruction adds to each of a lane's
 * four accumulator elements is K (popc of 256 set bits, or 32 / 16 ones). */
template <class Acc>
struct count_mma {
	int64_t *calls;
	Acc k;
	__host__ __device__ void operator()(Acc (&d)[4]) const
	{
		(*calls)++;
		for (int e = 0; e < 4; e++)
			d[e] += k;
	}
};

static const int64_t kdim[] = { 256, 32, 16 };   /* PTX shapes m16n8k256 / k32 / k16 */

template <class Acc>
static int check_mma(bnn_cuda_probe_kind_t kind, int sms, int64_t iters, char *msg, size_t len)
{
	int64_t blocks = (int64_t)sms * BNN_CUDA_PROBE_BLOCKS_PER_SM, calls = 0;
	count_mma<Acc> mma = { &calls, (Acc)kdim[kind] };
	Acc expect = (Acc)bnn_cuda_probe_expect(kind, iters);
	for (int64_t b = 0; b < blocks; b++)
		for (int t = 0; t < BNN_CUDA_PROBE_THREADS; t++) {
			Acc acc[BNN_CUDA_PROBE_NACC][4];
			for (int j = 0; j < BNN_CUDA_PROBE_NACC; j++)
				for (int e = 0; e < 4; e++)
					acc[j][e] = 0;
			bnn_probe_mma_body(mma, iters, acc);
			int w = bnn_probe_count_wrong(acc, expect);
			if (w) {
				snprintf(msg, len, "block %lld thread %d: %d elements differ from %g",
					 (long long)b, t, w, (double)expect);
				return 0;
			}
			/* A planted error is seen, in the first and in the last tile. */
			acc[0][0] += 1;
			acc[BNN_CUDA_PROBE_NACC - 1][3] -= 1;
			if (bnn_probe_count_wrong(acc, expect) != 2) {
				snprintf(msg, len, "planted errors not counted");
				return 0;
			}
		}
	if (calls % 32) {
		snprintf(msg, len, "%lld calls: not whole warps", (long long)calls);
		return 0;
	}
	double ops = 2.0 * (double)(calls / 32) * 16 * 8 * (double)kdim[kind];
	double claimed = bnn_cuda_probe_ops(kind, blocks, BNN_CUDA_PROBE_THREADS, iters);
	snprintf(msg, len, "%lld instructions, %.0f ops, formula %.0f", (long long)(calls / 32),
		 ops, claimed);
	return ops == claimed && bnn_cuda_probe_mma_macs(kind) == 16 * 8 * kdim[kind];
}

/* Read: XOR of all acc and the sum of the counts; copy: second half equals
 * the first, counts sum to half. Values are distinct per element. */
static int check_bandwidth(int64_t n16, int64_t nthreads, char *msg, size_t len)
{
	bnn_probe_v4 *buf = (bnn_probe_v4 *)calloc((size_t)(n16 ? n16 : 1), sizeof(bnn_probe_v4));
	int ok = 0;
	if (!buf) {
		snprintf(msg, len, "out of memory");
		return 0;
	}
	uint32_t want = 0;
	for (int64_t i = 0; i < n16; i++) {
		buf[i].x = (uint32_t)(i * 2654435761u + 1);
		buf[i].y = (uint32_t)i;
		buf[i].z = buf[i].w = 7;
		want ^= buf[i].x;
	}
	int64_t seen = 0;
	bnn_probe_v4 all = { 0, 0, 0, 0 };
	for (int64_t t = 0; t < nthreads; t++) {
		bnn_probe_v4 acc = { 0, 0, 0, 0 };
		seen += bnn_probe_read_body(buf, n16, t, nthreads, &acc);
		all.x ^= acc.x;
	}
	if (seen != n16 || all.x != want) {
		snprintf(msg, len, "read: %lld of %lld elements, xor %08x want %08x", (long long)seen,
			 (long long)n16, all.x, want);
		goto out;
	}
	if (bnn_cuda_probe_bytes(BNN_CUDA_PROBE_DRAM_READ, n16 * 16, 3) != 3.0 * 16 * n16) {
		snprintf(msg, len, "read bytes formula");
		goto out;
	}
	seen = 0;
	for (int64_t t = 0; t < nthreads; t++)
		seen += bnn_probe_copy_body(buf, n16, t, nthreads);
	for (int64_t i = 0; i < n16 / 2; i++)
		if (memcmp(&buf[n16 / 2 + i], &buf[i], sizeof(buf[i])) != 0) {
			snprintf(msg, len, "copy: element %lld not copied", (long long)i);
			goto out;
		}
	if (seen != n16 / 2 ||
	    bnn_cuda_probe_bytes(BNN_CUDA_PROBE_DRAM_COPY, n16 * 16, 2) != 2.0 * 2 * 16 * (n16 / 2)) {
		snprintf(msg, len, "copy: %lld elements, or the bytes formula", (long long)seen);
		goto out;
	}
	snprintf(msg, len, "ok");
	ok = 1;
out:
	free(buf);
	return ok;
}

int main(void)
{
	char msg[256];
	static const int64_t iters[] = { 0, 1, 3, 17 };
	static const int64_t n16s[] = { 0, 1, 2, 5, 1000, 4097 };
	static const int64_t nts[] = { 1, 7, 256, 2048 };
	int n_iters = (int)(sizeof(iters) / sizeof(iters[0]));
	tap_plan(3 * n_iters + (int)(sizeof(n16s) / sizeof(n16s[0]) * sizeof(nts) / sizeof(nts[0])) +
		 2);
	for (int i = 0; i < n_iters; i++) {
		tap_ok(check_mma<int>(BNN_CUDA_PROBE_MMA_B1, 3, iters[i], msg, sizeof(msg)),
		       "mma_b1 body, 3 SMs, iters %lld: %s", (long long)iters[i], msg);
		tap_ok(check_mma<int>(BNN_CUDA_PROBE_MMA_S8, 2, iters[i], msg, sizeof(msg)),
		       "mma_s8 body, 2 SMs, iters %lld: %s", (long long)iters[i], msg);
		tap_ok(check_mma<float>(BNN_CUDA_PROBE_MMA_F16, 1, iters[i], msg, sizeof(msg)),
		       "mma_f16 body, 1 SM, iters %lld: %s", (long long)iters[i], msg);
	}
	for (size_t i = 0; i < sizeof(n16s) / sizeof(n16s[0]); i++)
		for (size_t j = 0; j < sizeof(nts) / sizeof(nts[0]); j++)
			tap_ok(check_bandwidth(n16s[i], nts[j], msg, sizeof(msg)),
			       "read/copy bodies, %lld elements, %lld threads: %s",
			       (long long)n16s[i], (long long)nts[j], msg);
	/* The largest iteration count keeps the expected value exact. */
	int exact = bnn_cuda_probe_expect(BNN_CUDA_PROBE_MMA_B1,
					  bnn_cuda_probe_max_iters(BNN_CUDA_PROBE_MMA_B1)) < INT32_MAX &&
		    bnn_cuda_probe_expect(BNN_CUDA_PROBE_MMA_S8,
					  bnn_cuda_probe_max_iters(BNN_CUDA_PROBE_MMA_S8)) < INT32_MAX &&
		    bnn_cuda_probe_expect(BNN_CUDA_PROBE_MMA_F16,
					  bnn_cuda_probe_max_iters(BNN_CUDA_PROBE_MMA_F16)) <=
			    (INT64_C(1) << 24);
	tap_ok(exact, "the iteration caps keep every accumulator exact (int32, f32 integers)");
	/* A hand count: 132 SMs (H100 SXM), 1000 iterations of b1:
	 * 132 * 4 blocks * 8 warps * 1000 * 8 mma * 32768 MACs * 2. */
	double hand = 132.0 * 4 * 8 * 1000 * 8 * 32768 * 2;
	tap_ok(bnn_cuda_probe_ops(BNN_CUDA_PROBE_MMA_B1, 132 * 4, 256, 1000) == hand,
	       "b1 ops of an H100-sized launch match the hand count %.4g", hand);
	return tap_exit();
}
