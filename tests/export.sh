#!/bin/sh
# bnnbench export: CSV that Python's csv module reads back field for field,
# and JSON in Google Benchmark's format with the fields its compare.py
# reads; names, reasons and command lines with quotes, commas, newlines and
# markup survive both; every row and entry says its kind, which --kind
# filters on; JUnit XML whose counts are the run's.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import sqlite3, json, csv' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3, json and csv is needed to read the exports"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
plan 21
db="$T/real.db"
"$B" run --db "$db" --min-time 0.01 --probe-time 0.02 -q 'gemm m=32 n=32 k=200' \
	'conv h=6 c=8 k=4 pad=1' 'gemm m=4 n=4 k=4096 name=tiny' >/dev/null 2>&1
ok $? "a real short run"

"$B" export --db "$db" --format json -o "$T/run.json" >"$T/out" 2>&1
ok $? "export --format json -o FILE"
"$PY" - "$T/run.json" "$db" <<'PYEOF'
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
ctx = d["context"]
for k in ("date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "caches",
          "cpu_scaling_enabled", "library_build_type"):
    assert k in ctx, k
assert ctx["num_cpus"] >= 1 and isinstance(ctx["caches"], list)
assert ctx["machine_fingerprint"] == db.execute("SELECT fingerprint FROM machine").fetchone()[0]
assert len(ctx["probes"]) == db.execute("SELECT count(*) FROM result WHERE kind = 'probe'").fetchone()[0] > 0
timed = db.execute("""SELECT coalesce(p.name, p.canonical) || '/' || r.kernel, r.nsamples, r.median_ns, r.id
                      FROM result r JOIN problem p ON p.id = r.problem_id
                      WHERE r.kind != 'probe' AND r.nsamples > 0""").fetchall()
assert len(timed) >= 6, timed
bench = d["benchmarks"]
# What compare.py reads: name, run_type, aggregate_name, time_unit, real_time, cpu_time.
for b in bench:
    assert b["run_type"] in ("iteration", "aggregate"), b
    assert "name" in b and "run_name" in b and "threads" in b and "repetitions" in b
    if not b.get("error_occurred"):
        assert b["time_unit"] == "ns" and b["real_time"] > 0 and b["cpu_time"] > 0, b
for name, n, median, rid in timed:
    its = [b for b in bench if b["name"] == name and b["run_type"] == "iteration"]
    assert len(its) == n and all(b["repetitions"] == n for b in its), (name, len(its), n)
    assert [b["repetition_index"] for b in its] == list(range(n))
    ns = [r[0] for r in db.execute("SELECT ns FROM sample WHERE result_id = ? ORDER BY idx", (rid,))]
    assert [b["real_time"] for b in its] == ns, name
    aggs = {b["aggregate_name"]: b for b in bench if b["run_name"] == name and b["run_type"] == "aggregate"}
    assert set(aggs) == {"mean", "median", "stddev", "cv"}, aggs.keys()
    assert aggs["median"]["name"] == name + "_median"
    assert abs(aggs["median"]["real_time"] - median) <= 1e-9 * median, (aggs["median"], median)
    assert aggs["cv"]["aggregate_unit"] == "percentage"
untimed = db.execute("SELECT count(*) FROM result WHERE kind != 'probe' AND nsamples = 0").fetchone()[0]
assert len([b for b in bench if b.get("error_occurred")]) == untimed
# Every entry says its kind; probes are the context's, each with kind probe.
kinds = dict(db.execute("SELECT coalesce(p.name, p.canonical) || '/' || r.kernel, r.kind FROM result r"
                        " JOIN problem p ON p.id = r.problem_id WHERE r.kind != 'probe'").fetchall())
assert all(b["kind"] == kinds[b["run_name"]] for b in bench), [b for b in bench if "kind" not in b][:1]
assert {b["kind"] for b in bench} == {"kernel", "peer"}
assert all(p["kind"] == "probe" for p in ctx["probes"])
PYEOF
ok $? "the JSON parses; context and benchmarks carry the fields Google Benchmark's compare.py reads; every sample is a repetition; the median aggregate is the stored median"

