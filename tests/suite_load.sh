#!/bin/sh
# Suite loading stays linear: a file included many times (10 includes in
# each of 9 chained files were 10^8 reads) is read once, an include cycle is
# refused, and 40000 distinct lines de-duplicate in well under a second (23 s
# before). Problem names cannot leave the --dump folder (name=. and ..) nor
# share one (two problems of one name overwrote each other's files).
# A directory given as --suite says so.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
plan 8

i=1
while [ $i -le 9 ]; do
	n=$((i + 1))
	{
		echo "gemm m=$i n=4 k=64"
		if [ $i -lt 9 ]; then
			j=0
			while [ $j -lt 10 ]; do echo "include a$n.suite"; j=$((j + 1)); done
		fi
	} >"$T/a$i.suite"
	i=$n
done
timeout 20 "$B" --suite "$T/a1.suite" --no-db --check-only -q >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && grep -q ": 9 problems," "$T/out"
ok $? "9 chained files of 10 includes each load once each (exit $rc)"
[ "$(wc -l <"$T/err")" -lt 5 ]
ok $? "and print no note per repeated include ($(wc -l <"$T/err") lines)"

printf 'gemm m=4 n=4 k=64\ninclude c2.suite\n' >"$T/c1.suite"
printf 'include c1.suite\n' >"$T/c2.suite"
expect_fail 2 "c2.suite:1: suite '.*c1.suite' includes itself \(an include cycle\)" \
	"an include cycle is refused with file and line" -- \
	"$B" --suite "$T/c1.suite" --no-db --check-only -q

# 40000 distinct problems, the last too big for --max-mem: loading and
# de-duplicating them all happens before that refusal.
awk 'BEGIN { for (i = 1; i <= 40000; i++) print "gemm m=1 n=1 k=" i; print "gemm m=8192 n=8192 k=8192" }' \
	>"$T/big.suite"
start=$(date +%s)
timeout 20 "$B" --suite "$T/big.suite" --no-db --check-only -q --max-mem 64M >"$T/out" 2>"$T/err"
rc=$? took=$(($(date +%s) - start))
[ $rc -eq 2 ] && grep -q "big.suite:40001: .* over --max-mem" "$T/err" && [ $took -le 5 ]
ok $? "40000 distinct lines load in ${took} s (at most 5) before the size check"

mkdir "$T/dumps"
expect_fail 2 "field 'name': '\.\.' is not a name" "name=.. is refused (it wrote above the dump folder)" -- \
	"$B" 'gemm m=4 n=4 k=16 name=..' --no-db --check-only --dump "$T/dumps/sub"
expect_fail 2 "field 'name': '\.' is not a name" "name=. is refused" -- \
	"$B" 'gemm m=4 n=4 k=16 name=.' --no-db --check-only --dump "$T/dumps/sub"
expect_fail 2 "descriptor 2: field 'name': 'x' is also the name of command line, descriptor 1: --dump" \
	"two problems of one name are refused with --dump" -- \
	"$B" 'gemm m=4 n=4 k=16 name=x' 'gemm m=8 n=4 k=16 name=x' --no-db --check-only \
	--dump "$T/dumps"
expect_fail 2 "suite '.*dumps': is a directory" "a directory as --suite says so" -- \
	"$B" --suite "$T/dumps" --no-db --check-only -q
finish
