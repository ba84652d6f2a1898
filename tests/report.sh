#!/bin/sh
# bnnbench report: from two real short runs, an index.html with the
# roofline, speedup and trend plots as gnuplot SVGs, their .gp and .dat
# beside them (re-plottable), the conformance tables; the roofline and the
# speedups draw every run given (two runs named, a merged database of two
# machines); the machines side by side, a column each; the ReActNet network
# by stage from its profile counters and each block alone beside its time
# inside the network; the filters; HTML escaping of names and command
# lines; a missing gnuplot is an error that keeps the data.
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
plan 37
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
# timed DB [RUNS]: the timed kernel and peer results (of the runs, a
# comma-separated list of ids; default all), all gemm or conv here, each a
# point of the roofline.
timed() {
	"$PY" - "$@" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
w = " AND run_id IN (%s)" % sys.argv[2] if len(sys.argv) > 2 else ""
print(db.execute("SELECT count(*) FROM result WHERE kind != 'probe' AND median_ns > 0"
                 " AND status IN ('PASS', 'MISTRUSTED')" + w).fetchone()[0])
PYEOF
}
# peerbars DB: (run, problem, peer) with a timed peer and a timed kernel.
peerbars() {
	"$PY" - "$1" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("""SELECT count(*) FROM result p WHERE p.kind = 'peer' AND p.median_ns > 0
  AND p.status IN ('PASS', 'MISTRUSTED') AND EXISTS (SELECT 1 FROM result k WHERE
  k.run_id = p.run_id AND k.problem_id = p.problem_id AND k.kind = 'kernel' AND k.median_ns > 0
  AND k.status IN ('PASS', 'MISTRUSTED'))""").fetchone()[0])
PYEOF
}
all=$(timed "$db")
pts=$(grep -c '^[0-9]' "$rep/roofline.dat")
rows=$(grep -o '<tr><td class="num">[0-9]*</td><td>[^<]*</td><td>[^<]*</td><td class="num">[0-9]*</td><td>machine' "$rep/index.html" | wc -l)
[ "$pts" -eq "$all" ] && [ "$rows" -eq "$all" ] && [ "$pts" -ge 12 ]
ok $? "the roofline draws every timed result of both runs ($pts points, $rows table rows, of $all)"
grep -q 'xorpopc avx2' "$rep/roofline.gp" && grep -q 'GB/s' "$rep/roofline.gp" &&
	[ "$(grep -c '^"[0-9,]*" ' "$rep/roofline.dat")" -eq 2 ] &&
	grep -q 'with labels' "$rep/roofline.gp" && grep -q '<table id="roofline-problems">' "$rep/index.html"
ok $? "the roofline draws the probed peaks and bandwidth, numbers the two problems and names them in a table"
"$PY" - "$rep/roofline.dat" "$rep/roofline.gp" <<'PYEOF'
import re, sys
pts = [tuple(map(float, l.split()[:2])) for l in open(sys.argv[1]) if l[0].isdigit()]
gp = open(sys.argv[2]).read()
x0, x1, y0, y1 = map(float, re.search(r"set xrange \[(\S+):(\S+)\]\nset yrange \[(\S+):(\S+)\]", gp).groups())
xs = [p[0] for p in pts]
ys = [p[1] for p in pts]
# Scaled to the data: on the log axes the points span at least a third of
# the frame's width, and the frame is no more than 2x beyond them.
assert x0 <= min(xs) and max(xs) <= x1 and y0 <= min(ys) and max(ys) <= y1, (x0, x1, y0, y1)
assert x0 >= min(xs) / 4 and x1 <= max(xs) * 4, (x0, x1, min(xs), max(xs))
assert y0 >= min(ys) / 4, (y0, min(ys))
PYEOF
ok $? "the roofline's frame is scaled to its points"
bars=$(peerbars "$db")
[ "$(grep -c '^[0-9]' "$rep/speedup.dat")" -eq "$bars" ] && [ "$bars" -ge 4 ] &&
	grep -Eq '^[0-9]+ [0-9.e+-]+ [0-9.e+-]+ [0-9.e+-]+ [0-9]+ [0-9.e+-]+ 2 "gemm_m32_n32_k512" "bgemm_xor_popc__[a-z0-9_]*" "sgemm__openblas"$' "$rep/speedup.dat" &&
	grep -q 'with vectors nohead' "$rep/speedup.gp"
