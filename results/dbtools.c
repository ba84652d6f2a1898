/*
 * dbtools.c: what compare, report, ab and export share: opening a database
 * read-only, run specs, loading a run, escaping writers (see dbtools.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dbtools.h"
#include "store.h"

#define BNN_APP_ID 0x424e4e42   /* "BNNB", as results/store.c sets it */

/* Formats a reason into err (len bytes). */
static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* One integer from constant SQL; -1 with err on failure. */
static int query_int(sqlite3 *db, const char *path, const char *sql, int64_t *v, char *err,
		     size_t len)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		int code = sqlite3_errcode(db) & 0xff;
		set_err(err, len, "%s: %s (%s)", path,
			code == SQLITE_NOTADB ? "not an SQLite database" : "cannot read",
			sqlite3_errmsg(db));
		goto out;
	}
	*v = sqlite3_column_int64(s, 0);
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Opens path read-only at the URI (mode=ro, or immutable=1) into *db and
 * reads its application_id and user_version; -1 with err on failure (*db
 * closed). A name with '?', '#' or '%' is opened plainly, as a file name.
 */
static int open_ro_as(const char *path, const char *how, sqlite3 **db, int64_t *app,
		      int64_t *uv, char *err, size_t errlen)
{
	char *uri = sqlite3_mprintf("file:%s?%s", path, how);
	int flags = SQLITE_OPEN_READONLY, rc = -1;
	const char *name = path;
	*db = NULL;
	if (!uri) {
		set_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (!strpbrk(path, "?#%")) {
		flags |= SQLITE_OPEN_URI;
		name = uri;
	}
	if (sqlite3_open_v2(name, db, flags, NULL) != SQLITE_OK) {
		set_err(err, errlen, "%s: cannot open: %s", path,
			*db ? sqlite3_errmsg(*db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(*db, 5000);
	if (query_int(*db, path, "PRAGMA application_id", app, err, errlen) ||
	    query_int(*db, path, "PRAGMA user_version", uv, err, errlen))
		goto out;
	rc = 0;
out:
	sqlite3_free(uri);
	if (rc) {
		sqlite3_close(*db);
		*db = NULL;
	}
	return rc;
}

/*
 * See dbtools.h. The file is never created or written. A WAL database on
 * a read-only file system (an archive) cannot be opened read-only without
 * its -shm file, which cannot be made there: when there is no -wal file
 * either (nothing left to checkpoint), it is opened immutable instead.
 */
int bnn_dbt_open_ro(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	struct stat sb;
	int64_t app = 0, uv = 0;
	char wal[4200];

	*db = NULL;
	if (stat(path, &sb) != 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		set_err(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	/* mode=ro: nothing this connection does can change the file. */
	if (open_ro_as(path, "mode=ro", db, &app, &uv, err, errlen) != 0 &&
	    (access(wal, F_OK) == 0 || strpbrk(path, "?#%") ||
	     open_ro_as(path, "immutable=1", db, &app, &uv, err, errlen) != 0))
		return -1;
	if (app != BNN_APP_ID || uv < 1) {
		set_err(err, errlen, "%s: not a bnnbench database (application_id %#llx, "
			"user_version %lld)", path, (unsigned long long)(uint32_t)app,
			(long long)uv);
		goto fail;
	}
	if (uv > bnn_store_schema_version()) {
		set_err(err, errlen, "%s: schema version %lld is newer than this bnnbench (%d): "
			"read it with the bnnbench that wrote it", path, (long long)uv,
			bnn_store_schema_version());
		goto fail;
	}
	return 0;
fail:
	sqlite3_close(*db);
	*db = NULL;
	return -1;
}

/* Parses a positive decimal id; -1 when s is not one. */
static int parse_id(const char *s, int64_t *v)
{
	char *end;
	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || *end || x <= 0)
		return -1;
	*v = x;
	return 0;
}

/* Whether s has the form of a run spec (id, latest, latest~N). */
static int is_run_spec(const char *s)
{
	int64_t v;
	if (!strcmp(s, "latest") || parse_id(s, &v) == 0)
		return 1;
	return !strncmp(s, "latest~", 7) && parse_id(s + 7, &v) == 0;
}

/* See dbtools.h. latest~N counts back by id, the store's order of runs. */
int bnn_dbt_resolve(sqlite3 *db, const char *path, const char *spec, int64_t *run_id,
		    char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int64_t back = 0;
	int rc = -1;

	if (parse_id(spec, run_id) == 0) {
		if (sqlite3_prepare_v2(db, "SELECT id FROM run WHERE id = ?1", -1, &s, NULL)
		    != SQLITE_OK)
			goto sqlfail;
		sqlite3_bind_int64(s, 1, *run_id);
	} else {
		if (!strncmp(spec, "latest~", 7)) {
			if (parse_id(spec + 7, &back) != 0) {
				set_err(err, errlen, "'%s' is not a run id, latest or latest~N", spec);
				return -1;
			}
		} else if (strcmp(spec, "latest")) {
			set_err(err, errlen, "'%s' is not a run id, latest or latest~N", spec);
			return -1;
		}
		if (sqlite3_prepare_v2(db, "SELECT id FROM run ORDER BY id DESC LIMIT 1 OFFSET ?1",
				       -1, &s, NULL) != SQLITE_OK)
			goto sqlfail;
		sqlite3_bind_int64(s, 1, back);
	}
	int src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		*run_id = sqlite3_column_int64(s, 0);
		rc = 0;
	} else if (src == SQLITE_DONE) {
		set_err(err, errlen, "%s: no run '%s'", path, spec);
	} else {
		goto sqlfail;
	}
	sqlite3_finalize(s);
	return rc;
sqlfail:
	set_err(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return -2;
}

/* See dbtools.h. A run spec wins over a file of the same name ("latest"). */
int bnn_dbt_split_spec(const char *arg, const char *default_db, char **path,
		       char **spec, char **owned, char *err, size_t errlen)
{
	struct stat sb;
	char *copy = strdup(arg);
	*owned = copy;
	if (!copy) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	if (is_run_spec(copy)) {
		*path = (char *)default_db;
		*spec = copy;
		return 0;
	}
	if (stat(copy, &sb) == 0) {
		*path = copy;
		*spec = "latest";
		return 0;
	}
	char *colon = strrchr(copy, ':');
	if (colon && is_run_spec(colon + 1)) {
		*colon = 0;
		*path = copy;
		*spec = colon + 1;
		return 0;
	}
	set_err(err, errlen, "'%s' is not a run id, latest, latest~N, a database file or "
		"FILE:RUN (%s)", arg, strerror(errno));
	return -1;
}

/* A malloc'ed copy of column i, or NULL when it is NULL. */
static char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Column i as a double, NaN when NULL (the store's unknown number). */
static double col_real(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static int64_t col_int(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int64(s, i);
}

/* Frees what one loaded result owns (not r itself). */
static void free_result(bnn_dbt_result_t *r)
{
	free(r->problem); free(r->canonical); free(r->op); free(r->kernel); free(r->kind);
	free(r->isa); free(r->status); free(r->reason); free(r->repro); free(r->binding);
	free(r->unit); free(r->samples); free(r->rounds); free(r->peak_status);
}

/* See dbtools.h. */
void bnn_dbt_free_run(bnn_dbt_run_t *run)
{
	free(run->db_path); free(run->fingerprint); free(run->hostname); free(run->cpu_model);
	free(run->isa_features); free(run->record_json); free(run->version);
	free(run->compiler); free(run->cflags); free(run->suite); free(run->command_line);
	free(run->host); free(run->start_time); free(run->end_time); free(run->status);
	free(run->quiet_reasons);
	for (size_t i = 0; i < run->nres; i++)
		free_result(&run->res[i]);
	free(run->res);
	memset(run, 0, sizeof(*run));
}

/* Loads the samples of result r, in order. */
static int load_samples(sqlite3 *db, bnn_dbt_result_t *r)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int rc = -1;
	if (sqlite3_prepare_v2(db, "SELECT ns FROM sample WHERE result_id = ?1 AND ns IS NOT NULL"
			       " ORDER BY idx", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, r->id);
	int src;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (r->nsamples == cap) {
			cap = cap ? 2 * cap : 64;
			double *p = realloc(r->samples, cap * sizeof(*p));
			if (!p)
				goto out;
			r->samples = p;
		}
		r->samples[r->nsamples++] = sqlite3_column_double(s, 0);
	}
	rc = src == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(s);
	return rc;
}

/* Loads result r's round medians (schema 5); a database of an older
 * schema has none, which is no error. */
static int load_rounds(sqlite3 *db, bnn_dbt_result_t *r)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int src;
	if (sqlite3_prepare_v2(db, "SELECT median_ns FROM round WHERE result_id = ?1"
			       " AND median_ns IS NOT NULL ORDER BY round", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, r->id);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (r->nrounds == cap) {
			cap = cap ? 2 * cap : 8;
			double *p = realloc(r->rounds, cap * sizeof(*p));
			if (!p) {
				sqlite3_finalize(s);
				return -1;
			}
			r->rounds = p;
		}
		r->rounds[r->nrounds++] = sqlite3_column_double(s, 0);
	}
	sqlite3_finalize(s);
	return src == SQLITE_DONE ? 0 : -1;
}

/*
 * Result r's peak status and raw efficiency (schema 5); none before. An
 * efficiency above 1 stored as valid (a database written before schema 5,
 * or by another program) is read as a mistrusted peak, its ratio moved to
 * efficiency_raw: no reader shows or exports it as an efficiency.
 */
static void load_peak(sqlite3 *db, bnn_dbt_result_t *r)
{
	sqlite3_stmt *s = NULL;
	r->efficiency_raw = NAN;
	if (sqlite3_prepare_v2(db, "SELECT peak_status, efficiency_raw FROM result WHERE id = ?1",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, r->id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(s, 0);
			r->peak_status = t ? strdup((const char *)t) : NULL;
			r->efficiency_raw = sqlite3_column_type(s, 1) == SQLITE_NULL ?
					    NAN : sqlite3_column_double(s, 1);
		}
		sqlite3_finalize(s);
	}
	if (r->efficiency > 1) {
		char *m = strdup("mistrusted");
		if (m) {
			free(r->peak_status);
			r->peak_status = m;
			r->efficiency_raw = r->efficiency;
			r->efficiency = NAN;
		}
	}
}

/* The run's rounds and quietness (schema 5); absent in older databases. */
static void load_run_quiet(sqlite3 *db, bnn_dbt_run_t *run)
{
	sqlite3_stmt *s = NULL;
	run->quiet = -1;
	run->probe_start = run->probe_end = NAN;
	if (sqlite3_prepare_v2(db, "SELECT rounds, quiet, quiet_json FROM run WHERE id = ?1", -1,
			       &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, run->id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		run->rounds = sqlite3_column_int64(s, 0);
		run->quiet = sqlite3_column_type(s, 1) == SQLITE_NULL ? -1 :
			     sqlite3_column_int(s, 1);
		const char *j = (const char *)sqlite3_column_text(s, 2);
		json_t *doc = j ? json_loads(j, 0, NULL) : NULL;
		if (doc) {
			json_t *v = json_object_get(doc, "reasons");
			if (json_is_string(v) && json_string_value(v)[0])
				run->quiet_reasons = strdup(json_string_value(v));
			v = json_object_get(doc, "probe_start");
			if (json_is_number(v))
				run->probe_start = json_number_value(v);
			v = json_object_get(doc, "probe_end");
			if (json_is_number(v))
				run->probe_end = json_number_value(v);
			json_decref(doc);
		}
	}
	sqlite3_finalize(s);
}

/* See dbtools.h. Only columns of schema version 1 are read here; later
 * ones by load_rounds and load_run_quiet, which tolerate their absence. */
int bnn_dbt_load_run(sqlite3 *db, const char *path, int64_t run_id, int with_samples,
		     bnn_dbt_run_t *run, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int rc = -1, src;

	memset(run, 0, sizeof(*run));
	if (sqlite3_prepare_v2(db,
		"SELECT r.id, m.fingerprint, m.hostname, m.cpu_model, m.isa_features,"
		" m.record_json, m.cores, b.version, b.compiler, b.cflags, r.suite,"
		" r.command_line, r.host, r.start_time, r.end_time, r.status, r.seed,"
		" r.check_only, r.pid"
		" FROM run r JOIN machine m ON m.id = r.machine_id"
		" JOIN build b ON b.id = r.build_id WHERE r.id = ?1", -1, &s, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_int64(s, 1, run_id);
	src = sqlite3_step(s);
	if (src == SQLITE_DONE) {
		set_err(err, errlen, "%s: no run %lld", path, (long long)run_id);
		goto out;
	}
	if (src != SQLITE_ROW)
		goto sqlfail;
	run->id = col_int(s, 0);
	run->db_path = strdup(path);
	run->fingerprint = col_text(s, 1);
	run->hostname = col_text(s, 2);
	run->cpu_model = col_text(s, 3);
	run->isa_features = col_text(s, 4);
	run->record_json = col_text(s, 5);
	run->cores = col_int(s, 6);
	run->version = col_text(s, 7);
	run->compiler = col_text(s, 8);
	run->cflags = col_text(s, 9);
	run->suite = col_text(s, 10);
	run->command_line = col_text(s, 11);
	run->host = col_text(s, 12);
	run->start_time = col_text(s, 13);
	run->end_time = col_text(s, 14);
	run->status = col_text(s, 15);
	run->seed = col_int(s, 16);
	run->check_only = col_int(s, 17);
	run->pid = col_int(s, 18);
	sqlite3_finalize(s);
	s = NULL;

	if (sqlite3_prepare_v2(db,
		"SELECT r.id, coalesce(p.name, p.canonical), p.canonical, p.op, r.kernel, r.kind,"
		" r.isa, r.status, r.reason, r.repro, r.binding, r.unit, r.min_ns, r.median_ns,"
		" r.ci_lo_ns, r.ci_hi_ns, r.macs, r.tops, r.efficiency, r.value, r.value_median,"
		" r.max_abs_err, r.bound, r.threads, r.nsamples"
		" FROM result r JOIN problem p ON p.id = r.problem_id"
		" WHERE r.run_id = ?1 ORDER BY r.id", -1, &s, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_int64(s, 1, run_id);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (run->nres == cap) {
			cap = cap ? 2 * cap : 64;
			bnn_dbt_result_t *p = realloc(run->res, cap * sizeof(*p));
			if (!p) {
				set_err(err, errlen, "%s: out of memory", path);
				goto out;
			}
			run->res = p;
		}
		bnn_dbt_result_t *r = &run->res[run->nres++];
		memset(r, 0, sizeof(*r));
		r->id = col_int(s, 0);
		r->problem = col_text(s, 1);
		r->canonical = col_text(s, 2);
		r->op = col_text(s, 3);
		r->kernel = col_text(s, 4);
		r->kind = col_text(s, 5);
		r->isa = col_text(s, 6);
		r->status = col_text(s, 7);
		r->reason = col_text(s, 8);
		r->repro = col_text(s, 9);
		r->binding = col_text(s, 10);
		r->unit = col_text(s, 11);
		r->min_ns = col_real(s, 12);
		r->median_ns = col_real(s, 13);
		r->ci_lo_ns = col_real(s, 14);
		r->ci_hi_ns = col_real(s, 15);
		r->macs = col_real(s, 16);
		r->tops = col_real(s, 17);
		r->efficiency = col_real(s, 18);
		r->value = col_real(s, 19);
		r->value_median = col_real(s, 20);
		r->max_abs_err = col_real(s, 21);
		r->bound = col_real(s, 22);
		r->threads = col_int(s, 23);
		r->stored_nsamples = col_int(s, 24);
		if (!r->problem || !r->canonical || !r->kernel || !r->kind || !r->status) {
			set_err(err, errlen, "%s: result %lld: missing text or out of memory",
				path, (long long)r->id);
			goto out;
		}
	}
	if (src != SQLITE_DONE)
		goto sqlfail;
	if (with_samples)
		for (size_t i = 0; i < run->nres; i++)
			if (load_samples(db, &run->res[i]) != 0)
				goto sqlfail;
	/* Rounds and peaks are a few rows per result: always loaded. */
	for (size_t i = 0; i < run->nres; i++) {
		if (load_rounds(db, &run->res[i]) != 0)
			goto sqlfail;
		load_peak(db, &run->res[i]);
	}
	load_run_quiet(db, run);
	rc = 0;
	goto out;
sqlfail:
	set_err(err, errlen, "%s: reading run %lld: %s", path, (long long)run_id,
		sqlite3_errmsg(db));
out:
	sqlite3_finalize(s);
	if (rc)
		bnn_dbt_free_run(run);
	return rc;
}

/* See dbtools.h. The database is closed again before returning. */
int bnn_dbt_load_arg(const char *arg, const char *default_db, int with_samples,
		     bnn_dbt_run_t *run)
{
	char err[1024];
	char *path, *spec, *owned;
	sqlite3 *db = NULL;
	int64_t id;
	int status = BNN_DBT_USAGE;

	memset(run, 0, sizeof(*run));
	if (bnn_dbt_split_spec(arg, default_db, &path, &spec, &owned, err, sizeof(err)) != 0)
		goto fail;
	status = BNN_DBT_IO;
	if (bnn_dbt_open_ro(path, &db, err, sizeof(err)) != 0)
		goto fail;
	/* A spec naming no run is bad input; a database that cannot answer
	 * (a damaged file) is an I/O failure, as for show. */
	int rrc = bnn_dbt_resolve(db, path, spec, &id, err, sizeof(err));
	status = rrc == -2 ? BNN_DBT_IO : BNN_DBT_USAGE;
	if (rrc != 0)
		goto fail;
	status = BNN_DBT_IO;
	if (bnn_dbt_load_run(db, path, id, with_samples, run, err, sizeof(err)) != 0)
		goto fail;
	sqlite3_close(db);
	free(owned);
	return 0;
fail:
	fprintf(stderr, "bnnbench: %s\n", err);
	sqlite3_close(db);
	free(owned);
	return status;
}

/* See dbtools.h. */
json_t *bnn_dbt_jstr(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char *t = strdup(s);
	if (!t)
		return NULL;
	for (char *p = t; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(t);
	free(t);
	return j;
}

/* See dbtools.h. */
json_t *bnn_dbt_jnum(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

/* See dbtools.h. */
int bnn_dbt_jset(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) != 0;
}

/* See dbtools.h. */
int bnn_dbt_json_dump(FILE *f, const json_t *doc)
{
	if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 ||
	    fputc('\n', f) == EOF)
		return -1;
	return 0;
}

/* See dbtools.h: quoted only when it holds a comma, quote or line break. */
void bnn_dbt_csv_field(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* See dbtools.h: safe in element text and in quoted attributes. */
void bnn_dbt_html(FILE *f, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* See dbtools.h. */
int bnn_dbt_parse_threshold(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s)
		return -1;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	if (*end || !(v >= 0) || v >= 10)
		return -1;
	*out = v;
	return 0;
}
