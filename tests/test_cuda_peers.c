/*
 * test_cuda_peers: the GPU peers (cuBLASLt int8 and fp16 GEMM, isa cuda in
 * the peer table), the GPU peak probes and the GPU machine record.
 *
 * Everywhere (CUDA builds): the shape rules the peers refuse without asking
 * a device (int8: k and n multiples of 4; fp16: k below 2^24), each with a
 * reason; and without a device, the probe and the record say why.
 * On a GPU: every peer against the float reference, exactly (+-1 data:
 * integer results), on small, odd and tile-edge shapes, run twice with
 * fetch, after a check that prepare poisoned C (tests/gemm_check.h); the
 * probes give a positive, finite best and median rate per row (each MMA probe also checks its own
 * accumulators on the device); the record names the device.
 * Without a GPU those points are TAP SKIPs with the runtime's reason.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "gemm_check.h"
#include "peak.h"
#include "peers.h"
#include "tap.h"
#ifdef BNN_HAVE_CUDA
#include "cuda/bnn_cuda_info.h"
#endif

#ifdef BNN_HAVE_CUDA
static const int64_t shapes[][3] = {
	{ 1, 4, 4 }, { 3, 8, 64 }, { 17, 12, 200 }, { 64, 64, 256 }, { 129, 132, 1028 },
	{ 33, 36, 4100 }, { 1, 1, 1 }, { 3, 5, 65 }, { 17, 9, 255 },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

static const bnn_kernel_t *find_peer(const char *name)
{
	for (size_t i = 0; i < bnn_peer_count; i++)
		if (!strcmp(bnn_peers[i].name, name))
			return &bnn_peers[i];
	return NULL;
}

/* supports() refuses d with a reason containing want. */
static int refuses(const bnn_kernel_t *p, int64_t m, int64_t n, int64_t k, const char *want)
{
	bnn_op_desc_t d;
	char why[256] = "";
	gc_desc(&d, m, n, k);
	int rc = p->supports(&d, why, sizeof(why));
	printf("# %s m=%lld n=%lld k=%lld: %s\n", p->name, (long long)m, (long long)n,
	       (long long)k, rc ? why : "accepted");
	return rc != 0 && strstr(why, want) != NULL;
}
#endif

