#!/bin/sh
# bnnbench compare: planted samples give known verdicts (a 10% slowdown is
# REGRESSED, noise of the same spread is not, PASS to FAIL always is), the
# exit status gates CI, the output is reproducible and parses as CSV and
# JSON, nothing is written to the databases; then two real short runs.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import sqlite3, json, csv' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3 is needed to plant samples"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
plan 29
db="$T/planted.db"

# Ten problems timed 30 times each: base, the same noise again, 10% slower,
# 10% faster, a correctness failure, another machine, and a wide spread.
"$PY" - >"$T/spec.json" <<'PYEOF'
import json
def probs(mean, sd, seed0):
    return [{"problem": "gemm m=64 n=64 k=%d" % (64 * (i + 1)), "name": "t%d" % i,
             "kernel": "bgemm_planted", "normal": [mean, sd, 30, seed0 + i]} for i in range(10)]
def flag(status="PASS"):
    r = {"problem": "gemm m=8 n=8 k=8", "name": "flag", "kernel": "bgemm_planted",
         "status": status}
    if status == "PASS":
        r["normal"] = [50000, 1500, 30, 7]
    else:
        r["reason"] = "planted: element 3 differs"
    return r
spread_base = [100e3, 60e3, 140e3, 90e3, 115e3]
spread_new = [108e3, 65e3, 150e3, 97e3, 125e3]
runs = [
    {"results": probs(100e3, 3e3, 0) + [flag(),
        {"problem": "gemm m=9 n=9 k=9", "name": "gone", "kernel": "bgemm_planted", "normal": [1e4, 300, 30, 8]},
        {"problem": "gemm m=5 n=5 k=5", "name": "spread", "kernel": "bgemm_planted", "samples": spread_base}]},
    {"results": probs(100e3, 3e3, 100) + [flag(),
        {"problem": "gemm m=7 n=7 k=7", "name": "fresh", "kernel": "bgemm_planted", "normal": [1e4, 300, 30, 9]}]},
    {"results": probs(110e3, 3.3e3, 200) + [flag()]},
    {"results": probs(90e3, 2.7e3, 300) + [flag()]},
    {"results": probs(100e3, 3e3, 400) + [flag("FAIL")]},
    {"machine": "othermachine0001", "results": probs(100e3, 3e3, 500) + [flag()]},
    {"results": [{"problem": "gemm m=5 n=5 k=5", "name": "spread", "kernel": "bgemm_planted", "samples": spread_new}]},
]
print(json.dumps({"runs": runs}))
PYEOF
"$PY" "$srcdir/tests/plant.py" "$srcdir/results/schema.sql" "$db" <"$T/spec.json"
ok $? "planted a database of 7 runs"
sum_before=$(cksum <"$db")

cmp_run() { # BASE NEW [options]: output in $T/out, exit status in $rc
	"$B" compare --db "$db" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
rows() { grep -c " $1 " "$T/out"; }

cmp_run 1 2
[ $rc -eq 0 ] && [ "$(grep -c 't[0-9] .* UNCHANGED' "$T/out")" -eq 10 ]
ok $? "noise of the same spread alone: all 10 UNCHANGED, exit 0 (exit $rc)"
grep -Eq '^flag .* UNCHANGED' "$T/out" && grep -Eq '^fresh .* NEW' "$T/out" &&
	grep -Eq '^gone .* MISSING' "$T/out"
ok $? "a pair only in NEW is NEW, one only in BASE is MISSING"
grep -q 'summary: 0 IMPROVED, 0 REGRESSED, 11 UNCHANGED, 1 NEW, 2 MISSING' "$T/out"
ok $? "summary counts each verdict"

cmp_run 1 3
[ $rc -eq 1 ] && [ "$(grep -c 't[0-9] .* REGRESSED  slower' "$T/out")" -eq 10 ]
ok $? "planted 10% slowdown: all 10 REGRESSED, exit 1 (exit $rc)"
diag "$T/out"
"$B" compare --db "$db" --json 1 3 >"$T/j1" 2>/dev/null
"$PY" - "$T/j1" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["rows"] if r["problem"].startswith("t")]
assert len(rows) == 10, rows
for r in rows:
    assert r["verdict"] == "REGRESSED", r
    assert 0.07 < r["change"] < 0.13, r
    lo, hi = r["ci"]
    assert 0.05 < lo <= r["change"] <= hi < 0.16, r
    assert r["p_value"] < 1e-6, r
    assert r["base_samples"] == 30 and r["new_samples"] == 30, r
