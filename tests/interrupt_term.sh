#!/bin/sh
# SIGTERM (what kill, timeout, a CI runner or a service manager sends)
# stops a run as promptly as Ctrl-C during its long phases: inside a golden
# reference of tens of seconds (a 4096^3 GEMM; one SIGTERM ran it to the
# end, 40 s) and during the peak probe at the end of a run. The run exits
# non-zero (130), is stored 'interrupted', and keeps the results it
# finished before.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
need_python_sqlite "to read the database"
plan 10
db="$T/t.db"

# (1) Two small problems, then a reference of tens of seconds; SIGTERM
# once the small ones are stored.
k=bgemm_xor_popc__generic
"$B" run --db "$db" --no-probe --no-peers --check-only --max-mem 2G --kernel "$k" \
	'gemm m=16 n=16 k=64' 'gemm m=32 n=8 k=65' 'gemm m=4096 n=4096 k=4096' >"$T/out1" 2>&1 &
pid=$!
poll 600 at_least "$db" "SELECT count(*) FROM result WHERE run_id = 1" 2
sleep 1
stop_timed TERM $pid
diag "$T/out1"
[ $rc -eq 130 ]
ok $? "SIGTERM inside a GEMM's reference ends the run with 130 (exit $rc)"
awk -v t="$took" 'BEGIN { exit !(t < 5) }'
ok $? "within seconds (${took} s; the reference takes tens)"
[ "$(q "$db" "SELECT status FROM run WHERE id = 1")" = interrupted ]
ok $? "the run is stored 'interrupted'"
[ "$(q "$db" "SELECT count(*) FROM result WHERE run_id = 1 AND status = 'PASS'")" = 2 ]
ok $? "and keeps the 2 results finished before"
grep -q "^summary: 2 PASS, 0 FAIL, .*; interrupted" "$T/out1"
ok $? "its summary counts them and says interrupted"

# (2) The probe at the end of a run (its rows take about 10 s): SIGTERM
# once the problem's result is stored.
"$B" run --db "$db" --probe-time 0.3 --no-peers --min-time 0.01 --kernel "$k" \
	'gemm m=16 n=16 k=128' >"$T/out2" 2>&1 &
pid=$!
poll 600 at_least "$db" "SELECT count(*) FROM result WHERE run_id = 2 AND kind = 'kernel'" 1
sleep 0.5
stop_timed TERM $pid
diag "$T/out2"
[ $rc -eq 130 ]
ok $? "SIGTERM during the probe at the end ends the run with 130 (exit $rc)"
awk -v t="$took" 'BEGIN { exit !(t < 3) }'
ok $? "within about one probe measurement (${took} s)"
! grep -q "probe again at the end" "$T/out2"
ok $? "the end probe did not finish"
[ "$(q "$db" "SELECT status FROM run WHERE id = 2")" = interrupted ]
ok $? "the run is stored 'interrupted'"
n=$(q "$db" "SELECT count(*) FROM result WHERE run_id = 2 AND kind = 'kernel'")
p=$(q "$db" "SELECT count(*) FROM result WHERE run_id = 2 AND kind = 'probe'")
[ "$n" = 1 ] && [ "$p" -ge 1 ]
ok $? "and keeps its kernel result ($n) and the start probe's rows ($p)"
finish
