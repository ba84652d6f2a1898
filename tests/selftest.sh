#!/bin/sh
# The checker can fail: every mutant is caught (the judge's own on every
# problem of their op), each for the reason meant to catch it
# (bnn_mutant_rules: the checks of exact and bounded outputs, the poisoned
# output, the last element, the timed output against the checked one, the
# network's classes, NaN), and none is reachable from a normal run; nor is an
# emulated AVX-512 kernel (tests/test_emulated checks those).
. "${srcdir:-.}/tests/lib.sh"
plan 12
"$BNNBENCH" selftest >"$T/out" 2>&1
rc=$?
diag "$T/out"
ok $rc "bnnbench selftest exits 0"
caught=$(grep -c ' caught (' "$T/out")
[ "$caught" -eq 12 ] && ! grep -Eq 'NOT CAUGHT|WRONG REASON|MISSED' "$T/out"
ok $? "all 12 mutants caught, each for its reason, the judge's own on every problem ($caught)"
# the_reason MUTANT PATTERN: MUTANT's line says caught and the reason of its
# first failure matches PATTERN (grep, from the reason's start).
the_reason() {
	grep -A1 "__mutant_$1 .* caught (" "$T/out" | grep -q "reason: $2"
}
the_reason writes_nothing '.*element 0 was never written'
ok $? "a kernel that writes nothing FAILs: never written"
the_reason skips_last '1 of [0-9]* elements differ; element [0-9]* was never written'
ok $? "a kernel that skips the last element FAILs: one element never written"
the_reason timed_differs ".*the last timed repetition's output differs from the checked output"
ok $? "a kernel whose timed runs differ from its checked run FAILs on the timed output"
the_reason fifth_class 'image 0: class [0-9]* is in the top 5, not in the reference'
ok $? "a network whose 5th class is wrong FAILs on its classes"
the_reason nan '1 of [0-9]* elements out of bound; element [0-9]* is NaN (computed)'
ok $? "a kernel that computes one NaN FAILs: NaN, not unwritten"
! "$BNNBENCH" list | grep -q mutant
ok $? "bnnbench list shows no mutant"
"$BNNBENCH" run --no-db --check-only --kernel '*mutant*' 'gemm m=3 n=5 k=65' >"$T/out" 2>&1
[ $? -eq 2 ] && grep -q "kernel '\*mutant\*': matches no kernel" "$T/out"
ok $? "a normal run cannot select a mutant kernel"
! "$BNNBENCH" list | grep -q avx512emu
ok $? "bnnbench list shows no emulated kernel"
"$BNNBENCH" run --no-db --check-only --kernel '*avx512emu*' 'gemm m=3 n=5 k=65' >"$T/out" 2>&1
[ $? -eq 2 ] && grep -q "kernel '\*avx512emu\*': matches no kernel" "$T/out"
ok $? "a normal run cannot select an emulated kernel"
printf 'gemm m=3 n=5 k=65\n' >"$T/one.suite"
"$BNNBENCH" selftest --suite "$T/one.suite" >"$T/out" 2>&1
[ $? -eq 1 ] && grep -q 'mutant_nan .*NOT CAUGHT' "$T/out" && grep -q '^selftest: FAILED' "$T/out"
ok $? "selftest on a suite with no bwn problem fails: the NaN mutant is not caught"
finish
