#!/bin/sh
# bnnbench report: from two real short runs, an index.html with the
# roofline, speedup and trend plots as gnuplot SVGs, their .gp and .dat
# beside them (re-plottable), the conformance tables; the ReActNet plot
# from reactnet_* problems when there are some; HTML escaping of names
# and command lines; a missing gnuplot is an error that keeps the data.
# tests/browser.sh opens the page in a real browser.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
GP=${BNNBENCH_GNUPLOT:-gnuplot}
if ! command -v "$GP" >/dev/null 2>&1; then
	echo "1..0 # SKIP gnuplot is not installed (Debian: gnuplot-nox)"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
if ! "$PY" -c 'import sqlite3' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3 is needed to plant the ReActNet results"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
# The speedup plot needs a CPU peer of the gemm problem: a build without
# OpenBLAS (such as tools/gpu-run.sh's) has none.
if ! "$B" list 2>/dev/null | grep -q '^  sgemm__openblas '; then
	echo "1..0 # SKIP this build has no OpenBLAS sgemm peer, which the speedup plot needs"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
plan 23
db="$T/real.db" rep="$T/rep"
for i in 1 2; do
	"$B" run --db "$db" --min-time 0.01 --probe-time 0.02 -q 'gemm m=32 n=32 k=512' \
		'conv h=8 c=32 k=16 pad=1' >/dev/null 2>&1 || echo "# real run $i failed"
done
"$B" report --db "$db" -o "$rep" >"$T/out" 2>&1
ok $? "report from two real runs exits 0"
diag "$T/out"
n=0
for f in index.html roofline.gp roofline.dat roofline.svg speedup.gp speedup.dat speedup.svg \
	trends.gp trends.dat trends.svg; do
	[ -s "$rep/$f" ] && n=$((n + 1))
done
[ $n -eq 10 ]
ok $? "index.html and the .gp, .dat and .svg of roofline, speedup and trends ($n of 10)"
n=0
for f in roofline speedup trends; do
	grep -q '<svg' "$rep/$f.svg" && grep -q "src=\"$f.svg\"" "$rep/index.html" && n=$((n + 1))
done
[ $n -eq 3 ]
ok $? "each plot is an SVG and the page shows it"
timed=$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM result WHERE run_id = 2 AND kind != \"probe\" AND median_ns IS NOT NULL AND status IN (\"PASS\", \"MISTRUSTED\")").fetchone()[0])' "$db")
pts=$(grep -c '^[0-9]' "$rep/roofline.dat")
[ "$pts" -eq "$timed" ] && [ "$pts" -ge 6 ]
ok $? "the roofline has one point per timed result of the headline run ($pts of $timed)"
grep -q 'roof xorpopc avx2' "$rep/roofline.gp" && grep -q 'GB/s' "$rep/roofline.gp"
ok $? "the roofline draws the probed XOR-popcount peaks and the memory bandwidth"
grep -q 'sgemm__openblas' "$rep/speedup.dat" && grep -q '^"gemm_m32_n32_k512" "bgemm_xor_popc__[a-z0-9_]*" "sgemm__openblas" [0-9.e+-]* 1 [0-9.e+-]* [0-9.e+-]*$' "$rep/speedup.dat"
ok $? "speedup: the best kernel of each problem against each peer"
[ "$(grep -c '^[0-9]' "$rep/trends.dat")" -eq 2 ]
ok $? "trends: one row per run"
grep -q 'No ReActNet results in these runs' "$rep/index.html" && [ ! -e "$rep/reactnet.svg" ]
ok $? "no ReActNet problems: the page says so"
grep -q '<h2 id="conformance">' "$rep/index.html" &&
	grep -q '<td>bgemm_xor_popc__avx2_2x4</td><td>kernel</td><td class="num">1</td><td class="num">0</td>' "$rep/index.html"
