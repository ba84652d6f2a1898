/*
 * The identities the binary kernels rest on (doc/bnn-math.md section 2), and packing:
 *  - dot = n - 2*popc(a xor b), and the XNOR and AND forms, exhaustively
 *    for every pair of +-1 vectors with n <= 12;
 *  - the same against the float reference on random vectors up to n = 100000;
 *  - every packer agrees with the reference's bit-by-bit packing, spare
 *    bits are zero, and unpacking gives sign(x) back.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_ref.h"
#include "gen.h"
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "generic/generic.h"
#include "tap.h"
#ifdef BNN_HAVE_AVX2
#include "avx2/avx2.h"
#endif
#include "avx512/avx512.h"

/* The packers to test; ISA folders add theirs here. */
static const struct {
	const char *name;
	bnn_isa_t isa;
	bnn_pack_fn fn;
} packers[] = {
	{ "pack_rows__generic", BNN_ISA_GENERIC, bnn_pack_rows__generic },
#ifdef BNN_HAVE_AVX2
	{ "pack_rows__avx2", BNN_ISA_AVX2, bnn_pack_rows__avx2 },
#endif
#ifdef BNN_HAVE_AVX512
	{ "pack_rows__avx512", BNN_ISA_AVX512, bnn_pack_rows__avx512 },
#endif
#ifdef BNN_HAVE_SIMDE
	/* the AVX-512 packer's source on SIMDe: runs on any CPU */
	{ "pack_rows__avx512emu", BNN_ISA_GENERIC, bnn_pack_rows__avx512emu },
#endif
};
#define NPACKERS (sizeof(packers) / sizeof(packers[0]))

static int exhaustive(int n)
{
	uint64_t mask = (1ull << n) - 1;
	int spare = 64 - n;
	for (uint64_t a = 0; a <= mask; a++)
		for (uint64_t b = 0; b <= mask; b++) {
			int dot = 0;
			for (int i = 0; i < n; i++) {
				int ai = (a >> i) & 1 ? -1 : 1, bi = (b >> i) & 1 ? -1 : 1;
				dot += ai * bi;
			}
			int x = n - 2 * __builtin_popcountll(a ^ b);
			int xnor = 2 * __builtin_popcountll(~(a ^ b)) - n - 2 * spare;
			/* +1 -> 1 encoding for AND-only hardware */
			uint64_t pa = ~a & mask, pb = ~b & mask;
			int and = 4 * __builtin_popcountll(pa & pb) - 2 * __builtin_popcountll(pa) -
				  2 * __builtin_popcountll(pb) + n;
			if (x != dot || xnor != dot || and != dot) {
				printf("# n=%d a=%llx b=%llx: dot %d, xor %d, xnor %d, and %d\n", n,
				       (unsigned long long)a, (unsigned long long)b, dot, x, xnor, and);
				return 0;
			}
		}
	return 1;
}

static int random_dot(int64_t n, bnn_rng_t *rng)
{
	float *a = malloc((size_t)n * sizeof(float)), *b = malloc((size_t)n * sizeof(float));
	int64_t w = bnn_words(n);
	uint64_t *pa = calloc((size_t)w, 8), *pb = calloc((size_t)w, 8);
	int ok = a && b && pa && pb;
	if (ok) {
		bnn_fill_activations(rng, a, (size_t)n);
		bnn_fill_activations(rng, b, (size_t)n);
		float ref;
		bnn_gemm_shape_t s = { 1, 1, n };
		bnn_ref_bgemm(&s, a, b, &ref);
		bnn_pack_rows__generic(a, 1, n, n, pa, w);
		bnn_pack_rows__generic(b, 1, n, n, pb, w);
		int64_t p = 0;
		for (int64_t i = 0; i < w; i++)
			p += __builtin_popcountll(pa[i] ^ pb[i]);
		ok = (double)(n - 2 * p) == (double)ref;
		if (!ok)
			printf("# n=%lld: xor-popcount %lld, reference %.0f\n", (long long)n,
			       (long long)(n - 2 * p), (double)ref);
	}
	free(a);
	free(b);
	free(pa);
	free(pb);
	return ok;
}

