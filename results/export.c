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
#include "junit.h"
#include "stats.h"



/* The kinds --kind keeps: bits of kind_bit(). */
enum { K_KERNEL = 1, K_PEER = 2, K_PROBE = 4, K_ALL = 7 };
static unsigned kinds = K_ALL;

static unsigned kind_bit(const char *kind)
{
	return !strcmp(kind, "kernel") ? K_KERNEL : !strcmp(kind, "peer") ? K_PEER :
	       !strcmp(kind, "probe") ? K_PROBE : 0;
}

/* Whether --kind keeps result x. */
static int kept(const bnn_dbt_result_t *x)
{
	return (kind_bit(x->kind) & kinds) != 0;
}

/* Parses --kind's comma-separated list into kinds; -1 when a name is not
 * a kind. */
static int parse_kinds(const char *s)
{
	char buf[128];
	unsigned k = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned b = kind_bit(t);
		if (!b)
			return -1;
		k |= b;
	}
	if (!k)
		return -1;
	kinds = k;
	return 0;
}

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
	      "value,value_median,unit,device_min_ns,device_median_ns,gpu_kernel_ns,"
	      "peak_status,efficiency_raw,run_rounds,run_quiet\n", f);
}

/* One CSV row per result of r. */
static void csv_run(FILE *f, const bnn_dbt_run_t *r)
{
	gpu_cols_t *g = load_gpu_cols(r);
	for (size_t i = 0; i < r->nres; i++) {
		const bnn_dbt_result_t *x = &r->res[i];
		if (!kept(x))
			continue;
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
		/* The stored count: CSV export does not load the samples. */
		fprintf(f, ",%lld", (long long)x->stored_nsamples);
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
		/* Schema 5: a mistrusted peak keeps efficiency empty; the raw
		 * ratio and why are here. */
		csv_text(f, x->peak_status);
		csv_num(f, x->efficiency_raw);
		fprintf(f, ",%lld,", (long long)r->rounds);
		if (r->quiet >= 0)
			fprintf(f, "%d", r->quiet);
		fputc('\n', f);
	}
	free(g);
}

/*
 * JUnit XML (junit.h's writer), as CI systems (Jenkins, GitLab, GitHub's
 * test reporters) read it: one <testsuite> per run, one <testcase> per
 * kernel or peer result, named problem/kernel with the class bnnbench.OP;
 * FAIL is a <failure> with the reason and the repro line, SKIP is <skipped>
 * with the reason, MISTRUSTED a <failure> of type MISTRUSTED; time is the
 * median in seconds. Probe rows are no test cases. `run --junit` writes
 * the same cases from a run's outcomes. Returns 0, or -1 out of memory.
 */
static int junit_write(FILE *f, const bnn_dbt_run_t *runs, int n)
{
	bnn_junit_begin(f);
	for (int i = 0; i < n; i++) {
		const bnn_dbt_run_t *r = &runs[i];
		bnn_junit_case_t *c = malloc((r->nres ? r->nres : 1) * sizeof(*c));
		size_t nc = 0;
		if (!c)
			return -1;
		for (size_t k = 0; k < r->nres; k++) {
			const bnn_dbt_result_t *x = &r->res[k];
			if (!strcmp(x->kind, "probe") || !kept(x))
				continue;
			bnn_junit_outcome_t out = bnn_junit_of_status(x->status);
			c[nc++] = (bnn_junit_case_t){
				.classname = x->op, .problem = x->problem, .kernel = x->kernel,
				.time_s = x->median_ns * 1e-9, .outcome = out, .type = x->status,
				.message = x->reason,
				.text = out == BNN_JUNIT_FAILURE ? x->repro : NULL,
			};
		}
		char name[600];
		snprintf(name, sizeof(name), "run %lld: %s", (long long)r->id,
			 r->suite ? r->suite : "");
		bnn_junit_suite(f, name, r->start_time, r->host, c, nc);
		free(c);
	}
	bnn_junit_end(f);
	return 0;
}

/* The name of a benchmark: problem/kernel, as Google Benchmark names
 * a family instance by its arguments. */
static void bench_name(char *buf, size_t len, const bnn_dbt_result_t *x, const char *suffix)
{
	snprintf(buf, len, "%s/%s%s", x->problem, x->kernel, suffix);
}

