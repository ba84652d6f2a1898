/*
 * test_store.c: TAP tests of the results store (results/store.c).
 *
 *   sh results/sql2c.sh results/schema.sql > /tmp/schema_sql.h
 *   gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -O2 -I harness -I /tmp \
 *       tests/test_store.c results/store.c -lsqlite3
 *
 * Everything happens in a fresh directory under $TMPDIR (or /tmp), removed
 * at the end. Exits 0 only when every test passed.
 */
/* mkdtemp, nftw, open_memstream: X/Open, unless the build asks for more. */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700
#endif

#include "store.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#define PLAN 48

static int ntest, nfail;
static char tmpdir[1024];

/* Prints one TAP line for cond; returns cond. */
static int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		nfail++;
	return cond;
}

/* Prints a TAP diagnostic line. */
static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* tmpdir/name into buf. */
static const char *tpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
	return buf;
}

/* Runs SQL on path through a plain connection of its own; 0 on success. */
static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		diag("raw_exec %s: %s", sql, db ? sqlite3_errmsg(db) : "no memory");
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The integer that SQL returns on path (first row, first column); -1 on error. */
static int raw_int(const char *path, const char *sql, int64_t *v)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	*v = sqlite3_column_int64(s, 0);
	rc = 0;
out:
	if (rc)
		diag("raw_int %s: %s", sql, db ? sqlite3_errmsg(db) : "no memory");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/* The text that SQL returns on path into buf; -1 on error. */
