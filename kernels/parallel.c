/*
 * A small fork-join pool: workers wait for a generation counter between
 * jobs and the caller works as thread 0, then waits for the others. Both
 * waits spin for a few tens of microseconds before sleeping on a condition
 * variable: a network runs some hundred short jobs per image (packing,
 * convs, output transforms of 13 blocks), and on a VM a futex wake-up per
 * job cost more than the second thread gained. The job's fields are
 * written before the counter is released and read after it is acquired;
 * sleepers are woken under the mutex, so no wake-up is lost.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "parallel.h"

/* Spin iterations before sleeping (each a pause: some tens of microseconds). */
#define SPIN_LIMIT 20000

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

#define MAX_THREADS 256

static struct {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	pthread_t tid[MAX_THREADS];
	int nthreads;       /* including the caller */
	_Atomic uint64_t gen;  /* incremented per job (release), after its fields */
	_Atomic int pending;   /* workers still busy with this job */
	_Atomic int stop;
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
	for (;;) {
		/* Spin a while for the next job, then sleep. */
		for (int i = 0; i < SPIN_LIMIT && atomic_load_explicit(&pool.gen,
				memory_order_acquire) == seen && !atomic_load(&pool.stop); i++)
			cpu_relax();
		if (atomic_load_explicit(&pool.gen, memory_order_acquire) == seen &&
		    !atomic_load(&pool.stop)) {
			pthread_mutex_lock(&pool.mu);
			while (atomic_load(&pool.gen) == seen && !atomic_load(&pool.stop))
				pthread_cond_wait(&pool.go, &pool.mu);
			pthread_mutex_unlock(&pool.mu);
		}
		if (atomic_load(&pool.stop))
			break;
		seen = atomic_load_explicit(&pool.gen, memory_order_acquire);
		bnn_task_fn fn = pool.fn;
		void *ctx = pool.ctx;
		int64_t b, e;
		range_of(t, pool.nthreads, pool.n, pool.grain, &b, &e);
		if (b < e)
			fn(ctx, b, e, t);
		if (atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel) == 1) {
			/* The last one out: wake the caller if it went to sleep. */
			pthread_mutex_lock(&pool.mu);
			pthread_cond_signal(&pool.done);
			pthread_mutex_unlock(&pool.mu);
		}
	}
	return NULL;
}

void bnn_parallel_shutdown(void)
{
	pthread_mutex_lock(&pool.mu);
	atomic_store(&pool.stop, 1);
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);
	for (int t = 1; t < pool.nthreads; t++)
		pthread_join(pool.tid[t], NULL);
	/* The next pool's workers start having seen generation 0: left at the
	 * last job's, they would run that job again, on a state long freed. */
	atomic_store(&pool.gen, 0);
	atomic_store(&pool.stop, 0);
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
	atomic_store_explicit(&pool.pending, nt - 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&pool.gen, 1, memory_order_release);
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);

	int64_t b, e;
	range_of(0, nt, n, grain, &b, &e);
	if (b < e)
		fn(ctx, b, e, 0);

	for (int i = 0; i < SPIN_LIMIT &&
			atomic_load_explicit(&pool.pending, memory_order_acquire) > 0; i++)
		cpu_relax();
	if (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0) {
		pthread_mutex_lock(&pool.mu);
		while (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0)
			pthread_cond_wait(&pool.done, &pool.mu);
		pthread_mutex_unlock(&pool.mu);
	}
}
