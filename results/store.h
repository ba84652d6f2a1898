/*
 * store.h: the results database (SQLite). Schema in results/schema.sql,
 * versioned with PRAGMA user_version; WAL mode; foreign keys on.
 *
 * Every function returns 0 or a negative code; on failure a readable reason
 * is available from bnn_store_errmsg(). Nothing here calls exit().
 * Each finished result is written in its own transaction, so a crash or
 * Ctrl-C loses nothing already stored.
 */
#ifndef BNN_STORE_H
#define BNN_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct bnn_store bnn_store_t;

/* What identifies the machine a run ran on. */
typedef struct {
	const char *fingerprint;   /* stable hash: groups runs of one machine */
	const char *hostname;
	const char *cpu_model;
	const char *isa_features;  /* e.g. "avx2 popcnt" as detected */
	int64_t cores;
	const char *record_json;   /* the full machine record, JSON text */
	/* Topology (schema 2), stored once per machine; -1 = unknown. */
	const char *topology_xml;  /* hwloc's XML export, or NULL */
	int64_t packages, physical_cores, pus, numa_nodes;
	int64_t l1d_bytes, l2_bytes, l3_bytes, l3_caches;
} bnn_machine_info_t;

/* What identifies the build that ran. */
typedef struct {
	const char *version;       /* bnnbench version (git describe at build) */
	const char *compiler;
	const char *cflags;
} bnn_build_info_t;

typedef struct {
	const char *suite;         /* suite name or path, or "cmdline" */
	const char *command_line;
	uint64_t seed;
	int check_only;
	const char *machine_record; /* the machine record as this run saw it (schema 2) */
	int rounds;                /* timed rounds per entry (schema 5); 0: not stored */
} bnn_run_info_t;

/* One counter of a result (schema 2): a counted event, or one that failed. */
typedef struct {
	const char *source;        /* "PAPI" */
	const char *event;         /* e.g. "perf::TASK-CLOCK" */
	long long value;           /* total over the counting pass; < 0 = not read */
	long long reps;            /* repetitions in that pass */
	const char *status;        /* "ok" or "failed" */
	const char *reason;        /* why failed; may be NULL */
	const char *scope;         /* which threads the count covers */
	int multiplexed;
	/* A value that is not a whole count (a CUPTI ratio or percentage):
	 * with real set, real_value is stored instead of value. */
	int real;
	double real_value;
} bnn_counter_rec_t;

/* Availability of one requested event for a whole run (schema 2). */
typedef struct {
	const char *source, *event, *component;
	const char *status;        /* "ok", "unavailable", "unknown" */
	const char *reason;        /* PAPI's reason; may be NULL */
	int multiplexed;
} bnn_run_counter_t;

/* CUPTI kernel records of a GPU result, one per device kernel name (schema 4). */
typedef struct {
	const char *name;          /* device kernel name, as CUPTI reports it */
	long long reps;            /* repetitions of the op the pass covered (> 0) */
	long long launches;
	double total_ns, min_ns, max_ns;
} bnn_gpu_kernel_rec_t;

/* One (problem, kernel) outcome. Unknown numbers are NaN (stored as NULL). */
typedef struct {
	const char *kernel;        /* kernel (or peer, probe) name */
	const char *kind;          /* "kernel", "peer" or "probe" */
	const char *isa;           /* ISA the kernel needs */
	const char *status;        /* PASS, FAIL, SKIP, MISTRUSTED */
	const char *reason;        /* why, for anything but PASS; may be NULL */
	const char *repro;         /* command line that reproduces it; may be NULL */
	double max_abs_err, max_rel_err, bound;
	const double *samples_ns;  /* every timed repetition, in order */
	size_t nsamples;
	double min_ns, median_ns, ci_lo_ns, ci_hi_ns; /* ci: 95% of the median */
	double macs;               /* binary MACs of one repetition */
	double tops;               /* 2 * macs / median seconds / 1e12 */
	double efficiency;         /* tops over the probed peak of its ISA, or NaN */
	int threads;               /* worker threads; 0 = unknown */
	const char *binding;       /* e.g. "hwloc: cores 0,1", "none"; may be NULL */
	/* Probes only (kind "probe"); NULL unit for the others. */
	double value, value_median;
	const char *unit;
	/* Counters read in their own pass (schema 2); stored in the same
	 * transaction as the result. */
	const bnn_counter_rec_t *counters;
	size_t ncounters;
	/* GPU kernels (schema 4); NULL / 0 for the others. device_ns[i] is
	 * sample i timed by CUDA events (same length as samples_ns, NaN where
	 * missing); device_min_ns / device_median_ns summarise it. */
	const double *device_ns;
	double device_min_ns, device_median_ns;
	const bnn_gpu_kernel_rec_t *gpu_kernels;
	size_t ngpu_kernels;
	/* Rounds (schema 5): round_ns[r], round_n[r], round_pos[r] for r in
	 * [0, nrounds) (a round with round_n 0 is not stored); sample_round[i]
	 * the round of sample i, or NULL. */
	size_t nrounds;
	const double *round_ns;
	const size_t *round_n;
	const int *round_pos;
	const int *sample_round;
	const double *round_other_cpus, *round_steal;  /* per round, or NULL */
	/* Achieved over the best probed peak, whatever it is (schema 5), and
	 * "ok" or "mistrusted" (efficiency_raw above 1: efficiency is then NaN);
	 * NULL without an efficiency. */
	double efficiency_raw;
	const char *peak_status;
} bnn_result_rec_t;

