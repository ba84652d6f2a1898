/*
 * The peak probes' driver (kernels/probe.h): threads, calibration, timing.
 *
 * One measurement = one pool of worker threads, created for it and kept
 * for its calibration and its timed repetitions, so that thread start-up
 * is never timed and each worker's buffers are first touched (and so
 * placed, on a NUMA machine) by the thread that uses them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bnn_rand.h"
#include "peak.h"
#include "timing.h"
#include "probe.h"
#include "bnn_kernels.h"
#ifdef BNN_HAVE_CUDA
#include "cuda/bnn_cuda_info.h"
#endif

#define MAX_REPEATS 64
/* The longest repetition, and how many rates one row keeps at most. */
#define SHORT_REP_S 5e-4
#define MAX_RATES 4096
#define DEFAULT_TRIAD_BYTES ((size_t)64 << 20)

typedef bnn_xorpopc_fn xorpopc_fn;
typedef double (*fma_fn)(int64_t);

typedef enum { PROBE_XORPOPC, PROBE_FMA, PROBE_TRIAD } probe_kind_t;

/* What one measurement runs. */
typedef struct {
	probe_kind_t kind;
	xorpopc_fn xorpopc;
	fma_fn fma;
	double flops_per_rep;   /* FMA */
	size_t triad_n;         /* triad: elements of each whole array */
} probe_spec_t;

typedef struct pool pool_t;

typedef struct {
	pool_t *pool;
	int id;
	pthread_t th;
	uint64_t *a, *b;        /* xorpopc: private in-L1 rows */
	float *ta, *tb, *tc;    /* triad: private slices */
	size_t tn;
	int64_t expect;         /* xorpopc: the naive count of one rep */
	uint64_t t0[MAX_REPEATS], t1[MAX_REPEATS];
	volatile double sink;   /* keeps every result alive */
} worker_t;

struct pool {
	const probe_spec_t *spec;
	int threads;
	int cpus[CPU_SETSIZE];  /* where to pin worker i, when ncpus >= threads */
	int ncpus;
	pthread_barrier_t bar;  /* the workers and the main thread */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int gate;               /* 0: wait, 1: go, -1: abort (before the barrier) */
	/* A command, posted by the main thread before the command barrier. */
	int64_t reps;
	int nrep;
	int quit;
	int failed;             /* a worker could not get its buffers */
	worker_t *w;
};

/* Takes the worker's buffers and touches them: 0, or -ENOMEM. */
static int worker_setup(worker_t *w)
{
	const probe_spec_t *s = w->pool->spec;
	if (s->kind == PROBE_XORPOPC) {
		size_t bytes = BNN_PROBE_ROWS * BNN_PROBE_WORDS * sizeof(uint64_t);
		w->a = aligned_alloc(64, bytes);
		w->b = aligned_alloc(64, bytes);
		if (!w->a || !w->b)
			return -ENOMEM;
		uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(w->id + 1);
		for (int i = 0; i < BNN_PROBE_ROWS * BNN_PROBE_WORDS; i++) {
			w->a[i] = bnn_splitmix64(&seed);
			w->b[i] = bnn_splitmix64(&seed);
		}
		/* The answer the probe must give per rep (only a bug breaks it). */
		int64_t p = 0;
		for (int i = 0; i < BNN_PROBE_ROWS; i++)
			for (int j = 0; j < BNN_PROBE_ROWS; j++)
				for (int k = 0; k < BNN_PROBE_WORDS; k++)
					p += __builtin_popcountll(w->a[i * BNN_PROBE_WORDS + k] ^
								 w->b[j * BNN_PROBE_WORDS + k]);
		w->expect = p;
	} else if (s->kind == PROBE_TRIAD) {
		/* Each thread its slice of the three arrays, STREAM's split. */
		int t = w->pool->threads;
		size_t lo = s->triad_n * (size_t)w->id / (size_t)t;
		size_t hi = s->triad_n * (size_t)(w->id + 1) / (size_t)t;
		w->tn = hi - lo;
		size_t bytes = (w->tn ? w->tn : 1) * sizeof(float);
		bytes = (bytes + 63) / 64 * 64;
		w->ta = aligned_alloc(64, bytes);
		w->tb = aligned_alloc(64, bytes);
		w->tc = aligned_alloc(64, bytes);
		if (!w->ta || !w->tb || !w->tc)
			return -ENOMEM;
		for (size_t i = 0; i < w->tn; i++) {
			w->ta[i] = 0.0f;
			w->tb[i] = 1.0f;
			w->tc[i] = 2.0f;
		}
	}
	return 0;
}

