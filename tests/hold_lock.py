"""Holds a bnnbench database's write lock for the shell tests.

hold_lock.py DB MARKER UNTIL: waits (at most 60 s) until the database holds
a result, takes the write lock (BEGIN IMMEDIATE), creates the file MARKER,
and keeps the lock until UNTIL: a number of seconds, or else the path of a
file the test creates to release it (at most 60 s from the start).
"""
import os
import sqlite3
import sys
import time

db, marker, until = sys.argv[1:4]
t0 = time.time()
while time.time() - t0 < 60:
    try:
        c = sqlite3.connect(db, timeout=10, isolation_level=None)
        if c.execute("SELECT count(*) FROM result").fetchone()[0] >= 1:
            c.execute("BEGIN IMMEDIATE")
            open(marker, "w").close()
            try:
                time.sleep(float(until))
            except ValueError:
                while not os.path.exists(until) and time.time() - t0 < 60:
                    time.sleep(0.02)
            c.execute("COMMIT")
            break
        c.close()
    except sqlite3.Error:
        pass
    time.sleep(0.02)
