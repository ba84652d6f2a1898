/*
 * export.c: `bnnbench export --format csv|json [RUN...]`.
 *
 * CSV: one row per stored result of each run, every v1 column of result
 * with its run, machine and build. JSON: one run in Google Benchmark's
 * output format ("context" and "benchmarks"), so that its tools/compare.py
 * and dashboards that read that format take bnnbench results: each stored
 * sample is one repetition (run_type "iteration", iterations 1, real_time
 * in ns), followed by the mean, median, stddev and cv aggregates.
 * bnnbench measures wall time only, so cpu_time repeats real_time.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dbtools.h"
#include "stats.h"

#define DEFAULT_DB "results/bnnbench.db"

static const char usage[] =
	"usage: bnnbench export [--db PATH] [--format csv|json] [-o FILE] [RUN...]\n"
	"RUN: a run id, latest (the default), latest~N, a database file or FILE:RUN.\n"
	"csv: every result of every run given; json: one run in Google Benchmark's format.\n";

/* The GPU figures of one result (schema 4): CUDA-event device time and the
 * sum over its CUPTI kernel records of the pure kernel time per
 * repetition. NaN where unknown, or in a database of an earlier schema. */
typedef struct {
	double device_min_ns, device_median_ns, gpu_kernel_ns;
} gpu_cols_t;

/*
 * The GPU figures of every result of r, read from r's database (the run
 * loader reads schema-1 columns only). Returns a malloc'ed array of r->nres
 * (all NaN when the database predates schema 4), or NULL when out of memory
 * or the file cannot be opened again (the caller then writes them empty).
 */
static gpu_cols_t *load_gpu_cols(const bnn_dbt_run_t *r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char err[512];
	gpu_cols_t *g = malloc((r->nres ? r->nres : 1) * sizeof(*g));
	if (!g)
		return NULL;
	for (size_t i = 0; i < r->nres; i++)
		g[i] = (gpu_cols_t){ NAN, NAN, NAN };
	if (bnn_dbt_open_ro(r->db_path, &db, err, sizeof(err)) != 0) {
		free(g);
		return NULL;
	}
	if (sqlite3_prepare_v2(db, "SELECT device_min_ns, device_median_ns,"
			       " (SELECT sum(per_rep_ns) FROM gpu_kernel k WHERE k.result_id = r.id)"
			       " FROM result r WHERE r.id = ?1", -1, &s, NULL) != SQLITE_OK)
		goto out;   /* before schema 4: no such columns */
	for (size_t i = 0; i < r->nres; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, r->res[i].id);
		if (sqlite3_step(s) != SQLITE_ROW)
			continue;
		double *v[3] = { &g[i].device_min_ns, &g[i].device_median_ns, &g[i].gpu_kernel_ns };
		for (int c = 0; c < 3; c++)
			if (sqlite3_column_type(s, c) != SQLITE_NULL)
				*v[c] = sqlite3_column_double(s, c);
	}
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return g;
}

/* A comma, then x in full precision (nothing when unknown). */
static void csv_num(FILE *f, double x)
{
	fputc(',', f);
	if (isfinite(x))
		fprintf(f, "%.17g", x);
}

/* A comma, then s quoted as CSV needs. */
static void csv_text(FILE *f, const char *s)
{
	fputc(',', f);
	bnn_dbt_csv_field(f, s);
}

/* The CSV header: the column names of csv_run, in its order. */
static void csv_header(FILE *f)
{
	fputs("run_id,database,machine,hostname,cpu_model,build,suite,start_time,run_status,"
	      "problem,canonical,op,kernel,kind,isa,status,reason,nsamples,min_ns,median_ns,"
	      "ci_lo_ns,ci_hi_ns,macs,tops,efficiency,threads,binding,max_abs_err,bound,"
	      "value,value_median,unit,device_min_ns,device_median_ns,gpu_kernel_ns\n", f);
}

