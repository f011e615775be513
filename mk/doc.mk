# doc.mk: bin/doc_keys, which prints every configuration key the code accepts, one
# "section.key" a line; tests/doc/run compares that list with doc/mail2sms.conf.5 and
# conf/mail2sms.conf.

TESTPROGS += $(if $(wildcard src/cfg.c),$(BIN)/doc_keys)

$(BIN)/doc_keys: tests/doc/keys.c $(LIB) | $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) -lmilter
