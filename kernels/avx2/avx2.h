/*
 * avx2.h: the AVX2 kernels' shared parts (compiled with -mavx2 -mpopcnt
 * -mfma only). The packed XOR-popcount GEMM core here also serves the
 * convolution, which packs each block of output pixels' taps into GEMM rows.
 */
#ifndef BNN_AVX2_H
#define BNN_AVX2_H

#include <stdint.h>
#include "bnn_kernels.h"

/* Packed rows are padded to a multiple of this many words (one ymm)... */
#define BNN_AVX2_ALIGN_WORDS 4

/* ...except rows of one or two words, which the GEMM core packs several to
 * a vector: the words a packed row of `words` words takes. */
static inline int64_t bnn_avx2_row_words(int64_t words)
{
	return words <= 2 ? words :
			    (words + BNN_AVX2_ALIGN_WORDS - 1) / BNN_AVX2_ALIGN_WORDS *
				    BNN_AVX2_ALIGN_WORDS;
}

void bnn_pack_rows__avx2(const float *x, int64_t rows, int64_t len, int64_t ld, uint64_t *out,
			 int64_t words_per_row);
/* RSign fused into packing, as bnn_pack_rsign__generic (generic.h). */
void bnn_pack_rsign__avx2(const float *x, const float *shift, int64_t rows, int64_t len,
			  int64_t ld, uint64_t *out, int64_t words_per_row);

/*
 * pop[i][j] = popcount(A_i xor B_j) over wpr words (a multiple of
 * BNN_AVX2_ALIGN_WORDS), A rows a apart by lda words, B rows by ldb; the
 * result goes to c[i*ldc + j] as k - 2*pop. Splits the rows of A over the
 * worker pool when parallel is set.
 */
void bnn_bgemm_core__avx2(const uint64_t *a, int64_t lda, const uint64_t *b, int64_t ldb,
			  int64_t m, int64_t n, int64_t wpr, int64_t k, int32_t *c, int64_t ldc,
			  int parallel);

int bnn_bgemm_prepare__avx2(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_bgemm_run__avx2(void *state, void *out);
void bnn_bgemm_release__avx2(void *state);

int bnn_bconv_prepare__avx2(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_bconv_run__avx2(void *state, void *out);
void bnn_bconv_release__avx2(void *state);

int bnn_bwn_prepare__avx2(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
int bnn_bwn_run__avx2(void *state, void *out);
void bnn_bwn_release__avx2(void *state);

/* The ReActNet loops built with the AVX2 flags (reactnet_avx2.c). */
#include "generic/generic.h"
extern const bnn_rnet_loops_t bnn_rnet_loops__avx2;

#endif
