-- what: a message beyond max_message_size is read no further (SMFIR_SKIP) and its beginning is sent
-- config: small
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local conn = T.connect()
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<+33612345678@sms.example.com>") == SMFIR_CONTINUE, "rcpt")
T.check(T.rcpt(conn, "<bob@example.org>") == SMFIR_CONTINUE, "rcpt bob")
T.ok(mt.data(conn), "data")
for _, h in ipairs(T.headers("Big one", "big-1")) do
	T.ok(mt.header(conn, h[1], h[2]), "header")
end
T.ok(mt.eoh(conn), "eoh")
local line = string.rep("The log says the same thing again. ", 2) .. "\r\n"
local skipped = false
for _ = 1, 200 do
	T.ok(mt.bodystring(conn, line), "body")
	local r = mt.getreply(conn)
	if r == SMFIR_SKIP then
		skipped = true
		break
	end
	T.check(r == SMFIR_CONTINUE, "body chunk: %s", T.reply_name(r))
end
T.check(skipped, "the milter kept reading a body far beyond max_message_size")
T.ok(mt.eom(conn), "eom")
T.expect(conn, SMFIR_CONTINUE, "end of message")
local h = T.added_header(conn)
T.check(h and h:match("^sent; "), "X-Mail2SMS: %q", tostring(h))
T.ok(mt.disconnect(conn), "disconnect")
local jobs = T.mock_jobs()
T.check(#jobs == 1 and jobs[1].message:find("^Big one\\nThe log says"), "job: %q",
        jobs[1] and jobs[1].message or "none")
