# The stand-in OVH API (tests/ovhmock/): bin/ovhmock, used by the ovh, e2e, demo and bench runs.
OVHMOCK_PKGS   := libmicrohttpd gnutls json-c glib-2.0 libcurl
OVHMOCK_SRC    := $(wildcard tests/ovhmock/*.c)
OVHMOCK_CFLAGS := -std=gnu11 $(WARN) $(shell pkg-config --cflags $(OVHMOCK_PKGS) 2>/dev/null)
OVHMOCK_LIBS   := $(shell pkg-config --libs $(OVHMOCK_PKGS) 2>/dev/null) -lpthread

TESTPROGS += $(BIN)/ovhmock

$(BIN)/ovhmock: $(OVHMOCK_SRC) tests/ovhmock/mock.h | $(BIN)
	$(CC) $(CFLAGS) $(OVHMOCK_CFLAGS) $(LDFLAGS) -o $@ $(OVHMOCK_SRC) $(OVHMOCK_LIBS)
