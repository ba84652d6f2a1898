/*
 * test_mma_model: the 1-bit tensor-core GEMM kernels' lane indexing, run on
 * the CPU (no GPU, no device API call). Whole blocks of
 * bgemm_and_popc__cuda_mma_b1 / bgemm_xor_popc__cuda_mma_b1 (fragments
 * from global memory) and of bgemm_and_popc__cuda_mma_b1_tiled (cp.async
 * copy map with zero-fill, swizzled shared memory ring, ldmatrix, 64x64
 * warp tiles, paired stores) are emulated lane by lane with the very
 * __host__ __device__ functions the kernels call (kernels/cuda/bgemm_mma.cuh);
 * the instructions themselves go through the host model of the PTX ISA's
 * documented fragment layouts (kernels/cuda/mma_model.h). The results must
 * equal the float reference exactly (doc/bnn-math.md section 2) on K tails around the
 * 256-bit step and the 512-bit stage, odd M and N, one row or column.
 *
 * What this cannot check: the hardware itself (only its documented
 * layout), warp collectives' synchronisation, __syncthreads and the
 * cp.async group accounting (the emulation runs the kernel's program order
 * sequentially), shared-memory limits, timing. Of the launch configuration
 * it checks the grids (bnn_gemm_grid, which the launchers use) against
 * CUDA's limits; not the runtime's acceptance of the launch.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>
extern "C" {
#include "bnn_ref.h"
}
#include "../kernels/cuda/bgemm_mma.cuh"
#include "../kernels/cuda/bgemm_wgmma.cuh"
#include "../kernels/cuda/mma_model.h"
#include "tap.h"

#define KW32 8   /* words per 256-bit step (BNN_CUDA_KW32) */
#define PAD_ROWS 64   /* BNN_CUDA_TILE */

/* Values in [-1, 1) with exact zeros (which binarize to +1), deterministic. */
static void fill(std::vector<float> &x, uint64_t seed)
{
	for (float &v : x) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(seed >> 33);
		v = r % 17 == 0 ? 0.0f : (float)((int32_t)(r % 2001) - 1000) / 1000.0f;
	}
}

/* The packed layout of kernels/cuda/bnn_cuda.h, written out independently. */
static std::vector<uint32_t> pack(const std::vector<float> &x, int64_t rows, int64_t k,
				  int64_t rows_p, int64_t kw32)
{
	std::vector<uint32_t> p((size_t)(rows_p * kw32), 0u);
	for (int64_t r = 0; r < rows; r++)
		for (int64_t j = 0; j < k; j++)
			if (x[(size_t)(r * k + j)] < 0.0f)
				p[(size_t)(r * kw32 + j / 32)] |= 1u << (j % 32);
	return p;
}

static std::vector<int32_t> popcounts(const std::vector<uint32_t> &p, int64_t rows_p, int64_t kw32)
{
	std::vector<int32_t> out((size_t)rows_p, 0);
	for (int64_t r = 0; r < rows_p; r++)
		for (int64_t w = 0; w < kw32; w++)
			out[(size_t)r] += __builtin_popcount(p[(size_t)(r * kw32 + w)]);
	return out;
}

typedef struct {
	int64_t m, n, k, mp, np, kw32;
	std::vector<uint32_t> ap, bp;
	std::vector<int32_t> pa, pb;
	std::vector<float> ref;
} problem_t;

static void make_problem(problem_t *pr, int64_t m, int64_t n, int64_t k)
{
	pr->m = m;
	pr->n = n;
	pr->k = k;
	pr->mp = (m + PAD_ROWS - 1) / PAD_ROWS * PAD_ROWS;
	pr->np = (n + PAD_ROWS - 1) / PAD_ROWS * PAD_ROWS;
	pr->kw32 = (k + 255) / 256 * KW32;
	std::vector<float> a((size_t)(m * k)), b((size_t)(n * k));
	fill(a, (uint64_t)(m * 1000003 + k));
	fill(b, (uint64_t)(n * 7919 + k * 31 + 5));
	pr->ap = pack(a, m, k, pr->mp, pr->kw32);
	pr->bp = pack(b, n, k, pr->np, pr->kw32);
	pr->pa = popcounts(pr->ap, pr->mp, pr->kw32);
	pr->pb = popcounts(pr->bp, pr->np, pr->kw32);
	pr->ref.assign((size_t)(m * n), 0.0f);
	bnn_gemm_shape_t s = { m, n, k };
	bnn_ref_bgemm(&s, a.data(), b.data(), pr->ref.data());
}

