/*
 * dbtools.h: what the commands over stored results share (the readers of
 * a run, its results and samples, the escaping writers), and the two
 * commands of results/: export, and merge, which combines databases.
 * compare, report and ab (reports/reports.h) read through these too.
 *
 * The read-only commands open databases read-only (SQLite URI mode=ro, or
 * immutable=1 for an archived WAL database on read-only media) and read
 * only columns of schema version 1, so a database of any earlier version
 * reads; one of a newer version than this program is refused (its meaning
 * may have changed). Each command parses its
 * own options and returns an exit status; nothing here calls exit().
 *
 * Exit statuses: 0 success, 1 compare found a regression, 2 bad input
 * (options, run specs, machines that differ), 3 a database or file failed.
 */
#ifndef BNN_DBTOOLS_H
#define BNN_DBTOOLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>
#include <jansson.h>

/* The results database when --db is not given, relative to the current
 * directory. */
#define BNN_DBT_DEFAULT_DB "results/bnnbench.db"

#define BNN_DBT_OK 0
#define BNN_DBT_REGRESSED 1
#define BNN_DBT_USAGE 2
#define BNN_DBT_IO 3

/* One stored result, as the tools read it. Unknown numbers are NaN. */
typedef struct {
	int64_t id;
	char *problem;     /* short name (or the canonical text when unnamed) */
	char *canonical;   /* the problem's identity */
	char *op;
	char *kernel;
	char *kind;        /* kernel, peer or probe */
	char *isa;
	char *status;      /* PASS, FAIL, SKIP, MISTRUSTED */
	char *reason;
	char *repro;
	char *binding;
	char *unit;        /* probes: TOPS, GFLOPS or GB/s */
	double min_ns, median_ns, ci_lo_ns, ci_hi_ns;
	double macs, tops, efficiency, value, value_median;
	double max_abs_err, bound;
	int64_t threads;
	double *samples;   /* ns per repetition, in order; NULL when not loaded */
	size_t nsamples;   /* how many were loaded */
	int64_t stored_nsamples; /* the count the result stored, loaded or not */
	/* Schema 5 (always loaded): each round's median (ns, by round; NULL /
	 * 0 in older runs), and whether the efficiency's peak is
	 * trusted ("ok", "mistrusted", NULL) with the raw ratio. An
	 * efficiency above 1 stored as valid (older databases) is loaded as
	 * mistrusted: efficiency NaN, the ratio in efficiency_raw. */
	double *rounds;
	size_t nrounds;
	char *peak_status;
	double efficiency_raw;
} bnn_dbt_result_t;

/* One stored run with its machine, build and (optionally) results. */
typedef struct {
	int64_t id;
	char *db_path;     /* the file it was read from */
	char *fingerprint, *hostname, *cpu_model, *isa_features, *record_json;
	int64_t cores;
	char *version, *compiler, *cflags;
	char *suite, *command_line, *host, *start_time, *end_time, *status;
	int64_t seed, check_only, pid;
	/* Schema 5: rounds per entry (0 before), whether the machine was quiet
	 * (1, 0, -1 unknown), why not, and the speed probe at both ends (NaN
	 * when unknown). */
	int64_t rounds;
	int quiet;
	char *quiet_reasons;
	double probe_start, probe_end;
	bnn_dbt_result_t *res;
	size_t nres;
} bnn_dbt_run_t;

/* The commands of results/ (export.c, merge.c); compare, report and ab are
 * reports/ (reports.h). usage: the command's help, printed for --help and
 * after a usage error ("" for none). */
int bnn_cmd_export(int argc, char **argv, const char *usage);
int bnn_cmd_merge(int argc, char **argv, const char *usage);

/*
 * Merges the nsrc databases srcs into dest (created when missing), as
 * `bnnbench merge`: rows matched by their natural keys, so what dest holds
 * already is not copied again. "merged" lines go to out (NULL: none),
 * errors to stderr. Returns a BNN_DBT_* status.
 */
