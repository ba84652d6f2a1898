#!/bin/sh
# CI gates fail when they should: compare exits non-zero when the NEW run
# has no results or did not end 'passed' (it exited 0 with 792 MISSING), and
# a --kernel pattern that matches nothing is an error before anything runs
# or is stored (it ran nothing, stored a 'passed' run and exited 0).
# Several --kernel patterns add up (only the last one counted), and each of
# them must match something on its own.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
need_python_sqlite "to plant run states"
plan 11
db="$T/cmp.db"
sql() { "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA foreign_keys=ON"); c.executescript(sys.argv[2]); c.commit()' "$db" "$1"; }

"$B" run --db "$db" --min-time 0.005 --no-probe --no-peers -q 'gemm m=16 n=16 k=128' \
	>/dev/null 2>&1
ok $? "a real run (run 1)"
"$B" compare --db "$db" 1 1 >"$T/out" 2>&1
ok $? "a passed run compared with itself passes the gate"
for st in failed interrupted running; do
	sql "UPDATE run SET status = '$st' WHERE id = 1"
	expect_fail 1 "compare: the new run 1 (ended|is still) '$st', not 'passed'" \
		"a new run that is '$st' fails the gate" -- "$B" compare --db "$db" 1 1
done
sql "UPDATE run SET status = 'passed' WHERE id = 1"
"$B" run --db "$db" --min-time 0.005 --no-probe --no-peers -q 'gemm m=16 n=16 k=128' \
	>/dev/null 2>&1
sql "DELETE FROM result WHERE run_id = 2"
expect_fail 1 "compare: the new run 2 has no results" \
	"a new run without results fails the gate (every base result MISSING)" -- \
	"$B" compare --db "$db" 1 2
runs=$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM run").fetchone()[0])' "$db")
expect_fail 2 "--kernel 'zzz': matches no kernel" "--kernel matching nothing is an error" -- \
	"$B" run --suite conformance --kernel zzz --check-only -q --db "$db"
[ "$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM run").fetchone()[0])' "$db")" = "$runs" ]
ok $? "and stores no run"
"$B" run --no-db --check-only --kernel 'bgemm_xor_popc__generic' \
	--kernel 'bgemm_xor_popc__avx2*' 'gemm m=16 n=16 k=130' >"$T/two" 2>&1
ok $? "two --kernel patterns run"
[ "$(grep -c '^\[' "$T/two")" = 2 ] && grep -q ' bgemm_xor_popc__generic  ' "$T/two" &&
	grep -q ' bgemm_xor_popc__avx2_2x4  ' "$T/two"
ok $? "and run the kernels of both patterns, no others" || diag "$T/two"
expect_fail 2 "--kernel 'zzz': matches no kernel" \
	"a --kernel pattern matching nothing is an error beside one that matches" -- \
	"$B" run --suite conformance --kernel zzz --kernel 'bgemm_*' --check-only -q --db "$db"
finish
