#!/bin/sh
# The ReActNet ops from the command line: --input feeds the network problems
# (numpy checks what was fed and dumped), --dump-blocks writes every stage
# in NCHW, the per-block table and the network summary are printed, and bad
# descriptors and inputs get a message naming where, with exit status 2.
. "${srcdir:-.}/tests/lib.sh"
plan 29
B=$BNNBENCH
PY=${PYTHON3:-python3}
for py in "$PY" /usr/bin/python3 python3; do
	if "$py" -c 'import numpy' 2>/dev/null; then PY=$py; break; fi
done

if "$PY" -c 'import numpy' 2>/dev/null; then
	"$PY" -c "
import numpy as np
rng = np.random.default_rng(7)
np.save('$T/img.npy', rng.uniform(-1, 1, (2, 3, 32, 32)).astype(np.float32))
np.save('$T/img64.npy', np.zeros((1, 3, 32, 32)))
np.save('$T/img3d.npy', np.zeros((3, 32, 32), np.float32))
"
	"$B" run --no-db --check-only --input "$T/img.npy" --dump "$T/d" --dump-blocks \
		'reactnet n=3 h=32' >"$T/out" 2>&1
	ok $? "a network run on --input images passes"
	"$PY" -c "
import numpy as np, sys
d = '$T/d/reactnet_a_n3_32x32/'
img = np.load('$T/img.npy')
a = np.load(d + 'a.npy')
assert a.shape == (3, 3, 32, 32) and (a == img[[0, 1, 0]]).all(), 'fed images'
for f in ['reference', 'reactnet_a_xor_popc__generic']:
    y = np.load(d + f + '.npy')
    assert y.shape == (3, 1000), f
    assert (y[2] == y[0]).all(), f + ': the same image gives the same logits'
    assert (y[1] != y[0]).any(), f + ': another image, other logits'
s = np.load(d + 'reactnet_a_xor_popc__generic.stem.npy')
b1 = np.load(d + 'reactnet_a_xor_popc__generic.block01.npy')
b13 = np.load(d + 'reactnet_a_xor_popc__generic.block13.npy')
assert s.shape == (3, 32, 16, 16) and b1.shape == (3, 64, 16, 16), (s.shape, b1.shape)
assert b13.shape == (3, 1024, 1, 1), b13.shape
" 2>"$T/err"
	ok $? "numpy: the fed images, logits [3][1000] (same image, same logits), stage shapes NCHW"
	diag "$T/err"
	# At 128x128 the blocks whose input of one image is 512 KiB or more
	# (1 to 4) run image by image from one image's buffers; each stage of
	# the batch is still dumped per image, and every kernel gives the bits
	# the generic one gives.
	"$PY" -c "
import numpy as np
np.save('$T/img128.npy', np.random.default_rng(8).uniform(-1, 1, (2, 3, 128, 128)).astype(np.float32))
"
	"$B" run --no-db --check-only --input "$T/img128.npy" --dump "$T/d128" --dump-blocks \
		'reactnet n=3 h=128' >"$T/out" 2>&1 &&
	"$PY" -c "
import glob, numpy as np
d = '$T/d128/reactnet_a_n3_128x128/'
stages = ['stem'] + ['block%02d' % i for i in range(1, 14)]
kernels = sorted(f[len(d):-len('.stem.npy')] for f in glob.glob(d + '*.stem.npy'))
assert 'reactnet_a_xor_popc__generic' in kernels, kernels
for s in stages:
    g = np.load(d + 'reactnet_a_xor_popc__generic.' + s + '.npy')
    assert (g[2] == g[0]).all() and (g[1] != g[0]).any(), s + ': image by image'
    for k in kernels:
        assert (np.load(d + k + '.' + s + '.npy') == g).all(), k + ' ' + s
print(len(kernels))
" >"$T/n128" 2>"$T/err"
	ok $? "numpy: 128x128 batch of 3, every stage per image, $(cat "$T/n128") kernels' stages bit for bit the generic one's"
	diag "$T/err"
	# Without --input the images are synthetic: uniform in [-1, 1) on the
	# 2^-23 grid, with neither the planted zeros nor the subnormals of the
	# blocks' inputs (the stem would time subnormal assists).
	"$B" run --no-db --check-only --dump "$T/ds" 'reactnet n=2 h=32' >"$T/out" 2>&1 &&
	"$PY" -c "
import numpy as np
a = np.load('$T/ds/reactnet_a_n2_32x32/a.npy')
assert a.shape == (2, 3, 32, 32) and a.dtype == np.float32, (a.shape, a.dtype)
assert ((a >= -1) & (a < 1)).all(), 'range'
assert (a * 2**23 == np.round(a * 2**23)).all(), 'grid'
assert not ((a != 0) & (np.abs(a) < np.finfo(np.float32).tiny)).any(), 'subnormal'
assert (a == 0).sum() <= 1 and len(np.unique(a)) > a.size // 2, 'zeros or spread'
" 2>"$T/err"
	ok $? "numpy: synthetic network images uniform in [-1, 1), no subnormal or planted zero"
	diag "$T/err"
