-- bnnbench results database, migration step 3 (schema version 3).
--
-- Runs after step 2, in the same transaction as the PRAGMA user_version
-- update. Never edited once released; version 4 adds a step 4. Only adds.

-- The ReActNet-A per-block breakdown of a network result: for each block
-- of the network (1 to 13, doc/bnn-math.md section 6), the result of the same kernel
-- family on that block's shape timed alone in the same run, and its share
-- of the network's median time (block median / network median; blocks 7
-- to 11 share a shape, so they share a block result). Written at the end
-- of a run, for batch-1 networks whose blocks the run also timed.
CREATE TABLE network_block (
	network_result_id INTEGER NOT NULL REFERENCES result (id) ON DELETE CASCADE,
	block             INTEGER NOT NULL CHECK (block BETWEEN 1 AND 13),
	block_result_id   INTEGER NOT NULL REFERENCES result (id) ON DELETE CASCADE,
	share             REAL,
	PRIMARY KEY (network_result_id, block)
) WITHOUT ROWID;
CREATE INDEX network_block_block ON network_block (block_result_id);
