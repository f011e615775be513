-- what: several messages on one connection are each judged on their own recipients and sender
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local conn = T.connect()
-- 1: non-SMS, accepted at DATA.
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<bob@example.org>") == SMFIR_CONTINUE, "rcpt 1")
T.ok(mt.data(conn), "data 1")
T.expect(conn, SMFIR_ACCEPT, "DATA of message 1")

-- 2: SMS plus a person: sent, annotated.
local eom = T.message(conn, { from = "<alice@example.org>", qid = "Q2",
                              rcpts = { "<+33611111111@sms.example.com>", "<bob@example.org>" },
                              subject = "Second", id = "several-2" })
T.check(eom == SMFIR_CONTINUE, "message 2: %s", T.reply_name(eom))
T.check(T.added_header(conn):match("receivers=%+33611111111;"), "message 2 header")

-- 3: an invalid number only: refused at RCPT; DATA then has nothing to do.
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<12@sms.example.com>") == SMFIR_REPLYCODE, "rcpt 3")
T.check(T.rcpt(conn, "<carol@example.org>") == SMFIR_CONTINUE, "rcpt 3b")
T.ok(mt.data(conn), "data 3")
T.expect(conn, SMFIR_ACCEPT, "DATA of message 3")

-- 4: SMS only: sent, discarded.
eom = T.message(conn, { from = "<alice@example.org>", qid = "Q4",
                        rcpts = { "<+33622222222@sms.example.com>" },
                        subject = "Fourth", id = "several-4" })
T.check(eom == SMFIR_DISCARD, "message 4: %s", T.reply_name(eom))

-- 5: OVH refuses the receiver: 550, and the next message is unaffected.
T.message(conn, { from = "<alice@example.org>",
                  rcpts = { "<+33699990001@sms.example.com>" },
                  subject = "Fifth", id = "several-5" })
T.expect_smtp(conn, "550", "5.1.1", "SMS not sent: OVH refused every receiver (+33699990001)",
              "message 5")

-- 6: sent again.
eom = T.message(conn, { from = "<alice@example.org>",
                        rcpts = { "<+33633333333@sms.example.com>", "<bob@example.org>" },
                        subject = "Sixth", id = "several-6" })
T.check(eom == SMFIR_CONTINUE, "message 6: %s", T.reply_name(eom))
T.check(T.added_header(conn):match("receivers=%+33633333333;"), "message 6 header")
T.ok(mt.disconnect(conn), "disconnect")

local jobs = T.mock_jobs()
local got = {}
for _, j in ipairs(jobs) do
	got[#got + 1] = j.receivers .. "=" .. j.message
end
local want = "+33611111111=Second\\nBody text.;+33622222222=Fourth\\nBody text.;" ..
             "+33699990001=Fifth\\nBody text.;+33633333333=Sixth\\nBody text."
T.check(table.concat(got, ";") == want, "jobs: %s", table.concat(got, ";"))
local log = T.milter_log()
T.check(log:find("Q2: sent ids=", 1, true) and log:find("Q4: sent ids=", 1, true),
        "the log lines do not carry each message's queue id:\n%s", log)
