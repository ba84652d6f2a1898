#!/bin/sh
# The rules of the judge's mutation test (tests/judge-mutants.sh), checked
# without building: each must still change the file it names (a rule that
# matches nothing after a refactor would leave its guard untested), its tests
# must exist and an equivalent mutant must say why. A TAP point per rule;
# the mutation test itself is run by hand (doc/checks.md).
s=${srcdir:-.}
if ! command -v bash >/dev/null 2>&1 || ! sed --version 2>/dev/null | grep -q GNU; then
	echo "1..0 # SKIP the rules need bash and GNU sed"
	exit 0
fi
exec bash "$s/tests/judge-mutants.sh" -n -s "$s"
