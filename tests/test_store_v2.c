/*
 * test_store_v2.c: TAP tests of schema version 2 (results/schema_v2.sql):
 * a version 1 database opens and migrates with its data intact; the
 * topology is stored once per machine; counters of a result are stored in
 * its transaction and read back, with the derived figures; the events of a
 * run are stored; bnnbench show prints the counters.
 */
#include "store.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"
/* The version 1 schema, exactly as a version 1 bnnbench created databases. */
#include "schema_sql.h"

static char tmpdir[512];

static const char *tpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
	return buf;
}

/* Runs SQL on path through a connection of its own; 0 on success. */
static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		printf("# raw_exec: %s\n", db ? sqlite3_errmsg(db) : "no memory");
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* First column of the first row as a double (NAN for NULL); -1 on error. */
static int raw_real(const char *path, const char *sql, double *v)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		printf("# raw_real %s: %s\n", sql, db ? sqlite3_errmsg(db) : "no memory");
		goto out;
	}
	*v = sqlite3_column_type(s, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 0);
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

static double q(const char *path, const char *sql)
{
	double v = NAN;
	return raw_real(path, sql, &v) == 0 ? v : -12345.0;
}

/* First column of the first row as text into buf ("(null)" for NULL). */
static int raw_text(const char *path, const char *sql, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = -1;
	buf[0] = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW)
		goto out;
	const unsigned char *t = sqlite3_column_text(s, 0);
	snprintf(buf, len, "%s", t ? (const char *)t : "(null)");
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

static const char topo_xml[] =
	"<?xml version=\"1.0\"?><topology version=\"2.0\"><object type=\"Machine\"/></topology>";

static bnn_machine_info_t machine(const char *xml)
{
	bnn_machine_info_t m = {
		.fingerprint = "fp-v2", .hostname = "host", .cpu_model = "Test CPU",
		.isa_features = "avx2 popcnt", .cores = 2, .record_json = "{\"cores\": 2}",
		.topology_xml = xml, .packages = 1, .physical_cores = 2, .pus = 4,
		.numa_nodes = 1, .l1d_bytes = 32768, .l2_bytes = 524288,
		.l3_bytes = 33554432, .l3_caches = 1,
	};
	return m;
}

static const bnn_build_info_t build = { .version = "v2-test", .compiler = "cc", .cflags = "-O2" };

/* A version 1 database with one run, result, sample and counter, made with
 * the version 1 schema text and pragmas only. */
static int make_v1(const char *path)
{
	char sql[4096];
	if (raw_exec(path, bnn_schema_sql) != 0)
		return -1;
	snprintf(sql, sizeof(sql),
		 "PRAGMA user_version = 1; PRAGMA application_id = %d;"
		 "INSERT INTO machine (id, fingerprint, hostname, cores, record_json, first_seen)"
		 " VALUES (1, 'fp-v2', 'oldhost', 2, '{}', '2024-01-01T00:00:00.000Z');"
		 "INSERT INTO build (id, version) VALUES (1, 'v1');"
		 "INSERT INTO run (id, machine_id, build_id, suite, seed, start_time, status)"
		 " VALUES (1, 1, 1, 'old', 7, '2024-01-01T00:00:00.000Z', 'passed');"
		 "INSERT INTO problem (id, canonical, name, op) VALUES (1, 'gemm m=1 n=1 k=1', 'g', 'gemm');"
		 "INSERT INTO result (id, run_id, problem_id, kernel, status, nsamples, median_ns, macs)"
		 " VALUES (1, 1, 1, 'k', 'PASS', 1, 1234.5, 1);"
		 "INSERT INTO sample (result_id, idx, ns) VALUES (1, 0, 1234.5);"
		 "INSERT INTO counter (result_id, source, event, value, status)"
		 " VALUES (1, 'perf', 'cycles', 42, 'ok');", 0x424e4e42);
	return raw_exec(path, sql);
}

