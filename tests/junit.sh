#!/bin/sh
# JUnit XML for CI: `run --junit FILE` (from the run's outcomes, with and
# without a database, the suite shorthand too) and `compare --junit FILE`.
# Every file is validated against tests/junit.xsd (python3's xmlschema, else
# xmllint --schema) and its counts must be the run's summary and compare's
# verdicts; an unwritable FILE is refused before anything runs. A run's FAIL
# comes from the selftest's mutants (BNNBENCH_TEST_MUTANTS=1), its SKIPs from
# capping the ISA (BNNBENCH_ISA=generic).
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import sqlite3, json, xml.etree.ElementTree' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3, json and xml.etree is needed"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
if ! jv=$(junit_validator); then
	echo "1..0 # SKIP neither python3's xmlschema nor xmllint is here to validate JUnit XML"
	exit 0
fi
plan 20
echo "# JUnit files validated with: $jv"

# The summary line's counts as "TESTS FAILURES SKIPPED 0" (failures: FAIL and
# MISTRUSTED), as junit_check prints its totals.
summary_counts() {
	sed -n 's/^summary: \([0-9]*\) PASS, \([0-9]*\) FAIL, \([0-9]*\) SKIP, \([0-9]*\) MISTRUSTED.*/\1 \2 \3 \4/p' "$1" |
		{ read -r p f s m && echo "$((p + f + s + m)) $((f + m)) $s 0"; }
}
mut() { BNNBENCH_TEST_MUTANTS=1 BNNBENCH_ISA=generic "$@"; }
one='gemm m=8 n=8 k=65'

# Refused before the run: nothing printed on stdout, no database made.
mut "$B" run --db "$T/no.db" --check-only --junit "$T/missing/dir/r.xml" "$one" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q -- "--junit $T/missing/dir/r.xml: cannot be created" "$T/err" &&
	! [ -s "$T/out" ] && ! [ -e "$T/no.db" ]
ok $? "run --junit into a missing folder: exit 2 before the run (exit $rc)"
mkdir "$T/adir"
"$B" --suite conformance --no-db --junit "$T/adir" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q -- "--junit $T/adir: is a folder" "$T/err" && ! [ -s "$T/out" ]
ok $? "--suite X --junit FOLDER: exit 2 before the run (exit $rc)"
"$B" probe --no-db --junit "$T/p.xml" >"$T/out" 2>"$T/err"
[ $? -eq 2 ] && grep -q -- "--junit is an option of run" "$T/err" && ! [ -e "$T/p.xml" ]
ok $? "probe --junit is refused (no test cases)"

# --no-db: the file is written from memory.
mut "$B" run --no-db --check-only --no-peers --kernel 'bgemm_xor_popc__*' "$one" \
	--junit "$T/nodb.xml" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'FAIL' "$T/out" && [ -s "$T/nodb.xml" ]
ok $? "a run with --no-db and failing kernels: exit 1 and the JUnit file ($rc)"
junit_check "$T/nodb.xml" >"$T/counts" 2>"$T/err"
ok $? "the file validates against tests/junit.xsd, counts matching its cases"
diag "$T/err"
want=$(summary_counts "$T/out") got=$(cat "$T/counts")
[ -n "$want" ] && [ "$want" = "$got" ]
ok $? "tests, failures, skipped are the run's summary ($got; summary $want)"
set -- $got
[ "$2" -ge 1 ] && [ "$3" -ge 1 ]
ok $? "with at least one failure and one skip ($2 and $3)"
# Each FAIL line of the output is a <failure type="FAIL"> whose text is the
# repro line printed under it.
"$PY" - "$T/nodb.xml" "$T/out" <<'PYEOF'
import re, sys
import xml.etree.ElementTree as ET
cases = {tc.get("name").split("/", 1)[1]: tc for tc in ET.parse(sys.argv[1]).iter("testcase")}
lines = open(sys.argv[2]).read().splitlines()
fails = 0
for i, l in enumerate(lines):
    m = re.match(r"^\[ *\d+/\d+\] \S+ +(\S+) +FAIL", l)
    if not m:
        continue
    fails += 1
    f = cases[m.group(1)].find("failure")
    assert f is not None and f.get("type") == "FAIL", m.group(1)
    assert f.get("message") == lines[i + 1].strip(), (f.get("message"), lines[i + 1])
    assert "repro: " + f.text == lines[i + 2].strip(), (f.text, lines[i + 2])
    assert f.text.startswith("bnnbench run ") and "--kernel " + m.group(1) in f.text
assert fails >= 1
for tc in cases.values():
    s = tc.find("skipped")
    assert s is None or s.get("message"), tc.get("name")
    assert tc.get("classname") == "bnnbench.gemm"
