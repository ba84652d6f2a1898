/*
 * spool.c: results kept while the database is locked (see spool.h).
 *
 * Each spooled result is a deep copy of its bnn_result_rec_t (strings,
 * samples, counters, GPU records) and of its problem's identity, in a
 * first-in first-out list.
 */
#include "spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Wait of the flush tried before each new result while results are
 * spooled: none, one try, so that a run under a long lock is not slowed. */
#define SPOOL_TRY_MS 0

typedef struct entry {
	struct entry *next;
	int64_t run_id, problem_id, tag;
	char *canonical, *name, *op;
	bnn_result_rec_t r;          /* every pointer in it is owned */
	char *strs[9];               /* the strings r points to, to free */
	double *samples, *device_ns;
	/* Rounds (schema 5), copied like the samples. */
	double *round_ns, *round_other, *round_steal;
	size_t *round_n;
	int *round_pos, *sample_round;
	bnn_counter_rec_t *counters;
	bnn_gpu_kernel_rec_t *gpu;
} entry_t;

struct bnn_spool {
	entry_t *head, **tail;
	size_t n;
	bnn_spool_stored_fn on_stored;
	void *arg;
	/* The spool file (bnn_spool_set_file): NULL when results are kept in
	 * memory only. */
	char *file, *db_path;
	int64_t run_id;
	bnn_store_t *fst;            /* the file, open while it holds results */
	int fbad;                    /* writing it failed: memory only now */
	char ferr[512];
};

/* Frees e and everything it owns; e may be NULL. */
static void entry_free(entry_t *e)
{
	if (!e)
		return;
	free(e->canonical);
	free(e->name);
	free(e->op);
	for (size_t i = 0; i < sizeof(e->strs) / sizeof(e->strs[0]); i++)
		free(e->strs[i]);
	free(e->samples);
	free(e->device_ns);
	free(e->round_ns);
	free(e->round_other);
	free(e->round_steal);
	free(e->round_n);
	free(e->round_pos);
	free(e->sample_round);
	for (size_t i = 0; e->counters && i < e->r.ncounters; i++) {
		free((char *)e->counters[i].source);
		free((char *)e->counters[i].event);
		free((char *)e->counters[i].status);
		free((char *)e->counters[i].reason);
		free((char *)e->counters[i].scope);
	}
	free(e->counters);
	for (size_t i = 0; e->gpu && i < e->r.ngpu_kernels; i++)
		free((char *)e->gpu[i].name);
	free(e->gpu);
	free(e);
}

/* A copy of s (NULL stays NULL); *bad is set when out of memory. */
static char *dup_or_null(const char *s, int *bad)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*bad = 1;
	return d;
}

/* A copy of n elements of size sz at x (NULL for NULL or none); *bad is set
 * when out of memory. */
static void *dup_bytes(const void *x, size_t n, size_t sz, int *bad)
{
	void *d;

	if (!x || !n)
		return NULL;
	d = malloc(n * sz);
	if (!d) {
		*bad = 1;
		return NULL;
	}
	memcpy(d, x, n * sz);
	return d;
}

/* A copy of n doubles, as dup_bytes. */
static double *dup_doubles(const double *x, size_t n, int *bad)
{
	return dup_bytes(x, n, sizeof(double), bad);
}