"$B" export --db "$db" --format csv >"$T/run.csv" 2>"$T/err"
ok $? "export --format csv (the default format) to stdout"
"$PY" - "$T/run.csv" "$db" <<'PYEOF'
import csv, sqlite3, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
db = sqlite3.connect(sys.argv[2])
n = db.execute("SELECT count(*) FROM result").fetchone()[0]
assert len(rows) == n, (len(rows), n)
for r in rows:
    med = db.execute("SELECT median_ns FROM result r JOIN problem p ON p.id = r.problem_id WHERE p.canonical = ? AND r.kernel = ?",
                     (r["canonical"], r["kernel"])).fetchone()[0]
    assert (r["median_ns"] == "" and med is None) or float(r["median_ns"]) == med, (r, med)
    ns = db.execute("SELECT nsamples FROM result r JOIN problem p ON p.id = r.problem_id WHERE p.canonical = ? AND r.kernel = ?",
                    (r["canonical"], r["kernel"])).fetchone()[0]
    assert int(r["nsamples"]) == ns, (r["nsamples"], ns)
assert {r["kind"] for r in rows} == {"kernel", "peer", "probe"}
assert any(int(r["nsamples"]) > 0 for r in rows)
PYEOF
ok $? "the CSV parses with Python's csv module: one row per result, medians and sample counts exact"

# Awkward text: quotes, commas, newlines, backslashes, markup, a tab.
cat >"$T/spec.json" <<'JSON'
{"runs": [{"command_line": "bnnbench --kernel '*\"x\"*' a,b <b>&amp; \\ end", "host": "node \"7\"",
  "results": [{"problem": "gemm m=3 n=3 k=3", "name": "odd, \"name\"", "kernel": "k<1>",
               "status": "FAIL", "reason": "line one,\nline \"two\"\tand\\back"},
              {"problem": "gemm m=4 n=4 k=4", "name": "plain", "kernel": "k2", "samples": [1000, 1100, 1050]}]}]}
JSON
"$PY" "$srcdir/tests/plant.py" "$srcdir/results/schema.sql" "$T/odd.db" <"$T/spec.json"
"$B" export --db "$T/odd.db" --format csv >"$T/odd.csv" &&
	"$B" export --db "$T/odd.db" --format json >"$T/odd.json"
ok $? "export of awkward text"
"$PY" - "$T/odd.csv" "$T/odd.json" "$T/spec.json" <<'PYEOF'
import csv, json, sys
spec = json.load(open(sys.argv[3]))["runs"][0]
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert rows[0]["problem"] == 'odd, "name"' and rows[0]["kernel"] == "k<1>"
assert rows[0]["reason"] == spec["results"][0]["reason"], repr(rows[0]["reason"])
d = json.load(open(sys.argv[2]))
assert d["context"]["command_line"] == spec["command_line"]
assert d["context"]["host_name"] == spec["host"]
err = [b for b in d["benchmarks"] if b.get("error_occurred")]
assert len(err) == 1 and err[0]["name"] == 'odd, "name"/k<1>'
assert err[0]["error_message"] == "FAIL: " + spec["results"][0]["reason"]
assert [b["real_time"] for b in d["benchmarks"] if b["run_type"] == "iteration" and not b.get("error_occurred")] == [1000, 1100, 1050]
PYEOF
ok $? "quotes, commas, newlines, tabs and backslashes survive CSV and JSON"

