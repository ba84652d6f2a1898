/*
 * AVX-512 binary GEMM (VPOPCNTDQ): sign-and-pack with 512-bit compares into
 * mask registers, A and B packed into panels of 4 rows (avx512.h), and a
 * 4x4 register-blocked XOR-popcount microkernel (xpc_kernel.h) whose K tail
 * is one masked step. Cache blocking: K in slices of KC_STEPS 512-bit steps
 * (a B micro-panel of 4 rows stays in L1 while a block of MC_PANELS A
 * panels, in L2, passes under it), B in blocks of NC_PANELS panels; panels
 * of A (or of B, when A has too few) split over the worker pool.
 *
 * Also compiled against SIMDe as the __avx512emu kernels (intrin.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "avx512.h"
#include "intrin.h"
#include "xpc_kernel.h"
#include "parallel.h"

#define KC_STEPS 32    /* 256 words per row slice: 4 B rows = 8 KiB in L1 */
#define MC_PANELS 16   /* 64 rows of A per block: 128 KiB at a full slice, in L2 */
#define NC_PANELS 64   /* 256 rows of B per block: 512 KiB at a full slice */

/*
 * One word from cnt <= 64 floats at p (plus shift when not NULL): 16 lanes
 * per compare, the lanes past cnt masked off at the load, so they read as
 * +0.0 and pack as 0. Ordered x < 0 is false for -0.0 and +0.0: both
 * pack as +1, which the sign bit would get wrong for -0.0.
 */
static inline uint64_t sign_word(const float *p, const float *shift, int64_t cnt)
{
	const __m512 zero = _mm512_setzero_ps();
	uint64_t word = 0;
	for (int g = 0; g < 4 && 16 * g < cnt; g++) {
		bnn_mask16_t m = bnn_mask16_low(cnt - 16 * g);
		__m512 v = _mm512_maskz_loadu_ps(m, p + 16 * g);
		if (shift)
			v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, shift + 16 * g));
		word |= (uint64_t)_mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ) << (16 * g);
	}
	return word;
}

/* Row-major packing, with or without the RSign shift (inlined into both). */
static inline void pack_rows(const float *x, const float *shift, int64_t rows, int64_t len,
			     int64_t ld, uint64_t *out, int64_t words_per_row)
{
	for (int64_t r = 0; r < rows; r++) {
		const float *row = x + r * ld;
		uint64_t *dst = out + r * words_per_row;
		for (int64_t wi = 0; wi < words_per_row; wi++) {
			int64_t cnt = len - wi * 64;
			dst[wi] = cnt <= 0 ? 0 :
					     sign_word(row + wi * 64, shift ? shift + wi * 64 : NULL,
						       cnt < 64 ? cnt : 64);
		}
	}
}

void BNN_A512(bnn_pack_rows)(const float *x, int64_t rows, int64_t len, int64_t ld,
			     uint64_t *out, int64_t words_per_row)
{
	pack_rows(x, NULL, rows, len, ld, out, words_per_row);
}

/* The bit of the rounded float x + b, as the reference RSign computes it:
 * x == -b gives +0.0 and packs as +1. */
void BNN_A512(bnn_pack_rsign)(const float *x, const float *shift, int64_t rows, int64_t len,
			      int64_t ld, uint64_t *out, int64_t words_per_row)
{
	pack_rows(x, shift, rows, len, ld, out, words_per_row);
}

void BNN_A512(bnn_pack_panels)(const float *x, int64_t rows, int64_t len, int64_t ld,
			       uint64_t *out, int64_t wpr)
{
	int64_t panels = (rows + BNN_A512_MR - 1) / BNN_A512_MR;
	for (int64_t r = 0; r < panels * BNN_A512_MR; r++) {
		uint64_t *pan = out + r / BNN_A512_MR * BNN_A512_MR * wpr;
		for (int64_t w = 0; w < wpr; w++) {
			int64_t cnt = len - w * 64;
			pan[bnn_a512_panel_off(r % BNN_A512_MR, w, wpr)] =
				r >= rows || cnt <= 0 ?
					0 :
					sign_word(x + r * ld + w * 64, NULL, cnt < 64 ? cnt : 64);
		}
	}
}

