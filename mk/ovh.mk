# The client's load driver for tests/ovh/run: many jobs, many threads, one OvhClient.
TESTPROGS += $(BIN)/ovhload

$(BIN)/ovhload: tests/ovh/ovhload.c $(LIB) | $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
