/*
 * localpeak.h: the peak measured again right beside each result. On a
 * shared machine the speed can change by half within a run (seen on this
 * project's VMs), so a peak probed once at the start can make a later
 * result read as 140% "efficient". Each result's efficiency is therefore
 * taken against a short probe run on the same worker pool, at the same
 * thread count, milliseconds after the kernel's own timing.
 */
#ifndef BNN_LOCALPEAK_H
#define BNN_LOCALPEAK_H

#include "bnn_kernels.h"

/*
 * XOR-popcount TOPS (2 ops per binary MAC) of isa's fastest probe loop, on
 * every thread of the worker pool at once (each on its own in-L1 buffers):
 * the best of a few windows of about seconds each. NaN when isa has no
 * probe loop in this build or does not run here.
 */
double bnn_local_peak_tops(bnn_isa_t isa, double seconds);

/* FP32 FMA GFLOPS of the best ISA, measured the same way. */
double bnn_local_peak_gflops(double seconds);

/* Frees the per-thread buffers (after the pool is stopped or idle). */
void bnn_local_peak_free(void);

#endif
