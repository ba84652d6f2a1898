#!/bin/sh
# The report in a real headless browser (Debian's chromium): the page loads
# and every plot image loads (the page's script counts the images that are
# complete with a non-zero natural width), the roofline, speedup, ReActNet
# network and block, and trend plots among them; a screenshot renders.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
CHROMIUM=${CHROMIUM:-chromium}
if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
	echo "1..0 # SKIP no chromium to open the report in (Debian: apt-get install chromium)"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
if ! command -v "${BNNBENCH_GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
	echo "1..0 # SKIP gnuplot is not installed (Debian: gnuplot-nox), so the report has no plots"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
# The speedup plot needs a CPU peer of the gemm problem: a build without
# OpenBLAS (such as tools/gpu-run.sh's) has none.
if ! "$B" list 2>/dev/null | grep -q '^  sgemm__openblas '; then
	echo "1..0 # SKIP this build has no OpenBLAS sgemm peer, which the speedup plot needs"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
plan 5
db="$T/real.db" rep="$T/rep"
for i in 1 2; do
	"$B" run --db "$db" --min-time 0.01 --probe-time 0.02 -q 'gemm m=32 n=32 k=512' \
		'conv h=8 c=32 k=16 pad=1' >/dev/null 2>&1 || echo "# real run $i failed"
done
"$B" run --db "$db" --no-probe --no-peers --min-time 0.005 --min-reps 2 -q \
	'rblock n=1 h=16 w=16 c=32 k=64' 'reactnet n=1 h=32' >/dev/null 2>&1 || echo "# network run failed"
"$B" report --db "$db" -o "$rep" >/dev/null 2>&1
ok $? "report from three real runs"
want=$(grep -o '<img class="plot"' "$rep/index.html" | wc -l)
n=0
for f in roofline speedup network reactnet trends; do
	grep -q "<img class=\"plot\" src=\"$f.svg\"" "$rep/index.html" && n=$((n + 1))
done
[ "$want" -ge 5 ] && [ $n -eq 5 ]
ok $? "the page has $want plots: roofline, speedup, network, reactnet, trends"
case $rep in /*) url="file://$rep/index.html" ;; *) url="file://$PWD/$rep/index.html" ;; esac
chrome() {
	HOME="$T" timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$T/profile" --no-first-run --hide-scrollbars "$@" 2>"$T/chrome.err"
}
chrome --dump-dom "$url" >"$T/dom.html"
rc=$?
[ $rc -eq 0 ] && grep -q '<h1>bnnbench report</h1>' "$T/dom.html"
ok $? "chromium loads the page (exit $rc)"
[ $rc -eq 0 ] || diag "$T/chrome.err"
grep -q "data-loaded=\"$want\" data-total=\"$want\">Plots loaded: $want of $want" "$T/dom.html"
ok $? "every plot image loaded in the browser ($want of $want)"
grep 'plot-status' "$T/dom.html" | diag
chrome --window-size=1280,3000 --screenshot="$T/shot.png" "$url" >/dev/null
[ "$(head -c 4 "$T/shot.png" 2>/dev/null | od -An -c | tr -d ' ')" = '211PNG' ]
ok $? "chromium renders a screenshot of the page"
finish
