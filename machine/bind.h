/* bind.h: worker threads bound to cores through hwloc, when it is there. */
#ifndef BNN_BIND_H
#define BNN_BIND_H

#include <stddef.h>

/*
 * Starts the kernels' worker pool with nthreads threads, bound one per core
 * (round robin over the cores hwloc finds) when bind is set and hwloc is
 * built in. desc gets what was done, e.g. "hwloc: 2 threads on cores
 * 0,1" or "none (built without hwloc)", stored with every result.
 * Returns 0, or -1 with the reason in desc.
 */
int bnn_bind_start(int nthreads, int bind, char *desc, size_t len);

/*
 * Lets the calling thread (thread 0 of the pool) run anywhere, and binds it
 * back. Peer libraries create their own threads (OpenMP) from the caller,
 * and a new thread inherits the caller's binding: run them in between, or
 * all their threads share one core. No-ops without a bound pool.
 */
void bnn_bind_caller_release(void);
void bnn_bind_caller_restore(void);

/* Stops the pool and frees the topology. */
void bnn_bind_stop(void);

#endif
