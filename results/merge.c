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
 * Tables other than these seven (a later schema's) are merged when their
 * key and references can be read from the destination's schema (see
 * plan_t). A source newer than the destination, or one holding rows in a
 * table that cannot be merged so, is refused before anything is written:
 * its rows could not be copied faithfully.
 *
 * The copy is written in short transactions (windows of each table, see
 * windowed()), never one per source: a run storing into the destination
 * meanwhile waits at most about one window. Readers may see a source half
 * copied while the merge lasts (a table's rows before their children's);
 * a merge that stops half-way is completed by running it again.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dbtools.h"
#include "spool.h"
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
#define MAX_TABLES 32

/*
 * What one merge copies: the tables above, then any other table of the
 * destination whose copy can be derived from its schema (a later schema
 * version's new tables): its natural key is its first UNIQUE constraint
 * (or its primary key when that is not a plain rowid), its references are
 * its foreign keys to tables earlier in the plan that have ids. A table
 * that cannot be derived gets its reason in why_not; a source with rows in
 * it is refused.
 */
typedef struct {
	table_t t[MAX_TABLES];
	int n;
	char *why_not[MAX_TABLES];   /* underivable destination tables ... */
	char *skipped[MAX_TABLES];   /* ... by name */
	int nskipped;
	char **owned;                /* strings the derived entries point to */
	int nowned;
} plan_t;


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

/* Reads one integer pragma or count of an attached or main schema. */
static int one_int(sqlite3 *db, const char *sql, long long *v);

/* Milliseconds since an arbitrary origin (a monotonic clock). */
static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * Runs sql once per window [lo, hi) of src.t's window column, each window
 * in its own transaction: ?1 and ?2 are lo and hi. Windows grow or shrink
 * so that a transaction holds the lock about MERGE_TX_MS, and the merge
 * pauses MERGE_PAUSE_MS between them, so that a run storing results into
 * the same database is never kept waiting long. *changes sums the rows
 * the first statement (the copy) changed. Returns 0 or -1 (err).
 */
