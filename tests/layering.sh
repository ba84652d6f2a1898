#!/bin/sh
# The source folders import one another without a cycle. A folder imports
# another when one of its .c, .h, .cu or .cuh files includes ("x.h") a
# header that lives there; the header is found as the compiler finds it:
# beside the including file first, then in the -I folders of AM_CPPFLAGS
# (Makefile.am) in their order. Headers generated in the build tree (a rule
# "results/x.h:" of Makefile.am) count as the folder they are generated in;
# config.h (configure's) belongs to no folder. Subfolders count as their
# top folder (kernels/avx2/ is kernels/). The graph is printed; the test
# fails on an include it cannot place, on a cycle, and when kernels/ or
# reference/ import anything but include/. A call needs no include of the
# callee's folder (a header of one folder may declare what another
# defines), so the same is checked of the built objects: who calls whom,
# from nm's undefined and defined symbols.
. "${srcdir:-.}/tests/lib.sh"
plan 5
top=${srcdir:-.}

# The files: git's list when the top is a checkout's top, else the unpacked
# tree (a tarball, also one unpacked inside a checkout, as distcheck does).
gtop=$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)
if [ -n "$gtop" ] && [ "$(cd "$gtop" && pwd -P)" = "$(cd "$top" && pwd -P)" ]; then
	git -C "$top" ls-files --cached --others --exclude-standard >"$T/files"
else
	( cd "$top" && find . -type f | sed 's|^\./||' | sort ) >"$T/files"
fi
# The -I folders in order, '.' for the top; builddir and srcdir alike.
sed -n '/^AM_CPPFLAGS *=/,/[^\\]$/p' "$top/Makefile.am" | tr ' \t\\' '\n\n\n' |
	sed -n 's|^-I[$](top_[a-z]*dir)/*||p' | sed 's|^$|.|' >"$T/idirs"
# Headers made at build time: Makefile.am's rule targets, and config.h.
sed -n 's|^\([A-Za-z0-9_./-]*\.h\):.*|\1|p' "$top/Makefile.am" >"$T/generated"
sed -n 's|.*AC_CONFIG_HEADERS(\[*\([^])]*\)\]*).*|\1|p' "$top/configure.ac" >>"$T/generated"
test -s "$T/idirs" && test -s "$T/files"
ok $? "Makefile.am names $(wc -l <"$T/idirs") include folders; $(wc -l <"$T/files") files in the tree"
diag "$T/idirs"

# Every quoted include of every source file, as "file header" lines.
grep -E '\.(c|h|cu|cuh)$' "$T/files" >"$T/sources"
while read -r f; do
	sed -n 's|^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*|\1|p' "$top/$f" |
		while read -r h; do echo "$f $h"; done
done <"$T/sources" >"$T/includes"

