# mail2sms: build, test, install.  See README.md.
#
# Every src/*.c but the front ends' mains goes into one static library that the programs and
# the unit tests link; tests/unit/test_NAME.c becomes bin/test_NAME.  Extra targets live in
# mk/*.mk (packaging, demo, bench) so that each concern has its own file.

PREFIX   ?= /usr/local
DESTDIR  ?=
VERSION  := 0.1.0

CC       ?= cc
PKGS     := gmime-3.0 json-c libcurl openssl libxml-2.0 sqlite3 hiredis
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libmicrohttpd serves the milter's [metrics] listener (metrics_http.c); only the milter
# links it, the other programs never reach that file.
MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS   := $(shell pkg-config --libs libmicrohttpd 2>/dev/null)

HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) $(HARDEN) -Isrc $(PKG_CFLAGS) $(MHD_CFLAGS) -DM2S_VERSION='"$(VERSION)"'
override LDFLAGS += -pie -Wl,-z,relro,-z,now
LIBS     := $(PKG_LIBS) -lpthread

BUILD    ?= build
BIN      ?= bin

# Front-end mains are not part of the library.
MAINS    := src/mail2sms.c src/milter_main.c
LIBSRC   := $(filter-out $(MAINS),$(wildcard src/*.c))
LIBOBJ   := $(LIBSRC:src/%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libm2s.a

UNITSRC  := $(wildcard tests/unit/test_*.c)
UNITBIN  := $(UNITSRC:tests/unit/%.c=$(BIN)/%)

PROGS    := $(BIN)/mail2sms $(if $(wildcard src/milter_main.c),$(BIN)/mail2sms-milter)

.PHONY: all check deps unit testprogs asan asan-build clean install dist

# Programs the suites need besides the units (mk/*.mk add to it).
TESTPROGS :=
all: $(PROGS)

# Short lines unless V=1.
Q := $(if $(V),,@)

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIBOBJ)
	rm -f $@ && ar rcs $@ $^

$(BIN)/mail2sms: $(BUILD)/mail2sms.o $(LIB) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

# libsystemd for sd_notify(3), which milter_notify.c calls.
$(BIN)/mail2sms-milter: $(BUILD)/milter_main.o $(LIB) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) -lmilter -lsystemd $(MHD_LIBS)

$(BIN)/test_%: tests/unit/test_%.c $(LIB) | $(BIN)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) -lcmocka -lmilter

$(BUILD) $(BIN):
	mkdir -p $@

unit: $(UNITBIN)

# The whole suite: unit, corpus, fuzz, milter, e2e, docs.  tests/run prints "N passed, N failed".
check: deps
	$(MAKE) all unit testprogs
	tests/run

deps:
	@tools/deps

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer, in their own build tree
# (tests/asan/run does the same inside make check).
ASAN_MAKE := $(MAKE) BUILD=build-asan BIN=bin-asan HARDEN= \
	CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	LDFLAGS="-fsanitize=address,undefined"

# Test programs besides the units that tests/asan/run also runs sanitized (mk/*.mk add to it).
ASANPROGS :=
asan-build:
	$(ASAN_MAKE) unit $(ASANPROGS:%=bin-asan/%)

asan: deps
	tests/run asan

clean:
	rm -rf build build-asan build-fuzz bin bin-asan


-include mk/*.mk

testprogs: $(TESTPROGS)
