-- bnnbench results database, migration step 4 (schema version 4).
--
-- Runs after step 3, in the same transaction as the PRAGMA user_version
-- update. Never edited once released; version 5 adds a step 5. Only adds.
-- GPU timing: nothing here is written for CPU kernels (their rows keep NULL).

-- A GPU kernel's sample is timed twice: ns (the host's clock around the
-- synchronized repetitions, as for every kernel) and device_ns (CUDA events
-- recorded on the kernel's stream around the same repetitions: the GPU's own
-- time from the first launch to the end of the last, launch gaps included,
-- host overhead before the first launch excluded). Per repetition, like ns.
ALTER TABLE sample ADD COLUMN device_ns REAL;
-- The median and minimum of those device_ns samples.
ALTER TABLE result ADD COLUMN device_median_ns REAL;
ALTER TABLE result ADD COLUMN device_min_ns REAL;

-- CUPTI Activity API (concurrent-kernel records) over a pass of reps
-- repetitions of a GPU result, run after its timed samples: one row per
-- device kernel name launched in that pass. total_ns is the sum of the
-- records' end - start over the pass; per_rep_ns = total_ns / reps is the
-- pure kernel time of one repetition, without launch gaps or copies.
CREATE TABLE gpu_kernel (
	result_id  INTEGER NOT NULL REFERENCES result (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,   -- the demangled kernel name CUPTI reports
	reps       INTEGER NOT NULL CHECK (reps > 0),
	launches   INTEGER NOT NULL CHECK (launches >= 0),
	total_ns   REAL NOT NULL,
	min_ns     REAL,            -- shortest single launch
	max_ns     REAL,            -- longest single launch
	per_rep_ns REAL,
	PRIMARY KEY (result_id, name)
) WITHOUT ROWID;
