/*
 * store.c: the results database (see store.h and results/schema.sql).
 *
 * Return codes: 0, or
 *   -EINVAL  a bad argument, a constraint the data broke, or a file that is
 *            not an SQLite database or not bnnbench's;
 *   -ENOENT  no such run (or no run at all);
 *   -ERANGE  a caller's buffer too small (what fits is still copied);
 *   -EBUSY   the database stayed locked past the busy timeout;
 *   -ENOMEM  out of memory;
 *   -EIO     any other SQLite failure;
 *   -errno   the OS's reason for a path that cannot be used.
 * The reason text is in bnn_store_errmsg() (or the err buffer of open).
 *
 * Every statement is prepared with bound parameters; the only SQL built at
 * run time is "PRAGMA user_version = N" from an integer of this file.
 */
/* kill, gethostname, strdup: POSIX, unless the build asks for more. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "store.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

/* Generated from results/schema.sql by results/sql2c.sh. */
#include "schema_sql.h"
/* Generated from results/schema_v2.sql (bnn_schema_v2_sql). */
#include "schema_v2_sql.h"
/* Generated from results/schema_v3.sql (bnn_schema_v3_sql). */
#include "schema_v3_sql.h"
/* Generated from results/schema_v4.sql (bnn_schema_v4_sql). */
#include "schema_v4_sql.h"
/* Generated from results/schema_v5.sql (bnn_schema_v5_sql). */
#include "schema_v5_sql.h"

/* PRAGMA application_id of a bnnbench database: "BNNB". */
#define STORE_APP_ID 0x424e4e42
#define STORE_BUSY_MS 5000
/* Now, as ISO-8601 UTC text with milliseconds. */
#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/*
 * Forward migrations, indexed by the schema version they produce: step v
 * turns a version v - 1 database into a version v one. Step 1 is the whole
 * of results/schema.sql. A new version appends a step (its own .sql file,
 * turned into a string by sql2c.sh under its own name) and never edits an
 * earlier one; this program's schema version is the last index.
 */
static const char *const migrations[] = {
	NULL,		/* version 0: the empty database */
	bnn_schema_sql,	/* version 1 */
	bnn_schema_v2_sql,	/* version 2: topology, per-run record, counters */
	bnn_schema_v3_sql,	/* version 3: ReActNet-A per-block breakdown */
	bnn_schema_v4_sql,	/* version 4: GPU device time, CUPTI kernel records */
	bnn_schema_v5_sql,	/* version 5: rounds, honest efficiency, quietness */
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])) - 1)

struct bnn_store {
	sqlite3 *db;
	char *path;
	char host[256];		/* this host's name, "" when unknown */
	char err[1024];
	int live_fd;		/* holds the liveness lock of this writer's run; -1 */
	int busy_ms;		/* how long a locked database is waited for */
	struct timespec busy_since;	/* when the current wait began */
};

static const char *const run_end_status[] = {
	"passed", "failed", "interrupted", NULL
};
static const char *const result_status[] = {
	"PASS", "FAIL", "SKIP", "MISTRUSTED", NULL
};
static const char *const result_kind[] = {
	"kernel", "peer", "probe", NULL
};

/* Formats a reason into st->err; returns rc so callers can return it. */
static int set_err(bnn_store_t *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set_err(bnn_store_t *st, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* Maps an SQLite result code onto this module's negative codes. */
static int sql_rc(int code)
{
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_NOTADB:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/*
 * Records the connection's last error as "what: SQLite's message" and
 * returns its code. Call it before anything else touches the connection
 * (a ROLLBACK would replace the message).
 */
static int db_fail(bnn_store_t *st, const char *what)
{
	return set_err(st, sql_rc(sqlite3_extended_errcode(st->db)), "%s: %s",
		       what, sqlite3_errmsg(st->db));
}

/* Prepares constant SQL into *stmt (NULL on failure). */
static int prep(bnn_store_t *st, const char *sql, sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		*stmt = NULL;
		return db_fail(st, "preparing a statement");
	}
	return 0;
}

/* Runs constant SQL that returns no rows of interest. */
static int exec_sql(bnn_store_t *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, what);
	return 0;
}

/* Binds text, or NULL for a NULL pointer; the text must outlive the step. */
static int bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return t ? sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC)
		 : sqlite3_bind_null(s, i);
}

/* Binds a double, or NULL for NaN (an unknown number). */
static int bind_real(sqlite3_stmt *s, int i, double x)
{
	return isnan(x) ? sqlite3_bind_null(s, i) : sqlite3_bind_double(s, i, x);
}

/* Steps a statement that must finish without returning rows. */
static int step_done(bnn_store_t *st, sqlite3_stmt *s, const char *what)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		return db_fail(st, what);
	return 0;
}

/*
 * One row of an INSERT or UPDATE: bound is the OR of the statement's
 * sqlite3_bind_* results (a failed bind is reported as what, like a failed
 * step); the statement is reset for the next row, its bindings kept.
 */
static int bind_step(bnn_store_t *st, sqlite3_stmt *s, int bound, const char *what)
{
	int rc = bound != SQLITE_OK ? db_fail(st, what) : step_done(st, s, what);

	sqlite3_reset(s);
	return rc;
}

/*
 * Steps a statement whose first row's first column is an integer into *v;
 * no row gives *found = 0 (found may be NULL when a row is certain).
 */
static int step_int(bnn_store_t *st, sqlite3_stmt *s, int64_t *v, int *found,
		    const char *what)
{
	int src = sqlite3_step(s);

	if (src == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		if (found)
			*found = 1;
		return 0;
	}
	if (src == SQLITE_DONE && found) {
		*found = 0;
		return 0;
	}
	if (src == SQLITE_DONE)
		return set_err(st, -EIO, "%s: no row", what);
	return db_fail(st, what);
}

/* Whether s is one of the NULL-terminated list. */
static int one_of(const char *s, const char *const *list)
{
	if (!s)
		return 0;
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

/* Starts a write transaction now, so that no other writer interleaves. */
static int tx_begin(bnn_store_t *st)
{
	return exec_sql(st, "BEGIN IMMEDIATE", "starting a transaction");
}

/*
 * Ends the open transaction: commits when rc is 0, rolls back otherwise
 * (or when the commit fails). Statements must be reset or finalized first.
 * Returns the final status; st->err keeps the first failure's reason.
 */
static int tx_end(bnn_store_t *st, int rc)
{
	if (rc == 0) {
		if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
			return 0;
		rc = db_fail(st, "committing a transaction");
	}
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* The directory part of path, malloc'ed ("." for a bare name). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	char *d;

	if (!slash)
		return strdup(".");
	n = slash == path ? 1 : (size_t)(slash - path);
	d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = '\0';
	}
	return d;
}

/*
 * Checks, before SQLite sees it, that path can be a read-write database:
 * an existing regular file we may read and write, or a name that may be
 * created; in both cases a directory that takes new files, since the WAL
 * and shared-memory files live beside the database. Touches nothing.
 */
