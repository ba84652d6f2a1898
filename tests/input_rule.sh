#!/bin/sh
# The input rule (harness/check.h): --input values that are NaN, infinite or
# beyond 2^40 are refused with the element and its place, before any kernel
# runs (they made every kernel FAIL with "never written"). The .npy reader
# parses the header dict strictly (no decoy keys, no "Falsey", no "+N" in
# the shape), wants the file exactly as long as the header says, checks
# that before allocating, and refuses FIFOs and directories at once.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import struct' 2>/dev/null; then
	echo "1..0 # SKIP python3 is needed to write the .npy files"
	exit 0
fi
plan 15
# npy NAME HEADER-DICT COUNT [INDEX VALUE] [EXTRA-BYTES]: a version 1.0 file
# of COUNT float32 zeros (VALUE at INDEX), EXTRA-BYTES bytes appended.
npy() {
	"$PY" - "$T/$1.npy" "$2" "$3" "${4:--1}" "${5:-0}" "${6:-0}" <<'PYEOF'
import struct, sys
path, hdr, count, index, value, extra = sys.argv[1:7]
count, index, extra = int(count), int(index), int(extra)
h = hdr.encode("latin-1")
total = 10 + len(h) + 1
h += b" " * ((64 - total % 64) % 64) + b"\n"
data = [0.0] * count
if index >= 0:
    data[index] = float(value)
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h)
    f.write(struct.pack("<%df" % count, *data))
    f.write(b"\0" * extra)
PYEOF
}
good="{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
run() { "$B" 'reactnet n=1 h=32 w=32' --input "$1" --no-db --check-only --no-peers -q \
	--kernel 'reactnet_a_xor_popc__generic'; }

npy ok "$good" 3072 1091 1.5
run "$T/ok.npy" >"$T/out" 2>&1
ok $? "a finite image runs and PASSes"
npy nan "$good" 3072 0 nan
expect_fail 2 "nan.npy: element 0 \(image 0, channel 0, row 0, column 0\) is NaN: inputs must be finite" \
	"a NaN input is refused with its element" -- run "$T/nan.npy"
npy inf "$good" 3072 1091 -inf
expect_fail 2 "inf.npy: element 1091 \(image 0, channel 1, row 2, column 3\) is infinite" \
	"an infinite input is refused with its place" -- run "$T/inf.npy"
npy big "$good" 3072 5 3e38
expect_fail 2 "big.npy: element 5 .* is larger in magnitude than 2\^40" \
	"3e38 is refused (it overflowed every kernel)" -- run "$T/big.npy"
npy decoy "{'x': \"'descr': '<f4'\", 'descr': '>f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }" 3072
expect_fail 2 "decoy.npy: header: an unexpected key 'x'" \
	"a 'descr' inside another key's string is no decoy" -- run "$T/decoy.npy"
npy bigend "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }" 3072
expect_fail 2 "bigend.npy: field 'descr': the data must be little-endian float32" \
	"big-endian data is refused" -- run "$T/bigend.npy"
npy falsey "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (1, 3, 32, 32), }" 3072
expect_fail 2 "falsey.npy: header: ',' or '}' expected after 'fortran_order'" \
	"fortran_order Falsey is not False" -- run "$T/falsey.npy"
npy plus "{'descr': '<f4', 'fortran_order': False, 'shape': (1, +3, 32, 32), }" 3072
expect_fail 2 "plus.npy: field 'shape': not a tuple" "a shape with +3 is refused" -- \
	run "$T/plus.npy"
npy twice "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }" 3072
expect_fail 2 "twice.npy: header: a repeated key 'descr'" "a repeated key is refused" -- \
	run "$T/twice.npy"
npy trailing "$good" 3072 -1 0 100
expect_fail 2 "trailing.npy: field 'shape': it says 3072 floats \(12288 bytes of data\), the file has 12388" \
	"trailing bytes after the data are refused" -- run "$T/trailing.npy"
npy lies "{'descr': '<f4', 'fortran_order': False, 'shape': (1024, 3, 16384, 16384), }" 3072
expect_fail 2 "lies.npy: field 'shape': it says [0-9]+ floats .* the file has 12288 bytes" \
	"a header declaring 3 TiB in a 12 KB file is refused before any allocation" -- \
	run "$T/lies.npy"
mkdir "$T/dir.npy"
expect_fail 2 "dir.npy: is a directory" "a directory as --input says so" -- run "$T/dir.npy"
if mkfifo "$T/fifo.npy" 2>/dev/null; then
	expect_fail 2 "fifo.npy: not a regular file" "a FIFO as --input is refused, not waited on" -- \
		timeout 20 "$B" 'reactnet n=1 h=32 w=32' --input "$T/fifo.npy" --no-db --check-only \
		--no-peers -q
	expect_fail 2 "fifo.npy.*not a regular file" "a FIFO as --weights is refused, not waited on" -- \
		timeout 20 "$B" 'reactnet n=1 h=32 w=32' --weights "$T/fifo.npy" --no-db \
		--check-only --no-peers -q
	expect_fail 2 "fifo.npy.*not a regular file" "a FIFO as --suite is refused, not waited on" -- \
		timeout 20 "$B" --suite "$T/fifo.npy" --no-db --check-only --no-peers -q
else
	skip "mkfifo failed"
	skip "mkfifo failed"
	skip "mkfifo failed"
fi
finish
