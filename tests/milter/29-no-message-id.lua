-- what: two alerts with the same text and neither Message-ID nor Date are two SMS
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()
for i, qid in ipairs({ "4NOID1", "4NOID2" }) do
	local conn = T.connect()
	T.mail(conn, "<ups@example.org>")
	T.ok(mt.macro(conn, SMFIC_RCPT, "i", qid), "macro i")
	T.check(T.rcpt(conn, "<+33612345678@sms.example.com>") == SMFIR_CONTINUE, "rcpt %d", i)
	T.ok(mt.data(conn), "data")
	T.expect(conn, SMFIR_CONTINUE, "DATA")
	local r = T.content(conn, { { "From", "ups@example.org" }, { "Subject", "On battery" } },
	                    "Power failure.\r\n")
	T.check(r == SMFIR_DISCARD, "alert %d: expected DISCARD (sent), got %s", i, T.reply_name(r))
	T.ok(mt.disconnect(conn), "disconnect")
end
T.check(#T.mock_jobs() == 2, "expected 2 jobs, got %d (the second alert was taken for a retry)",
        #T.mock_jobs())
