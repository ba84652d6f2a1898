#!/bin/sh
# The repro line stored with every result repeats what the outcome depends
# on: --threads, and the --input and --weights a network problem used (it
# left them out, so a failure on a given image passed when rerun as
# printed). Run as stored, it gives the same error as the run did.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import sqlite3, struct' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3 is needed to read the repro line"
	exit 0
fi
plan 4
img="$T/it's an image.npy"
"$PY" - "$img" <<'PYEOF'
import random, struct, sys
h = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
t = 10 + len(h) + 1
h += b" " * ((64 - t % 64) % 64) + b"\n"
random.seed(3)
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h)
    f.write(struct.pack("<3072f", *[random.uniform(-2, 2) for _ in range(3072)]))
PYEOF
"$B" 'reactnet n=1 h=32 w=32' --input "$img" --threads 2 --db "$T/r.db" --check-only \
	--no-peers --kernel 'reactnet_a_xor_popc__generic' >"$T/out1" 2>&1
ok $? "a network problem on a given image, 2 threads"
repro=$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT repro FROM result").fetchone()[0])' "$T/r.db")
echo "# $repro"
case $repro in
*"--threads 2"*"--input '$T/it'\\''s an image.npy'"*) ok 0 "the repro line has --threads and the quoted --input" ;;
*) ok 1 "the repro line has --threads and the quoted --input" ;;
esac
# Rerun exactly as stored (its program replaced by this build's).
eval "\"\$B\" ${repro#bnnbench } --no-db --no-peers" >"$T/out2" 2>&1
ok $? "the repro line runs"
e1=$(grep -o 'err [^ ]* <= [^ ]*' "$T/out1") e2=$(grep -o 'err [^ ]* <= [^ ]*' "$T/out2")
[ -n "$e1" ] && [ "$e1" = "$e2" ]
ok $? "and gives the run's error and bound ($e1; rerun: $e2)"
finish
