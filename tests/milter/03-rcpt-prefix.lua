-- what: a number outside allowed_prefixes is refused at RCPT with 550 5.7.1
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local conn = T.connect()
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<+79161234567@sms.example.com>") == SMFIR_REPLYCODE,
        "+7...: expected a reply code")
T.check(T.rcpt(conn, "<+32470123456@sms.example.com>") == SMFIR_CONTINUE,
        "+32... (allowed): expected CONTINUE")
T.ok(mt.disconnect(conn), "disconnect")

local r = T.rcpt_replies("127.0.0.1", nil, "<alice@example.org>",
                         { "<+79161234567@sms.example.com>", "<+33612345678@sms.example.com>" })
T.check(r[1] == "550 5.7.1 SMS not sent: destination +79161234567 not allowed",
        "+79161234567@: got %q", r[1])
T.check(r[2] == "CONTINUE", "+33612345678@: got %q", r[2])
T.check(T.mock_stats().requests == 0, "the stand-in saw a request")
