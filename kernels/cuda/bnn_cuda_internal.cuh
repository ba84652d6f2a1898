/*
 * Internal to kernels/cuda (C++ only, never included from C): what several
 * .cu files share. The device probe, the packing of float rows into the
 * K-contiguous bit layout of bnn_cuda.h, and the 1-bit MMA instructions.
 */
#ifndef BNN_CUDA_INTERNAL_CUH
#define BNN_CUDA_INTERNAL_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#define BNN_CUDA_TILE 64    /* packed rows pad to a multiple of this many rows */
#define BNN_CUDA_KBITS 256  /* packed rows pad to one m16n8k256 step */
#define BNN_CUDA_KW32 (BNN_CUDA_KBITS / 32)

/* Compute capability major of device 0, or 0 when there is no usable device. */
int bnn_cuda_device_major(void);
/* Its properties (valid only when bnn_cuda_device_major() > 0). */
const cudaDeviceProp *bnn_cuda_device_props(void);

/*
 * Packs rows x k floats on the device (row-major, row stride k) into p,
 * [rows_p][kw32] 32-bit words, bit = (x < 0), zero bits past k and past
 * rows. Launches on the default stream; returns the launch status.
 */
cudaError_t bnn_cuda_pack(const float *d_x, int64_t rows, int64_t k, int64_t rows_p,
			  int64_t kw32, uint32_t *p);
/*
 * A failed GPU call of the kernel table: records why for bnn_cuda_last_error
 * ("what: cudaErrorX (text)"; e, or the runtime's last error when e is
 * cudaSuccess; "" when neither holds one) and clears the runtime's
 * last-error slot, so that the failure does not fail the next launch check.
 * Returns the error recorded.
 */
cudaError_t bnn_cuda_fail(const char *what, cudaError_t e);
/* The same for a library's own status text (cuBLASLt). */
void bnn_cuda_fail_text(const char *what, const char *text);

/* out[r] = popc of packed row r, for r < rows_p (default stream). */
cudaError_t bnn_cuda_popcounts(const uint32_t *p, int64_t rows_p, int64_t kw32, int32_t *out);

/*
 * D += popc(A AND B) over 256 bits, m16n8k256, A row-major, B column-major
 * (both K-contiguous). Fragments (PTX ISA, b1 m16n8k256; g = lane / 4,
 * t = lane % 4): a0/a1 hold word t of rows g / g + 8 of the 256-bit step,
 * a2/a3 word t + 4 of the same rows; b0/b1 words t / t + 4 of column g;
 * c0,c1 row g, columns 2t, 2t + 1; c2,c3 row g + 8.
 */
__device__ __forceinline__ void bnn_mma_b1_and(int (&d)[4], const uint32_t (&a)[4],
					   const uint32_t (&b)[2])
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
	__trap();   /* no .and.popc before sm_80; supports() keeps us from here */
#else
	asm volatile("mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.and.popc "
		     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
		     : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
		     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

/*
 * D += popc(A XOR B), same fragments. Native on sm_80..89 (BMMA.XOR.POPC);
 * from sm_90 on, ptxas lowers each one to a call of a routine that does two
 * BMMA.AND.POPC on complemented operands (a XOR b = a AND NOT b + NOT a AND
 * b; seen in the sm_90 SASS), so there its entry is the _emulated one.
 */
__device__ __forceinline__ void bnn_mma_b1_xor(int (&d)[4], const uint32_t (&a)[4],
					   const uint32_t (&b)[2])
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
	__trap();   /* absent before sm_80: supports() skips */
#else
	asm volatile("mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.xor.popc "
		     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
		     : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
		     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}


#endif
