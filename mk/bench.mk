# make bench: non-SMS and SMS throughput of Postfix with mail2sms-milter, against a no-op
# milter on the same Postfix, TLS handshakes and API requests per job, the delivery agent's
# start-up, SMS throughput with the sqlite and the redis store against none, Postfix's flow
# control with and without keep_sms_recipients, p90 per mail with several mails per SMTP
# connection, end to end against a curl script in a pipe(8) transport (the milter and the
# delivery agent), and the fault run of tests/fault/run at full size, N = 300 (tools/bench).
# Run as root.
.PHONY: bench
bench:
	@tools/bench