ok $? "speedup: every (run, problem, peer) of both runs is a bar with its interval ($bars)"
[ "$(grep -c '^[0-9]' "$rep/trends.dat")" -eq 2 ] && "$PY" - "$rep/trends.dat" "$rep/trends.gp" <<'PYEOF'
import re, sys
head = [l for l in open(sys.argv[1]) if l.startswith("# index")][0].split('"')[-1].split()
series = head[0::3]
assert len(series) >= 2 and head[1::3] == [k + "_lo" for k in series], head
gp = open(sys.argv[2]).read()
bands = re.findall(r"with filledcurves lc rgb '(#[0-9a-f]{6})'", gp)
assert len(bands) == len(series), (len(bands), len(series))       # a band per series
assert len(set(bands)) == min(len(series), 12), bands             # a colour each
PYEOF
ok $? "trends: one row per run, a band and a colour per kernel"
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
[ -s "$T/rep2/reactnet.svg" ] && grep -q '^# block conv3x3 conv1x1 alone in_network$' "$T/rep2/reactnet.dat" &&
	grep -Eq '^"reactnet_b1" 90[0-9.]* (29|30)[0-9.]* 1(29|30)[0-9.]* 0$' "$T/rep2/reactnet.dat" &&
	[ "$(grep -c '^"' "$T/rep2/reactnet.dat")" -eq 1 ]
ok $? "ReActNet: per block, its convs matched by shape, stacked, beside the whole block; the network is no block"
grep -Eq '<td>reactnet_a_b1</td><td>reactnet_a</td><td class="num">1</td><td class="num">[45]\.[0-9]*</td>' "$T/rep2/index.html" &&
	grep -q 'has its stages profiled' "$T/rep2/index.html" && [ ! -e "$T/rep2/network.svg" ]
ok $? "the whole network's time is in its own table; without profile counters no breakdown"
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
fleet=$(timed "$T/fleet.db")
pts=$(grep -c '^[0-9]' "$T/rep3/roofline.dat")
[ "$pts" -eq "$fleet" ] && [ "$pts" -eq $((2 * all)) ] &&
	[ "$(grep -c '^# machine 1, kernel' "$T/rep3/roofline.dat")" -ge 1 ] &&
	[ "$(grep -c '^# machine 2, kernel' "$T/rep3/roofline.dat")" -ge 1 ]
ok $? "the fleet's roofline draws every run of both machines ($pts points of $fleet)"
bars=$(peerbars "$T/fleet.db")
[ "$(grep -c '^[0-9]' "$T/rep3/speedup.dat")" -eq "$bars" ] &&
	[ "$(sed -n 's/^[0-9][^"]* \([0-9]*\) "[^"]*" "[^"]*" "[^"]*"$/\1/p' "$T/rep3/speedup.dat" | sort -u | wc -l)" -eq 4 ]
