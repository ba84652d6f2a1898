#!/bin/sh
# Ctrl-C (SIGINT) and a crash (SIGKILL) in the middle of a run: results
# already finished stay in the database and the run is marked interrupted.
. "${srcdir:-.}/tests/lib.sh"
plan 6
db="$T/i.db"

# wait_results RUN N: waits (up to 60 s) until run RUN has at least N results.
has_results() {
	c=$(results_in "$db" "$1")
	[ -n "$c" ] && [ "$c" -ge "$2" ]
}
wait_results() { poll 600 has_results "$@"; }

"$BNNBENCH" run --suite conformance --db "$db" --min-time 0.2 -q --no-probe >"$T/out1" 2>&1 &
pid=$!
wait_results 1 3
ok $? "run 1 stored results while running"
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ]
ok $? "SIGINT ends the run with exit status 130 (got $rc)"
"$BNNBENCH" show --db "$db" 1 >"$T/show1" 2>&1
head -n 1 "$T/show1" | grep -q 'interrupted'
ok $? "run 1 is marked interrupted"
n=$(results_in "$db" 1)
[ -n "$n" ] && [ "$n" -ge 3 ] && [ "$n" -lt 63 ]
ok $? "run 1 keeps its $n finished results"

"$BNNBENCH" run --suite conformance --db "$db" --min-time 0.2 -q --no-probe >"$T/out2" 2>&1 &
pid=$!
wait_results 2 2
kill -KILL $pid
wait $pid 2>/dev/null
"$BNNBENCH" show --db "$db" 2 >"$T/show2" 2>&1
head -n 1 "$T/show2" | grep -q 'interrupted'
ok $? "after SIGKILL, the next open marks run 2 interrupted"
n=$(results_in "$db" 2)
[ -n "$n" ] && [ "$n" -ge 2 ]
ok $? "run 2 keeps its $n finished results"
finish
