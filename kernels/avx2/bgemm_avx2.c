/*
 * AVX2 binary GEMM: sign-and-pack with vcmpps + vmovmskps, and a 2x4
 * register-blocked XOR-popcount microkernel using the nibble-lookup
 * popcount (vpshufb on a 16-entry table), byte counters flushed with
 * vpsadbw before they can overflow. Cache blocking: K in slices of KC words
 * (a B micro-panel of 4 rows stays in L1), rows of A in blocks of MC (an A
 * block stays in L2), rows of A split over the worker pool.
 */
#include <errno.h>
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>
#include "avx2.h"
#include "lut_kernel.h"
#include "parallel.h"

#define MR 2
#define NR 4
#define KC 128   /* words: 8 KiB of bits per row slice; 4 B rows = 4 KiB */
#define MC 64    /* rows of A per block: 64 KiB at KC words */

void bnn_pack_rows__avx2(const float *x, int64_t rows, int64_t len, int64_t ld, uint64_t *out,
			 int64_t words_per_row)
{
	const __m256 zero = _mm256_setzero_ps();
	for (int64_t r = 0; r < rows; r++) {
		const float *row = x + r * ld;
		uint64_t *dst = out + r * words_per_row;
		int64_t full = len / 64, wi = 0;
		for (; wi < full; wi++) {
			const float *p = row + wi * 64;
			uint64_t word = 0;
			for (int g = 0; g < 8; g++) {
				/* ordered x < 0: false for -0.0 and +0.0, so both pack as +1 */
				__m256 lt = _mm256_cmp_ps(_mm256_loadu_ps(p + 8 * g), zero, _CMP_LT_OQ);
				word |= (uint64_t)(unsigned)_mm256_movemask_ps(lt) << (8 * g);
			}
			dst[wi] = word;
		}
		if (wi < words_per_row) {
			/* The partial last word: whole groups of 8 with vectors, then
			 * one by one (short rows, e.g. 32 channels, are all tail). */
			const float *p = row + wi * 64;
			int64_t rest = len - wi * 64, i = 0;
			uint64_t word = 0;
			for (; i + 8 <= rest; i += 8) {
				__m256 lt = _mm256_cmp_ps(_mm256_loadu_ps(p + i), zero, _CMP_LT_OQ);
				word |= (uint64_t)(unsigned)_mm256_movemask_ps(lt) << i;
			}
			for (; i < rest; i++)
				word |= (uint64_t)(p[i] < 0.0f) << i;
			dst[wi++] = word;
		}
		for (; wi < words_per_row; wi++)
			dst[wi] = 0;
	}
}

/* RSign fused into packing: one vaddps before the compare, so the bit is
 * that of the rounded float x + b, exactly as the reference computes it. */
void bnn_pack_rsign__avx2(const float *x, const float *shift, int64_t rows, int64_t len,
			  int64_t ld, uint64_t *out, int64_t words_per_row)
{
	const __m256 zero = _mm256_setzero_ps();
	for (int64_t r = 0; r < rows; r++) {
		const float *row = x + r * ld;
		uint64_t *dst = out + r * words_per_row;
		for (int64_t wi = 0; wi < words_per_row; wi++) {
			int64_t base = wi * 64, rest = len - base, i = 0;
			uint64_t word = 0;
			if (rest > 64)
				rest = 64;
			for (; i + 8 <= rest; i += 8) {
				__m256 v = _mm256_add_ps(_mm256_loadu_ps(row + base + i),
							 _mm256_loadu_ps(shift + base + i));
				word |= (uint64_t)(unsigned)_mm256_movemask_ps(
						_mm256_cmp_ps(v, zero, _CMP_LT_OQ))
					<< i;
			}
			for (; i < rest; i++)
				word |= (uint64_t)(row[base + i] + shift[base + i] < 0.0f) << i;
			dst[wi] = word;
		}
	}
}

/* k - 2*pop of four int64 popcounts, as four int32. */
static inline __m128i finish4(__m256i pop, __m128i kv)
{
	const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
	__m128i p32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(pop, even));
	return _mm_sub_epi32(kv, _mm_slli_epi32(p32, 1));
}