/*
 * Writes a reduced 4x4 tile (r01: rows 0 and 1, r23: rows 2 and 3, four
 * int64 popcounts each) into c, rows x cols of it, ldc apart: with first,
 * c = k - 2*pop; else c -= 2*pop (a later K slice of the same outputs).
 * Whole rows of 4 go with one 128-bit store.
 */
static inline __attribute__((always_inline)) void
tile_store(__m512i r01, __m512i r23, int first, int32_t k, int32_t *c, int64_t ldc,
	   int64_t rows, int64_t cols)
{
	const __m128i kv = _mm_set1_epi32(k);
	for (int h = 0; h < 2 && 2 * h < rows; h++) {
		/* int32 is enough: each count is at most K < 2^24 */
		__m256i p = _mm512_cvtepi64_epi32(h ? r23 : r01);
		__m128i half[2] = { _mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1) };
		for (int q = 0; q < 2 && 2 * h + q < rows; q++) {
			int32_t *cr = c + (2 * h + q) * ldc;
			__m128i twice = _mm_slli_epi32(half[q], 1);
			if (cols == BNN_A512_NR) {
				__m128i base = first ? kv : _mm_loadu_si128((const __m128i *)cr);
				_mm_storeu_si128((__m128i *)cr, _mm_sub_epi32(base, twice));
			} else {
				int32_t t[4];
				_mm_storeu_si128((__m128i *)t, twice);
				for (int64_t j = 0; j < cols; j++)
					cr[j] = (first ? k : cr[j]) - t[j];
			}
		}
	}
}

typedef struct {
	const uint64_t *a, *b;
	int64_t m, n, wpr, k, ldc;
	int32_t *c;
} core_job_t;

/*
 * Rows of one or two words (K up to 128 bits: GEMMs of short K, 1x1
 * convolutions of up to 128 channels) would use 1/8 or 1/4 of the lanes of
 * a masked step. Panels of rows shorter than a step are plain rows back to
 * back (avx512.h), so here one vector holds 8/wpr consecutive B rows and
 * each A row is broadcast against it: the lanes (pairs of lanes for two
 * words) are then consecutive outputs of one C row, in order. Rows
 * [i0, i1) of C, columns [c0, c1); four B vectors stay in registers while
 * the A rows pass.
 */
static void short_range(const core_job_t *j, int64_t i0, int64_t i1, int64_t c0, int64_t c1)
{
	const int64_t wpr = j->wpr, per = 8 / wpr;   /* B rows per vector */
	const __m256i kv = _mm256_set1_epi32((int32_t)j->k);
	/* two words: lane pairs (2q, 2q+1) of two vectors, evens and odds */
	const __m512i ev = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
	const __m512i od = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
	for (int64_t jc = c0; jc < c1; jc += 4 * per) {
		__m512i bv[4];
		for (int q = 0; q < 4; q++) {
			int64_t cnt = c1 - (jc + q * per);
			cnt = cnt < 0 ? 0 : cnt > per ? per : cnt;
			bv[q] = _mm512_maskz_loadu_epi64(bnn_mask8_low(cnt * wpr), j->b + (jc + q * per) * wpr);
		}
		for (int64_t i = i0; i < i1; i++) {
			__m512i av = wpr == 1 ? _mm512_set1_epi64((long long)j->a[i]) :
						_mm512_broadcast_i32x4(
							_mm_loadu_si128((const __m128i *)(j->a + 2 * i)));
			int32_t *ci = j->c + i * j->ldc;
			/* groups of 8 outputs: one vector (one word) or two (two words) */
			for (int g = 0; g < 4 / wpr && jc + 8 * g < c1; g++) {
				__m512i pop;
				if (wpr == 1) {
					pop = _mm512_popcnt_epi64(_mm512_xor_si512(av, bv[g]));
				} else {
					__m512i pa = _mm512_popcnt_epi64(_mm512_xor_si512(av, bv[2 * g]));
					__m512i pb = _mm512_popcnt_epi64(_mm512_xor_si512(av, bv[2 * g + 1]));
					pop = _mm512_add_epi64(_mm512_permutex2var_epi64(pa, ev, pb),
							       _mm512_permutex2var_epi64(pa, od, pb));
				}
				__m256i v = _mm256_sub_epi32(kv, _mm256_slli_epi32(_mm512_cvtepi64_epi32(pop), 1));
				int64_t col = jc + 8 * g, cnt = c1 - col;
				if (cnt >= 8) {
					_mm256_storeu_si256((__m256i *)(ci + col), v);
				} else {
					int32_t t[8];
					_mm256_storeu_si256((__m256i *)t, v);
					memcpy(ci + col, t, (size_t)cnt * sizeof(int32_t));
				}
			}
		}
	}
}

