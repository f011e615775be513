-- what: mail whose only recipients are SMS recipients is discarded after sending (SMFIR_DISCARD)
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local conn = T.connect()
local eom = T.message(conn, { from = "<alice@example.org>",
                              rcpts = { "<+33612345678@sms.example.com>",
                                        "<oncall@sms.example.com>" },
                              subject = "Backup failed", id = "discard-1",
                              body = "See the logs.\r\n" })
T.check(eom == SMFIR_DISCARD, "end of message: expected DISCARD, got %s", T.reply_name(eom))
T.ok(mt.disconnect(conn), "disconnect")

local jobs = T.mock_jobs()
T.check(#jobs == 1, "expected one job, got %d", #jobs)
T.check(jobs[1].receivers == "+33612345678,+33611111111,+33622222222",
        "receivers: %s", jobs[1].receivers)
T.check(jobs[1].message == "Backup failed\\nSee the logs.", "text: %q", jobs[1].message)
