#!/bin/sh
# ab-calibrate.sh: how often `bnnbench compare` and `bnnbench ab` cry wolf,
# and how often they catch a real slowdown, on this machine as it is.
#
#   tools/ab-calibrate.sh [-n N] [-o OUT] [-c "cmp ab"] SRCDIR
#
# Builds SRCDIR three times (--without-cuda, into OUT/build-{0,10,25}):
# the normal build and two with a slowdown planted in one kernel
# (-DBNN_PLANT_SLOWDOWN_PCT=10 and 25: bgemm_xor_popc__avx2_2x4 spins for
# that share of its own time after every run; see kernels/table.c). Then,
# at the default settings of each command:
#   compare: N times, two runs in a row (A/A: normal, normal; then
#            normal, planted-10 and normal, planted-25) and `compare` of the two;
#   ab:      N times `ab --base normal --new X` for X = normal, planted-10,
#            planted-25.
# A/A: the share of comparisons with any REGRESSED row (false alarms) and of
# rows REGRESSED. Planted: the share of comparisons in which the planted
# kernel's GEMM rows are REGRESSED (detection). Also the NOISY counts, and
# the machine's load while it ran. A benchmark, not a test: it asserts
# nothing and takes about 15 minutes on a 2-core VM with N = 10.
set -eu
n=10 out=ab-calibrate cmds="cmp ab"
while getopts n:o:c: opt; do
	case $opt in
	n) n=$OPTARG ;;
	o) out=$OPTARG ;;
	c) cmds=$OPTARG ;;
	*) echo "usage: $0 [-n N] [-o OUT] SRCDIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-n N] [-o OUT] SRCDIR" >&2; exit 2; }
src=$(cd "$1" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -x "$src/configure" ] || (cd "$src" && autoreconf -fi >/dev/null)
for pct in 0 10 25; do
	b="$out/build-$pct"
	if [ ! -x "$b/bnnbench" ]; then
		mkdir -p "$b"
		flags=""
		[ "$pct" -gt 0 ] && flags="-DBNN_PLANT_SLOWDOWN_PCT=$pct"
		(cd "$b" && "$src/configure" --without-cuda CPPFLAGS="$flags" >configure.log 2>&1 &&
			make -j2 >make.log 2>&1) || { echo "build $pct failed: $b" >&2; exit 1; }
	fi
done
# A small timed suite: two GEMMs and a conv, the AVX2 kernels and peers.
problems="gemm m=64 n=64 k=1024|gemm m=256 n=256 k=4096|conv h=14 c=128 k=128 pad=1"
kern='b*_xor_popc__avx2*'
log="$out/calibrate.log"
: >"$log"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs" | tee -a "$log"
echo "start: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"

# compare: two runs in a row, then compare.
cmp_round() {   # $1 base build, $2 new build, $3 label, $4 index
	db="$out/cmp-$3-$4.db"
	rm -f "$db"
	for b in "$1" "$2"; do
		IFS='|' read -r p1 p2 p3 <<EOF
$problems
EOF
		"$b/bnnbench" run -q --db "$db" --kernel "$kern" "$p1" "$p2" "$p3" >/dev/null 2>&1 || true
	done
	"$out/build-0/bnnbench" compare --db "$db" latest~1 latest >"$out/cmp-$3-$4.txt" 2>&1 || true
}
ab_round() {   # $1 new build, $2 label, $3 index
	IFS='|' read -r p1 p2 p3 <<EOF
$problems
EOF
	"$out/build-0/bnnbench" ab --base "$out/build-0/bnnbench" --new "$1/bnnbench" \
		--db "$out/ab-$2-$3.db" --no-probe --kernel "$kern" "$p1" "$p2" "$p3" \
		>"$out/ab-$2-$3.txt" 2>&1 || true
}
i=1
while [ $i -le "$n" ]; do
	for pct in 0 10 25; do
		case " $cmds " in *" cmp "*) cmp_round "$out/build-0" "$out/build-$pct" "$pct" $i ;; esac
		case " $cmds " in *" ab "*) ab_round "$out/build-$pct" "$pct" $i ;; esac
	done
	echo "round $i of $n done, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
	i=$((i + 1))
done

# Tally. A row: "problem kernel ... VERDICT note"; the planted rows are the
# AVX2 GEMM's.
tally() {   # $1 cmp|ab, $2 pct
	any=0 rows=0 reg=0 noisy=0 det=0
	for f in "$out/$1-$2-"*.txt; do
		r=$(grep -cE '  REGRESSED ' "$f" || true)
		z=$(grep -cE '  NOISY ' "$f" || true)
		t=$(grep -cE '  (REGRESSED|IMPROVED|UNCHANGED|NOISY) ' "$f" || true)
		g=$(grep -E '^gemm.*bgemm_xor_popc__avx2_2x4 .*  REGRESSED ' "$f" | wc -l)
		gt=$(grep -E '^gemm.*bgemm_xor_popc__avx2_2x4 ' "$f" | wc -l)
		rows=$((rows + t)) reg=$((reg + r)) noisy=$((noisy + z))
		[ "$r" -gt 0 ] && any=$((any + 1))
		[ "$gt" -gt 0 ] && [ "$g" -eq "$gt" ] && det=$((det + 1))
	done
	if [ "$2" = 0 ]; then
		echo "$1 A/A: $any of $n comparisons with a REGRESSED row; $reg of $rows rows REGRESSED, $noisy NOISY"
	else
		echo "$1 planted +$2%: detected (every planted GEMM row REGRESSED) in $det of $n; $reg of $rows rows REGRESSED, $noisy NOISY"
	fi
}
echo "end: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
for c in $cmds; do
	for pct in 0 10 25; do
		tally $c $pct | tee -a "$log"
	done
done
