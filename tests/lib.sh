# lib.sh: TAP helpers for the shell tests (sourced). The test harness sets
# BNNBENCH to the built program; a scratch directory is made and removed.
: "${BNNBENCH:=./bnnbench}"
T=$(mktemp -d "${TMPDIR:-/tmp}/bnnbench-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
tap_n=0
tap_failed=0

plan() { echo "1..$1"; }

# ok COND_EXIT_STATUS DESCRIPTION
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - # SKIP $1"; }

diag() { sed 's/^/# /' "$@"; }

finish() { [ "$tap_failed" -eq 0 ]; exit $?; }

# expect_fail EXIT_CODE PATTERN DESCRIPTION -- COMMAND...: runs COMMAND,
# wants that exit status and PATTERN (grep -E) in its standard error.
expect_fail() {
	want=$1 pat=$2 what=$3
	shift 4
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -Eq -- "$pat" "$T/err"; then
		ok 0 "$what"
	else
		ok 1 "$what (exit $rc, want $want; stderr must match: $pat)"
		diag "$T/err"
	fi
}

# The number of results of the latest run (or run $2) in database $1.
results_in() {
	"$BNNBENCH" show --db "$1" ${2:+"$2"} 2>/dev/null |
		sed -n 's/.*(\([0-9][0-9]*\) results)$/\1/p'
}

# junit_validator: prints how JUnit files are validated here against
# tests/junit.xsd: "xmlschema PYTHON" (python3's xmlschema package),
# "xmllint" (libxml2-utils), or nothing (status 1) when neither is here.
junit_validator() {
	for py in "${PYTHON3:-python3}" /usr/bin/python3 python3; do
		if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import xmlschema' 2>/dev/null; then
			echo "xmlschema $py"
			return 0
		fi
	done
	command -v xmllint >/dev/null 2>&1 && { echo xmllint; return 0; }
	return 1
}

# junit_check FILE...: validates each JUnit file against tests/junit.xsd
# (junit_validator's way) and checks that each testsuite's counts are its
# test cases' (tests/junit_check.py); prints "TESTS FAILURES SKIPPED
# ERRORS" summed over the files, and with JUNIT_CASES=1 a line per case.
# Fails, saying why on stderr, when a file does not pass.
junit_check() {
	jv=$(junit_validator) || { echo "junit_check: no XSD validator" >&2; return 1; }
	jdir="${srcdir:-.}/tests"
	jpy=${PYTHON3:-python3}
	command -v "$jpy" >/dev/null 2>&1 || jpy=python3
	case $jv in
	xmlschema*) set -- --schema "$jdir/junit.xsd" "$@"; jpy=${jv#xmlschema } ;;
	*) xmllint --noout --schema "$jdir/junit.xsd" "$@" 2>"$T/xmllint.err" ||
		{ cat "$T/xmllint.err" >&2; return 1; } ;;
	esac
	[ "${JUNIT_CASES:-0}" = 1 ] && set -- --cases "$@"
	"$jpy" "$jdir/junit_check.py" "$@"
}

# need_python_sqlite WHY: sets PY to a python3 that has sqlite3, or ends
# the test as skipped: "python3 with sqlite3 is needed WHY". (The TAP
# driver takes "1..0 # SKIP" as the skip; exit 77 would be an ERROR.)
need_python_sqlite() {
	PY=${PYTHON3:-python3}
	command -v "$PY" >/dev/null 2>&1 || PY=python3
	if ! "$PY" -c 'import sqlite3' 2>/dev/null; then
		echo "1..0 # SKIP python3 with sqlite3 is needed $1"
		exit 0
	fi
}

# q DB SQL: the first column of SQL's first row in database DB (waiting up
# to 5 s for a lock). Needs PY (need_python_sqlite).
q() {
	"$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1], timeout=5).execute(sys.argv[2]).fetchone()[0])' "$@"
}

# summed OUTPUT: how many results the summary line of a run's OUTPUT counts.
summed() {
	sed -n 's/^summary: \([0-9]*\) PASS, \([0-9]*\) FAIL, \([0-9]*\) SKIP, \([0-9]*\) MISTRUSTED.*/\1 \2 \3 \4/p' "$1" |
		awk '{ print $1 + $2 + $3 + $4 }'
}

# poll TENTHS COMMAND...: runs COMMAND every 0.1 s until it succeeds (0) or
# TENTHS tries have failed (1).
poll() {
	poll_n=$1
	shift
	poll_i=0
	while [ $poll_i -lt "$poll_n" ]; do
		"$@" && return 0
		sleep 0.1
		poll_i=$((poll_i + 1))
	done
	return 1
}

# at_least DB SQL N: whether SQL's count in DB is at least N (q: needs PY).
at_least() {
	at_c=$(q "$1" "$2" 2>/dev/null)
	[ -n "$at_c" ] && [ "$at_c" -ge "$3" ]
}

now() { date +%s.%N; }
# secs T0 T1: seconds from T0 to T1 (now's), one decimal.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# stop_timed SIGNAL PID: sends SIGNAL to PID and waits for it; sets rc to
# its exit status and took to the seconds it took to end.
stop_timed() {
	st_t0=$(now)
	kill "-$1" "$2"
	wait "$2"
	rc=$?
	took=$(secs "$st_t0" "$(now)")
}
