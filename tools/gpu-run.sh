#!/bin/sh
# tools/gpu-run.sh: run on a lent GPU machine, in the repository root, with
# gpu-bundle/ (tools/gpu-bundle.sh, made on the Debian machine) carried
# along. Needs only sh, tar, gzip, gcc, make, coreutils' timeout and the
# CUDA toolkit: no autotools, pkg-config, apt or network. It
#   1. unpacks the dist tarball into a build folder (outside the tree, so
#      configure's `git describe` cannot find this checkout) and configures
#      it against gpu-bundle/sysroot, with every library's flags set (no
#      pkg-config), the CUDA toolkit found on PATH or in /usr/local/cuda,
#      and SASS for sm_90 (configure adds the sm_90a wgmma target itself);
#   2. builds with make -j;
#   3. runs, in order: make check; bnnbench info --json; the conformance
#      suite check-only on the CUDA kernels; perf_gpu timed on the CUDA
#      kernels (and the peers); reactnet_gpu (ReActNet-A at batch 256 and
#      its blocks) on the CUDA kernels, with what time is left;
# each stage under its own time limit and all of them under a total one,
# so the script ends, with its logs, inside the run tool's 10 minutes. It
# leaves at most 8 files in $OUT (the tool brings back 8): summary.txt,
# build.log, check.log, info.json, conformance.log, perf_gpu.log,
# bnnbench.db and extra.tar.gz (config.log, every test's log, the suite).
# The last thing printed is the table of stages (status, seconds).
#
# Variables (seconds unless said):
#   OUT                 output folder (default: gpu-out in the tree)
#   BNN_GPU_BUNDLE      the bundle (default: gpu-bundle in the tree)
#   BNN_GPU_BUILD       build folder (default: /tmp/bnnbench-gpu)
#   BNN_GPU_JOBS        make -j (default: nproc)
#   BNN_GPU_CUDA        toolkit root (default: nvcc on PATH, /usr/local/cuda)
#   BNN_GPU_ARCH        --with-cuda-arch (default: SASS for sm_90 only)
#   BNN_GPU_TOTAL       all stages together (default 540)
#   BNN_GPU_T_CONFIGURE, _BUILD, _CHECK, _INFO, _CONFORMANCE, _PERF, _RNET:
#                       each stage's limit (default 90, 240, 150, 30, 90,
#                       240, 150); a stage gets the smaller of its own and
#                       what is left, and none starts with under 20 s left
#   BNN_GPU_PERF_SKIP   extended regex of perf_gpu lines left out (default:
#                       none; 'name=gemm_8192$' leaves out the 8192^3 GEMM,
#                       whose CPU reference is minutes on few cores, some
#                       15 s on 16; see suites/perf_gpu.suite)
#   BNN_GPU_PERF_KERNEL --kernel of the perf stage (default '*cuda*'; the
#                       peers run either way); empty runs every kernel
#   BNN_GPU_PERF_ARGS   more bnnbench options for the perf stage
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$top/gpu-out}
bundle=${BNN_GPU_BUNDLE:-$top/gpu-bundle}
build=${BNN_GPU_BUILD:-/tmp/bnnbench-gpu}
jobs=${BNN_GPU_JOBS:-$(nproc 2>/dev/null || echo 4)}
arch=${BNN_GPU_ARCH:-"-gencode=arch=compute_90,code=sm_90"}
total=${BNN_GPU_TOTAL:-540}
perf_skip=${BNN_GPU_PERF_SKIP-}
perf_kernel=${BNN_GPU_PERF_KERNEL-'*cuda*'}
perf_args=${BNN_GPU_PERF_ARGS:-}

mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
summary=$OUT/summary.txt
start=$(date +%s)
: >"$summary"
table=

die() { echo "gpu-run: $*" | tee -a "$summary" >&2; exit 1; }
note() { echo "$*" | tee -a "$summary"; }

[ -f "$bundle/bnnbench-dist.tar.gz" ] && [ -d "$bundle/sysroot" ] ||
	die "no bundle at $bundle (make it with tools/gpu-bundle.sh and carry gpu-bundle)"
bundle=$(cd "$bundle" && pwd)
sr=$bundle/sysroot
lib=$sr/usr/lib/x86_64-linux-gnu
version=$(head -n 1 "$bundle/VERSION" 2>/dev/null || echo unknown)

# The toolkit: BNN_GPU_CUDA, else nvcc on PATH (through its links, so that
# /usr/bin/nvcc -> /usr/local/cuda-13.0/bin/nvcc gives the real root), else
# /usr/local/cuda.
cuda=${BNN_GPU_CUDA:-}
if [ -z "$cuda" ] && command -v nvcc >/dev/null 2>&1; then
	cuda=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")
