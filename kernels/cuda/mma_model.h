/*
 * Host (CPU) model of the warp-level 1-bit tensor-core MMA
 *   mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.{and,xor}.popc
 * and of ldmatrix.sync.aligned.m8n8.x4.b16, written from the PTX ISA's
 * fragment description (section "Matrix Fragments for mma.m16n8k256";
 * groupID = lane >> 2, threadID_in_group = lane % 4):
 *   A (16 x 256 bits, four .b32 per lane, elements a0..a127 low to high):
 *     element i lies in register i / 32, bit i % 32; its row is groupID for
 *     registers 0 and 2, groupID + 8 for registers 1 and 3; its column is
 *     32 * threadID_in_group + (i & 31), plus 128 for registers 2 and 3.
 *     (The ISA text writes the first case as "+ i for i < 64"; read
 *     literally that maps register 1 of lane 3 onto the columns of
 *     register 3 of lane 0, not a partition of the matrix. The figure and
 *     the k128 shape say i & 31; mma_model_selftest() proves the reading
 *     used here is a bijection.)
 *   B (256 x 8 bits, two .b32 per lane): element i in register i / 32, bit
 *     i % 32; row (k) 32 * threadID_in_group + (i & 31), plus 128 for
 *     register 1; column groupID.
 *   C, D (16 x 8 s32, four per lane): row groupID for c0, c1, groupID + 8
 *     for c2, c3; column 2 * threadID_in_group + (i & 1).
 *   D = C + popc(row of A op column of B), op = AND or XOR.
 * ldmatrix .x4 .b16: lane l gives the address of row l % 8 of matrix l / 8
 * (each row 16 bytes); lane l receives in register j the 32 bits at byte
 * 4 * (l % 4) of row l / 4 of matrix j.
 *
 * Further down: the warpgroup-level wgmma .b1 .and.popc from shared-memory
 * descriptors (mma_model_wgmma_m64nNk256_and).
 *
 * This is what the hardware is documented to do, not what it was seen to
 * do: nothing in this project has run on a GPU yet. Host code only (no
 * device API); tests/test_mma_model.cu checks our kernels' lane indexing
 * against it.
 */
#ifndef BNN_MMA_MODEL_H
#define BNN_MMA_MODEL_H

#include <stdint.h>
#include <string.h>

/* Row and column (k) of element bit of A register reg held by lane. */
static inline void mma_model_a_pos(int lane, int reg, int bit, int *row, int *col)
{
	int g = lane >> 2, t = lane & 3;
	*row = g + ((reg & 1) ? 8 : 0);
	*col = 32 * t + bit + ((reg >= 2) ? 128 : 0);
}

/* Row (k) and column of element bit of B register reg held by lane. */
static inline void mma_model_b_pos(int lane, int reg, int bit, int *row, int *col)
{
	int g = lane >> 2, t = lane & 3;
	*row = 32 * t + bit + (reg ? 128 : 0);
	*col = g;
}

/* Row and column of accumulator element e (0..3) of lane. */
static inline void mma_model_c_pos(int lane, int e, int *row, int *col)
{
	int g = lane >> 2, t = lane & 3;
	*row = g + (e >= 2 ? 8 : 0);
	*col = 2 * t + (e & 1);
}

/*
 * One warp-wide m16n8k256 b1 MMA: a, b, c are the 32 lanes' registers,
 * d receives theirs (d may alias c). xor_op: 1 for .xor.popc, 0 for .and.popc.
 */
static inline void mma_model_m16n8k256(int xor_op, const uint32_t a[32][4], const uint32_t b[32][2],
				       const int32_t c[32][4], int32_t d[32][4])
{
	uint8_t am[16][256], bm[256][8];
	int32_t cm[16][8];
	for (int l = 0; l < 32; l++)
		for (int r = 0; r < 4; r++)
			for (int i = 0; i < 32; i++) {
				int row, col;
				mma_model_a_pos(l, r, i, &row, &col);
				am[row][col] = (uint8_t)((a[l][r] >> i) & 1u);
			}
	for (int l = 0; l < 32; l++)
		for (int r = 0; r < 2; r++)
			for (int i = 0; i < 32; i++) {
				int row, col;
				mma_model_b_pos(l, r, i, &row, &col);
				bm[row][col] = (uint8_t)((b[l][r] >> i) & 1u);
			}
	for (int l = 0; l < 32; l++)
		for (int e = 0; e < 4; e++) {
			int row, col;
			mma_model_c_pos(l, e, &row, &col);
			cm[row][col] = c[l][e];
		}
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 8; j++) {
			int s = 0;
			for (int kk = 0; kk < 256; kk++)
				s += xor_op ? (am[i][kk] ^ bm[kk][j]) : (am[i][kk] & bm[kk][j]);
			cm[i][j] += s;
		}
	for (int l = 0; l < 32; l++)
		for (int e = 0; e < 4; e++) {
			int row, col;
			mma_model_c_pos(l, e, &row, &col);
			d[l][e] = cm[row][col];
		}
}

/*
 * ldmatrix.sync.aligned.m8n8.x4.shared.b16 over a host byte array standing
 * for shared memory: addr[l] is lane l's byte offset; out[l][j] is what
 * lane l receives in register j.
 */
static inline void mma_model_ldmatrix_x4(const uint8_t *smem, const uint32_t addr[32],
					 uint32_t out[32][4])
{
	for (int l = 0; l < 32; l++)
		for (int j = 0; j < 4; j++) {
			uint32_t w;
			memcpy(&w, smem + addr[8 * j + l / 4] + 4 * (l % 4), 4);
			out[l][j] = w;
		}
}