PYEOF
ok $? "every FAIL is a failure with the printed reason and repro line; every skip has its reason"

# With a database and the suite shorthand: the same cases as the export of
# the stored run, and the suite named as export names it.
printf '%s\n' 'gemm m=8 n=8 k=65 name=a' 'gemm m=3 n=5 k=129 name=b' >"$T/two.suite"
mut "$B" --suite "$T/two.suite" --db "$T/r.db" --check-only --no-peers \
	--kernel 'bgemm_xor_popc__*' --junit "$T/suite.xml" >"$T/out2" 2>&1
rc=$?
[ $rc -eq 1 ] && [ -s "$T/suite.xml" ]
ok $? "bnnbench --suite FILE --db PATH --junit FILE: exit 1 (FAILs) and the file ($rc)"
JUNIT_CASES=1 junit_check "$T/suite.xml" >"$T/suite.cases" 2>"$T/err" &&
	[ "$(head -n 1 "$T/suite.cases")" = "$(summary_counts "$T/out2")" ]
ok $? "it validates; its counts are the run's summary ($(head -n 1 "$T/suite.cases"))"
diag "$T/err"
"$B" export --db "$T/r.db" --format junit -o "$T/export.xml" latest &&
	JUNIT_CASES=1 junit_check "$T/export.xml" >"$T/export.cases" &&
	cmp -s "$T/suite.cases" "$T/export.cases"
ok $? "export --format junit of the stored run has the same cases and outcomes"
"$PY" - "$T/suite.xml" "$T/export.xml" "$T/two.suite" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET
a, b = (ET.parse(f).find("testsuite") for f in sys.argv[1:3])
assert a.get("name") == b.get("name") == "run 1: " + sys.argv[3], (a.get("name"), b.get("name"))
fa = [tc.find("failure") for tc in a.iter("testcase")]
fb = [tc.find("failure") for tc in b.iter("testcase")]
assert [(f.get("message"), f.text) for f in fa if f is not None] == \
       [(f.get("message"), f.text) for f in fb if f is not None]
PYEOF
ok $? "the same suite name, failure reasons and repro lines"

# The schema is no formality: a time that is not a decimal does not pass.
sed '0,/time="[0-9.]*"/s//time="NaN"/' "$T/nodb.xml" >"$T/bad.xml"
! junit_check "$T/bad.xml" >/dev/null 2>&1
ok $? "a file with time=\"NaN\" fails the validation"

# compare --junit on planted runs: 1 base; 2 with a 10% slowdown, a 10%
# speedup, a PASS that FAILs, a pair gone and one new; 3 the same timings
# with the machine's probed peak 20% lower (NOISY); 4 a run that failed.
"$PY" - >"$T/spec.json" <<'PYEOF'
import json
def r(name, mean=None, seed=0, status="PASS"):
    x = {"problem": "gemm m=%d n=8 k=8" % (10 + sum(map(ord, name)) % 50), "name": name,
         "kernel": "bgemm_planted", "status": status}
    if mean:
        x["normal"] = [mean, 1000, 30, seed]
    else:
        x["reason"] = "planted: not run here"
        x["repro"] = "bnnbench run --kernel bgemm_planted 'gemm m=8 n=8 k=8'"
    return x
base = [r("slow", 100e3, 1), r("fast", 100e3, 2), r("same", 100e3, 3), r("flag", 50e3, 4),
        r("gone", 10e3, 5), r("off", status="SKIP")]
new = [r("slow", 110e3, 11), r("fast", 90e3, 12), r("same", 100e3, 13), r("flag", status="FAIL"),
       r("fresh", 10e3, 15), r("off", status="SKIP")]
print(json.dumps({"runs": [{"results": base}, {"results": new}, {"results": new},
                           {"results": new, "status": "failed"}]}))
PYEOF
db="$T/planted.db"
"$PY" "$srcdir/tests/plant.py" "$srcdir/results/schema.sql" "$db" <"$T/spec.json" &&
	"$PY" - "$db" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for c in ("rounds INTEGER", "quiet INTEGER", "quiet_json TEXT"):
    db.execute("ALTER TABLE run ADD COLUMN " + c)
for rid, peak in ((1, 1.0), (3, 0.8)):
    db.execute("UPDATE run SET quiet_json = ? WHERE id = ?",
               ('{"probe_start": %g, "probe_end": %g}' % (peak, peak), rid))
db.commit()
PYEOF
ok $? "planted 4 runs"

