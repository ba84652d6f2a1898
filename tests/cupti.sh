#!/bin/sh
# CUPTI (GPU kernel records and metrics) from the command line, on a machine
# without a GPU: a run with GPU kernels SKIPs them, still stores its results
# and records with the run why CUPTI could not read anything (run_counter,
# source CUPTI), exit 0; a malformed --gpu-metrics stops everything (exit 2,
# the metric named, no database); with a named chip (BNNBENCH_CUPTI_CHIP)
# a metric the chip lacks is "unknown"; info lists it all; merge and export
# keep schema 4's GPU columns and gpu_kernel rows (planted: nothing can
# produce them here).
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import sqlite3, json' 2>/dev/null; then
	echo "1..0 # SKIP python3 with sqlite3 is needed to read the databases"
	exit 0   # the TAP driver takes "1..0 # SKIP" as the skip; 77 would be an ERROR
fi
plan 20

# What this build has: CUDA kernels in the table, CUPTI, a device.
"$B" info --json >"$T/info.json" 2>"$T/err"
ok $? "info --json"
eval "$("$PY" - "$T/info.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
g = d.get("gpu_counters", {})
cuda = any(k["isa"] == "cuda" for k in d["kernels"])
print("cuda=%s cupti=%s device=%s" % ("yes" if cuda else "no", "yes" if g.get("built") else "no",
                                       "yes" if g.get("device") else "no"))
PYEOF
)"
echo "# build: CUDA kernels $cuda, CUPTI $cupti, device $device"

"$PY" - "$T/info.json" "$cupti" "$device" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))["gpu_counters"]
cupti, device = sys.argv[2] == "yes", sys.argv[3] == "yes"
assert d["kernel_records"]["event"] == "CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL", d
names = [m["name"] for m in d["metrics"]]
assert names == ["sm__pipe_tensor_op_imma_cycles_active.avg.pct_of_peak_sustained_active",
                 "dram__bytes_read.sum", "dram__bytes_write.sum",
                 "sm__warps_active.avg.pct_of_peak_sustained_active"], names
if not device:
    assert d["kernel_records"]["status"] == "unavailable" and d["kernel_records"]["reason"], d
    assert all(m["status"] == "unavailable" and m["reason"] for m in d["metrics"]), d
    assert d["chip_metrics"] is None and d["chip_metrics_error"], d
PYEOF
ok $? "info --json: gpu_counters with the default metrics; without a device each unavailable with its reason"
"$B" info >"$T/info.txt" 2>&1 &&
	grep -q '^gpu counters (' "$T/info.txt" &&
	grep -Eq '^  kernel records +(ok|unavailable) ' "$T/info.txt" &&
	grep -Eq '^  dram__bytes_read.sum +(ok|unavailable|unknown) ' "$T/info.txt"
ok $? "info: the gpu counters section: kernel records and each metric with its status"
sed -n '/^gpu counters/,/^kernels/p' "$T/info.txt" | diag
expect_fail 2 "--gpu-metrics: metric 2 'dram bytes' is not a metric name" \
	"info refuses a malformed --gpu-metrics, naming the metric" -- \
	"$B" info --gpu-metrics 'dram__bytes_read.sum,dram bytes'

# A malformed list is bad input before anything runs or is stored.
db="$T/bad.db"
expect_fail 2 "--gpu-metrics: metric 2 is empty" "run refuses an empty metric (exit 2)" -- \
	"$B" run --db "$db" --no-probe --no-peers --gpu-metrics 'dram__bytes_read.sum,,x.sum' \
	'gemm m=8 n=8 k=64'
[ ! -e "$db" ]
ok $? "and creates no database"
expect_fail 2 "metric 3 'a.sum' is already metric 1" "a metric named twice is refused" -- \
	"$B" run --no-db --check-only --gpu-metrics a.sum,b.sum,a.sum 'gemm m=8 n=8 k=64'

# A run of the GPU kernels of a gemm problem.
db="$T/gpu.db"
"$B" run --db "$db" --min-time 0 --min-reps 1 --no-probe --no-peers --kernel '*cuda*' \
	'gemm m=64 n=64 k=129' >"$T/out" 2>"$T/err"
rc=$?
if [ "$cuda" = yes ]; then
	[ $rc -eq 0 ]
	ok $? "a run of the '*cuda*' kernels exits 0"
else
	# Built without CUDA, '*cuda*' names no kernel: an error, not an empty run.
	[ $rc -eq 2 ] && grep -q "kernel '\*cuda\*': matches no kernel" "$T/err"
	ok $? "without CUDA kernels, --kernel '*cuda*' is refused (exit $rc)"
fi
diag "$T/out"
if [ "$cuda" = yes ] && [ "$device" = no ]; then
	grep -q '^gpu counters (CUPTI): .*unavailable: ' "$T/out"
	ok $? "it prints once at its start why CUPTI reads nothing"
	"$PY" - "$db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