/* A panels [ip0, ip1) against B panels [jp0, jp1). */
static void core_range(const core_job_t *j, int64_t ip0, int64_t ip1, int64_t jp0, int64_t jp1)
{
	if (j->wpr <= 2) {
		int64_t i1 = ip1 * BNN_A512_MR, c1 = jp1 * BNN_A512_NR;
		short_range(j, ip0 * BNN_A512_MR, i1 < j->m ? i1 : j->m, jp0 * BNN_A512_NR,
			    c1 < j->n ? c1 : j->n);
		return;
	}
	const int64_t wpr = j->wpr, full = wpr / 8, tail = wpr % 8, pw = BNN_A512_MR * wpr;
	const bnn_mask8_t tk = bnn_mask8_low(tail);
	for (int64_t jc = jp0; jc < jp1; jc += NC_PANELS) {
		int64_t jend = jp1 - jc < NC_PANELS ? jp1 : jc + NC_PANELS;
		/* One slice at least: rows of under 8 words are all tail. */
		for (int64_t pc = 0; pc == 0 || pc < full; pc += KC_STEPS) {
			int64_t steps = full - pc < KC_STEPS ? full - pc : KC_STEPS;
			int last = pc + KC_STEPS >= full;
			for (int64_t ic = ip0; ic < ip1; ic += MC_PANELS) {
				int64_t iend = ip1 - ic < MC_PANELS ? ip1 : ic + MC_PANELS;
				for (int64_t jp = jc; jp < jend; jp++) {
					const uint64_t *bp = j->b + jp * pw;
					int64_t cols = j->n - jp * BNN_A512_NR;
					if (cols > BNN_A512_NR)
						cols = BNN_A512_NR;
					for (int64_t ip = ic; ip < iend; ip++) {
						const uint64_t *ap = j->a + ip * pw;
						int64_t rows = j->m - ip * BNN_A512_MR;
						__m512i r01, r23;
						bnn_a512_tile_4x4(ap + pc * 32, bp + pc * 32, 8, 32, steps,
								  ap + full * 32, bp + full * 32, tail,
								  last ? tk : 0, &r01, &r23);
						tile_store(r01, r23, pc == 0, (int32_t)j->k,
							   j->c + ip * BNN_A512_MR * j->ldc +
								   jp * BNN_A512_NR,
							   j->ldc, rows < BNN_A512_MR ? rows : BNN_A512_MR,
							   cols);
					}
				}
			}
		}
	}
}

static void task_a(void *vjob, int64_t p0, int64_t p1, int tid)
{
	const core_job_t *j = vjob;
	(void)tid;
	core_range(j, p0, p1, 0, (j->n + BNN_A512_NR - 1) / BNN_A512_NR);
}

static void task_b(void *vjob, int64_t p0, int64_t p1, int tid)
{
	const core_job_t *j = vjob;
	(void)tid;
	core_range(j, 0, (j->m + BNN_A512_MR - 1) / BNN_A512_MR, p0, p1);
}