/* A deep copy of (pr, r) as a new entry, or NULL out of memory. */
static entry_t *entry_copy(const bnn_spool_problem_t *pr, const bnn_result_rec_t *r)
{
	entry_t *e = calloc(1, sizeof(*e));
	int bad = 0;

	if (!e)
		return NULL;
	e->r = *r;
	e->canonical = dup_or_null(pr->canonical, &bad);
	e->name = dup_or_null(pr->name, &bad);
	e->op = dup_or_null(pr->op, &bad);
	e->r.kernel = e->strs[0] = dup_or_null(r->kernel, &bad);
	e->r.kind = e->strs[1] = dup_or_null(r->kind, &bad);
	e->r.isa = e->strs[2] = dup_or_null(r->isa, &bad);
	e->r.status = e->strs[3] = dup_or_null(r->status, &bad);
	e->r.reason = e->strs[4] = dup_or_null(r->reason, &bad);
	e->r.repro = e->strs[5] = dup_or_null(r->repro, &bad);
	e->r.binding = e->strs[6] = dup_or_null(r->binding, &bad);
	e->r.unit = e->strs[7] = dup_or_null(r->unit, &bad);
	e->r.samples_ns = e->samples = dup_doubles(r->samples_ns, r->nsamples, &bad);
	e->r.device_ns = e->device_ns = dup_doubles(r->device_ns, r->nsamples, &bad);
	e->r.peak_status = e->strs[8] = dup_or_null(r->peak_status, &bad);
	e->r.round_ns = e->round_ns = dup_doubles(r->round_ns, r->nrounds, &bad);
	e->r.round_other_cpus = e->round_other = dup_doubles(r->round_other_cpus, r->nrounds, &bad);
	e->r.round_steal = e->round_steal = dup_doubles(r->round_steal, r->nrounds, &bad);
	e->r.round_n = e->round_n = dup_bytes(r->round_n, r->nrounds, sizeof(size_t), &bad);
	e->r.round_pos = e->round_pos = dup_bytes(r->round_pos, r->nrounds, sizeof(int), &bad);
	e->r.sample_round = e->sample_round = dup_bytes(r->sample_round, r->nsamples, sizeof(int),
							&bad);
	e->r.counters = NULL;
	e->r.gpu_kernels = NULL;
	e->r.ncounters = e->r.ngpu_kernels = 0;
	if (r->ncounters && r->counters) {
		e->counters = calloc(r->ncounters, sizeof(*e->counters));
		bad |= !e->counters;
		for (size_t i = 0; e->counters && i < r->ncounters; i++) {
			const bnn_counter_rec_t *c = &r->counters[i];

			e->counters[i] = *c;
			e->counters[i].source = dup_or_null(c->source, &bad);
			e->counters[i].event = dup_or_null(c->event, &bad);
			e->counters[i].status = dup_or_null(c->status, &bad);
			e->counters[i].reason = dup_or_null(c->reason, &bad);
			e->counters[i].scope = dup_or_null(c->scope, &bad);
			e->r.ncounters = i + 1;
		}
		e->r.counters = e->counters;
	}
	if (r->ngpu_kernels && r->gpu_kernels) {
		e->gpu = calloc(r->ngpu_kernels, sizeof(*e->gpu));
		bad |= !e->gpu;
		for (size_t i = 0; e->gpu && i < r->ngpu_kernels; i++) {
			e->gpu[i] = r->gpu_kernels[i];
			e->gpu[i].name = dup_or_null(r->gpu_kernels[i].name, &bad);
			e->r.ngpu_kernels = i + 1;
		}
		e->r.gpu_kernels = e->gpu;
	}
	if (bad) {
		entry_free(e);
		return NULL;
	}
	return e;
}

/* See spool.h. */
bnn_spool_t *bnn_spool_new(bnn_spool_stored_fn on_stored, void *arg)
{
	bnn_spool_t *sp = calloc(1, sizeof(*sp));

	if (!sp)
		return NULL;
	sp->tail = &sp->head;
	sp->on_stored = on_stored;
	sp->arg = arg;
	return sp;
}

/* See spool.h. */
void bnn_spool_free(bnn_spool_t *sp)
{
	if (!sp)
		return;
	while (sp->head) {
		entry_t *e = sp->head;

		sp->head = e->next;
		entry_free(e);
	}
	/* A file still holding results stays for the next open to store. */
	bnn_store_close(sp->fst);
	free(sp->file);
	free(sp->db_path);
	free(sp);
}

/* See spool.h. */
size_t bnn_spool_count(const bnn_spool_t *sp)
{
	return sp ? sp->n : 0;
}

/*
 * Stores one result with its problem: the problem is found or inserted
 * first when problem_id is 0. Returns 0 (the id in *id) or the store's code.
 */
static int store_one(bnn_store_t *st, int64_t run_id, int64_t problem_id,
		     const bnn_spool_problem_t *pr, const bnn_result_rec_t *r, int64_t *id)
{
	int rc = 0;

	*id = 0;
	if (!problem_id)
		rc = bnn_store_problem(st, pr->canonical, pr->name, pr->op, &problem_id);
	if (!rc)
		rc = bnn_store_result(st, run_id, problem_id, r, id);
	return rc;
}

/* See spool.h. */
char *bnn_spool_file_name(const char *db_path, int64_t run_id)
{
	size_t n = strlen(db_path) + 32;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s-spool-%lld", db_path, (long long)run_id);
	return p;
}

/* See spool.h. */
int bnn_spool_set_file(bnn_spool_t *sp, const char *db_path, int64_t run_id)
{
	if (!sp || !db_path || run_id <= 0)
		return -EINVAL;
	free(sp->file);
	free(sp->db_path);
	sp->file = bnn_spool_file_name(db_path, run_id);
	sp->db_path = strdup(db_path);
	sp->run_id = run_id;
	if (!sp->file || !sp->db_path)
		return -ENOMEM;
	return 0;
}

