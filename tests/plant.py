#!/usr/bin/env python3
"""plant.py: writes a bnnbench database with planted runs, for the tests.

usage: plant.py SCHEMA.sql DB.db < spec.json

The database is made with the real schema (results/schema.sql, version 1)
and the pragmas bnnbench sets, so bnnbench reads it as its own. The spec:
  {"runs": [{"machine": "fp", "host": "h", "start": "2026-...Z", "pid": 1,
             "command_line": "...", "suite": "...", "status": "passed",
             "results": [{"problem": "gemm m=64 n=64 k=64", "name": "...",
                          "op": "gemm", "kernel": "...", "kind": "kernel",
                          "status": "PASS", "reason": null,
                          "samples": [ns, ...]  or
                          "normal": [mean, sd, n, seed]}]}]}
Samples drawn from "normal" use Python's own seeded generator, so a spec
always plants the same numbers.
"""
import json
import random
import sqlite3
import statistics
import sys


def main():
    schema, path = sys.argv[1], sys.argv[2]
    spec = json.load(sys.stdin)
    db = sqlite3.connect(path)
    db.executescript(open(schema).read())
    db.execute("PRAGMA user_version = %d" % spec.get("user_version", 1))
    db.execute("PRAGMA application_id = %d" % 0x424e4e42)
    for i, run in enumerate(spec["runs"]):
        fp = run.get("machine", "plantedmachine01")
        db.execute("INSERT OR IGNORE INTO machine (fingerprint, hostname, cpu_model,"
                   " isa_features, cores, record_json, first_seen)"
                   " VALUES (?, ?, 'Planted CPU', 'avx2 popcnt', 2, '{}', ?)",
                   (fp, run.get("host", "planted"), run.get("start", "2026-01-01T00:00:00.000Z")))
        mid = db.execute("SELECT id FROM machine WHERE fingerprint = ?", (fp,)).fetchone()[0]
        db.execute("INSERT OR IGNORE INTO build (version, compiler, cflags) VALUES ('planted', 'cc', '-O2')")
        bid = db.execute("SELECT id FROM build WHERE version = 'planted'").fetchone()[0]
        cur = db.execute(
            "INSERT INTO run (machine_id, build_id, suite, command_line, seed, check_only, pid,"
            " host, start_time, end_time, status) VALUES (?, ?, ?, ?, 1, 0, ?, ?, ?, ?, ?)",
            (mid, bid, run.get("suite", "planted"), run.get("command_line", "bnnbench planted"),
             run.get("pid", 1000 + i), run.get("host", "planted"),
             run.get("start", "2026-01-01T00:%02d:00.000Z" % i),
             run.get("end", "2026-01-01T00:%02d:30.000Z" % i), run.get("status", "passed")))
        rid = cur.lastrowid
        for r in run["results"]:
            db.execute("INSERT OR IGNORE INTO problem (canonical, name, op) VALUES (?, ?, ?)",
                       (r["problem"], r.get("name"), r.get("op", r["problem"].split()[0])))
            pid = db.execute("SELECT id FROM problem WHERE canonical = ?",
                             (r["problem"],)).fetchone()[0]
            samples = r.get("samples")
            if "normal" in r:
                mean, sd, n, seed = r["normal"]
                g = random.Random(seed)
                samples = [max(1.0, g.gauss(mean, sd)) for _ in range(n)]
            samples = samples or []
            med = statistics.median(samples) if samples else None
            macs = r.get("macs", 1e6)
            cur = db.execute(
                "INSERT INTO result (run_id, problem_id, kernel, kind, isa, status, reason,"
                " repro, nsamples, min_ns, median_ns, ci_lo_ns, ci_hi_ns, macs, tops,"
                " threads, binding, value, value_median, unit)"
                " VALUES (?, ?, ?, ?, 'generic', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'none', ?, ?, ?)",
                (rid, pid, r["kernel"], r.get("kind", "kernel"), r.get("status", "PASS"),
                 r.get("reason"), r.get("repro"), len(samples),
                 min(samples) if samples else None, med,
                 min(samples) if samples else None, max(samples) if samples else None,
                 macs, 2 * macs / med / 1e3 if med else r.get("value"),
                 r.get("value"), r.get("value"), r.get("unit")))
            resid = cur.lastrowid
            db.executemany("INSERT INTO sample (result_id, idx, ns) VALUES (?, ?, ?)",
                           [(resid, k, s) for k, s in enumerate(samples)])
    db.commit()
    db.close()


if __name__ == "__main__":
    main()