static int raw_text(const char *path, const char *sql, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	int rc = -1;

	buf[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	t = sqlite3_column_text(s, 0);
	snprintf(buf, len, "%s", t ? (const char *)t : "(null)");
	rc = 0;
out:
	if (rc)
		diag("raw_text %s: %s", sql, db ? sqlite3_errmsg(db) : "no memory");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/* Writes len bytes to a new file at path; 0 on success. */
static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -1;
	if (len && fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Whether the file at path holds exactly data (len bytes). */
static int same_file(const char *path, const void *data, size_t len)
{
	unsigned char buf[8192];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return n == len && !memcmp(buf, data, len);
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static int rm_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	if (remove(p) != 0)
		diag("cannot remove %s: %s", p, strerror(errno));
	return 0;
}

static const bnn_machine_info_t machine_a = {
	.fingerprint = "fp-aaaa", .hostname = "hosta", .cpu_model = "Test CPU",
	.isa_features = "avx2 popcnt", .cores = 8, .record_json = "{\"cores\": 8}",
};
static const bnn_machine_info_t machine_b = {
	.fingerprint = "fp-bbbb", .hostname = "hostb",
};
static const bnn_build_info_t build = {
	.version = "0.1-test", .compiler = "gcc 12", .cflags = "-O2",
};
static const bnn_run_info_t run_info = {
	.suite = "test_suite", .command_line = "bnnbench run test_suite",
	.seed = 42, .check_only = 0,
};

/* A result record with every number set, and samples. */
static bnn_result_rec_t make_result(const char *kernel, const char *status,
				    const double *samples, size_t n)
{
	bnn_result_rec_t r = {
		.kernel = kernel, .kind = "kernel", .isa = "generic",
		.status = status, .reason = NULL, .repro = "bnnbench run op=gemm",
		.max_abs_err = 0, .max_rel_err = 0, .bound = 0,
		.samples_ns = samples, .nsamples = n,
		.min_ns = 1000, .median_ns = 1500, .ci_lo_ns = 1400, .ci_hi_ns = 1600,
		.macs = 262144, .tops = 0.35, .efficiency = NAN, .threads = 2,
		.binding = "none",
	};
	return r;
}

/* A run with two results, read back after reopening. */
static void test_round_trip(const char *db)
{
	static const double s1[] = { 1500, 1400, 1600, 1550, 1450 };
	static const double s2[] = { 2000, NAN, 2100 };
	char err[512], status[32], text[64];
	bnn_store_t *st = NULL;
	bnn_result_rec_t r;
	int64_t run = 0, p1 = 0, p1b = 0, p2 = 0, rid = 0, v = -1, n;
	int64_t nall = -1, npass = -1, nfailr = -1;
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem;
	int rc;

	rc = bnn_store_open(&st, db, err, sizeof(err));
	if (!ok(rc == 0 && st, "open creates a new database"))
		diag("%s", err);
	if (!st)
		return;
	ok(raw_text(db, "PRAGMA journal_mode", text, sizeof(text)) == 0 &&
	   !strcmp(text, "wal"), "journal mode is WAL (%s)", text);
	ok(bnn_store_latest_run(st, &run) == 0 && run == 0,
	   "latest run of an empty database is 0");

	rc = bnn_store_begin_run(st, &machine_a, &build, &run_info, &run);
	if (!ok(rc == 0 && run > 0, "begin run"))
		diag("%s", bnn_store_errmsg(st));

	rc = bnn_store_problem(st, "op=gemm m=64 n=64 k=64", "gemm64", "gemm", &p1);
	rc |= bnn_store_problem(st, "op=gemm m=64 n=64 k=64", "other", "gemm", &p1b);
	rc |= bnn_store_problem(st, "op=gemm m=1 n=1 k=65", "gemm1", "gemm", &p2);
	ok(rc == 0 && p1 > 0 && p1 == p1b, "same canonical text gives the same problem");
	ok(rc == 0 && p2 > 0 && p2 != p1, "other canonical text gives another problem");

	r = make_result("bgemm_xor_popc__generic", "PASS", s1, 5);
	r.max_rel_err = NAN;
	rc = bnn_store_result(st, run, p1, &r, &rid);
	if (!ok(rc == 0 && rid > 0, "store a PASS result with 5 samples"))
		diag("%s", bnn_store_errmsg(st));
	r = make_result("bgemm_xor_popc__avx2_4x4", "FAIL", s2, 3);
	r.reason = "element (0, 3): 12 != 14";
	r.max_abs_err = 2;
	rc = bnn_store_result(st, run, p2, &r, NULL);
	if (!ok(rc == 0, "store a FAIL result with 3 samples, one NaN"))
		diag("%s", bnn_store_errmsg(st));

	/* Refused results must leave nothing behind, samples included. */
	r = make_result("bgemm_xor_popc__generic", "PASS", s1, 5);
	rc = bnn_store_result(st, run, p1, &r, NULL);
	ok(rc < 0 && raw_int(db, "SELECT count(*) FROM sample", &v) == 0 && v == 8,
	   "a second result for (run, problem, kernel) is refused, no samples added (%s)",
	   bnn_store_errmsg(st));
	r = make_result("k_bad", "MAYBE", s1, 5);
	ok(bnn_store_result(st, run, p1, &r, NULL) == -EINVAL,
	   "an unknown result status is refused");
	r = make_result("k_orphan", "PASS", s1, 5);
	rc = bnn_store_result(st, 999999, p1, &r, NULL);
	ok(rc < 0 && raw_int(db, "SELECT count(*) FROM result", &v) == 0 && v == 2,
	   "a result of a missing run is refused: foreign keys on (%s)",
	   bnn_store_errmsg(st));

	ok(bnn_store_end_run(st, run, "running") == -EINVAL,
	   "end run refuses the status 'running'");
	ok(bnn_store_end_run(st, 999999, "passed") == -ENOENT, "end run of a missing run");
	ok(bnn_store_end_run(st, run, "passed") == 0, "end run");
	bnn_store_close(st);
	st = NULL;

	rc = bnn_store_open(&st, db, err, sizeof(err));
	if (!ok(rc == 0 && st, "reopen"))
		diag("%s", err);
	if (!st)
		return;
	ok(bnn_store_latest_run(st, &n) == 0 && n == run, "latest run is the one written");
	ok(bnn_store_run_status(st, run, status, sizeof(status)) == 0 &&
	   !strcmp(status, "passed"), "run status reads back 'passed' (%s)", status);
	ok(bnn_store_run_status(st, run, status, 3) == -ERANGE,
	   "run status into a small buffer gives -ERANGE");
	rc = bnn_store_count_results(st, run, NULL, &nall);
	rc |= bnn_store_count_results(st, run, "PASS", &npass);
	rc |= bnn_store_count_results(st, run, "FAIL", &nfailr);
	ok(rc == 0 && nall == 2 && npass == 1 && nfailr == 1,
	   "counts: %lld results, %lld PASS, %lld FAIL", (long long)nall,
	   (long long)npass, (long long)nfailr);
	ok(bnn_store_count_results(st, 999999, NULL, &n) == -ENOENT,
	   "counting results of a missing run gives -ENOENT");
	rc = raw_int(db, "SELECT count(*) FROM sample", &v);
	ok(rc == 0 && v == 8, "8 samples stored (%lld)", (long long)v);
	ok(raw_int(db, "SELECT count(*) FROM sample s JOIN result r ON r.id = s.result_id"
		   " WHERE r.kernel = 'bgemm_xor_popc__generic' AND s.idx = 2 AND s.ns = 1600",
		   &v) == 0 && v == 1, "samples keep their order");
	ok(raw_int(db, "SELECT max_rel_err IS NULL AND max_abs_err = 0 AND efficiency IS NULL"
		   " AND threads = 2 AND binding = 'none'"
		   " FROM result WHERE kernel = 'bgemm_xor_popc__generic'", &v) == 0 && v == 1,
	   "NaN stored as NULL, 0 stored as 0, threads and binding stored");
	ok(raw_int(db, "SELECT count(*) FROM sample WHERE ns IS NULL", &v) == 0 && v == 1,
	   "a NaN sample is stored as NULL");
	ok(raw_int(db, "SELECT start_time GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T"
		   "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z' AND end_time >= start_time"
		   " FROM run", &v) == 0 && v == 1, "times are ISO-8601 UTC");

	/* A second run on the same machine reuses the machine and the build. */
	rc = bnn_store_begin_run(st, &machine_a, &build, &run_info, &n);
	rc |= bnn_store_end_run(st, n, "failed");
	ok(rc == 0 && n > run && raw_int(db, "SELECT count(*) FROM machine", &v) == 0 &&
	   v == 1 && raw_int(db, "SELECT count(DISTINCT machine_id) + count(DISTINCT build_id)"
			     " FROM run", &v) == 0 && v == 2,
	   "the same fingerprint and build are reused across runs");
	rc = bnn_store_begin_run(st, &machine_b, &build, &run_info, &n);
	rc |= bnn_store_end_run(st, n, "passed");
	ok(rc == 0 && raw_int(db, "SELECT count(*) FROM machine", &v) == 0 && v == 2,
	   "another fingerprint adds a machine");

	mem = open_memstream(&out, &outlen);
	rc = mem ? bnn_store_print_run(st, run, mem) : -1;
	if (mem)
		fclose(mem);
	ok(rc == 0 && out && strstr(out, "bgemm_xor_popc__generic") &&
	   strstr(out, "bgemm_xor_popc__avx2_4x4") && strstr(out, "gemm64") &&
	   strstr(out, "PASS 1, FAIL 1, SKIP 0, MISTRUSTED 0") &&
	   strstr(out, "12 != 14"), "print_run shows the kernels, reasons and counts");
	if (out) {
		char *line = strtok(out, "\n");

		for (; line; line = strtok(NULL, "\n"))
			diag("%s", line);
	}
	free(out);
	ok(bnn_store_print_run(st, 999999, stdout) == -ENOENT, "print_run of a missing run");
	bnn_store_close(st);
}

/* A run whose process died keeps its results and becomes 'interrupted'. */
static void test_interrupted(const char *db)
{
	static const double s[] = { 10, 11 };
	char err[512], status[32], sql[128];
	bnn_store_t *st = NULL, *st2 = NULL;
	bnn_result_rec_t r;
	int64_t run = 0, live = 0, prob = 0, n = -1, v = -1;
	pid_t child;
	int rc;

	rc = bnn_store_open(&st, db, err, sizeof(err));
	if (!ok(rc == 0, "open for the interrupted run")) {
		diag("%s", err);
		return;
	}
	rc = bnn_store_begin_run(st, &machine_a, &build, &run_info, &run);
	rc |= bnn_store_problem(st, "op=conv n=1", "conv1", "conv", &prob);
	r = make_result("bconv__generic", "PASS", s, 2);
	rc |= bnn_store_result(st, run, prob, &r, NULL);
	if (!ok(rc == 0, "begin a run and store one result"))
		diag("%s", bnn_store_errmsg(st));

	/*
	 * A pid that surely is dead: a child that has exited and been reaped.
	 * The store is closed first: no SQLite connection crosses a fork.
	 */
	bnn_store_close(st);
	st = NULL;
	child = fork();
	if (child == 0)
		_exit(0);
	if (child > 0)
		waitpid(child, NULL, 0);
	snprintf(sql, sizeof(sql), "UPDATE run SET pid = %ld WHERE id = %lld",
		 (long)child, (long long)run);
	rc = child > 0 ? raw_exec(db, sql) : -1;
	if (!ok(rc == 0, "give the run the pid %ld of a dead process", (long)child))
		return;

	/* A run of this live process stays 'running' when another store opens. */
	rc = bnn_store_open(&st, db, err, sizeof(err));
	rc |= st ? bnn_store_begin_run(st, &machine_a, &build, &run_info, &live) : -1;
	rc |= bnn_store_open(&st2, db, err, sizeof(err));
	if (!ok(rc == 0, "reopen, twice"))
		diag("%s", err);
	if (!st || !st2)
		goto out;
	ok(bnn_store_run_status(st2, run, status, sizeof(status)) == 0 &&
	   !strcmp(status, "interrupted"), "the dead run is 'interrupted' (%s)", status);
	ok(bnn_store_count_results(st2, run, "PASS", &n) == 0 && n == 1,
	   "its result is still there");
	snprintf(sql, sizeof(sql), "SELECT end_time IS NULL FROM run WHERE id = %lld",
		 (long long)run);
	ok(raw_int(db, sql, &v) == 0 && v == 1, "its end time stays unknown (NULL)");
	ok(bnn_store_run_status(st2, live, status, sizeof(status)) == 0 &&
	   !strcmp(status, "running"), "a run of a live process stays 'running' (%s)", status);
	ok(bnn_store_end_run(st, live, "interrupted") == 0 &&
	   bnn_store_run_status(st2, live, status, sizeof(status)) == 0 &&
	   !strcmp(status, "interrupted"), "a run ended as interrupted");
out:
	bnn_store_close(st2);
	bnn_store_close(st);
}

/* Files that must be refused, and left as they were. */
static void test_refusals(void)
{
	static const char text[] = "hello, this is a text file, not a database\n";
	unsigned char junk[4096];
	char p[4096], p2[4200], err[1024];
	bnn_store_t *st = NULL;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int64_t v = -1;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(junk); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		junk[i] = (unsigned char)x;
	}
	tpath(p, sizeof(p), "random.db");
	write_file(p, junk, sizeof(junk));
	rc = bnn_store_open(&st, p, err, sizeof(err));
	ok(rc < 0 && !st && strstr(err, "not an SQLite database") && strstr(err, p),
	   "random bytes are refused: %s", err);
	snprintf(p2, sizeof(p2), "%s-wal", p);
	ok(same_file(p, junk, sizeof(junk)) && !exists(p2),
	   "the random file is unchanged, no WAL file made");
	bnn_store_close(st);
	st = NULL;

	tpath(p, sizeof(p), "text.db");
	write_file(p, text, strlen(text));
	rc = bnn_store_open(&st, p, err, sizeof(err));
	ok(rc < 0 && !st && strstr(err, "not an SQLite database") &&
	   same_file(p, text, strlen(text)), "a text file is refused, unchanged: %s", err);
	bnn_store_close(st);
	st = NULL;

	tpath(p, sizeof(p), "other.db");
	raw_exec(p, "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine')");
	rc = bnn_store_open(&st, p, err, sizeof(err));
	ok(rc < 0 && !st && strstr(err, "not a bnnbench database") &&
	   raw_int(p, "SELECT count(*) FROM sqlite_master", &v) == 0 && v == 1 &&
	   raw_int(p, "PRAGMA user_version", &v) == 0 && v == 0,
	   "another program's SQLite database is refused, unchanged: %s", err);
	bnn_store_close(st);
	st = NULL;

	tpath(p, sizeof(p), "newer.db");
	rc = bnn_store_open(&st, p, err, sizeof(err));
	bnn_store_close(st);
	st = NULL;
	rc |= raw_exec(p, "PRAGMA user_version = 99");
	rc |= bnn_store_open(&st, p, err, sizeof(err)) >= 0;
	ok(rc == 0 && !st && strstr(err, "schema version 99 is newer than this bnnbench"),
	   "a newer schema version is refused: %s", err);
	bnn_store_close(st);
	st = NULL;

	tpath(p, sizeof(p), "missing/dir/x.db");
	rc = bnn_store_open(&st, p, err, sizeof(err));
	tpath(p2, sizeof(p2), "missing");
	ok(rc < 0 && !st && strstr(err, p) && strstr(err, strerror(ENOENT)) &&
	   !exists(p2), "a path in a missing directory is refused: %s", err);
	bnn_store_close(st);
	st = NULL;

	rc = bnn_store_open(&st, tmpdir, err, sizeof(err));
	ok(rc < 0 && !st && strstr(err, tmpdir), "a directory is refused: %s", err);
	bnn_store_close(st);
	st = NULL;

	if (geteuid() == 0) {
		/* Root writes anywhere: an unusable path for root is one under a
		 * regular file. */
		tpath(p2, sizeof(p2), "plainfile");
		write_file(p2, "x", 1);
		tpath(p, sizeof(p), "plainfile/x.db");
		rc = bnn_store_open(&st, p, err, sizeof(err));
		ok(rc < 0 && !st && strstr(err, p) && strstr(err, strerror(ENOTDIR)),
		   "a path under a regular file is refused: %s", err);
		bnn_store_close(st);
		st = NULL;
	} else {
		tpath(p2, sizeof(p2), "ro");
		mkdir(p2, 0555);
		tpath(p, sizeof(p), "ro/x.db");
		rc = bnn_store_open(&st, p, err, sizeof(err));
		ok(rc < 0 && !st && strstr(err, p) && strstr(err, strerror(EACCES)),
		   "an unwritable directory is refused: %s", err);
		bnn_store_close(st);
		st = NULL;
		chmod(p2, 0755);
	}

	tpath(p, sizeof(p), "empty.db");
	write_file(p, "", 0);
	rc = bnn_store_open(&st, p, err, sizeof(err));
	ok(rc == 0 && st && raw_int(p, "PRAGMA user_version", &v) == 0 && v == 5,
	   "an empty file becomes a new database");
	bnn_store_close(st);
	st = NULL;

	ok(bnn_store_open(&st, NULL, err, sizeof(err)) == -EINVAL && !st && err[0],
	   "no path: -EINVAL with a reason");
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	char db[4200];

	if (!base || !*base)
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/bnn_store.XXXXXX", base);
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	printf("1..%d\n", PLAN);
	diag("working in %s", tmpdir);
	test_round_trip(tpath(db, sizeof(db), "results.db"));
	test_interrupted(tpath(db, sizeof(db), "interrupted.db"));
	test_refusals();

	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (ntest != PLAN) {
		diag("ran %d tests, planned %d", ntest, PLAN);
		return 1;
	}
	return nfail ? 1 : 0;
}