/* First mismatch against the reference into msg; 1 if all equal. */
static int compare(const problem_t *pr, const std::vector<int32_t> &c, char *msg, size_t len)
{
	for (int64_t i = 0; i < pr->m * pr->n; i++)
		if ((float)c[(size_t)i] != pr->ref[(size_t)i]) {
			snprintf(msg, len, "C[%lld][%lld] = %d, reference %.0f", (long long)(i / pr->n),
				 (long long)(i % pr->n), c[(size_t)i], pr->ref[(size_t)i]);
			return 0;
		}
	snprintf(msg, len, "exact");
	return 1;
}

/*
 * bgemm_mma_b1_kernel<xor_op> over its whole grid. mutate = 1 swaps each
 * lane's two B registers (a deliberately wrong fragment: the check must fail).
 */
static std::vector<int32_t> run_simple(const problem_t *pr, bool xor_op, int mutate)
{
	std::vector<int32_t> c((size_t)(pr->m * pr->n), (int32_t)0xa5a5a5a5);
	int64_t gx, gy;   /* the launcher's grid */
	if (bnn_gemm_grid(pr->m, pr->n, SIMPLE_TILE, SIMPLE_TILE, &gx, &gy, NULL, 0) != 0)
		return c;
	for (int by = 0; by < gy; by++)
		for (int bx = 0; bx < gx; bx++)
			for (int warp = 0; warp < 4; warp++) {
				int64_t r0, c0;
				simple_warp_origin(bx, by, warp, &r0, &c0);
				static int32_t acc[SIMPLE_WM][SIMPLE_WN][32][4];
				memset(acc, 0, sizeof(acc));
				for (int64_t kk = 0; kk < pr->kw32; kk += KW32) {
					uint32_t af[SIMPLE_WM][32][4], bf[SIMPLE_WN][32][2];
					for (int lane = 0; lane < 32; lane++) {
						for (int i = 0; i < SIMPLE_WM; i++) {
							uint32_t (&f)[4] = af[i][lane];
							simple_load_a(pr->ap.data(), pr->kw32, r0 + 16 * i, kk,
								      lane, f);
						}
						for (int j = 0; j < SIMPLE_WN; j++) {
							uint32_t (&f)[2] = bf[j][lane];
							simple_load_b(pr->bp.data(), pr->kw32, c0 + 8 * j, kk,
								      lane, f);
							if (mutate) {
								uint32_t t = f[0];
								f[0] = f[1];
								f[1] = t;
							}
						}
					}
					for (int i = 0; i < SIMPLE_WM; i++)
						for (int j = 0; j < SIMPLE_WN; j++)
							mma_model_m16n8k256(xor_op, af[i], bf[j], acc[i][j],
									    acc[i][j]);
				}
				for (int i = 0; i < SIMPLE_WM; i++)
					for (int j = 0; j < SIMPLE_WN; j++)
						for (int lane = 0; lane < 32; lane++) {
							int (&a4)[4] = *(int(*)[4])acc[i][j][lane];
							mma_lane_store(c.data(), pr->m, pr->n, pr->k, r0 + 16 * i,
								       c0 + 8 * j, lane, a4, pr->pa.data(),
								       pr->pb.data(), xor_op);
						}
			}
	return c;
}

/* One thread's cp.async of one chunk, as the ISA defines it: bytes read, the rest zero. */
static void emu_cp_async(uint8_t *smem, uint32_t soff, const uint32_t *src, int bytes)
{
	memset(smem + soff, 0, 16);
	memcpy(smem + soff, src, (size_t)bytes);
}

/*
 * A tiled kernel's cp.async plan, for the emulation of its copies and the
 * check of its copy map: its constants and its slot, chunk and shared-memory
 * offset functions (the tiled kernel's tl_*, the wgmma kernel's wg_*).
 */
struct copy_plan_t {
	int threads, a_copies, b_copies, a_bytes, b_bytes, bm, bn, bkw, stage_bytes;
	int (*slot)(int64_t kt);
	int (*chunk)(int tid, int i, int64_t kt, int64_t rows0, int64_t rows, int64_t kw32,
		     uint32_t *soff, int64_t *gword);
	uint32_t (*off)(int r, int c);
};
static const copy_plan_t tl_plan = { TL_THREADS, TL_A_COPIES, TL_B_COPIES, TL_A_BYTES,
				     TL_B_BYTES, TL_BM, TL_BN, TL_BKW, TL_STAGE_BYTES,
				     tl_slot, tl_copy_chunk, tl_swz };
