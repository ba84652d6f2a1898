#!/bin/sh
# merge-seeds.sh SRCDIR OUTDIR: writes the seed corpus of fuzz_merge, which
# is databases, so it is made at check time rather than kept in the tree:
#   run.db        a bnnbench database with one planted run (tests/plant.py
#                 over results/schema.sql; merge migrates it as a source)
#   truncated.db  its first 4 KiB (an SQLite header, pages missing)
#   text.db       a text file named like a database
# Without Python's sqlite3 module only the text seed is written.
set -eu
src=$1 out=$2
PY=${PYTHON3:-python3}
mkdir -p "$out"
printf 'not a database\n' >"$out/text.db"
rm -f "$out/run.db.tmp"
if "$PY" -c 'import sqlite3' 2>/dev/null; then
	printf '%s\n' '{"runs": [{"results": [
	  {"problem": "gemm m=8 n=8 k=64", "name": "g", "kernel": "bgemm_xor_popc__generic", "samples": [1000, 1100, 1050]},
	  {"problem": "gemm m=8 n=8 k=64", "name": "g", "kernel": "sgemm__openblas", "kind": "peer", "samples": [5000, 5200]},
	  {"problem": "conv h=8 c=16 k=8 pad=1", "name": "c", "kernel": "bconv_xor_popc__generic", "status": "SKIP", "reason": "planted"}]}]}' |
		"$PY" "$src/tests/plant.py" "$src/results/schema.sql" "$out/run.db.tmp"
	head -c 4096 "$out/run.db.tmp" >"$out/truncated.db"
else
	echo "merge-seeds.sh: no Python sqlite3: only the text seed" >&2
	: >"$out/run.db.tmp"
fi
mv "$out/run.db.tmp" "$out/run.db"
