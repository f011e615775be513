-- what: mail with no SMS recipient is accepted at DATA (SMFIR_ACCEPT) and makes no API request
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

-- Ordinary recipients, a number outside the SMS domains, and postmaster of the SMS domain.
local conn = T.connect()
T.mail(conn, "<alice@example.org>")
for _, to in ipairs({ "<bob@example.org>", "<+33612345678@example.org>",
                      "<postmaster@sms.example.com>" }) do
	local r = T.rcpt(conn, to)
	T.check(r == SMFIR_CONTINUE, "RCPT %s: expected CONTINUE, got %s", to, T.reply_name(r))
end
T.ok(mt.data(conn), "data")
T.expect(conn, SMFIR_ACCEPT, "DATA of a mail with no SMS recipient")

-- The next message on the same connection is judged afresh: still nothing to do.
T.mail(conn, "<carol@example.org>")
T.check(T.rcpt(conn, "<dave@example.net>") == SMFIR_CONTINUE, "RCPT dave: not CONTINUE")
T.ok(mt.data(conn), "data")
T.expect(conn, SMFIR_ACCEPT, "DATA of the second message")
T.ok(mt.disconnect(conn), "disconnect")

-- A client that may not send SMS still passes ordinary mail untouched.
conn = T.connect("192.0.2.1", "outside.example")
T.mail(conn, "<stranger@example.net>")
T.check(T.rcpt(conn, "<bob@example.org>") == SMFIR_CONTINUE, "outside client: RCPT refused")
T.ok(mt.data(conn), "data")
T.expect(conn, SMFIR_ACCEPT, "DATA from an outside client with no SMS recipient")
T.ok(mt.disconnect(conn), "disconnect")

local s = T.mock_stats()
T.check(s.requests == 0 and s.handshakes == 0,
        "the stand-in saw %d requests and %d TLS handshakes, expected none", s.requests,
        s.handshakes)