/* The members every benchmark entry starts with; 0, or -1 out of memory. */
static int bench_head(json_t *e, const char *name, const char *run_name, long family,
		      const char *run_type, long long threads, const char *kind)
{
	return bnn_dbt_jset(e, "name", bnn_dbt_jstr(name)) |
	       bnn_dbt_jset(e, "kind", bnn_dbt_jstr(kind)) |
	       bnn_dbt_jset(e, "family_index", json_integer(family)) |
	       bnn_dbt_jset(e, "per_family_instance_index", json_integer(0)) |
	       bnn_dbt_jset(e, "run_name", bnn_dbt_jstr(run_name)) |
	       bnn_dbt_jset(e, "run_type", json_string(run_type)) |
	       bnn_dbt_jset(e, "threads", json_integer(threads > 0 ? threads : 1));
}

/* One Google Benchmark aggregate entry (NAME_agg) of result x, or NULL. */
static json_t *json_aggregate(const bnn_dbt_result_t *x, long family, const char *agg,
			      double value, int percent, const gpu_cols_t *g)
{
	char name[600], run_name[600], suffix[32];
	json_t *e = json_object();
	int bad = !e;
	snprintf(suffix, sizeof(suffix), "_%s", agg);
	bench_name(name, sizeof(name), x, suffix);
	bench_name(run_name, sizeof(run_name), x, "");
	bad |= bench_head(e, name, run_name, family, "aggregate", x->threads, x->kind);
	bad |= bnn_dbt_jset(e, "repetitions", json_integer((json_int_t)x->nsamples));
	bad |= bnn_dbt_jset(e, "aggregate_name", json_string(agg));
	bad |= bnn_dbt_jset(e, "aggregate_unit", json_string(percent ? "percentage" : "time"));
	bad |= bnn_dbt_jset(e, "iterations", json_integer((json_int_t)x->nsamples));
	bad |= bnn_dbt_jset(e, "real_time", bnn_dbt_jnum(value));
	bad |= bnn_dbt_jset(e, "cpu_time", bnn_dbt_jnum(value));
	bad |= bnn_dbt_jset(e, "time_unit", json_string("ns"));
	if (!strcmp(agg, "median")) {
		bad |= bnn_dbt_jset(e, "TOPS", bnn_dbt_jnum(x->tops));
		bad |= bnn_dbt_jset(e, "MACs", bnn_dbt_jnum(x->macs));
		bad |= bnn_dbt_jset(e, "efficiency", bnn_dbt_jnum(x->efficiency));
		if (x->peak_status) {
			bad |= bnn_dbt_jset(e, "peak_status", bnn_dbt_jstr(x->peak_status));
			bad |= bnn_dbt_jset(e, "efficiency_raw", bnn_dbt_jnum(x->efficiency_raw));
		}
		/* GPU kernels (schema 4): user counters, as Google Benchmark
		 * writes them, only where known. */
		if (g && isfinite(g->device_median_ns))
			bad |= bnn_dbt_jset(e, "device_median_ns", bnn_dbt_jnum(g->device_median_ns));
		if (g && isfinite(g->gpu_kernel_ns))
			bad |= bnn_dbt_jset(e, "gpu_kernel_ns", bnn_dbt_jnum(g->gpu_kernel_ns));
	}
	if (bad) {
		json_decref(e);
		return NULL;
	}
	return e;
}