/* One CSV row per result of r. */
static void csv_run(FILE *f, const bnn_dbt_run_t *r)
{
	gpu_cols_t *g = load_gpu_cols(r);
	for (size_t i = 0; i < r->nres; i++) {
		const bnn_dbt_result_t *x = &r->res[i];
		fprintf(f, "%lld", (long long)r->id);
		csv_text(f, r->db_path);
		csv_text(f, r->fingerprint);
		csv_text(f, r->hostname);
		csv_text(f, r->cpu_model);
		csv_text(f, r->version);
		csv_text(f, r->suite);
		csv_text(f, r->start_time);
		csv_text(f, r->status);
		csv_text(f, x->problem);
		csv_text(f, x->canonical);
		csv_text(f, x->op);
		csv_text(f, x->kernel);
		csv_text(f, x->kind);
		csv_text(f, x->isa);
		csv_text(f, x->status);
		csv_text(f, x->reason);
		fprintf(f, ",%zu", x->nsamples);
		csv_num(f, x->min_ns);
		csv_num(f, x->median_ns);
		csv_num(f, x->ci_lo_ns);
		csv_num(f, x->ci_hi_ns);
		csv_num(f, x->macs);
		csv_num(f, x->tops);
		csv_num(f, x->efficiency);
		fprintf(f, ",%lld", (long long)x->threads);
		csv_text(f, x->binding);
		csv_num(f, x->max_abs_err);
		csv_num(f, x->bound);
		csv_num(f, x->value);
		csv_num(f, x->value_median);
		csv_text(f, x->unit);
		csv_num(f, g ? g[i].device_min_ns : NAN);
		csv_num(f, g ? g[i].device_median_ns : NAN);
		csv_num(f, g ? g[i].gpu_kernel_ns : NAN);
		fputc('\n', f);
	}
	free(g);
}

/* "key": "v" (escaped), after ", " when comma. */
static void json_kv_str(FILE *f, const char *key, const char *v, int comma)
{
	fprintf(f, "%s\"%s\": ", comma ? ", " : "", key);
	bnn_dbt_json_string(f, v);
}

/* , "key": v (null when unknown). */
static void json_kv_num(FILE *f, const char *key, double v)
{
	fprintf(f, ", \"%s\": ", key);
	bnn_dbt_json_number(f, v);
}

/* The name of a benchmark: problem/kernel, as Google Benchmark names
 * a family instance by its arguments. */
static void bench_name(char *buf, size_t len, const bnn_dbt_result_t *x, const char *suffix)
{
	snprintf(buf, len, "%s/%s%s", x->problem, x->kernel, suffix);
}

/* One Google Benchmark aggregate entry (NAME_agg) of result x. */
static void json_aggregate(FILE *f, const bnn_dbt_result_t *x, long family, const char *agg,
			   double value, int percent, const gpu_cols_t *g)
{
	char name[600], run_name[600], suffix[32];
	snprintf(suffix, sizeof(suffix), "_%s", agg);
	bench_name(name, sizeof(name), x, suffix);
	bench_name(run_name, sizeof(run_name), x, "");
	fprintf(f, ",\n    {");
	json_kv_str(f, "name", name, 0);
	fprintf(f, ", \"family_index\": %ld, \"per_family_instance_index\": 0", family);
	json_kv_str(f, "run_name", run_name, 1);
	fprintf(f, ", \"run_type\": \"aggregate\", \"repetitions\": %zu, \"threads\": %lld",
		x->nsamples, (long long)(x->threads > 0 ? x->threads : 1));
	fprintf(f, ", \"aggregate_name\": \"%s\", \"aggregate_unit\": \"%s\"", agg,
		percent ? "percentage" : "time");
	fprintf(f, ", \"iterations\": %zu", x->nsamples);
	json_kv_num(f, "real_time", value);
	json_kv_num(f, "cpu_time", value);
	fprintf(f, ", \"time_unit\": \"ns\"");
	if (!strcmp(agg, "median")) {
		json_kv_num(f, "TOPS", x->tops);
		json_kv_num(f, "MACs", x->macs);
		json_kv_num(f, "efficiency", x->efficiency);
		/* GPU kernels (schema 4): user counters, as Google Benchmark
		 * writes them, only where known. */
		if (g && isfinite(g->device_median_ns))
			json_kv_num(f, "device_median_ns", g->device_median_ns);
		if (g && isfinite(g->gpu_kernel_ns))
			json_kv_num(f, "gpu_kernel_ns", g->gpu_kernel_ns);
	}
	fprintf(f, "}");
}

