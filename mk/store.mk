# The state store's contract (tests/store/): bin/store_contract runs against the backend its
# argument names, so it is no bin/test_* (those run with no argument); tests/store/run gives
# it sqlite and Redis, tests/asan/run its sanitized build.
TESTPROGS += $(BIN)/store_contract
ASANPROGS += store_contract

$(BIN)/store_contract: tests/store/store_contract.c $(LIB) | $(BIN)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) -lcmocka