/* The context object of run r, or NULL out of memory. */
static json_t *json_context(const bnn_dbt_run_t *r)
{
	json_t *c = json_object(), *probes = json_array();
	int bad = !c || !probes;
	bad |= bnn_dbt_jset(c, "date", bnn_dbt_jstr(r->start_time));
	bad |= bnn_dbt_jset(c, "host_name", bnn_dbt_jstr(r->host ? r->host : r->hostname));
	bad |= bnn_dbt_jset(c, "executable", json_string("bnnbench"));
	bad |= bnn_dbt_jset(c, "num_cpus", json_integer(r->cores));
	bad |= bnn_dbt_jset(c, "mhz_per_cpu", json_integer(0));
	bad |= bnn_dbt_jset(c, "cpu_scaling_enabled", json_false());
	bad |= bnn_dbt_jset(c, "caches", json_array());
	bad |= bnn_dbt_jset(c, "load_avg", json_array());
	bad |= bnn_dbt_jset(c, "library_build_type", json_string("release"));
	bad |= bnn_dbt_jset(c, "bnnbench_version", bnn_dbt_jstr(r->version));
	bad |= bnn_dbt_jset(c, "compiler", bnn_dbt_jstr(r->compiler));
	bad |= bnn_dbt_jset(c, "cflags", bnn_dbt_jstr(r->cflags));
	bad |= bnn_dbt_jset(c, "bnnbench_run_id", json_integer(r->id));
	bad |= bnn_dbt_jset(c, "bnnbench_database", bnn_dbt_jstr(r->db_path));
	bad |= bnn_dbt_jset(c, "machine_fingerprint", bnn_dbt_jstr(r->fingerprint));
	bad |= bnn_dbt_jset(c, "cpu_model", bnn_dbt_jstr(r->cpu_model));
	bad |= bnn_dbt_jset(c, "isa_features", bnn_dbt_jstr(r->isa_features));
	bad |= bnn_dbt_jset(c, "suite", bnn_dbt_jstr(r->suite));
	bad |= bnn_dbt_jset(c, "command_line", bnn_dbt_jstr(r->command_line));
	bad |= bnn_dbt_jset(c, "run_status", bnn_dbt_jstr(r->status));
	bad |= bnn_dbt_jset(c, "end_time", bnn_dbt_jstr(r->end_time));
	bad |= bnn_dbt_jset(c, "seed", json_integer(r->seed));
	bad |= bnn_dbt_jset(c, "check_only", json_boolean(r->check_only));
	/* The probed peaks are the machine's, so they go with the context. */
	for (size_t i = 0; i < r->nres && !bad; i++) {
		const bnn_dbt_result_t *x = &r->res[i];
		if (strcmp(x->kind, "probe") || !kept(x))
			continue;
		json_t *p = json_object();
		bad |= !p;
		bad |= bnn_dbt_jset(p, "name", bnn_dbt_jstr(x->problem));
		bad |= bnn_dbt_jset(p, "kind", json_string("probe"));
		bad |= bnn_dbt_jset(p, "method", bnn_dbt_jstr(x->reason));
		bad |= bnn_dbt_jset(p, "value", bnn_dbt_jnum(x->value));
		bad |= bnn_dbt_jset(p, "median", bnn_dbt_jnum(x->value_median));
		bad |= bnn_dbt_jset(p, "unit", bnn_dbt_jstr(x->unit));
		bad |= bnn_dbt_jset(p, "threads", json_integer(x->threads));
		bad |= json_array_append_new(probes, p) != 0;
	}
	bad |= bnn_dbt_jset(c, "probes", probes);
	if (bad) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* The benchmark entries of result x (samples loaded) appended to list;
 * 0, or -1 out of memory. */
static int json_result(json_t *list, const bnn_dbt_result_t *x, long family,
		       const gpu_cols_t *g)
{
	char name[600];
	int bad = 0;
	bench_name(name, sizeof(name), x, "");
	if (x->nsamples == 0) {
		/* Not timed: Google Benchmark's form of a benchmark that
		 * reported an error. Its JSON reporter still writes zero
		 * times and the unit, and compare.py (its geometric mean)
		 * reads real_time of every entry, so they are here too. */
		char msg[1200];
		json_t *e = json_object();
		snprintf(msg, sizeof(msg), "%s%s%s", x->status, x->reason ? ": " : "",
			 x->reason ? x->reason : (strcmp(x->status, "PASS") ? "" : " (not timed)"));
		bad |= !e || bench_head(e, name, name, family, "iteration", x->threads, x->kind);
		bad |= bnn_dbt_jset(e, "repetitions", json_integer(0));
		bad |= bnn_dbt_jset(e, "repetition_index", json_integer(0));
		bad |= bnn_dbt_jset(e, "iterations", json_integer(0));
		bad |= bnn_dbt_jset(e, "real_time", json_integer(0));
		bad |= bnn_dbt_jset(e, "cpu_time", json_integer(0));
		bad |= bnn_dbt_jset(e, "time_unit", json_string("ns"));
		bad |= bnn_dbt_jset(e, "error_occurred", json_true());
		bad |= bnn_dbt_jset(e, "error_message", bnn_dbt_jstr(msg));
		bad |= bnn_dbt_jset(e, "status", bnn_dbt_jstr(x->status));
		return bad | (json_array_append_new(list, e) != 0);
	}
	double sum = 0, sq = 0;
	for (size_t k = 0; k < x->nsamples && !bad; k++) {
		double t = x->samples[k];
		json_t *e = json_object();
		sum += t;
		bad |= !e || bench_head(e, name, name, family, "iteration", x->threads, x->kind);
		bad |= bnn_dbt_jset(e, "repetitions", json_integer((json_int_t)x->nsamples));
		bad |= bnn_dbt_jset(e, "repetition_index", json_integer((json_int_t)k));
		bad |= bnn_dbt_jset(e, "iterations", json_integer(1));
		bad |= bnn_dbt_jset(e, "real_time", bnn_dbt_jnum(t));
		bad |= bnn_dbt_jset(e, "cpu_time", bnn_dbt_jnum(t));
		bad |= bnn_dbt_jset(e, "time_unit", json_string("ns"));
		bad |= bnn_dbt_jset(e, "status", bnn_dbt_jstr(x->status));
		bad |= json_array_append_new(list, e) != 0;
	}
	double n = (double)x->nsamples, mean = sum / n;
	for (size_t k = 0; k < x->nsamples; k++)
		sq += (x->samples[k] - mean) * (x->samples[k] - mean);
	double sd = x->nsamples > 1 ? sqrt(sq / (n - 1)) : 0;
	bad |= json_array_append_new(list, json_aggregate(x, family, "mean", mean, 0, g)) != 0;
	bad |= json_array_append_new(list, json_aggregate(x, family, "median",
		/* The stored median: with rounds, the median of the round medians. */
		isfinite(x->median_ns) ? x->median_ns : bnn_stat_median(x->samples, x->nsamples),
		0, g)) != 0;
	bad |= json_array_append_new(list, json_aggregate(x, family, "stddev", sd, 0, g)) != 0;
	bad |= json_array_append_new(list, json_aggregate(x, family, "cv",
		mean > 0 ? sd / mean : NAN, 1, g)) != 0;
	return bad ? -1 : 0;
}

/* Run r (samples loaded) as one Google Benchmark JSON document, built with
 * Jansson; NULL when out of memory. */
static json_t *json_run(const bnn_dbt_run_t *r)
{
	json_t *doc = json_object(), *list = json_array();
	gpu_cols_t *g = load_gpu_cols(r);
	int bad = !doc || !list;
	bad |= bnn_dbt_jset(doc, "context", json_context(r));
	long family = 0;
	for (size_t i = 0; i < r->nres && !bad; i++) {
		if (!strcmp(r->res[i].kind, "probe") || !kept(&r->res[i]))
			continue;
		bad |= json_result(list, &r->res[i], family++, g ? &g[i] : NULL);
	}
	bad |= bnn_dbt_jset(doc, "benchmarks", list);
	free(g);
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* See dbtools.h. Every run is read before the output file is opened. */
int bnn_cmd_export(int argc, char **argv, const char *usage)
{
	static const struct option longopts[] = {
		{ "db", required_argument, 0, 'd' },
		{ "format", required_argument, 0, 'f' },
		{ "output", required_argument, 0, 'o' },
		{ "kind", required_argument, 0, 'k' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *db = BNN_DBT_DEFAULT_DB, *format = "csv", *out_path = NULL;
	FILE *f = stdout;
	int status = BNN_DBT_USAGE, c;

	optind = 1;
	kinds = K_ALL;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'f': format = optarg; break;
		case 'o': out_path = optarg; break;
		case 'k':
			if (parse_kinds(optarg) != 0) {
				fprintf(stderr, "bnnbench: export: --kind: '%s' is not a list of kernel, "
					"peer and probe\n", optarg);
				return BNN_DBT_USAGE;
			}
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return BNN_DBT_USAGE;
		}
	}
	int json = !strcmp(format, "json"), junit = !strcmp(format, "junit");
	if (!json && !junit && strcmp(format, "csv")) {
		fprintf(stderr, "bnnbench: export: --format: '%s' is not csv, json or junit\n",
			format);
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
		json_t *doc = json_run(&runs[0]);
		if (!doc) {
			fprintf(stderr, "bnnbench: export: out of memory building the JSON document\n");
			status = BNN_DBT_IO;
			goto out;
		}
		int wrc = bnn_dbt_json_dump(f, doc);
		json_decref(doc);
		if (wrc != 0) {
			fprintf(stderr, "bnnbench: export: writing %s failed\n",
				out_path ? out_path : "stdout");
			status = BNN_DBT_IO;
			goto out;
		}
	} else if (junit) {
		if (junit_write(f, runs, n) != 0) {
			fprintf(stderr, "bnnbench: export: out of memory writing the JUnit XML\n");
			status = BNN_DBT_IO;
			goto out;
		}
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
