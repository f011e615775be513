-- what: a mail with neither Message-ID nor Date whose reply was lost is recognised on the client's retry (one SMS); the same alert after that one went out is a new SMS
dofile(TESTDIR .. "/lib.lua")

-- One attempt of the UPS alert under queue id QID; returns the end of message reply.
local function attempt(qid, from)
	local conn = T.connect()
	T.mail(conn, "<ups@example.org>")
	T.ok(mt.macro(conn, SMFIC_RCPT, "i", qid), "macro i")
	T.check(T.rcpt(conn, "<+33612345678@sms.example.com>") == SMFIR_CONTINUE, "rcpt %s", qid)
	T.ok(mt.data(conn), "data")
	T.expect(conn, SMFIR_CONTINUE, "DATA")
	local r = T.content(conn, { { "From", from or "ups@example.org" }, { "Subject", "On battery" } },
	                    "Power failure.\r\n")
	T.ok(mt.disconnect(conn), "disconnect")
	return r
end

T.mock_reset()
-- A first alert from another device opens the connection to OVH that the post will use.
T.check(attempt("4WARM1", "other@example.org") == SMFIR_DISCARD, "warm-up alert not sent")
-- The post is executed and its reply lost; asking OVH needs a new connection: refused.
T.mock_fault('{"drop_after_execute":1,"refuse":true}')
local r = attempt("4NOID1")
T.check(r == SMFIR_REPLYCODE, "first attempt: expected a 451, got %s", T.reply_name(r))
T.check(#T.mock_jobs() == 2, "after the lost reply: %d jobs, want 2", #T.mock_jobs())
T.mock_fault('{"refuse":false}')
-- The client's retry comes with a new queue id and nothing else to tell it by.
r = attempt("4NOID2")
T.check(r == SMFIR_DISCARD, "the retry: expected DISCARD (already sent), got %s", T.reply_name(r))
T.check(#T.mock_jobs() == 2, "the retry was posted again: %d jobs, want 2", #T.mock_jobs())
T.check(T.milter_log():match("already sent") ~= nil, "no 'already sent' in the log")
-- Once that alert went out, the same text again is the next alert.
r = attempt("4NOID3")
T.check(r == SMFIR_DISCARD, "the next alert: expected DISCARD (sent), got %s", T.reply_name(r))
T.check(#T.mock_jobs() == 3, "the next alert was taken for a retry: %d jobs, want 3",
        #T.mock_jobs())