/* See spool.h. */
const char *bnn_spool_file(const bnn_spool_t *sp)
{
	return sp && sp->fst ? sp->file : NULL;
}

/* See spool.h. */
const char *bnn_spool_file_error(const bnn_spool_t *sp)
{
	return sp && sp->fbad ? sp->ferr : NULL;
}

/* See spool.h. */
void bnn_spool_file_remove(const char *file)
{
	static const char *const side[] = { "", "-wal", "-shm", "-journal" };
	char p[4200];

	for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", file, side[i]);
		unlink(p);
	}
}

/* Everything spooled is stored: the file's copy is not needed any more. */
static void file_drop(bnn_spool_t *sp)
{
	if (!sp->fst)
		return;
	bnn_store_close(sp->fst);
	sp->fst = NULL;
	bnn_spool_file_remove(sp->file);
}

/*
 * Writes e into the spool file too (opened, and given the run's rows, at
 * the first result spooled), so that a process killed before it could
 * store its spooled results loses none of them. A failure is not the
 * run's: the result stays in memory and the reason is kept.
 */
static void file_put(bnn_spool_t *sp, const entry_t *e)
{
	bnn_spool_problem_t pr = { e->canonical, e->name, e->op };
	int64_t id;
	int rc;

	if (!sp->file || sp->fbad)
		return;
	if (!sp->fst) {
		rc = bnn_store_open(&sp->fst, sp->file, sp->ferr, sizeof(sp->ferr));
		if (rc == 0 && bnn_store_copy_run(sp->fst, sp->db_path, sp->run_id) != 0) {
			snprintf(sp->ferr, sizeof(sp->ferr), "%s", bnn_store_errmsg(sp->fst));
			bnn_store_close(sp->fst);
			sp->fst = NULL;
			bnn_spool_file_remove(sp->file);
			rc = -1;
		}
		if (rc) {
			sp->fbad = 1;
			return;
		}
	}
	if (store_one(sp->fst, sp->run_id, 0, &pr, &e->r, &id) != 0) {
		snprintf(sp->ferr, sizeof(sp->ferr), "%s", bnn_store_errmsg(sp->fst));
		sp->fbad = 1;
	}
}

/* See spool.h. */
int bnn_spool_end_run(bnn_spool_t *sp, const char *status)
{
	if (!sp || !sp->fst)
		return 0;
	return bnn_store_end_run(sp->fst, sp->run_id, status);
}

/* See spool.h. */
int bnn_spool_flush(bnn_spool_t *sp, bnn_store_t *st, int busy_ms)
{
	int was, rc = 0;

	if (!sp || !sp->head)
		return 0;
	was = bnn_store_set_busy(st, busy_ms);
	while (sp->head) {
		entry_t *e = sp->head;
		bnn_spool_problem_t pr = { e->canonical, e->name, e->op };
		int64_t id = 0;

		rc = store_one(st, e->run_id, e->problem_id, &pr, &e->r, &id);
		if (rc == -EBUSY)
			break;
		sp->head = e->next;
		if (!sp->head)
			sp->tail = &sp->head;
		sp->n--;
		if (!rc && sp->on_stored)
			sp->on_stored(sp->arg, e->tag, id);
		entry_free(e);
		if (rc)
			break;
	}
	bnn_store_set_busy(st, was);
	if (!sp->head)
		file_drop(sp);
	return rc;
}

/* See spool.h. */
int bnn_spool_put(bnn_spool_t *sp, bnn_store_t *st, int64_t run_id, int64_t problem_id,
		  const bnn_spool_problem_t *pr, const bnn_result_rec_t *r, int64_t tag,
		  int64_t *result_id)
{
	entry_t *e;
	int64_t id = 0;
	int rc;

	if (result_id)
		*result_id = 0;
	if (!sp || !st || !pr || !r)
		return -EINVAL;
	rc = bnn_spool_flush(sp, st, SPOOL_TRY_MS);
	if (rc && rc != -EBUSY)
		return rc;
	if (!sp->head) {
		rc = store_one(st, run_id, problem_id, pr, r, &id);
		if (rc != -EBUSY) {
			if (!rc && result_id)
				*result_id = id;
			return rc;
		}
	}
	e = entry_copy(pr, r);
	if (!e)
		return -ENOMEM;
	e->run_id = run_id;
	e->problem_id = problem_id;
	e->tag = tag;
	*sp->tail = e;
	sp->tail = &e->next;
	sp->n++;
	file_put(sp, e);
	return 0;
}
