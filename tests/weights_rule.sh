#!/bin/sh
# The input rule holds for --weights as for --input: a trained-weights file
# with a NaN or an infinity in one tensor is refused before anything runs
# (exit 2, the file, the tensor and the element named, no run stored, so
# no PASS or FAIL computed from it). And a FAIL of a run given --weights and
# --threads stores a repro line that repeats both (quoted), which rerun as
# printed FAILs the same way. The FAIL comes from a selftest mutant, which
# a run selects only with BNNBENCH_TEST_MUTANTS=1.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
M=$B
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import json, sqlite3, struct; struct.pack("<e", 1.0)' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3 is needed to write the weights and read the database"
	exit 0
fi
plan 10

# gen OUT [TENSOR ELEMENT VALUE]: every tensor of the official ReActNet-A
# state_dict in F16 (values k/128, k = -254..254 in a cycle; running_var
# positive), one element replaced by VALUE when asked.
gen() {
	BNN_TESTS="${srcdir:-.}/tests" PYTHONDONTWRITEBYTECODE=1 "$PY" - "$@" <<'PYEOF'
import json, os, struct, sys
sys.path.insert(0, os.environ["BNN_TESTS"])
from safetensors_gen import tensors   # the state_dict's names and shapes
t = [(name, shape) for name, shape, _ in tensors()]
f16 = lambda v: struct.pack("<e", v)
cyc = b"".join(f16(((j * 37) % 509 - 254) / 128.0) for j in range(509))
pos = b"".join(f16(abs(((j * 37) % 509 - 254) / 128.0) + 0.5) for j in range(509))
bad = sys.argv[2:5]
hdr, chunks, at = {}, [], 0
for name, shape in t:
    n = 1
    for s in shape:
        n *= s
    if name.endswith("num_batches_tracked"):
        hdr[name] = {"dtype": "I64", "shape": [], "data_offsets": [at, at + 8]}
        chunks.append(struct.pack("<q", 1))
        at += 8
        continue
    b = ((pos if name.endswith("running_var") else cyc) * (n // 509 + 1))[:2 * n]
    if bad and name == bad[0]:
        j = int(bad[1])
        b = b[:2 * j] + f16(float(bad[2])) + b[2 * j + 2:]
    hdr[name] = {"dtype": "F16", "shape": list(shape), "data_offsets": [at, at + 2 * n]}
    chunks.append(b)
    at += 2 * n
h = json.dumps(hdr, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    for c in chunks:
        f.write(c)
PYEOF
}

# A database with one run before: the refused runs must add none.
db="$T/w.db"
"$B" run --db "$db" --check-only --no-probe --no-peers -q 'gemm m=4 n=4 k=64' >/dev/null 2>&1
gen "$T/nan.safetensors" feature.3.bn1.running_mean 5 nan
gen "$T/inf.safetensors" feature.7.binary_pw.weights 100 -inf
run() { "$B" 'reactnet n=1 h=32 w=32' --weights "$1" --db "$db" --check-only --no-peers -q; }
expect_fail 2 "nan.safetensors: tensor 'feature.3.bn1.running_mean': element 5 is NaN" \
	"a NaN in a weights file is refused, the file, tensor and element named" -- \
	run "$T/nan.safetensors"
expect_fail 2 "inf.safetensors: tensor 'feature.7.binary_pw.weights': element 100 is infinite" \
	"an infinity in a weights file is refused, the file, tensor and element named" -- \
	run "$T/inf.safetensors"
[ "$(q "$db" "SELECT count(*) FROM run")" = 1 ] &&
	[ "$(q "$db" "SELECT count(*) FROM result WHERE status IN ('PASS', 'FAIL') AND run_id > 1")" = 0 ]
ok $? "neither stores a run nor a PASS or FAIL"

# A FAIL on given weights with 2 threads: the mutant that signs the block
# inputs without their learned thresholds.
w="$T/it's trained.safetensors"
gen "$w"
"$B" 'reactnet n=1 h=32 w=32' --weights "$w" --threads 2 --no-db --check-only --no-peers \
	--kernel 'reactnet_a_xor_popc__generic' >"$T/pass" 2>&1
ok $? "the real kernel passes on these weights"
mut=reactnet_a_xor_popc__mutant_plain_sign
BNNBENCH_TEST_MUTANTS=1 "$M" 'reactnet n=1 h=32 w=32' --weights "$w" --threads 2 --db "$T/f.db" --check-only \
	--no-peers --kernel "$mut" >"$T/out1" 2>&1
rc=$?
diag "$T/out1"
[ $rc -eq 1 ] && grep -q "$mut *FAIL" "$T/out1"
ok $? "the mutant FAILs on them (exit $rc)"
repro=$(q "$T/f.db" "SELECT repro FROM result WHERE status = 'FAIL'")
echo "# $repro"
case $repro in
*"--kernel $mut"*"--threads 2"*"--weights '$T/it'\\''s trained.safetensors'"*) r=0 ;;
*) r=1 ;;
esac
ok $r "the FAIL's repro line has --threads and the quoted --weights"
eval "BNNBENCH_TEST_MUTANTS=1 \"\$M\" ${repro#bnnbench } --no-db --no-peers" >"$T/out2" 2>&1
rc=$?
diag "$T/out2"
[ $rc -eq 1 ]
ok $? "rerun as printed, it FAILs again (exit $rc)"
r1=$(q "$T/f.db" "SELECT reason FROM result WHERE status = 'FAIL'")
grep -F -q -- "$r1" "$T/out2"
ok $? "for the same reason ($r1)"
grep -q "threads: 2" "$T/out2"
ok $? "on 2 threads"
# Without --weights the same line runs on generated weights: proof that
# the weights are what the FAIL depends on, so the line must carry them.
BNNBENCH_TEST_MUTANTS=1 "$M" --kernel "$mut" --check-only --no-db --no-peers 'reactnet n=1 h=32 w=32' >"$T/out3" 2>&1
! grep -F -q -- "$r1" "$T/out3"
ok $? "while without --weights the run gives another outcome"
finish
