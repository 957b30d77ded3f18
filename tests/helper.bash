# Common set-up for the bats suites.  BIN is the directory of the programs
# under test (make check sets it); VECTORS the independent test vectors (tests/vectors/README.md).
TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${BIN:=$TOP/bin}"
: "${UNIT:=$TOP/build/release/unit}"
VECTORS=$TOP/tests/vectors
PATH=$BIN:$PATH
export BIN UNIT VECTORS PATH

# With VALGRIND=1 (make check-valgrind) every program runs under valgrind,
# and any error it finds fails the run.
if [ -n "${VALGRIND:-}" ]; then
	vgdir=$(mktemp -d)
	for p in "$BIN"/*; do
		n=$(basename "$p")
		printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=no "%s" "$@"\n' "$p" >"$vgdir/$n"
		chmod +x "$vgdir/$n"
	done
	PATH=$vgdir:$PATH
fi

# assert_error STATUS PROGRAM: the last `run` failed with STATUS and printed
# exactly one line "PROGRAM: FILE:LINE: message" (or "PROGRAM: message" for
# usage errors) on stderr.
assert_error() {
	local want=$1 prog=$2
	if [ "$status" -ne "$want" ]; then
		echo "exit status $status, expected $want; output: $output" >&2
		return 1
	fi
	local first=${lines[0]:-}
	case $first in
	"$prog: "*) ;;
	*) echo "first line does not name $prog: $first" >&2; return 1 ;;
	esac
}

# assert_located PROG: the error line has the FILE:LINE: form
assert_located() {
	local prog=$1
	if ! printf '%s\n' "$output" | grep -Eq "^$prog: [^:]+:[0-9]+: "; then
		echo "no '$prog: FILE:LINE: message' in: $output" >&2
		return 1
	fi
}

# py: run a Python program given on stdin (stdlib only: an independent
# computation, not the library under test).
py() { python3 - "$@"; }

# under_vmem KB COMMAND...: COMMAND with its address space capped at KB,
# the bound the release build is held to.  ASan's shadow memory and
# valgrind reserve far more address space than any cap, so under them
# (make check-sanitize, check-valgrind) the command runs uncapped.
under_vmem() {
	local kb=$1
	shift
	if [ -n "${VALGRIND:-}" ] || ldd "$BIN/attn-sample" | grep -q libasan; then
		"$@"
	else
		(ulimit -v "$kb" && exec "$@")
	fi
}