res = c.execute("SELECT kernel, status, reason FROM result").fetchall()
assert len(res) >= 3 and all(s == "SKIP" and "CUDA" in r for k, s, r in res), res
rows = c.execute("SELECT event, component, status, reason FROM run_counter WHERE source = 'CUPTI'"
                 " ORDER BY rowid").fetchall()
assert [r[0] for r in rows] == ["CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL",
                               "sm__pipe_tensor_op_imma_cycles_active.avg.pct_of_peak_sustained_active",
                               "dram__bytes_read.sum", "dram__bytes_write.sum",
                               "sm__warps_active.avg.pct_of_peak_sustained_active"], rows
assert all(st == "unavailable" and reason and ("CUDA" in reason or "CUPTI" in reason)
           for e, comp, st, reason in rows), rows
assert rows[0][1] == "Activity API" and rows[1][1].startswith("Range Profiler"), rows
assert c.execute("SELECT count(*) FROM gpu_kernel").fetchone()[0] == 0
assert c.execute("SELECT count(*) FROM counter WHERE source = 'CUPTI'").fetchone()[0] == 0
assert c.execute("SELECT status FROM run").fetchone()[0] == "passed"
PYEOF
	ok $? "SKIP results stored, with the reason; run_counter rows source CUPTI: kernel records and each metric unavailable with the reason"
else
	skip "needs CUDA kernels and no device (CUDA $cuda, device $device)"
	skip "needs CUDA kernels and no device (CUDA $cuda, device $device)"
fi

# A run that times no GPU kernel records nothing of CUPTI.
"$B" run --db "$T/cpu.db" --min-time 0 --min-reps 1 --no-probe --no-peers \
	--kernel '*generic*' 'gemm m=16 n=16 k=64' >"$T/out" 2>&1 &&
	"$PY" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("SELECT count(*) FROM run_counter WHERE source = '"'CUPTI'"'").fetchone()[0] == 0
assert c.execute("SELECT count(*) FROM result WHERE status = '"'PASS'"'").fetchone()[0] >= 1
' "$T/cpu.db" && ! grep -q '^gpu counters' "$T/out"
ok $? "a run without GPU kernels starts no CUPTI and records none of its rows"

# A named chip: its host tables know the metric names (no device needed).
if [ "$cupti" = yes ] && [ "$device" = no ]; then
	db="$T/chip.db"
	BNNBENCH_CUPTI_CHIP=GH100 "$B" run --db "$db" --min-time 0 --min-reps 1 --no-probe \
		--no-peers --kernel '*cuda*' --gpu-metrics dram__bytes_read.sum,bnn_made_up.sum \
		'gemm m=64 n=64 k=129' >"$T/out" 2>"$T/err"
	ok $? "a run with a metric GH100 lacks exits 0"
	grep -q "^bnnbench: --gpu-metrics: 'bnn_made_up.sum': the chip GH100 offers no metric of that name" "$T/err"
	ok $? "that metric gets a clear message on stderr"
	diag "$T/err"
	"$PY" - "$db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = dict((e, (comp, st, r)) for e, comp, st, r in c.execute(
    "SELECT event, component, status, reason FROM run_counter WHERE source = 'CUPTI'"))
assert rows["bnn_made_up.sum"][1] == "unknown" and "GH100" in rows["bnn_made_up.sum"][2], rows
assert rows["dram__bytes_read.sum"][1] == "unavailable", rows
assert "no CUDA device" in rows["dram__bytes_read.sum"][2], rows
assert rows["dram__bytes_read.sum"][0] == "Range Profiler, chip GH100", rows
PYEOF
	ok $? "run_counter: the made-up metric unknown (naming the chip), the real one unavailable (no device)"
	BNNBENCH_CUPTI_CHIP=GH100 "$B" info --json >"$T/chip.json" &&
		"$PY" -c '
import json, sys
g = json.load(open(sys.argv[1]))["gpu_counters"]
cm = g["chip_metrics"]
assert g["chip"] == "GH100" and "dram__bytes_read" in cm["counter"], g["chip"]
assert "sm__pipe_tensor_op_imma_cycles_active" in cm["counter"] and len(cm["counter"]) > 1000
' "$T/chip.json" && BNNBENCH_CUPTI_CHIP=GH100 "$B" info | grep -q ' dram__bytes_read '
	ok $? "info (text and --json) lists the metric names GH100 offers"
else
	skip "needs CUPTI and no device (CUPTI $cupti, device $device)"
	skip "needs CUPTI and no device (CUPTI $cupti, device $device)"
	skip "needs CUPTI and no device (CUPTI $cupti, device $device)"
	skip "needs CUPTI and no device (CUPTI $cupti, device $device)"
fi