static int check_path(bnn_store_t *st, const char *path)
{
	struct stat sb;
	char *dir = NULL;
	int exists = 0;
	int rc = 0;

	if (stat(path, &sb) == 0) {
		exists = 1;
		if (S_ISDIR(sb.st_mode)) {
			rc = set_err(st, -EISDIR, "%s: %s", path, strerror(EISDIR));
			goto out;
		}
		if (!S_ISREG(sb.st_mode)) {
			rc = set_err(st, -EINVAL, "%s: not a regular file", path);
			goto out;
		}
		if (access(path, R_OK | W_OK) != 0) {
			rc = set_err(st, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
	} else if (errno != ENOENT) {
		rc = set_err(st, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	dir = dir_of(path);
	if (!dir) {
		rc = set_err(st, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	if (access(dir, W_OK | X_OK) != 0)
		rc = set_err(st, -errno, "%s: cannot %s in directory %s: %s", path,
			     exists ? "create the WAL file" : "create the database",
			     dir, strerror(errno));
out:
	free(dir);
	return rc;
}

/*
 * Reads the integer that constant SQL returns (a pragma or a count). This
 * is the first read of the file, so a file that is not an SQLite database
 * shows up here, as SQLITE_NOTADB at prepare or at step.
 */
static int read_header_int(bnn_store_t *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s = NULL;
	int src;
	int rc = 0;

	src = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (src == SQLITE_OK) {
		src = sqlite3_step(s);
		if (src == SQLITE_ROW) {
			*v = sqlite3_column_int64(s, 0);
			goto out;
		}
		src = src == SQLITE_DONE ? SQLITE_ERROR
					 : sqlite3_extended_errcode(st->db);
	}
	switch (src & 0xff) {
	case SQLITE_NOTADB:
		rc = set_err(st, -EINVAL, "%s: not an SQLite database (%s)",
			     st->path, sqlite3_errmsg(st->db));
		break;
	case SQLITE_CORRUPT:
		rc = set_err(st, -EINVAL, "%s: damaged SQLite database (%s)",
			     st->path, sqlite3_errmsg(st->db));
		break;
	default:
		rc = set_err(st, sql_rc(src), "%s: cannot read: %s",
			     st->path, sqlite3_errmsg(st->db));
		break;
	}
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Decides, reading only, whether the file is a bnnbench database this
 * program can use: *version is its schema version, 0 for a new (empty)
 * database. A database is bnnbench's when its application_id says so;
 * an empty one (no schema, both pragmas 0) becomes bnnbench's.
 */
static int identify(bnn_store_t *st, int *version)
{
	int64_t nobj = 0, uv = 0, app = 0;
	int rc;

	rc = read_header_int(st, "SELECT count(*) FROM sqlite_master", &nobj);
	if (rc)
		return rc;
	rc = read_header_int(st, "PRAGMA user_version", &uv);
	if (rc)
		return rc;
	rc = read_header_int(st, "PRAGMA application_id", &app);
	if (rc)
		return rc;

	if (app == 0 && uv == 0 && nobj == 0) {
		*version = 0;
		return 0;
	}
	if (app != STORE_APP_ID || uv < 1)
		return set_err(st, -EINVAL,
			       "%s: not a bnnbench database (application_id %#llx, user_version %lld, %lld schema objects)",
			       st->path, (unsigned long long)(uint32_t)app,
			       (long long)uv, (long long)nobj);
	if (uv > SCHEMA_VERSION)
		return set_err(st, -EINVAL,
			       "%s: schema version %lld is newer than this bnnbench (%d)",
			       st->path, (long long)uv, SCHEMA_VERSION);
	*version = (int)uv;
	return 0;
}

/*
 * Puts the database in WAL mode, unless it already is. Switching needs an
 * exclusive lock and SQLite returns SQLITE_BUSY at once, without the busy
 * handler, when another connection holds any lock (several bnnbench
 * starting together on a new file), so this retries for the busy timeout.
 * A file system that cannot do WAL (some network ones) keeps the rollback
 * journal: the store stays correct, only readers then wait for writers.
 */
static int set_wal(bnn_store_t *st)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *mode;
	int waited = 0;
	int rc, src;

	rc = prep(st, "PRAGMA journal_mode", &s);
	if (rc)
		goto out;
	src = sqlite3_step(s);
	mode = src == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
	if (mode && !strcmp((const char *)mode, "wal"))
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	rc = prep(st, "PRAGMA journal_mode = WAL", &s);
	if (rc)
		goto out;
	while ((src = sqlite3_step(s)) != SQLITE_ROW) {
		if ((src & 0xff) != SQLITE_BUSY || waited >= STORE_BUSY_MS) {
			rc = set_err(st, sql_rc(sqlite3_extended_errcode(st->db)),
				     "%s: setting WAL mode: %s", st->path,
				     sqlite3_errmsg(st->db));
			goto out;
		}
		sqlite3_reset(s);
		waited += sqlite3_sleep(10);
	}
out:
	sqlite3_finalize(s);
	return rc;
}

/* Turns on WAL, synchronous=NORMAL and foreign keys. */
static int configure(bnn_store_t *st)
{
	sqlite3_stmt *s = NULL;
	int64_t fk = 0;
	int found = 0;
	int rc;

	rc = set_wal(st);
	if (rc)
		goto out;
	rc = exec_sql(st, "PRAGMA synchronous = NORMAL", "setting synchronous");
	if (rc)
		goto out;
	rc = exec_sql(st, "PRAGMA foreign_keys = ON", "turning on foreign keys");
	if (rc)
		goto out;
	/* An SQLite built without foreign keys accepts the pragma silently. */
	rc = prep(st, "PRAGMA foreign_keys", &s);
	if (rc)
		goto out;
	rc = step_int(st, s, &fk, &found, "reading foreign_keys");
	if (rc)
		goto out;
	if (!found || fk != 1)
		rc = set_err(st, -EIO, "%s: this SQLite cannot enforce foreign keys",
			     st->path);
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Brings the schema from version from to SCHEMA_VERSION in one transaction.
 * The version is read again inside the transaction: another process may
 * have migrated the file since identify() looked.
 */
static int migrate(bnn_store_t *st, int from)
{
	sqlite3_stmt *s = NULL;
	char sql[64];
	int64_t uv = 0;
	int in_tx = 0;
	int rc, v;

	if (from == SCHEMA_VERSION)
		return 0;
	rc = tx_begin(st);
	if (rc)
		goto out;
	in_tx = 1;
	rc = prep(st, "PRAGMA user_version", &s);
	if (rc)
		goto out;
	rc = step_int(st, s, &uv, NULL, "reading user_version");
	if (rc)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (uv > SCHEMA_VERSION) {
		rc = set_err(st, -EINVAL,
			     "%s: schema version %lld is newer than this bnnbench (%d)",
			     st->path, (long long)uv, SCHEMA_VERSION);
		goto out;
	}
	for (v = (int)uv + 1; v <= SCHEMA_VERSION; v++) {
		if (sqlite3_exec(st->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK) {
			rc = set_err(st, sql_rc(sqlite3_extended_errcode(st->db)),
				     "%s: migrating to schema version %d: %s",
				     st->path, v, sqlite3_errmsg(st->db));
			goto out;
		}
	}
	/* Pragmas take no parameters; both numbers are this file's own. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	rc = exec_sql(st, sql, "setting user_version");
	if (rc)
		goto out;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", STORE_APP_ID);
	rc = exec_sql(st, sql, "setting application_id");
out:
	sqlite3_finalize(s);
	if (in_tx)
		rc = tx_end(st, rc);
	return rc;
}

/*
 * The busy handler: while another connection holds the lock, sleeps 1,
 * then 2 ms between tries until st->busy_ms have passed since the first
 * try, then gives up (the call returns SQLITE_BUSY). SQLite's own timeout
 * sleeps up to 100 ms between tries, which rarely lands in the short gaps
 * a merge leaves between its transactions (merge.c: MERGE_PAUSE_MS).
 */
static int busy_backoff(void *arg, int count)
{
	bnn_store_t *st = arg;
	struct timespec now;
	double waited;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0)
		st->busy_since = now;
	waited = (double)(now.tv_sec - st->busy_since.tv_sec) * 1e3 +
		 (double)(now.tv_nsec - st->busy_since.tv_nsec) / 1e6;
	if (waited >= st->busy_ms)
		return 0;
	sqlite3_sleep(count < 2 ? 1 : 2);
	return 1;
}

/* See store.h. */
int bnn_store_set_busy(bnn_store_t *st, int ms)
{
	int was;

	if (!st || !st->db)
		return 0;
	was = st->busy_ms;
	st->busy_ms = ms > 0 ? ms : 0;
	sqlite3_busy_handler(st->db, ms > 0 ? busy_backoff : NULL, st);
	return was;
}

/*
 * Liveness of runs. A writer holds, for as long as its process lives, a
 * lock on byte run_id of the file "<database>-live" beside the database
 * (an open-file-description lock: the kernel drops it when the process
 * ends, however it ends, and any process that sees the file sees the
 * lock, whatever its PID namespace). A run left 'running' whose byte is
 * not locked has no writer any more.
 */
#ifdef F_OFD_SETLK
#define LIVE_LOCKS 1
#else
#define LIVE_LOCKS 0
#endif

/* The liveness file's path, sqlite3_malloc'ed, or NULL. */
static char *live_path(const bnn_store_t *st)
{
	return sqlite3_mprintf("%s-live", st->path);
}

/*
 * Takes the liveness lock of run_id (kept in st->live_fd until close).
 * Without it (a file system without locks) the pid test stands in: a
 * failure here is not an error of the run.
 */
static void live_hold(bnn_store_t *st, int64_t run_id)
{
#if LIVE_LOCKS
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = (off_t)run_id, .l_len = 1 };
	char *p = live_path(st);
	int fd = p ? open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666) : -1;

	sqlite3_free(p);
	if (fd >= 0 && fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0) {
		if (st->live_fd >= 0)
			close(st->live_fd);
		st->live_fd = fd;
	}
#else
	(void)st;
	(void)run_id;
#endif
}

/*
 * SQL function bnn_run_dead(id, pid): 1 when run id has no live writer.
 * The connection's user data is the liveness file's descriptor (-1 when
 * the file does not exist or locks do not work): then the pid test of
 * older versions stands in, kill(pid, 0) failing with ESRCH; EPERM means
 * the process exists. A pid that cannot be one (NULL, <= 0, too big) is
 * not called dead: kill(0, ...) and kill(-1, ...) mean process groups.
 */
static void sql_run_dead(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int fd = *(const int *)sqlite3_user_data(ctx);
	int64_t id, pid;

	(void)argc;
	id = sqlite3_value_int64(argv[0]);
#if LIVE_LOCKS
	if (fd >= 0 && id > 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				    .l_start = (off_t)id, .l_len = 1 };

		if (fcntl(fd, F_OFD_GETLK, &fl) == 0) {
			sqlite3_result_int(ctx, fl.l_type == F_UNLCK);
			return;
		}
	}
#else
	(void)fd;
#endif
	if (sqlite3_value_type(argv[1]) != SQLITE_INTEGER) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	pid = sqlite3_value_int64(argv[1]);
	if (pid <= 0 || pid > INT_MAX) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	sqlite3_result_int(ctx, kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

/* See store.h. */
int bnn_store_run_live(const char *db_path, int64_t run_id)
{
#if LIVE_LOCKS
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = (off_t)run_id, .l_len = 1 };
	char *p = sqlite3_mprintf("%s-live", db_path);
	int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	int live = -1;

	sqlite3_free(p);
	if (fd < 0 || run_id <= 0)
		goto out;
	if (fcntl(fd, F_OFD_GETLK, &fl) == 0)
		live = fl.l_type != F_UNLCK;
out:
	if (fd >= 0)
		close(fd);
	return live;
#else
	(void)db_path;
	(void)run_id;
	return -1;
#endif
}

/*
 * Marks 'interrupted' the runs left 'running' by a writer of this host
 * that is gone (see sql_run_dead). end_time stays NULL: when the process
 * died is not known (a run ended by bnn_store_end_run gets one). Runs of
 * other hosts are left alone: a network file system may not share locks
 * between hosts, and their pids mean nothing here.
 */
static int mark_stale_runs(bnn_store_t *st)
{
	sqlite3_stmt *s = NULL;
	char *p = NULL;
	int fd = -1;
	int rc;

	if (!st->host[0])
		return 0;
	p = live_path(st);
	if (p)
		fd = open(p, O_RDONLY | O_CLOEXEC);
	sqlite3_free(p);
	if (sqlite3_create_function(st->db, "bnn_run_dead", 2, SQLITE_UTF8, &fd,
				    sql_run_dead, NULL, NULL) != SQLITE_OK) {
		rc = db_fail(st, "registering bnn_run_dead");
		goto out;
	}
	rc = prep(st, "UPDATE run SET status = 'interrupted'"
		  " WHERE status = 'running' AND host = ?1 AND bnn_run_dead(id, pid)", &s);
	if (rc)
		goto out;
	rc = bind_text(s, 1, st->host);
	rc = bind_step(st, s, rc, "marking interrupted runs");
out:
	sqlite3_finalize(s);
	/* The function points at fd, which is about to go. */
	sqlite3_create_function(st->db, "bnn_run_dead", 2, SQLITE_UTF8, NULL, NULL, NULL,
				NULL);
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Opens the store; see store.h. Order matters: the path and the file's
 * identity are checked reading only, so a file that is refused is left as
 * it was; WAL, the schema and the stale-run update come after.
 * A file of zero bytes is an empty SQLite database and is taken as new.
 */
int bnn_store_open(bnn_store_t **out, const char *path, char *err, size_t errlen)
{
	bnn_store_t *st = NULL;
	int version = 0;
	int src, rc;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!out || !path || !*path) {
		if (err && errlen)
			snprintf(err, errlen, "bnn_store_open: no path given");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (st)
		st->live_fd = -1;
	if (!st || !(st->path = strdup(path))) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		rc = -ENOMEM;
		goto out;
	}
	if (gethostname(st->host, sizeof(st->host)) != 0)
		st->host[0] = '\0';
	st->host[sizeof(st->host) - 1] = '\0';

	rc = check_path(st, path);
	if (rc)
		goto out;
	src = sqlite3_open_v2(path, &st->db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (src != SQLITE_OK) {
		int oserr = st->db ? sqlite3_system_errno(st->db) : 0;

		rc = set_err(st, oserr ? -oserr : sql_rc(src), "%s: cannot open: %s%s%s",
			     path, st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(src),
			     oserr ? ": " : "", oserr ? strerror(oserr) : "");
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	bnn_store_set_busy(st, STORE_BUSY_MS);
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		rc = set_err(st, -EACCES, "%s: opened read-only", path);
		goto out;
	}

	rc = identify(st, &version);
	if (rc)
		goto out;
	rc = configure(st);
	if (rc)
		goto out;
	rc = migrate(st, version);
	if (rc)
		goto out;
	rc = mark_stale_runs(st);
	if (rc == -EBUSY)
		rc = 0;   /* housekeeping: the next open does it */
out:
	if (rc) {
		if (st && err && errlen && st->err[0])
			snprintf(err, errlen, "%s", st->err);
		bnn_store_close(st);
	} else {
		*out = st;
	}
	return rc;
}

/*
 * Opens the store read-only; see store.h. mode=ro first; a WAL database on
 * read-only media (no -shm can be made there, and no -wal is left) is
 * opened immutable. Nothing is written: no WAL switch, no migration, no
 * stale-run marking.
 */
int bnn_store_open_read(bnn_store_t **out, const char *path, char *err, size_t errlen)
{
	static const char *const how[] = { "mode=ro", "immutable=1" };
	bnn_store_t *st = NULL;
	int version = 0, rc = -EINVAL;
	char *wal = NULL;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!out || !path || !*path || strpbrk(path, "?#%")) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot be opened read-only by URI",
				 path ? path : "(no path)");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path)) || !(wal = sqlite3_mprintf("%s-wal", path))) {
		rc = -ENOMEM;
		if (st)
			set_err(st, rc, "%s: out of memory", path);
		goto out;
	}
	st->live_fd = -1;
	for (int i = 0; i < 2; i++) {
		char *uri = sqlite3_mprintf("file:%s?%s", path, how[i]);

		if (i == 1 && access(wal, F_OK) == 0)
			break;   /* immutable would not see what the WAL holds */
		sqlite3_close_v2(st->db);
		st->db = NULL;
		int src = uri ? sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY |
						SQLITE_OPEN_URI, NULL) : SQLITE_NOMEM;
		sqlite3_free(uri);
		if (src != SQLITE_OK) {
			rc = set_err(st, sql_rc(src), "%s: cannot open read-only: %s", path,
				     st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(src));
			continue;
		}
		sqlite3_extended_result_codes(st->db, 1);
		bnn_store_set_busy(st, STORE_BUSY_MS);
		rc = identify(st, &version);
		if (rc == 0)
			break;
	}
	if (rc == 0 && version != SCHEMA_VERSION)
		rc = set_err(st, -EINVAL, "%s: schema version %d; reading it here needs write "
			     "access to bring it to version %d (`bnnbench export` reads it as it is)",
			     path, version, SCHEMA_VERSION);
out:
	sqlite3_free(wal);
	if (rc) {
		if (st && err && errlen && st->err[0])
			snprintf(err, errlen, "%s", st->err);
		bnn_store_close(st);
	} else {
		*out = st;
	}
	return rc;
}

/*
 * Closes the connection (the last one checkpoints and removes the WAL file)
 * and frees st. st may be NULL.
 */
void bnn_store_close(bnn_store_t *st)
{
	if (!st)
		return;
	sqlite3_close_v2(st->db);
	if (st->live_fd >= 0)
		close(st->live_fd);   /* releases the run's liveness lock */
	free(st->path);
	free(st);
}

/* See store.h. */
int bnn_store_schema_version(void)
{
	return SCHEMA_VERSION;
}

/* The reason of st's last failure; "" when none. st may be NULL. */
const char *bnn_store_errmsg(const bnn_store_t *st)
{
	return st ? st->err : "no store (bnn_store_open failed)";
}

/* Binds a count, or NULL when it is unknown (negative). */
static int bind_count(sqlite3_stmt *s, int i, int64_t v)
{
	return v >= 0 ? sqlite3_bind_int64(s, i, v) : sqlite3_bind_null(s, i);
}

/* Binds the topology to parameters 2..10: XML, then the counts. A machine
 * without XML (no hwloc) stores none of them, so that a later run with
 * hwloc fills them all at once. */
static int bind_topology(sqlite3_stmt *s, const bnn_machine_info_t *m)
{
	int x = !!m->topology_xml;
	int b = bind_text(s, 2, m->topology_xml);
	b |= bind_count(s, 3, x ? m->packages : -1);
	b |= bind_count(s, 4, x ? m->physical_cores : -1);
	b |= bind_count(s, 5, x ? m->pus : -1);
	b |= bind_count(s, 6, x ? m->numa_nodes : -1);
	b |= bind_count(s, 7, x ? m->l1d_bytes : -1);
	b |= bind_count(s, 8, x ? m->l2_bytes : -1);
	b |= bind_count(s, 9, x ? m->l3_bytes : -1);
	b |= bind_count(s, 10, x ? m->l3_caches : -1);
	return b;
}

/*
 * Finds the machine by fingerprint, inserting it when new, and gives a
 * known machine without topology the one in m. In a transaction.
 */
static int machine_id(bnn_store_t *st, const bnn_machine_info_t *m, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int found = 0;
	int rc, b;

	rc = prep(st, "SELECT id FROM machine WHERE fingerprint = ?1", &s);
	if (rc)
		goto out;
	if (bind_text(s, 1, m->fingerprint) != SQLITE_OK) {
		rc = db_fail(st, "looking up the machine");
		goto out;
	}
	rc = step_int(st, s, id, &found, "looking up the machine");
	if (rc)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (found) {
		/* Stored once: only a machine that has no topology yet (first
		 * stored by schema version 1, or without hwloc) gets it. */
		if (!m->topology_xml)
			goto out;
		rc = prep(st, "UPDATE machine SET topology_xml = ?2, packages = ?3,"
			  " physical_cores = ?4, pus = ?5, numa_nodes = ?6, l1d_bytes = ?7,"
			  " l2_bytes = ?8, l3_bytes = ?9, l3_caches = ?10"
			  " WHERE id = ?1 AND topology_xml IS NULL", &s);
		if (rc)
			goto out;
		b = sqlite3_bind_int64(s, 1, *id);
		b |= bind_topology(s, m);
		rc = bind_step(st, s, b, "storing the machine's topology");
		goto out;
	}

	rc = prep(st, "INSERT INTO machine (fingerprint, hostname, cpu_model,"
		  " isa_features, cores, record_json, first_seen, topology_xml, packages,"
		  " physical_cores, pus, numa_nodes, l1d_bytes, l2_bytes, l3_bytes, l3_caches)"
		  " VALUES (?1, ?11, ?12, ?13, ?14, ?15, " NOW_SQL ","
		  " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &s);
	if (rc)
		goto out;
	b = bind_text(s, 1, m->fingerprint);
	b |= bind_topology(s, m);
	b |= bind_text(s, 11, m->hostname);
	b |= bind_text(s, 12, m->cpu_model);
	b |= bind_text(s, 13, m->isa_features);
	b |= m->cores > 0 ? sqlite3_bind_int64(s, 14, m->cores)
			  : sqlite3_bind_null(s, 14);
	b |= bind_text(s, 15, m->record_json);
	rc = bind_step(st, s, b, "storing the machine");
	if (!rc)
		*id = sqlite3_last_insert_rowid(st->db);
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Finds the build, inserting it when new. NULL fields are stored as ""
 * so that UNIQUE matches them. In a transaction.
 */
static int build_id(bnn_store_t *st, const bnn_build_info_t *bi, int64_t *id)
{
	const char *v = bi->version ? bi->version : "";
	const char *c = bi->compiler ? bi->compiler : "";
	const char *f = bi->cflags ? bi->cflags : "";
	sqlite3_stmt *s = NULL;
	int found = 0;
	int rc, b;

	rc = prep(st, "SELECT id FROM build"
		  " WHERE version = ?1 AND compiler = ?2 AND cflags = ?3", &s);
	if (rc)
		goto out;
	b = bind_text(s, 1, v);
	b |= bind_text(s, 2, c);
	b |= bind_text(s, 3, f);
	if (b != SQLITE_OK) {
		rc = db_fail(st, "looking up the build");
		goto out;
	}
	rc = step_int(st, s, id, &found, "looking up the build");
	if (rc || found)
		goto out;
	sqlite3_finalize(s);
	s = NULL;

	rc = prep(st, "INSERT INTO build (version, compiler, cflags)"
		  " VALUES (?1, ?2, ?3)", &s);
	if (rc)
		goto out;
	b = bind_text(s, 1, v);
	b |= bind_text(s, 2, c);
	b |= bind_text(s, 3, f);
	rc = bind_step(st, s, b, "storing the build");
	if (!rc)
		*id = sqlite3_last_insert_rowid(st->db);
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Starts a run; see store.h. Needs m->fingerprint and r->suite; the machine
 * row keeps the record first stored under its fingerprint. The seed is
 * stored as the int64_t of the same bits. pid and host are this process's
 * (the host from gethostname(), which the stale-run check compares).
 * Machine, build and run go in one transaction: all or nothing.
 */
int bnn_store_begin_run(bnn_store_t *st, const bnn_machine_info_t *m,
			const bnn_build_info_t *b, const bnn_run_info_t *r, int64_t *run_id)
{
	sqlite3_stmt *s = NULL;
	int64_t mid = 0, bid = 0;
	int in_tx = 0;
	int rc, bc;

	if (!st)
		return -EINVAL;
	if (!m || !b || !r || !run_id || !m->fingerprint || !r->suite)
		return set_err(st, -EINVAL, "begin run: missing machine fingerprint, build, suite or run id");
	*run_id = 0;
	rc = tx_begin(st);
	if (rc)
		goto out;
	in_tx = 1;
	rc = machine_id(st, m, &mid);
	if (rc)
		goto out;
	rc = build_id(st, b, &bid);
	if (rc)
		goto out;
	rc = prep(st, "INSERT INTO run (machine_id, build_id, suite, command_line,"
		  " seed, check_only, pid, host, start_time, status, machine_record, rounds,"
		  " order_seed)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, " NOW_SQL ", 'running', ?9, ?10, ?11)",
		  &s);
	if (rc)
		goto out;
	bc = sqlite3_bind_int64(s, 1, mid);
	bc |= sqlite3_bind_int64(s, 2, bid);
	bc |= bind_text(s, 3, r->suite);
	bc |= bind_text(s, 4, r->command_line);
	bc |= sqlite3_bind_int64(s, 5, (sqlite3_int64)r->seed);
	bc |= sqlite3_bind_int(s, 6, r->check_only != 0);
	bc |= sqlite3_bind_int64(s, 7, (sqlite3_int64)getpid());
	bc |= st->host[0] ? bind_text(s, 8, st->host) : sqlite3_bind_null(s, 8);
	bc |= bind_text(s, 9, r->machine_record);
	bc |= r->rounds > 0 ? sqlite3_bind_int(s, 10, r->rounds) : sqlite3_bind_null(s, 10);
	bc |= r->rounds > 0 ? sqlite3_bind_int64(s, 11, (sqlite3_int64)r->seed) :
			      sqlite3_bind_null(s, 11);
	rc = bind_step(st, s, bc, "storing the run");
	if (!rc)
		*run_id = sqlite3_last_insert_rowid(st->db);
	/* Taken before the commit, so that no other process ever sees this
	 * run 'running' without its lock held. */
	if (!rc)
		live_hold(st, *run_id);
out:
	sqlite3_finalize(s);
	if (in_tx)
		rc = tx_end(st, rc);
	if (rc)
		*run_id = 0;
	return rc;
}

/*
 * Finds or inserts a problem; see store.h. canonical and op are needed,
 * name may be NULL. An existing problem keeps its stored name and op.
 */
int bnn_store_problem(bnn_store_t *st, const char *canonical, const char *name,
		      const char *op, int64_t *problem_id)
{
	sqlite3_stmt *s = NULL;
	int found = 0;
	int in_tx = 0;
	int rc, b;

	if (!st)
		return -EINVAL;
	if (!canonical || !op || !problem_id)
		return set_err(st, -EINVAL, "problem: missing canonical descriptor, op or id");
	*problem_id = 0;
	rc = tx_begin(st);
	if (rc)
		goto out;
	in_tx = 1;
	rc = prep(st, "SELECT id FROM problem WHERE canonical = ?1", &s);
	if (rc)
		goto out;
	if (bind_text(s, 1, canonical) != SQLITE_OK) {
		rc = db_fail(st, "looking up the problem");
		goto out;
	}
	rc = step_int(st, s, problem_id, &found, "looking up the problem");
	if (rc || found)
		goto out;
	sqlite3_finalize(s);
	s = NULL;

	rc = prep(st, "INSERT INTO problem (canonical, name, op) VALUES (?1, ?2, ?3)", &s);
	if (rc)
		goto out;
	b = bind_text(s, 1, canonical);
	b |= bind_text(s, 2, name);
	b |= bind_text(s, 3, op);
	rc = bind_step(st, s, b, "storing the problem");
	if (!rc)
		*problem_id = sqlite3_last_insert_rowid(st->db);
out:
	sqlite3_finalize(s);
	if (in_tx)
		rc = tx_end(st, rc);
	if (rc)
		*problem_id = 0;
	return rc;
}

/*
 * Inserts the counters of result id (inside the result's transaction). A
 * counter needs source, event and status "ok" (with a value >= 0 and
 * reps > 0) or "failed" (value NULL). per_rep is value / reps.
 */
static int store_counters(bnn_store_t *st, int64_t id, const bnn_result_rec_t *r)
{
	sqlite3_stmt *s = NULL;
	int rc = 0, b;

	if (!r->ncounters)
		return 0;
	rc = prep(st, "INSERT INTO counter (result_id, source, event, value, status, reason,"
		  " reps, per_rep, scope, multiplexed)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &s);
	if (rc)
		goto out;
	for (size_t i = 0; i < r->ncounters; i++) {
		const bnn_counter_rec_t *c = &r->counters[i];
		int ok = c->status && !strcmp(c->status, "ok");

		if (!c->source || !c->event || (!ok && (!c->status || strcmp(c->status, "failed")))) {
			rc = set_err(st, -EINVAL, "result %s: counter %zu: needs source, event and"
				     " status ok or failed", r->kernel, i);
			goto out;
		}
		if (ok && c->real && (!isfinite(c->real_value) || c->reps <= 0)) {
			rc = set_err(st, -EINVAL, "result %s: counter %s: value %g over %lld"
				     " repetitions", r->kernel, c->event, c->real_value, c->reps);
			goto out;
		}
		if (ok && !c->real && (c->value < 0 || c->reps <= 0)) {
			rc = set_err(st, -EINVAL, "result %s: counter %s: value %lld over %lld"
				     " repetitions", r->kernel, c->event, c->value, c->reps);
			goto out;
		}
		b = sqlite3_bind_int64(s, 1, id);
		b |= bind_text(s, 2, c->source);
		b |= bind_text(s, 3, c->event);
		b |= !ok ? sqlite3_bind_null(s, 4) : c->real ? sqlite3_bind_double(s, 4, c->real_value)
			: sqlite3_bind_int64(s, 4, c->value);
		b |= bind_text(s, 5, c->status);
		b |= bind_text(s, 6, c->reason);
		b |= c->reps > 0 ? sqlite3_bind_int64(s, 7, c->reps) : sqlite3_bind_null(s, 7);
		b |= ok ? sqlite3_bind_double(s, 8, (c->real ? c->real_value : (double)c->value) /
					      (double)c->reps)
			: sqlite3_bind_null(s, 8);
		b |= bind_text(s, 9, c->scope);
		b |= sqlite3_bind_int(s, 10, c->multiplexed != 0);
		rc = bind_step(st, s, b, "storing counters");
		if (rc)
			goto out;
	}
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Stores the availability of a run's events; see store.h. All or nothing,
 * in one transaction. status must be ok, unavailable or unknown.
 */
int bnn_store_run_counters(bnn_store_t *st, int64_t run_id, const bnn_run_counter_t *c,
			   size_t n)
{
	static const char *const ok_status[] = { "ok", "unavailable", "unknown", NULL };
	sqlite3_stmt *s = NULL;
	int in_tx = 0;
	int rc, b;

	if (!st)
		return -EINVAL;
	if (n && !c)
		return set_err(st, -EINVAL, "run counters: %zu events but no array", n);
	for (size_t i = 0; i < n; i++)
		if (!c[i].source || !c[i].event || !one_of(c[i].status, ok_status))
			return set_err(st, -EINVAL, "run counters: event %zu needs source, name"
				       " and status ok, unavailable or unknown", i);
	rc = tx_begin(st);
	if (rc)
		goto out;
	in_tx = 1;
	rc = prep(st, "INSERT INTO run_counter (run_id, source, event, component, status,"
		  " reason, multiplexed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &s);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		b = sqlite3_bind_int64(s, 1, run_id);
		b |= bind_text(s, 2, c[i].source);
		b |= bind_text(s, 3, c[i].event);
		b |= bind_text(s, 4, c[i].component && c[i].component[0] ? c[i].component : NULL);
		b |= bind_text(s, 5, c[i].status);
		b |= bind_text(s, 6, c[i].reason && c[i].reason[0] ? c[i].reason : NULL);
		b |= sqlite3_bind_int(s, 7, c[i].multiplexed != 0);
		rc = bind_step(st, s, b, "storing the run's counters");
		if (rc)
			goto out;
	}
out:
	sqlite3_finalize(s);
	if (in_tx)
		rc = tx_end(st, rc);
	return rc;
}

/* Stores the per-block rows of one network result, in one transaction. */
int bnn_store_network_blocks(bnn_store_t *st, int64_t network_result_id,
			     const bnn_network_block_t *b, size_t n)
{
	sqlite3_stmt *s = NULL;
	int in_tx = 0, rc;

	if (!st || (n && !b))
		return -EINVAL;
	rc = tx_begin(st);
	if (rc)
		goto out;
	in_tx = 1;
	rc = prep(st, "INSERT INTO network_block (network_result_id, block, block_result_id,"
		  " share) VALUES (?1, ?2, ?3, ?4)", &s);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int e = sqlite3_bind_int64(s, 1, network_result_id);
		e |= sqlite3_bind_int(s, 2, b[i].block);
		e |= sqlite3_bind_int64(s, 3, b[i].block_result_id);
		e |= bind_real(s, 4, b[i].share);
		rc = bind_step(st, s, e, "storing the network's blocks");
		if (rc)
			goto out;
	}
out:
	sqlite3_finalize(s);
	if (in_tx)
		rc = tx_end(st, rc);
	return rc;
}

/* The CUPTI kernel records of result id (schema 4), inside the result's transaction. */
/* The round rows of result id (schema 5), inside the result's transaction. */
static int store_rounds(bnn_store_t *st, int64_t id, const bnn_result_rec_t *r)
{
	sqlite3_stmt *s = NULL;
	int rc = 0, b;
	if (!r->nrounds || !r->round_ns || !r->round_n)
		return 0;
	rc = prep(st, "INSERT INTO round (result_id, round, position, nsamples, median_ns,"
		  " other_cpus, steal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &s);
	for (size_t i = 0; i < r->nrounds && !rc; i++) {
		if (r->round_n[i] == 0)
			continue;
		b = sqlite3_bind_int64(s, 1, id);
		b |= sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		b |= r->round_pos ? sqlite3_bind_int(s, 3, r->round_pos[i]) : sqlite3_bind_null(s, 3);
		b |= sqlite3_bind_int64(s, 4, (sqlite3_int64)r->round_n[i]);
		b |= bind_real(s, 5, r->round_ns[i]);
		b |= bind_real(s, 6, r->round_other_cpus ? r->round_other_cpus[i] : NAN);
		b |= bind_real(s, 7, r->round_steal ? r->round_steal[i] : NAN);
		rc = bind_step(st, s, b, "storing the rounds");
	}
	sqlite3_finalize(s);
	return rc;
}

static int store_gpu_kernels(bnn_store_t *st, int64_t id, const bnn_result_rec_t *r)
{
	sqlite3_stmt *s = NULL;
	int rc = 0, b;
	if (!r->ngpu_kernels)
		return 0;
	rc = prep(st, "INSERT INTO gpu_kernel (result_id, name, reps, launches, total_ns,"
		  " min_ns, max_ns, per_rep_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &s);
	if (rc)
		return rc;
	for (size_t i = 0; i < r->ngpu_kernels && !rc; i++) {
		const bnn_gpu_kernel_rec_t *g = &r->gpu_kernels[i];
		if (!g->name || g->reps <= 0) {
			rc = set_err(st, -EINVAL, "result %s: a GPU kernel record without a name"
				     " or repetitions", r->kernel);
			break;
		}
		b = sqlite3_bind_int64(s, 1, id);
		b |= bind_text(s, 2, g->name);
		b |= sqlite3_bind_int64(s, 3, g->reps);
		b |= sqlite3_bind_int64(s, 4, g->launches);
		b |= bind_real(s, 5, g->total_ns);
		b |= bind_real(s, 6, g->min_ns);
		b |= bind_real(s, 7, g->max_ns);
		b |= bind_real(s, 8, g->total_ns / (double)g->reps);
		rc = bind_step(st, s, b, "storing GPU kernel records");
	}
	sqlite3_finalize(s);
	return rc;
}

/*
 * Stores one result and its samples; see store.h. Needs kernel and status
 * (PASS, FAIL, SKIP, MISTRUSTED); kind NULL means "kernel". NaN numbers and
 * NaN samples are stored as NULL. result_id may be NULL. A result already
 * stored for (run, problem, kernel) is refused. On any failure nothing of
 * it is stored.
 */
int bnn_store_result(bnn_store_t *st, int64_t run_id, int64_t problem_id,
		     const bnn_result_rec_t *r, int64_t *result_id)
{
	sqlite3_stmt *s = NULL;
	const char *kind;
	int64_t id = 0;
	int in_tx = 0;
	int rc, b;
	size_t i;

	if (!st)
		return -EINVAL;
	if (result_id)
		*result_id = 0;
	if (!r || !r->kernel)
		return set_err(st, -EINVAL, "result: no kernel name");
	kind = r->kind ? r->kind : "kernel";
	if (!one_of(kind, result_kind))
		return set_err(st, -EINVAL, "result %s: kind '%s' is not kernel, peer or probe",
			       r->kernel, kind);
	if (!one_of(r->status, result_status))
		return set_err(st, -EINVAL, "result %s: status '%s' is not PASS, FAIL, SKIP or MISTRUSTED",
			       r->kernel, r->status ? r->status : "(null)");
	if (r->nsamples && !r->samples_ns)
		return set_err(st, -EINVAL, "result %s: %zu samples but no array",
			       r->kernel, r->nsamples);
	if (r->nsamples > (size_t)INT64_MAX)
		return set_err(st, -EINVAL, "result %s: too many samples", r->kernel);
	if (r->ncounters && !r->counters)
		return set_err(st, -EINVAL, "result %s: %zu counters but no array",
			       r->kernel, r->ncounters);

	rc = tx_begin(st);
	if (rc)
		goto out;
	in_tx = 1;
	rc = prep(st, "INSERT INTO result (run_id, problem_id, kernel, kind, isa,"
		  " status, reason, repro, max_abs_err, max_rel_err, bound, nsamples,"
		  " min_ns, median_ns, ci_lo_ns, ci_hi_ns, macs, tops, efficiency,"
		  " threads, binding, value, value_median, unit, device_min_ns,"
		  " device_median_ns, efficiency_raw, peak_status)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		  " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26,"
		  " ?27, ?28)", &s);
	if (rc)
		goto out;
	b = sqlite3_bind_int64(s, 1, run_id);
	b |= sqlite3_bind_int64(s, 2, problem_id);
	b |= bind_text(s, 3, r->kernel);
	b |= bind_text(s, 4, kind);
	b |= bind_text(s, 5, r->isa);
	b |= bind_text(s, 6, r->status);
	b |= bind_text(s, 7, r->reason);
	b |= bind_text(s, 8, r->repro);
	b |= bind_real(s, 9, r->max_abs_err);
	b |= bind_real(s, 10, r->max_rel_err);
	b |= bind_real(s, 11, r->bound);
	b |= sqlite3_bind_int64(s, 12, (sqlite3_int64)r->nsamples);
	b |= bind_real(s, 13, r->min_ns);
	b |= bind_real(s, 14, r->median_ns);
	b |= bind_real(s, 15, r->ci_lo_ns);
	b |= bind_real(s, 16, r->ci_hi_ns);
	b |= bind_real(s, 17, r->macs);
	b |= bind_real(s, 18, r->tops);
	b |= bind_real(s, 19, r->efficiency);
	b |= r->threads > 0 ? sqlite3_bind_int(s, 20, r->threads) : sqlite3_bind_null(s, 20);
	b |= bind_text(s, 21, r->binding);
	b |= r->unit ? bind_real(s, 22, r->value) : sqlite3_bind_null(s, 22);
	b |= r->unit ? bind_real(s, 23, r->value_median) : sqlite3_bind_null(s, 23);
	b |= bind_text(s, 24, r->unit);
	b |= bind_real(s, 25, r->device_ns ? r->device_min_ns : NAN);
	b |= bind_real(s, 26, r->device_ns ? r->device_median_ns : NAN);
	b |= bind_real(s, 27, r->peak_status ? r->efficiency_raw : NAN);
	b |= bind_text(s, 28, r->peak_status);
	rc = bind_step(st, s, b, "storing the result");
	if (rc)
		goto out;
	id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	s = NULL;

	rc = prep(st, "INSERT INTO sample (result_id, idx, ns, device_ns, round)"
		  " VALUES (?1, ?2, ?3, ?4, ?5)", &s);
	if (rc)
		goto out;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		rc = db_fail(st, "storing samples");
		goto out;
	}
	for (i = 0; i < r->nsamples; i++) {
		b = sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		b |= bind_real(s, 3, r->samples_ns[i]);
		b |= bind_real(s, 4, r->device_ns ? r->device_ns[i] : NAN);
		b |= r->sample_round ? sqlite3_bind_int(s, 5, r->sample_round[i]) :
				       sqlite3_bind_null(s, 5);
		rc = bind_step(st, s, b, "storing samples");
		if (rc)
			goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	rc = store_counters(st, id, r);
	if (!rc)
		rc = store_gpu_kernels(st, id, r);
	if (!rc)
		rc = store_rounds(st, id, r);
out:
	sqlite3_finalize(s);
	if (in_tx)
		rc = tx_end(st, rc);
	if (!rc && result_id)
		*result_id = id;
	return rc;
}

int bnn_store_run_quiet(bnn_store_t *st, int64_t run_id, int quiet, const char *json)
{
	sqlite3_stmt *s = NULL;
	int rc, b;
	if (!st)
		return -EINVAL;
	rc = prep(st, "UPDATE run SET quiet = ?1, quiet_json = ?2 WHERE id = ?3", &s);
	if (rc)
		return rc;
	b = quiet < 0 ? sqlite3_bind_null(s, 1) : sqlite3_bind_int(s, 1, quiet ? 1 : 0);
	b |= bind_text(s, 2, json);
	b |= sqlite3_bind_int64(s, 3, run_id);
	rc = bind_step(st, s, b, "storing how quiet the machine was");
	sqlite3_finalize(s);
	return rc;
}

/*
 * Ends a run; see store.h. status must be passed, failed or interrupted;
 * -ENOENT when there is no such run. Ending a run twice keeps the last.
 */
int bnn_store_end_run(bnn_store_t *st, int64_t run_id, const char *status)
{
	sqlite3_stmt *s = NULL;
	int rc, b;

	if (!st)
		return -EINVAL;
	if (!one_of(status, run_end_status))
		return set_err(st, -EINVAL, "end run %lld: status '%s' is not passed, failed or interrupted",
			       (long long)run_id, status ? status : "(null)");
	rc = prep(st, "UPDATE run SET status = ?1, end_time = " NOW_SQL
		  " WHERE id = ?2", &s);
	if (rc)
		goto out;
	b = bind_text(s, 1, status);
	b |= sqlite3_bind_int64(s, 2, run_id);
	rc = bind_step(st, s, b, "ending the run");
	if (rc)
		goto out;
	if (sqlite3_changes(st->db) == 0)
		rc = set_err(st, -ENOENT, "end run: no run %lld", (long long)run_id);
out:
	sqlite3_finalize(s);
	return rc;
}

/* Copies the rows of table t that sql selects from src into st's main
 * database, column by column as st's table names them. */
static int copy_rows(bnn_store_t *st, const char *t, const char *where, int64_t id)
{
	sqlite3_stmt *s = NULL;
	char *cols = NULL, *sql = NULL;
	int rc;

	rc = prep(st, "SELECT group_concat('\"' || replace(name, '\"', '\"\"') || '\"', ', ')"
		  " FROM pragma_table_info(?1, 'main')",
		  &s);
	if (rc)
		return rc;
	if (bind_text(s, 1, t) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW ||
	    !sqlite3_column_text(s, 0)) {
		rc = db_fail(st, "reading the spool file's columns");
		goto out;
	}
	cols = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	s = NULL;
	sql = cols ? sqlite3_mprintf("INSERT OR IGNORE INTO main.%s (%s) SELECT %s FROM src.%s"
				     " WHERE %s", t, cols, cols, t, where) : NULL;
	if (!sql) {
		rc = set_err(st, -ENOMEM, "spool file: out of memory");
		goto out;
	}
	rc = prep(st, sql, &s);
	if (rc)
		goto out;
	rc = bind_step(st, s, sqlite3_bind_int64(s, 1, id), "copying the run into the spool file");
out:
	sqlite3_finalize(s);
	sqlite3_free(cols);
	sqlite3_free(sql);
	return rc;
}

/* See store.h. */
int bnn_store_copy_run(bnn_store_t *st, const char *src_path, int64_t run_id)
{
	sqlite3_stmt *s = NULL;
	int rc, in_tx = 0;

	if (!st || !src_path)
		return -EINVAL;
	/* A plain path (this connection takes no URIs): the file exists, the
	 * run being in it, and only SELECTs read it. */
	rc = prep(st, "ATTACH DATABASE ?1 AS src", &s);
	if (!rc)
		rc = bind_step(st, s, bind_text(s, 1, src_path), "attaching the database");
	sqlite3_finalize(s);
	if (rc)
		return rc;
	/* BEGIN (deferred), not tx_begin's IMMEDIATE, which would ask for the
	 * write lock of the attached database too. */
	rc = exec_sql(st, "BEGIN", "starting a transaction");
	in_tx = !rc;
	if (!rc)
		rc = copy_rows(st, "machine",
			       "id = (SELECT machine_id FROM src.run WHERE id = ?1)", run_id);
	if (!rc)
		rc = copy_rows(st, "build", "id = (SELECT build_id FROM src.run WHERE id = ?1)",
			       run_id);
	if (!rc)
		rc = copy_rows(st, "run", "id = ?1", run_id);
	if (in_tx)
		rc = tx_end(st, rc);
	sqlite3_exec(st->db, "DETACH DATABASE src", NULL, NULL, NULL);
	return rc;
}

/* The newest run is the largest id (run ids are never reused). */
int bnn_store_latest_run(bnn_store_t *st, int64_t *run_id)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (!st)
		return -EINVAL;
	if (!run_id)
		return set_err(st, -EINVAL, "latest run: no output");
	*run_id = 0;
	rc = prep(st, "SELECT coalesce(max(id), 0) FROM run", &s);
	if (rc)
		goto out;
	rc = step_int(st, s, run_id, NULL, "finding the latest run");
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Copies a run's status into buf (len > 0). -ENOENT when there is no such
 * run; -ERANGE when it does not fit (buf then holds what fits).
 */
int bnn_store_run_status(bnn_store_t *st, int64_t run_id, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	int rc, src;

	if (!st)
		return -EINVAL;
	if (!buf || !len)
		return set_err(st, -EINVAL, "run status: no buffer");
	buf[0] = '\0';
	rc = prep(st, "SELECT status FROM run WHERE id = ?1", &s);
	if (rc)
		goto out;
	if (sqlite3_bind_int64(s, 1, run_id) != SQLITE_OK) {
		rc = db_fail(st, "reading the run status");
		goto out;
	}
	src = sqlite3_step(s);
	if (src == SQLITE_DONE) {
		rc = set_err(st, -ENOENT, "run status: no run %lld", (long long)run_id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_fail(st, "reading the run status");
		goto out;
	}
	t = sqlite3_column_text(s, 0);
	if (!t) {
		rc = db_fail(st, "reading the run status");
		goto out;
	}
	if ((size_t)snprintf(buf, len, "%s", (const char *)t) >= len)
		rc = set_err(st, -ERANGE, "run status: buffer of %zu too small", len);
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Counts a run's results with the given status, or all of them when status
 * is NULL. -ENOENT when there is no such run (an existing run with no
 * results counts 0).
 */
int bnn_store_count_results(bnn_store_t *st, int64_t run_id, const char *status,
			    int64_t *count)
{
	sqlite3_stmt *s = NULL;
	int64_t exists = 0;
	int rc, b, src;

	if (!st)
		return -EINVAL;
	if (!count)
		return set_err(st, -EINVAL, "count results: no output");
	*count = 0;
	rc = prep(st, status ?
		  "SELECT EXISTS (SELECT 1 FROM run WHERE id = ?1),"
		  " (SELECT count(*) FROM result WHERE run_id = ?1 AND status = ?2)" :
		  "SELECT EXISTS (SELECT 1 FROM run WHERE id = ?1),"
		  " (SELECT count(*) FROM result WHERE run_id = ?1)", &s);
	if (rc)
		goto out;
	b = sqlite3_bind_int64(s, 1, run_id);
	if (status)
		b |= bind_text(s, 2, status);
	if (b != SQLITE_OK) {
		rc = db_fail(st, "counting results");
		goto out;
	}
	src = sqlite3_step(s);
	if (src != SQLITE_ROW) {
		rc = db_fail(st, "counting results");
		goto out;
	}
	exists = sqlite3_column_int64(s, 0);
	if (!exists) {
		rc = set_err(st, -ENOENT, "count results: no run %lld", (long long)run_id);
		goto out;
	}
	*count = sqlite3_column_int64(s, 1);
out:
	sqlite3_finalize(s);
	return rc;
}

/* Formats column col of s with fmt after scaling, or "-" when NULL. */
static const char *fmt_num(sqlite3_stmt *s, int col, const char *fmt,
			   double scale, char *buf, size_t len)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return "-";
	snprintf(buf, len, fmt, sqlite3_column_double(s, col) * scale);
	return buf;
}

/* Formats the confidence interval [lo, hi] in microseconds, or "-". */
static const char *fmt_ci(sqlite3_stmt *s, int lo, int hi, char *buf, size_t len)
{
	if (sqlite3_column_type(s, lo) == SQLITE_NULL ||
	    sqlite3_column_type(s, hi) == SQLITE_NULL)
		return "-";
	snprintf(buf, len, "%.3f-%.3f", sqlite3_column_double(s, lo) * 1e-3,
		 sqlite3_column_double(s, hi) * 1e-3);
	return buf;
}

/* Prints the events the run asked for, one line, when it asked for any. */
static int print_run_counters(bnn_store_t *st, int64_t run_id, FILE *f)
{
	sqlite3_stmt *s = NULL;
	char prev_status[32] = "", prev_reason[512] = "";
	int rc, src, n = 0, prev_mpx = 0;

	/* Counted events first, then those sharing a reason one after the
	 * other, as the run printed them. */
	rc = prep(st, "SELECT event, status, reason, multiplexed FROM run_counter"
		  " WHERE run_id = ?1 ORDER BY status != 'ok', coalesce(reason, ''),"
		  " multiplexed, rowid", &s);
	if (rc)
		goto out;
	if (sqlite3_bind_int64(s, 1, run_id) != SQLITE_OK) {
		rc = db_fail(st, "reading the run's counters");
		goto out;
	}
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(s, 1);
		const char *reason = (const char *)sqlite3_column_text(s, 2);
		int mpx = sqlite3_column_int(s, 3);

		/* A new clause when status, reason or multiplexing change. */
		if (n && (strcmp(status, prev_status) || strcmp(reason ? reason : "", prev_reason) ||
			  mpx != prev_mpx))
			fprintf(f, " %s%s%s%s; ", prev_status, prev_mpx ? " (multiplexed)" : "",
				prev_reason[0] ? ": " : "", prev_reason);
		else if (n)
			fputs(", ", f);
		fprintf(f, "%s%s", n++ ? "" : "counters: ", sqlite3_column_text(s, 0));
		snprintf(prev_status, sizeof(prev_status), "%s", status);
		snprintf(prev_reason, sizeof(prev_reason), "%s", reason ? reason : "");
		prev_mpx = mpx;
	}
	if (n)
		fprintf(f, " %s%s%s%s", prev_status, prev_mpx ? " (multiplexed)" : "",
			prev_reason[0] ? ": " : "", prev_reason);
	if (src != SQLITE_DONE) {
		rc = db_fail(st, "reading the run's counters");
		goto out;
	}
	if (n)
		fputc('\n', f);
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Prints a result's counters per repetition on one indented line, then the
 * figures derived from them where their inputs exist. Nothing when the
 * result has no counters.
 */
static int print_counters(bnn_store_t *st, int64_t result_id, FILE *f)
{
	sqlite3_stmt *s = NULL;
	int rc, src, n = 0;

	rc = prep(st, "SELECT event, per_rep, status, reason, scope, reps, multiplexed"
		  " FROM counter WHERE result_id = ?1 ORDER BY id", &s);
	if (rc)
		goto out;
	if (sqlite3_bind_int64(s, 1, result_id) != SQLITE_OK) {
		rc = db_fail(st, "reading counters");
		goto out;
	}
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (!n++)
			fprintf(f, "    counters per repetition (%s, %lld reps%s):",
				sqlite3_column_type(s, 4) == SQLITE_NULL ? "scope unknown" :
				(const char *)sqlite3_column_text(s, 4),
				(long long)sqlite3_column_int64(s, 5),
				sqlite3_column_int(s, 6) ? ", multiplexed" : "");
		if (sqlite3_column_type(s, 1) == SQLITE_NULL)
			fprintf(f, "%s %s %s (%s)", n > 1 ? "," : "", sqlite3_column_text(s, 0),
				sqlite3_column_text(s, 2),
				sqlite3_column_type(s, 3) == SQLITE_NULL ? "no reason" :
				(const char *)sqlite3_column_text(s, 3));
		else
			fprintf(f, "%s %s %.6g", n > 1 ? "," : "", sqlite3_column_text(s, 0),
				sqlite3_column_double(s, 1));
	}
	if (src != SQLITE_DONE) {
		rc = db_fail(st, "reading counters");
		goto out;
	}
	if (!n)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	rc = prep(st, "SELECT ipc, bitmacs_per_cycle, instructions_per_bitmac"
		  " FROM counter_derived WHERE result_id = ?1", &s);
	if (rc)
		goto out;
	if (sqlite3_bind_int64(s, 1, result_id) != SQLITE_OK) {
		rc = db_fail(st, "reading derived counters");
		goto out;
	}
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		static const char *const name[] = { "IPC", "bit-MACs/cycle", "instructions/bit-MAC" };
		for (int i = 0; i < 3; i++)
			if (sqlite3_column_type(s, i) != SQLITE_NULL)
				fprintf(f, "; %s %.4g", name[i], sqlite3_column_double(s, i));
	} else if (src != SQLITE_DONE) {
		rc = db_fail(st, "reading derived counters");
		goto out;
	}
	fputc('\n', f);
out:
	sqlite3_finalize(s);
	return rc;
}

/* Prints the run's heading line; -ENOENT when there is no such run. */
static int print_heading(bnn_store_t *st, int64_t run_id, FILE *f)
{
	sqlite3_stmt *s = NULL;
	const char *col[6];
	int rc, src, i;

	rc = prep(st, "SELECT r.suite, r.status, r.start_time,"
		  " coalesce(r.end_time, '-'), coalesce(r.host, '-'), m.fingerprint"
		  " FROM run r JOIN machine m ON m.id = r.machine_id WHERE r.id = ?1", &s);
	if (rc)
		goto out;
	if (sqlite3_bind_int64(s, 1, run_id) != SQLITE_OK) {
		rc = db_fail(st, "reading the run");
		goto out;
	}
	src = sqlite3_step(s);
	if (src == SQLITE_DONE) {
		rc = set_err(st, -ENOENT, "print run: no run %lld", (long long)run_id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_fail(st, "reading the run");
		goto out;
	}
	for (i = 0; i < 6; i++) {
		col[i] = (const char *)sqlite3_column_text(s, i);
		if (!col[i])
			col[i] = "-";
	}
	fprintf(f, "run %lld: suite %s, %s, %s to %s, host %s, machine %s\n",
		(long long)run_id, col[0], col[1], col[2], col[3], col[4], col[5]);
	sqlite3_finalize(s);
	s = NULL;
	rc = print_run_counters(st, run_id, f);
out:
	sqlite3_finalize(s);
	return rc;
}

/* Prints how many results of the run have each status. */
static int print_counts(bnn_store_t *st, int64_t run_id, FILE *f)
{
	int64_t n, total = 0;
	int rc = 0;
	int i;

	for (i = 0; result_status[i]; i++) {
		rc = bnn_store_count_results(st, run_id, result_status[i], &n);
		if (rc)
			return rc;
		fprintf(f, "%s%s %lld", i ? ", " : "", result_status[i], (long long)n);
		total += n;
	}
	fprintf(f, " (%lld results)\n", (long long)total);
	return rc;
}

/*
 * Prints a run; see store.h. Columns are as wide as their widest entry, so
 * the table lines up whatever the names; times are in microseconds, the CI
 * is the 95% interval of the median. A result that did not pass gets its
 * reason on the next line. Nothing is printed for a missing run.
 */
/* The run's rounds and how quiet the machine was (schema 5), one line. */
static int print_quiet(bnn_store_t *st, int64_t run_id, FILE *f)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, "SELECT rounds, quiet, json_extract(quiet_json, '$.reasons')"
		      " FROM run WHERE id = ?1", &s);
	if (rc)
		return rc;
	if (sqlite3_bind_int64(s, 1, run_id) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			fprintf(f, "rounds: %d per kernel and peer\n", sqlite3_column_int(s, 0));
		const unsigned char *why = sqlite3_column_text(s, 2);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL && sqlite3_column_int(s, 1))
			fprintf(f, "machine: quiet\n");
		else if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			fprintf(f, "machine: NOT QUIET (%s)\n", why ? (const char *)why : "?");
	}
	sqlite3_finalize(s);
	return 0;
}

int bnn_store_print_run(bnn_store_t *st, int64_t run_id, FILE *f)
{
	static const char *const head[] = {
		"problem", "kernel", "status", "median us", "CI us", "TOPS", "efficiency",
		"max abs err", "bound", "samples",
	};
	enum { NCOL = sizeof(head) / sizeof(head[0]) };
	sqlite3_stmt *s = NULL;
	char num[NCOL][64];
	const char *cell[NCOL];
	int width[NCOL];
	int rc, src, pass, i;

	if (!st)
		return -EINVAL;
	if (!f)
		return set_err(st, -EINVAL, "print run: no stream");
	if (run_id == 0) {
		rc = bnn_store_latest_run(st, &run_id);
		if (rc)
			return rc;
		if (run_id == 0)
			return set_err(st, -ENOENT, "print run: no runs stored");
	}
	rc = print_heading(st, run_id, f);
	if (rc)
		goto out;
	rc = prep(st, "SELECT coalesce(p.name, p.canonical), r.kernel, r.status,"
		  " r.median_ns, r.ci_lo_ns, r.ci_hi_ns, r.tops, r.max_abs_err,"
		  " r.bound, r.nsamples, r.reason, r.id, r.efficiency,"
		  /* above 1 stored as valid (before schema 5): mistrusted too */
		  " CASE WHEN r.efficiency > 1 THEN 'mistrusted' ELSE r.peak_status END,"
		  " CASE WHEN r.efficiency > 1 THEN r.efficiency ELSE r.efficiency_raw END"
		  " FROM result r JOIN problem p ON p.id = r.problem_id"
		  " WHERE r.run_id = ?1 ORDER BY r.id", &s);
	if (rc)
		goto out;
	if (sqlite3_bind_int64(s, 1, run_id) != SQLITE_OK) {
		rc = db_fail(st, "reading the results");
		goto out;
	}
	for (i = 0; i < NCOL; i++)
		width[i] = (int)strlen(head[i]);

	/* Pass 0 measures the columns, pass 1 prints them. */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			for (i = 0; i < NCOL; i++)
				fprintf(f, "%s%*s", i ? "  " : "",
					i >= 3 ? width[i] : -width[i], head[i]);
			fputc('\n', f);
		}
		while ((src = sqlite3_step(s)) == SQLITE_ROW) {
			for (i = 0; i < 3; i++) {
				cell[i] = (const char *)sqlite3_column_text(s, i);
				if (!cell[i])
					cell[i] = "-";
			}
			cell[3] = fmt_num(s, 3, "%.3f", 1e-3, num[3], sizeof(num[3]));
			cell[4] = fmt_ci(s, 4, 5, num[4], sizeof(num[4]));
			cell[5] = fmt_num(s, 6, "%.4g", 1, num[5], sizeof(num[5]));
			/* A mistrusted peak shows as such, never as a percentage. */
			const unsigned char *ps = sqlite3_column_text(s, 13);
			if (ps && !strcmp((const char *)ps, "mistrusted")) {
				snprintf(num[6], sizeof(num[6]), "peak mistrusted (%.0f%%)",
					 100 * sqlite3_column_double(s, 14));
				cell[6] = num[6];
			} else {
				cell[6] = fmt_num(s, 12, "%.1f%%", 100, num[6], sizeof(num[6]));
			}
			cell[7] = fmt_num(s, 7, "%.3g", 1, num[7], sizeof(num[7]));
			cell[8] = fmt_num(s, 8, "%.3g", 1, num[8], sizeof(num[8]));
			cell[9] = fmt_num(s, 9, "%.0f", 1, num[9], sizeof(num[9]));
			for (i = 0; i < NCOL; i++) {
				int len = (int)strlen(cell[i]);

				if (pass == 0 && len > width[i])
					width[i] = len;
				if (pass == 1)
					fprintf(f, "%s%*s", i ? "  " : "",
						i >= 3 ? width[i] : -width[i], cell[i]);
			}
			if (pass == 1) {
				fputc('\n', f);
				if (strcmp(cell[2], "PASS") &&
				    sqlite3_column_type(s, 10) != SQLITE_NULL)
					fprintf(f, "    %s\n", sqlite3_column_text(s, 10));
				rc = print_counters(st, sqlite3_column_int64(s, 11), f);
				if (rc)
					goto out;
			}
		}
		if (src != SQLITE_DONE) {
			rc = db_fail(st, "reading the results");
			goto out;
		}
		sqlite3_reset(s);
	}
	rc = print_counts(st, run_id, f);
	if (!rc)
		rc = print_quiet(st, run_id, f);
out:
	sqlite3_finalize(s);
	return rc;
}