int main(void)
{
#ifndef BNN_HAVE_CUDA
	tap_skip_all("built without CUDA: no GPU peers, probes or record");
	return 0;
#else
	char why[256] = "", msg[256];
	int dev = bnn_isa_available(BNN_ISA_CUDA, why, sizeof(why));
	const bnn_kernel_t *s8 = find_peer("gemm_s8__cublaslt");
	const bnn_kernel_t *f16 = find_peer("gemm_f16__cublaslt");
	size_t npeers = (s8 != NULL) + (f16 != NULL);
	printf("# %s\n", dev ? why : "no device");
	tap_plan(4 + (s8 ? 3 : 0) + (f16 ? 2 : 0) + (int)(npeers * NSHAPES));

	/* The record. */
	bnn_cuda_info_t ci;
	bnn_cuda_info(&ci);
	if (dev)
		tap_ok(ci.ok && ci.name[0] && ci.sms > 0 && ci.cc_major > 0 && ci.mem_bytes > 0 &&
		       ci.l2_bytes > 0 && ci.bus_width_bits > 0 && ci.runtime_version > 0,
		       "record: %s, sm_%d%d, %d SMs, %lld bytes, L2 %lld, bus %d bits, SM %d kHz, "
		       "memory %d kHz, driver %d, runtime %d", ci.name, ci.cc_major, ci.cc_minor,
		       ci.sms, ci.mem_bytes, ci.l2_bytes, ci.bus_width_bits, ci.sm_clock_khz,
		       ci.mem_clock_khz, ci.driver_version, ci.runtime_version);
	else
		tap_ok(!ci.ok && ci.why[0] && ci.runtime_version > 0,
		       "record without a device: the reason (%s) and the runtime version %d",
		       ci.why, ci.runtime_version);

	/* The probes. */
	bnn_probe_opts_t po = { .min_time_s = 0.05, .repeats = 3 };
	bnn_probe_result_t r[BNN_PROBE_MAX_RESULTS];
	size_t n = 0;
	char pwhy[256] = "";
	int rc = bnn_probe_run_gpu(&po, r, BNN_PROBE_MAX_RESULTS, &n, pwhy, sizeof(pwhy));
	if (dev) {
		int ok = rc == 0 && n == BNN_CUDA_PROBE_COUNT;
		for (size_t i = 0; i < n; i++) {
			printf("# %-16s %10.3f %-5s (median %.3f) %s\n", r[i].name, r[i].best, r[i].unit,
			       r[i].median, r[i].method);
			ok &= isfinite(r[i].best) && r[i].best > 0 && isfinite(r[i].median) &&
			      r[i].median > 0 && r[i].median <= r[i].best && !strcmp(r[i].isa, "cuda");
		}
		tap_ok(ok, "GPU probe: %zu rows, every rate positive and finite (rc %d%s%s)", n, rc,
		       pwhy[0] ? ": " : "", pwhy);
		double b1 = bnn_probe_peak_named(r, n, "mma_b1 cuda");
		double s8p = bnn_probe_peak_named(r, n, "mma_s8 cuda");
		tap_ok(isfinite(b1) && isfinite(s8p) && b1 > s8p,
		       "the b1 mma peak (%.1f TOPS) is found and above the int8 one (%.1f)", b1, s8p);
	} else {
		tap_ok(rc == -ENODEV && n == 0 && pwhy[0],
		       "GPU probe without a device: -ENODEV, no rows, the reason (%s)", pwhy);
		tap_ok(isnan(bnn_probe_peak_named(r, n, "mma_b1 cuda")),
		       "no b1 peak without a device");
	}
	tap_ok(!strcmp(bnn_cuda_probe_name(BNN_CUDA_PROBE_MMA_B1), "mma_b1 cuda") &&
	       !strcmp(bnn_cuda_probe_name(BNN_CUDA_PROBE_DRAM_COPY), "dram_copy cuda"),
	       "probe row names");

	/* The rules that need no device. */
	if (s8) {
		tap_ok(refuses(s8, 8, 8, 63, "multiples of 4") && refuses(s8, 8, 5, 64, "multiples of 4"),
		       "int8 peer refuses k = 63 and n = 5, saying why");
		bnn_op_desc_t d;
		gc_desc(&d, 3, 8, 64);
		tap_ok(s8->supports(&d, why, sizeof(why)) == 0, "int8 peer accepts m=3 n=8 k=64%s%s",
		       dev ? "" : " (rules only: no device)", "");
		tap_ok(s8->isa == BNN_ISA_CUDA && s8->fetch, "int8 peer is a device-resident cuda entry");
	}
	if (f16) {
		tap_ok(refuses(f16, 1, 1, INT64_C(1) << 24, "2^24"),
		       "fp16 peer refuses k = 2^24 (fp32 sums no longer exact), saying why");
		tap_ok(f16->isa == BNN_ISA_CUDA && f16->fetch, "fp16 peer is a device-resident cuda entry");
	}

	/* On the device: exact against the reference. */
	const bnn_kernel_t *ps[2] = { s8, f16 };
	for (int q = 0; q < 2; q++) {
		const bnn_kernel_t *p = ps[q];
		if (!p)
			continue;
		for (size_t j = 0; j < NSHAPES; j++) {
			int64_t m = shapes[j][0], nn = shapes[j][1], k = shapes[j][2];
			bnn_op_desc_t d;
			char swhy[256] = "";
			gc_desc(&d, m, nn, k);
			if (!dev || p->supports(&d, swhy, sizeof(swhy)) != 0) {
				printf("ok %d - %s m=%lld n=%lld k=%lld # SKIP %s\n", ++tap_n, p->name,
				       (long long)m, (long long)nn, (long long)k, dev ? swhy : why);
				continue;
			}
			tap_ok(gc_check(p, m, nn, k, msg, sizeof(msg)), "%s m=%lld n=%lld k=%lld: %s",
			       p->name, (long long)m, (long long)nn, (long long)k, msg);
		}
	}
	return tap_exit();
#endif
}
