# libFuzzer targets (tests/fuzz/fuzz_*.c): `make fuzz` builds them all into build-fuzz/;
# `make fuzz FUZZ_SECONDS=N` also runs each one N seconds (tests/fuzz/run), keeping the
# inputs it finds in build-fuzz/corpus/<target>/ and any finding in
# build-fuzz/findings/<target>/.
#
# The library sources are compiled again by clang with coverage and ASan/UBSan into their own
# tree: the gcc objects of build/ carry no fuzzer instrumentation. Not part of TESTPROGS:
# tests/fuzz/run builds them when clang is there. No -Werror here: a warning clang has and
# gcc has not must not stop the fuzzer.
FUZZ_BUILD   := build-fuzz
FUZZ_CC      := clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Werror=implicit-function-declaration $(FUZZ_SAN) \
                -Isrc $(PKG_CFLAGS) -DM2S_VERSION='"$(VERSION)"'
FUZZ_OBJ     := $(LIBSRC:src/%.c=$(FUZZ_BUILD)/%.o)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?=

.PHONY: fuzz fuzz-build
fuzz: fuzz-build
	$(if $(FUZZ_SECONDS),FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CORPUS=$(FUZZ_BUILD)/corpus \
		tests/fuzz/run)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

$(FUZZ_BUILD)/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libm2s.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_BUILD)/libm2s.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libm2s.a \
		$(LIBS)
