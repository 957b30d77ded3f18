#!/usr/bin/env bats
# What the README promises about running the experiments.

load helper

# "make -f share/experiments/Makefile e2 SCALE=tiny E2_K_tiny="5 7"
# RESULTS=dir": a parameter list given on the command line replaces the
# fragment's, for the experiments' own Makefile and through the top one.
@test "README: experiment parameter lists are overridden on the command line" {
	cd "$TOP"
	run make -s -f share/experiments/Makefile jobs SCALE=tiny EXPERIMENTS=e2 \
	    E2_K_tiny="5 7" RESULTS="$BATS_TEST_TMPDIR/r" BIN="$BIN"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -q "/e2/runs/K7_n1000_s1.ndjson"
	! printf '%s\n' "$output" | grep -q "/e2/runs/K10_"
	run make -s jobs SCALE=tiny E2_K_tiny="5 7" BIN="$BIN"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -q "/e2/runs/K7_n1000_s1.ndjson"
	! printf '%s\n' "$output" | grep -q "/e2/runs/K10_"
}

@test "README: an overridden experiment runs and reduces" {
	cd "$TOP"
	run make -s -f share/experiments/Makefile e2 SCALE=tiny E2_K_tiny="5 7" \
	    E2_SEEDS_tiny=1 RESULTS="$BATS_TEST_TMPDIR/r" BIN="$BIN"
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	[ -f "$BATS_TEST_TMPDIR/r/e2/runs/K7_n10000_s1.ndjson" ]
	printf '%s\n' "$output" | grep -q '^E2 .* over K = 5,7;'
}

# The README's first pipeline, exactly as printed (its first code block),
# works for someone who has just run `make`: the block itself puts bin/ on
# PATH.  It runs in a copy of the tree whose bin/ holds the programs under
# test, with a PATH that does not have them.
@test "README: the first pipeline works as printed after make" {
	block=$(awk '/^```/ { if (open) exit; open = 1; next } open' "$TOP/README.md")
	[[ $block == "export PATH=\$PWD/bin:\$PATH"* ]] || { echo "$block"; false; }
	d=$BATS_TEST_TMPDIR/clone
	mkdir -p "$d/bin"
	for p in "$BIN"/*; do ln -s "$p" "$d/bin/"; done
	cd "$d"
	run env PATH=/usr/bin:/bin bash -e -o pipefail -c "$block"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	printf '%s\n' "$output" | grep '^{' | tail -n 1 | jq -e '.type == "ccmc" and .K == 20' >/dev/null
}