/*
 * The model's own sanity: each fragment layout is a bijection onto its
 * matrix (16 x 256 for A, 256 x 8 for B, 16 x 8 for C). 0 or -1.
 */
static inline int mma_model_selftest(void)
{
	static uint8_t seen_a[16][256], seen_b[256][8], seen_c[16][8];
	memset(seen_a, 0, sizeof(seen_a));
	memset(seen_b, 0, sizeof(seen_b));
	memset(seen_c, 0, sizeof(seen_c));
	for (int l = 0; l < 32; l++) {
		for (int r = 0; r < 4; r++)
			for (int i = 0; i < 32; i++) {
				int row, col;
				mma_model_a_pos(l, r, i, &row, &col);
				if (row < 0 || row >= 16 || col < 0 || col >= 256 || seen_a[row][col]++)
					return -1;
			}
		for (int r = 0; r < 2; r++)
			for (int i = 0; i < 32; i++) {
				int row, col;
				mma_model_b_pos(l, r, i, &row, &col);
				if (row < 0 || row >= 256 || col < 0 || col >= 8 || seen_b[row][col]++)
					return -1;
			}
		for (int e = 0; e < 4; e++) {
			int row, col;
			mma_model_c_pos(l, e, &row, &col);
			if (row < 0 || row >= 16 || col < 0 || col >= 8 || seen_c[row][col]++)
				return -1;
		}
	}
	return 0;   /* 32 lanes x 128 = 4096 = 16 x 256 etc.: injective on equal sizes is onto */
}

/*
 * Host model of the warpgroup-level
 *   wgmma.mma_async.sync.aligned.m64nNk256.s32.b1.b1.and.popc d, a-desc, b-desc, 1
 * (sm_90a) with both operands K-major in shared memory, no swizzle, from the
 * PTX ISA ("Shared Memory Matrix Layout", "Matrix Descriptor Format"):
 *   descriptor bits 13-0 start address >> 4, 29-16 leading dimension byte
 *   offset (LBO) >> 4, 45-32 stride dimension byte offset (SBO) >> 4,
 *   63-62 swizzle mode (0 = none, the only mode modelled: others fail).
 *   K-major, no swizzle, canonical layout ((8,m),(T,2k)):((1T,SBO),(1,LBO))
 *   with T = 128 one-bit elements (16 bytes): element (row, kk) of a 64 x 256
 *   (A) or N x 256 (B) operand is bit kk % 8 of byte
 *   start + 16 (row % 8) + SBO (row / 8) + LBO (kk / 128) + (kk % 128) / 8.
 *   (Bit order within the byte: low bit first, as in the mma register
 *   fragments; the ISA text does not spell it out for shared memory.)
 * D (64 x N s32, N / 2 registers per thread of the 128): as the ISA's
 * figure for m64nNk256 shows, warp w = tid / 32 of the warpgroup holds rows
 * 16w .. 16w + 15, and register 4j + e of lane l is row 16w + l / 4 +
 * 8 (e >> 1), column 8j + 2 (l % 4) + (e & 1): per n8 column block, the
 * m16n8 accumulator layout. (The layout is given as a figure, not text:
 * transcribed here, not read from a formula.)
 * smem is the host byte array standing for shared memory; descriptor start
 * addresses are offsets into it. d is [128][n / 2]. Returns 0, or -1 for a
 * descriptor this model does not cover (swizzled) or one that reads outside
 * smem_bytes.
 */
static inline int mma_model_wgmma_m64nNk256_and(const uint8_t *smem, uint32_t smem_bytes,
						uint64_t desc_a, uint64_t desc_b, int n,
						int32_t *d)
{
	const uint64_t descs[2] = { desc_a, desc_b };
	static uint8_t am[64][256], bm[256][256];
	for (int op = 0; op < 2; op++) {
		uint64_t desc = descs[op];
		uint32_t start = (uint32_t)(desc & 0x3fffu) << 4;
		uint32_t lbo = (uint32_t)((desc >> 16) & 0x3fffu) << 4;
		uint32_t sbo = (uint32_t)((desc >> 32) & 0x3fffu) << 4;
		if ((desc >> 62) != 0)
			return -1;
		int rows = op ? n : 64;
		for (int r = 0; r < rows; r++)
			for (int kk = 0; kk < 256; kk++) {
				uint32_t byte = start + 16u * (uint32_t)(r % 8) + sbo * (uint32_t)(r / 8) +
						lbo * (uint32_t)(kk / 128) + (uint32_t)(kk % 128) / 8;
				if (byte >= smem_bytes)
					return -1;
				uint8_t bit = (uint8_t)((smem[byte] >> (kk % 8)) & 1u);
				if (op)
					bm[r][kk] = bit;
				else
					am[r][kk] = bit;
			}
	}
	for (int tid = 0; tid < 128; tid++) {
		int w = tid / 32, l = tid % 32;
		for (int i = 0; i < n / 2; i++) {
			int j = i / 4, e = i % 4;
			int row = 16 * w + l / 4 + 8 * (e >> 1), col = 8 * j + 2 * (l % 4) + (e & 1);
			int s = 0;
			for (int kk = 0; kk < 256; kk++)
				s += am[row][kk] & bm[col][kk];
			d[tid * (n / 2) + i] += s;
		}
	}
	return 0;
}

#endif
