#!/bin/sh
# An efficiency above 100% end to end: through show, report and export (CSV
# and JSON) it is a mistrusted peak with its raw ratio, never a valid
# efficiency. Two real runs, the second as another machine (so that the
# report's machines table, which prints efficiencies, has both), then in
# each run: the generic GEMM's result as a run stores one above its peak
# (peak_status 'mistrusted', efficiency NULL, the ratio in efficiency_raw),
# the example GEMM's as a database written before that rule holds it (the
# ratio in efficiency, no peak status). Planted values, never a speed.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
if ! "$PY" -c 'import sqlite3, csv, json' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3, csv and json is needed to plant and read"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
plan 6
G=bgemm_xor_popc__generic
E=bgemm_xor_popc__example_1x1
db="$T/one.db"
"$B" run --db "$db" --rounds 1 --min-time 0.01 --probe-time 0.02 --no-peers -q \
	--kernel 'bgemm_xor_popc__[ge][ex]*' 'gemm m=32 n=32 k=200' >"$T/out" 2>&1
rc=$?
cp "$db" "$T/other.db"
"$PY" - "$T/other.db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE machine SET fingerprint = 'feedfacefeedface', hostname = 'other', cpu_model = 'Other CPU'")
c.execute("UPDATE run SET host = 'other'")
c.commit()
PYEOF
"$B" merge "$db" "$T/other.db" -o "$T/fleet.db" >>"$T/out" 2>&1
mrc=$?
"$PY" - "$T/fleet.db" "$G" "$E" <<'PYEOF' 2>>"$T/out"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
g, e = sys.argv[2], sys.argv[3]
n = c.execute("UPDATE result SET efficiency = NULL, peak_status = 'mistrusted',"
              " efficiency_raw = 1.37 + 0.01 * (run_id - 1) WHERE kernel = ?", (g,)).rowcount
m = c.execute("UPDATE result SET efficiency = 1.52 + 0.01 * (run_id - 1), peak_status = NULL,"
              " efficiency_raw = NULL WHERE kernel = ?", (e,)).rowcount
assert n == 2 and m == 2, (n, m)
assert c.execute("SELECT count(DISTINCT machine_id) FROM run").fetchone()[0] == 2
c.commit()
PYEOF
prc=$?
[ $rc -eq 0 ] && [ $mrc -eq 0 ] && [ $prc -eq 0 ]
ok $? "two real runs of two machines, one result each above its peak as a run stores it and one as an older database holds it (exit $rc, merge $mrc, plant $prc)"
diag "$T/out"

# show: "peak mistrusted (N%)" in the efficiency column, never N%.
"$B" show --db "$T/fleet.db" 1 >"$T/s1" 2>&1 && "$B" show --db "$T/fleet.db" 2 >"$T/s2" 2>&1 &&
	grep -qE "$G .* peak mistrusted \(137%\)" "$T/s1" && grep -qE "$E .* peak mistrusted \(152%\)" "$T/s1" &&
	grep -qE "$G .* peak mistrusted \(138%\)" "$T/s2" && grep -qE "$E .* peak mistrusted \(153%\)" "$T/s2" &&
	! grep -qE '(13[78]|15[23])\.[0-9]%' "$T/s1" "$T/s2"
ok $? "show: both kinds of rows read 'peak mistrusted (N%)' in both runs, no efficiency above 100%"
diag "$T/s1"

# export: CSV and JSON carry the status and the raw ratio, no efficiency.
"$B" export --db "$T/fleet.db" --format csv 1 2 >"$T/x.csv" 2>"$T/err" &&
	"$PY" - "$T/x.csv" "$G" "$E" <<'PYEOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["kind"] == "kernel"]
got = sorted((r["run_id"], r["kernel"], r["efficiency"], r["peak_status"], float(r["efficiency_raw"]))
             for r in rows)
want = sorted((str(run), k, "", "mistrusted", raw + 0.01 * (run - 1))
              for run in (1, 2) for k, raw in ((sys.argv[2], 1.37), (sys.argv[3], 1.52)))
assert [g[:4] for g in got] == [w[:4] for w in want], got
assert all(abs(g[4] - w[4]) < 1e-9 for g, w in zip(got, want)), got
for r in csv.DictReader(open(sys.argv[1], newline="")):
    assert r["efficiency"] == "" or float(r["efficiency"]) <= 1, r
PYEOF
ok $? "export csv: the four rows have no efficiency, peak_status mistrusted and the raw ratio; no efficiency above 1"
diag "$T/err"
"$B" export --db "$T/fleet.db" --format json 1 >"$T/x1.json" 2>"$T/err" &&
	"$B" export --db "$T/fleet.db" --format json 2 >"$T/x2.json" 2>>"$T/err" &&
	"$PY" - "$T/x1.json" "$T/x2.json" <<'PYEOF'
import json, sys
raws = []
for path in sys.argv[1:]:
    d = json.load(open(path))
    med = [b for b in d["benchmarks"] if b.get("aggregate_name") == "median" and b["kind"] == "kernel"]
    assert len(med) == 2, med
    for b in med:
        assert b["efficiency"] is None and b["peak_status"] == "mistrusted", b
        raws.append(round(b["efficiency_raw"], 6))
    for b in d["benchmarks"]:
        assert b.get("efficiency") is None or b["efficiency"] <= 1, b
assert sorted(raws) == [1.37, 1.38, 1.52, 1.53], raws
PYEOF
ok $? "export json: efficiency null, peak_status mistrusted and efficiency_raw in each median entry; no efficiency above 1"
diag "$T/err"

# report: the runs table counts them; the machines table says so.
"$B" report --db "$T/fleet.db" -o "$T/rep" 1 2 >"$T/out" 2>&1
rc=$?   # 3 without gnuplot: the page is written all the same
{ [ $rc -eq 0 ] || [ $rc -eq 3 ]; } && [ -s "$T/rep/index.html" ]
ok $? "report of the two runs writes its page (exit $rc)"
diag "$T/out"
"$PY" - "$T/rep/index.html" <<'PYEOF'
import re, sys
h = open(sys.argv[1]).read()
counts = re.findall(r'<td class="num">(\d+)</td><td><code>', h)
assert counts == ["2", "2"], counts
sec = h[h.index('id="machines-problems"'):]
sec = sec[:sec.index("</table>")]
assert sec.count("(peak mistrusted)") == 2, sec
assert not re.search(r"\((\d+)%\)", sec) or all(int(x) <= 100 for x in re.findall(r"\((\d+)%\)", sec)), sec
assert not re.search(r"\((13[78]|15[23])%\)", h), re.search(r".{80}\((13[78]|15[23])%\).{20}", h)
PYEOF
ok $? "report: 2 peaks mistrusted in each run's row, '(peak mistrusted)' for each machine's best kernel, no efficiency above 100%"
finish
