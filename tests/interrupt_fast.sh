#!/bin/sh
# Ctrl-C is not ignored during long phases: the peak probe stops at its
# next measurement (it ran 5 s on), the first Ctrl-C stops a GEMM's golden
# reference of tens of seconds within one of its pieces (it ran to the
# end), and a second Ctrl-C stops a run at once even inside a step that
# cannot be cut (a BWN conv's reference; the second did nothing); the run
# is then 'interrupted' for the next open. (tests/interrupt_term.sh: the
# same with SIGTERM.)
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
plan 7
db="$T/i.db"

"$B" run --db "$db" --probe-time 0.5 'gemm m=16 n=16 k=128' >"$T/out1" 2>&1 &
pid=$!
poll 100 grep -q "probe: measuring" "$T/out1"
sleep 0.3
stop_timed INT $pid
[ $rc -eq 130 ]
ok $? "Ctrl-C during the probe ends the run with 130 (exit $rc)"
awk -v t="$took" 'BEGIN { exit !(t < 4) }'
ok $? "within about one probe measurement (${took} s; the probe's rows take 10 s and more)"

# A reference of tens of seconds: 4096^3 float multiply-adds.
"$B" run --db "$db" --no-probe --check-only --max-mem 2G 'gemm m=4096 n=4096 k=4096' \
	>"$T/out2" 2>&1 &
pid=$!
sleep 1.5
stop_timed INT $pid
[ $rc -eq 130 ]
ok $? "one Ctrl-C stops the run inside a GEMM's reference (exit $rc)"
awk -v t="$took" 'BEGIN { exit !(t < 5) }'
ok $? "within one piece of it (${took} s; 16 rows, about 0.1 s on an idle core)"
"$B" show --db "$db" 2 2>&1 | head -n 1 | grep -q interrupted
ok $? "and the run is 'interrupted'"

# A step that cannot be cut: a BWN conv's reference, single-threaded, many
# seconds; the first Ctrl-C waits for it, the second does not.
"$B" run --db "$db" --no-probe --check-only --no-peers \
	'bwn n=1 h=56 w=56 c=128 k=128 kh=3 pad=1' >"$T/out3" 2>&1 &
pid=$!
sleep 1.5
kill -INT $pid
sleep 0.5
stop_timed INT $pid
[ $rc -eq 130 ]
ok $? "a second Ctrl-C stops the run inside a step that cannot be cut (exit $rc)"
awk -v t="$took" 'BEGIN { exit !(t < 3) }'
ok $? "at once (${took} s)"
finish