assert d["summary"]["REGRESSED"] == 10
PYEOF
ok $? "--json parses; each slowdown is +7..13% with a bootstrap CI above 5% and p < 1e-6"
"$B" compare --db "$db" --json 1 3 >"$T/j2" 2>/dev/null
cmp -s "$T/j1" "$T/j2"
ok $? "the output (bootstrap CI included) is the same on a second run"

cmp_run 1 3 --threshold 15%
[ $rc -eq 0 ] && [ "$(grep -c 't[0-9] .* UNCHANGED  within the 15% noise threshold' "$T/out")" -eq 10 ]
ok $? "--threshold 15%: the 10% slowdown is within the threshold, exit 0 (exit $rc)"
cmp_run 1 3 --threshold 0.15
[ $rc -eq 0 ]
ok $? "--threshold takes a fraction too"

cmp_run 1 4
[ $rc -eq 0 ] && [ "$(grep -Ec 't[0-9] .* IMPROVED +faster' "$T/out")" -eq 10 ]
ok $? "planted 10% speedup: all 10 IMPROVED, exit 0 (exit $rc)"

cmp_run 1 5
[ $rc -eq 1 ] && grep -Eq '^flag .* REGRESSED  PASS -> FAIL' "$T/out" &&
	[ "$(rows REGRESSED)" -eq 1 ]
ok $? "PASS to FAIL is REGRESSED whatever the timing, exit 1 (exit $rc)"
cmp_run 5 1
[ $rc -eq 0 ] && grep -Eq '^flag .* IMPROVED +FAIL -> PASS' "$T/out"
ok $? "FAIL to PASS is IMPROVED"

cmp_run 1 6
[ $rc -eq 2 ] && grep -q 'different machines; --any-machine compares them anyway' "$T/err"
ok $? "runs of different machines are refused (exit $rc)"
cmp_run 1 6 --any-machine
[ $rc -eq 0 ] && grep -q '^new:  run 6 .*machine othermachine0001' "$T/out"
ok $? "--any-machine compares them"

cmp_run 1 7
grep -Eq '^spread .* \+8\.0% .* UNCHANGED  not significant' "$T/out"
ok $? "+8% over a wide spread of 5 samples is not significant: UNCHANGED"

"$B" compare --db "$db" --csv 1 3 >"$T/c.csv" 2>/dev/null
"$PY" - "$T/c.csv" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 13, len(rows)
g = [r for r in rows if r["problem"].startswith("t")]
assert all(r["verdict"] == "REGRESSED" for r in g)
assert all(0.07 < float(r["change"]) < 0.13 for r in g)
assert {r["verdict"] for r in rows} == {"REGRESSED", "UNCHANGED", "MISSING"}, rows
PYEOF
ok $? "--csv parses with Python's csv module, one row per pair"