ok $? "the fleet's speedups: a bar per (run, problem, peer) of all four runs ($bars)"
[ -s "$T/rep3/trends.svg" ] && [ -s "$T/rep3/trends_m2.svg" ]
ok $? "a trend per machine"
"$PY" - "$T/rep3/index.html" <<'PYEOF'
import re, sys
h = open(sys.argv[1]).read()
sec = h[h.index('id="machines"'):h.index('id="conformance"')]
assert "Other CPU" in sec and "the baseline" in sec, sec[:400]
rows = re.findall(r"<tr><td>(gemm_m32_n32_k512|conv_[^<]*)</td>.*?<td class=\"num\">([0-9.]+)x</td></tr>", sec)
assert rows and all(abs(float(x) - 0.5) < 0.01 for _, x in rows), rows
PYEOF
ok $? "machines side by side: both machines, and the second at 0.50x of the baseline per problem"
"$PY" - "$T/rep3/index.html" <<'PYEOF'
import re, sys
h = open(sys.argv[1]).read()
t = re.search(r'<table id="machines-hw">(.*?)</table>', h, re.S).group(1)
rows = re.findall(r"<tr>(.*?)</tr>", t, re.S)
cols = [len(re.findall(r"<t[hd][ >]", r)) for r in rows]
assert cols[0] == 3 and all(c == 3 for c in cols), cols   # a label column and one per machine
assert "Other CPU" in rows[3] and "TOPS" in t and "GB/s" in t, rows[3]
PYEOF
ok $? "the hardware table has one column per machine"
# A machine with a GPU (planted: its record names one, a b1 tensor-core
# probe row): the GPU rows show them, the CPU's XOR-popcount row does not.
cp "$T/other.db" "$T/gpu.db"
"$PY" - "$T/gpu.db" <<'PYEOF'
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for fp, rec in c.execute("SELECT fingerprint, record_json FROM machine").fetchall():
    r = json.loads(rec) if rec else {}
    r["gpu"] = {"present": True, "name": "Planted GPU", "compute_capability": "9.0", "sms": 132}
    c.execute("UPDATE machine SET record_json = ? WHERE fingerprint = ?", (json.dumps(r), fp))
cols = [x[1] for x in c.execute("PRAGMA table_info(result)") if x[1] != "id"]
row = c.execute("SELECT %s FROM result WHERE kind = 'probe' AND unit = 'TOPS' LIMIT 1" % ", ".join(cols)).fetchone()
d = dict(zip(cols, row))
d["kernel"], d["value"], d["value_median"], d["isa"] = "mma_b1 cuda", 1234.0, 1200.0, "cuda"
c.execute("INSERT INTO result (%s) VALUES (%s)" % (", ".join(cols), ", ".join("?" * len(cols))), [d[k] for k in cols])
c.commit()
PYEOF
"$B" merge "$db" "$T/gpu.db" -o "$T/gfleet.db" >/dev/null 2>&1 &&
	"$B" report --db "$T/gfleet.db" -o "$T/rep13" >/dev/null 2>&1 &&
	"$PY" - "$T/rep13/index.html" <<'PYEOF'
import re, sys
h = open(sys.argv[1]).read()
t = re.search(r'<table id="machines-hw">(.*?)</table>', h, re.S).group(1)
rows = {re.search(r"<th>(.*?)</th>", r).group(1): r for r in re.findall(r"<tr>(.*?)</tr>", t, re.S)[1:]}
assert "Planted GPU (sm_9.0, 132 SMs)" in rows["GPU"] and rows["GPU"].count("<td>-</td>") == 1, rows["GPU"]
assert "1.23e+03 TOPS" in rows["GPU b1 tensor-core peak"], rows["GPU b1 tensor-core peak"]
assert "1.23e+03" not in rows["XOR-popcount peak"], rows["XOR-popcount peak"]
PYEOF
ok $? "a machine with a GPU: its name and b1 peak in the GPU rows, not in the CPU's"
"$B" report --db "$T/fleet.db" --machine feedface -o "$T/rep5" >/dev/null 2>&1 &&
	grep -q '<p>2 runs of 1 machine' "$T/rep5/index.html" &&
	grep -q 'All runs given come from one machine' "$T/rep5/index.html"
ok $? "--machine keeps one machine's runs"
expect_fail 2 "no run given matches --suite nosuch" "a filter that keeps nothing" -- \
	"$B" report --db "$T/fleet.db" --suite nosuch -o "$T/rep6"
