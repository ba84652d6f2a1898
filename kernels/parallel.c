/*
 * A small fork-join pool: workers sleep on a condition variable between
 * jobs and are woken by a generation counter; the caller works as thread 0
 * and waits for the others on a second condition variable. Kernels run
 * long enough (tens of microseconds and up) that a wake-up per job is
 * cheap next to the work; tiny problems run single-threaded anyway when
 * they have fewer grains than threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include "parallel.h"

#define MAX_THREADS 256

static struct {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	pthread_t tid[MAX_THREADS];
	int nthreads;       /* including the caller */
	uint64_t gen;       /* incremented per job */
	int pending;        /* workers still busy with this job */
	int stop;
	/* the job */
	bnn_task_fn fn;
	void *ctx;
	int64_t n, grain;
	bnn_bind_fn bind;
	void *bind_arg;
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER, .go = PTHREAD_COND_INITIALIZER,
	   .done = PTHREAD_COND_INITIALIZER, .nthreads = 1 };

/* The range of thread t: grains dealt out as evenly as possible. */
static void range_of(int t, int nt, int64_t n, int64_t grain, int64_t *b, int64_t *e)
{
	int64_t grains = (n + grain - 1) / grain;
	int64_t per = grains / nt, extra = grains % nt;
	int64_t g0 = t * per + (t < extra ? t : extra);
	int64_t g1 = g0 + per + (t < extra);
	*b = g0 * grain;
	*e = g1 * grain < n ? g1 * grain : n;
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t seen = 0;
	if (pool.bind)
		pool.bind(pool.bind_arg, t);
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		while (pool.gen == seen && !pool.stop)
			pthread_cond_wait(&pool.go, &pool.mu);
		if (pool.stop)
			break;
		seen = pool.gen;
		bnn_task_fn fn = pool.fn;
		void *ctx = pool.ctx;
		int64_t b, e;
		range_of(t, pool.nthreads, pool.n, pool.grain, &b, &e);
		pthread_mutex_unlock(&pool.mu);
		if (b < e)
			fn(ctx, b, e, t);
		pthread_mutex_lock(&pool.mu);
		if (--pool.pending == 0)
			pthread_cond_signal(&pool.done);
	}
	pthread_mutex_unlock(&pool.mu);
	return NULL;
}

void bnn_parallel_shutdown(void)
{
	pthread_mutex_lock(&pool.mu);
	pool.stop = 1;
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);
	for (int t = 1; t < pool.nthreads; t++)
		pthread_join(pool.tid[t], NULL);
	pool.stop = 0;
	pool.nthreads = 1;
}

int bnn_parallel_init(int nthreads, bnn_bind_fn bind, void *bind_arg)
{
	int rc = 0;
	bnn_parallel_shutdown();
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	pool.bind = bind;
	pool.bind_arg = bind_arg;
	if (bind)
		bind(bind_arg, 0);
	for (int t = 1; t < nthreads; t++) {
		rc = pthread_create(&pool.tid[t], NULL, worker, (void *)(intptr_t)t);
		if (rc != 0) {
			rc = -rc;
			break;
		}
		pool.nthreads = t + 1;
	}
	return rc;
}

int bnn_parallel_threads(void)
{
	return pool.nthreads;
}

void bnn_parallel_for(int64_t n, int64_t grain, bnn_task_fn fn, void *ctx)
{
	if (grain < 1)
		grain = 1;
	int nt = pool.nthreads;
	if (nt == 1 || n <= grain) {
		if (n > 0)
			fn(ctx, 0, n, 0);
		return;
	}
	pthread_mutex_lock(&pool.mu);
	pool.fn = fn;
	pool.ctx = ctx;
	pool.n = n;
	pool.grain = grain;
	pool.pending = nt - 1;
	pool.gen++;
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);

	int64_t b, e;
	range_of(0, nt, n, grain, &b, &e);
	if (b < e)
		fn(ctx, b, e, 0);

	pthread_mutex_lock(&pool.mu);
	while (pool.pending > 0)
		pthread_cond_wait(&pool.done, &pool.mu);
	pthread_mutex_unlock(&pool.mu);
}
