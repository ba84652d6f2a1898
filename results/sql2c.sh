#!/bin/sh
# sql2c.sh: turns an SQL file into a C header holding it as one string.
#
#   sh results/sql2c.sh results/schema.sql > schema_sql.h
#   sh results/sql2c.sh FILE.sql NAME > FILE_sql.h   (NAME: the C identifier)
#
# Writes `static const char NAME[] = "...";` (NAME defaults to bnn_schema_sql),
# one string literal line per SQL line, each ending in "\n" so that a "--"
# comment stops at its line. Escaped: backslash, double quote, tab, and "?"
# (so that no "??x" trigraph forms under -std=c11). CRs of CRLF files are
# dropped. Exits non-zero, writing nothing to stdout, on a bad argument.

set -e

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 FILE.sql [C_NAME] > FILE.h" >&2
	exit 2
fi
sql=$1
name=${2:-bnn_schema_sql}

case $name in
[A-Za-z_]*) ;;
*)	echo "$0: $name: not a C identifier" >&2; exit 2 ;;
esac
case $name in
*[!A-Za-z0-9_]*) echo "$0: $name: not a C identifier" >&2; exit 2 ;;
esac

if [ ! -r "$sql" ] || [ -d "$sql" ]; then
	echo "$0: $sql: cannot read" >&2
	exit 1
fi

tab=$(printf '\t')
cr=$(printf '\r')
base=$(basename "$sql" | sed 's/\*\//*_\//g')

printf '/* Generated from %s by sql2c.sh: do not edit. */\n' "$base"
printf 'static const char %s[] =\n' "$name"
# A last line without its newline still gets one, so it ends its literal.
{ cat "$sql"; if [ -n "$(tail -c 1 "$sql")" ]; then echo; fi; } |
sed -e "s/$cr\$//" \
    -e 's/\\/\\\\/g' \
    -e 's/"/\\"/g' \
    -e 's/?/\\?/g' \
    -e "s/$tab/\\\\t/g" \
    -e "s/^/$tab\"/" \
    -e 's/$/\\n"/'
printf '\t"";\n'
