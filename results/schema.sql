-- bnnbench results database, schema version 1.
--
-- This file is migration step 1. results/sql2c.sh turns it into a C string
-- that harness/store.c runs once, in one transaction, on a new database; the
-- same transaction sets PRAGMA user_version = 1 and PRAGMA application_id =
-- 0x424e4e42 ("BNNB"), which is how bnnbench recognises its own databases.
-- A later schema version adds a migration step; it never edits this file,
-- so every database goes through the same steps whatever its age.
--
-- Conventions:
--   - times are ISO-8601 UTC text, "2024-05-01T12:34:56.789Z": they sort
--     as text and SQLite's date functions read them;
--   - a number that is not known (NaN in the program) is NULL;
--   - a result's run, samples and counters go with it (ON DELETE CASCADE);
--     machines, builds and problems are shared and are never deleted from
--     under a run or a result.

-- One row per machine, grouped by a stable fingerprint. The first record
-- seen is kept; record_json holds everything the harness detected.
CREATE TABLE machine (
	id           INTEGER PRIMARY KEY,
	fingerprint  TEXT NOT NULL UNIQUE,
	hostname     TEXT,
	cpu_model    TEXT,
	isa_features TEXT,
	cores        INTEGER CHECK (cores IS NULL OR cores > 0),
	record_json  TEXT,
	first_seen   TEXT NOT NULL
);

-- One row per build. Empty text, not NULL, stands for "unknown" so that
-- UNIQUE works (SQLite treats NULLs as distinct).
CREATE TABLE build (
	id       INTEGER PRIMARY KEY,
	version  TEXT NOT NULL DEFAULT '',
	compiler TEXT NOT NULL DEFAULT '',
	cflags   TEXT NOT NULL DEFAULT '',
	UNIQUE (version, compiler, cflags)
);

-- One invocation of bnnbench. AUTOINCREMENT: an id is never reused, so the
-- largest id is the newest run even after runs were deleted.
-- seed holds the 64 bits of the program's uint64_t seed (values above
-- 2^63 - 1 read back negative). pid and host let a later bnnbench find runs
-- whose process died: such a run becomes 'interrupted' with end_time NULL
-- (the time it died is not known); a run that stopped on a signal it caught
-- is ended normally, 'interrupted' with an end_time.
CREATE TABLE run (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	machine_id   INTEGER NOT NULL REFERENCES machine (id),
	build_id     INTEGER NOT NULL REFERENCES build (id),
	suite        TEXT NOT NULL,
	command_line TEXT,
	seed         INTEGER NOT NULL,
	check_only   INTEGER NOT NULL DEFAULT 0 CHECK (check_only IN (0, 1)),
	pid          INTEGER,
	host         TEXT,
	start_time   TEXT NOT NULL,
	end_time     TEXT,
	status       TEXT NOT NULL DEFAULT 'running'
	             CHECK (status IN ('running', 'passed', 'failed', 'interrupted'))
);
CREATE INDEX run_machine ON run (machine_id, start_time);
CREATE INDEX run_build ON run (build_id);
-- Only the few runs still 'running' are looked at on every open.
CREATE INDEX run_running ON run (host, pid) WHERE status = 'running';

-- A problem is identified by its canonical descriptor (defaults filled,
-- keys in a fixed order); name is the short label printed in tables.
CREATE TABLE problem (
	id        INTEGER PRIMARY KEY,
	canonical TEXT NOT NULL UNIQUE,
	name      TEXT,
	op        TEXT NOT NULL
);
CREATE INDEX problem_op ON problem (op);

-- One (problem, kernel) outcome of a run. The statistics summarise the rows
-- of sample; nsamples is their count. efficiency (a fraction of the
-- machine's peak) is NULL until the issue that computes it.
CREATE TABLE result (
	id          INTEGER PRIMARY KEY,
	run_id      INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
	problem_id  INTEGER NOT NULL REFERENCES problem (id),
	kernel      TEXT NOT NULL,
	kind        TEXT NOT NULL DEFAULT 'kernel'
	            CHECK (kind IN ('kernel', 'peer', 'probe')),
	isa         TEXT,
	status      TEXT NOT NULL
	            CHECK (status IN ('PASS', 'FAIL', 'SKIP', 'MISTRUSTED')),
	reason      TEXT,
	repro       TEXT,
	max_abs_err REAL,
	max_rel_err REAL,
	bound       REAL,
	nsamples    INTEGER NOT NULL DEFAULT 0 CHECK (nsamples >= 0),
	min_ns      REAL,
	median_ns   REAL,
	ci_lo_ns    REAL,
	ci_hi_ns    REAL,
	macs        REAL,
	tops        REAL,
	efficiency  REAL,           -- achieved TOPS over the probed peak of its ISA
	threads     INTEGER,        -- worker threads the kernel ran with
	binding     TEXT,           -- how they were bound to cores, or 'none'
	value       REAL,           -- probes: the peak (best rate) in unit
	value_median REAL,          -- probes: the median rate in unit
	unit        TEXT,           -- probes: 'TOPS', 'GFLOPS' or 'GB/s'
	UNIQUE (run_id, problem_id, kernel)
);
-- Comparing runs looks a (problem, kernel) pair up across runs.
CREATE INDEX result_problem ON result (problem_id, kernel);
CREATE INDEX result_run_status ON result (run_id, status);

-- Every timed repetition, in order (idx from 0). WITHOUT ROWID: the key is
-- the natural one and the rows are tiny.
CREATE TABLE sample (
	result_id INTEGER NOT NULL REFERENCES result (id) ON DELETE CASCADE,
	idx       INTEGER NOT NULL CHECK (idx >= 0),
	ns        REAL,
	PRIMARY KEY (result_id, idx)
) WITHOUT ROWID;

-- Hardware counters of a result (filled by a later issue). source is the
-- interface that read it (perf, PAPI, CUPTI ...); a counter that could not be
-- read keeps value NULL and says why in status and reason. status has no
-- CHECK yet: its values belong to the issue that fills this table.
CREATE TABLE counter (
	id        INTEGER PRIMARY KEY,
	result_id INTEGER NOT NULL REFERENCES result (id) ON DELETE CASCADE,
	source    TEXT NOT NULL,
	event     TEXT NOT NULL,
	value     INTEGER,
	status    TEXT NOT NULL,
	reason    TEXT,
	UNIQUE (result_id, source, event)
);
