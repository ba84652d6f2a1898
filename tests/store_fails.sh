#!/bin/sh
# Storing fails for good during a run: another process takes the
# database's write lock after the first result and holds it past the end
# of the run. The run keeps its other results in the spool file, ends
# with exit 3 and says how many of its results are stored ("stored (in
# part) as run N in DB: S of C results stored"; it said "stored as run N"
# with nothing to tell how much); the next run on the database stores the
# kept results and the run's end ('failed', as storing failed), so in the
# end every result counted is stored. BNNBENCH_FINAL_BUSY_MS shortens the
# end's wait for the lock (five minutes by default).
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
need_python_sqlite "to hold the database's lock"
plan 10
db="$T/f.db"
spool="$db-spool-1"

# The lock is taken once the run has stored a result, and held until the
# test says so (at most 60 s).
"$PY" "${srcdir:-.}/tests/hold_lock.py" "$db" "$T/locked" "$T/release" &
holder=$!
BNNBENCH_BUSY_MS=0 BNNBENCH_FINAL_BUSY_MS=500 "$B" run --db "$db" --no-probe --no-peers \
	--min-time 0.3 --kernel 'bgemm_xor_popc__generic' 'gemm m=16 n=16 k=64' \
	'gemm m=32 n=8 k=65' 'gemm m=64 n=64 k=129' 'gemm m=3 n=5 k=7' >"$T/out1" 2>"$T/err1"
rc=$?
diag "$T/err1"
tail -n 1 "$T/out1" | diag
# Counted while the lock is still held.
in_db=$(q "$db" "SELECT count(*) FROM result WHERE run_id = 1")
in_spool=$(q "$spool" "SELECT count(*) FROM result" 2>/dev/null)
touch "$T/release"
wait $holder
[ -f "$T/locked" ]
ok $? "the lock was held while the run stored"
[ $rc -eq 3 ]
ok $? "the run exits 3, a database error (exit $rc)"
c=$(summed "$T/out1")
line=$(grep "^stored (in part) as run 1 in .*f.db: [0-9]* of [0-9]* results stored$" "$T/out1")
s=$(echo "$line" | sed -n 's/.*: \([0-9]*\) of \([0-9]*\) results stored$/\1 \2/p')
[ -n "$line" ] && [ "$s" = "$in_db $c" ] && [ "$in_db" -lt "$c" ]
ok $? "it says how many results are stored: $in_db of the $c counted ($line)"
k=$(sed -n 's/.*: \([0-9]*\) results* not stored yet .*kept in .*f.db-spool-1, which the next run.*/\1/p' "$T/err1")
[ -n "$k" ] && [ "$k" = $((c - in_db)) ]
ok $? "and that the other $k are kept in the spool file for the next run"
[ "${in_spool:-0}" = "$k" ]
ok $? "the spool file holds them ($in_spool)"
grep -q "the run's end ('failed') is kept in .*f.db-spool-1 too" "$T/err1"
ok $? "with the run's end, which could not be stored either"

"$B" run --db "$db" --check-only --no-probe --no-peers -q 'gemm m=4 n=4 k=64' \
	>"$T/out2" 2>"$T/err2"
rc=$?
diag "$T/err2"
[ $rc -eq 0 ] && grep -q "stored the results of run 1 kept in .*f.db-spool-1" "$T/err2"
ok $? "the next run stores the kept results and says so (exit $rc)"
n=$(q "$db" "SELECT count(*) FROM result WHERE run_id = 1")
[ "$n" = "$c" ]
ok $? "run 1 then has every result it counted ($n of $c)"
[ "$(q "$db" "SELECT status || ' ' || (end_time IS NOT NULL) FROM run WHERE id = 1")" = "failed 1" ]
ok $? "and its end: 'failed', with an end time ($(q "$db" "SELECT status FROM run WHERE id = 1"))"
[ ! -f "$spool" ]
ok $? "the spool file is gone"
finish