/* Packer vs reference on rows with ld > len (a strided view), plus spare
 * bits and the round trip. */
static int pack_roundtrip(bnn_pack_fn fn, int64_t len, bnn_rng_t *rng)
{
	const int64_t rows = 3, ld = len + 5, wpr = bnn_words(len) + 1; /* one spare word */
	float *x = malloc((size_t)(rows * ld) * sizeof(float));
	float *back = malloc((size_t)(rows * len) * sizeof(float));
	float *dense = malloc((size_t)(rows * len) * sizeof(float));
	uint64_t *got = malloc((size_t)(rows * wpr) * 8), *want = malloc((size_t)(rows * wpr) * 8);
	int ok = x && back && dense && got && want;
	if (!ok)
		goto out;
	bnn_fill_activations(rng, x, (size_t)(rows * ld));
	x[0] = -0.0f;               /* the tie always appears at least once */
	x[ld - 1] = -1.0f;          /* past len: must not leak into the bits */
	for (int64_t r = 0; r < rows; r++)
		memcpy(dense + r * len, x + r * ld, (size_t)len * sizeof(float));
	memset(got, 0xa5, (size_t)(rows * wpr) * 8);   /* poison */
	fn(x, rows, len, ld, got, wpr);
	bnn_ref_pack(dense, rows, len, want, wpr);
	ok = memcmp(got, want, (size_t)(rows * wpr) * 8) == 0;
	for (int64_t r = 0; r < rows && ok; r++) {
		const uint64_t *row = got + r * wpr;
		int64_t last = len / 64;
		uint64_t spare = len % 64 ? row[last] >> (len % 64) : row[last];
		if (len % 64 == 0)
			spare = 0; /* the whole word row[last] is the extra word below */
		ok = spare == 0 && row[wpr - 1] == 0;
	}
	bnn_ref_unpack(got, rows, len, wpr, back);
	for (int64_t i = 0; i < rows * len && ok; i++)
		ok = back[i] == bnn_ref_sign(dense[i]);
out:
	free(x);
	free(back);
	free(dense);
	free(got);
	free(want);
	return ok;
}

/* The packers with RSign fused in; ISA folders add theirs here. */
static const struct {
	const char *name;
	bnn_isa_t isa;
	bnn_pack_shift_fn fn;
} rsign_packers[] = {
	{ "pack_rsign__generic", BNN_ISA_GENERIC, bnn_pack_rsign__generic },
#ifdef BNN_HAVE_AVX2
	{ "pack_rsign__avx2", BNN_ISA_AVX2, bnn_pack_rsign__avx2 },
#endif
#ifdef BNN_HAVE_AVX512
	{ "pack_rsign__avx512", BNN_ISA_AVX512, bnn_pack_rsign__avx512 },
#endif
#ifdef BNN_HAVE_SIMDE
	{ "pack_rsign__avx512emu", BNN_ISA_GENERIC, bnn_pack_rsign__avx512emu },
#endif
};
#define NRSIGN (sizeof(rsign_packers) / sizeof(rsign_packers[0]))

/* Fused RSign packing equals the reference RSign, then the reference
 * packing, with ties x == -b in every row (doc/bnn-math.md section 6: they give +1). */
