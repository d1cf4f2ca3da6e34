# ss — attested execution toolkit.  One Makefile for everything.
#
#   make               libss.a and the tools (one per cmd/ss-*.c), in build/
#   make check         lint + C unit tests + bats suites; last line "N passed, N failed"
#   make check SAN=1   the same under ASan+UBSan (objects in build/san/)
#   make check TSAN=1  the threaded suites under ThreadSanitizer (objects in build/tsan/)
#   make check VALGRIND=1  valgrind memcheck over every tool (tests/memcheck/)
#   make lint          the layering check of libss (common/LAYERS) and mandoc's
#                      lint of every man page (any warning fails)
#   make fuzz          each libFuzzer harness of fuzz/ for FUZZ_SECONDS (default 60),
#                      one at a time (clang, ASan+UBSan, objects in build/fuzz/)
#   make install       PREFIX=/usr/local DESTDIR=  binaries, scripts, man pages, completions
#   make demo          the whole flow on a private swtpm (scripts/demo), a summary at the end
#   make uninstall | bench | clean
#
# WERROR=1 turns warnings into errors (CI sets it); V=1 shows full commands.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/vendor-completions

CC      ?= cc
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
PKGS    := tss2-esys tss2-mu tss2-rc tss2-tctildr libcrypto yaml-0.1 libcjson libcurl
# Loaded when a TPM is first opened (common/ss/tss2_load.h), not linked:
# their headers only.
LAZY_PKGS := tss2-esys tss2-rc tss2-tctildr

ifeq ($(SAN),1)
BUILD   := build/san
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SANLD   := -fsanitize=address,undefined
else ifeq ($(TSAN),1)
BUILD   := build/tsan
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
SANLD   := -fsanitize=thread
else
BUILD   := build
OPT     := -O2 -g -D_FORTIFY_SOURCE=2
SANLD   :=
endif

WARN    := -Wall -Wextra -Wformat=2 -Wvla -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN    += -Werror
endif
HARDEN  := -fstack-protector-strong -fstack-clash-protection -fPIE -fcf-protection
CPPFLAGS += -D_GNU_SOURCE -DSS_VERSION='"$(VERSION)"' -Icommon
CFLAGS  ?=
ALL_CFLAGS = -std=c11 $(OPT) $(WARN) $(HARDEN) $(CFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS ?=
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SANLD) $(LDFLAGS)
LIBS    = $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null) -lm