#define MERGE_TX_MS 200
#define MERGE_PAUSE_MS 4   /* over the 2 ms a waiting bnnbench polls at */
static int windowed(sqlite3 *db, const char *copy_sql, const char *map_sql, long long lo,
		    long long max, long long *changes, char *err, size_t len)
{
	sqlite3_stmt *c = NULL, *m = NULL;
	long long w = 1;   /* grows while windows stay short: rows can be large */
	int rc = -1;
	*changes = 0;
	if (sqlite3_prepare_v2(db, copy_sql, -1, &c, NULL) != SQLITE_OK ||
	    (map_sql && sqlite3_prepare_v2(db, map_sql, -1, &m, NULL) != SQLITE_OK)) {
		snprintf(err, len, "%s", sqlite3_errmsg(db));
		goto out;
	}
	while (lo <= max) {
		long long hi = w > LLONG_MAX - lo ? LLONG_MAX : lo + w;
		double t0 = now_ms();
		if (exec(db, "BEGIN IMMEDIATE", err, len))
			goto out;
		sqlite3_bind_int64(c, 1, lo);
		sqlite3_bind_int64(c, 2, hi);
		int src = sqlite3_step(c);
		sqlite3_reset(c);
		if (src == SQLITE_DONE) {
			*changes += sqlite3_changes(db);
			if (m) {
				sqlite3_bind_int64(m, 1, lo);
				sqlite3_bind_int64(m, 2, hi);
				src = sqlite3_step(m);
				sqlite3_reset(m);
			}
		}
		if (src != SQLITE_DONE || exec(db, "COMMIT", err, len)) {
			if (src != SQLITE_DONE)
				snprintf(err, len, "%s", sqlite3_errmsg(db));
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
		double took = now_ms() - t0;
		if (hi == LLONG_MAX)
			break;
		lo = hi;
		if (took < MERGE_TX_MS / 2 && w < (1LL << 40))
			w *= 2;
		else if (took > MERGE_TX_MS * 2 && w > 1)
			w /= 2;
		sqlite3_sleep(MERGE_PAUSE_MS);
	}
	rc = 0;
out:
	sqlite3_finalize(c);
	sqlite3_finalize(m);
	return rc;
}

/*
 * The column src.t is walked by, in windows: its rowid (the id of a table
 * with ids), or for a WITHOUT ROWID table its first key column. Sets *lo
 * and *max to its range in the source (*lo > *max when it is empty); a
 * column that is not all integers gives one window over everything.
 */
static int window_col(sqlite3 *db, const table_t *t, const char **col, long long *lo,
		      long long *max, char *err, size_t len)
{
	sqlite3_stmt *s = NULL;
	char *sql = sqlite3_mprintf("SELECT rowid FROM src.\"%w\" LIMIT 1", t->name);
	int rowid = sql && sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK;
	sqlite3_finalize(s);
	sqlite3_free(sql);
	*col = rowid ? "rowid" : t->key[0];
	sql = sqlite3_mprintf("SELECT min(s.\"%w\"), max(s.\"%w\"), count(*),"
			      " sum(typeof(s.\"%w\") != 'integer') FROM src.\"%w\" s",
			      *col, *col, *col, t->name);
	if (!sql || sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, len, "reading %s: %s", t->name, sqlite3_errmsg(db));
		sqlite3_finalize(s);
		sqlite3_free(sql);
		return -1;
	}
	if (sqlite3_column_int64(s, 2) == 0) {
		*lo = 1;
		*max = 0;
	} else if (sqlite3_column_int64(s, 3) != 0) {
		*lo = LLONG_MIN;   /* one window: the bounds cover every integer */
		*max = LLONG_MIN;
		*col = NULL;
	} else {
		*lo = sqlite3_column_int64(s, 0);
		*max = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	sqlite3_free(sql);
	return 0;
}

/*
 * Copies the rows of src.t whose key main.t lacks, then (for tables with
 * ids) fills temp.map_t with old id -> new id for every source row.
 * *added counts the copied rows. The copy goes in windows of the source,
 * each in its own short transaction (see windowed): parents are complete
 * before their children start, and a merge stopped half-way is completed
 * by running it again (rows already there are not copied twice).
 */
static int merge_table(sqlite3 *db, const table_t *t, long long *added, long long *seen,
		       char *err, size_t len)
{
	cols_t dc, sc;
	char *sql = NULL, *cols = NULL, *vals = NULL, *map = NULL, *win = NULL;
	const char *wcol = NULL;
	long long lo = 0, max = 0;
	int rc = -1;
	*added = *seen = 0;
	if (table_cols(db, "main", t->name, &dc)) {
		snprintf(err, len, "the destination: reading the columns of %s: %s", t->name,
			 sqlite3_errmsg(db));
		return -1;
	}
	if (table_cols(db, "src", t->name, &sc)) {
		snprintf(err, len, "the source: reading the columns of %s: %s", t->name,
			 sqlite3_errmsg(db));
		cols_free(&dc);
		return -1;
	}
	int core = 0;   /* one of the seven tables every schema version has */
	for (size_t i = 0; i < NTABLES; i++)
		core |= !strcmp(tables[i].name, t->name);
	if (sc.n == 0 && core) {
		/* Every schema version has the seven first tables. */
		snprintf(err, len, "the source has no table %s: a damaged bnnbench database",
			 t->name);
		goto out;
	}
	if (sc.n == 0) {   /* an older source without this table: nothing to copy */
		rc = 0;
		goto out;
	}
	if (dc.n == 0) {
		snprintf(err, len, "the destination has no table %s", t->name);
		goto out;
	}
	for (int k = 0; k < MAX_KEY && t->key[k]; k++)
		if (!has_col(&dc, t->key[k]) || !has_col(&sc, t->key[k])) {
			snprintf(err, len, "table %s of the %s lacks its key column %s", t->name,
				 has_col(&dc, t->key[k]) ? "source" : "destination", t->key[k]);
			goto out;
		}
	if (window_col(db, t, &wcol, &lo, &max, err, len))
		goto out;
	win = wcol ? sqlite3_mprintf("s.\"%w\" >= ?1 AND s.\"%w\" < ?2", wcol, wcol)
		   : sqlite3_mprintf("?1 <= ?2");
	/* The source is read in several transactions: a row whose parent was
	 * written to the source after the parent's table was copied waits
	 * for the next merge (with its parent). */
	for (int f = 0; f < MAX_FK && t->fk[f] && win && has_col(&sc, t->fk[f]); f++)
		win = sqlite3_mprintf("%z AND (s.\"%w\" IS NULL OR s.\"%w\" IN"
				      " (SELECT old FROM temp.\"map_%w\"))", win, t->fk[f],
				      t->fk[f], t->parent[f]);
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
			      " WHERE %s AND NOT EXISTS (SELECT 1 FROM main.\"%w\" d WHERE ",
			      t->name, cols, vals, t->name, win, t->name);
	sql = key_match(sql, t);
	/* Copy in the source's order, so that renumbered ids keep it. */
	if (t->has_id)
		sql = sqlite3_mprintf("%z) ORDER BY s.id", sql);
	else
		for (int k = 0; k < MAX_KEY && t->key[k] && sql; k++)
			sql = sqlite3_mprintf("%z%ss.\"%w\"", sql, k ? ", " : ") ORDER BY ",
					      t->key[k]);
	if (t->has_id) {
		map = sqlite3_mprintf("INSERT INTO temp.\"map_%w\" SELECT s.id,"
				      " (SELECT d.id FROM main.\"%w\" d WHERE ", t->name, t->name);
		map = key_match(map, t);
		map = sqlite3_mprintf("%z) FROM src.\"%w\" s WHERE %s", map, t->name, win);
	}
	if (!cols || !vals || !sql || !win || (t->has_id && !map)) {
		snprintf(err, len, "out of memory");
		goto out;
	}
	if (t->has_id) {
		char *mk = sqlite3_mprintf("DROP TABLE IF EXISTS temp.\"map_%w\";"
					   " CREATE TEMP TABLE \"map_%w\" (old INTEGER PRIMARY KEY,"
					   " new INTEGER NOT NULL);", t->name, t->name);
		int bad = !mk || exec(db, mk, err, len);
		sqlite3_free(mk);
		if (bad)
			goto out;
	}
	if (windowed(db, sql, map, lo, max, added, err, len)) {
		/* NOT NULL fails when a row found no match: a key that is not
		 * unique in the destination. */
		char why[640];
		snprintf(why, sizeof(why), "%.600s", err);
		snprintf(err, len, "copying the rows of %s into the destination: %.600s", t->name,
			 why);
		goto out;
	}
	sqlite3_free(sql);
	sql = sqlite3_mprintf("SELECT count(*) FROM src.\"%w\"", t->name);
	if (!sql || one_int(db, sql, seen) != 0) {
		snprintf(err, len, "counting %s: %s", t->name, sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_free(sql);
	sqlite3_free(cols);
	sqlite3_free(vals);
	sqlite3_free(map);
	sqlite3_free(win);
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

/* Keeps a copy of s in the plan (freed with it); NULL when out of memory. */
static const char *plan_str(plan_t *p, const char *s)
{
	char **o = realloc(p->owned, (size_t)(p->nowned + 1) * sizeof(*o));
	if (!o)
		return NULL;
	p->owned = o;
	o[p->nowned] = sqlite3_mprintf("%s", s);
	return o[p->nowned] ? o[p->nowned++] : NULL;
}

static void plan_free(plan_t *p)
{
	for (int i = 0; i < p->nowned; i++)
		sqlite3_free(p->owned[i]);
	for (int i = 0; i < p->nskipped; i++) {
		sqlite3_free(p->why_not[i]);
		sqlite3_free(p->skipped[i]);
	}
	free(p->owned);
	memset(p, 0, sizeof(*p));
}

/* The plan's entry for table name, or NULL. */
static const table_t *plan_find(const plan_t *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->t[i].name, name))
			return &p->t[i];
	return NULL;
}

/* Why table name of the destination cannot be merged, or NULL when it can
 * (or is not there at all). */
static const char *plan_why_not(const plan_t *p, const char *name)
{
	for (int i = 0; i < p->nskipped; i++)
		if (!strcmp(p->skipped[i], name))
			return p->why_not[i];
	return NULL;
}

/* Runs a PRAGMA on a table and returns its prepared statement, or NULL. */
static sqlite3_stmt *pragma(sqlite3 *db, const char *what, const char *arg)
{
	sqlite3_stmt *s = NULL;
	char *sql = sqlite3_mprintf("PRAGMA main.%s(\"%w\")", what, arg);
	if (sql && sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		s = NULL;
	sqlite3_free(sql);
	return s;
}

/*
 * Derives from the destination's schema how to merge table name into *t
 * (see plan_t). Returns 0, 1 when it cannot be derived (the reason in why,
 * sqlite3_malloc'ed), or -1 out of memory. Parents must already be in p.
 */
static int derive(sqlite3 *db, plan_t *p, const char *name, table_t *t, char **why)
{
	sqlite3_stmt *s = NULL;
	int npk = 0, id_pk = 0, nfk = 0, nkey = 0, rc = 1;
	memset(t, 0, sizeof(*t));
	*why = NULL;
	if (!(t->name = plan_str(p, name)))
		return -1;
	/* A single INTEGER PRIMARY KEY named id is renumbered like the others. */
	if (!(s = pragma(db, "table_info", name)))
		goto fail;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *col = (const char *)sqlite3_column_text(s, 1);
		const char *type = (const char *)sqlite3_column_text(s, 2);
		if (sqlite3_column_int(s, 5) > 0) {
			npk++;
			id_pk = col && !strcmp(col, "id") && type && !strcasecmp(type, "INTEGER");
		}
	}
	sqlite3_finalize(s);
	t->has_id = npk == 1 && id_pk;
	if (!(s = pragma(db, "foreign_key_list", name)))
		goto fail;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *parent = (const char *)sqlite3_column_text(s, 2);
		const char *from = (const char *)sqlite3_column_text(s, 3);
		const char *to = (const char *)sqlite3_column_text(s, 4);
		const table_t *pt = parent ? plan_find(p, parent) : NULL;
		if (sqlite3_column_int(s, 1) > 0 || !from || (to && strcmp(to, "id")) || !pt ||
		    !pt->has_id || nfk == MAX_FK) {
			*why = sqlite3_mprintf("its reference %s -> %s(%s) is not to the id of a "
					       "table merged before it", from ? from : "?",
					       parent ? parent : "?", to ? to : "id");
			goto out;
		}
		if (!(t->fk[nfk] = plan_str(p, from)) || !(t->parent[nfk] = pt->name)) {
			rc = -1;
			goto out;
		}
		nfk++;
	}
	sqlite3_finalize(s);
	/* The natural key: the first full UNIQUE index (a primary key that is
	 * not the rowid shows up here as origin 'pk'). */
	if (!(s = pragma(db, "index_list", name)))
		goto fail;
	while (nkey == 0 && sqlite3_step(s) == SQLITE_ROW) {
		const char *idx = (const char *)sqlite3_column_text(s, 1);
		if (!idx || !sqlite3_column_int(s, 2) || sqlite3_column_int(s, 4))
			continue;
		sqlite3_stmt *ii = pragma(db, "index_info", idx);
		int bad = !ii;
		while (ii && sqlite3_step(ii) == SQLITE_ROW) {
			const char *col = (const char *)sqlite3_column_text(ii, 2);
			if (!col || nkey == MAX_KEY) {
				bad = 1;
				break;
			}
			if (!(t->key[nkey++] = plan_str(p, col))) {
				sqlite3_finalize(ii);
				rc = -1;
				goto out;
			}
		}
		sqlite3_finalize(ii);
		if (bad) {
			memset(t->key, 0, sizeof(t->key));
			nkey = 0;
		}
	}
	if (nkey == 0) {
		*why = sqlite3_mprintf("it has no UNIQUE constraint to tell its rows apart");
		goto out;
	}
	rc = 0;
	goto out;
fail:
	*why = sqlite3_mprintf("reading its schema: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(s);
	if (rc == 1 && !*why)
		rc = -1;
	return rc;
}

/*
 * Builds the plan for the destination db: the known tables, then the
 * others in an order where parents come first. Returns 0 or -1 (out of
 * memory, or more tables than MAX_TABLES).
 */
static int plan_build(sqlite3 *db, plan_t *p, char *err, size_t len)
{
	char *names[MAX_TABLES];
	int nn = 0, rc = -1;
	sqlite3_stmt *s = NULL;
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < NTABLES; i++)
		p->t[p->n++] = tables[i];
	if (sqlite3_prepare_v2(db, "SELECT name FROM main.sqlite_master WHERE type = 'table'"
			       " AND name NOT LIKE 'sqlite_%' ORDER BY name", -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, len, "reading the destination's tables: %s", sqlite3_errmsg(db));
		return -1;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		if (!name || plan_find(p, name))
			continue;
		if (nn + NTABLES == MAX_TABLES) {
			snprintf(err, len, "the destination has more than %d tables", MAX_TABLES);
			goto out;
		}
		if (!(names[nn] = sqlite3_mprintf("%s", name)))
			goto oom;
		nn++;
	}
	/* Add what can be derived until nothing more can: a table whose
	 * parent is derived later gets its turn in the next pass. */
	for (int progress = 1; progress && nn;) {
		progress = 0;
		for (int i = 0; i < nn; i++) {
			char *why = NULL;
			int d = derive(db, p, names[i], &p->t[p->n], &why);
			if (d < 0)
				goto oom;
			if (d == 0) {
				p->n++;
				sqlite3_free(names[i]);
				names[i--] = names[--nn];
				progress = 1;
			}
			sqlite3_free(why);
		}
	}
	for (int i = 0; i < nn; i++) {
		char *why = NULL;
		table_t scratch;
		if (derive(db, p, names[i], &scratch, &why) < 0 || !why)
			goto oom;
		p->skipped[p->nskipped] = names[i];
		p->why_not[p->nskipped++] = why;
		names[i] = NULL;
	}
	nn = 0;
	rc = 0;
	goto out;
oom:
	snprintf(err, len, "out of memory");
out:
	for (int i = 0; i < nn; i++)
		sqlite3_free(names[i]);
	sqlite3_finalize(s);
	return rc;
}

