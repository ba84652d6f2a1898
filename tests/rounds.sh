#!/bin/sh
# Rounds, honest efficiencies, the machine's quietness, compare's verdicts on
# rounds (REGRESSED, NOISY, --strict, an interval spanning zero) and `ab`'s
# pairing. Speed is never asserted: timings are planted where a verdict is.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
q() { "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print("\n".join("|".join("" if v is None else str(v) for v in row) for row in r))' "$@"; }
plan 21
db="$T/r.db"
"$B" run --db "$db" --rounds 3 --min-time 0.03 --probe-time 0.02 --no-peers \
	--kernel 'bgemm_xor_popc__*' 'gemm m=32 n=32 k=200' 'gemm m=8 n=40 k=65' >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && grep -q '^rounds: 3 per kernel and peer' "$T/out"
ok $? "a run with --rounds 3 passes and says how it times (exit $rc)"
diag "$T/err"
[ "$(q "$db" 'SELECT rounds FROM run')" = 3 ] &&
	[ "$(q "$db" 'SELECT order_seed FROM run')" = "$(q "$db" 'SELECT seed FROM run')" ]
ok $? "the run stores its rounds and the seed of the shuffled orders"
timed=$(q "$db" "SELECT count(*) FROM result WHERE kind = 'kernel' AND median_ns IS NOT NULL")
three=$(q "$db" "SELECT count(*) FROM (SELECT result_id FROM round GROUP BY result_id HAVING count(*) = 3 AND min(round) = 0 AND max(round) = 2)")
[ "$timed" -ge 2 ] && [ "$three" -eq "$timed" ]
ok $? "every timed result has rounds 0, 1 and 2 ($three of $timed)"
# /proc/stat counts 10 ms ticks: a round shorter than a tick may see none
# and record NULL (unknown); any value recorded lies in range.
[ "$(q "$db" 'SELECT count(*) FROM round WHERE other_cpus < 0 OR steal < 0 OR steal > 1 OR (other_cpus IS NULL) != (steal IS NULL)')" -eq 0 ] &&
	[ "$(q "$db" 'SELECT count(*) FROM round WHERE other_cpus IS NOT NULL')" -gt 0 ]
ok $? "rounds record other processes' CPU use and the stolen share during them (NULL only when no clock tick passed)"
# Each round's positions over a problem's entries are 0..n-1 once each.
bad=$(q "$db" "SELECT count(*) FROM (SELECT r.problem_id, d.round, count(*) AS n, count(DISTINCT d.position) AS nd, min(d.position) AS lo, max(d.position) AS hi FROM round d JOIN result r ON r.id = d.result_id GROUP BY r.problem_id, d.round) WHERE nd != n OR lo != 0 OR hi != n - 1")
[ "$bad" -eq 0 ]
ok $? "in every round the entries' positions are a permutation ($bad bad rounds)"
"$PY" - "$db" <<'EOF' >"$T/med" 2>&1
import sqlite3, statistics, sys
db = sqlite3.connect(sys.argv[1])
for rid, med in db.execute("SELECT id, median_ns FROM result WHERE median_ns IS NOT NULL AND kind = 'kernel'"):
    rounds = [m for (m,) in db.execute("SELECT median_ns FROM round WHERE result_id = ? ORDER BY round", (rid,))]
    assert abs(statistics.median(rounds) - med) <= 1e-9 * med, (rid, rounds, med)
    for r, m, n in db.execute("SELECT round, median_ns, nsamples FROM round WHERE result_id = ?", (rid,)):
        s = [v for (v,) in db.execute("SELECT ns FROM sample WHERE result_id = ? AND round = ?", (rid, r))]
        assert len(s) == n and abs(statistics.median(s) - m) <= 1e-9 * m, (rid, r)
EOF
ok $? "a median is the median of the round medians; a round's median is its samples' median"
diag "$T/med"
[ "$(q "$db" "SELECT count(*) FROM result WHERE efficiency > 1 OR (peak_status = 'mistrusted' AND (efficiency IS NOT NULL OR NOT efficiency_raw > 1)) OR (peak_status = 'ok' AND efficiency IS NOT efficiency_raw)")" -eq 0 ]
ok $? "no stored efficiency above 1; mistrusted peaks keep only efficiency_raw"
"$PY" - "$db" <<'EOF' >"$T/qj" 2>&1
import json, sqlite3, sys
quiet, j = sqlite3.connect(sys.argv[1]).execute("SELECT quiet, quiet_json FROM run").fetchone()
d = json.loads(j)
for k in ("other_cpus", "steal", "iowait", "load1_start", "load1_end", "probe_start", "probe_end"):
    assert k in d, k
assert quiet in (0, 1) and d["quiet"] == bool(quiet), (quiet, d)
assert quiet == 1 or d["reasons"], d
EOF
ok $? "the run records how quiet the machine was, with the reasons when not"
diag "$T/qj"
grep -q '^machine: \(quiet\|NOT QUIET\|quietness unknown\)' "$T/out" &&
	! grep -q 'sample [0-9]' "$T/out" "$T/err"
ok $? "the summary says how quiet it was; no status line when not on a terminal"
# On a terminal (script(1) gives one), the status line names the round.
if command -v script >/dev/null 2>&1; then
	script -qc "'$B' run --no-db --no-probe --min-time 0.03 --no-peers --kernel bgemm_xor_popc__generic 'gemm m=64 n=64 k=512' 'gemm m=32 n=32 k=64'" /dev/null 2>&1 |
		tr '\r' '\n' >"$T/tty"
	grep -aq 'gemm_m64_n64_k512: bgemm_xor_popc__generic round 3/3 sample [0-9]' "$T/tty" &&
		grep -aq 's left in the suite' "$T/tty"
	ok $? "on a terminal the status line names problem, kernel, round, sample and the time left"
else
	skip "script(1) is not installed: no terminal to draw the status line on"
fi
"$B" run --rounds 0 --no-db 'gemm m=8 n=8 k=8' >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q -- '--rounds' "$T/err"
ok $? "--rounds 0 is refused"

# compare on rounds, with the round medians planted.
c="$T/c.db"
for i in 1 2; do
	"$B" run --db "$c" --rounds 3 --min-time 0.01 --no-probe --no-peers \
		--kernel bgemm_xor_popc__generic 'gemm m=16 n=16 k=64' >/dev/null 2>&1
done
rid() { q "$c" "SELECT id FROM result WHERE run_id = $1 AND kernel = 'bgemm_xor_popc__generic'"; }
plant() {   # run, three round medians (us)
	r=$(rid "$1")
	q "$c" "UPDATE round SET median_ns = CASE round WHEN 0 THEN $2e3 WHEN 1 THEN $3e3 ELSE $4e3 END WHERE result_id = $r" >/dev/null
	q "$c" "UPDATE run SET quiet_json = NULL WHERE id = $1" >/dev/null
}
plant 1 100 101 102
plant 2 130 131 132
"$B" compare --db "$c" 1 2 >"$T/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -qE 'bgemm_xor_popc__generic .*\+29\.[0-9]%.*  REGRESSED ' "$T/out"
ok $? "rounds 100-102 us against 130-132 us: REGRESSED, exit 1 (exit $rc)"
diag "$T/out"
plant 2 95 110 125
"$B" compare --db "$c" 1 2 >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -qE 'bgemm_xor_popc__generic .*  UNCHANGED  not significant: the interval spans zero' "$T/out"
ok $? "rounds that overlap (95-125 us): UNCHANGED, the interval spans zero (exit $rc)"
plant 2 130 131 132
q "$c" "UPDATE run SET quiet_json = '{\"probe_start\": 1.0, \"probe_end\": 1.0}' WHERE id = 1" >/dev/null
q "$c" "UPDATE run SET quiet_json = '{\"probe_start\": 0.75, \"probe_end\": 0.77}' WHERE id = 2" >/dev/null
"$B" compare --db "$c" 1 2 >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -qE 'bgemm_xor_popc__generic .*  NOISY +slower, but the machine.s probed peak moved -24%' "$T/out"
ok $? "the same change while the probed peak fell 24%: NOISY, exit 0 (exit $rc)"
diag "$T/out"
"$B" compare --strict --db "$c" 1 2 >/dev/null 2>&1
ok $([ $? -eq 1 ]; echo $?) "--strict: NOISY fails the exit status"
q "$c" "UPDATE run SET quiet_json = '{\"probe_start\": 1.0, \"probe_end\": 1.02}' WHERE id = 2" >/dev/null
plant 1 100 101 125
q "$c" "UPDATE run SET quiet_json = NULL WHERE id = 2" >/dev/null
plant 2 130 131 160
"$B" compare --db "$c" 1 2 >"$T/out" 2>&1
grep -qE 'bgemm_xor_popc__generic .*  NOISY +slower, but the rounds spread by 25% \(base\) and 23% \(new\)' "$T/out"
ok $? "rounds that spread by more than the threshold: NOISY"
diag "$T/out"
"$B" compare --json --db "$c" 1 2 | "$PY" -c 'import json,sys; d=json.load(sys.stdin); r=[x for x in d["rows"] if x["kernel"]=="bgemm_xor_popc__generic"][0]; assert r["unit"]=="rounds" and r["verdict"]=="NOISY" and "NOISY" in d["summary"], r' 2>"$T/err"
ok $? "compare --json gives the unit of replication and NOISY"

# ab: two copies of one build, paired.
cp "$B" "$T/a" && chmod +x "$T/a"
"$B" ab --base "$T/a" --pairs 2 --db "$T/ab.db" --min-time 0.01 --no-probe --no-peers \
	--kernel bgemm_xor_popc__generic 'gemm m=16 n=16 k=64' >"$T/out" 2>&1
rc=$?
{ [ $rc -eq 0 ] || [ $rc -eq 1 ]; } && grep -q '^pairing: AB, BA ' "$T/out" &&
	grep -q '^ab: pair 2/2: B (new)' "$T/out" && grep -qE 'bgemm_xor_popc__generic +2 ' "$T/out"
ok $? "ab of two copies of one build: ABBA pairing, 2 pairs for the kernel (exit $rc)"
diag "$T/out"
[ "$(q "$T/ab.db" 'SELECT count(*) FROM run')" -eq 4 ]
ok $? "ab merges its 4 runs into --db"
expect_fail 2 'base PATH' "ab without --base is refused" -- "$B" ab 'gemm m=8 n=8 k=8'
expect_fail 2 'not an executable' "ab with a --base that is not a program is refused" -- \
	"$B" ab --base "$T/r.db" 'gemm m=8 n=8 k=8'
finish
