-- what: abort in the middle of a message sends nothing, and the next message on the connection is sent
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local conn = T.connect()
-- Aborted after the headers.
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<+33611111111@sms.example.com>") == SMFIR_CONTINUE, "rcpt")
T.ok(mt.data(conn), "data")
T.expect(conn, SMFIR_CONTINUE, "DATA")
for _, h in ipairs(T.headers("Aborted", "abort-1")) do
	T.ok(mt.header(conn, h[1], h[2]), "header")
end
T.ok(mt.eoh(conn), "eoh")
T.ok(mt.abort(conn), "abort")

-- Aborted after RCPT, before DATA.
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<+33622222222@sms.example.com>") == SMFIR_CONTINUE, "rcpt")
T.ok(mt.abort(conn), "abort")

-- Aborted in the body.
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<+33633333333@sms.example.com>") == SMFIR_CONTINUE, "rcpt")
T.ok(mt.data(conn), "data")
for _, h in ipairs(T.headers("Aborted in body", "abort-2")) do
	T.ok(mt.header(conn, h[1], h[2]), "header")
end
T.ok(mt.eoh(conn), "eoh")
T.ok(mt.bodystring(conn, "half a body"), "body")
T.ok(mt.abort(conn), "abort")

-- A new message: only its own recipient and text.
local eom = T.message(conn, { from = "<alice@example.org>",
                              rcpts = { "<+33612345678@sms.example.com>", "<bob@example.org>" },
                              subject = "After the abort", id = "abort-3" })
T.check(eom == SMFIR_CONTINUE, "end of message after aborts: %s", T.reply_name(eom))
local h = T.added_header(conn)
T.check(h and h:match("receivers=%+33612345678;"), "X-Mail2SMS: %q", tostring(h))
T.ok(mt.disconnect(conn), "disconnect")

local jobs = T.mock_jobs()
T.check(#jobs == 1, "expected one job, got %d", #jobs)
T.check(jobs[1].receivers == "+33612345678", "receivers: %s (aborted ones leaked in)",
        jobs[1].receivers)
T.check(jobs[1].message == "After the abort\\nBody text.", "text: %q", jobs[1].message)
