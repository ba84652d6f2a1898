#!/bin/sh
# tools/gpu-bundle.sh: run on the Debian 12 development machine, in (or
# from) the source tree. Makes gpu-bundle/ for a lent GPU machine that has
# gcc, make and the CUDA toolkit but maybe no autotools, pkg-config, apt or
# network (see tools/gpu-run.sh, which uses it there):
#   gpu-bundle/bnnbench-dist.tar.gz  the `make dist` tarball (configure
#                                    already generated)
#   gpu-bundle/sysroot/              Debian packages unpacked with dpkg-deb:
#                                    SQLite 3 and Jansson (required), hwloc
#                                    and PAPI (optional), runtime and -dev
#   gpu-bundle/VERSION               git describe of the tree it came from
#   gpu-bundle/MANIFEST              the packages, versions and sizes
# and prints its size against the 64 MiB that a run may carry.
#
# OpenBLAS (44 MB unpacked, plus libgfortran) and oneDNN (40 MB) are left
# out: together they are over the budget, either one takes most of it, and
# both are CPU peers only, which add CPU minutes to a GPU run and nothing to
# its GPU results. BNN_GPU_BUNDLE_PKGS replaces the package list.
#
# Usage: tools/gpu-bundle.sh [OUTDIR]   (default: gpu-bundle in the tree)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/gpu-bundle}
pkgs=${BNN_GPU_BUNDLE_PKGS:-"libsqlite3-0 libsqlite3-dev libjansson4 libjansson-dev
libhwloc15 libhwloc-dev libudev1 libpapi7.0 libpapi-dev libpfm4 libsde1"}

die() { echo "gpu-bundle: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found (run this on the Debian machine)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found (run this on the Debian machine)"

rm -rf "$out"
mkdir -p "$out/debs" "$out/sysroot"
out=$(cd "$out" && pwd)

# 1. The dist tarball. An in-tree configured tree makes it in place (a VPATH
# configure refuses a source tree configured in place); otherwise configure
# in a scratch folder, without CUDA: every conditional source is distributed
# whatever the configuration.
echo "gpu-bundle: make dist"
if [ -f "$top/Makefile" ] && [ -f "$top/config.status" ]; then
	(cd "$top" && make dist >"$out/dist.log" 2>&1) || die "make dist failed, see $out/dist.log"
	tarball=$(ls -t "$top"/bnnbench-*.tar.gz | head -n 1)
	mv "$tarball" "$out/bnnbench-dist.tar.gz"
else
	if [ ! -x "$top/configure" ]; then
		(cd "$top" && autoreconf -fi >"$out/dist.log" 2>&1) || die "autoreconf failed, see $out/dist.log"
	fi
	scratch=$out/dist-build
	mkdir -p "$scratch"
	(cd "$scratch" && "$top/configure" --without-cuda >>"$out/dist.log" 2>&1 &&
		make dist >>"$out/dist.log" 2>&1) || die "configure or make dist failed, see $out/dist.log"
	mv "$scratch"/bnnbench-*.tar.gz "$out/bnnbench-dist.tar.gz"
	rm -rf "$scratch"
fi
(cd "$top" && git describe --always --dirty --tags 2>/dev/null) >"$out/VERSION" ||
	echo unknown >"$out/VERSION"
(cd "$top" && git rev-parse HEAD 2>/dev/null) >>"$out/VERSION" || true

# 2. The packages, at the versions apt would install here (the ones the
# development build is tested with), unpacked without installing.
echo "gpu-bundle: apt-get download $(echo $pkgs)"
# shellcheck disable=SC2086
(cd "$out/debs" && apt-get download $pkgs >"$out/apt.log" 2>&1) ||
	die "apt-get download failed, see $out/apt.log"
: >"$out/MANIFEST"
for deb in "$out"/debs/*.deb; do
	dpkg-deb -x "$deb" "$out/sysroot"
	printf '%s %s %s bytes\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" \
		"$(stat -c %s "$deb")" >>"$out/MANIFEST"
done
rm -rf "$out/debs" "$out/apt.log"
# Only what compiling and linking need: headers and shared libraries. The
# static archives (the program links the .so), docs and .pc files (they say
# prefix=/usr, which is wrong here; gpu-run.sh sets the flags itself) go.
sr=$out/sysroot
rm -rf "$sr/usr/share/doc" "$sr/usr/share/man" "$sr/usr/share/lintian" "$sr/usr/share/bug"
find "$sr" -name '*.a' -type f -delete
find "$sr" -type d -name pkgconfig -exec rm -rf {} +
libdir=$sr/usr/lib/x86_64-linux-gnu
for f in sqlite3.h jansson.h; do
	[ -f "$sr/usr/include/$f" ] || die "sysroot lacks usr/include/$f"
done
for f in libsqlite3.so libjansson.so; do
	[ -e "$libdir/$f" ] || die "sysroot lacks usr/lib/x86_64-linux-gnu/$f"
done

# 3. Sizes: what a run carries (the bundle) beside what always travels (the
# tracked tree), against the tool's 64 MiB.
bundle=$(find "$out" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
tree=$(cd "$top" && git ls-files -z 2>/dev/null | xargs -0 stat -c %s 2>/dev/null |
	awk '{s+=$1} END {print s+0}')
cat "$out/MANIFEST"
awk -v b="$bundle" -v t="$tree" -v d="$(stat -c %s "$out/bnnbench-dist.tar.gz")" 'BEGIN {
	m = 1048576
	printf "gpu-bundle: dist tarball %.2f MiB, bundle %.2f MiB, tracked tree %.2f MiB, together %.2f of 64 MiB\n",
		d / m, b / m, t / m, (b + t) / m }'
echo "gpu-bundle: carry [\"gpu-bundle\"] and run: tools/gpu-run.sh"
