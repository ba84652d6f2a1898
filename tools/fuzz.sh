#!/bin/sh
# Runs each fuzz target of tests/fuzz under libFuzzer (clang -fsanitize=
# fuzzer,address,undefined) for a bounded time, starting from its seed
# corpus, and prints executions and crashes per target. Run from a build
# directory that has been configured and built (make check builds the
# generated sources it needs), e.g.
#   /path/to/src/tools/fuzz.sh 60          # 60 s per target
# Needs clang with libFuzzer; without it, says so and exits 77.
# New inputs go to fuzz-work/NAME (not the tree's corpus); crash inputs to
# fuzz-work/crash-NAME-*. Exit status 1 when a target crashed.
set -u
secs=${1:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(pwd)
CLANG=${CLANG:-clang}
if ! printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }\n' |
	"$CLANG" -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
	echo "fuzz.sh: $CLANG cannot build libFuzzer targets (-fsanitize=fuzzer)"
	exit 77
fi
if [ ! -f "$build/config.h" ] || [ ! -f "$build/harness/suites_embedded.c" ]; then
	echo "fuzz.sh: run it from a configured build directory after make" >&2
	exit 2
fi
FLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -DBNN_FUZZ_LIBFUZZER"
INC="-I$build -I$build/harness -I$build/results -I$src/include -I$src/kernels -I$src/reference
 -I$src/harness -I$src/results -I$src/peers -I$src/machine -I$src/reports"
PKG="$(pkg-config --cflags --libs sqlite3 jansson 2>/dev/null)"
mkdir -p fuzz-work
failed=0
for t in desc npy safetensors merge; do
	case $t in
	desc) files="harness/suite.c harness/desc.c $build/harness/suites_embedded.c" ;;
	npy) files="harness/npy.c" ;;
	safetensors) files="harness/weights.c harness/reactnet.c harness/gen.c harness/check.c" ;;
	merge) files="results/merge.c results/dbtools.c results/store.c results/spool.c" ;;
	esac
	set --
	for f in $files; do
		case $f in /*) set -- "$@" "$f" ;; *) set -- "$@" "$src/$f" ;; esac
	done
	# The kernels and the reference (desc and weights use their tables).
	# In a CUDA build the table names the CUDA kernels too: their library
	# and the CUDA runtime (CUDA_LIBS of the build's Makefile) come along.
	libs="$build/libbnntable.a $build/libbnnkern_avx2.a $build/libbnnkern_avx512.a
	 $build/libbnnkern_avx512emu.a $build/libbnnkern.a $build/libbnnkern_cuda.a
	 $build/libbnnref.a"
	have=""
	for l in $libs; do [ -f "$l" ] && have="$have $l"; done
	[ -f "$build/libbnnkern_cuda.a" ] && have="$have $(sed -n 's/^CUDA_LIBS = //p' "$build/Makefile")"
	# shellcheck disable=SC2086
	if ! "$CLANG" $FLAGS $INC "$src/tests/fuzz/fuzz_$t.c" "$src/tests/fuzz/driver.c" "$@" \
		$have $PKG -lpthread -lm -o "fuzz-work/fuzz_$t" 2>"fuzz-work/build-$t.log"; then
		echo "fuzz_$t: build failed (fuzz-work/build-$t.log)"
		failed=1
		continue
	fi
	mkdir -p "fuzz-work/$t"
	# merge's seeds are written by make check into the build tree.
	corpus="$src/tests/fuzz/corpus/fuzz_$t"
	[ -d "$build/tests/fuzz/corpus/fuzz_$t" ] && corpus="$build/tests/fuzz/corpus/fuzz_$t"
	"fuzz-work/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="fuzz-work/crash-$t-" "fuzz-work/$t" "$corpus" \
		>"fuzz-work/run-$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^#\([0-9]*\).*DONE.*/\1/p' "fuzz-work/run-$t.log" | tail -n 1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "fuzz-work/run-$t.log" | tail -n 1)
	crashes=$(ls fuzz-work/crash-$t-* 2>/dev/null | wc -l)
	echo "fuzz_$t: ${execs:-0} executions in $secs s, $crashes crashes (exit $rc)"
	[ "$crashes" -eq 0 ] && [ $rc -eq 0 ] || failed=1
done
exit $failed