static void worker_run(worker_t *w, int64_t reps)
{
	const probe_spec_t *s = w->pool->spec;
	switch (s->kind) {
	case PROBE_XORPOPC: {
		int64_t got = s->xorpopc(w->a, w->b, BNN_PROBE_WORDS, reps);
		assert(got == reps * w->expect);
		w->sink = (double)got;
		break;
	}
	case PROBE_FMA:
		w->sink = s->fma(reps);
		break;
	case PROBE_TRIAD:
		w->sink = bnn_probe_triad(w->ta, w->tb, w->tc, w->tn, reps);
		break;
	}
}

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	pool_t *p = w->pool;

	pthread_mutex_lock(&p->mu);
	while (p->gate == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	int go = p->gate > 0;
	pthread_mutex_unlock(&p->mu);
	if (!go)
		return NULL;

	/* Pinned so the threads of a measurement never share a core (best
	 * effort: a refusal leaves the scheduler to place them). */
	if (p->ncpus >= p->threads) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(p->cpus[w->id], &set);
		(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	if (worker_setup(w) != 0) {
		pthread_mutex_lock(&p->mu);
		p->failed = 1;
		pthread_mutex_unlock(&p->mu);
	}
	pthread_barrier_wait(&p->bar);   /* ready */
	for (;;) {
		pthread_barrier_wait(&p->bar);   /* a command was posted */
		if (p->quit)
			break;
		for (int r = 0; r < p->nrep; r++) {
			pthread_barrier_wait(&p->bar);   /* start together */
			w->t0[r] = bnn_now_ns();
			worker_run(w, p->reps);
			w->t1[r] = bnn_now_ns();
		}
		pthread_barrier_wait(&p->bar);   /* all done */
	}
	free(w->a);
	free(w->b);
	free(w->ta);
	free(w->tb);
	free(w->tc);
	return NULL;
}

/* Runs nrep timed repetitions of reps; wall[r] = from the first thread's
 * start to the last one's finish, in seconds. */
static void pool_command(pool_t *p, int64_t reps, int nrep, double *wall)
{
	p->reps = reps;
	p->nrep = nrep;
	pthread_barrier_wait(&p->bar);
	for (int r = 0; r < nrep; r++)
		pthread_barrier_wait(&p->bar);
	pthread_barrier_wait(&p->bar);
	for (int r = 0; r < nrep; r++) {
		uint64_t t0 = UINT64_MAX, t1 = 0;
		for (int i = 0; i < p->threads; i++) {
			if (p->w[i].t0[r] < t0)
				t0 = p->w[i].t0[r];
			if (p->w[i].t1[r] > t1)
				t1 = p->w[i].t1[r];
		}
		wall[r] = (double)(t1 - t0) * 1e-9;
	}
}

/* The CPUs this process may run on, in order; returns their number. */
static int allowed_cpus(int *cpus)
{
	cpu_set_t set;
	int n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * One row: threads workers running spec, calibrated so that each of nrep
 * repetitions takes about min_time / nrep; the rate of a repetition is
 * work_per_rep * reps * threads-or-1 / wall * scale. Returns 0 or a
 * negative errno (nothing measured).
 */
static int measure(const probe_spec_t *spec, int threads, double min_time, int nrep,
		   double work_per_rep, double scale, double *best, double *median)
{
	pool_t *p = calloc(1, sizeof(*p));
	double wall[MAX_REPEATS];
	static double rate[MAX_RATES];   /* one measurement at a time (the probe is serial) */
	int rc = 0, created = 0, barrier = 0, sync = 0;
	if (!p)
		return -ENOMEM;
	p->spec = spec;
	p->threads = threads;
	p->ncpus = allowed_cpus(p->cpus);
	p->w = calloc((size_t)threads, sizeof(worker_t));
	if (!p->w) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = pthread_mutex_init(&p->mu, NULL)) != 0) {
		rc = -rc;
		goto out;
	}
	if ((rc = pthread_cond_init(&p->cv, NULL)) != 0) {
		pthread_mutex_destroy(&p->mu);
		rc = -rc;
		goto out;
	}
	sync = 1;
	if ((rc = pthread_barrier_init(&p->bar, NULL, (unsigned)threads + 1)) != 0) {
		rc = -rc;
		goto out;
	}
	barrier = 1;
	for (; created < threads; created++) {
		p->w[created].pool = p;
		p->w[created].id = created;
		if ((rc = pthread_create(&p->w[created].th, NULL, worker_main, &p->w[created])) != 0) {
			rc = -rc;
			break;
		}
	}
	/* Only once every thread exists may any of them reach the barrier. */
	pthread_mutex_lock(&p->mu);
	p->gate = created == threads ? 1 : -1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (created < threads)
		goto out;

	pthread_barrier_wait(&p->bar);   /* ready */
	if (p->failed) {
		rc = -ENOMEM;
		goto quit;
	}
	/* Calibration: grow reps until one repetition lasts the target. A
	 * repetition is short (SHORT_REP_S at most) and there are as many as
	 * min_time holds: on a shared machine a long repetition always contains
	 * another process's time slice, so its rate is no upper bound, while
	 * the best of many short ones ran undisturbed (a kernel's samples of a
	 * few microseconds do). */
	double target = min_time / nrep;
	if (target > SHORT_REP_S)
		target = SHORT_REP_S;
	int64_t reps = 1;
	for (int i = 0; i < 40; i++) {
		pool_command(p, reps, 1, wall);
		if (wall[0] >= target)
			break;
		double grow = wall[0] > 0 ? 1.2 * target / wall[0] : 100.0;
		grow = grow < 2.0 ? 2.0 : grow > 100.0 ? 100.0 : grow;
		reps = (int64_t)((double)reps * grow);
	}
	/* Batches of MAX_REPEATS until min_time has passed (at least nrep). */
	int n = 0;
	double spent = 0;
	while (n < nrep || (spent < min_time && n + MAX_REPEATS <= MAX_RATES)) {
		int batch = n < nrep ? nrep : MAX_REPEATS;
		pool_command(p, reps, batch, wall);
		for (int r = 0; r < batch; r++) {
			rate[n++] = work_per_rep * (double)reps / wall[r] * scale;
			spent += wall[r];
		}
	}
	qsort(rate, (size_t)n, sizeof(double), cmp_double);
	*best = rate[n - 1];
	*median = n % 2 ? rate[n / 2] : 0.5 * (rate[n / 2 - 1] + rate[n / 2]);
quit:
	p->quit = 1;
	pthread_barrier_wait(&p->bar);
out:
	for (int i = 0; i < created; i++)
		pthread_join(p->w[i].th, NULL);
	if (barrier)
		pthread_barrier_destroy(&p->bar);
	if (sync) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
	}
	free(p->w);
	free(p);
	return rc;
}

