#!/bin/sh
# A run must not die, nor lose a result, because another process holds the
# database: (1) a writer that keeps the lock longer than any busy timeout
# while a run stores (the run keeps its results in memory and stores them
# once the lock is free); (2) a long merge into the database a run writes,
# with readers at the same time (merge writes in short transactions); (3) a
# run whose process is gone is never left 'running'.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
need_python_sqlite "to hold the database's lock"
plan 15
db="$T/live.db"

# stored DB RUN: results stored for run RUN; counted DB RUN: the results the
# run's summary line counted; status DB RUN: the run's status.
stored() { q "$1" "SELECT count(*) FROM result WHERE run_id = $2"; }
status() { q "$1" "SELECT status FROM run WHERE id = $2"; }

# (1) The lock is taken once the run has stored a result, and held 6 s:
# longer than the 5 s that stopped a run before; results that wait more than
# BNNBENCH_BUSY_MS are kept and stored after.
"$PY" "${srcdir:-.}/tests/hold_lock.py" "$db" "$T/locked" 6 &
holder=$!
BNNBENCH_BUSY_MS=200 "$B" run --suite conformance --min-time 0.001 --no-probe --no-peers -q \
	--db "$db" >"$T/out1" 2>"$T/err1"
rc=$?
wait $holder
[ $rc -eq 0 ]
ok $? "a run outlives a writer holding the lock for 6 s (exit $rc)"
[ -f "$T/locked" ]
ok $? "the lock was held while the run stored"
grep -q "locked by another process; results are kept" "$T/err1"
ok $? "the run says it kept results while the database was locked"
n=$(stored "$db" 1) c=$(summed "$T/out1")
[ -n "$c" ] && [ "$n" = "$c" ] && [ "$c" -gt 0 ]
ok $? "every result is stored ($n stored, $c counted)"
[ "$(status "$db" 1)" = passed ]
ok $? "the run ended 'passed' ($(status "$db" 1))"
[ -z "$(ls "$db"-spool-* 2>/dev/null)" ]
ok $? "a run that stored every kept result leaves no spool file"
diag "$T/err1"
"$PY" - "$db" <<'PYEOF'
import sqlite3, statistics, sys
db = sqlite3.connect(sys.argv[1])
timed = db.execute("SELECT id, median_ns FROM result WHERE run_id = 1 AND median_ns IS NOT NULL AND kind != 'probe'").fetchall()
assert timed
for rid, med in timed:
    r = [m for (m,) in db.execute("SELECT median_ns FROM round WHERE result_id = ? ORDER BY round", (rid,))]
    assert len(r) == 3 and abs(statistics.median(r) - med) <= 1e-9 * med, (rid, r, med)
    assert db.execute("SELECT count(*) FROM sample WHERE result_id = ? AND round IS NULL", (rid,)).fetchone()[0] == 0
PYEOF
ok $? "results kept while the database was locked keep their rounds and samples' rounds"

# (2) A long merge into the database a run is writing, readers meanwhile.
big="$T/big.db"
"$B" run --suite conformance --min-time 0.001 --no-probe --no-peers -q --db "$big" \
	>/dev/null 2>&1
"$PY" - "$big" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999)"
           " INSERT INTO sample (result_id, idx, ns) SELECT r.id, 100000 + n.i, 1 FROM result r, n")
db.commit()
PYEOF
want_samples=$(q "$big" "SELECT count(*) FROM sample")
"$B" run --suite conformance --min-time 0.001 --no-probe --no-peers -q --db "$db" \
	>"$T/out2" 2>"$T/err2" &
runner=$!
sleep 0.5
"$B" merge "$big" -o "$db" >"$T/merge" 2>&1 &
merger=$!
readers=0 rfail=0
while kill -0 $merger 2>/dev/null; do
	"$B" show --db "$db" >/dev/null 2>"$T/rerr" || rfail=$((rfail + 1))
	readers=$((readers + 1))
done
wait $merger
mrc=$?
wait $runner
rc=$?
[ $mrc -eq 0 ]
ok $? "the merge succeeds while a run writes (exit $mrc)"
diag "$T/merge"
[ $rc -eq 0 ]
ok $? "the run succeeds while the merge writes (exit $rc)"
n=$(stored "$db" 2) c=$(summed "$T/out2")
[ -n "$c" ] && [ "$n" = "$c" ] && [ "$c" -gt 0 ]
ok $? "every result of the run is stored ($n stored, $c counted)"
[ "$(status "$db" 2)" = passed ]
ok $? "the run ended 'passed'"
got=$(q "$db" "SELECT count(*) FROM sample s JOIN result r ON r.id = s.result_id JOIN run x ON x.id = r.run_id WHERE x.command_line LIKE '%big.db%'")
[ "$got" = "$want_samples" ]
ok $? "every merged sample is there ($got of $want_samples)"
[ $rfail -eq 0 ]
ok $? "$readers readers meanwhile, $rfail failed"
diag "$T/err2"

# (3) A run whose process was killed is 'interrupted' for the next open, and
# a run whose writer lives stays 'running' for any other process.
"$B" run --suite conformance --min-time 0.2 --no-probe --no-peers -q --db "$db" \
	>/dev/null 2>&1 &
pid=$!
i=0 r=
while [ $i -lt 300 ]; do
	r=$(q "$db" "SELECT coalesce(max(run_id), '') FROM result JOIN run ON run.id = run_id WHERE run.status = 'running'" 2>/dev/null)
	[ -n "$r" ] && break
	sleep 0.1
	i=$((i + 1))
done
"$B" show --db "$db" >/dev/null 2>&1
[ -n "$r" ] && [ "$(status "$db" "$r")" = running ]
ok $? "a live run stays 'running' when another process opens the database"
kill -KILL $pid
wait $pid 2>/dev/null
"$B" show --db "$db" >/dev/null 2>&1
[ -n "$r" ] && [ "$(status "$db" "$r")" = interrupted ]
ok $? "once its process is killed, it is 'interrupted'"
finish