void BNN_A512(bnn_bgemm_core)(const uint64_t *a, const uint64_t *b, int64_t m, int64_t n,
			      int64_t wpr, int64_t k, int32_t *c, int64_t ldc, int parallel)
{
	core_job_t job = { a, b, m, n, wpr, k, ldc, c };
	int64_t mp = (m + BNN_A512_MR - 1) / BNN_A512_MR, np = (n + BNN_A512_NR - 1) / BNN_A512_NR;
	int nt = parallel ? bnn_parallel_threads() : 1;
	if (nt <= 1) {
		core_range(&job, 0, mp, 0, np);
		return;
	}
	/* Too few A panels to share (a GEMM of few rows): split B instead. */
	if (mp < 2 * nt && np > mp)
		bnn_parallel_for(np, 1, task_b, &job);
	else
		bnn_parallel_for(mp, 1, task_a, &job);
}

/* ---- the GEMM kernel entry: A and B packed into panels in prepare ---- */

typedef struct {
	bnn_gemm_shape_t s;
	int64_t wpr;
	uint64_t *a, *b;
	/* K over 128 bits: the broadcast tile (xpc_kernel.h), lanes along N.
	 * A in panels of P rows, [steps][P] 32-bit words each (row i of step s
	 * at s*P + i); B in blocks of 16Q columns, [nqb][steps][16Q], so that
	 * a block's K slice is contiguous in L1 (a row stride of kpad words,
	 * 4 KiB at N = 1024, put every step in the same L1 sets); no
	 * horizontal sums, and K pads only to 32 bits. */
	const bnn_a512_bc_t *bc;
	int64_t steps, kpad, nqb, mp;
	uint32_t *at, *bt;
	int32_t *toff;
	int stream;                 /* C written once with non-temporal stores
				     * (BNN_STREAM_BYTES; xpc_kernel.h's more = 2) */
	int32_t *out;               /* of the run in progress */
} gemm_state_t;

#define KS_STEPS 64             /* K words per slice (bcast_task) */
#define MB_PANELS 32            /* A panels per block (bcast_task) */

void BNN_A512(bnn_bgemm_release)(void *state)
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

/* Bytes of the panels of rows rows of wpr words, rounded up to 64 (as
 * aligned_alloc wants a multiple of the alignment). */
static size_t panel_bytes(int64_t rows, int64_t wpr)
{
	size_t n = (size_t)((rows + BNN_A512_MR - 1) / BNN_A512_MR * BNN_A512_MR * wpr) * 8;
	return (n + 63) / 64 * 64;
}


/* The 32-bit word w of row r (len floats at x + r*ld), or 0 past rows. */
static uint32_t row_dword(const float *x, int64_t rows, int64_t len, int64_t ld, int64_t r,
			  int64_t w)
{
	if (r >= rows || 32 * w >= len)
		return 0;
	uint64_t word = sign_word(x + r * ld + 32 * w, NULL, len - 32 * w < 32 ? len - 32 * w : 32);
	return (uint32_t)word;
}

static int bcast_prepare(gemm_state_t *st, const bnn_inputs_t *in)
{
	const bnn_gemm_shape_t *s = &st->s;
	int64_t kv = (s->n + 15) / 16;
	st->bc = bnn_a512_bc_pick(s->m, kv);
	st->steps = (s->k + 31) / 32;
	st->stream = st->steps <= KS_STEPS && s->m * s->n * 4 >= BNN_STREAM_BYTES;
	st->nqb = (kv + st->bc->q - 1) / st->bc->q;
	st->kpad = st->nqb * st->bc->q * 16;
	st->mp = (s->m + st->bc->p - 1) / st->bc->p;
	st->at = malloc((size_t)(st->mp * st->bc->p * st->steps) * sizeof(uint32_t));
	st->bt = malloc((size_t)(st->kpad * st->steps) * sizeof(uint32_t));
	st->toff = malloc((size_t)st->steps * sizeof(int32_t));
	if (!st->at || !st->bt || !st->toff)
		return -ENOMEM;
	const int64_t P = st->bc->p, qw = 16 * st->bc->q;
	for (int64_t w = 0; w < st->steps; w++) {
		st->toff[w] = (int32_t)(w * P);
		for (int64_t r = 0; r < st->mp * P; r++)
			st->at[(r / P * st->steps + w) * P + r % P] =
				row_dword(in->a, s->m, s->k, s->k, r, w);
		for (int64_t j = 0; j < st->kpad; j++)
			st->bt[bnn_colblock_at(j, w, st->steps, qw)] =
				row_dword(in->b, s->n, s->k, s->k, j, w);
	}
	return 0;
}

