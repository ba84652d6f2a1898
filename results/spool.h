/*
 * spool.h: results kept in memory while the database is locked by another
 * process (a long merge, a reader checkpointing), stored later in the order
 * they came.
 *
 * A run stores each result as it finishes. When the store stays locked past
 * its busy timeout, the result is copied here instead and the run goes on;
 * every later result first tries to store what is spooled (once, without
 * waiting, so the run is not slowed while the lock lasts), and the end of
 * the run stores
 * the rest, waiting longer. A result and its problem are stored together,
 * the problem found or inserted at that moment, so a problem whose row
 * could not be written either is spooled too.
 *
 * With a spool file (bnn_spool_set_file), every spooled result is also
 * written to "<database>-spool-<run id>", a database of the same schema
 * holding a copy of the run's rows, and the file is removed once the
 * spool is empty. A process that dies holding spooled results (SIGKILL,
 * a crash, a lock that outlasts the run) leaves the file, and the next
 * run on the database merges it in (dbtools.h: bnn_merge_spools), so no
 * finished result is lost.
 *
 * Every function returns 0 or a negative code (as store.h); the reason is
 * in bnn_store_errmsg() of the store used. Nothing here calls exit().
 */
#ifndef BNN_SPOOL_H
#define BNN_SPOOL_H

#include "store.h"

typedef struct bnn_spool bnn_spool_t;

/* The problem a result belongs to (store.h: bnn_store_problem). */
typedef struct {
	const char *canonical, *name, *op;
} bnn_spool_problem_t;

/*
 * Called when a spooled result is finally stored: tag is the caller's
 * (given to bnn_spool_put), id the stored result's id.
 */
typedef void (*bnn_spool_stored_fn)(void *arg, int64_t tag, int64_t id);

/* A new, empty spool, or NULL out of memory. on_stored may be NULL. */
bnn_spool_t *bnn_spool_new(bnn_spool_stored_fn on_stored, void *arg);

/* Frees the spool and whatever it still holds; sp may be NULL. */
void bnn_spool_free(bnn_spool_t *sp);

/* How many results wait in the spool. */
size_t bnn_spool_count(const bnn_spool_t *sp);

/*
 * Stores result r of problem pr in run run_id, or spools a copy of it.
 * problem_id is the problem's id when known (0: found or inserted here).
 * When the spool is empty the result is stored at once, waiting for the
 * store's busy timeout; otherwise the spool is first flushed without
 * waiting. *result_id (may be NULL) is the new id, or 0 when the result was
 * spooled. Returns 0 when the result was stored or spooled; -EBUSY is
 * never returned (it spools); any other failure of the store is returned,
 * nothing kept.
 */
int bnn_spool_put(bnn_spool_t *sp, bnn_store_t *st, int64_t run_id, int64_t problem_id,
		  const bnn_spool_problem_t *pr, const bnn_result_rec_t *r, int64_t tag,
		  int64_t *result_id);

/*
 * Stores what is spooled, oldest first, each waiting up to busy_ms for the
 * lock (then the store's timeout is put back). Stops at the first failure:
 * -EBUSY leaves that result and the rest spooled; any other failure drops
 * that one result (it cannot be stored) and returns its code.
 */
int bnn_spool_flush(bnn_spool_t *sp, bnn_store_t *st, int busy_ms);

/*
 * Ends the run in the spool file too (its status and end time), when the
 * file holds results: a run whose end could not be stored in the database
 * (the lock outlasted it) then gets this status and end time when the next
 * run merges the file, instead of 'interrupted'. Returns 0 (also when
 * there is no file) or the file's store code.
 */
int bnn_spool_end_run(bnn_spool_t *sp, const char *status);

/*
 * Keeps spooled results of run run_id of the database at db_path in its
 * spool file too (see above). Returns 0, -EINVAL or -ENOMEM.
 */
int bnn_spool_set_file(bnn_spool_t *sp, const char *db_path, int64_t run_id);

/* The spool file's name for run run_id of db_path, malloc'ed, or NULL. */
char *bnn_spool_file_name(const char *db_path, int64_t run_id);

/* Removes spool file file and what SQLite keeps beside it (-wal, -shm,
 * -journal). */
void bnn_spool_file_remove(const char *file);

/* The spool file's path while it holds results, else NULL. */
const char *bnn_spool_file(const bnn_spool_t *sp);

/* Why the spool file could not be written (results then are in memory
 * only), or NULL. */
const char *bnn_spool_file_error(const bnn_spool_t *sp);
#endif