# Run specs: ids, latest, latest~N, FILE, FILE:RUN.
cmp_run latest~6 latest~4
[ $rc -eq 1 ] && grep -q '^base: run 1 ' "$T/out" && grep -q '^new:  run 3 ' "$T/out"
ok $? "latest~N counts back from the newest run"
cp "$db" "$T/other.db"
"$B" compare "$db:1" "$T/other.db:4" >"$T/out" 2>&1
[ $? -eq 0 ] && grep -q "^new:  run 4 of $T/other.db" "$T/out"
ok $? "two database files, FILE:RUN"
"$B" compare "$T/other.db" "$db" --any-machine >"$T/out" 2>&1
[ $? -eq 0 ] && grep -q "^base: run 7 of $T/other.db" "$T/out"
ok $? "a database file alone means its latest run"
expect_fail 2 "no run '99'" "a run that does not exist" -- "$B" compare --db "$db" 1 99
expect_fail 2 "'nosuch' is not a run id" "a spec that is neither run nor file" -- "$B" compare --db "$db" 1 nosuch
expect_fail 2 "takes two runs" "one run only" -- "$B" compare --db "$db" 1
expect_fail 2 "--threshold: 'x' is not a fraction" "bad --threshold" -- "$B" compare --db "$db" --threshold x 1 2
echo "not a database at all, just text" >"$T/text.db"
expect_fail 3 "not an SQLite database|not a bnnbench database" "a file that is not a database" -- "$B" compare "$T/text.db" "$db"
[ "$(cksum <"$db")" = "$sum_before" ]
ok $? "compare changed nothing in the database it read"

# Two real short runs on this machine (the VM's speed drifts between runs,
# so only the structure is asserted, not the verdicts).
real="$T/real.db"
for i in 1 2; do
	"$B" run --db "$real" --min-time 0.01 --probe-time 0.02 -q 'gemm m=64 n=64 k=256' \
		'conv h=8 c=16 k=8 pad=1' >/dev/null 2>&1 || echo "# real run $i failed"
done
"$B" compare --all --db "$real" latest~1 latest >"$T/out" 2>&1
rc=$?
n=$(sqlite3 "$real" "SELECT count(*) FROM result WHERE run_id = 2 AND kind != 'probe'" 2>/dev/null ||
	"$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM result WHERE run_id = 2 AND kind != 'probe'\").fetchone()[0])" "$real")
got=$(grep -cE '  (IMPROVED|REGRESSED|UNCHANGED|NOISY)  ' "$T/out")
{ [ $rc -eq 0 ] || [ $rc -eq 1 ]; } && [ "$got" -eq "$n" ] && [ "$n" -ge 4 ]
ok $? "two real runs: one verdict per (problem, kernel) ($got of $n), exit 0 or 1 (exit $rc)"
diag "$T/out"
probes=$("$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM result WHERE run_id = 2 AND kind = 'probe'\").fetchone()[0])" "$real")
[ "$probes" -ge 3 ] && grep -q '^machine peaks (probes' "$T/out" &&
	[ "$(grep -cE '^  probe_.* -> .*%$' "$T/out")" -eq "$probes" ]
ok $? "the machine's probed peaks of both runs are shown beside the verdicts ($probes)"
# The table leaves out pairs timed on neither side (here the SKIPs of
# kernels this machine cannot run) and says how many; --all lists them.
"$B" compare --db "$real" 2 2 >"$T/out" 2>&1
rc=$?
timed=$("$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM result WHERE run_id = 2 AND kind != 'probe' AND median_ns > 0\").fetchone()[0])" "$real")
untimed=$((n - timed))
[ $rc -eq 0 ] && [ "$(grep -c ' UNCHANGED ' "$T/out")" -eq "$timed" ] && grep -q ' +0.0% ' "$T/out" &&
	! grep -q ' SKIP' "$T/out" &&
	{ [ "$untimed" -eq 0 ] || grep -Eq "^\($untimed pairs? timed on neither side not listed; --all lists them\)$" "$T/out"; }
ok $? "a real run against itself: the $timed timed pairs UNCHANGED at +0.0%, the $untimed untimed ones left out and counted, exit 0"
diag "$T/out"
"$B" compare --all --db "$real" 2 2 >"$T/out" 2>&1
[ $? -eq 0 ] && [ "$(grep -c ' UNCHANGED ' "$T/out")" -eq "$n" ] && ! grep -q 'not listed' "$T/out"
ok $? "--all lists every pair ($n)"
finish