static const copy_plan_t wg_plan = { WG_THREADS, WG_A_COPIES, WG_B_COPIES, WG_A_BYTES,
				     WG_B_BYTES, WG_BM, WG_BN, WG_BKW, WG_STAGE_BYTES,
				     wg_slot, wg_copy_chunk, wg_off };

/* Stage kt's copies of all the plan's threads (tl_issue of bgemm_cuda.cu,
 * wg_issue of bgemm_wgmma.cu). */
static void emu_issue(const copy_plan_t *cp, uint8_t *smem, int64_t kt, int64_t br0,
		      int64_t bc0, const problem_t *pr)
{
	uint8_t *slot = smem + (size_t)cp->slot(kt) * cp->stage_bytes;
	for (int tid = 0; tid < cp->threads; tid++) {
		for (int i = 0; i < cp->a_copies; i++) {
			uint32_t so;
			int64_t gw;
			int bytes = cp->chunk(tid, i, kt, br0, pr->m, pr->kw32, &so, &gw);
			emu_cp_async(slot, so, pr->ap.data() + gw, bytes);
		}
		for (int i = 0; i < cp->b_copies; i++) {
			uint32_t so;
			int64_t gw;
			int bytes = cp->chunk(tid, i, kt, bc0, pr->n, pr->kw32, &so, &gw);
			emu_cp_async(slot + cp->a_bytes, so, pr->bp.data() + gw, bytes);
		}
	}
}

/*
 * bgemm_mma_b1_tiled_kernel over its whole grid, in the kernel's program
 * order (prologue, then per stage: issue kt + STAGES - 1, compute kt), with
 * shared memory poisoned at block start so that reading anything not copied
 * shows.
 */
static std::vector<int32_t> run_tiled(const problem_t *pr)
{
	std::vector<int32_t> c((size_t)(pr->m * pr->n), (int32_t)0xa5a5a5a5);
	std::vector<uint8_t> smem(TL_SMEM_BYTES);
	static int32_t acc[TL_WARPS_M * TL_WARPS_N][TL_MI][TL_NJ][32][4];
	int64_t nkt = tl_ktiles(pr->kw32), gx, gy;
	if (bnn_gemm_grid(pr->m, pr->n, TL_BM, TL_BN, &gx, &gy, NULL, 0) != 0)
		return c;
	for (int64_t by = 0; by < gy; by++)
		for (int64_t bx = 0; bx < gx; bx++) {
			int64_t br0 = by * TL_BM, bc0 = bx * TL_BN;
			memset(smem.data(), 0xa5, smem.size());
			memset(acc, 0, sizeof(acc));
			for (int s = 0; s < TL_STAGES - 1; s++)
				if (s < nkt)
					emu_issue(&tl_plan, smem.data(), s, br0, bc0, pr);
			for (int64_t kt = 0; kt < nkt; kt++) {
				if (kt + TL_STAGES - 1 < nkt)
					emu_issue(&tl_plan, smem.data(), kt + TL_STAGES - 1, br0, bc0, pr);
				const uint8_t *sa = smem.data() + (size_t)tl_slot(kt) * TL_STAGE_BYTES;
				const uint8_t *sb = sa + TL_A_BYTES;
				for (int warp = 0; warp < TL_WARPS_M * TL_WARPS_N; warp++) {
					int wm, wn;
					tl_warp_pos(warp, &wm, &wn);
					for (int s = 0; s < TL_BKW / KW32; s++) {
						uint32_t af[TL_MI][32][4], bf[TL_NJ][32][2], addr[32];
						for (int i = 0; i < TL_MI; i++) {
							for (int lane = 0; lane < 32; lane++)
								addr[lane] = tl_ldsm_a(lane, wm, i, s);
							mma_model_ldmatrix_x4(sa, addr, af[i]);
						}
						for (int p = 0; p < TL_NJ / 2; p++) {
							uint32_t r[32][4];
							for (int lane = 0; lane < 32; lane++)
								addr[lane] = tl_ldsm_b(lane, wn, p, s);
							mma_model_ldmatrix_x4(sb, addr, r);
							for (int lane = 0; lane < 32; lane++) {
								bf[2 * p][lane][0] = r[lane][0];
								bf[2 * p][lane][1] = r[lane][1];
								bf[2 * p + 1][lane][0] = r[lane][2];
								bf[2 * p + 1][lane][1] = r[lane][3];
							}
						}
						for (int i = 0; i < TL_MI; i++)
							for (int j = 0; j < TL_NJ; j++)
								mma_model_m16n8k256(0, af[i], bf[j],
										    acc[warp][i][j],
										    acc[warp][i][j]);
					}
				}
			}
			for (int warp = 0; warp < TL_WARPS_M * TL_WARPS_N; warp++) {
				int wm, wn;
				tl_warp_pos(warp, &wm, &wn);
				for (int i = 0; i < TL_MI; i++)
					for (int j = 0; j < TL_NJ; j++)
						for (int lane = 0; lane < 32; lane++) {
							int (&a4)[4] = *(int(*)[4])acc[warp][i][j][lane];
							tl_lane_store(c.data(), pr->m, pr->n, pr->k,
								      br0 + wm * TL_WTM + 16 * i,
								      bc0 + wn * TL_WTN + 8 * j, lane, a4,
								      pr->pa.data(), pr->pb.data());
						}
			}
		}
	return c;
}