# Place each include, then fold the file-to-file edges into folders.
awk -v idirs="$T/idirs" -v files="$T/files" -v gen="$T/generated" \
	-v edges="$T/edges" -v unplaced="$T/unplaced" '
	function norm(p,   n, a, i, o, k) {
		n = split(p, a, "/"); k = 0
		for (i = 1; i <= n; i++) {
			if (a[i] == "." || a[i] == "") continue
			if (a[i] == ".." && k > 0) { k--; continue }
			o[++k] = a[i]
		}
		p = ""
		for (i = 1; i <= k; i++) p = p (i > 1 ? "/" : "") o[i]
		return p
	}
	function folder(p) { return p ~ /\// ? substr(p, 1, index(p, "/") - 1) : "." }
	BEGIN {
		while ((getline l < files) > 0) have[l] = 1
		while ((getline l < gen) > 0) have[l] = 2
		while ((getline l < idirs) > 0) dir[++nd] = l
	}
	{
		f = $1; h = $2; d = f; sub(/\/?[^\/]*$/, "", d)
		hit = ""
		if (have[norm(d "/" h)]) hit = norm(d "/" h)
		for (i = 1; i <= nd && hit == ""; i++)
			if (have[norm(dir[i] "/" h)]) hit = norm(dir[i] "/" h)
		if (hit == "") { print f ": \"" h "\" is in none of the folders" > unplaced; next }
		from = folder(f); to = folder(hit)
		if (to == "." || from == to) next
		n[from " " to]++
		if (!(from " " to in ex)) ex[from " " to] = f " -> " hit
	}
	END { for (e in n) print e, n[e], ex[e] > edges }
' "$T/includes"
sort -o "$T/edges" "$T/edges"
touch "$T/unplaced"
! test -s "$T/unplaced"
ok $? "every include of the $(wc -l <"$T/sources") source files is placed in a folder ($(wc -l <"$T/includes") includes)"
diag "$T/unplaced"

echo "# the folder graph (folder -> folder it includes: how many includes, one of them):"
awk '{ printf "#   %-9s -> %-9s %3d  (%s %s %s)\n", $1, $2, $3, $4, $5, $6 }' "$T/edges"

# Cycles: the strongly connected sets of folders, from the closure of the graph.
awk -v cyc="$T/cycles" '
	{ v[$1] = 1; v[$2] = 1; r[$1, $2] = 1; e[$1, $2] = $4 " " $5 " " $6 }
	END {
		for (k in v) for (i in v) if (r[i, k]) for (j in v) if (r[k, j]) r[i, j] = 1
		for (i in v) {
			if (done[i] || !r[i, i]) continue
			set = i
			for (j in v) if (j != i && r[i, j] && r[j, i]) { set = set " " j; done[j] = 1 }
			done[i] = 1
			print "cycle among: " set > cyc
			n = split(set, s, " ")
			for (a = 1; a <= n; a++) for (b = 1; b <= n; b++)
				if ((s[a], s[b]) in e) print "  " s[a] " -> " s[b] ": " e[s[a], s[b]] > cyc
		}
	}
' "$T/edges"
touch "$T/cycles"
! test -s "$T/cycles"
ok $? "the folder graph has no cycle"
diag "$T/cycles"

# The bottom: kernels/ and reference/ see include/ only.
awk '($1 == "kernels" || $1 == "reference") && $2 != "include"' "$T/edges" >"$T/low"
! test -s "$T/low"
ok $? "kernels/ and reference/ include nothing but include/"
diag "$T/low"

# The calls between folders, from the objects of this build (make check has
# built them all). An object counts when its source is still there (automake
# names it FOLDER/[TARGET-]NAME.o); a symbol defined in tests/ or tools/
# (a test's stand-in) is not counted.
build=$(dirname "${BNNBENCH:-./bnnbench}")
: >"$T/defs"
: >"$T/uses"
nobj=0
if command -v nm >/dev/null 2>&1; then
	for d in $(cut -d/ -f1 "$T/sources" | sort -u); do
		[ -d "$build/$d" ] && find "$build/$d" -name '*.o'
	done >"$T/objects"
	while read -r o; do
		rel=${o#"$build"/}
		dir=${rel%/*} base=${rel##*/}
		base=${base%.o} name=${base#*-}
		found=
		for n in "$base" "$name"; do
			for x in c cu; do
				if grep -qx "$dir/$n.$x" "$T/sources" || [ -e "$build/$dir/$n.$x" ]; then
					found=1
				fi
			done
		done
		[ -n "$found" ] || continue
		nobj=$((nobj + 1))
		f=${rel%%/*}
		nm -P --defined-only "$o" 2>/dev/null |
			awk -v f="$f" '$2 ~ /^[TDBRGSVWCui]$/ { print f, $1 }' >>"$T/defs"
		nm -P -u "$o" 2>/dev/null | awk -v f="$f" -v o="$rel" '{ print f, $1, o }' >>"$T/uses"
	done <"$T/objects"
fi
if [ "$nobj" -eq 0 ]; then
	skip "no objects of a build to read (or no nm): the calls are not checked"
	finish
fi
awk -v defs="$T/defs" '
	BEGIN {
		while ((getline l < defs) > 0) {
			split(l, a, " ")
			if (a[1] == "tests" || a[1] == "tools") continue
			if (!index(" " at[a[2]] " ", " " a[1] " ")) at[a[2]] = at[a[2]] " " a[1]
		}
	}
	$2 in at {
		n = split(at[$2], d, " ")
		for (i = 1; i <= n; i++) {
			if (d[i] == $1) break
			if (i == n) for (j = 1; j <= n; j++) {
				e = $1 " " d[j]
				c[e]++
				if (!(e in ex)) ex[e] = $3 " calls " $2
			}
		}
	}
	END { for (e in c) print e, c[e], ex[e] }
' "$T/uses" | sort >"$T/calls"
echo "# the calls between folders ($nobj objects; folder -> folder it calls: how many symbols, one of them):"
awk '{ printf "#   %-9s -> %-9s %3d  (%s %s %s)\n", $1, $2, $3, $4, $5, $6 }' "$T/calls"
cat "$T/edges" "$T/calls" | awk '{ print $1, $2 }' | sort -u >"$T/both"
awk '{ v[$1] = 1; v[$2] = 1; r[$1, $2] = 1 }
	END {
		for (k in v) for (i in v) if (r[i, k]) for (j in v) if (r[k, j]) r[i, j] = 1
		for (i in v) for (j in v) if (i < j && r[i, j] && r[j, i]) print "cycle through " i " and " j
	}' "$T/both" >"$T/ccycles"
awk '($1 == "kernels" || $1 == "reference") && $2 != "include"' "$T/calls" >>"$T/ccycles"
! test -s "$T/ccycles"
ok $? "the includes and the calls together have no cycle, and kernels/ and reference/ call nothing above them"
diag "$T/ccycles"
finish
