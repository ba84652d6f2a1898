#!/bin/sh
# Reading stored results: an archived WAL database on a read-only file
# system reads (export, compare, report, show all failed with "unable to
# open database file"), and show reads a file it may not write (without
# the right to mount, as in an unprivileged CI: a file and folder made
# read-only by chmod, read by a user other than root, and left
# byte for byte as they were); a database
# of a newer schema is refused by every reader; a damaged database is an
# I/O failure (exit 3) for export as for show; merge names the file at
# fault, refuses a source without a table every schema has, and a
# --max-mem that is no size (nan, 16777217T) is refused.
. "${srcdir:-.}/tests/lib.sh"
B=$BNNBENCH
need_python_sqlite "to plant the databases"
plan 19
db="$T/r.db"
sql() { "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$@"; }
"$B" run --db "$db" --min-time 0.005 --no-probe --no-peers -q 'gemm m=16 n=16 k=128' \
	>/dev/null 2>&1
ok $? "a real run"

# Read-only media: a tmpfs remounted read-only (needs the right to mount).
mnt="$T/mnt"
mkdir "$mnt"
if mount -t tmpfs -o size=8m tmpfs "$mnt" 2>/dev/null; then
	cp "$db" "$mnt/r.db" && mount -o remount,ro "$mnt"
	for c in "export" "show" "compare 1 1" "report -o $T/rep"; do
		"$B" $c --db "$mnt/r.db" >"$T/out" 2>&1
		ok $? "$c reads an archived WAL database on a read-only file system"
	done
	umount "$mnt"
else
	for c in export show compare report; do skip "cannot mount a tmpfs here ($c)"; done
fi

# Read-only without mount rights: chmod 444 on the file, 555 on its folder.
# Root may write anyway, so as root the readers run as nobody (setpriv).
ro="$T/ro"
mkdir "$ro" "$T/rep2" && cp "$db" "$ro/r.db" && chmod 444 "$ro/r.db" && chmod 555 "$ro"
chmod 711 "$T" && chmod 777 "$T/rep2"
as_user=
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null 2>&1 &&
		setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
		as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	else
		as_user=no
	fi
fi
if [ "$as_user" = no ]; then
	for c in export show compare report unchanged nothing; do
		skip "root, and setpriv cannot drop to nobody here ($c)"
	done
else
	sum0=$(cksum <"$ro/r.db")
	for c in "export" "show" "compare 1 1" "report -o $T/rep2/rep"; do
		$as_user "$B" $c --db "$ro/r.db" >"$T/out" 2>&1
		rc=$?
		ok $rc "$c reads a database in a read-only folder, itself read-only (exit $rc)"
		[ $rc -eq 0 ] || diag "$T/out"
	done
	[ "$(cksum <"$ro/r.db")" = "$sum0" ]
	ok $? "the file is unchanged, byte for byte"
	[ "$(ls -A "$ro")" = r.db ]
	ok $? "and nothing was added beside it ($(ls -A "$ro" | tr '\n' ' '))"
fi
chmod 755 "$ro" "$T"

# Newer schema: every reader refuses it, naming the version.
cp "$db" "$T/new.db"
sql "$T/new.db" "PRAGMA user_version = 99"
for c in "export" "show" "compare 1 1"; do
	expect_fail 3 "new.db: schema version 99 is newer than this bnnbench" \
		"$c refuses a database of a newer schema" -- "$B" $c --db "$T/new.db"
done

# Damaged: bnnbench's identity but no tables.
sql "$T/bad.db" "PRAGMA application_id = 1112428098; PRAGMA user_version = 4; CREATE TABLE x (a);"
expect_fail 3 "bad.db: no such table: run" "export of a damaged database exits 3, as show does" -- \
	"$B" export --db "$T/bad.db"

# merge: a source without a table every schema has; a destination without one.
cp "$db" "$T/nosample.db"
sql "$T/nosample.db" "DROP TABLE sample"
expect_fail 3 "nosample.db into .*fleet.db: the source has no table sample" \
	"merge refuses a source without its sample table, naming it" -- \
	"$B" merge "$T/nosample.db" -o "$T/fleet.db"
"$B" run --db "$T/dest.db" --check-only --no-probe --no-peers -q 'gemm m=4 n=4 k=64' \
	>/dev/null 2>&1
sql "$T/dest.db" "PRAGMA foreign_keys = OFF; DROP TABLE counter"
expect_fail 3 "r.db into .*dest.db: the destination has no table counter" \
	"a destination without a table is named as the one at fault" -- \
	"$B" merge "$db" -o "$T/dest.db"

# --max-mem
expect_fail 2 "--max-mem: 'nan' is not a size" "--max-mem nan is refused" -- \
	"$B" --max-mem nan 'gemm m=4 n=4 k=64' --no-db --check-only
expect_fail 2 "--max-mem: '16777217T' is not a size" "--max-mem past 2^64 bytes is refused" -- \
	"$B" --max-mem 16777217T 'gemm m=4 n=4 k=64' --no-db --check-only
finish