/*
 * Rows a0 and a1 (a1 may repeat a0) against B rows [0, n), ldb words
 * apart, over chunks chunks: with acc NULL the results k - 2*pop go to
 * c0[j] and c1[j] (c1 NULL: dropped); else the popcounts are added to
 * acc0[j] and acc1[j]. One call per row pair keeps the per-tile cost to a
 * few vector instructions, which matters when K is short (convolutions).
 */
static void row_pair(const uint64_t *a0, const uint64_t *a1, const uint64_t *b, int64_t ldb,
		     int64_t n, int64_t chunks, int64_t k, int32_t *c0, int32_t *c1,
		     int64_t *acc0, int64_t *acc1)
{
	const __m128i kv = _mm_set1_epi32((int32_t)k);
	for (int64_t jr = 0; jr < n; jr += NR) {
		int64_t nv = n - jr < NR ? n - jr : NR;
		const uint64_t *b0 = b + jr * ldb;
		const uint64_t *b1 = nv > 1 ? b0 + ldb : b0, *b2 = nv > 2 ? b0 + 2 * ldb : b0,
			       *b3 = nv > 3 ? b0 + 3 * ldb : b0;
		__m256i p0, p1;
		ukernel_2x4(a0, a1, b0, b1, b2, b3, chunks, &p0, &p1);
		if (acc0) {
			int64_t t[2][NR];
			_mm256_storeu_si256((__m256i *)t[0], p0);
			_mm256_storeu_si256((__m256i *)t[1], p1);
			for (int64_t q = 0; q < nv; q++) {
				acc0[jr + q] += t[0][q];
				if (acc1)
					acc1[jr + q] += t[1][q];
			}
		} else if (nv == NR) {
			_mm_storeu_si128((__m128i *)(c0 + jr), finish4(p0, kv));
			if (c1)
				_mm_storeu_si128((__m128i *)(c1 + jr), finish4(p1, kv));
		} else {
			int32_t t[2][NR];
			_mm_storeu_si128((__m128i *)t[0], finish4(p0, kv));
			_mm_storeu_si128((__m128i *)t[1], finish4(p1, kv));
			for (int64_t q = 0; q < nv; q++) {
				c0[jr + q] = t[0][q];
				if (c1)
					c1[jr + q] = t[1][q];
			}
		}
	}
}

/*
 * Short rows (one or two words: 1x1 convolutions with up to 128 channels,
 * GEMMs with K up to 128) would waste most of a 256-bit chunk, so here one
 * vector holds the rows of 4 / words consecutive A rows, and each B row is
 * broadcast to match; the lane counts of 4 B rows are then transposed into
 * 4 outputs per A row. Rows of A and B are exactly words apart.
 */