/* Items [i0, i1) of (column block, A panel), column blocks outer. For each
 * column block, K in slices of KS_STEPS words: the slice of B (16Q columns,
 * 16 KiB at Q = 4, contiguous) stays in L1 while the A panels' slices, in
 * L2, pass. */
static void bcast_task(void *vst, int64_t i0, int64_t i1, int tid)
{
	const gemm_state_t *st = vst;
	const bnn_gemm_shape_t *s = &st->s;
	int32_t *c = st->out;
	const int64_t P = st->bc->p, qw = 16 * st->bc->q;
	(void)tid;
	for (int64_t it = i0; it < i1;) {
		int64_t qb = it / st->mp, ip0 = it % st->mp, j0 = qb * qw;
		int64_t ip1 = i1 - it < st->mp - ip0 ? ip0 + (i1 - it) : st->mp;
		/* A panels in blocks of MB_PANELS, so the block's C tiles and A
		 * slices (48 KiB each at P = 6, Q = 4) stay in L2 over the slices */
		for (int64_t ib = ip0; ib < ip1; ib += MB_PANELS) {
			int64_t ie = ip1 - ib < MB_PANELS ? ip1 : ib + MB_PANELS;
			for (int64_t k0 = 0; k0 < st->steps; k0 += KS_STEPS) {
				int64_t ks = st->steps - k0 < KS_STEPS ? st->steps - k0 : KS_STEPS;
				int more = k0 > 0 ? 1 : st->stream ? 2 : 0;
				for (int64_t ip = ib; ip < ie; ip++)
					st->bc->fn[0](st->at + ip * P * st->steps, st->toff + k0,
						      st->bt + (qb * st->steps + k0) * qw, qw, ks,
						      (int32_t)s->k, c + ip * P * s->n + j0, s->n,
						      s->m - ip * P, s->n - j0, more);
			}
		}
		it += ip1 - ip0;
	}
	if (st->stream)   /* this thread's C, visible before the run returns */
		bnn_sfence();
}

int BNN_A512(bnn_bgemm_prepare)(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state)
{
	gemm_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->s = d->gemm;
	st->wpr = bnn_words(d->gemm.k);
	if (st->wpr > 2) {
		int rc = bcast_prepare(st, in);
		if (rc != 0)
			BNN_A512(bnn_bgemm_release)(st);
		else
			*state = st;
		return rc;
	}
	st->a = aligned_alloc(64, panel_bytes(st->s.m, st->wpr));
	st->b = aligned_alloc(64, panel_bytes(st->s.n, st->wpr));
	if (!st->a || !st->b) {
		BNN_A512(bnn_bgemm_release)(st);
		return -ENOMEM;
	}
	BNN_A512(bnn_pack_panels)(in->a, st->s.m, st->s.k, st->s.k, st->a, st->wpr);
	BNN_A512(bnn_pack_panels)(in->b, st->s.n, st->s.k, st->s.k, st->b, st->wpr);
	*state = st;
	return 0;
}

int BNN_A512(bnn_bgemm_run)(void *state, void *out)
{
	gemm_state_t *st = state;
	if (st->bc) {
		st->out = out;
		bnn_parallel_for(st->nqb * st->mp, 1, bcast_task, st);
		return 0;
	}
	BNN_A512(bnn_bgemm_core)(st->a, st->b, st->s.m, st->s.n, st->wpr, st->s.k, out, st->s.n,
				 1);
	return 0;
}
