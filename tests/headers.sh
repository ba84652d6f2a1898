#!/bin/sh
# No header of ours may share its name with one in the compiler's system
# include folders or the CUDA toolkit's. gcc drops a -I folder that is also
# a system folder (as C_INCLUDE_PATH makes it), so such a twin can be found
# for the other: our harness/cupti.h once hid CUPTI's <cupti.h> that way on
# the CI machine. machine/cupti_shim/ is exempt: its files stand in for a
# C++ header on purpose (see Makefile.am).
. "${srcdir:-.}/tests/lib.sh"
plan 2
top=${srcdir:-.}
: "${CC:=cc}"

# The C compiler's <...> search list, with C_INCLUDE_PATH and CPATH as set.
"$CC" -xc -E -v - </dev/null 2>"$T/v" >/dev/null
sed -n '/^#include <...> search starts here:/,/^End of search list\./p' "$T/v" |
	sed '1d;$d;s/^ *//;s/ (framework directory)$//' >"$T/dirs"
[ -n "$BNN_CUDA_HOME" ] && for d in "$BNN_CUDA_HOME/include" "$BNN_CUDA_HOME/extras/CUPTI/include" \
	"$BNN_CUDA_HOME/targets/x86_64-linux/include"; do echo "$d"; done >>"$T/dirs"
test -s "$T/dirs"
ok $? "the compiler's include folders are known ($(wc -l <"$T/dirs") folders${BNN_CUDA_HOME:+, the toolkit's included})"
diag "$T/dirs"

( cd "$top" && find include kernels reference harness results peers machine reports tests \
	\( -name '*.h' -o -name '*.cuh' \) -not -path 'machine/cupti_shim/*' 2>/dev/null ) >"$T/ours"
: >"$T/twins"
while read -r h; do
	b=$(basename "$h")
	while read -r d; do
		[ -e "$d/$b" ] && echo "$h is also $d/$b" >>"$T/twins"
	done <"$T/dirs"
done <"$T/ours"
test -s "$T/ours" && ! test -s "$T/twins"
ok $? "none of our $(wc -l <"$T/ours") headers has a system or toolkit header's name"
diag "$T/twins"
finish