"$B" export --db "$db" 1 latest >"$T/two.csv" 2>&1
ok $? "csv takes several runs"
expect_fail 2 "json takes one run" "json refuses several runs" -- "$B" export --db "$db" --format json 1 1
expect_fail 2 "--format: 'xml' is not csv, json or junit" "unknown format" -- "$B" export --db "$db" --format xml
"$B" export --db "$db" --format json -o "$T/none.json" 42 >/dev/null 2>&1
[ $? -eq 2 ] && [ ! -e "$T/none.json" ]
ok $? "a run that does not exist: exit 2 and no output file"
# Google Benchmark's own compare.py (Debian libbenchmark-tools, needs scipy)
# reads two exports, and its change of the median is the one bnnbench
# compare computes.
GBC=${GBENCH_COMPARE:-/usr/share/benchmark/compare.py}
SPY=
for py in /usr/bin/python3 "$PY" python3; do
	if "$py" -c 'import scipy' 2>/dev/null; then SPY=$py; break; fi
done
if [ -f "$GBC" ] && [ -n "$SPY" ]; then
	"$B" run --db "$db" --min-time 0.01 --no-probe -q 'gemm m=32 n=32 k=200' \
		'conv h=6 c=8 k=4 pad=1' 'gemm m=4 n=4 k=4096 name=tiny' >/dev/null 2>&1
	"$B" export --db "$db" --format json 1 >"$T/r1.json" &&
		"$B" export --db "$db" --format json 2 >"$T/r2.json" &&
		"$B" compare --db "$db" --json 1 2 >"$T/ours.json"
	"$SPY" "$GBC" --no-color benchmarks "$T/r1.json" "$T/r2.json" >"$T/gb.txt" 2>&1
	rc=$?
	"$PY" - "$T/gb.txt" "$T/ours.json" <<'PYEOF'
import json, sys
gb = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 3 and f[0].endswith("_median"):
        gb[f[0][:-len("_median")]] = float(f[1])
ours = json.load(open(sys.argv[2]))["rows"]
timed = [r for r in ours if r["change"] is not None]
assert len(timed) >= 6 and len(gb) == len(timed), (len(gb), len(timed))
for r in timed:
    name = r["problem"] + "/" + r["kernel"]
    assert abs(gb[name] - r["change"]) < 6e-5, (name, gb[name], r["change"])
PYEOF
	ok $(( rc || $? )) "Google Benchmark's compare.py reads the exports; its median changes equal bnnbench compare's"
	[ $rc -eq 0 ] || diag "$T/gb.txt"
else
	skip "Google Benchmark's compare.py ($GBC) or scipy is not installed (Debian: libbenchmark-tools python3-scipy)"
fi
# A file name that is not UTF-8 (names of problems and kernels are checked
# on input, paths are not): JSON must stay valid, so its byte becomes '?'.
odd="$T/$(printf 'r\376s').db"
cp "$T/odd.db" "$odd" &&
	"$B" export --db "$odd" --format json >"$T/bytes.json" &&
	"$B" compare --db "$odd" --json 1 1 >"$T/bytes-cmp.json"
"$PY" - "$T/bytes.json" "$T/bytes-cmp.json" <<'PYEOF'
import json, sys
for f, get in ((sys.argv[1], lambda d: d["context"]["bnnbench_database"]),
               (sys.argv[2], lambda d: d["base"]["database"])):
    d = json.loads(open(f, "rb").read().decode("utf-8"))   # strict UTF-8
    assert get(d).endswith("/r?s.db"), get(d)
PYEOF
ok $? "a database path that is not UTF-8: export's and compare's JSON are strict UTF-8, the byte written as '?'"
# JUnit XML for CI: one test case per kernel or peer result, SKIP and FAIL marked.
"$B" export --db "$db" --format junit -o "$T/j.xml" &&
	"$B" export --db "$T/odd.db" --format junit -o "$T/odd.xml"
