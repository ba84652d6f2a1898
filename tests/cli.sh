#!/bin/sh
# Bad input gets a clear message naming file, line and field, a non-zero
# exit, and leaves the database as it was; --dump writes .npy files numpy
# reads back; --help and the descriptor on the command line work.
. "${srcdir:-.}/tests/lib.sh"
plan 37
B=$BNNBENCH
db="$T/keep.db"

# A database with one finished run, which no failure below may change.
"$B" run --db "$db" --probe-time 0.02 --min-time 0 --min-reps 1 'gemm m=3 n=5 k=65' >/dev/null 2>&1
ok $? "a first run stores a result"
"$B" show --db "$db" >"$T/before" 2>&1

bad() { # LINE NUMBER PATTERN DESCRIPTION: a suite whose line 3 is LINE
	printf '# a suite\ngemm m=4 n=4 k=64\n%s\nconv h=5 c=3 k=2\n' "$1" >"$T/bad.suite"
	expect_fail 2 "$2" "$3" -- "$B" run --db "$db" --suite "$T/bad.suite"
}
bad 'gemm m=1 n=1 k=1 q=2' "bad.suite:3: field 'q': unknown key for gemm" "unknown key"
bad 'gemm m=0 n=1 k=1' "bad.suite:3: field 'm': 0 must be positive" "zero size"
bad 'conv h=-4 c=3 k=2' "bad.suite:3: field 'h': -4 must be positive" "negative size"
bad 'conv h=5 c=3 k=2 pad=-1' "bad.suite:3: field 'pad': -1 must be zero or more" "negative padding"
bad 'gemm m=1 n 1 k=1' "bad.suite:3: malformed field 'n'" "malformed line: token without ="
bad 'gemm m=1 n=x k=1' "bad.suite:3: field 'n': 'x' is not an integer" "malformed value"
bad 'gemm m=1 n=1' "bad.suite:3: field 'k': missing" "missing required key"
bad 'gemm m=1 m=2 n=1 k=1' "bad.suite:3: field 'm': given twice" "repeated key"
bad 'gemv m=1 n=1 k=1' "bad.suite:3: unknown operation 'gemv'" "unknown operation"
bad 'conv h=5 c=3 k=2 pad_value=2' "bad.suite:3: field 'pad_value': 2 must be 0 or 1" "pad_value out of range"
bad 'bwn h=5 c=3 k=2 pad_value=1' "bad.suite:3: field 'pad_value': unknown key for bwn" "pad_value on BWN"
bad 'conv h=5 c=3 k=2 groups=2' "bad.suite:3: field 'groups': c=3 is not divisible" "groups not dividing channels"
bad 'conv h=2 c=3 k=2 kh=5' "bad.suite:3: field 'h'/'w': the padded input" "kernel larger than the padded image"
bad 'xnor h=5 c=3 k=2 mode=fast' "bad.suite:3: field 'mode': 'fast' is not paper or released" "unknown XNOR mode"
bad 'gemm m=1 n=1 k=16777216' "bad.suite:3: field 'k': 16777216 must be below 2\\^24" "K too large for an exact float reference"
bad 'gemm m=2147483648 n=2147483648 k=16777215' "bad.suite:3: the sizes of .* overflow size_t" "sizes overflowing size_t"
expect_fail 2 "command line, descriptor 1: '.*' needs about .* over --max-mem 64.0 MiB" \
	"problem over --max-mem" -- "$B" run --db "$db" --max-mem 64M 'gemm m=4096 n=4096 k=64'
printf 'include %s/nested.suite\n' "$T" >"$T/outer.suite"
printf 'gemm m=1 n=1 k=1\n\ngemm m=1 n=1 k=1 k=3\n' >"$T/nested.suite"
expect_fail 2 "nested.suite:3: field 'k': given twice" "error inside an included suite names the included file" \
	-- "$B" run --db "$db" --suite "$T/outer.suite"
expect_fail 2 "suite 'no-such-suite': no such file, and no built-in suite" "missing suite" \
	-- "$B" run --db "$db" --suite no-such-suite
expect_fail 2 "unrecognized option|invalid option" "unknown option" -- "$B" --frobnicate
expect_fail 2 "--min-time: 'abc' is not seconds" "bad option value" -- "$B" --min-time abc --suite conformance

# Databases that cannot be used.
expect_fail 3 "$T/no/such/dir/x.db" "database in a missing directory: message names the path" \
	-- "$B" run --db "$T/no/such/dir/x.db" 'gemm m=1 n=1 k=1'
: >"$T/afile"
expect_fail 3 "$T/afile/x.db" "database under a regular file (unwritable path)" \
	-- "$B" run --db "$T/afile/x.db" 'gemm m=1 n=1 k=1'
head -c 4096 /dev/urandom >"$T/corrupt.db"
cp "$T/corrupt.db" "$T/corrupt.orig"
expect_fail 3 "not an SQLite database" "corrupt database file is refused" \
	-- "$B" run --db "$T/corrupt.db" 'gemm m=1 n=1 k=1'
cmp -s "$T/corrupt.db" "$T/corrupt.orig"
ok $? "the corrupt file is left byte for byte as it was"

# After all of the above, the good database still holds exactly its run.
"$B" show --db "$db" >"$T/after" 2>&1
cmp -s "$T/before" "$T/after"
ok $? "no bad input added to or changed the existing database"

# --dump: .npy files that numpy reads, with outputs equal to the reference.
"$B" run --no-db --check-only --dump "$T/dump" 'gemm m=3 n=5 k=65 name=g' \
	'conv h=4 w=5 c=3 k=2 pad=1 name=c' >/dev/null 2>&1
