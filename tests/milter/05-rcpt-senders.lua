-- what: [access] senders refuses an envelope sender not listed with 550 5.7.1
-- config: senders
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local sms = "<+33612345678@sms.example.com>"
local function first(sender)
	return T.rcpt_replies("127.0.0.1", nil, sender, { sms, "<bob@example.org>" })
end

local r = first("<mallory@example.net>")
T.check(r[1] == "550 5.7.1 SMS not sent: sender not allowed to send SMS",
        "unlisted sender: got %q", r[1])
T.check(r[2] == "CONTINUE", "unlisted sender, non-SMS recipient: got %q", r[2])
r = first("<>")
T.check(r[1]:sub(1, 10) == "550 5.7.1 ", "null sender: got %q", r[1])
r = first("<alice@example.org.evil>")
T.check(r[1]:sub(1, 10) == "550 5.7.1 ", "look-alike domain: got %q", r[1])
r = first("<Alice@Example.ORG>")
T.check(r[1] == "CONTINUE", "listed sender in other case: got %q", r[1])
r = first("<ops@trusted.example>")
T.check(r[1] == "CONTINUE", "sender of a listed domain: got %q", r[1])
-- An authenticated client is still bound by the senders list.
r = T.rcpt_replies("192.0.2.1", "mallory", "<mallory@example.net>", { sms })
T.check(r[1]:sub(1, 10) == "550 5.7.1 ", "authenticated unlisted sender: got %q", r[1])

T.check(T.mock_stats().requests == 0, "a refused sender caused an API request")

-- The listed sender goes through miltertest too, to the end.
local conn = T.connect()
local eom = T.message(conn, { from = "<alice@example.org>", rcpts = { sms },
                              subject = "Listed sender", id = "senders-1" })
T.expect(conn, SMFIR_DISCARD, "end of message from a listed sender")
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 1, "a listed sender: expected one job")
