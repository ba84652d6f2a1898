#!/usr/bin/env python3
"""junit_check.py [--schema XSD] [--cases] FILE...

Checks JUnit XML files as bnnbench writes them: with --schema, validates
each against the XSD with the xmlschema package (exit 3 when it is not
installed, so that the caller can use xmllint instead); then, with
xml.etree alone, that every testsuite's tests, failures, errors and skipped
attributes are the counts of its test cases. Prints the totals over all
files as "TESTS FAILURES SKIPPED ERRORS"; with --cases, then one line per
test case: its outcome (pass, failure, error, skipped), the failure's type
(or -) and its name.
"""
import sys
import xml.etree.ElementTree as ET


def main(argv):
    schema, cases, files = None, False, []
    args = iter(argv)
    for a in args:
        if a == "--schema":
            schema = next(args)
        elif a == "--cases":
            cases = True
        else:
            files.append(a)
    if schema:
        try:
            import xmlschema
        except ImportError:
            print("junit_check: the xmlschema package is not installed", file=sys.stderr)
            return 3
        xsd = xmlschema.XMLSchema(schema)
        for f in files:
            errors = list(xsd.iter_errors(f))
            if errors:
                print(f"junit_check: {f}: not valid against {schema}: {errors[0]}",
                      file=sys.stderr)
                return 1
    totals = [0, 0, 0, 0]
    lines = []
    for f in files:
        root = ET.parse(f).getroot()
        if root.tag != "testsuites":
            print(f"junit_check: {f}: the root is <{root.tag}>, not <testsuites>", file=sys.stderr)
            return 1
        for suite in root.findall("testsuite"):
            n = [0, 0, 0, 0]
            for tc in suite.findall("testcase"):
                n[0] += 1
                out, typ = "pass", "-"
                for i, tag in ((1, "failure"), (2, "skipped"), (3, "error")):
                    e = tc.find(tag)
                    if e is not None:
                        n[i] += 1
                        out, typ = tag, e.get("type", "-")
                lines.append(f"{out} {typ} {tc.get('name')}")
            said = [int(suite.get(k)) for k in ("tests", "failures", "skipped", "errors")]
            if said != n:
                print(f"junit_check: {f}: testsuite {suite.get('name')!r} says "
                      f"tests/failures/skipped/errors {said}, its cases count {n}",
                      file=sys.stderr)
                return 1
            totals = [a + b for a, b in zip(totals, n)]
    print(*totals)
    if cases:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