int bnn_merge_files(const char *dest, char *const *srcs, int nsrc, FILE *out);

/*
 * Stores the spool files (spool.h) of db_path whose runs have no live
 * writer any more, merging each into db_path and removing it; a line per
 * file goes to msg (NULL: none). Returns 0, or -1 when one could not be
 * stored (it is left in place, and said so).
 */
int bnn_merge_spools(const char *db_path, FILE *msg);

/*
 * Opens path read-only and checks it is a bnnbench database (application
 * id "BNNB", schema version >= 1). A missing file is an error (nothing is
 * created). Returns 0 with *db set, or -1 with the reason in err.
 */
int bnn_dbt_open_ro(const char *path, sqlite3 **db, char *err, size_t errlen);

/*
 * Resolves a run spec within db: a positive id, "latest", or "latest~N"
 * (the Nth run before the newest, by id). Returns 0 with *run_id, -1 when
 * spec names no run, or -2 when the database cannot be read (a damaged
 * file); the reason in err.
 */
int bnn_dbt_resolve(sqlite3 *db, const char *path, const char *spec, int64_t *run_id,
		    char *err, size_t errlen);

/*
 * Splits a command-line run spec into a database path and a spec inside
 * it: "ID" / "latest" / "latest~N" (in default_db), "FILE" (its latest
 * run), or "FILE:SPEC". *path and *spec point into a malloc'ed copy that
 * *owned holds (free it). Returns 0, or -1 with the reason in err.
 */
int bnn_dbt_split_spec(const char *arg, const char *default_db, char **path,
		       char **spec, char **owned, char *err, size_t errlen);

/*
 * Loads run run_id of db (read from path) into *run: its machine, build
 * and results ordered by id; with_samples also loads every sample. On
 * failure returns -1 with the reason in err and leaves *run empty.
 */
int bnn_dbt_load_run(sqlite3 *db, const char *path, int64_t run_id, int with_samples,
		     bnn_dbt_run_t *run, char *err, size_t errlen);

/* Frees what bnn_dbt_load_run allocated; run may be empty. */
void bnn_dbt_free_run(bnn_dbt_run_t *run);

/*
 * Opens ARG (a run spec as bnn_dbt_split_spec takes) and loads that run.
 * Returns 0, or a BNN_DBT_* exit status with the message printed.
 */
int bnn_dbt_load_arg(const char *arg, const char *default_db, int with_samples,
		     bnn_dbt_run_t *run);

/* A threshold of compare and ab: a fraction (0.05) or a percentage (5%) in
 * [0, 10); 0 with *out set, or -1 when s is neither. */
int bnn_dbt_parse_threshold(const char *s, double *out);

/* Writers that escape what they print. */
void bnn_dbt_csv_field(FILE *f, const char *s);     /* RFC 4180 quoting */
void bnn_dbt_html(FILE *f, const char *s);          /* &, <, >, ", ' */

/*
 * JSON output is built with Jansson and written by bnn_dbt_json_dump.
 * bnn_dbt_jstr: a string, null for NULL; Jansson takes UTF-8 only, so a
 * string that is not valid UTF-8 (a file name, say) has its non-ASCII bytes
 * written as '?'. bnn_dbt_jnum: a number, null when not finite (JSON has no
 * NaN). Both return NULL only when out of memory.
 * bnn_dbt_jset: object o's member key = v (v's reference is taken, also on
 * failure); 0, or 1 when o or v is NULL or out of memory, so that a
 * builder can OR the results and check once.
 * bnn_dbt_json_dump: doc, indented, numbers with 17 digits (a double reads
 * back exactly), and a newline; 0, or -1 when the write failed.
 */
json_t *bnn_dbt_jstr(const char *s);
json_t *bnn_dbt_jnum(double x);
int bnn_dbt_jset(json_t *o, const char *key, json_t *v);
int bnn_dbt_json_dump(FILE *f, const json_t *doc);

#endif
