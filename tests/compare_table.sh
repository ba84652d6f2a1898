#!/bin/sh
# compare's verdict table, transition by transition: every pair of statuses
# (PASS, FAIL, SKIP, MISTRUSTED) from BASE to NEW, and timed changes on
# either side of the threshold, from a planted database (tests/plant.py).
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
if ! "$PY" -c 'import sqlite3, json' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3 and json is needed to plant the database"
	exit 0
fi
plan 4
db="$T/t.db"
"$PY" - >"$T/spec.json" <<'PYEOF'
import json
S = ["PASS", "FAIL", "SKIP", "MISTRUSTED"]
def res(name, status, mean=None, seed=0):
    r = {"problem": "gemm m=%d n=8 k=8" % (10 + name), "name": "p%02d" % name,
         "kernel": "bgemm_planted", "status": status}
    if status in ("PASS", "MISTRUSTED"):
        r["normal"] = [mean or 100e3, 300, 30, seed]
    else:
        r["reason"] = "planted"
    return r
base, new = [], []
i = 0
for a in S:
    for b in S:
        base.append(res(i, a, seed=i))
        new.append(res(i, b, seed=100 + i))
        i += 1
# Timed, both PASS: 3% and 4.9% slower (within the 5% threshold), 6% and 10%
# slower, 6% faster (tight samples: significant), 3% and 4.9% faster (within
# the threshold).
for j, f in enumerate([1.03, 1.049, 1.06, 1.10, 0.94, 0.97, 0.951]):
    base.append(res(50 + j, "PASS", 100e3, 500 + j))
    new.append(res(50 + j, "PASS", 100e3 * f, 600 + j))
print(json.dumps({"runs": [{"results": base}, {"results": new}]}))
PYEOF
"$PY" "$srcdir/tests/plant.py" "$srcdir/results/schema.sql" "$db" <"$T/spec.json"
ok $? "planted every pair of statuses and seven timed changes"
"$B" compare --all --db "$db" 1 2 >"$T/out" 2>"$T/err"
rc=$?
# Expected: PASS to anything else and anything to FAIL regress; to PASS from
# anything else improves; any other change, and no change, is UNCHANGED.
"$PY" - "$T/out" <<'PYEOF'
import re, sys
S = ["PASS", "FAIL", "SKIP", "MISTRUSTED"]
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"^(p\d\d) +bgemm_planted .*  (IMPROVED|REGRESSED|UNCHANGED|NOISY|NEW|MISSING) ", line)
    if m:
        rows[m.group(1)] = m.group(2)
bad = []
i = 0
for a in S:
    for b in S:
        if a == b:
            want = "UNCHANGED"
        elif (a == "PASS" and b != "PASS") or b == "FAIL":
            want = "REGRESSED"
        elif b == "PASS":
            want = "IMPROVED"
        else:
            want = "UNCHANGED"
        got = rows.get("p%02d" % i)
        if got != want:
            bad.append("%s -> %s: %s, want %s" % (a, b, got, want))
        i += 1
assert not bad, bad
PYEOF
ok $? "every pair of statuses gets the verdict of the table"
diag "$T/out"
"$PY" - "$T/out" <<'PYEOF'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"^(p5\d) +bgemm_planted .*  (IMPROVED|REGRESSED|UNCHANGED|NOISY) ", line)
    if m:
        rows[m.group(1)] = m.group(2)
want = {"p50": "UNCHANGED", "p51": "UNCHANGED", "p52": "REGRESSED", "p53": "REGRESSED",
        "p54": "IMPROVED", "p55": "UNCHANGED", "p56": "UNCHANGED"}
assert rows == want, rows
PYEOF
ok $? "timed: 3% and 4.9% slower or faster are within the 5% threshold; 6% and 10% slower regress; 6% faster improves"
[ $rc -eq 1 ]
ok $? "and the exit status is 1 (exit $rc)"
finish