/*
 * Opens (creating if needed) the database at path, applies the schema or its
 * forward migrations, turns on WAL and foreign keys, and marks as
 * 'interrupted' any run of this host left 'running' by a writer that is
 * gone (each writer holds a lock on "<path>-live" while its run lasts). Fails, leaving the file untouched, on an unwritable path,
 * a file that is not an SQLite database, a database that is not bnnbench's,
 * or a schema newer than this program. On failure *out is NULL and err
 * (if not NULL) holds the reason.
 */
int bnn_store_open(bnn_store_t **out, const char *path, char *err, size_t errlen);

/*
 * Opens the database at path for reading only (show on a file or a file
 * system it may not write): nothing is written, so runs are not marked and
 * the schema must already be this program's. Failures as bnn_store_open.
 */
int bnn_store_open_read(bnn_store_t **out, const char *path, char *err, size_t errlen);

/*
 * How long a call waits, retrying with backoff, while another process
 * holds the database's lock, before it fails with -EBUSY (0: it fails at
 * once). bnn_store_open sets 5000 ms. Returns the previous value.
 */
int bnn_store_set_busy(bnn_store_t *st, int ms);

/* Closes the database; st may be NULL. */
void bnn_store_close(bnn_store_t *st);

/* The schema version this program writes (and the newest it reads). */
int bnn_store_schema_version(void);

/* The reason of the last failure on st. */
const char *bnn_store_errmsg(const bnn_store_t *st);

/*
 * Starts a run: finds or inserts the machine (by fingerprint) and the build,
 * inserts the run with status 'running', start time now, pid and host.
 * A machine stored without topology (by an older bnnbench) gets it now.
 */
int bnn_store_begin_run(bnn_store_t *st, const bnn_machine_info_t *m,
			const bnn_build_info_t *b, const bnn_run_info_t *r, int64_t *run_id);

/* Finds or inserts a problem by its canonical descriptor (unique). */
int bnn_store_problem(bnn_store_t *st, const char *canonical, const char *name,
		      const char *op, int64_t *problem_id);

/* Stores one result and its samples in one transaction. */
int bnn_store_result(bnn_store_t *st, int64_t run_id, int64_t problem_id,
		     const bnn_result_rec_t *r, int64_t *result_id);

/* One row of a network result's per-block breakdown (schema step 3). */
typedef struct {
	int block;                /* 1..13 */
	int64_t block_result_id;  /* the block's own result in the same run */
	double share;             /* block median / network median; NaN: NULL */
} bnn_network_block_t;

/* Stores the n rows of network result network_result_id in one
 * transaction; returns 0 or a negative code (message: bnn_store_errmsg). */
int bnn_store_network_blocks(bnn_store_t *st, int64_t network_result_id,
			     const bnn_network_block_t *b, size_t n);

/* Stores which events a run asked for and whether each could be counted. */
int bnn_store_run_counters(bnn_store_t *st, int64_t run_id, const bnn_run_counter_t *c,
			   size_t n);

/* Stores what spoiled (or did not spoil) a run's timings (schema 5):
 * quiet 1, 0, or -1 (unknown: NULL), and the measurements as JSON text. */
int bnn_store_run_quiet(bnn_store_t *st, int64_t run_id, int quiet, const char *json);

/* Ends a run: status is 'passed', 'failed' or 'interrupted'; end time now. */
int bnn_store_end_run(bnn_store_t *st, int64_t run_id, const char *status);

/*
 * Copies run run_id of the database at src_path, with its machine and
 * build, into st under the same ids (rows already there are kept): st is
 * a spool file (spool.h) that `merge` later folds back into src_path,
 * where the natural keys match. src_path is only read; it may be locked
 * for writing by another process (WAL readers do not wait for writers).
 */
int bnn_store_copy_run(bnn_store_t *st, const char *src_path, int64_t run_id);

/*
 * 1 when some process holds the liveness lock of run run_id of the
 * database at db_path (its writer lives), 0 when none does, -1 when it
 * cannot be told (no liveness file, or no open-file-description locks).
 */
int bnn_store_run_live(const char *db_path, int64_t run_id);

/* The id of the newest run, or 0 when there is none. */
int bnn_store_latest_run(bnn_store_t *st, int64_t *run_id);

/* A run's status ("running", "passed", ...) copied into buf. */
int bnn_store_run_status(bnn_store_t *st, int64_t run_id, char *buf, size_t len);

/* Number of results stored for a run, and how many of them have status. */
int bnn_store_count_results(bnn_store_t *st, int64_t run_id, const char *status,
			    int64_t *count);

/*
 * Prints a run as a table (problem, kernel, status, median, TOPS, errors,
 * samples count), one line per result, to f. run_id 0 means the latest.
 */
int bnn_store_print_run(bnn_store_t *st, int64_t run_id, FILE *f);

#endif