static void short_rows(const uint64_t *a, const uint64_t *b, int64_t m, int64_t n,
		       int64_t words, int64_t k, int32_t *c, int64_t ldc)
{
	const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
					     0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
	const __m128i kv = _mm_set1_epi32((int32_t)k);
	int64_t per = 4 / words;                  /* A rows per vector */
	int64_t mv = m / per * per, nv = n / 4 * 4;
	for (int64_t j = 0; j < nv; j += 4) {
		__m256i bv[4];
		for (int q = 0; q < 4; q++) {
			const uint64_t *bq = b + (j + q) * words;
			bv[q] = words == 1 ? _mm256_set1_epi64x((long long)bq[0]) :
					     _mm256_broadcastsi128_si256(
						     _mm_loadu_si128((const __m128i *)bq));
		}
		for (int64_t i = 0; i < mv; i += per) {
			__m256i x = _mm256_loadu_si256((const __m256i *)(a + i * words));
			__m256i v[4];
			for (int q = 0; q < 4; q++)
				v[q] = _mm256_sad_epu8(popc_bytes(_mm256_xor_si256(x, bv[q]), lut, low),
						       zero);
			if (words == 2) {
				/* lanes (0,1) are row i, (2,3) row i+1: hsum4's pairing */
				__m256i t01 = _mm256_add_epi64(_mm256_unpacklo_epi64(v[0], v[1]),
							       _mm256_unpackhi_epi64(v[0], v[1]));
				__m256i t23 = _mm256_add_epi64(_mm256_unpacklo_epi64(v[2], v[3]),
							       _mm256_unpackhi_epi64(v[2], v[3]));
				_mm_storeu_si128((__m128i *)(c + i * ldc + j),
						 finish4(_mm256_permute2x128_si256(t01, t23, 0x20), kv));
				_mm_storeu_si128((__m128i *)(c + (i + 1) * ldc + j),
						 finish4(_mm256_permute2x128_si256(t01, t23, 0x31), kv));
			} else {
				/* lane r is row i+r: a 4x4 transpose of 64-bit lanes */
				__m256i t0 = _mm256_unpacklo_epi64(v[0], v[1]);
				__m256i t1 = _mm256_unpackhi_epi64(v[0], v[1]);
				__m256i t2 = _mm256_unpacklo_epi64(v[2], v[3]);
				__m256i t3 = _mm256_unpackhi_epi64(v[2], v[3]);
				_mm_storeu_si128((__m128i *)(c + i * ldc + j),
						 finish4(_mm256_permute2x128_si256(t0, t2, 0x20), kv));
				_mm_storeu_si128((__m128i *)(c + (i + 1) * ldc + j),
						 finish4(_mm256_permute2x128_si256(t1, t3, 0x20), kv));
				_mm_storeu_si128((__m128i *)(c + (i + 2) * ldc + j),
						 finish4(_mm256_permute2x128_si256(t0, t2, 0x31), kv));
				_mm_storeu_si128((__m128i *)(c + (i + 3) * ldc + j),
						 finish4(_mm256_permute2x128_si256(t1, t3, 0x31), kv));
			}
		}
	}
	/* The rows and columns left over: scalar POPCNT. */
	for (int64_t i = 0; i < m; i++)
		for (int64_t jj = i < mv ? nv : 0; jj < n; jj++) {
			int64_t p = 0;
			for (int64_t w = 0; w < words; w++)
				p += _mm_popcnt_u64(a[i * words + w] ^ b[jj * words + w]);
			c[i * ldc + jj] = (int32_t)(k - 2 * p);
		}
}

typedef struct {
	const uint64_t *a, *b;
	int64_t lda, ldb, m, n, wpr, k, ldc;
	int32_t *c;
} core_job_t;

/* Rows [i0, i1) of C, blocked over K slices (B rows' slices stay in L1
 * while a block of MC rows of A passes) and row blocks of A (in L2). With
 * one K slice (K up to KC words, every convolution here) results go
 * straight into C; with more, popcounts accumulate in an int64 buffer. */
static void core_rows(void *vjob, int64_t i0, int64_t i1, int tid)
{
	const core_job_t *j = vjob;
	(void)tid;
	int64_t rows = i1 - i0, n = j->n;
	int sliced = j->wpr > KC;
	int64_t *acc = NULL;
	if (sliced) {
		acc = calloc((size_t)(rows * n), sizeof(int64_t));
		if (!acc)
			return; /* out of memory mid-run: C stays poisoned, the check fails */
	}
	for (int64_t pc = 0; pc < j->wpr; pc += KC) {
		int64_t kc = j->wpr - pc < KC ? j->wpr - pc : KC;
		for (int64_t ic = i0; ic < i1; ic += MC) {
			int64_t iend = i1 - ic < MC ? i1 : ic + MC;
			for (int64_t ir = ic; ir < iend; ir += MR) {
				const uint64_t *a0 = j->a + ir * j->lda + pc;
				int two = ir + 1 < iend;
				int64_t *r0 = sliced ? acc + (ir - i0) * n : NULL;
				row_pair(a0, two ? a0 + j->lda : a0, j->b + pc, j->ldb, n, kc / 4, j->k,
					 j->c + ir * j->ldc, two ? j->c + (ir + 1) * j->ldc : NULL, r0,
					 sliced && two ? r0 + n : NULL);
			}
		}
	}
	if (!sliced)
		return;
	for (int64_t r = 0; r < rows; r++)
		for (int64_t col = 0; col < n; col++)
			j->c[(i0 + r) * j->ldc + col] = (int32_t)(j->k - 2 * acc[r * n + col]);
	free(acc);
}