fi
if [ -z "$cuda" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
	cuda=$(readlink -f /usr/local/cuda)
fi

# What was there: for reading the results, and for the next bundle.
{
	echo "gpu-run: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n) ($(uname -m)), $(nproc) cores"
	echo "bundle: $version ($(sed -n 2p "$bundle/VERSION" 2>/dev/null))"
	if [ -e "$top/.git" ] && command -v git >/dev/null 2>&1; then
		echo "tree here: $(cd "$top" && git describe --always --dirty --tags 2>/dev/null)"
	fi
	echo "cuda: ${cuda:-not found}"
	[ -n "$cuda" ] && "$cuda/bin/nvcc" --version 2>&1 | tail -n 2
	[ -n "$cuda" ] && ls "$cuda/lib64" 2>/dev/null | grep -E '^lib(cudart|cublasLt|cupti)\.so' | tr '\n' ' ' && echo
	command -v nvidia-smi >/dev/null 2>&1 &&
		nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv,noheader 2>&1
	echo "cc: $(gcc --version 2>&1 | head -n 1)"
	echo "make: $(make --version 2>&1 | head -n 1)"
	for t in autoconf automake pkg-config python3; do
		printf '%s: %s\n' "$t" "$(command -v $t || echo none)"
	done
	grep MemTotal /proc/meminfo
} >>"$summary" 2>&1
cat "$summary"

# run_stage NAME LIMIT LOG COMMAND...: runs COMMAND under the smaller of
# LIMIT and the time left, its output to LOG; records status and seconds.
# timeout's 124 (or 137 after the kill) is a stage that ran out of time.
run_stage() {
	name=$1 lim=$2 log=$3
	shift 3
	left=$((total - ($(date +%s) - start)))
	[ "$left" -lt "$lim" ] && lim=$left
	if [ "$lim" -lt 20 ]; then
		table="$table$(printf '%-12s %-18s %6s' "$name" "not run (no time)" -)
"
		echo "gpu-run: $name: not run, the total limit of ${total}s is spent" >>"$log"
		return 124
	fi
	echo "gpu-run: $name (limit ${lim}s): $*"
	t0=$(date +%s)
	timeout -k 10 "$lim" "$@" >>"$log" 2>&1
	rc=$?
	t=$(($(date +%s) - t0))
	case $rc in
		0) st=ok ;;
		124|137) st="TIMEOUT ${lim}s" ;;
		*) st="rc $rc" ;;
	esac
	table="$table$(printf '%-12s %-18s %6s' "$name" "$st" "${t}s")
"
	echo "gpu-run: $name: $st after ${t}s"
	return $rc
}

