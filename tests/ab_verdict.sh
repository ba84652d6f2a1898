#!/bin/sh
# ab's verdict and exit status on a real slowdown and on none. The new
# build of the first A/B is tests/bnnbench_planted: this program with the
# slowdown tools/ab-calibrate.sh plants (-DBNN_PLANT_SLOWDOWN_PCT=200: the
# AVX2 GEMM spins for twice its own time after each run, so it takes 3x as
# long), which must come out REGRESSED with exit 1 while the generic GEMM
# beside it stays UNCHANGED; an A/A pair of two copies of this program must
# come out UNCHANGED with exit 0. Speed is never asserted: the threshold is
# 50%, far below the planted 200% and far above what noise moves the fastest
# sample of every one of 6 pairs alike.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
P=$(dirname "$B")/tests/bnnbench_planted
plan 4
K=bgemm_xor_popc__avx2_2x4
G=bgemm_xor_popc__generic
prob='gemm m=64 n=64 k=1024'
# the planted AVX2 GEMM and the generic one
KP='bgemm_xor_popc__[ag][ev][nx]*'
opts="--pairs 6 --threshold 0.5 --min-time 0.02 --no-probe --no-peers"

if ! "$B" run --no-db --check-only --no-peers --kernel "$K" "$prob" 2>&1 | grep -q " $K .* PASS"; then
	for i in 1 2 3 4; do skip "the planted kernel $K does not run here"; done
	finish
fi
if [ ! -x "$P" ]; then
	for i in 1 2 3 4; do skip "$P is not built"; done
	finish
fi

# The planted build against this one: REGRESSED, exit 1.
"$B" ab --base "$B" --new "$P" $opts --kernel "$KP" --db "$T/ab1.db" "$prob" >"$T/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -qE "^gemm_m64_n64_k1024 +$K +6 .* REGRESSED +slower in 6 pairs" "$T/out" &&
	grep -q '^summary: 0 IMPROVED, 1 REGRESSED, ' "$T/out"
ok $? "ab of a build with a planted 3x slowdown in $K: REGRESSED and exit 1 (exit $rc)"
diag "$T/out"
grep -qE "^gemm_m64_n64_k1024 +$G +6 .* UNCHANGED " "$T/out"
ok $? "ab: the kernel beside it, not planted, stays UNCHANGED"

# Two copies of one build: UNCHANGED, exit 0.
cp "$B" "$T/a" && chmod +x "$T/a"
"$B" ab --base "$T/a" $opts --kernel "$KP" --db "$T/ab2.db" "$prob" >"$T/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -qE "^gemm_m64_n64_k1024 +$K +6 .* UNCHANGED " "$T/out" &&
	grep -q '^summary: 0 IMPROVED, 0 REGRESSED, ' "$T/out"
ok $? "ab of two copies of one build (A/A): UNCHANGED and exit 0 (exit $rc)"
diag "$T/out"
# The slowdown is real in the planted build's own runs (merged into --db by
# the first A/B): in every pair its fastest sample of the planted kernel is
# at least 1.5x the base run's (3x planted), a ratio, never a speed.
n=$("$PY" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT u.command_line LIKE ?, r.min_ns FROM result r JOIN run u ON u.id = r.run_id"
                 " WHERE r.kernel = ? ORDER BY r.run_id", ("%bnnbench_planted%", sys.argv[2])).fetchall()
base = [m for p, m in rows if not p]
new = [m for p, m in rows if p]
print(sum(1 for a, b in zip(base, new) if b >= 1.5 * a) if len(base) == len(new) == 6 else -1)
' "$T/ab1.db" "$K")
[ "$n" = 6 ]
ok $? "the planted runs' fastest samples of $K are at least 1.5x the base runs' in every pair ($n of 6)"
finish
