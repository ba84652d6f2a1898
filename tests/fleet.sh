#!/bin/sh
# A fleet's flow as doc/reports-and-fleets.md gives it for Slurm: shards
# 1/N .. N/N of a suite, each into its own database, cover the suite
# exactly once; merged, they make one database whose report draws every
# shard's run and whose JUnit export counts every result once.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
need_python_sqlite "to read the shards"
plan 8
cat >"$T/small.suite" <<'EOF'
# Seven small problems of five ops: three shards of 3, 2 and 2.
gemm m=8 n=8 k=64
gemm m=16 n=8 k=130
gemm m=5 n=7 k=200
conv h=6 c=8 k=4 pad=1
conv h=5 w=7 c=16 k=8 kh=1
xnor mode=released h=6 c=5 k=3 pad=1
bwn h=6 c=8 k=4 pad=1
EOF
n=3 bad=0
for i in 1 2 3; do
	"$B" run --no-probe --min-time 0.002 -q --db "$T/node.$i.db" --shard $i/$n \
		--suite "$T/small.suite" >/dev/null 2>&1 || bad=$((bad + 1))
done
"$B" run --check-only -q --db "$T/whole.db" --suite "$T/small.suite" >/dev/null 2>&1 || bad=$((bad + 1))
[ $bad -eq 0 ]
ok $? "three shards and the whole suite run ($bad failed)"
"$PY" - "$T/whole.db" "$T"/node.1.db "$T"/node.2.db "$T"/node.3.db <<'PYEOF'
import sqlite3, sys
def pairs(f):
    db = sqlite3.connect(f)
    return db.execute("""SELECT p.canonical, r.kernel FROM result r JOIN problem p
                         ON p.id = r.problem_id WHERE r.kind != 'probe'""").fetchall()
whole = pairs(sys.argv[1])
shards = [pairs(f) for f in sys.argv[2:]]
allp = [x for s in shards for x in s]
assert len(allp) == len(set(allp)), "a (problem, kernel) in two shards"
assert set(allp) == set(whole) and len(allp) == len(whole), (len(allp), len(whole))
probs = [{c for c, _ in s} for s in shards]
assert all(probs) and sum(len(p) for p in probs) == 7 == len(set().union(*probs)), probs
for i, f in enumerate(sys.argv[2:]):
    suite = sqlite3.connect(f).execute("SELECT suite FROM run").fetchone()[0]
    assert suite.endswith("small.suite shard %d/3" % (i + 1)), suite
PYEOF
ok $? "shards 1/3, 2/3 and 3/3 hold every (problem, kernel) of the suite exactly once"
"$B" merge "$T"/node.*.db -o "$T/fleet.db" >/dev/null 2>&1
ok $? "merge the shards' databases"
"$B" report --db "$T/fleet.db" -o "$T/rep" >"$T/out" 2>&1
rc=$?
diag "$T/out"
[ $rc -eq 0 ] || [ $rc -eq 3 ]   # 3: no gnuplot, the data is still written
ok $? "one report of the merged database (exit $rc)"
"$PY" - "$T/fleet.db" "$T/rep" <<'PYEOF'
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
timed = db.execute("""SELECT count(*) FROM result WHERE kind != 'probe' AND median_ns > 0
                      AND status IN ('PASS', 'MISTRUSTED')""").fetchone()[0]
pts = [l for l in open(sys.argv[2] + "/roofline.dat") if l[0].isdigit()]
runs = {int(l.split()[3]) for l in pts}
assert len(pts) == timed and runs == {1, 2, 3}, (len(pts), timed, runs)
h = open(sys.argv[2] + "/index.html").read()
assert h.count('<table id="roofline-points">') == 1
assert len(re.findall(r'<tr><td class="num">\d+</td><td>[^<]*</td><td>[^<]*</td><td class="num">\d+</td><td>machine', h)) == timed
PYEOF
ok $? "the report's roofline draws every shard's timed results (plot data and table)"
"$B" export --db "$T/fleet.db" --format junit -o "$T/fleet.xml" 1 2 3 &&
	"$PY" - "$T/fleet.xml" "$T/fleet.db" <<'PYEOF'
import sqlite3, sys, xml.etree.ElementTree as ET
db = sqlite3.connect(sys.argv[2])
root = ET.parse(sys.argv[1]).getroot()
n = db.execute("SELECT count(*) FROM result WHERE kind != 'probe'").fetchone()[0]
sk = db.execute("SELECT count(*) FROM result WHERE kind != 'probe' AND status = 'SKIP'").fetchone()[0]
suites = root.findall("testsuite")
assert len(suites) == 3 and sum(int(s.get("tests")) for s in suites) == n == len(root.findall(".//testcase"))
assert sum(int(s.get("skipped")) for s in suites) == sk
PYEOF
ok $? "the fleet's JUnit counts every result once"
if junit_validator >/dev/null; then
	junit_check "$T/fleet.xml" >/dev/null 2>"$T/err"
	ok $? "the fleet's JUnit file and its counts validate against tests/junit.xsd ($(junit_validator))"
	diag "$T/err"
else
	skip "neither python3's xmlschema nor xmllint is here to validate against tests/junit.xsd"
fi
"$B" report --db "$T/fleet.db" --suite "$T/small.suite" -o "$T/rep2" >/dev/null 2>&1
rc=$?
{ [ $rc -eq 0 ] || [ $rc -eq 3 ]; } && grep -q '<p>3 runs of 1 machine' "$T/rep2/index.html"
ok $? "--suite SUITE keeps the suite's shards"
finish
