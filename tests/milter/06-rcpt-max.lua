-- what: more SMS receivers than max_recipients are refused at RCPT with 452 4.5.3
-- config: maxrcpt
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local r = T.rcpt_replies("127.0.0.1", nil, "<alice@example.org>",
                         { "<+33611111111@sms.example.com>", "<0611111111@sms.example.com>",
                           "<+33622222222@sms.example.com>", "<+33633333333@sms.example.com>",
                           "<bob@example.org>" })
T.check(r[1] == "CONTINUE", "first number: got %q", r[1])
T.check(r[2] == "CONTINUE", "the same number written nationally does not count: got %q", r[2])
T.check(r[3] == "CONTINUE", "second number: got %q", r[3])
T.check(r[4] == "452 4.5.3 SMS not sent: more than 2 SMS receivers", "third number: got %q",
        r[4])
T.check(r[5] == "CONTINUE", "a non-SMS recipient after the limit: got %q", r[5])

-- An alias counts for its numbers: oncall is two, so one more number is too many.
r = T.rcpt_replies("127.0.0.1", nil, "<alice@example.org>",
                   { "<oncall@sms.example.com>", "<+33633333333@sms.example.com>" })
T.check(r[1] == "CONTINUE", "alias of two numbers: got %q", r[1])
T.check(r[2]:sub(1, 10) == "452 4.5.3 ", "a number after a two-number alias: got %q", r[2])

-- A recipient that alone has more numbers than the limit would never pass: 550 5.5.3.
r = T.rcpt_replies("127.0.0.1", nil, "<alice@example.org>", { "<trio@sms.example.com>" })
T.check(r[1] == "550 5.5.3 SMS not sent: more than 2 SMS receivers", "a three-number alias: got %q",
        r[1])

-- Through to the end: the refused third receiver is not sent to.
T.mock_reset()
local conn = T.connect()
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<+33611111111@sms.example.com>") == SMFIR_CONTINUE, "rcpt 1")
T.check(T.rcpt(conn, "<+33622222222@sms.example.com>") == SMFIR_CONTINUE, "rcpt 2")
T.check(T.rcpt(conn, "<+33633333333@sms.example.com>") == SMFIR_REPLYCODE, "rcpt 3 not refused")
T.ok(mt.data(conn), "data")
T.expect(conn, SMFIR_CONTINUE, "DATA")
T.content(conn, T.headers("Two receivers", "max-1"), "Only two.\r\n")
T.expect(conn, SMFIR_DISCARD, "end of message")
T.ok(mt.disconnect(conn), "disconnect")
local jobs = T.mock_jobs()
T.check(#jobs == 1 and jobs[1].receivers == "+33611111111,+33622222222",
        "expected one job to the two accepted numbers, got %s",
        jobs[1] and jobs[1].receivers or "none")
