/*
 * test_probe: the peak probes compute what they claim (kernels/probe.h)
 * and the driver returns sane numbers (kernels/probe.h). Speed is never
 * asserted: only that every ISA's loop counts exactly, on the tile and
 * flush edges, that every rate is positive and finite, and, with made-up
 * rates, that an ISA's peak is the fastest of its loops, among which are
 * the generic kernels' own.
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

typedef bnn_xorpopc_fn xorpopc_fn;

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

/* Made-up rates for bnn_xorpopc_fastest: rate[k] for loop k, and which
 * loops it asked for. */
typedef struct {
	double rate[64];
	int asked[64];
} fake_t;

static double fake_rate(const bnn_xorpopc_loop_t *loop, void *ctx)
{
	fake_t *f = ctx;
	size_t k = (size_t)(loop - bnn_xorpopc_loops);
	f->asked[k]++;
	return f->rate[k];
}

/* The index of the loop running fn in bnn_xorpopc_loops, or nloops. */
static size_t loop_of(xorpopc_fn fn)
{
	for (size_t k = 0; k < bnn_xorpopc_nloops; k++)
		if (bnn_xorpopc_loops[k].fn == fn)
			return k;
	return bnn_xorpopc_nloops;
}

/*
 * The pick of an ISA's peak, with made-up rates: for each loop of the
 * ISA in turn made the fastest, bnn_xorpopc_fastest returns its rate and
 * index, having asked every loop of that ISA once and no other; a NaN rate
 * is passed over; local_only passes over the loops not probed beside
 * results. Returns 1 when all held.
 */
static int check_fastest(bnn_isa_t isa, char *msg, size_t len)
{
	static fake_t f;
	size_t n = bnn_xorpopc_nloops, which;
	if (n > 64) {
		snprintf(msg, len, "more than 64 loops");
		return 0;
	}
	for (size_t top = 0; top < n; top++) {
		if (bnn_xorpopc_loops[top].isa != isa)
			continue;
		memset(&f, 0, sizeof(f));
		for (size_t k = 0; k < n; k++)
			f.rate[k] = k == top ? 10.0 : 1.0 + 0.1 * (double)k;
		double got = bnn_xorpopc_fastest(isa, 0, fake_rate, &f, &which);
		if (got != 10.0 || which != top) {
			snprintf(msg, len, "%s fastest: got %g at %zu", bnn_xorpopc_loops[top].name,
				 got, which);
			return 0;
		}
		for (size_t k = 0; k < n; k++)
			if (f.asked[k] != (bnn_xorpopc_loops[k].isa == isa)) {
				snprintf(msg, len, "%s asked %d times", bnn_xorpopc_loops[k].name,
					 f.asked[k]);
				return 0;
			}
		/* The fastest gives no rate: the next best is taken. */
		f.rate[top] = NAN;
		got = bnn_xorpopc_fastest(isa, 0, fake_rate, &f, &which);
		if (which < n && (isnan(got) || got >= 10.0 || f.rate[which] != got)) {
			snprintf(msg, len, "NaN at %s: got %g", bnn_xorpopc_loops[top].name, got);
			return 0;
		}
		/* local_only: a loop not probed beside results is never asked. */
		memset(f.asked, 0, sizeof(f.asked));
		f.rate[top] = 10.0;
		got = bnn_xorpopc_fastest(isa, 1, fake_rate, &f, &which);
		for (size_t k = 0; k < n; k++) {
			const bnn_xorpopc_loop_t *l = &bnn_xorpopc_loops[k];
			if (f.asked[k] != (l->isa == isa && l->local)) {
				snprintf(msg, len, "local: %s asked %d times", l->name, f.asked[k]);
				return 0;
			}
		}
		const bnn_xorpopc_loop_t *t = &bnn_xorpopc_loops[top];
		if (t->local ? got != 10.0 || which != top : got >= 10.0) {
			snprintf(msg, len, "local, %s fastest: got %g", t->name, got);
			return 0;
		}
	}
	return 1;
}

