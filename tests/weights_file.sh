#!/bin/sh
# --weights files that are refused cleanly: the smallest valid safetensors
# file ("{}", no tensors: it passed NULL to memcpy for every tensor wanted),
# and a shape whose element count wraps 64 bits ([2^40, 2^40] was taken for
# 0 elements, "takes 0"). (The input rule on weight values is the one
# test_harness checks: weights.c calls bnn_first_bad_input.)
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
plan 2
run() { "$B" 'reactnet n=1 h=32 w=32' --weights "$1" --no-db --check-only -q; }
printf '\010\000\000\000\000\000\000\000{}      ' >"$T/min.safetensors"
expect_fail 2 "min.safetensors: tensor 'feature.0.conv1.weight' is missing" \
	"a file of no tensors is refused, naming the first one missing" -- run "$T/min.safetensors"
if "$PY" -c 'import json, struct' 2>/dev/null; then
	"$PY" - "$T" <<'PYEOF'
import json, struct, sys
def write(path, header, data=b""):
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)
write(sys.argv[1] + "/wrap.safetensors",
      {"a": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 0]}})
PYEOF
	expect_fail 2 "wrap.safetensors: tensor 'a' has too many elements \(over 2\^40\)" \
		"a shape whose element count wraps is refused as too many, not 0" -- \
		run "$T/wrap.safetensors"
else
	skip "python3 is needed to write the file"
fi
finish
