#!/bin/sh
# bnnbench info (text and --json, parsed by python3's json module) without a
# database; counters in a run: a made-up event name gives a clear message
# while the run goes on, counters are stored and read back, a machine
# without counters (PAPI's perf_event component disabled) still runs and
# says why; the topology is stored once per machine.
. "${srcdir:-.}/tests/lib.sh"
plan 23
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3

# info needs no database and creates none (run in an empty directory).
mkdir "$T/empty"
(cd "$T/empty" && "$B" info >"$T/info.txt" 2>"$T/info.err")
ok $? "bnnbench info exits 0"
[ -z "$(ls -A "$T/empty")" ]
ok $? "info created nothing in the current directory"
grep -q '^  fingerprint  [0-9a-f]\{16\}' "$T/info.txt" &&
	grep -q '^counters (PAPI ' "$T/info.txt" && grep -q '^  perf::TASK-CLOCK ' "$T/info.txt" &&
	grep -q '^kernels$' "$T/info.txt" && grep -q 'bgemm_xor_popc__generic .*runs here' "$T/info.txt" &&
	grep -q '^  sqlite ' "$T/info.txt" && grep -q '^  kernel       ' "$T/info.txt"
ok $? "info prints the machine record, the counters and the kernels"
diag "$T/info.txt"

"$B" info --json >"$T/info.json" 2>"$T/info.err"
ok $? "bnnbench info --json exits 0"
fp=$(sed -n 's/^  fingerprint  \([0-9a-f]*\).*/\1/p' "$T/info.txt")
"$PY" - "$T/info.json" "$fp" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["machine"]
assert m["fingerprint"] == sys.argv[2], (m["fingerprint"], sys.argv[2])
for k in ("cpu_model", "isa_features", "dispatch", "kernel", "build", "libraries", "topology"):
    assert k in m, k
for k in ("sqlite", "papi", "hwloc", "peers", "cuda"):
    assert isinstance(m["libraries"][k], str), k
assert m["build"]["version"] and m["build"]["compiler"]
ev = d["counters"]["events"]
assert [e["name"] for e in ev][:2] == ["PAPI_TOT_CYC", "PAPI_TOT_INS"] and len(ev) == 8
for e in ev:
    assert e["status"] in ("ok", "unavailable", "unknown"), e
    assert e["status"] == "ok" or e["reason"], e
