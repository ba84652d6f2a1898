/*
 * test_probe: the peak probes compute what they claim (kernels/probe.h)
 * and the driver returns sane numbers (kernels/probe.h). Speed is never
 * asserted: only that every ISA's loop counts exactly, on the tile and
 * flush edges, and that every rate is positive and finite.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "bnn_kernels.h"
#include "probe.h"
#include "avx512/avx512.h"
#include "peak.h"

typedef int64_t (*xorpopc_fn)(const uint64_t *, const uint64_t *, int64_t, int64_t);

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t naive(const uint64_t *a, const uint64_t *b, int64_t words)
{
	int64_t p = 0;
	for (int i = 0; i < BNN_PROBE_ROWS; i++)
		for (int j = 0; j < BNN_PROBE_ROWS; j++)
			for (int64_t w = 0; w < words; w++) {
				uint64_t x = a[i * words + w] ^ b[j * words + w];
				for (; x; x &= x - 1)
					p++;
			}
	return p;
}

/*
 * Word counts around every edge of the loops: one word, under and over a
 * 256-bit vector (4 words), a 512-bit one (8), the AVX2 byte flush (31
 * vectors = 124 words), the Harley-Seal block (16 vectors = 64 words) and
 * the generic flush (31 words).
 */
static const int64_t words_list[] = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64,
				      65, 67, 123, 124, 125, 128, 129, 256, 257 };

/* Exact-size buffers so that a read past a row's end shows under ASan or
 * valgrind. Returns 1 when every case matched. */
static int check_xorpopc(xorpopc_fn fn, char *msg, size_t len)
{
	for (size_t k = 0; k < sizeof(words_list) / sizeof(words_list[0]); k++) {
		int64_t words = words_list[k];
		size_t cnt = (size_t)(BNN_PROBE_ROWS * words);
		uint64_t *a = malloc(cnt * sizeof(uint64_t)), *b = malloc(cnt * sizeof(uint64_t));
		if (!a || !b) {
			free(a);
			free(b);
			snprintf(msg, len, "out of memory");
			return 0;
		}
		for (size_t i = 0; i < cnt; i++) {
			a[i] = next();
			b[i] = next();
		}
		/* All ones against all zeros in one row pair's last word: the
		 * byte counters' worst case at every tail. */
		a[words - 1] = ~0ull;
		b[words - 1] = 0;
		int64_t want = naive(a, b, words);
		static const int64_t reps_list[] = { 0, 1, 3 };
		for (int r = 0; r < 3; r++) {
			int64_t got = fn(a, b, words, reps_list[r]);
			if (got != reps_list[r] * want) {
				snprintf(msg, len, "words=%lld reps=%lld: got %lld, want %lld",
					 (long long)words, (long long)reps_list[r], (long long)got,
					 (long long)(reps_list[r] * want));
				free(a);
				free(b);
				return 0;
			}
		}
		free(a);
		free(b);
	}
	/* Every bit set on one side: the most any byte counter must hold. */
	int64_t words = 256;
	uint64_t *a = calloc((size_t)(BNN_PROBE_ROWS * words), sizeof(uint64_t));
	uint64_t *b = calloc((size_t)(BNN_PROBE_ROWS * words), sizeof(uint64_t));
	int ok = a && b;
	if (ok) {
		memset(a, 0xff, (size_t)(BNN_PROBE_ROWS * words) * sizeof(uint64_t));
		int64_t got = fn(a, b, words, 2), want = 2 * 16 * words * 64;
		ok = got == want;
		if (!ok)
			snprintf(msg, len, "all ones: got %lld, want %lld", (long long)got,
				 (long long)want);
	} else {
		snprintf(msg, len, "out of memory");
	}
	free(a);
	free(b);
	return ok;
}

