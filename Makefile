# try: trunk-based development toolkit.  Hand-written GNU make.
#
#   make            build libtry, the commands and the hook programs
#   make check      unit tests (Check) and end-to-end tests (real git, nginx)
#   make bench      benchmarks against git itself (never part of check)
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS=10 each (clang)
#   make demo       the whole toolkit on a scratch server repository
#   make install    PREFIX=/usr/local DESTDIR=
#
# Knobs: V=1 (full commands), SANITIZE=address,undefined, DEVELOPER=1 (-Werror
# and git's warning set).  Local overrides go into config.mak.

-include config.mak

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/try
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
SHELL_PATH ?= /bin/sh

PKGS = libgit2 libpcre2-8 libcurl jansson libcrypto
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

WARNINGS = -Wall -Wextra -Wno-unused-parameter -Wformat=2 -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition \
	-Wpointer-arith -Wvla -Wdeclaration-after-statement
ifdef DEVELOPER
WARNINGS += -Werror
endif
ifdef SANITIZE
CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) -I. -include libtry/banned.h \
	$(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS)

ifndef V
QUIET_CC = @echo '   ' CC $@;
QUIET_LINK = @echo '   ' LINK $@;
QUIET_AR = @echo '   ' AR $@;
endif

LIB_SRC := $(sort $(wildcard libtry/*.c))
LIB_OBJ := $(LIB_SRC:.c=.o)
LIB = libtry/libtry.a
CMD_SRC := $(sort $(wildcard cmd/*.c))
CMDS := $(CMD_SRC:.c=)
HOOK_SRC := $(sort $(wildcard hooks/*.c))
HOOKS := $(patsubst hooks/%.c,hooks/try-%,$(HOOK_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ := $(UNIT_SRC:.c=.o)
UNIT = tests/unit/run-unit
SUITES := $(patsubst tests/unit/check_%.c,%,$(wildcard tests/unit/check_*.c))

all: $(CMDS) $(HOOKS)

$(LIB): $(LIB_OBJ)
	$(QUIET_AR)rm -f $@ && $(AR) rcs $@ $^

libtry/%.o: libtry/%.c
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) \
		-DTRY_LIBEXECDIR='"$(LIBEXECDIR)"' -c -o $@ $<

cmd/%.o hooks/%.o: ALL_CFLAGS += -DTRY_VERSION='"$(VERSION)"'
%.o: %.c
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

cmd/%: cmd/%.o $(LIB)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

hooks/try-%: hooks/%.o $(LIB)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# The unit runner learns its suites from the file names: check_foo.c
# exports foo_suite().
tests/unit/suites.h: $(wildcard tests/unit/check_*.c)
	@for s in $(SUITES); do echo "SUITE($$s)"; done > $@+ && \
	if cmp -s $@+ $@; then rm -f $@+; else mv $@+ $@; fi
tests/unit/run-unit.o: tests/unit/suites.h
$(UNIT_OBJ): ALL_CFLAGS += $(CHECK_CFLAGS) -Wno-missing-prototypes
$(UNIT): $(UNIT_OBJ) $(LIB)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJ) $(LIB) \
		$(PKG_LIBS) $(CHECK_LIBS)

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

# deps: install what is missing from Debian's packages; silent when all is
# there.
deps:
	@$(SHELL_PATH) tests/deps.sh

check: deps
	@$(MAKE) --no-print-directory all $(UNIT)
	@echo '*** unit tests'
	@CK_FORK=yes ./$(UNIT)
	@echo '*** end-to-end tests'
	@$(SHELL_PATH) tests/e2e/run.sh

unit: all $(UNIT)
	@./$(UNIT)

e2e: all
	@$(SHELL_PATH) tests/e2e/run.sh $(T)

bench: deps
	@$(MAKE) --no-print-directory all
	@$(SHELL_PATH) tests/bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@$(SHELL_PATH) contrib/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 755 $(CMDS) $(DESTDIR)$(BINDIR)
	install -m 755 $(HOOKS) $(DESTDIR)$(LIBEXECDIR)
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(CMDS)))
	rm -f $(addprefix $(DESTDIR)$(LIBEXECDIR)/,$(notdir $(HOOKS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	-rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null

clean:
	rm -f $(LIB) libtry/*.o libtry/*.d cmd/*.o cmd/*.d hooks/*.o hooks/*.d \
		tests/unit/*.o tests/unit/*.d tests/unit/suites.h $(UNIT) \
		$(CMDS) $(HOOKS)
	rm -rf tests/e2e/trash tests/bench/work tests/fuzz/build

.PHONY: all check unit e2e bench demo deps install uninstall clean
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:

-include $(wildcard libtry/*.d cmd/*.d hooks/*.d tests/unit/*.d)
include tests/fuzz/fuzz.mk