typedef struct {
	bnn_probe_result_t *out;
	size_t max, n, wanted;
} sink_t;

static void emit(sink_t *s, const char *name, const char *isa, int threads, const char *unit,
		 double best, double median, const char *method)
{
	s->wanted++;
	if (s->n >= s->max)
		return;
	bnn_probe_result_t *r = &s->out[s->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s threads=%d", name, threads);
	snprintf(r->isa, sizeof(r->isa), "%s", isa);
	r->threads = threads;
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->best = best;
	r->median = median;
	snprintf(r->method, sizeof(r->method), "%s", method);
}

/* The threads counts of each row: 1, then all (when more than 1). */
static int thread_counts(int all, int counts[2])
{
	counts[0] = 1;
	counts[1] = all;
	return all > 1 ? 2 : 1;
}

const bnn_xorpopc_loop_t bnn_xorpopc_loops[] = {
	{ "xorpopc generic.1x4", BNN_ISA_GENERIC, bnn_probe_xorpopc__generic_1x4,
	  "SWAR 1x4, sum per 31 words (generic GEMM)", 1 },
	{ "xorpopc generic.8w", BNN_ISA_GENERIC, bnn_probe_xorpopc__generic_8w,
	  "SWAR 1x1, sum per 8 words (generic conv)", 1 },
	{ "xorpopc generic.16w", BNN_ISA_GENERIC, bnn_probe_xorpopc__generic_16w,
	  "SWAR 1x1, sum per 16 words", 1 },
#ifdef BNN_HAVE_AVX2
	{ "xorpopc avx2.lut", BNN_ISA_AVX2, bnn_probe_xorpopc__avx2_lut,
	  "the AVX2 bgemm microkernel: LUT 2x4", 1 },
	{ "xorpopc avx2.popcnt", BNN_ISA_AVX2, bnn_probe_xorpopc__avx2_popcnt,
	  "scalar POPCNT 1x4, 4 accumulators", 0 },
	{ "xorpopc avx2.hs", BNN_ISA_AVX2, bnn_probe_xorpopc__avx2_hs,
	  "Harley-Seal 16-vector CSA + vpshufb, 1x1", 1 },
#endif
#ifdef BNN_HAVE_AVX512
	{ "xorpopc avx512", BNN_ISA_AVX512, bnn_probe_xorpopc__avx512,
	  "VPOPCNTQ 4x4, 16 accumulators", 1 },
#endif
};
const size_t bnn_xorpopc_nloops = sizeof(bnn_xorpopc_loops) / sizeof(bnn_xorpopc_loops[0]);

double bnn_xorpopc_fastest(bnn_isa_t isa, int local_only,
			   double (*rate)(const bnn_xorpopc_loop_t *loop, void *ctx), void *ctx,
			   size_t *which)
{
	double best = NAN;
	size_t at = bnn_xorpopc_nloops;
	for (size_t k = 0; k < bnn_xorpopc_nloops; k++) {
		const bnn_xorpopc_loop_t *l = &bnn_xorpopc_loops[k];
		if (l->isa != isa || (local_only && !l->local))
			continue;
		double r = rate(l, ctx);
		if (!isnan(r) && (isnan(best) || r > best)) {
			best = r;
			at = k;
		}
	}
	if (which)
		*which = at;
	return best;
}

int bnn_probe_run(const bnn_probe_opts_t *o, bnn_probe_result_t *out, size_t max, size_t *n)
{
	bnn_probe_opts_t d = { 0 };
	sink_t s = { out, max, 0, 0 };
	char why[128];
	int rc = 0, counts[2], nc;
	double best, median;

	if (!n || (!out && max > 0))
		return -EINVAL;
	*n = 0;
	if (o)
		d = *o;
	if (!(d.min_time_s > 0))
		d.min_time_s = 0.2;
	if (d.repeats <= 0)
		d.repeats = 5;
	if (d.repeats > MAX_REPEATS)
		return -EINVAL;
	if (d.threads <= 0) {
		int cpus[CPU_SETSIZE];
		d.threads = allowed_cpus(cpus);
		if (d.threads <= 0) {
			long on = sysconf(_SC_NPROCESSORS_ONLN);
			d.threads = on > 0 ? (int)on : 1;
		}
	}
	if (d.triad_bytes == 0)
		d.triad_bytes = DEFAULT_TRIAD_BYTES;
	if (d.triad_bytes < sizeof(float))
		return -EINVAL;
	nc = thread_counts(d.threads, counts);

	for (size_t k = 0; k < bnn_xorpopc_nloops; k++) {
		const bnn_xorpopc_loop_t *l = &bnn_xorpopc_loops[k];
		if (!bnn_isa_available(l->isa, why, sizeof(why)))
			continue;
		probe_spec_t spec = { .kind = PROBE_XORPOPC, .xorpopc = l->fn };
		for (int c = 0; c < nc; c++) {
			rc = d.stop && *d.stop ? -EINTR :
			     measure(&spec, counts[c], d.min_time_s, d.repeats,
				     2.0 * BNN_PROBE_XORPOPC_BITS(BNN_PROBE_WORDS, 1),
				     counts[c] * 1e-12, &best, &median);
			if (rc != 0)
				goto out;
			emit(&s, l->name, bnn_isa_name(l->isa), counts[c], "TOPS", best, median,
			     l->method);
		}
	}

	/* FMA with the best ISA allowed. */
	probe_spec_t fma = { .kind = PROBE_FMA, .fma = bnn_probe_fma__generic,
			     .flops_per_rep = BNN_PROBE_FMA_FLOPS_PER_REP_GENERIC };
	bnn_isa_t fisa = BNN_ISA_GENERIC;
	const char *fmethod = "mul+add SSE2 4-wide x12 chains";
#ifdef BNN_HAVE_AVX512
	if (bnn_isa_available(BNN_ISA_AVX512, why, sizeof(why))) {
		fma.fma = bnn_probe_fma__avx512;
		fma.flops_per_rep = BNN_PROBE_FMA_FLOPS_PER_REP_AVX512;
		fisa = BNN_ISA_AVX512;
		fmethod = "vfmadd 512-bit x24 chains";
	} else
#endif
#ifdef BNN_HAVE_AVX2
	if (bnn_isa_available(BNN_ISA_AVX2, why, sizeof(why))) {
		fma.fma = bnn_probe_fma__avx2;
		fma.flops_per_rep = BNN_PROBE_FMA_FLOPS_PER_REP_AVX2;
		fisa = BNN_ISA_AVX2;
		fmethod = "vfmadd 256-bit x12 chains";
	}
#endif
	(void)fisa;
	for (int c = 0; c < nc; c++) {
		char name[32];
		snprintf(name, sizeof(name), "fma %s", bnn_isa_name(fisa));
		rc = d.stop && *d.stop ? -EINTR :
		     measure(&fma, counts[c], d.min_time_s, d.repeats, fma.flops_per_rep,
			     counts[c] * 1e-9, &best, &median);
		if (rc != 0)
			goto out;
		emit(&s, name, bnn_isa_name(fisa), counts[c], "GFLOPS", best, median, fmethod);
	}

	/* Triad: the whole arrays split over the threads, so the work per
	 * repetition is the same whatever the number of threads. */
	probe_spec_t triad = { .kind = PROBE_TRIAD, .triad_n = d.triad_bytes / sizeof(float) };
	char tmethod[64];
	if (d.triad_bytes >= (1u << 20))
		snprintf(tmethod, sizeof(tmethod), "STREAM triad 3x%zu MiB, 12 B/element",
			 d.triad_bytes >> 20);
	else
		snprintf(tmethod, sizeof(tmethod), "STREAM triad 3x%zu KiB, 12 B/element",
			 d.triad_bytes >> 10);
	for (int c = 0; c < nc; c++) {
		rc = d.stop && *d.stop ? -EINTR :
		     measure(&triad, counts[c], d.min_time_s, d.repeats,
			     BNN_PROBE_TRIAD_BYTES(triad.triad_n, 1), 1e-9, &best, &median);
		if (rc != 0)
			goto out;
		emit(&s, "triad", "generic", counts[c], "GB/s", best, median, tmethod);
	}
out:
	*n = s.n;
	if (rc == 0 && s.wanted > s.n)
		rc = -ENOSPC;
	return rc;
}

double bnn_probe_peak_tops(const bnn_probe_result_t *r, size_t n, const char *isa, int threads)
{
	double peak = NAN;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r[i].unit, "TOPS") != 0 || strcmp(r[i].isa, isa) != 0 ||
		    r[i].threads != threads || strncmp(r[i].name, "xorpopc", 7) != 0)
			continue;
		if (isnan(peak) || r[i].best > peak)
			peak = r[i].best;
	}
	return peak;
}