int main(void)
{
	static const struct {
		const char *name;
		bnn_isa_t isa;
		xorpopc_fn fn;
	} xp[] = {
		{ "generic", BNN_ISA_GENERIC, bnn_probe_xorpopc__generic },
#ifdef BNN_HAVE_AVX2
		{ "avx2", BNN_ISA_AVX2, bnn_probe_xorpopc__avx2 },
#endif
#ifdef BNN_HAVE_AVX2
		{ "avx2_lut", BNN_ISA_AVX2, bnn_probe_xorpopc__avx2_lut },
#endif
#ifdef BNN_HAVE_AVX2
		{ "avx2_popcnt", BNN_ISA_AVX2, bnn_probe_xorpopc__avx2_popcnt },
#endif
#ifdef BNN_HAVE_AVX2
		{ "avx2_hs", BNN_ISA_AVX2, bnn_probe_xorpopc__avx2_hs },
#endif
#ifdef BNN_HAVE_AVX512
		{ "avx512", BNN_ISA_AVX512, bnn_probe_xorpopc__avx512 },
#endif
#ifdef BNN_HAVE_SIMDE
		/* the AVX-512 probe's source (the GEMM microkernel) on SIMDe */
		{ "avx512emu", BNN_ISA_GENERIC, bnn_probe_xorpopc__avx512emu },
#endif
	};
	static const struct {
		const char *name;
		bnn_isa_t isa;
		double (*fn)(int64_t);
	} fp[] = {
		{ "generic", BNN_ISA_GENERIC, bnn_probe_fma__generic },
#ifdef BNN_HAVE_AVX2
		{ "avx2", BNN_ISA_AVX2, bnn_probe_fma__avx2 },
#endif
#ifdef BNN_HAVE_AVX512
		{ "avx512", BNN_ISA_AVX512, bnn_probe_fma__avx512 },
#endif
	};
	const size_t nxp = sizeof(xp) / sizeof(xp[0]), nfp = sizeof(fp) / sizeof(fp[0]);
	char why[128], msg[160];

	tap_plan((int)(nxp + nfp + 1 + 4));

	for (size_t k = 0; k < nxp; k++) {
		if (!bnn_isa_available(xp[k].isa, why, sizeof(why))) {
			tap_ok(1, "xorpopc %s counts exactly # SKIP %s", xp[k].name, why);
			continue;
		}
		msg[0] = 0;
		int ok = check_xorpopc(xp[k].fn, msg, sizeof(msg));
		tap_ok(ok, "xorpopc %s counts exactly (words 1..257, reps 0, 1, 3)%s%s", xp[k].name,
		       ok ? "" : ": ", msg);
	}

	for (size_t k = 0; k < nfp; k++) {
		if (!bnn_isa_available(fp[k].isa, why, sizeof(why))) {
			tap_ok(1, "fma %s finite # SKIP %s", fp[k].name, why);
			continue;
		}
		double v0 = fp[k].fn(0), v1 = fp[k].fn(1), v2 = fp[k].fn(1000000);
		tap_ok(isfinite(v0) && isfinite(v1) && isfinite(v2) && v2 > 0,
		       "fma %s finite (%g, %g, %g)", fp[k].name, v0, v1, v2);
	}

	{
		/* Integer-valued inputs: the sums are exact whatever the rounding. */
		static const size_t sizes[] = { 1, 3, 4, 7, 16, 17, 1000, 4099 };
		int ok = 1;
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]) && ok; s++) {
			size_t n = sizes[s];
			float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float)),
			      *c = malloc(n * sizeof(float));
			if (!a || !b || !c) {
				ok = 0;
			} else {
				for (size_t i = 0; i < n; i++) {
					a[i] = -1.0f;
					b[i] = (float)(i % 97);
					c[i] = (float)(i % 13) - 6.0f;
				}
				double ret = bnn_probe_triad(a, b, c, n, 3);
				for (size_t i = 0; i < n; i++)
					if (a[i] != b[i] + BNN_PROBE_TRIAD_SCALAR * c[i])
						ok = 0;
				if (ret != (double)a[0] + (double)a[n - 1])
					ok = 0;
			}
			free(a);
			free(b);
			free(c);
		}
		tap_ok(ok, "triad computes a = b + %g * c", (double)BNN_PROBE_TRIAD_SCALAR);
	}

	{
		bnn_probe_opts_t o = { .min_time_s = 0.01, .threads = 2, .repeats = 3,
				       .triad_bytes = 1 << 20 };
		bnn_probe_result_t r[BNN_PROBE_MAX_RESULTS];
		size_t n = 0;
		int rc = bnn_probe_run(&o, r, BNN_PROBE_MAX_RESULTS, &n);
		tap_ok(rc == 0 && n > 0, "bnn_probe_run returns results (rc %d, %zu rows)", rc, n);

		int ok = n > 0;
		for (size_t i = 0; i < n; i++) {
			int good = isfinite(r[i].best) && r[i].best > 0 && isfinite(r[i].median) &&
				   r[i].median > 0 && r[i].median <= r[i].best && r[i].threads >= 1 &&
				   r[i].unit[0] && r[i].method[0];
			if (!good) {
				printf("# bad row: %s %s %g %g\n", r[i].name, r[i].unit, r[i].best,
				       r[i].median);
				ok = 0;
			}
		}
		tap_ok(ok, "every rate is positive and finite, median <= best");

		/* Each ISA that runs here has a peak on 1 and 2 threads; the
		 * others, and an unknown one, have none. */
		ok = 1;
		static const bnn_isa_t cpu_isas[] = { BNN_ISA_GENERIC, BNN_ISA_AVX2, BNN_ISA_AVX512 };
		for (int k = 0; k < 3; k++) {
			const char *name = bnn_isa_name(cpu_isas[k]);
			int here = bnn_isa_available(cpu_isas[k], why, sizeof(why));
			for (int t = 1; t <= 2; t++) {
				double p = bnn_probe_peak_tops(r, n, name, t);
				if (here ? !(isfinite(p) && p > 0) : !isnan(p)) {
					printf("# peak %s threads=%d: %g\n", name, t, p);
					ok = 0;
				}
			}
		}
		if (!isnan(bnn_probe_peak_tops(r, n, "cuda", 1)))
			ok = 0;
		tap_ok(ok, "bnn_probe_peak_tops finds each runnable ISA's peak, NaN otherwise");

		bnn_probe_result_t one;
		o.threads = 1;
		rc = bnn_probe_run(&o, &one, 1, &n);
		tap_ok(rc == -ENOSPC && n == 1 && isfinite(one.best),
		       "bnn_probe_run with room for one row: -ENOSPC, one row kept (rc %d)", rc);
	}
	return tap_exit();
}
