/*
 * probe.h: the peak probes, tight in-cache loops that measure what this
 * machine can do at best, so that every benchmark result can state its
 * efficiency (achieved / probed peak) against a number measured on the same
 * machine in the same run (machine/peak.c drives them).
 *
 * A probe is an upper bound, not a kernel: no dependency chain limits it
 * (several independent accumulators), its working set sits in L1, and its
 * result is returned so the compiler cannot drop the work.
 *
 * Each ISA's loops live in that ISA's folder and are compiled with that
 * ISA's flags only (kernels/generic: none; kernels/avx2: -mavx2 -mfma
 * -mpopcnt; kernels/avx512: -mavx512f -mavx512bw -mavx512vpopcntdq
 * -mavx512vl -mpopcnt -mfma). Calling one whose ISA bnn_isa_available()
 * denies is an illegal instruction: the caller checks first.
 */
#ifndef BNN_KPROBE_H
#define BNN_KPROBE_H

#include <stddef.h>
#include <stdint.h>

/*
 * XOR-popcount probes, the instruction mix of a register-blocked binary
 * GEMM microkernel: a holds BNN_PROBE_ROWS rows and b holds BNN_PROBE_ROWS
 * rows, each of `words` 64-bit words, row r at a + r * words; every one of
 * the 4 x 4 row pairs is XORed and counted, as a 4x4 bgemm tile does over
 * its K loop, so that each loaded vector feeds several XOR+popcount+
 * accumulate steps.
 *
 * Returns reps * sum over the 16 pairs (i, j) of
 * sum_w popcount(a[i][w] ^ b[j][w]), exactly: the total is returned so
 * the work cannot be dropped. Binary MACs done: reps * 16 * words * 64
 * (BNN_PROBE_XORPOPC_BITS), TOPS = 2 * that / seconds / 1e12 (doc/bnn-math.md section 7).
 *
 * words >= 1 (any value: tails below a vector are counted too); reps >= 0.
 * The buffers are only read. Keep 2 * 4 * words * 8 bytes well inside L1
 * (the harness uses words = 256: 16 KiB).
 */
#define BNN_PROBE_ROWS 4
#define BNN_PROBE_XORPOPC_BITS(words, reps) \
	((double)(reps) * BNN_PROBE_ROWS * BNN_PROBE_ROWS * (double)(words) * 64.0)

/*
 * Portable C, no ISA flags: SWAR per-byte counts (generic/popcount.h),
 * three loops (all exact; the harness times each and the generic peak is
 * the fastest, so that no generic kernel's loop can beat it):
 *   _1x4: one a row against four b rows, byte counters flushed every 31
 *         words: the generic bgemm's inner loop (bnn_popc_xor_1x4);
 *   _8w:  one pair at a time, a horizontal sum every 8 words: the generic
 *         conv's, ReActNet block's and example GEMM's (bnn_popc_xor);
 *   _16w: as _8w with a sum every 16 words.
 * bnn_probe_xorpopc__generic is the one measured fastest where this was
 * written (_16w; probe_generic.c has the numbers).
 */
int64_t bnn_probe_xorpopc__generic(const uint64_t *a, const uint64_t *b, int64_t words,
				   int64_t reps);
int64_t bnn_probe_xorpopc__generic_1x4(const uint64_t *a, const uint64_t *b, int64_t words,
				       int64_t reps);
int64_t bnn_probe_xorpopc__generic_8w(const uint64_t *a, const uint64_t *b, int64_t words,
				      int64_t reps);
int64_t bnn_probe_xorpopc__generic_16w(const uint64_t *a, const uint64_t *b, int64_t words,
				       int64_t reps);

