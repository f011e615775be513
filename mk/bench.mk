# make bench: non-SMS and SMS throughput of Postfix with mail2sms-milter, against a no-op
# milter on the same Postfix, and TLS handshakes per job (tools/bench). Run as root.
.PHONY: bench
bench:
	@tools/bench
