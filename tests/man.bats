#!/usr/bin/env bats
# The manual pages: clean under both formatters, no mdoc misuse in the
# rendered text, and no reference to a document the repository lacks.

load helper

pages() { ls "$TOP"/man/*.[1-9]; }
# plain FORMATTER ARGS...: the page as text, without overstriking.
plain() { "$@" | sed 's/.\x08//g'; }

# silent COMMAND...: COMMAND PAGE prints nothing, for every page.
silent() {
	local out="" p
	for p in $(pages); do
		out="$out$("$@" "$p" 2>&1 || true)"
	done
	[ -z "$out" ] || { echo "$out" >&2; return 1; }
}

@test "man: mandoc -Tlint -W warning reports nothing on every page" {
	silent mandoc -Tlint -W warning
}

@test "man: groff -ww -mdoc -z reports nothing on every page" {
	silent groff -ww -mdoc -z
}

# An Fl (or Ar, Cm) that runs on inside parentheses turns the words after
# it into options: "(--l2, -default -1 -on -text)".  The programs' options
# are long (--word) or single letters (-n), and a minus sign in prose is
# written \- (it renders as "-" too, so the few words it may precede are
# allowed by name).
@test "man: no words turned into options in the rendered text" {
	local out=""
	for p in $(pages); do
		out="$out$(plain mandoc -Tascii "$p" |
		    grep -nE "(^|[[:space:](\[])-[[:alpha:]][[:alnum:]'.\"]* +-[[:alpha:]]|(^|[[:space:](\[])-[a-z][a-z']{2,}" |
		    grep -vE -- "-(infinity|inf)\b" | sed "s|^|${p##*/}:|")"
	done
	[ -z "$out" ] || { echo "$out" >&2; return 1; }
}

# Both formatters must render the whole page: groff once lost the
# citation and the footer of a page (an author named "Li", an mdoc macro).
@test "man: groff renders every page to its footer" {
	for p in $(pages); do
		date=$(sed -n 's/^\.Dd //p' "$p")
		plain groff -mdoc -Tascii "$p" 2>/dev/null | tail -3 | grep -q "$date" ||
		    { echo "${p##*/}: no footer" >&2; return 1; }
	done
}

# Users see only the repository: nothing in it may send them to the
# developers' notes that live beside it.
@test "man: nothing in the repository names the developers' notes" {
	run grep -rlE "(THEORY|CONTRACT)\.md" "$TOP" --exclude-dir=.git \
	    --exclude-dir=build --exclude-dir=results --exclude-dir=bin
	[ "$status" -eq 1 ] || { echo "$output" >&2; return 1; }
}

# A clean clone holds every page its pages mention.
@test "man: every page a page refers to is in the repository" {
	local missing=""
	for ref in $(sed -n 's/^\.Xr \([^ ]*\) \([1-9]\).*/\1.\2/p' "$TOP"/man/*.[1-9] | sort -u); do
		[ -f "$TOP/man/$ref" ] || missing="$missing $ref"
	done
	[ -z "$missing" ] || { echo "no page:$missing" >&2; return 1; }
}

@test "man: make install puts every page and schema in place, uninstall removes them" {
	d=$BATS_TEST_TMPDIR/root
	# BINS= : copy the programs under test, build nothing
	make -s -C "$TOP" install BINS= BIN="$BIN" DESTDIR="$d" PREFIX=/usr
	for p in "$TOP"/man/*.[1-9]; do
		n=${p##*/}
		[ -f "$d/usr/share/man/man${n##*.}/$n" ] || { echo "$n not installed" >&2; return 1; }
	done
	for s in "$TOP"/share/schema/*.schema.json; do
		cmp "$s" "$d/usr/share/attn-ccmc/schema/${s##*/}"
	done
	[ -x "$d/usr/bin/ccmc-estimate" ]
	make -s -C "$TOP" uninstall BIN="$BIN" DESTDIR="$d" PREFIX=/usr
	run find "$d" -type f
	[ -z "$output" ] || { echo "left behind: $output" >&2; return 1; }
	[ ! -e "$d/usr/share/attn-ccmc" ]
}

@test "help: every program describes each option (with its value) once, and ccmc-estimate states the vocabulary limit its man page does" {
	for p in attn-gen-model attn-sample attn-to-ccmc ccmc-estimate traj-stats; do
		dup=$("$p" --help | grep -oE '^  (-[a-zA-Z], )?--[a-z-]+( [A-Za-z/|]+)?' | sort | uniq -d)
		[ -z "$dup" ] || { echo "$p --help repeats: $dup"; return 1; }
	done
	ccmc-estimate --help | tr -s ' \n' ' ' | grep -q 'keep all, at most 1048576)'
	man -l "$TOP/man/ccmc-estimate.1" 2>/dev/null | grep -q 'at most 1048576'
}
