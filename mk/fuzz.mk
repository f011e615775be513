# libFuzzer target over the parse path (tests/fuzz/): `make fuzz` builds build-fuzz/fuzz_parse.
#
# The library sources are compiled again by clang with coverage and ASan/UBSan into their own
# tree: the gcc objects of build/ carry no fuzzer instrumentation. Not part of TESTPROGS:
# tests/fuzz/run builds it when clang is there. No -Werror here: a warning clang has and gcc
# has not must not stop the fuzzer.
FUZZ_BUILD  := build-fuzz
FUZZ_CC     := clang
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra $(FUZZ_SAN) \
               -Isrc $(PKG_CFLAGS) -DM2S_VERSION='"$(VERSION)"'
FUZZ_OBJ    := $(LIBSRC:src/%.c=$(FUZZ_BUILD)/%.o)

.PHONY: fuzz
fuzz: $(FUZZ_BUILD)/fuzz_parse

$(FUZZ_BUILD)/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libm2s.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_parse: tests/fuzz/fuzz_parse.c $(FUZZ_BUILD)/libm2s.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libm2s.a $(LIBS)
