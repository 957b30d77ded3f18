#!/bin/sh
# deps.sh WHAT: make sure the packages WHAT needs are here.
# WHAT is build, check, demo, bench or fuzz.  As root with apt-get, missing
# Debian packages are installed; otherwise one line names them and we fail.
set -u
what=${1:-build}

need=""
want() {    # want PACKAGE TEST-COMMAND...
	pkg=$1; shift
	"$@" >/dev/null 2>&1 || need="$need $pkg"
}

want pkg-config      command -v pkg-config
want make            command -v make
want gcc             command -v cc
want libjansson-dev  pkg-config --exists jansson
want libsodium-dev   pkg-config --exists libsodium
want zlib1g-dev      pkg-config --exists zlib
case $what in
check|demo|bench)
	want bats        command -v bats
	want jq          command -v jq
	want python3     command -v python3
	want gnuplot-nox command -v gnuplot
	want parallel    command -v parallel
	want time        test -x /usr/bin/time
	want mandoc      command -v mandoc
	want groff-base  command -v groff
	want python3-jsonschema /usr/bin/python3 -c 'import jsonschema'
	want sphinxbase-utils command -v sphinx_lm_eval   # an ARPA reader not ours (tests/kn-sparse.bats)
	want python3-numpy /usr/bin/python3 -c 'import numpy'   # tests/npz.bats's reference
	;;
esac
case $what in
bench)
	want python3-numpy /usr/bin/python3 -c 'import numpy'
	want python3-scipy /usr/bin/python3 -c 'import scipy.optimize'
	want python3-torch /usr/bin/python3 -c 'import torch'
	want valgrind      command -v valgrind
	;;
esac

case $what in
fuzz)
	want afl++         command -v afl-clang-fast
	;;
esac

[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	# One line for this group; apt-get's own output only if it fails.
	log=$(mktemp "${TMPDIR:-/tmp}/deps.XXXXXX") || exit 1
	printf 'deps.sh: %s: installing%s ... ' "$what" "$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	if { apt-get update -qq && apt-get install -y -qq $need; } >"$log" 2>&1
	then
		echo ok >&2
		rm -f "$log"
		exit 0
	fi
	echo failed >&2
	cat "$log" >&2
	rm -f "$log"
	echo "deps.sh: apt-get could not install:$need" >&2
	exit 1
fi
echo "deps.sh: missing packages:$need (install them, e.g. sudo apt-get install$need)" >&2
exit 1