/*
 * bgemm_wgmma_b1_kernel over its whole grid in the kernel's program order
 * (prologue of WG_PREFETCH stages; per stage: issue kt + WG_PREFETCH, then
 * both warpgroups' wgmmas on slot kt), shared memory poisoned at block
 * start, descriptors built by wg_desc() and decoded by the model. *bad is
 * set when the model rejects a descriptor.
 */
static std::vector<int32_t> run_wgmma(const problem_t *pr, int *bad)
{
	std::vector<int32_t> c((size_t)(pr->m * pr->n), (int32_t)0xa5a5a5a5);
	std::vector<uint8_t> smem(WG_SMEM_BYTES);
	static int32_t acc[2][128 * (WG_BN / 2)];
	int64_t nkt = wg_ktiles(pr->kw32), gx, gy;
	*bad = 0;
	if (bnn_gemm_grid(pr->m, pr->n, WG_BM, WG_BN, &gx, &gy, NULL, 0) != 0)
		return c;
	for (int64_t by = 0; by < gy; by++)
		for (int64_t bx = 0; bx < gx; bx++) {
			int64_t br0 = by * WG_BM, bc0 = bx * WG_BN;
			memset(smem.data(), 0xa5, smem.size());
			memset(acc, 0, sizeof(acc));
			for (int s = 0; s < WG_PREFETCH; s++)
				if (s < nkt)
					emu_issue(&wg_plan, smem.data(), s, br0, bc0, pr);
			for (int64_t kt = 0; kt < nkt; kt++) {
				if (kt + WG_PREFETCH < nkt)
					emu_issue(&wg_plan, smem.data(), kt + WG_PREFETCH, br0, bc0, pr);
				uint32_t sa = (uint32_t)wg_slot(kt) * WG_STAGE_BYTES, sb = sa + WG_A_BYTES;
				for (int wg = 0; wg < 2; wg++)
					for (int s = 0; s < WG_BKW / KW32; s++)
						if (mma_model_wgmma_m64nNk256_and(
							    smem.data(), WG_SMEM_BYTES, wg_desc(wg_a_addr(sa, wg, s)),
							    wg_desc(wg_b_addr(sb, s)), WG_BN, acc[wg]) != 0)
							(*bad)++;
			}
			for (int tid = 0; tid < WG_THREADS; tid++) {
				const int (&a128)[WG_BN / 2] =
					*(const int(*)[WG_BN / 2])(acc[tid / 128] + (tid % 128) * (WG_BN / 2));
				wg_thread_store(c.data(), pr->m, pr->n, pr->k, br0, bc0, tid, a128,
						pr->pa.data(), pr->pb.data());
			}
		}
	return c;
}

/*
 * The cp.async map of one stage: the plan's threads' chunks cover each
 * operand's stage buffer exactly once, 16-byte aligned, and each chunk's
 * source is the row and words the plan's offset function says it holds.
 * 1 if so.
 */