/* Run r as one Google Benchmark JSON document; r has its samples loaded. */
static void json_run(FILE *f, const bnn_dbt_run_t *r)
{
	fprintf(f, "{\n  \"context\": {");
	json_kv_str(f, "date", r->start_time, 0);
	json_kv_str(f, "host_name", r->host ? r->host : r->hostname, 1);
	json_kv_str(f, "executable", "bnnbench", 1);
	fprintf(f, ", \"num_cpus\": %lld, \"mhz_per_cpu\": 0, \"cpu_scaling_enabled\": false",
		(long long)r->cores);
	fprintf(f, ", \"caches\": [], \"load_avg\": [], \"library_build_type\": \"release\"");
	json_kv_str(f, "bnnbench_version", r->version, 1);
	json_kv_str(f, "compiler", r->compiler, 1);
	json_kv_str(f, "cflags", r->cflags, 1);
	fprintf(f, ", \"bnnbench_run_id\": %lld", (long long)r->id);
	json_kv_str(f, "bnnbench_database", r->db_path, 1);
	json_kv_str(f, "machine_fingerprint", r->fingerprint, 1);
	json_kv_str(f, "cpu_model", r->cpu_model, 1);
	json_kv_str(f, "isa_features", r->isa_features, 1);
	json_kv_str(f, "suite", r->suite, 1);
	json_kv_str(f, "command_line", r->command_line, 1);
	json_kv_str(f, "run_status", r->status, 1);
	json_kv_str(f, "end_time", r->end_time, 1);
	fprintf(f, ", \"seed\": %lld, \"check_only\": %s", (long long)r->seed,
		r->check_only ? "true" : "false");
	/* The probed peaks are the machine's, so they go with the context. */
	fprintf(f, ",\n    \"probes\": [");
	int first = 1;
	for (size_t i = 0; i < r->nres; i++) {
		const bnn_dbt_result_t *x = &r->res[i];
		if (strcmp(x->kind, "probe"))
			continue;
		fprintf(f, "%s{", first ? "" : ", ");
		json_kv_str(f, "name", x->problem, 0);
		json_kv_str(f, "method", x->reason, 1);
		json_kv_num(f, "value", x->value);
		json_kv_num(f, "median", x->value_median);
		json_kv_str(f, "unit", x->unit, 1);
		fprintf(f, ", \"threads\": %lld}", (long long)x->threads);
		first = 0;
	}
	fprintf(f, "]},\n  \"benchmarks\": [");
	gpu_cols_t *g = load_gpu_cols(r);
	long family = 0;
	first = 1;
	for (size_t i = 0; i < r->nres; i++) {
		const bnn_dbt_result_t *x = &r->res[i];
		char name[600];
		if (!strcmp(x->kind, "probe"))
			continue;
		bench_name(name, sizeof(name), x, "");
		if (x->nsamples == 0) {
			/* Not timed: Google Benchmark's form of a benchmark that
			 * reported an error. Its JSON reporter still writes zero
			 * times and the unit, and compare.py (its geometric mean)
			 * reads real_time of every entry, so they are here too. */
			fprintf(f, "%s\n    {", first ? "" : ",");
			json_kv_str(f, "name", name, 0);
			fprintf(f, ", \"family_index\": %ld, \"per_family_instance_index\": 0", family);
			json_kv_str(f, "run_name", name, 1);
			fprintf(f, ", \"run_type\": \"iteration\", \"repetitions\": 0"
				", \"repetition_index\": 0, \"threads\": %lld, \"iterations\": 0",
				(long long)(x->threads > 0 ? x->threads : 1));
			fprintf(f, ", \"real_time\": 0, \"cpu_time\": 0, \"time_unit\": \"ns\"");
			fprintf(f, ", \"error_occurred\": true");
			char msg[1200];
			snprintf(msg, sizeof(msg), "%s%s%s", x->status, x->reason ? ": " : "",
				 x->reason ? x->reason : (strcmp(x->status, "PASS") ? "" :
							  " (not timed)"));
			json_kv_str(f, "error_message", msg, 1);
			json_kv_str(f, "status", x->status, 1);
			fprintf(f, "}");
			first = 0;
			family++;
			continue;
		}
		double sum = 0, sq = 0;
		for (size_t k = 0; k < x->nsamples; k++) {
			double t = x->samples[k];
			sum += t;
			fprintf(f, "%s\n    {", first ? "" : ",");
			json_kv_str(f, "name", name, 0);
			fprintf(f, ", \"family_index\": %ld, \"per_family_instance_index\": 0", family);
			json_kv_str(f, "run_name", name, 1);
			fprintf(f, ", \"run_type\": \"iteration\", \"repetitions\": %zu"
				", \"repetition_index\": %zu, \"threads\": %lld, \"iterations\": 1",
				x->nsamples, k, (long long)(x->threads > 0 ? x->threads : 1));
			json_kv_num(f, "real_time", t);
			json_kv_num(f, "cpu_time", t);
			fprintf(f, ", \"time_unit\": \"ns\"");
			json_kv_str(f, "status", x->status, 1);
			fprintf(f, "}");
			first = 0;
		}
		double n = (double)x->nsamples, mean = sum / n;
		for (size_t k = 0; k < x->nsamples; k++)
			sq += (x->samples[k] - mean) * (x->samples[k] - mean);
		double sd = x->nsamples > 1 ? sqrt(sq / (n - 1)) : 0;
		json_aggregate(f, x, family, "mean", mean, 0, g ? &g[i] : NULL);
		json_aggregate(f, x, family, "median", bnn_stat_median(x->samples, x->nsamples), 0, g ? &g[i] : NULL);
		json_aggregate(f, x, family, "stddev", sd, 0, g ? &g[i] : NULL);
		json_aggregate(f, x, family, "cv", mean > 0 ? sd / mean : NAN, 1, g ? &g[i] : NULL);
		family++;
	}
	fprintf(f, "\n  ]\n}\n");
	free(g);
}

