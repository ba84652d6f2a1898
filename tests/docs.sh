#!/bin/sh
# The documentation stays true to the tree: every code block of
# doc/adding-a-kernel.md that names its file ("From `FILE`:") is copied
# verbatim from that file; every relative link of README.md and doc/*.md
# names a file that exists; the guide's example kernel is in the table and
# passes the conformance suite's GEMM problems, as the guide says.
. "${srcdir:-.}/tests/lib.sh"
plan 4
top=${srcdir:-.}

# Cut the guide into one file per quoted block, and a list of their sources.
awk -v dir="$T" '
	/^From `[^`]*`:$/ { src = $0; sub(/^From `/, "", src); sub(/`:$/, "", src); next }
	/^```c$/ && src != "" { n++; out = dir "/snip." n; printf "" > out; print n, src > (dir "/list"); inside = 1; next }
	/^```$/ && inside { inside = 0; close(out); src = ""; next }
	inside { print > out }
' "$top/doc/adding-a-kernel.md"
bad=0 total=0
while read -r n src; do
	total=$((total + 1))
	tr '\n' '\a' <"$top/$src" >"$T/hay" 2>/dev/null
	tr '\n' '\a' <"$T/snip.$n" | sed 's/\a$//' >"$T/needle"
	if ! grep -qF -f "$T/needle" "$T/hay"; then
		bad=$((bad + 1))
		echo "# block $n of doc/adding-a-kernel.md is not in $src:"
		diag "$T/snip.$n"
	fi
done <"$T/list"
[ "$total" -ge 5 ] && [ "$bad" -eq 0 ]
ok $? "doc/adding-a-kernel.md: $total quoted blocks, $bad not found verbatim in their files"

# Relative links: [text](path) and [text](path#anchor), outside code blocks.
bad=0
for f in "$top/README.md" "$top"/doc/*.md; do
	d=$(dirname "$f")
	for u in $(awk '/^```/ { c = !c; next } !c' "$f" |
		   grep -o '](\([^)# ]*\)[^) ]*)' | sed 's/^](//; s/)$//; s/#.*//'); do
		case $u in http*|mailto:*|'') continue ;; esac
		if [ ! -e "$d/$u" ]; then
			echo "# $f links to $u, which does not exist"
			bad=$((bad + 1))
		fi
	done
done
[ "$bad" -eq 0 ]
ok $? "README.md and doc/*.md: every relative link names an existing file ($bad broken)"

"$BNNBENCH" list >"$T/list.out" 2>&1
grep -q '^  bgemm_xor_popc__example_1x1 .* gemm .* generic .* yes' "$T/list.out"
ok $? "the guide's example kernel is in the table and runs here"
[ $? -eq 0 ] || diag "$T/list.out"

"$BNNBENCH" run --suite conformance --kernel bgemm_xor_popc__example_1x1 --check-only --no-db \
	--no-peers -q >"$T/out" 2>&1
rc=$?
grep -q 'summary: 33 PASS, 0 FAIL, 0 SKIP, 0 MISTRUSTED' "$T/out"
ok $((rc + $?)) "the example kernel passes the conformance suite's 33 GEMM problems"
[ $rc -eq 0 ] || diag "$T/out"
finish