else
	skip "numpy is not installed"
	skip "numpy is not installed"
	skip "numpy is not installed"
	skip "numpy is not installed"
fi

out=$("$B" run --db "$T/r.db" --no-probe --no-peers --min-time 0.01 --min-reps 2 \
	'rblock n=1 h=16 w=16 c=32 k=64' 'reactnet n=1 h=32' 2>&1)
ok $? "a timed block and network run"
echo "$out" | grep -Eq '^ +1 +reduction +16x16 +32 -> 64 .*%$'
ok $? "the per-block table has block 1 with its share of the network"
echo "$out" | grep -Eq 'reactnet_a_n1_32x32 +reactnet_a_xor_popc__generic +[0-9.]+ +[0-9.]+ +[0-9.]+'
ok $? "the network summary has latency, images/s and TOPS"
echo "$out" | grep -q 'BOPs 9.83e+07 (binary MACs)'
ok $? "the summary states the op counts of the 32x32 network"
"$PY" - "$T/r.db" >"$T/err" 2>&1 <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute(
  "SELECT nb.block, n.kernel, b.kernel, nb.share, b.median_ns / n.median_ns, pb.name"
  " FROM network_block nb JOIN result n ON n.id = nb.network_result_id"
  " JOIN result b ON b.id = nb.block_result_id JOIN problem pb ON pb.id = b.problem_id"
).fetchall()
assert len(rows) >= 1, rows   # block 1, for each kernel family (generic, avx2, ...)
for blk, net, blkk, share, ratio, name in rows:
    assert blk == 1 and name == "rblock_reduction_n1_16x16_c32_k64_s1", rows
    assert net.replace("reactnet_a_", "") == blkk.replace("rblock_", ""), rows
    assert abs(share - ratio) < 1e-12 * ratio, rows
print(len(rows))
PYEOF
ok $? "the database links the network result to its block's result with the share"
diag "$T/err"
before=$(tail -1 "$T/err")
"$B" run --db "$T/r.db" --no-probe --no-peers --min-time 0.01 --min-reps 2 -q \
	'reactnet n=1 h=32' >/dev/null 2>&1 &&
	[ "$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM network_block").fetchone()[0])' "$T/r.db")" = "$before" ]
ok $? "a run without the block problems stores no share"
# The profile hook: each network result has its 15 stages (stem, blocks,
# head) as counters of source 'profile', timed inside the network (each
# positive); the per-block table shows them even for blocks not timed alone.
"$PY" - "$T/r.db" >"$T/err" 2>&1 <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
nets = db.execute("SELECT r.id, r.kernel, r.median_ns FROM result r JOIN problem p"
                  " ON p.id = r.problem_id WHERE p.op = 'reactnet' AND r.median_ns > 0").fetchall()
assert nets, "no timed network result"
for rid, kernel, median in nets:
    rows = db.execute("SELECT event, value, status FROM counter WHERE result_id = ? AND"
                      " source = 'profile' ORDER BY id", (rid,)).fetchall()
    names = [r[0] for r in rows]
    assert names == ["stem"] + ["block%02d" % i for i in range(1, 14)] + ["head"], (kernel, names)
    assert all(r[2] == "ok" and r[1] > 0 for r in rows), (kernel, rows)
    # Their sum against the median is printed, not asserted: timings are
    # never asserted in tests (a loaded machine moves either).
    print(kernel, "stages sum / median", round(sum(r[1] for r in rows) / median, 3))
PYEOF
ok $? "each network result stores its 15 stage times (profile), each positive"
diag "$T/err"
out=$("$B" run --no-db --no-probe --no-peers --kernel '*generic*' --min-time 0 --min-reps 1 \
	'reactnet n=1 h=32' 2>&1)
echo "$out" | grep -Eq '^ +13 +normal +1x1 +1024 -> 1024 +1 +- +- +[0-9.]+ +-$' &&
	echo "$out" | grep -q 'inside the network (median of profiled runs): stem'
ok $? "without block problems the per-block table has the times inside the network"

# At batch 2: the blocks are matched at the network's batch (a batch-1
# block does not stand for a batch-2 network), in the table and the database.
out=$("$B" run --db "$T/b2.db" --no-probe --no-peers --kernel '*generic*' --min-time 0.01 \
	--min-reps 2 'rblock n=2 h=16 w=16 c=32 k=64' 'rblock n=1 h=8 w=8 c=128 k=128' \
	'rblock n=2 h=8 w=8 c=128 k=128' 'reactnet n=2 h=32' 2>&1)
echo "$out" | grep -q 'ReActNet-A blocks, xor_popc__generic (batch 2, 32x32' &&
	echo "$out" | grep -Eq '^ +1 +reduction +16x16 +32 -> 64 .*%$' &&
	echo "$out" | grep -Eq '^ +3 +normal +8x8 +128 -> 128 .*%$'