static int rsign_roundtrip(bnn_pack_shift_fn fn, int64_t len, bnn_rng_t *rng)
{
	const int64_t rows = 4, ld = len + 3, wpr = bnn_words(len);
	float *x = malloc((size_t)(rows * ld) * sizeof(float));
	float *b = malloc((size_t)len * sizeof(float));
	float *dense = malloc((size_t)(rows * len) * sizeof(float));
	float *ref = malloc((size_t)(rows * len) * sizeof(float));
	uint64_t *got = malloc((size_t)(rows * wpr) * 8), *want = malloc((size_t)(rows * wpr) * 8);
	int ok = x && b && dense && ref && got && want;
	if (!ok)
		goto out;
	bnn_fill_activations(rng, x, (size_t)(rows * ld));
	bnn_fill_activations(rng, b, (size_t)len);
	for (int64_t i = 0; i < len; i++)
		b[i] *= 0.5f;
	for (int64_t r = 0; r < rows; r++)
		for (int64_t i = r; i < len; i += 5)
			x[r * ld + i] = -b[i];          /* the tie */
	for (int64_t r = 0; r < rows; r++)
		memcpy(dense + r * len, x + r * ld, (size_t)len * sizeof(float));
	fn(x, b, rows, len, ld, got, wpr);
	bnn_ref_rsign(dense, rows, len, b, ref);
	bnn_ref_pack(ref, rows, len, want, wpr);
	ok = memcmp(got, want, (size_t)(rows * wpr) * 8) == 0;
out:
	free(x);
	free(b);
	free(dense);
	free(ref);
	free(got);
	free(want);
	return ok;
}

/* The GEMM panel packers (avx512.h): rows of 4, 8-word chunks then the
 * tail; each ISA that has one adds it here. */
static const struct {
	const char *name;
	bnn_isa_t isa;
	bnn_pack_fn fn;
} panel_packers[] = {
#ifdef BNN_HAVE_AVX512
	{ "pack_panels__avx512", BNN_ISA_AVX512, bnn_pack_panels__avx512 },
#endif
#ifdef BNN_HAVE_SIMDE
	{ "pack_panels__avx512emu", BNN_ISA_GENERIC, bnn_pack_panels__avx512emu },
#endif
	{ NULL, BNN_ISA_GENERIC, NULL }
};
#define NPANEL (sizeof(panel_packers) / sizeof(panel_packers[0]) - 1)

/* Word w of row r of the panels equals the reference packing's, and the
 * rows that fill the last panel are zero, for rows = 1 to 9 (one panel,
 * one under, one over, two). */
static int panel_roundtrip(bnn_pack_fn fn, int64_t len, bnn_rng_t *rng)
{
	const int64_t maxrows = 9, ld = len + 3, wpr = bnn_words(len);
	float *x = malloc((size_t)(maxrows * ld) * sizeof(float));
	float *dense = malloc((size_t)(maxrows * len) * sizeof(float));
	uint64_t *want = malloc((size_t)(maxrows * wpr) * 8);
	uint64_t *got = malloc((size_t)(12 * wpr) * 8);
	int ok = x && dense && want && got;
	if (!ok)
		goto out;
	bnn_fill_activations(rng, x, (size_t)(maxrows * ld));
	x[0] = -0.0f;
	for (int64_t r = 0; r < maxrows; r++)
		memcpy(dense + r * len, x + r * ld, (size_t)len * sizeof(float));
	bnn_ref_pack(dense, maxrows, len, want, wpr);
	for (int64_t rows = 1; rows <= maxrows && ok; rows++) {
		int64_t padded = (rows + 3) / 4 * 4;
		memset(got, 0xa5, (size_t)(12 * wpr) * 8);   /* poison */
		fn(x, rows, len, ld, got, wpr);
		for (int64_t r = 0; r < padded && ok; r++)
			for (int64_t w = 0; w < wpr && ok; w++) {
				uint64_t v = got[r / 4 * 4 * wpr + bnn_a512_panel_off(r % 4, w, wpr)];
				ok = v == (r < rows ? want[r * wpr + w] : 0);
				if (!ok)
					printf("# rows %lld len %lld: row %lld word %lld is %016llx\n",
					       (long long)rows, (long long)len, (long long)r,
					       (long long)w, (unsigned long long)v);
			}
	}
out:
	free(x);
	free(dense);
	free(want);
	free(got);
	return ok;
}

/*
 * Where a NaN can still reach a sign (inputs are checked, but an
 * intermediate of a network can overflow into one), every packer and the
 * reference agree: NaN, whatever its sign bit, packs as +1 (bit 0), since
 * sign(x) is -1 only for x < 0. A row of 130 with NaNs at the word edges.
 */
