#!/bin/sh
# bnnbench merge: machines, runs and results of several databases kept
# distinct in one; merging the same file again adds nothing (row counts
# and content); columns are copied by name; sources it cannot copy
# faithfully are refused before anything is written; sources are untouched.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
need_python_sqlite "to read the merged databases"
plan 28
a="$T/a.db" b="$T/b.db" c="$T/c.db" fleet="$T/fleet.db"

# Two real short runs on this machine (one problem in common), and a
# planted database of another machine.
"$B" run --db "$a" --min-time 0.005 --no-probe --no-peers -q 'gemm m=16 n=16 k=128' \
	'conv h=6 c=8 k=4 pad=1' >/dev/null 2>&1
ok $? "real run into a.db"
"$B" run --db "$b" --min-time 0.005 --no-probe --no-peers -q 'gemm m=16 n=16 k=128' \
	'gemm m=8 n=24 k=65' >/dev/null 2>&1
ok $? "real run into b.db"
printf '{"runs": [{"machine": "othermachine0001", "host": "node7", "results": [{"problem": "gemm m=16 n=16 k=128", "kernel": "bgemm_xor_popc__generic", "normal": [1e4, 300, 20, 1]}]}]}' |
	"$PY" "$srcdir/tests/plant.py" "$srcdir/results/schema.sql" "$c"
ok $? "planted c.db of another machine"

# counts DB: rows per table; dump DB: every row of every table, sorted.
counts() {
	"$PY" - "$1" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(" ".join("%s=%d" % (t, db.execute("SELECT count(*) FROM " + t).fetchone()[0])
               for t in ("machine", "build", "run", "problem", "result", "sample", "counter")))
PYEOF
}
dump() { "$PY" -c 'import sqlite3,sys; [print(l) for l in sqlite3.connect(sys.argv[1]).iterdump()]' "$1"; }
# Results by natural key, ids left out: what a merge must keep whatever the order.
natural() {
	"$PY" - "$1" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("""
  SELECT m.fingerprint, r.start_time, r.pid, r.host, b.version, p.canonical, x.kernel, x.kind,
         x.status, x.median_ns, x.nsamples,
         (SELECT group_concat(ns, ',') FROM (SELECT ns FROM sample WHERE result_id = x.id ORDER BY idx))
  FROM result x JOIN run r ON r.id = x.run_id JOIN machine m ON m.id = r.machine_id
  JOIN build b ON b.id = r.build_id JOIN problem p ON p.id = x.problem_id""").fetchall()
for row in sorted(rows, key=repr):
    print(repr(row))
PYEOF
}
ca=$(counts "$a") cb=$(counts "$b")
sum_a=$(cksum <"$a") sum_b=$(cksum <"$b")

"$B" merge "$a" "$b" -o "$fleet" >"$T/out" 2>&1
ok $? "merge a.db b.db -o fleet.db"
diag "$T/out"
got=$(counts "$fleet")
want=$("$PY" - "$a" "$b" <<'PYEOF'
import sqlite3, sys
a, b = (sqlite3.connect(p) for p in sys.argv[1:3])
one = lambda db, q: db.execute(q).fetchone()[0]
probs = {r[0] for db in (a, b) for r in db.execute("SELECT canonical FROM problem")}
both = lambda t: one(a, "SELECT count(*) FROM " + t) + one(b, "SELECT count(*) FROM " + t)
print("machine=1 build=1 run=2 problem=%d result=%d sample=%d counter=%d" % (
    len(probs), both("result"), both("sample"), both("counter")))
PYEOF
)
[ "$got" = "$want" ]
ok $? "one machine, one build, both runs, the union of problems, every result and sample ($got)"
[ "$(natural "$fleet" | sort)" = "$( (natural "$a"; natural "$b") | sort)" ]
ok $? "every result keeps its run, machine, build, problem and samples"

dump "$fleet" >"$T/dump1"
"$B" merge "$a" "$b" -o "$fleet" >"$T/out" 2>&1
ok $? "merging the same files again succeeds"
# Every table of both sources (those of later schemas too) adds 0 rows
# (the result count depends on the kernels built: AVX-512 ones SKIP here).
[ "$(grep -c "^merged .*: machine 0 of 1, build 0 of 1, problem 0 of 2, run 0 of 1, result 0 of [0-9]*, sample 0 of [0-9]*" "$T/out")" -eq 2 ] &&
	! grep -Eq ' [1-9][0-9]* of [0-9]+' "$T/out"
