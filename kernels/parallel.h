/*
 * parallel.h: the worker pool the kernels split their work over. One pool
 * per process, sized once by the harness (--threads); kernels only call
 * bnn_parallel_for, so a kernel never creates threads and a run with one
 * thread has no synchronization at all.
 */
#ifndef BNN_PARALLEL_H
#define BNN_PARALLEL_H

#include <stdint.h>

/* Work on items [begin, end) as thread tid of nthreads. */
typedef void (*bnn_task_fn)(void *ctx, int64_t begin, int64_t end, int tid);

/* Called once in each worker thread (tid 1..n-1) when it starts, and in the
 * calling thread (tid 0) by bnn_parallel_init: binds it to a core. */
typedef void (*bnn_bind_fn)(void *arg, int tid);

/*
 * Starts nthreads - 1 workers (the caller is thread 0). bind may be NULL.
 * Returns 0, or a negative errno when a thread could not start (the pool
 * then runs with the threads it has; bnn_parallel_threads() says how many).
 * Calling it again first stops the previous pool.
 */
int bnn_parallel_init(int nthreads, bnn_bind_fn bind, void *bind_arg);

/* Threads in the pool (1 before init). */
int bnn_parallel_threads(void);

/*
 * Splits [0, n) into one contiguous range per thread, each a multiple of
 * grain items (the last takes the rest), runs fn on every non-empty range
 * and returns when all are done. Not reentrant: fn must not call it.
 */
void bnn_parallel_for(int64_t n, int64_t grain, bnn_task_fn fn, void *ctx);

/* Stops and joins the workers. */
void bnn_parallel_shutdown(void);

#endif
