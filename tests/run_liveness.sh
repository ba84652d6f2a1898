#!/bin/sh
# Whether a run is still running does not depend on the PID namespace (the
# writer holds a lock on "<db>-live"), and re-merging a shard merged while it
# ran gives it its final status even after a writer of the destination
# marked it 'interrupted'. Without the right to unshare (an unprivileged
# CI), the other namespace is played by the run's stored pid: one that is no
# process here leaves a live run 'running', and one that is a live process
# (a reused pid) does not keep a dead run 'running'.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
need_python_sqlite "to read the databases"
plan 8
a="$T/a.db" fleet="$T/fleet.db"
# wait_results DB N: until the run of DB has N results (30 s at most).
wait_results() { poll 300 at_least "$1" "SELECT count(*) FROM result" "$2"; }

"$B" run --suite conformance --min-time 0.02 -q --no-probe --no-peers --kernel '*generic*' \
	--db "$a" >/dev/null 2>&1 &
pid=$!
wait_results "$a" 3
# Another PID namespace: kill(pid, 0) there says ESRCH for the writer.
if unshare -p -f --mount-proc true 2>/dev/null; then
	unshare -p -f --mount-proc "$B" show --db "$a" >/dev/null 2>&1
	[ "$(q "$a" "SELECT status FROM run WHERE id = 1")" = running ]
	ok $? "a show from another PID namespace leaves the live run 'running'"
else
	skip "unshare -p is not allowed here"
fi
# The same without unshare: the row's pid made one that is no process here
# (kill(pid, 0) says ESRCH, as from another namespace).
sh -c 'exit 0' &
dead=$!
wait $dead
"$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); c.execute("UPDATE run SET pid = ? WHERE id = 1", (int(sys.argv[2]),)); c.commit()' "$a" "$dead"
"$B" show --db "$a" >/dev/null 2>&1
[ "$(q "$a" "SELECT status || ' ' || pid FROM run WHERE id = 1")" = "running $dead" ]
ok $? "a show leaves the live run 'running' though its stored pid $dead is no process here"
"$B" merge "$a" -o "$fleet" >/dev/null 2>&1
ok $? "merge the shard while it runs"
# A writer of the destination finds no live writer of the merged run there.
"$B" run --db "$fleet" --check-only --no-probe --no-peers -q 'gemm m=4 n=4 k=64' \
	>/dev/null 2>&1
"$B" show --db "$fleet" >/dev/null 2>&1
[ "$(q "$fleet" "SELECT status FROM run WHERE id = 1")" = interrupted ]
ok $? "a writer of the destination marks the merged, unfinished run 'interrupted'"
wait $pid
ok $? "the shard's run ends"
"$B" merge "$a" -o "$fleet" >/dev/null 2>&1
src=$(q "$a" "SELECT status || ' ' || end_time FROM run WHERE id = 1")
dst=$(q "$fleet" "SELECT status || ' ' || end_time FROM run WHERE id = 1")
[ "$src" = "$dst" ] && [ "${src%% *}" = passed ]
ok $? "merged again, it takes the source's status and end time ($dst; source $src)"
[ "$(q "$a" "SELECT count(*) FROM result")" = \
  "$(q "$fleet" "SELECT count(*) FROM result WHERE run_id = 1")" ]
ok $? "and every result of the shard"

# A dead run whose stored pid is a live process (pid reuse): this shell's.
b="$T/b.db"
"$B" run --suite conformance --min-time 0.02 -q --no-probe --no-peers --kernel '*generic*' \
	--db "$b" >/dev/null 2>&1 &
pid=$!
wait_results "$b" 2
kill -KILL $pid
wait $pid 2>/dev/null
"$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); c.execute("UPDATE run SET pid = ? WHERE id = 1", (int(sys.argv[2]),)); c.commit()' "$b" "$$"
"$B" show --db "$b" >/dev/null 2>&1
[ "$(q "$b" "SELECT status FROM run WHERE id = 1")" = interrupted ]
ok $? "a killed run is marked 'interrupted' though its stored pid ($$) is a live process"
finish
