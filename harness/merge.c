/*
 * merge.c: `bnnbench merge A.db B.db ... -o fleet.db`: combines the
 * databases of several machines (or shards of one suite) into one.
 *
 * Rows are matched by their natural keys, not their ids: a machine by its
 * fingerprint, a build by (version, compiler, cflags), a problem by its
 * canonical text, a run by (machine, start time, pid, host, command line),
 * a result by (run, problem, kernel), a sample by (result, index), a
 * counter by (result, source, event). A row whose key is already in the
 * destination is not copied again, so merging the same file twice adds
 * nothing; ids are renumbered and every reference follows its row.
 *
 * Columns are copied by name, those present in both the source and the
 * destination, so a source of an older schema merges into a newer one.
 * A source newer than the destination, or one holding rows in a table
 * this code does not know, is refused before anything is written: its
 * rows could not be copied faithfully.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dbtools.h"
#include "store.h"

#define MAX_KEY 6
#define MAX_FK 3

/* How one table is merged. Parents come before children. */
typedef struct {
	const char *name;
	int has_id;                       /* INTEGER PRIMARY KEY id, renumbered */
	const char *key[MAX_KEY];         /* natural key */
	const char *fk[MAX_FK];           /* columns that reference ... */
	const char *parent[MAX_FK];       /* ... the id of these tables */
} table_t;

static const table_t tables[] = {
	{ "machine", 1, { "fingerprint" }, { 0 }, { 0 } },
	{ "build", 1, { "version", "compiler", "cflags" }, { 0 }, { 0 } },
	{ "problem", 1, { "canonical" }, { 0 }, { 0 } },
	{ "run", 1, { "machine_id", "start_time", "pid", "host", "command_line" },
	  { "machine_id", "build_id" }, { "machine", "build" } },
	{ "result", 1, { "run_id", "problem_id", "kernel" },
	  { "run_id", "problem_id" }, { "run", "problem" } },
	{ "sample", 0, { "result_id", "idx" }, { "result_id" }, { "result" } },
	{ "counter", 1, { "result_id", "source", "event" }, { "result_id" }, { "result" } },
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

static const char usage[] =
	"usage: bnnbench merge SOURCE.db... -o DEST.db\n"
	"Copies every machine, build, problem, run, result, sample and counter of the\n"
	"sources into DEST (created when missing); rows already there are not added again.\n";

typedef struct {
	char **name;
	int n;
} cols_t;

/* Frees the column names and empties c. */
static void cols_free(cols_t *c)
{
	for (int i = 0; i < c->n; i++)
		sqlite3_free(c->name[i]);
	free(c->name);
	c->name = NULL;
	c->n = 0;
}

/* The columns of schema.table (empty when the table does not exist). */
static int table_cols(sqlite3 *db, const char *schema, const char *table, cols_t *c)
{
	sqlite3_stmt *s = NULL;
	char *sql = sqlite3_mprintf("PRAGMA \"%w\".table_info(\"%w\")", schema, table);
	int rc = -1, src;
	c->name = NULL;
	c->n = 0;
	if (!sql || sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		char **p = realloc(c->name, (size_t)(c->n + 1) * sizeof(*p));
		if (!p)
			goto out;
		c->name = p;
		c->name[c->n] = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(s, 1));
		if (!c->name[c->n])
			goto out;
		c->n++;
	}
	rc = src == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(s);
	sqlite3_free(sql);
	if (rc)
		cols_free(c);
	return rc;
}

/* Whether c holds a column named name. */
static int has_col(const cols_t *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name))
			return 1;
	return 0;
}

/* Whether merge knows how to copy table name. */
static int is_known(const char *name)
{
	for (size_t i = 0; i < NTABLES; i++)
		if (!strcmp(tables[i].name, name))
			return 1;
	return 0;
}

/* The parent table of column col of t, or NULL when col is no reference. */
static const char *parent_of(const table_t *t, const char *col)
{
	for (int i = 0; i < MAX_FK && t->fk[i]; i++)
		if (!strcmp(t->fk[i], col))
			return t->parent[i];
	return NULL;
}

/* Appends to *sql the source value of col: remapped when it is a reference. */
static char *value_expr(char *sql, const table_t *t, const char *col)
{
	const char *parent = parent_of(t, col);
	if (parent)
		return sqlite3_mprintf("%z(SELECT new FROM temp.\"map_%w\" WHERE old = s.\"%w\")",
				       sql, parent, col);
	return sqlite3_mprintf("%zs.\"%w\"", sql, col);
}

/* Appends the condition "destination row d has the key of source row s". */
static char *key_match(char *sql, const table_t *t)
{
	for (int k = 0; k < MAX_KEY && t->key[k] && sql; k++) {
		sql = sqlite3_mprintf("%z%sd.\"%w\" IS ", sql, k ? " AND " : "", t->key[k]);
		if (sql)
			sql = value_expr(sql, t, t->key[k]);
	}
	return sql;
}

