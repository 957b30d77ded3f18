"""Runs a command and writes what it took, for E7's scan of fit sizes:

    e7-measure.py OUT COMMAND [ARG ...]

COMMAND runs with this process's stdin, stdout and stderr; once it exits,
OUT gets one JSON object: cpu_s (user + system seconds), wall_s and
max_rss_mb (its peak resident memory, MiB, as the kernel counts it: at
least this interpreter's own, some 10-15 MiB, which the child shares
until its exec).  The exit status is COMMAND's.  Measurements differ
from run to run, so they go to OUT beside a job's file, never into the
file itself (whose bytes a rerun reproduces).

Standard library only."""

import json
import os
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: e7-measure.py OUT COMMAND [ARG ...]")
    out, cmd = sys.argv[1], sys.argv[2:]
    start = time.monotonic()
    # spawned, not forked: a forked child's peak would count this
    # interpreter's pages before the exec
    try:
        pid = os.posix_spawnp(cmd[0], cmd, os.environ)
    except OSError as e:
        sys.exit("e7-measure.py: %s: %s" % (cmd[0], e.strerror))
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - start
    with open(out, "w") as f:
        json.dump({"cpu_s": ru.ru_utime + ru.ru_stime, "wall_s": wall,
                   "max_rss_mb": ru.ru_maxrss / 1024.0}, f)
        f.write("\n")
    sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode")
             else (status >> 8))


main()
