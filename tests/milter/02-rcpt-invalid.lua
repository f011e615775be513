-- what: an invalid number is refused at RCPT with 550 5.1.1 and the other recipients go on
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local conn = T.connect()
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<12@sms.example.com>") == SMFIR_REPLYCODE,
        "12@sms.example.com: expected a reply code")
T.check(T.rcpt(conn, "<bob@sms.example.com>") == SMFIR_REPLYCODE,
        "bob@sms.example.com: expected a reply code")
T.check(T.rcpt(conn, "<+33612345678@sms.example.com>") == SMFIR_CONTINUE,
        "a valid number after an invalid one: expected CONTINUE")
T.ok(mt.disconnect(conn), "disconnect")

local r = T.rcpt_replies("127.0.0.1", nil, "<alice@example.org>",
                         { "<12@sms.example.com>", "<bob@sms.example.com>",
                           "<0612345678@sms.example.com>" })
T.check(r[1] == "550 5.1.1 SMS not sent: 12: not a phone number " ..
        "(a national number starts with 0, or write +33...)",
        "12@: got %q", r[1])
T.check(r[2] == "550 5.1.1 SMS not sent: bob: not a phone number or alias",
        "bob@: got %q", r[2])
T.check(r[3] == "CONTINUE", "a national number: got %q", r[3])

local s = T.mock_stats()
T.check(s.requests == 0, "the stand-in saw %d requests, expected none", s.requests)
