/*
 * peers.h: what a user would otherwise run, timed beside our binary kernels.
 *
 * A peer is an ordinary bnn_kernel_t (same prepare/run/release contract,
 * same checks), kept in its own table so that reports show it apart. It is
 * fed the binarized inputs as +-1 values (sign(x) = +1 if x >= 0, so -0.0
 * gives +1), hence its dot products are small integers and its output must
 * equal the golden reference exactly (BWN: within the same rounding bound
 * as our kernels, its activations being real).
 *
 * The peers come from optional libraries (configure: --with-openblas,
 * --with-dnnl). Built without them, the table is empty (bnn_peer_count 0).
 */
#ifndef BNN_PEERS_H
#define BNN_PEERS_H

#include <stddef.h>
#include "bnn_kernels.h"

/* The peer table; bnn_peers[i] is valid for i < bnn_peer_count only. */
extern const bnn_kernel_t bnn_peers[];
extern const size_t bnn_peer_count;

/*
 * Sets the number of threads the peer libraries use (OpenBLAS, and oneDNN's
 * OpenMP runtime for the calling thread). Call it from the thread that runs
 * the peers, before their prepare: oneDNN sizes its work split when a
 * primitive is created. n < 1 is taken as 1. Does nothing without peers.
 */
void bnn_peers_set_threads(int n);

/*
 * The peer libraries and their versions as loaded at run time, e.g.
 * "OpenBLAS 0.3.21 (pthread, Haswell), oneDNN 2.6.3 (OpenMP)", or "none".
 * Points to static storage, rebuilt by each call; not thread safe.
 */
const char *bnn_peers_versions(void);

/*
 * Whether OpenBLAS's kernel core (openblas_get_corename(), core) falls
 * short of the vector ISA the CPU reports (cpu_features, as
 * bnn_cpu_features()): a core without AVX2 on an AVX2 CPU, which happens
 * when the library predates the CPU model and falls back to its oldest x86
 * kernels (OpenBLAS 0.3.21 runs "Prescott" SSE3 code on an Emerald Rapids
 * Xeon, 4.8x slower on sgemm than its SkylakeX core there). Returns 1 and
 * writes into msg what the sgemm ratios then mean and the OPENBLAS_CORETYPE
 * that fixes it; else 0. Pure, for the tests.
 */
int bnn_openblas_core_short(const char *core, const char *cpu_features, char *msg, size_t len);

/* bnn_openblas_core_short on the OpenBLAS loaded and this CPU: the note,
 * or NULL (also without OpenBLAS). Static storage. */
const char *bnn_peers_caveat(void);

#endif