ok $? "a batch-2 network gets its per-block table from the batch-2 blocks"
"$PY" - "$T/b2.db" >"$T/err" 2>&1 <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute(
  "SELECT nb.block, pb.name FROM network_block nb JOIN result b ON b.id = nb.block_result_id"
  " JOIN problem pb ON pb.id = b.problem_id ORDER BY nb.block").fetchall()
assert [r[0] for r in rows] == [1, 3], rows
assert all("_n2_" in name for _, name in rows), rows
PYEOF
ok $? "the database links the batch-2 network to blocks 1 and 3 at batch 2 only"
diag "$T/err"

# The reactnet_gpu suite (batch 256, for a GPU host) holds the network and
# every block shape of it at the same batch: at batch 1, on the generic
# kernels, its per-block table lists all 13 blocks.
sed 's/n=256/n=1/' "$srcdir/suites/reactnet_gpu.suite" >"$T/rg1.suite"
out=$("$B" run --no-db --no-probe --no-peers --kernel '*generic*' --min-time 0 --min-reps 1 \
	--suite "$T/rg1.suite" 2>&1)
n=$(echo "$out" | sed -n '/^ReActNet-A blocks, xor_popc__generic (batch 1, 224x224/,/timed alone sum/p' |
	grep -cE '^ +[0-9]+ +(normal|reduction) ')
[ "$n" -eq 13 ]
ok $? "reactnet_gpu at batch 1: the per-block table has all 13 blocks ($n)"

if [ -f "$T/img.npy" ]; then
	expect_fail 2 "img64.npy: field 'descr'" "float64 images are refused" -- \
		"$B" run --no-db --check-only --input "$T/img64.npy" 'reactnet h=32'
	expect_fail 2 "img3d.npy: field 'shape'" "images that are not N x 3 x H x W" -- \
		"$B" run --no-db --check-only --input "$T/img3d.npy" 'reactnet h=32'
	expect_fail 2 "descriptor 1: 'reactnet n=1 h=64 w=64': field 'h'/'w'.*32x32" \
		"images of another size than the problem" -- \
		"$B" run --no-db --check-only --input "$T/img.npy" 'reactnet h=64'
else
	skip "numpy is not installed"
	skip "numpy is not installed"
	skip "numpy is not installed"
fi
# --weights: a trained-network file in the official names (the generator of
# tests/test_weights writes it, with a broken variant).
if "$PY" -c 'import numpy' 2>/dev/null; then
	mkdir -p "$T/st" && "$PY" "${srcdir:-.}/tests/safetensors_gen.py" "$T/st" >"$T/gen" 2>&1 ||
		diag "$T/gen"
	"$B" run --no-db --check-only --weights "$T/st/full.safetensors" 'reactnet h=32' \
		'rblock h=8 c=256 k=512 stride=2' 'rblock h=5 c=33' >"$T/out" 2>"$T/err"
	ok $? "the network and a block of it pass on --weights"
	grep -q "rblock_normal_n1_5x5_c33_k33_s1: no block of ReActNet-A has c=33 k=33 stride=1: synthetic weights" "$T/err"
	ok $? "a block the network does not have says it runs on synthetic weights"
	expect_fail 2 "missing.safetensors: tensor 'feature.7.bn1.running_mean' is missing" \
		"a file without one tensor is refused, naming it" -- \
		"$B" run --no-db --check-only --weights "$T/st/missing.safetensors" 'reactnet h=32'
	rm -rf "$T/st"
else
	skip "numpy is not installed"
	skip "numpy is not installed"
	skip "numpy is not installed"
fi
expect_fail 2 "--weights x.safetensors: no reactnet or rblock problem" "--weights with nothing to use them" -- \
	"$B" run --no-db --check-only --weights x.safetensors 'gemm m=2 n=2 k=2'
expect_fail 2 "missing.npy: No such file" "a missing --input file" -- \
	"$B" run --no-db --check-only --input "$T/missing.npy" 'reactnet h=32'
expect_fail 2 "needs --dump" "--dump-blocks without --dump" -- \
	"$B" run --no-db --check-only --dump-blocks 'reactnet h=32'
expect_fail 2 "field 'k': 48 must be c=32 \(normal block\) or 2c=64" "a block that is neither normal nor reduction" -- \
	"$B" run --no-db --check-only 'rblock h=8 c=32 k=48'
expect_fail 2 "field 'stride': 2 must be 1 for a normal block" "a strided normal block" -- \
	"$B" run --no-db --check-only 'rblock h=8 c=32 stride=2'
expect_fail 2 "field 'h'/'w': 7x7 must be even for stride 2" "odd input of a strided block" -- \
	"$B" run --no-db --check-only 'rblock h=7 c=32 k=64 stride=2'
expect_fail 2 "field 'h'/'w': 100x100 must be multiples of 32" "a network input size that does not halve 5 times" -- \
	"$B" run --no-db --check-only 'reactnet h=100'
expect_fail 2 "field 'c': unknown key for reactnet" "a key the network does not take" -- \
	"$B" run --no-db --check-only 'reactnet c=3'
finish