TOOLS   := $(patsubst cmd/%.c,%,$(wildcard cmd/ss-*.c))
# Installed with the tools: the flow as a runbook, and its offline re-check.
SCRIPTS := ss-attested-run ss-reverify
LIB_SRC := $(wildcard common/*/*.c)
LIB_OBJ := $(patsubst common/%.c,$(BUILD)/common/%.o,$(LIB_SRC))
BINS    := $(addprefix $(BUILD)/bin/,$(TOOLS))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

# Short build lines; V=1 shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

# The libFuzzer harnesses (fuzz/NAME.c, one per parser; fuzz/README.md):
# clang with ASan and UBSan, over their own copy of libss.  make check runs
# a short smoke pass of each (scripts/fuzz smoke) with the plain build.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -std=c11 -O1 -g -fno-omit-frame-pointer $(WARN) $(CFLAGS) \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZERS      := $(filter-out harness,$(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c)))
FUZZ_BINS    := $(addprefix $(FUZZ_BUILD)/bin/,$(FUZZERS))
FUZZ_OBJ     := $(patsubst common/%.c,$(FUZZ_BUILD)/common/%.o,$(LIB_SRC))
ifeq ($(SAN)$(TSAN)$(VALGRIND),)
CHECK_FUZZ   := $(FUZZ_BINS)
endif

.PHONY: all check lint install uninstall clean bench deps demo fuzz
.DELETE_ON_ERROR:

all: $(BINS)

$(BUILD)/libss.a: $(LIB_OBJ)
	$(call say,AR,$@)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/common/%.o: common/%.c $(wildcard common/ss/*.h) | deps
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/bin/%: cmd/%.c $(BUILD)/libss.a $(wildcard common/ss/*.h)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libss.a $(ALL_LDFLAGS) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libss.a
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $< $(BUILD)/libss.a $(ALL_LDFLAGS) $(LIBS)

$(FUZZ_BUILD)/common/%.o: common/%.c $(wildcard common/ss/*.h) | deps
	@mkdir -p $(@D)
	$(call say,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

$(FUZZ_BUILD)/libss.a: $(FUZZ_OBJ)
	$(call say,AR,$@)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(FUZZ_BUILD)/bin/%: fuzz/%.c fuzz/harness.c fuzz/harness.h $(FUZZ_BUILD)/libss.a
	@mkdir -p $(@D)
	$(call say,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
	    fuzz/harness.c $(FUZZ_BUILD)/libss.a $(LIBS)

# Build dependencies: installed by scripts/bootstrap when pkg-config cannot
# find them (or mandoc, for make lint, or clang, for the fuzz harnesses, is
# missing).
deps:
	@{ pkg-config --exists $(PKGS) && command -v mandoc >/dev/null && \
	   command -v $(FUZZ_CC) >/dev/null; } || scripts/bootstrap

# Static checks of the tree: libss's layering (common/LAYERS), and the man
# pages through mandoc -T lint.
lint: deps
	@scripts/check-layers
	@scripts/check-man

# With TSAN=1, scripts/check-tsan runs the suites that start threads and
# fails on any ThreadSanitizer report.
ifeq ($(TSAN),1)
RUN_TESTS := scripts/check-tsan
else ifeq ($(VALGRIND),1)
RUN_TESTS := scripts/run-tests
CHECK_SUITES := tests/memcheck/memcheck.bats
else
RUN_TESTS := scripts/run-tests
endif
# BASELINES=DIR on the command line also holds ss-collision-check's counts to
# the reference implementation there (the test says it skipped otherwise).
check: deps lint $(BINS) $(UNITS) $(CHECK_FUZZ)
	@$(if $(filter command line,$(origin BASELINES)),BASELINES=$(abspath $(BASELINES))) \
	 $(if $(CHECK_FUZZ),SS_FUZZ_BUILD=$(FUZZ_BUILD)) $(RUN_TESTS) $(BUILD) $(CHECK_SUITES)

# Each harness for FUZZ_SECONDS, one after the other; FUZZERS="a b" picks some.
fuzz: $(FUZZ_BINS)
	@scripts/fuzz run $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZERS)

# Benchmarks against their baselines, side by side in one run, one table
# (see bench/run).  BASELINES=DIR: the directory of the reference scripts
# some of them are measured against (each names them, see bench/run); no
# default, bench/run says which benchmark needs it.
BASELINES ?=
bench: $(BINS)
	@BASELINES='$(BASELINES)' bench/run $(BUILD)

# The whole flow on this machine: a private swtpm, two tenants, a denied
# launch, a collision; Firecracker's test double unless the real one can
# boot a guest (scripts/demo says which).
demo: deps $(BINS)
	@scripts/demo $(BUILD)

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	for s in $(SCRIPTS); do \
	    sed 's/^version=@VERSION@$$/version=$(VERSION)/' scripts/$$s >$(DESTDIR)$(BINDIR)/$$s && \
	    chmod 0755 $(DESTDIR)$(BINDIR)/$$s; \
	done
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7/
	for t in $(TOOLS) $(SCRIPTS); do \
	    install -m 0644 completions/bash/$$t $(DESTDIR)$(BASHCOMPDIR)/$$t; \
	    install -m 0644 completions/zsh/_$$t $(DESTDIR)$(ZSHCOMPDIR)/_$$t; \
	done

uninstall:
	for t in $(TOOLS) $(SCRIPTS); do \
	    rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(MANDIR)/man1/$$t.1 \
	          $(DESTDIR)$(BASHCOMPDIR)/$$t $(DESTDIR)$(ZSHCOMPDIR)/_$$t; \
	done
	rm -f $(DESTDIR)$(MANDIR)/man7/ss-toolkit.7

clean:
	rm -rf build