ok $? "the conformance tables count PASS, FAIL, SKIP, MISTRUSTED per run and per kernel"
mkdir "$T/replot" && cp "$rep"/*.gp "$rep"/*.dat "$T/replot/" &&
	(cd "$T/replot" && for f in *.gp; do "$GP" "$f" || exit 1; done) &&
	cmp -s "$T/replot/roofline.svg" "$rep/roofline.svg"
ok $? "the .gp and .dat files alone re-plot the same SVGs"

# Planted: ReActNet blocks, hostile text, a failure.
cat >"$T/spec.json" <<'JSON'
{"runs": [{"command_line": "bnnbench '<script>alert(1)</script>' & \"more\"", "host": "h<i>",
  "results": [
   {"problem": "conv n=1 h=14 w=14 c=64 k=64 kh=3 kw=3 stride=1 pad=1 pad_value=0 dil=1 groups=1", "name": "reactnet_b1_conv3x3", "kernel": "bconv_a", "normal": [90000, 900, 20, 1]},
   {"problem": "conv n=1 h=14 w=14 c=64 k=64 kh=1 kw=1 stride=1 pad=0 pad_value=0 dil=1 groups=1", "name": "reactnet_b1_conv1x1", "kernel": "bconv_a", "normal": [30000, 300, 20, 2]},
   {"problem": "conv n=1 h=7 w=7 c=128 k=128 kh=3 kw=3 stride=1 pad=1 pad_value=0 dil=1 groups=1", "name": "reactnet_b2_conv3x3", "kernel": "bconv_a", "normal": [60000, 600, 20, 3]},
   {"problem": "rblock n=1 h=14 w=14 c=64 k=64 stride=1", "name": "reactnet_b1", "op": "rblock", "kernel": "rblock_a", "normal": [130000, 1000, 20, 4]},
   {"problem": "reactnet n=1 h=224 w=224", "name": "reactnet_a_b1", "op": "reactnet", "kernel": "reactnet_a", "normal": [5e6, 1e4, 10, 5]},
   {"problem": "gemm m=8 n=8 k=64", "name": "<script>alert(2)</script>", "kernel": "k&<b>", "status": "FAIL",
    "reason": "element 0: <img src=x onerror=alert(3)>", "repro": "bnnbench --kernel 'k&<b>'"}]}]}
JSON
"$PY" "$srcdir/tests/plant.py" "$srcdir/results/schema.sql" "$T/planted.db" <"$T/spec.json"
"$B" report --db "$T/planted.db" -o "$T/rep2" >"$T/out" 2>&1
ok $? "report of a planted run with ReActNet blocks"
diag "$T/out"
[ -s "$T/rep2/reactnet.svg" ] && grep -q '^# block conv3x3 conv1x1 block$' "$T/rep2/reactnet.dat" &&
	grep -Eq '^"b1" 90[0-9.]* (29|30)[0-9.]* 1(29|30)[0-9.]*$' "$T/rep2/reactnet.dat" &&
	grep -Eq '^"b2" [0-9.]+ 0 -$' "$T/rep2/reactnet.dat" && [ "$(grep -c '^"' "$T/rep2/reactnet.dat")" -eq 2 ]
ok $? "ReActNet: per block, each conv's latency stacked and the whole block's; the network is no block"
grep -Eq '<td>reactnet_a_b1</td><td>reactnet_a</td><td class="num">[45]\.[0-9]*</td>' "$T/rep2/index.html"
ok $? "the whole network's time is in its own table"
grep -q 'src="reactnet.svg"' "$T/rep2/index.html"
ok $? "and the page shows it"
h="$T/rep2/index.html"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;&#39; &amp; &quot;more&quot;' "$h" &&
	grep -q '&lt;script&gt;alert(2)&lt;/script&gt;' "$h" && grep -q 'k&amp;&lt;b&gt;' "$h" &&
	grep -q '&lt;img src=x onerror=alert(3)&gt;' "$h" && grep -q 'h&lt;i&gt;' "$h"
ok $? "names, reasons, repro and command lines are escaped"
! grep -q '<script>alert' "$h" && ! grep -q '<img src=x' "$h" && [ "$(grep -c '<script>' "$h")" -eq 1 ]
ok $? "no markup from the data reaches the page (only the page's own script)"
grep -q '<td class="bad">FAIL</td>' "$h"
ok $? "the failure is listed with its reason and repro"

BNNBENCH_GNUPLOT=/nonexistent/gnuplot "$B" report --db "$db" -o "$T/rep3" >"$T/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'could not be drawn' "$T/rep3/index.html" && [ -s "$T/rep3/roofline.dat" ] &&
	[ -s "$T/rep3/roofline.gp" ]
ok $? "without gnuplot: exit 3, the page says so, the .gp and .dat are written (exit $rc)"
expect_fail 2 "report needs -o DIR" "report without -o" -- "$B" report --db "$db"
expect_fail 3 "$T/none.db: No such file" "report of a database that does not exist" -- "$B" report --db "$T/none.db" -o "$T/x"
# Two machines: a copy of the real database as another machine, twice as
# slow, merged with the first: the machines section puts them side by side.
cp "$db" "$T/other.db"
"$PY" - "$T/other.db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE machine SET fingerprint = 'feedfacefeedface', hostname = 'other', cpu_model = 'Other CPU'")
c.execute("UPDATE run SET host = 'other'")
c.execute("UPDATE result SET median_ns = 2 * median_ns")
c.commit()
PYEOF
"$B" merge "$db" "$T/other.db" -o "$T/fleet.db" >/dev/null 2>&1 &&
	"$B" report --db "$T/fleet.db" -o "$T/rep3" >/dev/null 2>&1
ok $? "report of a fleet of two machines"
"$PY" - "$T/rep3/index.html" <<'PYEOF'
import re, sys
h = open(sys.argv[1]).read()
sec = h[h.index('id="machines"'):h.index('id="conformance"')]
assert "Other CPU" in sec and "(baseline)" in sec, sec[:400]
rows = re.findall(r"<tr><td>(gemm_m32_n32_k512|conv_[^<]*)</td>.*?<td class=\"num\">([0-9.]+)x</td></tr>", sec)
assert rows and all(abs(float(x) - 0.5) < 0.01 for _, x in rows), rows
PYEOF
ok $? "machines side by side: both machines, and the second at 0.50x of the baseline per problem"
"$B" report --db "$db" -o "$T/rep4" >/dev/null 2>&1 && grep -q 'All timed runs given come from one machine' "$T/rep4/index.html"
ok $? "one machine: the section says how to compare several"
finish