static void test_migration(void)
{
	char p[600], buf[256];
	bnn_store_t *st = NULL;
	char err[512];
	int64_t run = 0;

	tpath(p, sizeof(p), "v1.db");
	tap_ok(make_v1(p) == 0 && q(p, "PRAGMA user_version") == 1, "a version 1 database made");
	int rc = bnn_store_open(&st, p, err, sizeof(err));
	tap_ok(rc == 0 && st, "the version 1 database opens (%s)", err);
	tap_ok(q(p, "PRAGMA user_version") == 5, "and is migrated to version 5 (steps 2 to 5)");
	tap_ok(q(p, "SELECT count(*) FROM sqlite_master WHERE name = 'network_block'") == 1,
	       "step 3 added the network_block table");
	tap_ok(q(p, "SELECT count(*) FROM sqlite_master WHERE name = 'gpu_kernel'") == 1 &&
	       isnan(q(p, "SELECT device_ns FROM sample WHERE result_id = 1")) &&
	       isnan(q(p, "SELECT device_median_ns FROM result")),
	       "step 4 added gpu_kernel, and device times that read NULL in old rows");
	tap_ok(q(p, "SELECT count(*) FROM result") == 1 &&
	       q(p, "SELECT ns FROM sample WHERE result_id = 1") == 1234.5 &&
	       q(p, "SELECT value FROM counter WHERE event = 'cycles'") == 42,
	       "its result, sample and counter are intact");
	tap_ok(isnan(q(p, "SELECT per_rep FROM counter WHERE event = 'cycles'")) &&
	       q(p, "SELECT multiplexed FROM counter WHERE event = 'cycles'") == 0 &&
	       isnan(q(p, "SELECT packages FROM machine")),
	       "the new columns read NULL (or their default) in old rows");
	tap_ok(q(p, "SELECT count(*) FROM sqlite_master WHERE name IN"
		    " ('run_counter', 'counter_derived', 'counter_event')") == 3,
	       "run_counter, counter_derived and counter_event exist");

	/* The machine seen again, now with hwloc: its topology goes in once. */
	bnn_machine_info_t m = machine(topo_xml);
	bnn_run_info_t ri = { .suite = "new", .seed = 1, .machine_record = "{\"cpu_mhz\": 2445}" };
	rc = bnn_store_begin_run(st, &m, &build, &ri, &run);
	tap_ok(rc == 0 && run > 1, "a run on the migrated database (%s)",
	       rc ? bnn_store_errmsg(st) : "ok");
	tap_ok(q(p, "SELECT count(*) FROM machine") == 1 &&
	       raw_text(p, "SELECT topology_xml FROM machine", buf, sizeof(buf)) == 0 &&
	       !strcmp(buf, topo_xml) && q(p, "SELECT pus FROM machine") == 4 &&
	       q(p, "SELECT l2_bytes FROM machine") == 524288,
	       "the old machine row got the topology (XML and columns): %s", buf);
	tap_ok(raw_text(p, "SELECT machine_record FROM run ORDER BY id DESC", buf,
			sizeof(buf)) == 0 && !strcmp(buf, "{\"cpu_mhz\": 2445}"),
	       "the run keeps the machine record it saw");
	bnn_store_close(st);
}

static void test_topology_once(void)
{
	char p[600], buf[256], err[512];
	bnn_store_t *st = NULL;
	int64_t r1 = 0, r2 = 0, r3 = 0;

	tpath(p, sizeof(p), "new.db");
	int rc = bnn_store_open(&st, p, err, sizeof(err));
	tap_ok(rc == 0 && q(p, "PRAGMA user_version") == 5, "a new database is version 5");
	bnn_machine_info_t m = machine(topo_xml);
	bnn_run_info_t ri = { .suite = "s", .seed = 1 };
	rc = bnn_store_begin_run(st, &m, &build, &ri, &r1);
	bnn_machine_info_t m2 = machine("<topology>other</topology>");
	m2.pus = 99;
	rc |= bnn_store_begin_run(st, &m2, &build, &ri, &r2);
	bnn_machine_info_t m3 = machine(NULL);
	rc |= bnn_store_begin_run(st, &m3, &build, &ri, &r3);
	tap_ok(rc == 0 && q(p, "SELECT count(*) FROM machine") == 1 &&
	       q(p, "SELECT count(DISTINCT machine_id) FROM run") == 1,
	       "three runs of one fingerprint: one machine row");
	tap_ok(raw_text(p, "SELECT topology_xml FROM machine", buf, sizeof(buf)) == 0 &&
	       !strcmp(buf, topo_xml) && q(p, "SELECT pus FROM machine") == 4 &&
	       q(p, "SELECT numa_nodes FROM machine") == 1,
	       "the topology is the first one stored, not replaced by later runs");
	bnn_store_close(st);
}