# --baseline: the other machine first, the real one at 2x of it.
"$B" report --db "$T/fleet.db" --baseline other -o "$T/rep9" >/dev/null 2>&1 &&
	"$PY" - "$T/rep9/index.html" <<'PYEOF'
import re, sys
h = open(sys.argv[1]).read()
sec = h[h.index('id="machines"'):h.index('id="conformance"')]
t = re.search(r'<table id="machines-hw">(.*?)</table>', sec, re.S).group(1)
head = re.findall(r"<th>(.*?)</th>", re.search(r"<tr>(.*?)</tr>", t, re.S).group(1))
assert "other" in head[1] and "the baseline" in head[1] and "the baseline" not in head[2], head
rows = re.findall(r"<tr><td>(gemm_m32_n32_k512|conv_[^<]*)</td>.*?<td class=\"num\">([0-9.]+)x</td></tr>", sec)
assert rows and all(abs(float(x) - 2.0) < 0.02 for _, x in rows), rows
PYEOF
ok $? "--baseline other: that machine's column first, the baseline, and the first machine at 2.00x of it"
expect_fail 2 "--baseline nosuch: no run given is of that machine" "a --baseline of no machine given" -- \
	"$B" report --db "$T/fleet.db" --baseline nosuch -o "$T/rep10"
ver=$("$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT version FROM build LIMIT 1").fetchone()[0])' "$T/fleet.db")
[ -n "$ver" ] && "$B" report --db "$T/fleet.db" --build "${ver%% *}" -o "$T/rep11" >/dev/null 2>&1 &&
	grep -q '<p>4 runs of 2 machines' "$T/rep11/index.html" &&
	! "$B" report --db "$T/fleet.db" --build no-such-build -o "$T/rep12" >/dev/null 2>&1
ok $? "--build keeps the runs of that version prefix ($ver) and refuses one that matches nothing"
"$B" report --db "$db" -o "$T/rep7" 1 2 >/dev/null 2>&1 &&
	[ "$(grep -c '^[0-9]' "$T/rep7/roofline.dat")" -eq "$all" ] && [ "$(grep -c '^[0-9]' "$T/rep7/speedup.dat")" -eq "$(peerbars "$db")" ]
ok $? "report of two runs named on the command line draws both"

# ReActNet-A end to end, profiled: the network by stage and each block
# alone beside its time inside the network.
"$B" run --db "$T/net.db" --no-probe --no-peers --min-time 0.005 --min-reps 2 -q \
	'rblock n=1 h=16 w=16 c=32 k=64' 'reactnet n=1 h=32' >/dev/null 2>&1
"$B" report --db "$T/net.db" -o "$T/rep8" >"$T/out" 2>&1
ok $? "report of a profiled network run"
diag "$T/out"
"$PY" - "$T/net.db" "$T/rep8" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
d = sys.argv[2]
nets = db.execute("""SELECT count(DISTINCT result_id) FROM counter WHERE source = 'profile'
                     AND status = 'ok'""").fetchone()[0]
rows = [l.split('" ')[1].split() for l in open(d + "/network.dat") if l.startswith('"')]
assert nets >= 1 and len(rows) == nets, (nets, len(rows))
assert all(len(r) == 17 and all(float(x) > 0 for x in r) for r in rows), rows
blocks = [l.split() for l in open(d + "/reactnet.dat") if l.startswith('"')]
assert len(blocks) == 13, len(blocks)
assert float(blocks[0][3]) > 0 and float(blocks[0][4]) > 0, blocks[0]   # block 1: alone and in the network
assert all(float(b[4]) > 0 for b in blocks), blocks
PYEOF
ok $? "the network's 15 stages per profiled network result; 13 blocks, block 1 also timed alone"
"$B" report --db "$db" -o "$T/rep4" >/dev/null 2>&1 && grep -q 'All runs given come from one machine' "$T/rep4/index.html"
ok $? "one machine: the section says how to compare several"
finish