finish() {
	# What comes back: the database (not its -wal/-journal files), the
	# extras in one tarball (the tool brings back 8 files, 2 folders down).
	[ -f "$build/bnnbench.db" ] && cp "$build/bnnbench.db" "$OUT/bnnbench.db"
	if [ -d "$build/src" ]; then
		(cd "$build/src" && tar czf "$OUT/extra.tar.gz" *.log tests/*.log tests/*.trs \
			perf_gpu_short.suite 2>/dev/null)
	fi
	{
		echo
		echo "stage        status              seconds   (total $(($(date +%s) - start))s)"
		printf '%s' "$table"
	} | tee -a "$summary"
	exit "$1"
}

[ -n "$cuda" ] || { note "gpu-run: no CUDA toolkit (nvcc) found; set BNN_GPU_CUDA"; finish 1; }

# 1. Unpack and configure. Flags for every bundled library are given, so
# PKG_CHECK_MODULES takes them as they are and never runs pkg-config
# (PKG_CONFIG=false makes sure). The libraries get an rpath, and an
# rpath-link for their own dependencies (libhwloc -> libudev, libpapi ->
# libpfm), so neither the link nor the program reads the system's copies.
# The build folder is emptied first: only one this script made (its marker).
if [ -d "$build" ] && [ -n "$(ls -A "$build")" ] && [ ! -f "$build/.bnn-gpu-run" ]; then
	die "$build exists and was not made by gpu-run.sh: set BNN_GPU_BUILD"
fi
rm -rf "$build"
mkdir -p "$build/src" "$build/shim" || die "cannot make $build"
tar xzf "$bundle/bnnbench-dist.tar.gz" -C "$build/src" --strip-components=1 ||
	die "cannot unpack $bundle/bnnbench-dist.tar.gz"
: >"$build/.bnn-gpu-run"
# configure stores `git describe` of its source folder as the version of
# every run; the dist tree has no .git, so a stand-in git answers with the
# version of the tree the bundle was made from (configure only).
cat >"$build/shim/git" <<EOF
#!/bin/sh
[ "\$1" = describe ] && { echo '$version'; exit 0; }
exit 1
EOF
chmod +x "$build/shim/git"
inc="-I$sr/usr/include"
ld="-L$lib -Wl,-rpath,$lib -Wl,-rpath-link,$lib"
# OpenBLAS, oneDNN and SIMDe are not bundled: off, so that a copy the
# machine happens to have does not change what is built. gnuplot stays
# check: tests/report.sh looks for the same program on PATH.
set -- --with-cuda="$cuda" --with-cuda-arch="$arch" --without-openblas --without-dnnl \
	--without-simde
if [ -f "$sr/usr/include/hwloc.h" ]; then
	set -- "$@" --with-hwloc HWLOC_CFLAGS="$inc -I$sr/usr/include/x86_64-linux-gnu" HWLOC_LIBS="$ld -lhwloc"
else
	set -- "$@" --without-hwloc
fi
if [ -f "$sr/usr/include/papi.h" ]; then
	set -- "$@" --with-papi PAPI_CFLAGS="$inc" PAPI_LIBS="$ld -lpapi"
else
	set -- "$@" --without-papi
fi
cd "$build/src" || die "cannot enter $build/src"
run_stage configure "${BNN_GPU_T_CONFIGURE:-90}" "$OUT/build.log" \
	env PATH="$build/shim:$PATH" ./configure PKG_CONFIG="$(command -v false)" \
	SQLITE_CFLAGS="$inc" SQLITE_LIBS="$ld -lsqlite3" \
	JANSSON_CFLAGS="$inc" JANSSON_LIBS="$ld -ljansson" "$@" || finish 1
sed -n '/^bnnbench /,$p' "$OUT/build.log" | tee -a "$summary"

# 2. Build.
run_stage build "${BNN_GPU_T_BUILD:-240}" "$OUT/build.log" make -j"$jobs" || finish 1
ldd ./bnnbench 2>&1 | grep -E 'sqlite|jansson|hwloc|papi|cuda|cublas|cupti' | tee -a "$summary"

# 3. The tests, then the program. A failure is recorded and the next stage
# still runs: each says something of its own.
fail=0
run_stage check "${BNN_GPU_T_CHECK:-150}" "$OUT/check.log" make -j"$jobs" check || fail=1
grep -E '^(# )?(TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$OUT/check.log" | tail -n 7 | tee -a "$summary"
# The skips that name the GPU, and why: on a GPU the CUDA tests must not.
grep -h '^SKIP:' "$OUT/check.log" | grep -iE 'cuda|gpu|device|cupti' | head -n 20 | tee -a "$summary"
note "other skips: $(grep -h '^SKIP:' "$OUT/check.log" | grep -viEc 'cuda|gpu|device|cupti')"
# The failing tests' own logs, into check.log (extra.tar.gz has them all).
for l in tests/*.log; do
	[ -f "${l%.log}.trs" ] && grep -qE '^:test-result: (FAIL|ERROR)' "${l%.log}.trs" &&
		{ echo "=== $l"; cat "$l"; } >>"$OUT/check.log"
done

# stdout alone is the JSON; its stderr goes to the summary.
run_stage info "${BNN_GPU_T_INFO:-30}" "$OUT/info.json" \
	sh -c 'exec 2>>"$1"; exec ./bnnbench info --json' sh "$summary" || fail=1

db=$build/bnnbench.db
run_stage conformance "${BNN_GPU_T_CONFORMANCE:-90}" "$OUT/conformance.log" \
	./bnnbench run --check-only --kernel '*cuda*' --suite conformance --db "$db" || fail=1
grep '^summary:' "$OUT/conformance.log" | sed 's/^/conformance /' | tee -a "$summary"

# perf_gpu less BNN_GPU_PERF_SKIP: bnnbench has no time budget of its own.
if [ -n "$perf_skip" ]; then
	grep -vE "$perf_skip" suites/perf_gpu.suite >perf_gpu_short.suite
else
	cp suites/perf_gpu.suite perf_gpu_short.suite
fi
note "perf_gpu: $(grep -cE '^[a-z]' perf_gpu_short.suite) of $(grep -cE '^[a-z]' suites/perf_gpu.suite) problems (left out: ${perf_skip:-none})"
# shellcheck disable=SC2086
run_stage perf_gpu "${BNN_GPU_T_PERF:-240}" "$OUT/perf_gpu.log" \
	./bnnbench --suite ./perf_gpu_short.suite ${perf_kernel:+--kernel "$perf_kernel"} \
	--db "$db" $perf_args || fail=1
grep '^summary:' "$OUT/perf_gpu.log" | sed 's/^/perf_gpu /' | tee -a "$summary"

# ReActNet-A at batch 256 with its blocks: images/s and the per-block
# table. Its log goes on perf_gpu.log (the tool brings back 8 files).
echo "=== reactnet_gpu" >>"$OUT/perf_gpu.log"
# shellcheck disable=SC2086
run_stage reactnet_gpu "${BNN_GPU_T_RNET:-150}" "$OUT/perf_gpu.log" \
	./bnnbench --suite reactnet_gpu --kernel '*cuda*' --db "$db" $perf_args || fail=1
sed -n '/^=== reactnet_gpu/,$p' "$OUT/perf_gpu.log" | grep '^summary:' |
	sed 's/^/reactnet_gpu /' | tee -a "$summary"

finish "$fail"
