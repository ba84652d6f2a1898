#!/bin/sh
# Near the 2^24 reduction limit the float bound of bwn and xnor mode=paper
# went negative (a right kernel FAILed) or vacuous (anything PASSed): the
# validator refuses shapes whose gamma_n would exceed 2^-8 (n > 65280 rounded
# terms), with the reason, and takes the largest shapes below. A reduction
# whose product overflows int64 is refused, not computed.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
plan 9
run() { "$B" --no-db --check-only --no-peers -q "$@"; }

# bwn: n = kh*kw*c + 4; c = 7252 gives 65272, c = 7253 gives 65281.
run 'bwn h=3 c=7252 k=2 kh=3 pad=1' >"$T/out" 2>&1
ok $? "bwn with n = 65272 terms, just under the limit, runs and PASSes"
expect_fail 2 "descriptor 1: field 'c': the float error bound of bwn sums n = 65281 rounded terms.*over 2\^-8" \
	"bwn with n = 65281 terms, just over the limit, is refused with the reason" -- \
	run 'bwn h=3 c=7253 k=2 kh=3 pad=1'
expect_fail 2 "field 'c': the float error bound of bwn sums n = 16777210 .*gamma_n would be 2.8e\+06" \
	"bwn just below 2^24 (vacuous bound 9e12 before) is refused" -- \
	run 'bwn h=3 c=1864134 k=2 kh=3 pad=1'
expect_fail 2 "field 'c': the float error bound of bwn sums n = 16777219 .*no bound \(n\*u >= 1\)" \
	"bwn at 2^24 (negative bound before) is refused" -- \
	run 'bwn h=3 c=1864135 k=2 kh=3 pad=1'
# xnor mode=paper: n = c + kh*kw + 6.
run 'xnor mode=paper h=3 c=65265 k=1 kh=3' >"$T/out" 2>&1
ok $? "xnor mode=paper with n = 65280 terms runs and PASSes"
expect_fail 2 "field 'c': the float error bound of xnor sums n = 65281 " \
	"xnor mode=paper with n = 65281 terms is refused" -- \
	run 'xnor mode=paper h=3 c=65266 k=1 kh=3'
expect_fail 2 "field 'c': the float error bound of xnor sums n = 16777217 " \
	"xnor mode=paper just below 2^24 (negative bound before) is refused" -- \
	run 'xnor mode=paper h=1 c=16777210 k=1 kh=1'
# Released mode's bound does not grow with c: only the 2^24 limit applies.
run 'xnor mode=released h=1 c=1000000 k=1 kh=1' >"$T/out" 2>&1
ok $? "xnor mode=released with c = 10^6 runs"
# kh*kw*c overflowed int64 (undefined behaviour) before the limit was checked.
printf 'conv h=2147483648 c=2 k=1 kh=2147483648 pad=2147483648\n' >"$T/ovf.suite"
expect_fail 2 "ovf.suite:1: .*field" \
	"a conv whose kh*kw*c overflows int64 is refused with file, line and field" -- \
	run --suite "$T/ovf.suite"
finish