int bnn_probe_run_gpu(const bnn_probe_opts_t *o, bnn_probe_result_t *out, size_t max, size_t *n,
		      char *why, size_t whylen)
{
	if (!n || (!out && max > 0))
		return -EINVAL;
	*n = 0;
#ifdef BNN_HAVE_CUDA
	double min_time = o && o->min_time_s > 0 ? o->min_time_s : 0.2;
	int repeats = o && o->repeats > 0 ? o->repeats : 5;
	if (repeats > MAX_REPEATS)
		return -EINVAL;
	for (int k = 0; k < BNN_CUDA_PROBE_COUNT; k++) {
		bnn_cuda_rate_t r;
		int rc = bnn_cuda_probe((bnn_cuda_probe_kind_t)k, min_time, repeats, &r, why, whylen);
		if (rc != 0)
			return rc;
		if (*n >= max)
			return -ENOSPC;
		bnn_probe_result_t *row = &out[(*n)++];
		memset(row, 0, sizeof(*row));
		snprintf(row->name, sizeof(row->name), "%s", bnn_cuda_probe_name((bnn_cuda_probe_kind_t)k));
		snprintf(row->isa, sizeof(row->isa), "cuda");
		row->threads = 1;
		snprintf(row->unit, sizeof(row->unit), "%s", r.unit);
		row->best = r.best;
		row->median = r.median;
		snprintf(row->method, sizeof(row->method), "%s", r.method);
	}
	return 0;
#else
	(void)o;
	snprintf(why, whylen, "built without CUDA");
	return -ENOTSUP;
#endif
}

double bnn_probe_peak_named(const bnn_probe_result_t *r, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].name, name))
			return r[i].best;
	return NAN;
}