static int nan_agrees(bnn_pack_fn fn)
{
	float x[130];
	uint64_t got[3], want[3];
	for (int i = 0; i < 130; i++)
		x[i] = i % 3 ? -1.0f : 1.0f;
	x[0] = NAN;
	x[63] = -NAN;
	x[64] = NAN;
	x[129] = -NAN;
	fn(x, 1, 130, 130, got, 3);
	bnn_ref_pack(x, 1, 130, want, 3);
	return !memcmp(got, want, sizeof(got)) && !(want[0] & 1) && !(want[0] >> 63) &&
	       !(want[1] & 1) && !(want[2] & 2) && bnn_ref_sign(NAN) == 1.0f &&
	       bnn_ref_sign(-NAN) == 1.0f;
}

int main(void)
{
	static const int64_t big[] = { 1, 63, 64, 65, 1000, 4097, 65537, 100000 };
	static const int64_t lens[] = { 1, 2, 63, 64, 65, 127, 128, 129, 200, 511, 512, 513, 1025 };
	bnn_rng_t rng;
	bnn_rng_init(&rng, 12345);
	tap_plan(12 + (int)(sizeof(big) / sizeof(big[0])) +
		 (int)((NPACKERS + NRSIGN + NPANEL) * (sizeof(lens) / sizeof(lens[0]))) + 1 +
		 (int)NPACKERS);
	for (int n = 1; n <= 12; n++)
		tap_ok(exhaustive(n), "xor, xnor and and forms equal the +-1 dot, all pairs, n=%d", n);
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		tap_ok(random_dot(big[i], &rng), "n - 2*popc(a xor b) equals the float reference, "
		       "random n=%lld", (long long)big[i]);
	for (size_t p = 0; p < NPACKERS; p++) {
		char why[128];
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			if (!bnn_isa_available(packers[p].isa, why, sizeof(why))) {
				/* Counted, not hidden: this ISA cannot run here. */
				tap_ok(1, "# SKIP %s: %s", packers[p].name, why);
				continue;
			}
			tap_ok(pack_roundtrip(packers[p].fn, lens[i], &rng),
			       "%s matches the reference packing, spare bits zero, round trip, "
			       "len=%lld", packers[p].name, (long long)lens[i]);
		}
	}
	for (size_t p = 0; p < NRSIGN; p++) {
		char why[128];
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			if (!bnn_isa_available(rsign_packers[p].isa, why, sizeof(why))) {
				tap_ok(1, "# SKIP %s: %s", rsign_packers[p].name, why);
				continue;
			}
			tap_ok(rsign_roundtrip(rsign_packers[p].fn, lens[i], &rng),
			       "%s equals reference RSign then packing, ties x == -b give +1, "
			       "len=%lld", rsign_packers[p].name, (long long)lens[i]);
		}
	}
	for (size_t p = 0; p < NPANEL; p++) {
		char why[128];
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			if (!bnn_isa_available(panel_packers[p].isa, why, sizeof(why))) {
				tap_ok(1, "# SKIP %s: %s", panel_packers[p].name, why);
				continue;
			}
			tap_ok(panel_roundtrip(panel_packers[p].fn, lens[i], &rng),
			       "%s matches the reference packing in 4-row panels, rows 1 to 9, "
			       "padding rows zero, len=%lld", panel_packers[p].name,
			       (long long)lens[i]);
		}
	}
	/* sign(-0.0) is +1: bit 0 (doc/bnn-math.md section 1). */
	float z[2] = { -0.0f, 0.0f };
	uint64_t w = ~0ull;
	bnn_pack_rows__generic(z, 1, 2, 2, &w, 1);
	tap_ok(w == 0, "+0.0 and -0.0 both pack as +1 (bit 0)");
	for (size_t p = 0; p < NPACKERS; p++) {
		char why[128];
		if (!bnn_isa_available(packers[p].isa, why, sizeof(why)))
			tap_ok(1, "# SKIP %s: %s", packers[p].name, why);
		else
			tap_ok(nan_agrees(packers[p].fn), "NaN (either sign) packs as +1 in %s "
			       "and in the reference (bnn_ref_sign(NaN) = +1)", packers[p].name);
	}
	return tap_exit();
}