/* See dbtools.h. Every run is read before the output file is opened. */
int bnn_cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, 0, 'd' },
		{ "format", required_argument, 0, 'f' },
		{ "output", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *db = DEFAULT_DB, *format = "csv", *out_path = NULL;
	FILE *f = stdout;
	int status = BNN_DBT_USAGE, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'f': format = optarg; break;
		case 'o': out_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return BNN_DBT_USAGE;
		}
	}
	int json = !strcmp(format, "json");
	if (!json && strcmp(format, "csv")) {
		fprintf(stderr, "bnnbench: export: --format: '%s' is not csv or json\n", format);
		return BNN_DBT_USAGE;
	}
	int nruns = argc - optind;
	if (json && nruns > 1) {
		fprintf(stderr, "bnnbench: export: --format json takes one run (Google Benchmark's "
			"format holds one context); give one RUN, or use csv\n");
		return BNN_DBT_USAGE;
	}
	/* Everything is read before the output file is created, so a bad run
	 * spec leaves no partial file. */
	bnn_dbt_run_t *runs = calloc(nruns ? (size_t)nruns : 1, sizeof(*runs));
	if (!runs) {
		fprintf(stderr, "bnnbench: export: out of memory\n");
		return BNN_DBT_IO;
	}
	int n = nruns ? nruns : 1;
	for (int i = 0; i < n; i++) {
		status = bnn_dbt_load_arg(nruns ? argv[optind + i] : "latest", db, json, &runs[i]);
		if (status)
			goto out;
	}
	if (out_path && !(f = fopen(out_path, "w"))) {
		fprintf(stderr, "bnnbench: export: %s: %s\n", out_path, strerror(errno));
		f = stdout;
		status = BNN_DBT_IO;
		goto out;
	}
	if (json) {
		json_run(f, &runs[0]);
	} else {
		csv_header(f);
		for (int i = 0; i < n; i++)
			csv_run(f, &runs[i]);
	}
	status = BNN_DBT_OK;
	if (fflush(f) != 0 || ferror(f)) {
		fprintf(stderr, "bnnbench: export: writing %s: %s\n", out_path ? out_path : "stdout",
			strerror(errno));
		status = BNN_DBT_IO;
	}
out:
	if (f != stdout && fclose(f) != 0 && status == BNN_DBT_OK) {
		fprintf(stderr, "bnnbench: export: closing %s: %s\n", out_path, strerror(errno));
		status = BNN_DBT_IO;
	}
	if (status == BNN_DBT_IO && out_path && f != stdout)
		remove(out_path);
	for (int i = 0; i < n; i++)
		bnn_dbt_free_run(&runs[i]);
	free(runs);
	return status;
}
