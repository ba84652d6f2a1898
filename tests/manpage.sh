#!/bin/sh
# The man page and the program's help agree: every command of
# `bnnbench --help` has an entry in bnnbench(1) and the reverse; every option
# a `bnnbench COMMAND --help` shows is documented in the command's entry or
# under OPTIONS, and every option the man page documents is one some --help
# shows. Also the man page's facts that drift: the schema version and the
# built-in suites with their problem counts.
. "${srcdir:-.}/tests/lib.sh"
plan 5
man="${srcdir:-.}/doc/bnnbench.1"

# The man page as plain text: \- is -, font escapes dropped.
sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\(aq/'"'"'/g' "$man" >"$T/man"
# Section NAME of the man page (from .SH NAME to the next .SH).
section() { awk -v s="$1" '/^\.SH / { on = ($0 == ".SH " s); next } on' "$T/man"; }
section COMMANDS >"$T/commands"
section OPTIONS >"$T/options"
# The entry of command $1 in COMMANDS (from ".TP/.B cmd" to the next .TP).
entry() {
	awk -v c="$1" '/^\.TP$/ { tp = 1; on = 0; next }
		tp { tp = 0; if ($0 == ".B " c) on = 1 } on' "$T/commands"
}
# Long and short options in a text: --name and -x (alone, not inside a word).
options() {
	sed 's/\([^-a-zA-Z0-9]\)\(-[a-zA-Z]\)\([], |]\)/\1\2\n\3/g' "$1" |
		grep -oE '(^|[^-a-zA-Z0-9_.])(--[a-z][a-z0-9-]*|-[a-zA-Z])($|[^-a-zA-Z0-9_])' |
		grep -oE -- '--[a-z][a-z0-9-]*|-[a-zA-Z]' | sort -u
}

"$BNNBENCH" --help >"$T/help" 2>&1
sed -n 's/^\(usage:\)\{0,1\} *bnnbench \[\{0,1\}\([a-z]*\).*/\2/p' "$T/help" | sort -u >"$T/help.cmds"
awk '/^\.TP$/ { tp = 1; next } tp { tp = 0; if ($1 == ".B") print $2 }' "$T/commands" |
	grep -vx help | sort -u >"$T/man.cmds"
if cmp -s "$T/help.cmds" "$T/man.cmds"; then
	ok 0 "the same commands in --help and bnnbench(1): $(tr '\n' ' ' <"$T/help.cmds")"
else
	ok 1 "the same commands in --help and bnnbench(1)"
	diff "$T/help.cmds" "$T/man.cmds" | diag
fi

missing=0
: >"$T/all.help.opts"
for c in $(cat "$T/help.cmds"); do
	"$BNNBENCH" "$c" --help >"$T/h.$c" 2>&1 || { echo "# $c --help failed"; missing=$((missing + 1)); }
	options "$T/h.$c" >"$T/o.$c"
	cat "$T/o.$c" >>"$T/all.help.opts"
	{ entry "$c"; cat "$T/options"; } >"$T/doc.$c"
	options "$T/doc.$c" >"$T/d.$c"
	for o in $(cat "$T/o.$c"); do
		if ! grep -qx -- "$o" "$T/d.$c"; then
			echo "# bnnbench $c --help shows $o, which bnnbench(1) does not document for $c"
			missing=$((missing + 1))
		fi
	done
done
options "$T/help" >>"$T/all.help.opts"
sort -u -o "$T/all.help.opts" "$T/all.help.opts"
[ "$missing" -eq 0 ]
ok $? "every option of every COMMAND --help is in bnnbench(1) ($missing missing)"

# The reverse: what the man page documents (SYNOPSIS, COMMANDS, OPTIONS),
# leaving out configure's switches (--with-X, --without-X).
{ section SYNOPSIS; cat "$T/commands" "$T/options"; } >"$T/documented"
extra=0
for o in $(options "$T/documented" | grep -v -- '^--with'); do
	if ! grep -qx -- "$o" "$T/all.help.opts"; then
		echo "# bnnbench(1) documents $o, which no --help shows"
		extra=$((extra + 1))
	fi
done
[ "$extra" -eq 0 ]
ok $? "every option bnnbench(1) documents is shown by some --help ($extra extra)"

steps=$(ls "${srcdir:-.}"/results/schema*.sql | wc -l)
grep -q "schema version $steps)" "$T/man"
ok $? "bnnbench(1) gives the schema version, $steps (one per results/schema*.sql step)"

"$BNNBENCH" list >"$T/list" 2>&1
section SUITES | tr '\n' ' ' >"$T/suites"
bad=0
for s in $(sed -n 's/^  \([a-z_0-9]*\) *\([0-9]*\) problems$/\1:\2/p' "$T/list"); do
	name=${s%%:*} n=${s#*:}
	if ! grep -qE "(^|[^a-z_])$name \(($n|$n[ ,][^)]*)\)" "$T/suites"; then
		echo "# suite $name ($n problems) is not in bnnbench(1)'s SUITES as '$name ($n ...)'"
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ]
ok $? "every built-in suite is in bnnbench(1) with its problem count ($bad wrong or missing)"
finish