ok $? "and reports nothing new"
diag "$T/out"
dump "$fleet" >"$T/dump2"
[ "$(counts "$fleet")" = "$got" ] && cmp -s "$T/dump1" "$T/dump2"
ok $? "merging the same files twice adds nothing: same row counts, same content"
"$B" merge "$fleet" -o "$fleet" >"$T/out" 2>&1 && grep -q "it is the destination" "$T/out" &&
	dump "$fleet" | cmp -s - "$T/dump1"
ok $? "merging the destination into itself adds nothing"
[ "$(cksum <"$a")" = "$sum_a" ] && [ "$(cksum <"$b")" = "$sum_b" ] &&
	[ "$(counts "$a")" = "$ca" ] && [ "$(counts "$b")" = "$cb" ]
ok $? "the sources are left as they were"

"$B" merge "$c" -o "$fleet" >/dev/null 2>&1
ok $? "merge a database of another machine"
counts "$fleet" | grep -q "machine=2 build=2 run=3 "
ok $? "its machine, build and run stay distinct ($(counts "$fleet"))"
"$B" merge "$b" "$c" "$a" -o "$T/fleet2.db" >/dev/null 2>&1 &&
	[ "$(natural "$fleet" | sort)" = "$(natural "$T/fleet2.db" | sort)" ]
ok $? "another merge order gives the same content (ids aside)"
"$B" compare --db "$fleet" 1 2 >"$T/out" 2>&1
rc=$?
{ [ $rc -eq 0 ] || [ $rc -eq 1 ]; } && grep -q 'gemm_m16_n16_k128 ' "$T/out" &&
	grep -q ' MISSING ' "$T/out" && grep -q ' NEW ' "$T/out"
ok $? "compare reads the merged runs (exit $rc)"
expect_fail 2 "different machines" "compare still tells the machines apart" -- "$B" compare --db "$fleet" 1 3

# Sources that cannot be copied faithfully are refused; nothing is written.
dump "$fleet" >"$T/dump3"
cp "$a" "$T/newer.db"
"$PY" -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("PRAGMA user_version = 99"); d.commit()' "$T/newer.db"
expect_fail 3 "newer.db: schema version 99 is newer than (the destination's|this bnnbench) \\([0-9]+\\)" \
	"a source of a newer schema is refused" -- "$B" merge "$b" "$T/newer.db" -o "$fleet"
cp "$a" "$T/extra.db"
"$PY" -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("CREATE TABLE topology (id INTEGER PRIMARY KEY, xml TEXT)"); d.execute("INSERT INTO topology (xml) VALUES (1)"); d.commit()' "$T/extra.db"
expect_fail 3 "table topology \\(1 rows\\) cannot be merged: the destination has no such table" \
	"rows in a table the destination lacks are refused" \
	-- "$B" merge "$T/extra.db" -o "$fleet"
echo "plain text" >"$T/text.db"
expect_fail 3 "not an SQLite database|not a bnnbench database" "a file that is not a database" \
	-- "$B" merge "$T/text.db" -o "$fleet"
dump "$fleet" | cmp -s - "$T/dump3"
ok $? "after the refusals the destination is as it was"
"$B" merge "$T/text.db" -o "$T/never.db" >/dev/null 2>&1
[ $? -ne 0 ] && [ ! -e "$T/never.db" ]
ok $? "a destination created by a failed merge is removed"

# Columns by name: a source without a column, a destination with an extra one.
cp "$a" "$T/old.db"
"$PY" -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("ALTER TABLE result DROP COLUMN efficiency"); d.commit()' "$T/old.db"
cp "$b" "$T/wide.db"
"$PY" -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("ALTER TABLE result ADD COLUMN ipc REAL"); d.commit()' "$T/wide.db"
"$B" merge "$T/old.db" -o "$T/wide.db" >"$T/out" 2>&1 &&
	counts "$T/wide.db" | grep -q " run=2 " &&
	[ "$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM result WHERE run_id = 2 AND efficiency IS NULL AND ipc IS NULL").fetchone()[0])' "$T/wide.db")" -eq "$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM result").fetchone()[0])' "$a")" ]