static int copy_map_ok(const copy_plan_t *cp)
{
	std::vector<int> seen_a(cp->a_bytes / 16, 0), seen_b(cp->b_bytes / 16, 0);
	const int64_t kw32 = 64;   /* large enough that no chunk is zero-filled */
	for (int tid = 0; tid < cp->threads; tid++)
		for (int i = 0; i < cp->b_copies; i++)
			for (int op = 0; op < 1 + (i < cp->a_copies); op++) {
				uint32_t so;
				int64_t gw;
				int limit = op ? cp->a_bytes : cp->b_bytes;
				int bytes = cp->chunk(tid, i, 1, 0, op ? cp->bm : cp->bn, kw32, &so, &gw);
				if (bytes != 16 || so % 16 || so + 16 > (uint32_t)limit)
					return 0;
				int r = (int)(gw / kw32), w = (int)(gw % kw32) - cp->bkw;
				if (w < 0 || w % 4 || cp->off(r, w / 4) != so)
					return 0;
				(op ? seen_a : seen_b)[so / 16]++;
			}
	for (int v : seen_a)
		if (v != 1)
			return 0;
	for (int v : seen_b)
		if (v != 1)
			return 0;
	return 1;
}

/* The wgmma kernel's copy map, and its descriptor fields worked by hand:
 * start 0x1230 -> 0x123, LBO 128 -> 8, SBO 512 -> 32. */
static int wg_copy_map_ok(void)
{
	return copy_map_ok(&wg_plan) &&
	       wg_desc(0x1230u) == (0x123ull | (8ull << 16) | (32ull << 32));
}

/*
 * The model against the ISA text worked by hand: A row 9, k 130 and B column
 * 3, k 130 set. Row 9 = groupID 1 + 8, k 130 = 128 + 32*0 + 2: A register 3,
 * bit 2 of lane 4. B: register 1, bit 2 of lane 12 (groupID 3). D[9][3]:
 * groupID 1, c3 (row + 8, odd column) of threadID_in_group 1: lane 5.
 */
static int hand_case(void)
{
	uint32_t a[32][4], b[32][2];
	int32_t c[32][4], d[32][4];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(c, 0, sizeof(c));
	a[4][3] = 1u << 2;
	b[12][1] = 1u << 2;
	mma_model_m16n8k256(0, a, b, c, d);
	for (int l = 0; l < 32; l++)
		for (int e = 0; e < 4; e++)
			if (d[l][e] != (l == 5 && e == 3 ? 1 : 0))
				return 0;
	/* XOR with B empty: each of the 8 columns of row 9 sees the one A bit. */
	memset(b, 0, sizeof(b));
	mma_model_m16n8k256(1, a, b, c, d);
	for (int l = 0; l < 32; l++)
		for (int e = 0; e < 4; e++)
			if (d[l][e] != ((l / 4 == 1 && e >= 2) ? 1 : 0))
				return 0;
	return 1;
}

/*
 * The launch geometry no emulation can reach: every GEMM of the suites
 * (suites/perf_gpu.suite, 8192^3 last) gets a grid within CUDA's limits
 * from each kernel's tiles, with the block counts the tiles imply, and the
 * shapes just past gridDim.y <= 65535 (m = 65535 tiles + 1 row) or empty
 * are refused with a reason, as the kernels' supports() refuse them.
 */