/* From this many 256-bit chunks per row on, a pair's Harley-Seal loop
 * (16 chunks through carry-save adders, one lookup count) beats the 2x4
 * lookup tile, even though it loads both rows for every pair. Measured on
 * the Zen 3 VM: 10-20% faster from 32 chunks (K = 8192 bits, 3x3 with
 * 1024 channels), 15% slower at 18 (3x3 with 512 channels), so 32. */
#define HS_MIN_CHUNKS 32
#define HS_MC 32    /* rows of A per block (in L1 with long rows: in L2) */
#define HS_NC 128   /* rows of B per block, kept in L2 while A's block passes */

/* Rows [i0, i1) of a long-K GEMM, pair by pair with Harley-Seal. */
static void hs_rows(void *vjob, int64_t i0, int64_t i1, int tid)
{
	const core_job_t *j = vjob;
	(void)tid;
	for (int64_t jc = 0; jc < j->n; jc += HS_NC) {
		int64_t jend = j->n - jc < HS_NC ? j->n : jc + HS_NC;
		for (int64_t ic = i0; ic < i1; ic += HS_MC) {
			int64_t iend = i1 - ic < HS_MC ? i1 : ic + HS_MC;
			for (int64_t i = ic; i < iend; i++) {
				const uint64_t *ai = j->a + i * j->lda;
				int32_t *ci = j->c + i * j->ldc;
				for (int64_t col = jc; col < jend; col++)
					ci[col] = (int32_t)(j->k - 2 * hs_xor_popc(ai, j->b + col * j->ldb,
										   j->wpr / 4));
			}
		}
	}
}

/* Rows [i0, i1) of a short-row GEMM (i0 a multiple of 4). */
static void short_task(void *vjob, int64_t i0, int64_t i1, int tid)
{
	const core_job_t *j = vjob;
	(void)tid;
	short_rows(j->a + i0 * j->wpr, j->b, i1 - i0, j->n, j->wpr, j->k, j->c + i0 * j->ldc,
		   j->ldc);
}

void bnn_bgemm_core__avx2(const uint64_t *a, int64_t lda, const uint64_t *b, int64_t ldb,
			  int64_t m, int64_t n, int64_t wpr, int64_t k, int32_t *c, int64_t ldc,
			  int parallel)
{
	core_job_t job = { a, b, lda, ldb, m, n, wpr, k, ldc, c };
	if (wpr / 4 >= HS_MIN_CHUNKS) {
		if (parallel)
			bnn_parallel_for(m, HS_MC, hs_rows, &job);
		else
			hs_rows(&job, 0, m, 0);
		return;
	}
	if (wpr <= 2 && lda == wpr && ldb == wpr) {
		if (parallel)
			bnn_parallel_for(m, 4, short_task, &job);
		else
			short_rows(a, b, m, n, wpr, k, c, ldc);
		return;
	}
	if (parallel)
		bnn_parallel_for(m, MR * 8, core_rows, &job);
	else
		core_rows(&job, 0, m, 0);
}

/* ---- the GEMM kernel entry: A and B packed in prepare, rows padded ---- */

typedef struct {
	bnn_gemm_shape_t s;
	int64_t wpr;
	uint64_t *a, *b;
	/* Between the short rows and the Harley-Seal rows (K of 129 bits to
	 * under 8192): the broadcast tile of lut_kernel.h, lanes along N, A in
	 * panels of P rows of 32-bit words ([step][row]), B by columns in
	 * blocks of 8Q ([block][step][column], a block contiguous: a row
	 * stride of kpad words put every step in the same L1 sets): no
	 * horizontal sums, K padded to 32 bits instead of a 256-bit chunk. */
	const bnn_avx2_bc_t *bc;
	int64_t steps, kpad, nqb, mp;
	uint32_t *at, *bt;
	int32_t *toff;
	int stream;                 /* C written with non-temporal stores */
	int32_t *out;               /* of the run in progress */
} gemm_state_t;

void bnn_bgemm_release__avx2(void *state)
{
	gemm_state_t *st = state;
	if (!st)
		return;
	free(st->a);
	free(st->b);
	free(st->at);
	free(st->bt);
	free(st->toff);
	free(st);
}

