# attn-ccmc toolkit.  make: programs into bin/;  make check: all tests.
.POSIX:

PREFIX  = /usr/local
BINDIR  = $(PREFIX)/bin
MANROOT = $(PREFIX)/share/man
MANDIR  = $(MANROOT)/man1
# The JSON Schemas of the records (ccmc-records(5)).
SCHEMADIR = $(PREFIX)/share/attn-ccmc/schema
CC      = cc
CFLAGS  = -O3 -g
PKGS    = jansson libsodium zlib
# Deferred (=) so pkg-config runs after share/deps.sh has installed them.
PKG_CFLAGS = $$(pkg-config --cflags $(PKGS))
PKG_LIBS   = $$(pkg-config --libs $(PKGS))
WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes
# CI builds with -Werror; set WERROR= to turn it off there.
WERROR_CI_true = -Werror
WERROR  = $(WERROR_CI_$(CI))
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(WERROR) -Ilib $(CFLAGS)
LDLIBS  = -lm

# Where the objects and programs go (the sanitizer build uses its own).
OUT     = build/release
BIN     = bin

PROGS   = $(basename $(notdir $(wildcard cmd/*.c)))
LIBSRC  = $(wildcard lib/*.c)
LIBOBJ  = $(LIBSRC:lib/%.c=$(OUT)/lib/%.o)
HEADERS = $(wildcard lib/*.h)
BINS    = $(PROGS:%=$(BIN)/%)
TESTBIN = $(OUT)/unit

all: $(BINS) $(TESTBIN)

deps-build:
	@sh share/deps.sh build
deps-check:
	@sh share/deps.sh check
deps-bench:
	@sh share/deps.sh bench

$(OUT)/lib/%.o: lib/%.c $(HEADERS) | deps-build
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(OUT)/libccmc.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(BIN)/%: cmd/%.c $(OUT)/libccmc.a $(HEADERS) | deps-build
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(OUT)/libccmc.a $(PKG_LIBS) $(LDLIBS)

$(TESTBIN): tests/unit.c $(OUT)/libccmc.a $(HEADERS) | deps-build
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ tests/unit.c $(OUT)/libccmc.a $(PKG_LIBS) $(LDLIBS)

check: all deps-check
	@BIN=$(CURDIR)/$(BIN) UNIT=$(CURDIR)/$(TESTBIN) sh tests/run

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
check-sanitize:
	$(MAKE) OUT=build/san BIN=build/san/bin CFLAGS="$(SANFLAGS)" check

# The whole suite with every program run under valgrind.
check-valgrind: all deps-check
	@BIN=$(CURDIR)/$(BIN) UNIT=$(CURDIR)/$(TESTBIN) VALGRIND=1 sh tests/run

# AFL++ on the reader and every program's input path (not in CI);
# FUZZ_TARGETS picks some (tests/fuzz/run names them).
FUZZ_SECONDS = 600
FUZZ_TARGETS =
fuzz: all
	@sh share/deps.sh fuzz
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1 $(MAKE) OUT=build/fuzz BIN=build/fuzz/bin \
	    CC=afl-clang-fast CFLAGS="-O1 -g" build/fuzz/bin/attn-to-ccmc \
	    build/fuzz/bin/attn-sample build/fuzz/bin/ccmc-estimate \
	    build/fuzz/bin/traj-stats build/fuzz/reader
	sh tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

$(OUT)/reader: tests/fuzz/reader.c $(OUT)/libccmc.a $(HEADERS) | deps-build
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ tests/fuzz/reader.c $(OUT)/libccmc.a $(PKG_LIBS) $(LDLIBS)

# The experiments E1-E7 (README.md, "Experiments"): `make demo` small
# (DEMO_SCALE=tiny: a smoke test in seconds), `make full` full size (`make
# paper`: its old name), `make jobs [SCALE=demo]` the job lines of the
# full run for GNU parallel/Slurm.  Stdout is the verdict table only: the
# build and the dependency check print to stderr (quietly: -s), and the
# experiments run on every core unless make was given -j itself.
EXPERIMENTS_MAKE = $(MAKE) -s --no-print-directory -f share/experiments/Makefile BIN=$(BIN)
BUILD_QUIETLY = j=; case " $$MAKEFLAGS" in *" -j"*|*jobserver*) ;; *) \
	j=-j$$(nproc 2>/dev/null || echo 2);; esac; \
	$(MAKE) -s --no-print-directory $$j all >&2 && \
	$(MAKE) -s --no-print-directory deps-check >&2
demo:
	@$(BUILD_QUIETLY)
	@$(EXPERIMENTS_MAKE) SCALE=$(or $(DEMO_SCALE),demo)
full:
	@$(BUILD_QUIETLY)
	@$(EXPERIMENTS_MAKE) SCALE=full
paper:
	@echo "note: make paper is now called make full" >&2
	@$(MAKE) -s --no-print-directory full
jobs:
	@$(EXPERIMENTS_MAKE) SCALE=$(or $(SCALE),full) jobs

bench: all deps-bench
	@bash bench/run

SCHEMAS = $(notdir $(wildcard share/schema/*.schema.json))

install: $(BINS)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(MANROOT)/man5 \
	    $(DESTDIR)$(MANROOT)/man7 $(DESTDIR)$(SCHEMADIR)
	for p in $(PROGS); do cp $(BIN)/$$p $(DESTDIR)$(BINDIR)/$$p; done
	for p in $(PROGS); do cp man/$$p.1 $(DESTDIR)$(MANDIR)/$$p.1; done
	cp man/ccmc-records.5 $(DESTDIR)$(MANROOT)/man5/ccmc-records.5
	cp man/attn-ccmc.7 $(DESTDIR)$(MANROOT)/man7/attn-ccmc.7
	for s in $(SCHEMAS); do cp share/schema/$$s $(DESTDIR)$(SCHEMADIR)/$$s; done

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(MANDIR)/$$p.1; done
	rm -f $(DESTDIR)$(MANROOT)/man5/ccmc-records.5 $(DESTDIR)$(MANROOT)/man7/attn-ccmc.7
	for s in $(SCHEMAS); do rm -f $(DESTDIR)$(SCHEMADIR)/$$s; done
	rmdir $(DESTDIR)$(SCHEMADIR) $(DESTDIR)$(PREFIX)/share/attn-ccmc 2>/dev/null || true

clean:
	rm -rf build bin results

.PHONY: fuzz full paper jobs all check check-sanitize check-valgrind demo bench install uninstall clean deps-build deps-check deps-bench
