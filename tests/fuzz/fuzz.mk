# make fuzz: libFuzzer harnesses for every parser of outside input
# (docs/limits.md).  Built apart from the normal build, with clang, into
# tests/fuzz/build/; `make fuzz FUZZ_SECONDS=<n>` runs each harness for n
# seconds from its checked-in seeds (tests/fuzz/corpus/<name>/) and fails on
# any crash, leak or sanitizer report.  Needs clang and its libFuzzer
# runtime (tests/deps.sh fuzz installs them); never part of `make check`.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 10
FUZZ_SANITIZE ?= address,undefined
FUZZ_DIR = tests/fuzz/build
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -I. -include libtry/banned.h \
	$(PKG_CFLAGS) -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,$(FUZZ_SANITIZE) -fno-sanitize-recover=all \
	-MMD -MP
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(addprefix $(FUZZ_DIR)/,$(LIB_OBJ))
FUZZ_LIB = $(FUZZ_DIR)/libtry.a

$(FUZZ_DIR)/libtry/%.o: libtry/%.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -DTRY_LIBEXECDIR='"$(LIBEXECDIR)"' \
		-c -o $@ $<

$(FUZZ_DIR)/fuzz_%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	$(QUIET_AR)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/fuzz_%.o $(FUZZ_LIB)
	$(QUIET_LINK)$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SANITIZE) -o $@ $< \
		$(FUZZ_LIB) $(PKG_LIBS)

fuzz-build: $(FUZZERS)

fuzz:
	@$(SHELL_PATH) tests/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@$(SHELL_PATH) tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

-include $(wildcard $(FUZZ_DIR)/*.d $(FUZZ_DIR)/libtry/*.d)

.PHONY: fuzz fuzz-build
