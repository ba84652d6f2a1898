#!/bin/sh
# Results a run keeps while the database is locked survive the run's
# process being killed: each is written to the run's spool file
# (<db>-spool-<run id>) as it is kept, and the next run on the database
# stores them. A run that stored everything leaves no spool file.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
need_python_sqlite "to hold the database's lock"
plan 9
db="$T/kill.db"
spool="$db-spool-1"

# The lock is taken once the run has stored a result and held until the
# test says so (at most 60 s).
"$PY" "${srcdir:-.}/tests/hold_lock.py" "$db" "$T/locked" "$T/release" &
holder=$!
BNNBENCH_BUSY_MS=0 "$B" run --suite conformance --min-time 0.001 --no-probe --no-peers -q \
	--db "$db" >"$T/out1" 2>"$T/err1" &
runner=$!
# Wait for three results in the spool file, then kill the run.
i=0 n=0
while [ $i -lt 600 ]; do
	if [ -f "$spool" ]; then
		n=$(q "$spool" "SELECT count(*) FROM result" 2>/dev/null || echo 0)
		[ "${n:-0}" -ge 3 ] && break
	fi
	sleep 0.05
	i=$((i + 1))
done
kill -KILL $runner 2>/dev/null
wait $runner 2>/dev/null
touch "$T/release"
wait $holder
[ "${n:-0}" -ge 3 ]
ok $? "results kept while the database was locked are written to $(basename "$spool") ($n seen)"
[ -f "$spool" ]
ok $? "the spool file outlives the killed run"
kept=$(q "$spool" "SELECT count(*) FROM result")
before=$(q "$db" "SELECT count(*) FROM result WHERE run_id = 1")
"$PY" - "$db" "$spool" >"$T/missing" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("ATTACH DATABASE ? AS sp", (sys.argv[2],))
print(db.execute("SELECT count(*) FROM sp.result r JOIN sp.problem p ON p.id = r.problem_id"
                 " WHERE NOT EXISTS (SELECT 1 FROM main.result m JOIN main.problem q"
                 " ON q.id = m.problem_id WHERE m.run_id = 1 AND q.canonical = p.canonical"
                 " AND m.kernel = r.kernel)").fetchone()[0])
PYEOF
missing=$(cat "$T/missing")
[ "${missing:-0}" -ge 1 ]
ok $? "the database lacks results the spool file holds ($missing of $kept; $before stored)"

# The next run on the database stores them.
"$B" run 'gemm m=4 n=4 k=64' --check-only --no-probe --no-peers -q --db "$db" \
	>"$T/out2" 2>"$T/err2"
rc=$?
[ $rc -eq 0 ]
ok $? "the next run succeeds (exit $rc)"
grep -q "stored the results of run 1 kept in .*-spool-1" "$T/err2"
ok $? "it says it stored the killed run's kept results"
diag "$T/err2"
after=$(q "$db" "SELECT count(*) FROM result WHERE run_id = 1")
[ "$after" -eq $((before + missing)) ]
ok $? "run 1 now has every result it finished ($before + $missing = $after)"
[ ! -e "$spool" ] && [ ! -e "$spool-wal" ]
ok $? "the spool file is removed once stored"
[ "$(q "$db" "SELECT status FROM run WHERE id = 1")" = interrupted ]
ok $? "the killed run is 'interrupted'"
"$PY" - "$db" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
bad = db.execute("SELECT count(*) FROM result r WHERE r.run_id = 1 AND r.median_ns IS NOT NULL"
                 " AND r.kind != 'probe' AND (SELECT count(*) FROM round WHERE result_id = r.id) != 3"
                 ).fetchone()[0]
nos = db.execute("SELECT count(*) FROM result r WHERE r.run_id = 1 AND r.median_ns IS NOT NULL"
                 " AND (SELECT count(*) FROM sample WHERE result_id = r.id) = 0").fetchone()[0]
assert bad == 0 and nos == 0, (bad, nos)
PYEOF
ok $? "the stored results keep their samples and rounds"
finish
