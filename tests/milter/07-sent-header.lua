-- what: success adds X-Mail2SMS "sent; ids=...; receivers=...; credits=...", removes the SMS recipient, posts one job
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local conn = T.connect()
local eom = T.message(conn, { from = "<alice@example.org>", qid = "4Xk2p1",
                              rcpts = { "<+33612345678@sms.example.com>", "<bob@example.org>" },
                              subject = "Disk full on db1", id = "sent-1",
                              body = "Only 2% left on /var.\r\n" })
T.check(eom == SMFIR_CONTINUE, "end of message: expected CONTINUE, got %s", T.reply_name(eom))
local h = T.added_header(conn)
T.check(h ~= nil, "no X-Mail2SMS header added")
T.check(h:match("^sent; ids=%d+; receivers=%+33612345678; credits=1$") ~= nil,
        "X-Mail2SMS: %q", h)
T.check(mt.eom_check(conn, MT_HDRADD, "X-Mail2SMS", h), "the header is not an added one")
T.check(mt.eom_check(conn, MT_RCPTDELETE, "<+33612345678@sms.example.com>"),
        "the SMS recipient was not removed")
T.check(not mt.eom_check(conn, MT_RCPTDELETE, "<bob@example.org>"),
        "the non-SMS recipient was removed")
T.ok(mt.disconnect(conn), "disconnect")

local jobs = T.mock_jobs()
T.check(#jobs == 1, "expected exactly one job, got %d", #jobs)
T.check(jobs[1].receivers == "+33612345678", "job receivers: %s", jobs[1].receivers)
T.check(jobs[1].message == "Disk full on db1\\nOnly 2% left on /var.",
        "job text: %q", jobs[1].message)
local ids = h:match("ids=(%d+)")

-- The log line: queue id, ids, masked number, no text of the SMS.
local log = T.milter_log()
T.check(log:find("4Xk2p1: sent ids=" .. ids .. " receivers=+3361234xxxx", 1, true),
        "no log line for the job with the queue id and a masked number:\n%s", log)
T.check(not log:find("+33612345678", 1, true), "the log shows the full number")
T.check(not log:find("Disk full", 1, true), "the log shows the text of the SMS")

-- The same mail again (a client retrying after a lost reply) is not sent twice.
conn = T.connect()
eom = T.message(conn, { from = "<alice@example.org>",
                        rcpts = { "<+33612345678@sms.example.com>", "<bob@example.org>" },
                        subject = "Disk full on db1", id = "sent-1",
                        body = "Only 2% left on /var.\r\n" })
T.check(eom == SMFIR_CONTINUE, "retried mail: expected CONTINUE, got %s", T.reply_name(eom))
h = T.added_header(conn)
T.check(h ~= nil and h:find("ids=" .. ids .. ";", 1, true),
        "retried mail: header %q does not name the first job's ids", tostring(h))
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 1, "the retried mail was sent a second time")