int main(void)
{
	static const struct {
		const char *name;
		bnn_isa_t isa;
		xorpopc_fn fn;
	} xp[] = {
		/* the single-call choices; the loops of bnn_xorpopc_loops follow */
		{ "generic", BNN_ISA_GENERIC, bnn_probe_xorpopc__generic },
#ifdef BNN_HAVE_AVX2
		{ "avx2", BNN_ISA_AVX2, bnn_probe_xorpopc__avx2 },
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

	const size_t nl = bnn_xorpopc_nloops;
	tap_plan((int)(nxp + nl + nfp + 1 + 4 + 3));

	for (size_t k = 0; k < nxp + nl; k++) {
		const char *name = k < nxp ? xp[k].name : bnn_xorpopc_loops[k - nxp].name;
		bnn_isa_t isa = k < nxp ? xp[k].isa : bnn_xorpopc_loops[k - nxp].isa;
		xorpopc_fn fn = k < nxp ? xp[k].fn : bnn_xorpopc_loops[k - nxp].fn;
		if (!bnn_isa_available(isa, why, sizeof(why))) {
			tap_ok(1, "%s%s counts exactly # SKIP %s", k < nxp ? "xorpopc " : "", name,
			       why);
			continue;
		}
		msg[0] = 0;
		int ok = check_xorpopc(fn, msg, sizeof(msg));
		tap_ok(ok, "%s%s counts exactly (words 1..257, reps 0, 1, 3)%s%s",
		       k < nxp ? "xorpopc " : "", name, ok ? "" : ": ", msg);
	}

	/* The generic peak is an upper bound for every generic kernel only if
	 * their own inner loops are among its candidates, probed beside each
	 * result too: the GEMM's 1x4 and the conv's (and ReActNet block's and
	 * example GEMM's) 8 words per sum. */
	{
		size_t g1 = loop_of(bnn_probe_xorpopc__generic_1x4);
		size_t g8 = loop_of(bnn_probe_xorpopc__generic_8w);
		int ok = g1 < nl && g8 < nl;
		for (int k = 0; k < 2 && ok; k++) {
			const bnn_xorpopc_loop_t *l = &bnn_xorpopc_loops[k ? g8 : g1];
			ok = l->isa == BNN_ISA_GENERIC && l->local;
		}
		tap_ok(ok, "the generic kernels' own loops (1x4, 8 words per sum) are generic "
			   "candidates, probed beside each result");
	}
	msg[0] = 0;
	{
		int ok = check_fastest(BNN_ISA_GENERIC, msg, sizeof(msg)) &&
			 check_fastest(BNN_ISA_AVX2, msg, sizeof(msg)) &&
			 check_fastest(BNN_ISA_AVX512, msg, sizeof(msg));
		size_t which = 0;
		static fake_t f;
		ok = ok && isnan(bnn_xorpopc_fastest(BNN_ISA_CUDA, 0, fake_rate, &f, &which)) &&
		     which == nl;
		tap_ok(ok, "bnn_xorpopc_fastest picks the fastest loop of the ISA from made-up "
			   "rates (each loop in turn, NaN passed over, local_only)%s%s",
		       ok ? "" : ": ", msg);
	}
	{
		/* Made-up probe rows: the peak is the highest of the ISA's rows at
		 * that thread count, whichever loop gave it. */
		bnn_probe_result_t r[6];
		memset(r, 0, sizeof(r));
		static const struct { const char *name, *isa; int threads; double best; } rows[] = {
			{ "xorpopc generic.1x4 threads=1", "generic", 1, 0.13 },
			{ "xorpopc generic.8w threads=1", "generic", 1, 0.21 },
			{ "xorpopc generic.16w threads=1", "generic", 1, 0.19 },
			{ "xorpopc generic.8w threads=2", "generic", 2, 0.40 },
			{ "xorpopc avx2.hs threads=1", "avx2", 1, 0.90 },
			{ "fma generic threads=1", "generic", 1, 50.0 },
		};
		for (int i = 0; i < 6; i++) {
			snprintf(r[i].name, sizeof(r[i].name), "%s", rows[i].name);
			snprintf(r[i].isa, sizeof(r[i].isa), "%s", rows[i].isa);
			snprintf(r[i].unit, sizeof(r[i].unit), "%s", i == 5 ? "GFLOPS" : "TOPS");
			r[i].threads = rows[i].threads;
			r[i].best = rows[i].best;
		}
		tap_ok(bnn_probe_peak_tops(r, 6, "generic", 1) == 0.21 &&
			       bnn_probe_peak_tops(r, 6, "generic", 2) == 0.40 &&
			       bnn_probe_peak_tops(r, 6, "avx2", 1) == 0.90,
		       "bnn_probe_peak_tops takes the fastest generic row (8w's 0.21 over 1x4's "
		       "0.13 and 16w's 0.19), per thread count, TOPS rows only");
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
