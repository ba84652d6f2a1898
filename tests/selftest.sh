#!/bin/sh
# The checker can fail: every mutant is caught, and none is reachable from a
# normal run; nor is an emulated AVX-512 kernel (tests/test_emulated checks
# those).
. "${srcdir:-.}/tests/lib.sh"
plan 6
"$BNNBENCH" selftest >"$T/out" 2>&1
rc=$?
diag "$T/out"
ok $rc "bnnbench selftest exits 0"
caught=$(grep -c ' caught (' "$T/out")
[ "$caught" -eq 7 ] && ! grep -q 'NOT CAUGHT' "$T/out"
ok $? "all 7 mutants caught ($caught)"
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
finish
