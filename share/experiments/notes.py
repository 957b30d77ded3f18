"""The notes of a run's jobs, counted: each job's stderr is kept in its
log (FILE.log beside FILE), and this prints one line per experiment whose
jobs left any, the kinds of note with their counts, and what the
experiment expects of them (NOTES_eN in its fragment, in the environment).

    python3 notes.py RESULTS e1 e2 ...

Standard library only; prints to stdout (make sends it to stderr)."""

import os
import re
import sys

SHOWN = 3     # kinds of note named per experiment; the rest are counted


def kind(line):
    """A note's kind: its program and message with the numbers and the
    details after the first bracket, colon or semicolon left out."""
    m = re.match(r"([\w.-]+): (note|warning|error): (.*)", line)
    prog, msg = (m.group(1), m.group(3)) if m else ("", line)
    msg = re.split(r" \(|: |; ", msg, maxsplit=1)[0]
    msg = re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "N", msg)
    return (prog + ": " if prog else "") + msg.strip()


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: notes.py RESULTS [EXPERIMENT ...]")
    results, experiments = sys.argv[1], sys.argv[2:]
    for e in experiments:
        logs = []
        for top, _, names in os.walk(os.path.join(results, e)):
            logs += [os.path.join(top, n) for n in names if n.endswith(".log")]
        counts, noisy = {}, 0
        for path in logs:
            with open(path, errors="replace") as f:
                lines = [l.rstrip("\n") for l in f if l.strip()]
            noisy += bool(lines)
            for l in lines:
                k = kind(l)
                counts[k] = counts.get(k, 0) + 1
        if not counts:
            continue
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        said = ", ".join("%d x '%s'" % (n, k) for k, n in top[:SHOWN])
        rest = sum(n for _, n in top[SHOWN:])
        if rest:
            said += ", %d other" % rest
        why = os.environ.get("NOTES_" + e, "").strip()
        print("%s: %d of %d jobs left notes (in %s/%s/**/*.log): %s%s"
              % (e, noisy, len(logs), results, e, said, "; " + why if why else ""))


main()
