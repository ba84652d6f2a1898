#!/bin/sh
# Every kernel in the table against the reference on the conformance suite,
# under every ISA cap this CPU allows (BNNBENCH_ISA), and one timed run whose
# every (problem, kernel) pair is stored with its timing and TOPS.
. "${srcdir:-.}/tests/lib.sh"
plan 6

features=$("$BNNBENCH" list | sed -n 's/.*CPU reports: \([^)]*\)).*/\1/p' | head -n 1)
for isa in generic avx2 avx512; do
	case $isa in
	generic) have=yes ;;
	avx2) case " $features " in *" avx2 "*) have=yes ;; *) have=no ;; esac ;;
	avx512) case " $features " in *" avx512vpopcntdq "*) have=yes ;; *) have=no ;; esac ;;
	esac
	if [ "$have" = no ]; then
		skip "BNNBENCH_ISA=$isa: this CPU does not report $isa ($features)"
		continue
	fi
	BNNBENCH_ISA=$isa "$BNNBENCH" run --suite conformance --check-only --no-db -q \
		>"$T/out" 2>&1
	rc=$?
	grep -q 'summary: [0-9]* PASS, 0 FAIL, [0-9]* SKIP, 0 MISTRUSTED' "$T/out"
	ok $((rc + $?)) "conformance suite, BNNBENCH_ISA=$isa: every kernel passes"
	[ $rc -eq 0 ] || diag "$T/out"
done

"$BNNBENCH" run --suite conformance --check-only --no-db -q --threads 2 >"$T/out" 2>&1
rc=$?
grep -q 'summary: [0-9]* PASS, 0 FAIL, [0-9]* SKIP, 0 MISTRUSTED' "$T/out"
ok $((rc + $?)) "conformance suite with 2 threads: every kernel passes"
[ $rc -eq 0 ] || diag "$T/out"

"$BNNBENCH" run --suite conformance --db "$T/c.db" --min-time 0.002 --min-reps 3 -q --no-probe \
	>"$T/out" 2>&1
ok $? "timed conformance run exits 0"
pass=$(sed -n 's/^summary: \([0-9]*\) PASS.*/\1/p' "$T/out")
skipped=$(sed -n 's/^summary: .* \([0-9]*\) SKIP.*/\1/p' "$T/out")
# Every stored row has a median and TOPS (the two columns after the status).
"$BNNBENCH" show --db "$T/c.db" >"$T/show" 2>&1
timed=$(awk '$3 == "PASS" && $4 ~ /^[0-9.]+$/ && $6 ~ /^[0-9.e+-]+$/' "$T/show" | wc -l)
stored=$(results_in "$T/c.db")
[ -n "$pass" ] && [ "$pass" -gt 0 ] && [ "$stored" = $((pass + skipped)) ] && [ "$timed" -eq "$pass" ]
ok $? "database holds one result per (problem, kernel or peer), every PASS timed: $pass passed, $skipped skipped (with a reason), $stored stored, $timed with median and TOPS"
finish
