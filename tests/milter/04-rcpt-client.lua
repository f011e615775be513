-- what: a client outside [access] is refused at RCPT with 550 5.7.1 and causes no API request; an authenticated one sends
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

-- From outside, without SMTP AUTH: every SMS recipient refused, valid or not; the rest of
-- the mail goes on as non-SMS mail.
local conn = T.connect("192.0.2.1", "outside.example")
T.mail(conn, "<stranger@example.net>")
for _, to in ipairs({ "<+33612345678@sms.example.com>", "<0612345678@sms.example.com>",
                      "<oncall@sms.example.com>", "<12@sms.example.com>",
                      "<sms@example.com>", "<sms+33612345678@example.com>" }) do
	local r = T.rcpt(conn, to)
	T.check(r == SMFIR_REPLYCODE, "outside client, RCPT %s: expected a reply code, got %s",
	        to, T.reply_name(r))
end
T.check(T.rcpt(conn, "<bob@example.org>") == SMFIR_CONTINUE, "RCPT bob@example.org refused")
T.ok(mt.data(conn), "data")
T.expect(conn, SMFIR_ACCEPT, "DATA with only the non-SMS recipient left")
T.ok(mt.disconnect(conn), "disconnect")

local r = T.rcpt_replies("192.0.2.1", nil, "<stranger@example.net>",
                         { "<+33612345678@sms.example.com>", "<bob@example.org>" })
T.check(r[1] == "550 5.7.1 SMS not sent: this client may not send SMS (authenticate first)",
        "outside client: got %q", r[1])
T.check(r[2] == "CONTINUE", "outside client, non-SMS recipient: got %q", r[2])

-- An IPv6 client outside the networks is refused the same way.
r = T.rcpt_replies("2001:db8::1", nil, "<stranger@example.net>",
                   { "<+33612345678@sms.example.com>" })
T.check(r[1]:sub(1, 10) == "550 5.7.1 ", "outside IPv6 client: got %q", r[1])

-- IPv6 loopback is in the default networks.
r = T.rcpt_replies("::1", nil, "<alice@example.org>", { "<+33612345678@sms.example.com>" })
T.check(r[1] == "CONTINUE", "IPv6 loopback client: got %q", r[1])

local s = T.mock_stats()
T.check(s.requests == 0 and s.handshakes == 0,
        "a client outside [access] caused %d API requests (%d TLS handshakes)", s.requests,
        s.handshakes)

-- The same client authenticated (SMTP AUTH, {auth_authen} at MAIL) may send.
conn = T.connect("192.0.2.1", "outside.example")
local eom = T.message(conn, { from = "<stranger@example.net>", auth = "stranger",
                              rcpts = { "<+33612345678@sms.example.com>" },
                              subject = "Authenticated", id = "auth-1", qid = "AUTH1" })
T.expect(conn, SMFIR_DISCARD, "end of message of an authenticated client")
T.ok(mt.disconnect(conn), "disconnect")
local jobs = T.mock_jobs()
T.check(#jobs == 1 and jobs[1].receivers == "+33612345678",
        "authenticated client: expected one job to +33612345678, got %d", #jobs)