assert d["counters"]["counted"] == sum(e["status"] == "ok" for e in ev)
ks = d["kernels"]
assert ks and all(isinstance(k["runs"], bool) for k in ks)
assert any(k["name"] == "bgemm_xor_popc__generic" and k["runs"] for k in ks)
assert all(k["runs"] or k["reason"] for k in ks)
PYEOF
ok $? "info --json parses and holds the machine record, 8 probed events and the kernels"
# Can this machine (and build) count software events at all? Without PAPI,
# or with perf_event_paranoid 3, it cannot: those checks are skipped.
sw=$("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
e = [e for e in d["counters"]["events"] if e["name"] == "perf::TASK-CLOCK"][0]
print("yes" if e["status"] == "ok" else e["reason"])' "$T/info.json")

# JSON escaping: an event name with a quote, a backslash and a tab.
weird=$(printf 'we"ird\\name\tx')
"$B" info --json --events "perf::TASK-CLOCK,$weird" >"$T/weird.json" 2>"$T/err"
"$PY" - "$T/weird.json" "$weird" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["counters"]["events"][1]
assert e["name"] == sys.argv[2] and e["status"] in ("unknown", "unavailable") and e["reason"], e
PYEOF
ok $? "a name with quote, backslash and tab round-trips through info --json"

"$B" info --events none >"$T/none.txt" 2>&1 && grep -q 'off (--events none)' "$T/none.txt"
ok $? "info --events none: counters off"
expect_fail 2 "empty event name" "an empty event in --events is bad input" -- "$B" info --events 'a,,b'
expect_fail 2 "info takes no arguments" "info with an argument is bad input" -- "$B" info extra
expect_fail 2 "empty event name" "a malformed --events is bad input for a run, even check-only" \
	-- "$B" run --no-db --check-only --events 'x,' 'gemm m=1 n=1 k=1'

# A machine without counters: PAPI's perf_event component disabled.
BNNBENCH_PAPI_DISABLE=perf_event "$B" info --json >"$T/nohw.json" 2>"$T/err"
"$PY" - "$T/nohw.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["counters"]["events"]
assert d["counters"]["counted"] == 0
assert all(e["status"] != "ok" and e["reason"] for e in ev), ev
cyc = [e for e in ev if e["name"] == "PAPI_TOT_CYC"][0]
assert "disabled" in cyc["reason"] or "without PAPI" in cyc["reason"], cyc
PYEOF
ok $? "no counters at all: every event unavailable with PAPI's reason (component disabled)"
db="$T/nohw.db"
BNNBENCH_PAPI_DISABLE=perf_event "$B" run --db "$db" --min-time 0 --min-reps 1 --no-probe \
	--no-peers 'gemm m=8 n=8 k=64' >"$T/out" 2>"$T/err"
ok $? "a run on a machine without counters goes on (exit 0)"
grep -q '^counters: .*PAPI_TOT_CYC.* unavailable: ' "$T/out"
ok $? "and prints once at its start why each event is not counted"
"$PY" - "$db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("SELECT count(*) FROM counter").fetchone()[0] == 0
# PAPI's events (a CUDA build also records CUPTI's, source CUPTI: tests/cupti.sh)
rows = c.execute("SELECT status, reason FROM run_counter WHERE source = 'PAPI'").fetchall()
assert len(rows) == 8 and all(s != "ok" and r for s, r in rows), rows
assert c.execute("SELECT count(*) FROM result WHERE status = 'PASS'").fetchone()[0] >= 1
PYEOF
ok $? "its results are stored, with no counters, and the events' reasons with the run"

# A run with a made-up event: a clear message, the run goes on, the real
# events are stored per result and read back.
db="$T/c.db"
"$B" run -v --db "$db" --min-time 0.01 --no-probe --no-peers --events perf::TASK-CLOCK,BNN_MADE_UP,perf::PAGE-FAULTS \
	'gemm m=64 n=64 k=129' 'conv h=8 c=16 k=8 pad=1' >"$T/out" 2>"$T/err"
ok $? "a run with a made-up event exits 0"
if [ "$sw" = yes ]; then
	grep -q "^bnnbench: --events: 'BNN_MADE_UP': no such event here" "$T/err"
	ok $? "the made-up event gets a clear message on stderr"
	diag "$T/err"
else
	skip "no counters here ($sw)"
fi
n=$(grep -c '^\[' "$T/out")
nres=$(results_in "$db")
# An indented line is allowed only as the reason right under a result that
# is not PASS (a kernel of an ISA this CPU lacks SKIPs with its reason).
[ "$n" -eq "$nres" ] && [ "$n" -ge 2 ] &&
	awk 'r && /^ / { r = 0; next } /^ / { bad = 1 } { r = /^\[/ && !/ PASS / } END { exit bad }' "$T/out"
ok $? "one output line per result ($n lines, $nres results), nothing else between"
"$PY" - "$db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
res = c.execute("SELECT id, median_ns FROM result WHERE nsamples > 0").fetchall()
assert res
for rid, med in res:
    rows = dict((e, (v, reps, per, scope, st)) for e, v, reps, per, scope, st in c.execute(
        "SELECT event, value, reps, per_rep, scope, status FROM counter WHERE result_id = ?", (rid,)))
    assert set(rows) == {"perf::TASK-CLOCK", "perf::PAGE-FAULTS"}, rows
    v, reps, per, scope, st = rows["perf::TASK-CLOCK"]
    assert st == "ok" and reps >= 1 and abs(per - v / reps) < 1e-6 * max(per, 1), rows
    assert scope == "calling thread", scope
    # CPU time per repetition of one thread cannot exceed ten times its median wall time
    # (the counting pass and the timing pass are different runs of the same kernel).
    assert 0 < per < 10 * med, (per, med)
ev = c.execute("SELECT event, status FROM run_counter WHERE source = 'PAPI' ORDER BY rowid").fetchall()
assert ev == [("perf::TASK-CLOCK", "ok"), ("BNN_MADE_UP", "unknown"), ("perf::PAGE-FAULTS", "ok")], ev
PYEOF
r=$?
if [ "$sw" = yes ]; then
	ok $r "counters stored per result: total, reps, per repetition, scope; the run's events in order"
	"$B" show --db "$db" >"$T/show" 2>&1
	grep -q '^    counters per repetition (calling thread, [0-9]* reps): perf::TASK-CLOCK [0-9.e+]*, perf::PAGE-FAULTS' "$T/show" &&
		grep -q '^counters: perf::TASK-CLOCK, perf::PAGE-FAULTS ok; \(.*; \)\{0,1\}BNN_MADE_UP unknown' "$T/show"
	ok $? "show prints the counters per repetition and the run's events"
	diag "$T/show"
else
	skip "no counters here ($sw)"
	skip "no counters here ($sw)"
fi

# Two worker threads: the count says it covers both.
"$B" run --db "$db" --threads 2 --min-time 0 --min-reps 1 --no-probe --no-peers \
	--events perf::TASK-CLOCK 'gemm m=64 n=64 k=129' >"$T/out" 2>&1
[ "$sw" = yes ] && "$PY" - "$db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
run = c.execute("SELECT max(id) FROM run").fetchone()[0]
sc = {s for (s,) in c.execute("SELECT DISTINCT c.scope FROM counter c JOIN result r ON r.id ="
                              " c.result_id WHERE r.run_id = ?", (run,))}
assert sc == {"2 pool threads (per-thread event sets, summed)"}, sc
PYEOF
if [ "$sw" = yes ]; then ok $? "with --threads 2 the stored scope is both pool threads"
else skip "no counters here ($sw)"; fi

# --no-counters and check-only runs store no counters.
"$B" run --db "$db" --no-counters --min-time 0 --min-reps 1 --no-probe --no-peers 'gemm m=8 n=8 k=8' >"$T/out" 2>&1 &&
	grep -q '^counters: off' "$T/out"
ok $? "--no-counters: no counters, and the run says so"

# The topology is stored once per machine, across runs.
"$PY" - "$db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("SELECT count(*) FROM run").fetchone()[0] == 3
m = c.execute("SELECT count(*), topology_xml, pus, physical_cores, machine_record IS NOT NULL FROM machine"
              " JOIN run ON run.machine_id = machine.id").fetchall()
assert c.execute("SELECT count(*) FROM machine").fetchone()[0] == 1
n, xml, pus, cores, rec = m[0]
assert n == 3 and rec, m
# built with hwloc: the XML export and the counts; without: NULL
assert (xml is None and pus is None) or (xml.startswith("<?xml") and "topology" in xml and pus >= 1 and cores >= 1), (xml and xml[:60], pus)
PYEOF
ok $? "three runs, one machine row, its topology stored once"

# Multiplexing forced: either PAPI multiplexes (and it is recorded) or it
# refuses and the reason says the events were counted without it.
BNNBENCH_PAPI_MULTIPLEX=1 "$B" info --json --events perf::TASK-CLOCK,perf::PAGE-FAULTS >"$T/mpx.json" 2>"$T/err"
"$PY" - "$T/mpx.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
for e in d["counters"]["events"]:
    if e["status"] == "ok":
        assert e["multiplexed"] or "multiplexing refused" in e["reason"], e
    else:
        assert e["reason"], e
print("# " + "; ".join("%s %s %s %s" % (e["name"], e["status"], e["multiplexed"], e["reason"]) for e in d["counters"]["events"]))
PYEOF
ok $? "forced multiplexing is recorded, or PAPI's refusal is"
finish
