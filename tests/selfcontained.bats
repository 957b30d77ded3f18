#!/usr/bin/env bats
# A clone stands alone: no test, Makefile rule or script reads or names a
# file outside the repository (users get the clone and nothing else).

load helper

# outside FILE...: every path in the files that climbs out of the tree
# (resolved from the file's directory and from the top, as make and the
# scripts run from either), or names a known place outside it.
outside() {
	py "$TOP" "$@" <<'EOF2'
import os, re, sys
top = os.path.realpath(sys.argv[1])
bad = []
for f in sys.argv[2:]:
    try:
        text = open(f, encoding="utf-8", errors="replace").read()
    except OSError:
        continue
    for n, line in enumerate(text.splitlines(), 1):
        for m in re.finditer(r"(?:\.\./)+[A-Za-z0-9_.$/-]*|\.\.(?=[\"'\s]|$)", line):
            p = m.group(0)
            here = [os.path.dirname(os.path.realpath(f)), top]
            if re.search(r"\$[({]?(TOP|CURDIR|PWD|top|root)[)}]?/$", line[:m.start()]):
                here = [top]  # $TOP/.., $(CURDIR)/..: from the top
            if all(not os.path.realpath(os.path.join(d, p)).startswith(top)
                   for d in here):
                bad.append("%s:%d: %s" % (os.path.relpath(f, top), n, p))
        if re.search("shared" + "/vectors|/" + "work/", line):
            bad.append("%s:%d: names %s" % (os.path.relpath(f, top), n, line.strip()))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF2
}

@test "no test, Makefile rule or script names a path outside the repository" {
	cd "$TOP"
	files=$(find tests share bench .ci Makefile -type f \
		! -path 'tests/vectors/*' ! -path 'tests/golden/*' ! -path 'tests/bad/*' \
		! -name '*.png' ! -name '*.ndjson' ! -name '*.json' 2>/dev/null)
	run outside $files
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "the path check itself finds a path that climbs out" {
	up=..
	printf 'x=$(cat %s/%s/elsewhere/mle.ndjson)\n' $up $up >"$BATS_TEST_TMPDIR/t.sh"
	run outside "$BATS_TEST_TMPDIR/t.sh"
	[ "$status" -eq 1 ]
}

@test "the independent vectors are in the repository" {
	for f in forward mle repetition wfit; do
		[ -s "$VECTORS/$f.ndjson" ]
	done
	case $VECTORS in "$TOP"/*) ;; *) false ;; esac
}
