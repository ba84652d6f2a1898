-- bnnbench results database, migration step 5 (schema version 5).
--
-- Runs after step 4, in the same transaction as the PRAGMA user_version
-- update. Never edited once released; version 6 adds a step 6. Only adds.
-- Rounds, honest efficiencies and how quiet the machine was.

-- Rounds: each timed (problem, kernel or peer) of a run is timed in
-- `rounds` rounds, in an order shuffled per round from order_seed (the run's
-- seed; each problem derives its own stream, see harness/gen.c). NULL in
-- runs stored before version 5: one round.
ALTER TABLE run ADD COLUMN rounds INTEGER CHECK (rounds IS NULL OR rounds > 0);
ALTER TABLE run ADD COLUMN order_seed INTEGER;
-- What spoils timings, measured over the run (JSON: load averages, the
-- share of CPU time stolen by the hypervisor and waiting for I/O, other
-- processes' CPU time, the peak probes at the start and the end, CPU
-- frequency where readable, and the reasons when not quiet). quiet is 1
-- when none of the limits was crossed, 0 when one was, NULL when unknown.
ALTER TABLE run ADD COLUMN quiet_json TEXT;
ALTER TABLE run ADD COLUMN quiet INTEGER CHECK (quiet IS NULL OR quiet IN (0, 1));

-- The round each sample belongs to (0-based; NULL before version 5).
ALTER TABLE sample ADD COLUMN round INTEGER;

-- One row per round of a timed result: the median of the round's samples,
-- their count, and the result's 0-based position in the round's shuffled
-- order. The result's median_ns is the median of these medians, and its
-- ci_lo_ns / ci_hi_ns an interval from them: the rounds are the replicates.
CREATE TABLE round (
	result_id INTEGER NOT NULL REFERENCES result (id) ON DELETE CASCADE,
	round     INTEGER NOT NULL CHECK (round >= 0),
	position  INTEGER,
	nsamples  INTEGER NOT NULL CHECK (nsamples > 0),
	median_ns REAL,
	other_cpus REAL,  -- other processes' CPU seconds per second during this round's timing
	steal     REAL,   -- share of all CPU time stolen by the hypervisor then
	                  -- (both NULL when no 10 ms clock tick passed in the round)
	PRIMARY KEY (result_id, round)
) WITHOUT ROWID;

-- Efficiency honestly: efficiency_raw is achieved TOPS over the best peak
-- probed in the run so far, whatever it is; efficiency holds it only when
-- it is at most 1 (peak_status 'ok'). Above 1 the probed peak cannot have
-- been an upper bound: peak_status 'mistrusted' and efficiency NULL.
ALTER TABLE result ADD COLUMN efficiency_raw REAL;
ALTER TABLE result ADD COLUMN peak_status TEXT
	CHECK (peak_status IS NULL OR peak_status IN ('ok', 'mistrusted'));
