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
