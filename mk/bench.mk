# make bench: non-SMS and SMS throughput of Postfix with mail2sms-milter, against a no-op
# milter on the same Postfix, TLS handshakes and API requests per job, SMS throughput with
# the sqlite and the redis store against none, and the fault run of tests/fault/run at full
# size, N = 300 (tools/bench). Run as root.
.PHONY: bench
bench:
	@tools/bench