/* The broadcast layouts from the packed rows (st->a, st->b: wpr words). */
static int bcast_prepare(gemm_state_t *st)
{
	const bnn_gemm_shape_t *s = &st->s;
	int64_t kv = (s->n + 7) / 8;
	st->bc = bnn_avx2_bc_pick(s->m, kv);
	st->steps = (s->k + 31) / 32;
	st->stream = s->m * s->n * 4 >= BNN_STREAM_BYTES;
	st->nqb = (kv + st->bc->q - 1) / st->bc->q;
	st->kpad = st->nqb * st->bc->q * 8;
	st->mp = (s->m + st->bc->p - 1) / st->bc->p;
	const int64_t P = st->bc->p, qw = 8 * st->bc->q;
	st->at = calloc((size_t)(st->mp * P * st->steps), sizeof(uint32_t));
	st->bt = calloc((size_t)(st->kpad * st->steps), sizeof(uint32_t));
	st->toff = malloc((size_t)st->steps * sizeof(int32_t));
	if (!st->at || !st->bt || !st->toff)
		return -ENOMEM;
	for (int64_t w = 0; w < st->steps; w++) {
		st->toff[w] = (int32_t)(w * P);
		for (int64_t r = 0; r < s->m; r++)
			st->at[(r / P * st->steps + w) * P + r % P] =
				(uint32_t)(st->a[r * st->wpr + w / 2] >> (32 * (w % 2)));
		for (int64_t j = 0; j < s->n; j++)
			st->bt[bnn_colblock_at(j, w, st->steps, qw)] =
				(uint32_t)(st->b[j * st->wpr + w / 2] >> (32 * (w % 2)));
	}
	return 0;
}

/* Items [i0, i1) of (column block, A panel), column blocks outer: a block
 * of B columns (steps x 8Q words) stays in cache while the A panels pass. */
static void bcast_task(void *vst, int64_t i0, int64_t i1, int tid)
{
	const gemm_state_t *st = vst;
	const bnn_gemm_shape_t *s = &st->s;
	const int64_t P = st->bc->p, qw = 8 * st->bc->q;
	(void)tid;
	for (int64_t it = i0; it < i1; it++) {
		int64_t qb = it / st->mp, ip = it % st->mp, j0 = qb * qw;
		st->bc->fn[0](st->at + ip * P * st->steps, st->toff, st->bt + qb * st->steps * qw, qw,
			      st->steps,
			      (int32_t)s->k, st->out + ip * P * s->n + j0, s->n, s->m - ip * P,
			      s->n - j0, st->stream);
	}
	if (st->stream)   /* this thread's C, visible before the run returns */
		_mm_sfence();
}

int bnn_bgemm_prepare__avx2(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	gemm_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->s = d->gemm;
	st->wpr = bnn_avx2_row_words(bnn_words(d->gemm.k));
	/* 64 bytes of slack for the kernel's over-reads, rounded up to a
	 * multiple of 64: C11 aligned_alloc wants one (and may fail without). */
	st->a = aligned_alloc(64, ((size_t)(st->s.m * st->wpr) * 8 + 64 + 63) / 64 * 64);
	st->b = aligned_alloc(64, ((size_t)(st->s.n * st->wpr) * 8 + 64 + 63) / 64 * 64);
	if (!st->a || !st->b) {
		bnn_bgemm_release__avx2(st);
		return -ENOMEM;
	}
	bnn_pack_rows__avx2(in->a, st->s.m, st->s.k, st->s.k, st->a, st->wpr);
	bnn_pack_rows__avx2(in->b, st->s.n, st->s.k, st->s.k, st->b, st->wpr);
	if (st->wpr > 2 && st->wpr / 4 < HS_MIN_CHUNKS) {
		int rc = bcast_prepare(st);
		if (rc != 0) {
			bnn_bgemm_release__avx2(st);
			return rc;
		}
	}
	*state = st;
	return 0;
}

int bnn_bgemm_run__avx2(void *state, void *out)
{
	gemm_state_t *st = state;
	if (st->bc) {
		st->out = out;
		bnn_parallel_for(st->nqb * st->mp, 1, bcast_task, st);
		return 0;
	}
	bnn_bgemm_core__avx2(st->a, st->wpr, st->b, st->wpr, st->s.m, st->s.n, st->wpr, st->s.k,
			     out, st->s.n, 1);
	return 0;
}