ok $? "--dump run exits 0"
n=0
for f in g/a g/b g/reference g/bgemm_xor_popc__generic c/a c/b c/reference \
	c/bconv_xor_popc__generic; do
	[ "$(head -c 6 "$T/dump/$f.npy" | od -An -c | tr -d ' ')" = '223NUMPY' ] && n=$((n + 1))
done
[ $n -eq 8 ]
ok $? "--dump wrote 8 .npy files with the NumPy magic ($n)"
PY=${PYTHON3:-python3}
for py in "$PY" /usr/bin/python3 python3; do
	if "$py" -c 'import numpy' 2>/dev/null; then PY=$py; break; fi
done
if "$PY" -c 'import numpy' 2>/dev/null; then
	"$PY" - "$T/dump" <<'PYEOF'
import sys, numpy as np
d = sys.argv[1]
s = lambda x: np.where(x >= 0, 1, -1)   # the suite's sign rule: sign(-0.0) = +1
a, b = np.load(d + "/g/a.npy"), np.load(d + "/g/b.npy")
ref, out = np.load(d + "/g/reference.npy"), np.load(d + "/g/bgemm_xor_popc__generic.npy")
assert a.shape == (3, 65) and b.shape == (5, 65) and out.dtype == np.int32
assert (s(a) @ s(b).T == ref).all() and (out == ref).all()
x, w = np.load(d + "/c/a.npy"), np.load(d + "/c/b.npy")
out = np.load(d + "/c/bconv_xor_popc__generic.npy")
xp = np.zeros((1, 6, 7, 3)); xp[:, 1:5, 1:6, :] = s(x)   # pad_value 0
want = np.zeros((1, 4, 5, 2))
for i in range(4):
    for j in range(5):
        for o in range(2):
            want[0, i, j, o] = (xp[0, i:i+3, j:j+3, :] * s(w[o])).sum()
assert (out == want).all(), (out, want)
PYEOF
	ok $? "numpy recomputes the dumped GEMM and convolution and agrees"
else
	skip "numpy is not installed: cannot re-check the dump values"
fi

# The peak probe: stored as results of kind probe, and efficiencies follow.
"$B" probe --db "$T/probe.db" --probe-time 0.02 >"$T/out" 2>&1
rc=$?
n=$(grep -c '^  xorpopc generic.8w threads=1 .* TOPS' "$T/out")
rows=$(results_in "$T/probe.db")
[ $rc -eq 0 ] && [ "$n" -eq 1 ] && [ -n "$rows" ] && [ "$rows" -ge 4 ]
ok $? "bnnbench probe measures and stores its rows ($rows)"
"$B" run --no-db --probe-time 0.02 --min-time 0 'gemm m=64 n=64 k=256' >"$T/out" 2>&1
# Under load a probe can come out below a kernel: the line then says so.
grep -Eq 'bgemm_xor_popc__generic .* PASS .* TOPS .*(% of peak|peak mistrusted \([0-9]+% of the probed peak\))' "$T/out"
ok $? "a timed run states each kernel's efficiency against the probed peak (or that the peak is mistrusted)"

"$B" list >"$T/out" 2>&1
nsuites=$(sed -n '/^Built-in suites/,/^$/p' "$T/out" | grep -c ' problems$')
! grep -q ' invalid: ' "$T/out" && [ "$nsuites" -ge 9 ] && grep -Eq '^  perf_gpu +[0-9]+ problems$' "$T/out"
ok $? "every built-in suite (perf_gpu included) loads and validates ($nsuites)"

"$B" --help >"$T/out" 2>&1
[ $? -eq 0 ] && grep -q 'usage: bnnbench' "$T/out" && grep -q '2 operations per binary MAC' "$T/out"
ok $? "--help prints the usage and the TOPS convention"
"$B" run --no-db --probe-time 0.02 'xnor mode=released h=6 c=5 k=3 pad=1' --min-time 0 >"$T/out" 2>&1
[ $? -eq 0 ] && grep -q 'xnor_released_n1_6x6_c5_k3_3x3_s1_p1_v0_d1_g1 .* PASS .* TOPS' "$T/out"
ok $? "a descriptor on the command line runs, timed, with a derived name"
# --shard I/N: the shards of a suite cover it once, round robin.
for i in 1 2 3; do
	"$B" run --check-only -q --db "$T/shard$i.db" --shard $i/3 --suite gemm >/dev/null 2>&1 || echo "# shard $i failed"
done
"$B" merge "$T/shard1.db" "$T/shard2.db" "$T/shard3.db" -o "$T/shards.db" >/dev/null 2>&1
all=$("$B" run --check-only -q --no-db --suite gemm 2>/dev/null | sed -n 's/^summary: \([0-9]*\) PASS.*/\1/p')
got=$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM result WHERE status = \"PASS\"").fetchone()[0])' "$T/shards.db" 2>/dev/null)
suites=$("$PY" -c 'import sqlite3,sys; print(",".join(s for (s,) in sqlite3.connect(sys.argv[1]).execute("SELECT suite FROM run ORDER BY id")))' "$T/shards.db" 2>/dev/null)
[ -n "$all" ] && [ "$got" = "$all" ] && [ "$suites" = "gemm shard 1/3,gemm shard 2/3,gemm shard 3/3" ]
ok $? "three shards of the gemm suite merged hold its results once ($got of $all PASS; runs $suites)"
expect_fail 2 "--shard: '4/3' is not I/N" "a shard beyond N is refused" -- "$B" run --shard 4/3 --suite gemm
finish