/*
 * AVX2, three ways of counting (all exact; the harness times each and the
 * AVX2 peak is the fastest):
 *   _lut:    256-bit XOR, nibble lookup with vpshufb (16-entry table, low
 *            and high nibble), byte accumulators flushed with vpsadbw
 *            before a byte can overflow; blocked 2x4 (8 accumulators:
 *            a 4x4 tile's 16 would not fit in 16 ymm registers).
 *   _popcnt: scalar 64-bit XOR + POPCNT, the 4x4 tile's 16 independent
 *            64-bit accumulators per word.
 *   _hs:     Harley-Seal carry-save adders over 16 vectors per pair
 *            before one vpshufb count; streams one pair at a time (its CSA
 *            state per pair does not fit a 4x4 tile in registers).
 * bnn_probe_xorpopc__avx2 is the one measured fastest on the AMD EPYC
 * (Zen 3 family) this was written on: Harley-Seal (probe_avx2.c has the
 * numbers).
 */
int64_t bnn_probe_xorpopc__avx2(const uint64_t *a, const uint64_t *b, int64_t words,
				int64_t reps);
int64_t bnn_probe_xorpopc__avx2_lut(const uint64_t *a, const uint64_t *b, int64_t words,
				    int64_t reps);
int64_t bnn_probe_xorpopc__avx2_popcnt(const uint64_t *a, const uint64_t *b, int64_t words,
				       int64_t reps);
int64_t bnn_probe_xorpopc__avx2_hs(const uint64_t *a, const uint64_t *b, int64_t words,
				   int64_t reps);

/* AVX-512: 512-bit XOR + VPOPCNTQ + 64-bit add, the full 4x4 tile (16
 * accumulators of 32 zmm registers): the AVX-512 GEMM's own tile function
 * (avx512/xpc_kernel.h), masked tail step and reduction included. Needs
 * AVX-512F/BW/VL + VPOPCNTDQ. */
int64_t bnn_probe_xorpopc__avx512(const uint64_t *a, const uint64_t *b, int64_t words,
				  int64_t reps);

/*
 * FP32 multiply-add probes: each rep updates every accumulator once with
 * acc = acc * m + c (m < 1, so the values stay finite and away from
 * denormals whatever reps is). Returns the sum of the accumulators.
 * FLOPs done = reps * BNN_PROBE_FMA_FLOPS_PER_REP_<ISA> (a multiply-add is
 * 2 FLOPs, fused or not).
 *   generic: 12 independent 4-float vector accumulators (SSE2 or NEON
 *            through the compiler's vector extension), separate multiply
 *            and add (no FMA without ISA flags);
 *   avx2:    12 independent 256-bit FMA accumulators (latency 4 x 2 pipes
 *            needs 8; 12 leaves margin and fits 16 registers);
 *   avx512:  24 independent 512-bit FMA accumulators.
 */
#define BNN_PROBE_FMA_FLOPS_PER_REP_GENERIC (12 * 4 * 2)
#define BNN_PROBE_FMA_FLOPS_PER_REP_AVX2 (12 * 8 * 2)
#define BNN_PROBE_FMA_FLOPS_PER_REP_AVX512 (24 * 16 * 2)
double bnn_probe_fma__generic(int64_t reps);
double bnn_probe_fma__avx2(int64_t reps);
double bnn_probe_fma__avx512(int64_t reps);

/*
 * STREAM triad, reps times: a[i] = b[i] + BNN_PROBE_TRIAD_SCALAR * c[i],
 * i < n. Portable C (baseline SSE2 vectorization is enough for bandwidth).
 * Bytes moved per rep, STREAM's convention: 3 arrays, 12 bytes per element
 * (the write-allocate read of a[] is not counted, so the figure is
 * comparable with published STREAM results): BNN_PROBE_TRIAD_BYTES(n, reps).
 * a must not overlap b or c. Returns a[0] + a[n - 1] (0 when n is 0).
 */
#define BNN_PROBE_TRIAD_SCALAR 3.0f
#define BNN_PROBE_TRIAD_BYTES(n, reps) (12.0 * (double)(n) * (double)(reps))
double bnn_probe_triad(float *a, const float *b, const float *c, size_t n, int64_t reps);

#endif
