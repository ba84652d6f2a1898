-- bnnbench results database, migration step 2 (schema version 2).
--
-- Runs after results/schema.sql (step 1), in the same transaction as the
-- PRAGMA user_version update, on new databases and on version 1 ones alike.
-- Like step 1 it is never edited once released; version 3 adds a step 3.
-- It only adds: columns (NULL in rows written by version 1), tables, a view.

-- The topology, stored once per machine: hwloc's XML export, and the counts
-- and cache sizes as columns so queries need not parse XML. NULL: unknown
-- (built without hwloc, or a machine first stored by version 1 and not yet
-- seen again). Cache sizes are of one cache of that level, in bytes.
ALTER TABLE machine ADD COLUMN topology_xml TEXT;
ALTER TABLE machine ADD COLUMN packages INTEGER;
ALTER TABLE machine ADD COLUMN physical_cores INTEGER;
ALTER TABLE machine ADD COLUMN pus INTEGER;
ALTER TABLE machine ADD COLUMN numa_nodes INTEGER;
ALTER TABLE machine ADD COLUMN l1d_bytes INTEGER;
ALTER TABLE machine ADD COLUMN l2_bytes INTEGER;
ALTER TABLE machine ADD COLUMN l3_bytes INTEGER;
ALTER TABLE machine ADD COLUMN l3_caches INTEGER;

-- The machine row keeps the record first seen under its fingerprint; what
-- moves between runs of one machine (current MHz, governor, kernel, library
-- versions) is kept per run, as the JSON record of that run.
ALTER TABLE run ADD COLUMN machine_record TEXT;

-- Counters of a result are read in a pass of their own right after its
-- timed samples (same kernel, same inputs): value is the total over that
-- pass, reps its repetitions, per_rep = value / reps. scope says which
-- threads the count covers; multiplexed that PAPI time-shared the
-- counters (the values are then PAPI's estimates). status: 'ok', or
-- 'failed' (value NULL, reason says why).
ALTER TABLE counter ADD COLUMN reps INTEGER CHECK (reps IS NULL OR reps > 0);
ALTER TABLE counter ADD COLUMN per_rep REAL;
ALTER TABLE counter ADD COLUMN scope TEXT;
ALTER TABLE counter ADD COLUMN multiplexed INTEGER NOT NULL DEFAULT 0
	CHECK (multiplexed IN (0, 1));
CREATE INDEX counter_event ON counter (event, result_id);

-- Every event a run asked for, probed once at its start: 'ok' (counted),
-- 'unavailable' (known but not countable here; reason is PAPI's) or
-- 'unknown' (no such event name). Only ok events have counter rows. The
-- rowid keeps the order the events were asked for.
CREATE TABLE run_counter (
	run_id      INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
	source      TEXT NOT NULL,
	event       TEXT NOT NULL,
	component   TEXT,
	status      TEXT NOT NULL CHECK (status IN ('ok', 'unavailable', 'unknown')),
	reason      TEXT,
	multiplexed INTEGER NOT NULL DEFAULT 0 CHECK (multiplexed IN (0, 1)),
	UNIQUE (run_id, source, event)
);

-- Figures derived from counters where their inputs exist, per result:
-- instructions per cycle, binary MACs per cycle and instructions per binary
-- MAC, all per repetition (with several threads, cycles and instructions
-- are summed over them). A view, so the figures never disagree with the
-- counters they come from; NULL where an input is missing or zero.
CREATE VIEW counter_derived AS
SELECT r.id AS result_id,
       cyc.per_rep AS cycles,
       ins.per_rep AS instructions,
       ins.per_rep / nullif(cyc.per_rep, 0) AS ipc,
       r.macs / nullif(cyc.per_rep, 0) AS bitmacs_per_cycle,
       ins.per_rep / nullif(r.macs, 0) AS instructions_per_bitmac
FROM result r
LEFT JOIN counter cyc ON cyc.result_id = r.id AND cyc.event = 'PAPI_TOT_CYC'
	AND cyc.status = 'ok'
LEFT JOIN counter ins ON ins.result_id = r.id AND ins.event = 'PAPI_TOT_INS'
	AND ins.status = 'ok'
WHERE cyc.result_id IS NOT NULL OR ins.result_id IS NOT NULL;