ok $? "export --format junit"
"$PY" - "$T/j.xml" "$db" "$T/odd.xml" <<'PYEOF'
import sqlite3, sys, xml.etree.ElementTree as ET
db = sqlite3.connect(sys.argv[2])
cases = ET.parse(sys.argv[1]).findall(".//testcase")
last = "run_id = (SELECT max(id) FROM run) AND kind != 'probe'"   # no RUN: the latest
n = db.execute("SELECT count(*) FROM result WHERE " + last).fetchone()[0]
skips = db.execute("SELECT count(*) FROM result WHERE status = 'SKIP' AND " + last).fetchone()[0]
fails = db.execute("SELECT count(*) FROM result WHERE status IN ('FAIL', 'MISTRUSTED') AND " + last).fetchone()[0]
assert len(cases) == n, (len(cases), n)
assert sum(c.find("skipped") is not None for c in cases) == skips
assert sum(c.find("failure") is not None for c in cases) == fails
odd = ET.parse(sys.argv[3]).getroot()   # names with quotes, <, & parse back
assert len(odd.findall(".//testcase")) >= 1
PYEOF
ok $? "the JUnit XML parses: a test case per result, skipped and failures as stored, odd names escaped"
"$B" export --db "$db" --format junit -o "$T/all.xml" 1 latest &&
	"$PY" - "$T/all.xml" "$db" <<'PYEOF'
import sqlite3, sys, xml.etree.ElementTree as ET
db = sqlite3.connect(sys.argv[2])
suites = ET.parse(sys.argv[1]).getroot().findall("testsuite")
assert len(suites) == 2
last = db.execute("SELECT max(id) FROM run").fetchone()[0]   # 2 where compare.py ran above, else 1
for rid, s in zip((1, last), suites):
    q = lambda w: db.execute("SELECT count(*) FROM result WHERE run_id = ? AND kind != 'probe'" + w, (rid,)).fetchone()[0]
    cases = s.findall("testcase")
    want = (q(""), q(" AND status IN ('FAIL', 'MISTRUSTED')"), q(" AND status = 'SKIP'"))
    got = (int(s.get("tests")), int(s.get("failures")), int(s.get("skipped")))
    assert got == want and len(cases) == want[0], (rid, got, want, len(cases))
    assert sum(c.find("skipped") is not None for c in cases) == want[2]
    assert sum(c.find("failure") is not None for c in cases) == want[1]
    assert int(s.get("errors")) == 0
PYEOF
ok $? "JUnit of runs 1 and latest: per run a testsuite whose tests, failures and skipped equal the run's counts"
if junit_validator >/dev/null; then
	junit_check "$T/j.xml" "$T/odd.xml" "$T/all.xml" >/dev/null 2>"$T/err"
	ok $? "the JUnit files (odd names too) validate against tests/junit.xsd ($(junit_validator))"
	diag "$T/err"
else
	skip "neither python3's xmlschema nor xmllint is here to validate against tests/junit.xsd"
fi
# --kind: the rows of the kinds asked for.
"$B" export --db "$db" --kind probe 1 >"$T/probes.csv" &&
	"$B" export --db "$db" --kind kernel,peer 1 >"$T/noprobes.csv" &&
	"$B" export --db "$db" --format json --kind probe 1 >"$T/probes.json"
ok $? "export --kind"
"$PY" - "$T/probes.csv" "$T/noprobes.csv" "$T/probes.json" "$db" <<'PYEOF'
import csv, json, sqlite3, sys
db = sqlite3.connect(sys.argv[4])
n = lambda w: db.execute("SELECT count(*) FROM result WHERE run_id = 1 AND " + w).fetchone()[0]
p = list(csv.DictReader(open(sys.argv[1], newline="")))
k = list(csv.DictReader(open(sys.argv[2], newline="")))
assert len(p) == n("kind = 'probe'") > 0 and {r["kind"] for r in p} == {"probe"}
assert len(k) == n("kind != 'probe'") and "probe" not in {r["kind"] for r in k}
d = json.load(open(sys.argv[3]))
assert d["benchmarks"] == [] and len(d["context"]["probes"]) == len(p)
PYEOF
ok $? "--kind probe: the probe rows alone (CSV) or the context's probes alone (JSON); --kind kernel,peer: none"
expect_fail 2 "--kind: 'gpu' is not a list of kernel, peer and probe" "an unknown kind" -- \
	"$B" export --db "$db" --kind gpu
expect_fail 3 "$T/missing.db: No such file" "a database that does not exist is not created" -- \
	"$B" export --db "$T/missing.db"
finish