/* Runs sql; -1 with SQLite's message in err on failure. */
static int exec(sqlite3 *db, const char *sql, char *err, size_t len)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, len, "%s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * Copies the rows of src.t whose key main.t lacks, then (for tables with
 * ids) fills temp.map_t with old id -> new id for every source row.
 * *added counts the copied rows. Runs inside the caller's transaction.
 */
static int merge_table(sqlite3 *db, const table_t *t, long long *added, long long *seen,
		       char *err, size_t len)
{
	cols_t dc, sc;
	char *sql = NULL, *cols = NULL, *vals = NULL;
	int rc = -1;
	*added = *seen = 0;
	if (table_cols(db, "main", t->name, &dc) || table_cols(db, "src", t->name, &sc)) {
		snprintf(err, len, "reading the columns of %s: %s", t->name, sqlite3_errmsg(db));
		return -1;
	}
	if (sc.n == 0) {   /* an older source without this table: nothing to copy */
		rc = 0;
		goto out;
	}
	for (int k = 0; k < MAX_KEY && t->key[k]; k++)
		if (!has_col(&dc, t->key[k]) || !has_col(&sc, t->key[k])) {
			snprintf(err, len, "table %s lacks its key column %s", t->name, t->key[k]);
			goto out;
		}
	cols = sqlite3_mprintf("");
	vals = sqlite3_mprintf("");
	int n = 0;
	for (int i = 0; i < dc.n && cols && vals; i++) {
		if ((t->has_id && !strcmp(dc.name[i], "id")) || !has_col(&sc, dc.name[i]))
			continue;
		cols = sqlite3_mprintf("%z%s\"%w\"", cols, n ? ", " : "", dc.name[i]);
		vals = sqlite3_mprintf("%z%s", vals, n ? ", " : "");
		if (vals)
			vals = value_expr(vals, t, dc.name[i]);
		n++;
	}
	sql = sqlite3_mprintf("INSERT INTO main.\"%w\" (%s) SELECT %s FROM src.\"%w\" s"
			      " WHERE NOT EXISTS (SELECT 1 FROM main.\"%w\" d WHERE ",
			      t->name, cols, vals, t->name, t->name);
	sql = key_match(sql, t);
	sql = sqlite3_mprintf("%z) ORDER BY %s", sql,
			      t->has_id ? "s.id" : "s.result_id, s.idx");
	if (!cols || !vals || !sql) {
		snprintf(err, len, "out of memory");
		goto out;
	}
	if (exec(db, sql, err, len))
		goto out;
	*added = sqlite3_changes(db);
	sqlite3_free(sql);
	sql = sqlite3_mprintf("SELECT count(*) FROM src.\"%w\"", t->name);
	sqlite3_stmt *st = NULL;
	if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, len, "counting %s: %s", t->name, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		goto out;
	}
	*seen = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (t->has_id) {
		sqlite3_free(sql);
		sql = sqlite3_mprintf("DROP TABLE IF EXISTS temp.\"map_%w\";"
				      " CREATE TEMP TABLE \"map_%w\" (old INTEGER PRIMARY KEY,"
				      " new INTEGER NOT NULL);"
				      " INSERT INTO temp.\"map_%w\" SELECT s.id,"
				      " (SELECT d.id FROM main.\"%w\" d WHERE ",
				      t->name, t->name, t->name, t->name);
		sql = key_match(sql, t);
		sql = sqlite3_mprintf("%z) FROM src.\"%w\" s", sql, t->name);
		if (!sql) {
			snprintf(err, len, "out of memory");
			goto out;
		}
		if (exec(db, sql, err, len)) {
			/* NOT NULL fails when a row found no match: a key that
			 * is not unique in the destination. */
			char why[640];
			snprintf(why, sizeof(why), "%.600s", err);
			snprintf(err, len, "matching the rows of %s: %.600s", t->name, why);
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_free(sql);
	sqlite3_free(cols);
	sqlite3_free(vals);
	cols_free(&dc);
	cols_free(&sc);
	return rc;
}

/* Reads one integer pragma or count of an attached or main schema. */
static int one_int(sqlite3 *db, const char *sql, long long *v)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

/*
 * Checks, reading only, that source path can be merged into a destination
 * of schema version dest_version: a bnnbench database, not newer, and no
 * rows in tables this code does not know.
 */
static int check_source(const char *path, long long dest_version, char *err, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long uv = 0;
	int rc = -1;
	if (bnn_dbt_open_ro(path, &db, err, len) != 0)
		return -1;
	if (one_int(db, "PRAGMA user_version", &uv) != 0) {
		snprintf(err, len, "%s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	if (uv > dest_version) {
		snprintf(err, len, "%s: schema version %lld is newer than the destination's (%lld); "
			 "merge with the bnnbench that wrote it", path, uv, dest_version);
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'"
			       " AND name NOT LIKE 'sqlite_%'", -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, len, "%s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		long long rows = 0;
		if (!name || is_known(name))
			continue;
		char *q = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", name);
		int bad = !q || one_int(db, q, &rows) != 0;
		sqlite3_free(q);
		if (bad || rows > 0) {
			snprintf(err, len, "%s: table %s (%lld rows) is not known to this bnnbench's "
				 "merge; its rows could not be copied faithfully (update "
				 "harness/merge.c or merge with the bnnbench that wrote it)", path,
				 name, rows);
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/* Merges one source into the open destination, in one transaction. */
static int merge_one(sqlite3 *db, const char *path, char *err, size_t len)
{
	sqlite3_stmt *s = NULL;
	char *uri = NULL;
	int attached = 0, rc = -1;
	long long added[NTABLES], seen[NTABLES];

	/* The source is attached read-only: merging never changes it. */
	uri = strpbrk(path, "?#%") ? sqlite3_mprintf("%s", path)
				    : sqlite3_mprintf("file:%s?mode=ro", path);
	if (!uri || sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS src", -1, &s, NULL)
		    != SQLITE_OK) {
		snprintf(err, len, "%s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(s, 1, uri, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		snprintf(err, len, "%s: attaching: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	attached = 1;
	if (exec(db, "BEGIN IMMEDIATE", err, len))
		goto out;
	for (size_t i = 0; i < NTABLES; i++) {
		char why[800];
		if (merge_table(db, &tables[i], &added[i], &seen[i], why, sizeof(why)) != 0) {
			snprintf(err, len, "%s: %s", path, why);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
	}
	if (exec(db, "COMMIT", err, len)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	printf("merged %s:", path);
	for (size_t i = 0; i < NTABLES; i++)
		printf("%s %s %lld of %lld", i ? "," : "", tables[i].name, added[i], seen[i]);
	printf(" new\n");
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_free(uri);
	if (attached)
		sqlite3_exec(db, "DETACH DATABASE src", NULL, NULL, NULL);
	return rc;
}

/* See dbtools.h. Every source is checked before the first is copied. */
int bnn_cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dest = NULL;
	char err[1200];
	bnn_store_t *st = NULL;
	sqlite3 *db = NULL;
	struct stat ds, ss;
	long long dest_version = 0;
	int status = BNN_DBT_USAGE, c, created;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': dest = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return BNN_DBT_USAGE;
		}
	}
	if (!dest || optind == argc) {
		fprintf(stderr, "bnnbench: merge needs sources and -o DEST\n%s", usage);
		return BNN_DBT_USAGE;
	}
	created = stat(dest, &ds) != 0;
	/* bnn_store_open creates or migrates the destination to this program's
	 * schema and refuses anything that is not a bnnbench database. */
	if (bnn_store_open(&st, dest, err, sizeof(err)) != 0) {
		fprintf(stderr, "bnnbench: merge: %s\n", err);
		return BNN_DBT_IO;
	}
	bnn_store_close(st);
	status = BNN_DBT_IO;
	if (sqlite3_open_v2(dest, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
	    one_int(db, "PRAGMA user_version", &dest_version) != 0 ||
	    sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bnnbench: merge: %s: %s\n", dest, db ? sqlite3_errmsg(db) : "?");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	stat(dest, &ds);
	/* Every source is checked before anything is written. */
	for (int i = optind; i < argc; i++) {
		if (check_source(argv[i], dest_version, err, sizeof(err)) != 0) {
			fprintf(stderr, "bnnbench: merge: %s\n", err);
			status = strstr(err, "No such file") ? BNN_DBT_USAGE : BNN_DBT_IO;
			goto out;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (stat(argv[i], &ss) == 0 && ss.st_dev == ds.st_dev && ss.st_ino == ds.st_ino) {
			printf("merged %s: it is the destination, nothing to add\n", argv[i]);
			continue;
		}
		if (merge_one(db, argv[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "bnnbench: merge: %s (the sources before it are merged)\n",
				err);
			goto out;
		}
	}
	status = BNN_DBT_OK;
out:
	if (db && sqlite3_close(db) != SQLITE_OK && status == BNN_DBT_OK)
		status = BNN_DBT_IO;
	/* A destination this merge created and could not fill is removed. */
	if (status != BNN_DBT_OK && created) {
		char side[4200];
		unlink(dest);
		snprintf(side, sizeof(side), "%s-wal", dest);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", dest);
		unlink(side);
	}
	return status;
}