/*
 * Checks, reading only, that source path can be merged into a destination
 * of schema version dest_version with plan p: a bnnbench database, not
 * newer, and no rows in a table the plan cannot copy.
 */
static int check_source(const char *path, long long dest_version, const plan_t *p, char *err,
			size_t len)
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
		if (!name || plan_find(p, name))
			continue;
		char *q = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", name);
		int bad = !q || one_int(db, q, &rows) != 0;
		sqlite3_free(q);
		if (bad || rows > 0) {
			const char *why = plan_why_not(p, name);
			snprintf(err, len, "%s: table %s (%lld rows) cannot be merged: %s; its rows "
				 "could not be copied faithfully", path, name, rows,
				 why ? why : "the destination has no such table (merge into a "
				 "database of the source's schema)");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/*
 * A run merged while it was still running (a shard merged early) and
 * finished since: the destination takes its final status and end time.
 * Its results missing so far come with the result table. Needs map_run.
 * In the destination such a run is still 'running', or 'interrupted'
 * with no end time: a writer opening the destination found no live
 * writer of it there (its writer writes the source).
 */
static int finish_runs(sqlite3 *db, char *err, size_t len)
{
	return exec(db, "UPDATE main.run SET"
		    " status = (SELECT s.status FROM src.run s JOIN temp.map_run m ON m.old = s.id"
		    "           WHERE m.new = main.run.id ORDER BY s.id LIMIT 1),"
		    " end_time = (SELECT s.end_time FROM src.run s JOIN temp.map_run m ON m.old = s.id"
		    "             WHERE m.new = main.run.id ORDER BY s.id LIMIT 1)"
		    " WHERE (status = 'running' OR (status = 'interrupted' AND end_time IS NULL))"
		    " AND id IN (SELECT m.new FROM temp.map_run m"
		    " JOIN src.run s ON s.id = m.old WHERE s.status != 'running')", err, len);
}

/* Merges source path into the open destination dest with plan p, in
 * short transactions (merge_table); errors name both files. */
static int merge_one(sqlite3 *db, const plan_t *p, const char *path, const char *dest,
		     FILE *out, char *err, size_t len)
{
	sqlite3_stmt *s = NULL;
	char *uri = NULL;
	int attached = 0, rc = -1;
	long long added[MAX_TABLES], seen[MAX_TABLES];

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
	/* Short transactions (merge_table), so that runs writing into the
	 * destination meanwhile are not kept waiting. */
	for (int i = 0; i < p->n; i++) {
		char why[800];
		if (merge_table(db, &p->t[i], &added[i], &seen[i], why, sizeof(why)) != 0 ||
		    (!strcmp(p->t[i].name, "run") && finish_runs(db, why, sizeof(why)) != 0)) {
			snprintf(err, len, "%s into %s: %s", path, dest, why);
			goto out;
		}
	}
	if (out) {
		fprintf(out, "merged %s:", path);
		for (int i = 0; i < p->n; i++)
			fprintf(out, "%s %s %lld of %lld", i ? "," : "", p->t[i].name, added[i],
				seen[i]);
		fprintf(out, " new\n");
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_free(uri);
	if (attached)
		sqlite3_exec(db, "DETACH DATABASE src", NULL, NULL, NULL);
	return rc;
}

/*
 * See dbtools.h. Every source is checked before the first is copied.
 * Messages go to stderr prefixed "bnnbench: merge: ", the "merged" lines
 * to out (none when out is NULL).
 */
int bnn_merge_files(const char *dest, char *const *srcs, int nsrc, FILE *out)
{
	char err[1200];
	bnn_store_t *st = NULL;
	sqlite3 *db = NULL;
	struct stat ds, ss;
	plan_t plan = { 0 };
	long long dest_version = 0;
	int status, created;

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
	    sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
	    /* as the store's (WAL): no fsync per commit of a window */
	    sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bnnbench: merge: %s: %s\n", dest, db ? sqlite3_errmsg(db) : "?");
		goto out;
	}
	/* Runs storing into the destination hold it only for one result. */
	sqlite3_busy_timeout(db, 60000);
	stat(dest, &ds);
	if (plan_build(db, &plan, err, sizeof(err)) != 0) {
		fprintf(stderr, "bnnbench: merge: %s: %s\n", dest, err);
		goto out;
	}
	/* Every source is checked before anything is written. */
	for (int i = 0; i < nsrc; i++) {
		if (check_source(srcs[i], dest_version, &plan, err, sizeof(err)) != 0) {
			fprintf(stderr, "bnnbench: merge: %s\n", err);
			status = strstr(err, "No such file") ? BNN_DBT_USAGE : BNN_DBT_IO;
			goto out;
		}
	}
	for (int i = 0; i < nsrc; i++) {
		if (stat(srcs[i], &ss) == 0 && ss.st_dev == ds.st_dev && ss.st_ino == ds.st_ino) {
			if (out)
				fprintf(out, "merged %s: it is the destination, nothing to add\n",
					srcs[i]);
			continue;
		}
		if (merge_one(db, &plan, srcs[i], dest, out, err, sizeof(err)) != 0) {
			fprintf(stderr, "bnnbench: merge: %s (the sources before it are merged, "
				"this one in part: merging it again completes it)\n", err);
			goto out;
		}
	}
	status = BNN_DBT_OK;
out:
	plan_free(&plan);
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

/* See dbtools.h. */
int bnn_cmd_merge(int argc, char **argv, const char *usage)
{
	static const struct option longopts[] = {
		{ "output", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dest = NULL;
	int c;

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
	return bnn_merge_files(dest, argv + optind, argc - optind, stdout);
}

/* See dbtools.h. */
int bnn_merge_spools(const char *db_path, FILE *msg)
{
	const char *slash = strrchr(db_path, '/');
	const char *base = slash ? slash + 1 : db_path;
	char dir[4096];
	size_t blen = strlen(base);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash == db_path ? 1 : slash - db_path),
			 db_path);
	else
		snprintf(dir, sizeof(dir), ".");
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name, *digits;
		char *file, *end;
		long long run;

		if (strncmp(n, base, blen) != 0 || strncmp(n + blen, "-spool-", 7) != 0)
			continue;
		digits = n + blen + 7;
		if (*digits < '1' || *digits > '9')
			continue;
		run = strtoll(digits, &end, 10);
		if (*end || run <= 0)
			continue;   /* SQLite's -wal, -shm beside it */
		/* A live writer still owns it; unknown liveness leaves it too. */
		if (bnn_store_run_live(db_path, run) != 0)
			continue;
		file = bnn_spool_file_name(db_path, run);
		if (!file) {
			rc = -1;
			break;
		}
		if (bnn_merge_files(db_path, &file, 1, NULL) == BNN_DBT_OK) {
			bnn_spool_file_remove(file);
			if (msg)
				fprintf(msg, "bnnbench: %s: stored the results of run %lld kept in %s "
					"(its process ended before it could store them)\n", db_path,
					run, file);
		} else {
			if (msg)
				fprintf(msg, "bnnbench: %s: the results of run %lld kept in %s could "
					"not be stored; the file is left in place\n", db_path, run,
					file);
			rc = -1;
		}
		free(file);
	}
	closedir(d);
	return rc;
}
