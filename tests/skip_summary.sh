#!/bin/sh
# A run's SKIPs are listed once per reason at the end, with their count and
# kernels, instead of a line each; -v prints each SKIP again (and no
# summary), -q neither. The kernels left out by BNNBENCH_ISA=generic give
# SKIPs on any machine. On a CUDA build with no NVIDIA driver loaded, the
# GPU kernels' reason names what is missing (kernels/cuda/cuda_common.cu).
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import re' 2>/dev/null; then
	echo "1..0 # SKIP python3 is needed to read the run's lines"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
plan 7
run() { BNNBENCH_ISA=generic "$B" run --no-db --check-only --no-peers \
	'gemm m=8 n=8 k=65' 'gemm m=3 n=5 k=129' "$@"; }
run >"$T/quiet" 2>"$T/err"
ok $? "two problems with the ISA capped at generic"
run -v >"$T/verbose" 2>"$T/err"
ok $? "the same with -v"

# The per-reason summary of the default output against the per-kernel
# lines of -v: the same SKIPs, each reason once, its count and kernels.
"$PY" - "$T/quiet" "$T/verbose" <<'PYEOF'
import re, sys
quiet, verbose = (open(f).read().splitlines() for f in sys.argv[1:3])
line = re.compile(r"^\[ *\d+/\d+\] +\S+ +(\S+) +(PASS|FAIL|SKIP|MISTRUSTED)")
def summary(lines):
    m = [re.match(r"^summary: \d+ PASS, \d+ FAIL, (\d+) SKIP", l) for l in lines]
    return int([x for x in m if x][0].group(1))
# -v: every SKIP on its own line, its reason on the next.
by_reason = {}
for i, l in enumerate(verbose):
    m = line.match(l)
    if m and m.group(2) == "SKIP":
        by_reason.setdefault(verbose[i + 1].strip(), []).append(m.group(1))
nskip = summary(verbose)
assert nskip > 0 and sum(map(len, by_reason.values())) == nskip, (nskip, by_reason)
assert not any(l.startswith("skipped: ") for l in verbose), "-v prints no per-reason summary"
# Default: no SKIP line, one block per reason.
assert not any(line.match(l) and line.match(l).group(2) == "SKIP" for l in quiet)
assert summary(quiet) == nskip
head = [i for i, l in enumerate(quiet) if l.startswith("skipped: ")]
assert len(head) == 1, head
m = re.match(r"^skipped: (\d+) results for (\d+) reasons", quiet[head[0]])
assert (int(m.group(1)), int(m.group(2))) == (nskip, len(by_reason)), (m.groups(), nskip, len(by_reason))
got = {}
for i in range(head[0] + 1, head[0] + 1 + 2 * len(by_reason), 2):
    r = re.match(r"^ +(\d+) x (.*)$", quiet[i])
    k = re.match(r"^ +kernels: (.*)$", quiet[i + 1])
    assert r and k, quiet[i:i + 2]
    assert r.group(2) not in got, "a reason is listed once"
    got[r.group(2)] = (int(r.group(1)), k.group(1).split(", "))
for reason, kernels in by_reason.items():
    n, names = got[reason]
    assert n == len(kernels), (reason, n, len(kernels))
    # Each kernel once, in the order it first skipped.
    assert names == list(dict.fromkeys(kernels)), (names, kernels)
assert set(got) == set(by_reason)
assert "excluded by BNNBENCH_ISA=generic" in got
PYEOF
ok $? "the SKIPs once per reason with their count and kernels; -v has each SKIP line and reason instead"
n_v=$(grep -cE '^\[ *[0-9]+/[0-9]+\] .* SKIP' "$T/verbose")
n_q=$(grep -cE '^\[ *[0-9]+/[0-9]+\] .* SKIP' "$T/quiet")
lines_v=$(wc -l <"$T/verbose") lines_q=$(wc -l <"$T/quiet")
[ "$n_q" -eq 0 ] && [ "$n_v" -gt 0 ] && [ "$lines_q" -lt "$lines_v" ]
ok $? "quiet by default: $lines_q lines, $lines_v with -v ($n_v SKIP lines)"

run -q >"$T/q" 2>"$T/err"
! grep -qE '^skipped: |^\[ *[0-9]+/[0-9]+\] ' "$T/q" && grep -q '^summary: ' "$T/q"
ok $? "-q: neither SKIP lines nor the per-reason list, the summary only"

# No NVIDIA driver: the GPU kernels say what is missing, once per reason.
msg='no CUDA device: no NVIDIA driver is loaded on this machine (no /proc/driver/nvidia/version)'
if ! "$B" list | grep -qE '^ +[a-z0-9_]+__cuda_[a-z0-9_]+ +[a-z]+ +cuda '; then
	skip "not a CUDA build: no GPU kernel to skip (the reason is made in kernels/cuda/cuda_common.cu)"
	skip "not a CUDA build"
elif [ -e /proc/driver/nvidia/version ]; then
	skip "an NVIDIA driver is loaded here: the no-driver reason cannot be provoked"
	skip "an NVIDIA driver is loaded here"
else
	[ "$(grep -cF "$msg" "$T/quiet")" -eq 1 ] &&
		grep -F "$msg" "$T/quiet" | grep -Eq "^ +[0-9]+ x "
	ok $? "no driver: the GPU kernels' SKIPs give the reason once, with their count: $msg"
	"$B" list | grep -E '__cuda_' >"$T/gpu"
	[ -s "$T/gpu" ] && ! grep -Fv "($msg)" "$T/gpu" >/dev/null
	ok $? "and bnnbench list gives it for each of the $(wc -l <"$T/gpu") GPU kernels"
fi
finish