static void test_counters(void)
{
	char p[600], err[512];
	bnn_store_t *st = NULL;
	int64_t run = 0, prob = 0, res = 0;

	tpath(p, sizeof(p), "counters.db");
	int rc = bnn_store_open(&st, p, err, sizeof(err));
	bnn_machine_info_t m = machine(NULL);
	bnn_run_info_t ri = { .suite = "s", .seed = 1 };
	rc |= bnn_store_begin_run(st, &m, &build, &ri, &run);
	rc |= bnn_store_problem(st, "gemm m=64 n=64 k=64", "g", "gemm", &prob);
	tap_ok(rc == 0, "database, run and problem for counters");

	bnn_run_counter_t rcs[] = {
		{ "PAPI", "perf::TASK-CLOCK", "perf_event", "ok", NULL, 0 },
		{ "PAPI", "PAPI_L1_DCM", "perf_event", "unavailable",
		  "PAPI_add_event: Event does not exist", 0 },
		{ "PAPI", "MADE_UP", NULL, "unknown", "no such event here", 0 },
	};
	rc = bnn_store_run_counters(st, run, rcs, 3);
	tap_ok(rc == 0 && q(p, "SELECT count(*) FROM run_counter") == 3 &&
	       q(p, "SELECT count(*) FROM run_counter WHERE event = 'PAPI_L1_DCM' AND"
		    " status = 'unavailable' AND reason LIKE 'PAPI_add_event:%'") == 1,
	       "a run's events are stored with status and reason");
	bnn_run_counter_t bad = { "PAPI", "X", NULL, "maybe", NULL, 0 };
	tap_ok(bnn_store_run_counters(st, run, &bad, 1) == -EINVAL &&
	       q(p, "SELECT count(*) FROM run_counter") == 3,
	       "an event status that is not ok/unavailable/unknown is refused");

	double samples[] = { 1000, 1100 };
	bnn_counter_rec_t c[] = {
		{ "PAPI", "perf::TASK-CLOCK", 10500, 10, "ok", NULL, "calling thread", 0 },
		{ "PAPI", "PAPI_TOT_CYC", 25000, 10, "ok", NULL, "calling thread", 1 },
		{ "PAPI", "PAPI_TOT_INS", 50000, 10, "ok", NULL, "calling thread", 1 },
		{ "PAPI", "perf::PAGE-FAULTS", -1, 10, "failed", "PAPI_stop: boom", "calling thread", 0 },
	};
	bnn_result_rec_t r = {
		.kernel = "k", .kind = "kernel", .status = "PASS", .samples_ns = samples,
		.nsamples = 2, .min_ns = 1000, .median_ns = 1050, .ci_lo_ns = 1000,
		.ci_hi_ns = 1100, .macs = 262144, .tops = NAN, .efficiency = NAN,
		.max_abs_err = NAN, .max_rel_err = NAN, .bound = NAN, .threads = 1,
		.counters = c, .ncounters = 4,
	};
	rc = bnn_store_result(st, run, prob, &r, &res);
	tap_ok(rc == 0 && res > 0, "a result with counters is stored (%s)",
	       rc ? bnn_store_errmsg(st) : "ok");
	tap_ok(q(p, "SELECT count(*) FROM counter") == 4 &&
	       q(p, "SELECT value FROM counter WHERE event = 'perf::TASK-CLOCK'") == 10500 &&
	       q(p, "SELECT per_rep FROM counter WHERE event = 'perf::TASK-CLOCK'") == 1050 &&
	       q(p, "SELECT reps FROM counter WHERE event = 'PAPI_TOT_CYC'") == 10 &&
	       q(p, "SELECT multiplexed FROM counter WHERE event = 'PAPI_TOT_INS'") == 1 &&
	       q(p, "SELECT count(*) FROM counter WHERE scope = 'calling thread'") == 4,
	       "counters read back: total, per repetition, reps, scope, multiplexed");
	tap_ok(isnan(q(p, "SELECT value FROM counter WHERE event = 'perf::PAGE-FAULTS'")) &&
	       q(p, "SELECT count(*) FROM counter WHERE status = 'failed' AND"
		    " reason = 'PAPI_stop: boom'") == 1,
	       "a counter that failed keeps value NULL and its reason");
	tap_ok(q(p, "SELECT ipc FROM counter_derived") == 2.0 &&
	       q(p, "SELECT bitmacs_per_cycle FROM counter_derived") == 262144.0 / 2500 &&
	       q(p, "SELECT instructions_per_bitmac FROM counter_derived") == 5000.0 / 262144,
	       "derived: IPC 2, bit-MACs per cycle and instructions per bit-MAC per repetition");

	/* A result without cycles has no derived row; one with a bad counter is
	 * refused whole. */
	bnn_counter_rec_t c2[] = {
		{ "PAPI", "perf::TASK-CLOCK", 100, 0, "ok", NULL, "calling thread", 0 },
	};
	r.kernel = "k2";
	r.counters = c2;
	r.ncounters = 1;
	rc = bnn_store_result(st, run, prob, &r, NULL);
	tap_ok(rc == -EINVAL && q(p, "SELECT count(*) FROM result") == 1 &&
	       q(p, "SELECT count(*) FROM counter") == 4,
	       "a counter over 0 repetitions is refused, and nothing of its result is stored");
	c2[0].reps = 4;
	rc = bnn_store_result(st, run, prob, &r, NULL);
	tap_ok(rc == 0 && q(p, "SELECT count(*) FROM counter_derived") == 1,
	       "a result without cycles or instructions has no derived figures");
	bnn_store_end_run(st, run, "passed");

	/* bnnbench show prints them. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	rc = f ? bnn_store_print_run(st, run, f) : -ENOMEM;
	if (f)
		fclose(f);
	tap_ok(rc == 0 && text && strstr(text, "counters per repetition (calling thread, 10 reps") &&
	       strstr(text, "perf::TASK-CLOCK 1050") && strstr(text, "IPC 2;") &&
	       strstr(text, "perf::PAGE-FAULTS failed (PAPI_stop: boom)"),
	       "show prints the counters per repetition and the IPC");
	tap_ok(text && strstr(text, "counters: perf::TASK-CLOCK ok; PAPI_L1_DCM unavailable: "
			       "PAPI_add_event: Event does not exist"),
	       "show prints the run's events and why some are not counted");
	if (rc != 0 || !text || !strstr(text, "IPC 2;"))
		printf("# %s\n", text ? text : "(no text)");
	free(text);
	bnn_store_close(st);
}

/* Schema 4: a GPU result's device samples and CUPTI kernel records. */
static void test_gpu(void)
{
	char p[600], err[512];
	bnn_store_t *st = NULL;
	int64_t run = 0, prob = 0, res = 0;

	tpath(p, sizeof(p), "gpu.db");
	int rc = bnn_store_open(&st, p, err, sizeof(err));
	bnn_machine_info_t m = machine(NULL);
	bnn_run_info_t ri = { .suite = "s", .seed = 1 };
	rc |= bnn_store_begin_run(st, &m, &build, &ri, &run);
	rc |= bnn_store_problem(st, "gemm m=64 n=64 k=256", "g", "gemm", &prob);
	double samples[] = { 2000, 2100, 1900 }, dev[] = { 1500, 1600, 1400 };
	bnn_gpu_kernel_rec_t g[] = {
		{ "pack_rows", 30, 30, 3000, 90, 120 },
		{ "bgemm_mma_b1_kernel<false>", 30, 30, 30000, 950, 1100 },
	};
	bnn_result_rec_t r = {
		.kernel = "bgemm_and_popc__cuda_mma_b1", .kind = "kernel", .isa = "cuda",
		.status = "PASS", .samples_ns = samples, .nsamples = 3, .min_ns = 1900,
		.median_ns = 2000, .ci_lo_ns = 1900, .ci_hi_ns = 2100, .macs = 1 << 20,
		.tops = NAN, .efficiency = NAN, .max_abs_err = NAN, .max_rel_err = NAN,
		.bound = NAN, .device_ns = dev, .device_min_ns = 1400, .device_median_ns = 1500,
		.gpu_kernels = g, .ngpu_kernels = 2,
	};
	rc |= bnn_store_result(st, run, prob, &r, &res);
	tap_ok(rc == 0 && q(p, "SELECT device_median_ns FROM result") == 1500 &&
	       q(p, "SELECT device_min_ns FROM result") == 1400 &&
	       q(p, "SELECT device_ns FROM sample WHERE idx = 2") == 1400 &&
	       q(p, "SELECT ns FROM sample WHERE idx = 2") == 1900,
	       "a GPU result keeps host and device time per sample (%s)",
	       rc ? bnn_store_errmsg(st) : "ok");
	tap_ok(q(p, "SELECT count(*) FROM gpu_kernel") == 2 &&
	       q(p, "SELECT per_rep_ns FROM gpu_kernel WHERE name LIKE 'bgemm%'") == 1000 &&
	       q(p, "SELECT launches FROM gpu_kernel WHERE name = 'pack_rows'") == 30,
	       "its CUPTI kernel records are stored, with the time per repetition");
	g[1].reps = 0;
	r.kernel = "other";
	rc = bnn_store_result(st, run, prob, &r, NULL);
	tap_ok(rc == -EINVAL && q(p, "SELECT count(*) FROM result") == 1 &&
	       q(p, "SELECT count(*) FROM gpu_kernel") == 2,
	       "a kernel record over 0 repetitions is refused with its whole result");
	bnn_store_close(st);
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/bnn-store-v2.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	tap_plan(28);
	test_migration();
	test_topology_once();
	test_counters();
	test_gpu();
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return tap_exit();
}