static int grid_limits_ok(char *msg, size_t len)
{
	static const int64_t shapes[][2] = { { 1024, 1024 }, { 2048, 2048 }, { 4096, 4096 },
					     { 100352, 128 }, { 6272, 512 }, { 1568, 1024 },
					     { 8192, 8192 }, { 1, 1 }, { 3, 5 } };
	static const int64_t tiles[][2] = { { SIMPLE_TILE, SIMPLE_TILE }, { TL_BM, TL_BN },
					    { WG_BM, WG_BN } };
	int64_t gx, gy;
	char why[200];
	for (size_t t = 0; t < 3; t++) {
		int64_t tm = tiles[t][0], tn = tiles[t][1];
		for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
			int64_t m = shapes[i][0], n = shapes[i][1];
			if (bnn_gemm_grid(m, n, tm, tn, &gx, &gy, why, sizeof(why)) != 0 ||
			    gx != (n + tn - 1) / tn || gy != (m + tm - 1) / tm ||
			    gx * tn < n || gy * tm < m) {
				snprintf(msg, len, "m=%lld n=%lld tiles %lldx%lld: grid %lldx%lld (%s)",
					 (long long)m, (long long)n, (long long)tm, (long long)tn,
					 (long long)gx, (long long)gy, why);
				return 0;
			}
		}
		/* 8192^3: 128 x 128 blocks of 64x64, 32 x 64 of 128x256. */
		if (bnn_gemm_grid(8192, 8192, tm, tn, &gx, &gy, NULL, 0) != 0 ||
		    gx * gy != (8192 / tm) * (8192 / tn)) {
			snprintf(msg, len, "8192^3 at %lldx%lld: %lld blocks", (long long)tm,
				 (long long)tn, (long long)(gx * gy));
			return 0;
		}
		why[0] = 0;
		if (bnn_gemm_grid(65535 * tm, 1, tm, tn, &gx, &gy, NULL, 0) != 0 || gy != 65535 ||
		    bnn_gemm_grid(65535 * tm + 1, 1, tm, tn, &gx, &gy, why, sizeof(why)) == 0 ||
		    !strstr(why, "65535") || bnn_gemm_grid(0, 8, tm, tn, &gx, &gy, NULL, 0) == 0 ||
		    bnn_gemm_grid(8, 0, tm, tn, &gx, &gy, NULL, 0) == 0) {
			snprintf(msg, len, "tiles %lldx%lld: the y limit or an empty shape is not "
				 "refused (%s)", (long long)tm, (long long)tn, why);
			return 0;
		}
	}
	snprintf(msg, len, "ok");
	return 1;
}

static const int64_t ks[] = { 1, 63, 255, 256, 257, 511, 512, 513, 1000 };
static const int64_t mns[][2] = { { 1, 1 }, { 1, 77 }, { 33, 1 }, { 64, 65 },
				  { 129, 257 }, { 128, 256 }, { 200, 130 } };
#define NK (sizeof(ks) / sizeof(ks[0]))
#define NMN (sizeof(mns) / sizeof(mns[0]))

int main(void)
{
	char msg[256];
	tap_plan(6 + 4 * (int)(NK * NMN));
	tap_ok(mma_model_selftest() == 0, "the fragment model maps A, B, C lanes onto their matrices one to one");
	tap_ok(hand_case(), "the fragment model agrees with the ISA's row/column formulas worked by hand");
	{
		problem_t pr;
		make_problem(&pr, 64, 65, 513);
		int ok = compare(&pr, run_simple(&pr, false, 1), msg, sizeof(msg));
		tap_ok(!ok, "a wrong B fragment (b0, b1 swapped) is caught: %s", msg);
		tap_ok(copy_map_ok(&tl_plan), "the cp.async map covers each stage buffer once, sources match the swizzle");
		tap_ok(wg_copy_map_ok(), "wgmma: the copy map covers each stage buffer once; descriptor fields as the ISA encodes them");
		tap_ok(grid_limits_ok(msg, sizeof(msg)), "GEMM grids within CUDA's limits for the suites' shapes, refused past gridDim.y: %s", msg);
	}
	for (size_t s = 0; s < NMN; s++)
		for (size_t j = 0; j < NK; j++) {
			problem_t pr;
			int64_t m = mns[s][0], n = mns[s][1], k = ks[j];
			make_problem(&pr, m, n, k);
			tap_ok(compare(&pr, run_simple(&pr, false, 0), msg, sizeof(msg)),
			       "mma_b1 (.and.popc) m=%lld n=%lld k=%lld: %s", (long long)m,
			       (long long)n, (long long)k, msg);
			tap_ok(compare(&pr, run_simple(&pr, true, 0), msg, sizeof(msg)),
			       "mma_b1 (.xor.popc) m=%lld n=%lld k=%lld: %s", (long long)m,
			       (long long)n, (long long)k, msg);
			tap_ok(compare(&pr, run_tiled(&pr), msg, sizeof(msg)),
			       "mma_b1_tiled m=%lld n=%lld k=%lld: %s", (long long)m, (long long)n,
			       (long long)k, msg);
			int bad;
			int ok = compare(&pr, run_wgmma(&pr, &bad), msg, sizeof(msg));
			tap_ok(ok && !bad, "wgmma_b1 m=%lld n=%lld k=%lld: %s%s", (long long)m,
			       (long long)n, (long long)k, msg, bad ? " (a descriptor the model rejects)" : "");
		}
	return tap_exit();
}