ok $? "columns are copied by the names both sides have (a missing one stays NULL)"
# A later schema's tables: merged from the destination's own schema (natural
# key = UNIQUE or primary key, references = foreign keys to merged ids).
v2() { # DB: adds three tables a later schema might have
	"$PY" - "$1" <<'PYEOF'
import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
d.executescript("""
CREATE TABLE topology (id INTEGER PRIMARY KEY, machine_id INTEGER NOT NULL REFERENCES machine (id),
                       xml TEXT, UNIQUE (machine_id));
CREATE TABLE result_extra (result_id INTEGER NOT NULL REFERENCES result (id) ON DELETE CASCADE,
                           name TEXT NOT NULL, v REAL, PRIMARY KEY (result_id, name)) WITHOUT ROWID;
CREATE TABLE loose (x TEXT);
""")
d.commit()
PYEOF
}
cp "$a" "$T/v2dest.db" && v2 "$T/v2dest.db"
cp "$b" "$T/v2src.db" && v2 "$T/v2src.db"
"$PY" -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("INSERT INTO topology (machine_id, xml) SELECT id, \"<topo/>\" FROM machine"); d.execute("INSERT INTO result_extra SELECT id, \"ipc\", id * 1.5 FROM result"); d.commit()' "$T/v2src.db"
"$B" merge "$T/v2src.db" -o "$T/v2dest.db" >"$T/out" 2>&1
ok $? "a source with a later schema's tables merges into a destination that has them"
diag "$T/out"
"$PY" - "$T/v2dest.db" "$T/v2src.db" <<'PYEOF'
import sqlite3, sys
d, s = (sqlite3.connect(p) for p in sys.argv[1:3])
q = """SELECT p.canonical, r.kernel, x.v FROM result_extra x JOIN result r ON r.id = x.result_id
       JOIN problem p ON p.id = r.problem_id JOIN run u ON u.id = r.run_id WHERE u.start_time = ?"""
start = s.execute("SELECT start_time FROM run").fetchone()[0]
got, want = sorted(d.execute(q, (start,)).fetchall()), sorted(s.execute(q, (start,)).fetchall())
assert got == want and len(got) == s.execute("SELECT count(*) FROM result").fetchone()[0], (got, want)
assert d.execute("SELECT count(*) FROM topology").fetchone()[0] == 1
PYEOF
ok $? "their rows follow their results and machines (references renumbered)"
dump "$T/v2dest.db" >"$T/v2a"
"$B" merge "$T/v2src.db" -o "$T/v2dest.db" >/dev/null 2>&1 && dump "$T/v2dest.db" | cmp -s - "$T/v2a"
ok $? "merging it again adds nothing to those tables either"
"$PY" -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("INSERT INTO loose VALUES (1)"); d.commit()' "$T/v2src.db"
expect_fail 3 "table loose \\(1 rows\\) cannot be merged: it has no UNIQUE constraint" \
	"rows in a table without a natural key are refused" -- "$B" merge "$T/v2src.db" -o "$T/v2dest.db"
# A shard merged while still running, merged again once finished.
printf '{"runs": [{"status": "running", "end": null, "results": [{"problem": "gemm m=2 n=2 k=2", "kernel": "k1", "normal": [1e3, 10, 5, 1]}]}]}' |
	"$PY" "$srcdir/tests/plant.py" "$srcdir/results/schema.sql" "$T/shard.db"
"$B" merge "$T/shard.db" -o "$T/early.db" >/dev/null 2>&1
"$PY" - "$T/shard.db" "$srcdir/tests/plant.py" <<'PYEOF'
import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
d.execute("UPDATE run SET status = 'passed', end_time = '2026-01-01T00:09:00.000Z'")
pid = d.execute("INSERT INTO problem (canonical, name, op) VALUES ('gemm m=3 n=3 k=3', 'g3', 'gemm')").lastrowid
d.execute("INSERT INTO result (run_id, problem_id, kernel, status, nsamples) VALUES (1, ?, 'k1', 'SKIP', 0)", (pid,))
d.commit()
PYEOF
"$B" merge "$T/shard.db" -o "$T/early.db" >/dev/null 2>&1 &&
	[ "$("$PY" -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); print(d.execute("SELECT status, end_time, (SELECT count(*) FROM run), (SELECT count(*) FROM result) FROM run").fetchone())' "$T/early.db")" = "('passed', '2026-01-01T00:09:00.000Z', 1, 2)" ]
ok $? "a run merged while running takes its final status and its later results on the next merge"
expect_fail 2 "needs sources and -o DEST" "merge without -o" -- "$B" merge "$a"
finish