"$B" compare --db "$db" --json 1 2 >"$T/cmp.json" 2>/dev/null
# cmp_junit BASE NEW FILE [options]: compare --junit FILE, exit status in rc.
cmp_junit() {
	b=$1 n=$2 f=$3
	shift 3
	"$B" compare --db "$db" --junit "$f" "$@" "$b" "$n" >"$T/cmp.out" 2>"$T/cmp.err"
	rc=$?
}
cmp_junit 1 2 "$T/c12.xml"
[ $rc -eq 1 ] && JUNIT_CASES=1 junit_check "$T/c12.xml" >"$T/c12.cases" 2>"$T/err"
ok $? "compare --junit with a REGRESSED pair: exit 1, the file validates (exit $rc)"
diag "$T/err"
# Each pair's case from compare's own JSON verdicts, by the rule of
# bnnbench(1): REGRESSED, MISSING and a new FAIL fail; a new SKIP is
# skipped; the rest pass.
"$PY" - "$T/cmp.json" "$T/c12.cases" "$T/c12.xml" <<'PYEOF'
import json, sys
import xml.etree.ElementTree as ET
rows = json.load(open(sys.argv[1]))["rows"]
want = {}
for w in rows:
    v, ns = w["verdict"], w["new_status"]
    if v in ("REGRESSED", "MISSING") or ns in ("FAIL", "MISTRUSTED"):
        want[w["problem"] + "/" + w["kernel"]] = ("failure", v if v in ("REGRESSED", "MISSING") else ns)
    elif ns == "SKIP":
        want[w["problem"] + "/" + w["kernel"]] = ("skipped", "-")
    else:
        want[w["problem"] + "/" + w["kernel"]] = ("pass", "-")
lines = open(sys.argv[2]).read().split("\n")
totals = list(map(int, lines[0].split()))
got = {l.split(" ", 2)[2]: tuple(l.split(" ", 2)[:2]) for l in lines[1:] if l}
assert got == want, (got, want)
fails = sum(1 for o, _ in want.values() if o == "failure")
skips = sum(1 for o, _ in want.values() if o == "skipped")
assert totals == [len(rows), fails, skips, 0], (totals, len(rows), fails, skips)
assert {v for o, v in want.values() if o == "failure"} == {"REGRESSED", "MISSING"}
tc = {t.get("name"): t for t in ET.parse(sys.argv[3]).iter("testcase")}
f = tc["slow/bgemm_planted"].find("failure")
assert f.get("message").startswith("REGRESSED: +") and "95% CI [+" in f.get("message"), f.get("message")
assert tc["slow/bgemm_planted"].get("classname") == "bnnbench.compare.gemm"
f = tc["flag/bgemm_planted"].find("failure")
assert "PASS -> FAIL" in f.get("message") and f.text.startswith("bnnbench run"), (f.get("message"), f.text)
assert "IMPROVED: -" in tc["fast/bgemm_planted"].find("system-out").text
assert tc["gone/bgemm_planted"].find("failure").get("type") == "MISSING"
PYEOF
ok $? "a case per pair: REGRESSED (change and interval) and MISSING fail, IMPROVED passes, SKIP skipped; counts are compare's"

cmp_junit 1 3 "$T/c13.xml"
JUNIT_CASES=1 junit_check "$T/c13.xml" >"$T/c13.cases" 2>"$T/err" &&
	[ "$(grep -c '^skipped - \(slow\|fast\)/' "$T/c13.cases")" -eq 2 ] &&
	grep -q ' NOISY ' "$T/cmp.out"
ok $? "NOISY pairs (the machine's peak moved 20%) are skipped"
cmp_junit 1 3 "$T/c13s.xml" --strict
JUNIT_CASES=1 junit_check "$T/c13s.xml" >"$T/c13s.cases" 2>"$T/err" &&
	[ "$(grep -c '^failure NOISY \(slow\|fast\)/' "$T/c13s.cases")" -eq 2 ] && [ $rc -eq 1 ]
ok $? "with --strict they fail, as the exit status does (exit $rc)"
cmp_junit 1 4 "$T/c14.xml"
JUNIT_CASES=1 junit_check "$T/c14.xml" >"$T/c14.cases" 2>"$T/err" &&
	grep -q '^failure UNFIT new run/status$' "$T/c14.cases" && [ $rc -eq 1 ]
ok $? "a new run that failed adds a failing case, as it fails the exit status (exit $rc)"
cmp_junit 1 2 "$T/missing/c.xml"
[ $rc -eq 2 ] && grep -q -- '--junit .*: cannot be created' "$T/cmp.err" && ! [ -s "$T/cmp.out" ]
ok $? "compare --junit into a missing folder: exit 2, nothing compared (exit $rc)"
finish