# merge and export with schema 4's GPU data, planted into a real database:
# device_ns per sample, device_{min,median}_ns, gpu_kernel rows, a CUPTI
# counter with a fractional value and CUPTI run_counter rows.
src="$T/src.db" fleet="$T/fleet.db"
"$B" run --db "$src" --min-time 0 --min-reps 3 --no-probe --no-peers --kernel '*generic*' \
	'gemm m=16 n=16 k=64' >/dev/null 2>&1
"$PY" - "$src" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rid, run = c.execute("SELECT id, run_id FROM result WHERE nsamples > 0 ORDER BY id LIMIT 1").fetchone()
c.execute("UPDATE sample SET device_ns = 1000 + idx WHERE result_id = ?", (rid,))
c.execute("UPDATE result SET device_min_ns = 1000, device_median_ns = 1001.5 WHERE id = ?", (rid,))
c.executemany("INSERT INTO gpu_kernel (result_id, name, reps, launches, total_ns, min_ns, max_ns,"
              " per_rep_ns) VALUES (?, ?, 10, ?, ?, ?, ?, ?)",
              [(rid, "pack_rows(const float *, long, long, long, long, unsigned int *)", 10, 2000.0, 190.0, 210.0, 200.0),
               (rid, "bgemm_mma_kernel", 10, 7000.0, 650.0, 760.0, 700.0)])
c.execute("INSERT INTO counter (result_id, source, event, value, status, reps, per_rep, scope)"
          " VALUES (?, 'CUPTI', 'sm__warps_active.avg.pct_of_peak_sustained_active', 45.25, 'ok', 1,"
          " 45.25, 'device GH100: one repetition')", (rid,))
c.execute("INSERT INTO run_counter (run_id, source, event, component, status, reason) VALUES"
          " (?, 'CUPTI', 'dram__bytes_read.sum', 'Range Profiler', 'unavailable', 'planted reason')", (run,))
c.commit()
PYEOF
ok $? "planted GPU data into a real run's database"
"$B" merge "$src" -o "$fleet" >"$T/out" 2>&1 && "$B" merge "$src" -o "$fleet" >>"$T/out" 2>&1
ok $? "merge it twice into a fleet database"
diag "$T/out"
"$PY" - "$src" "$fleet" <<'PYEOF'
import sqlite3, sys
def gpu(db):
    c = sqlite3.connect(db)
    k = sorted(c.execute("SELECT p.canonical, r.kernel, g.name, g.reps, g.launches, g.total_ns, g.min_ns,"
                         " g.max_ns, g.per_rep_ns FROM gpu_kernel g JOIN result r ON r.id = g.result_id"
                         " JOIN problem p ON p.id = r.problem_id"))
    d = sorted(c.execute("SELECT r.kernel, r.device_min_ns, r.device_median_ns FROM result r"
                         " WHERE r.device_median_ns IS NOT NULL"))
    s = sorted(c.execute("SELECT r.kernel, s.idx, s.ns, s.device_ns FROM sample s JOIN result r"
                         " ON r.id = s.result_id WHERE s.device_ns IS NOT NULL"))
    n = sorted(c.execute("SELECT r.kernel, n.event, n.value, n.per_rep FROM counter n JOIN result r"
                         " ON r.id = n.result_id WHERE n.source = 'CUPTI'"))
    rc = sorted(c.execute("SELECT event, status, reason FROM run_counter WHERE source = 'CUPTI'"))
    return k, d, s, n, rc
a, b = gpu(sys.argv[1]), gpu(sys.argv[2])
assert len(a[0]) == 2 and len(a[1]) == 1 and len(a[2]) >= 3 and len(a[3]) == 1 and len(a[4]) == 1, a
assert a == b, (a, b)
assert b[3][0][2] == 45.25, b[3]
PYEOF
ok $? "the fleet keeps the gpu_kernel rows, device_ns, device_{min,median}_ns, the fractional CUPTI counter and the CUPTI run_counter rows, once"
"$B" export --db "$fleet" --format csv >"$T/x.csv" && "$B" export --db "$fleet" --format json >"$T/x.json"
ok $? "export csv and json of the fleet"
"$PY" - "$T/x.csv" "$T/x.json" <<'PYEOF'
import csv, json, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["device_median_ns"]]
assert len(rows) == 1, rows
r = rows[0]
assert float(r["device_min_ns"]) == 1000 and float(r["device_median_ns"]) == 1001.5, r
assert float(r["gpu_kernel_ns"]) == 900, r      # 200 + 700 per repetition
d = json.load(open(sys.argv[2]))
med = [b for b in d["benchmarks"] if b.get("aggregate_name") == "median" and "device_median_ns" in b]
assert len(med) == 1 and med[0]["device_median_ns"] == 1001.5 and med[0]["gpu_kernel_ns"] == 900, med
PYEOF
ok $? "export: the CSV's device_min_ns, device_median_ns and gpu_kernel_ns (sum of per-repetition kernel times), and the JSON median's"
finish
