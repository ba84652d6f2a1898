#!/bin/sh
# Whether a run is still running does not depend on the PID namespace (the
# writer holds a lock on "<db>-live"), and re-merging a shard merged while it
# ran gives it its final status even after a writer of the destination
# marked it 'interrupted'.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import sqlite3' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3 is needed to read the databases"
	exit 0
fi
plan 6
q() { "$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$@"; }
a="$T/a.db" fleet="$T/fleet.db"
# wait_results DB N: until the run of DB has N results (30 s at most).
wait_results() {
	i=0
	while [ $i -lt 300 ]; do
		c=$(q "$1" "SELECT count(*) FROM result" 2>/dev/null)
		[ -n "$c" ] && [ "$c" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

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
finish
