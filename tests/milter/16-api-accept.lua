-- what: on_api_error = accept lets the mail through with X-Mail2SMS: failed; reason="..."; removed=..., without its SMS recipients
-- config: accept
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()
T.mock_fault('{"status":503}')
local conn = T.try_send("Accepted anyway", "accept-1")
T.expect(conn, SMFIR_CONTINUE, "end of message with on_api_error = accept")
local h = T.added_header(conn)
local want = string.format('failed; reason="OVH job: The service is temporarily unavailable ' ..
                           '(Server::ServiceUnavailable, HTTP 503, query %s)"; ' ..
                           'removed=<+33612345678@sms.example.com>',
                           tostring(T.mock_last_query()))
T.check(h == want, "X-Mail2SMS: %q, expected %q", tostring(h), want)
-- Left in, Postfix would relay or bounce the SMS address on the SMS domain.
T.check(mt.eom_check(conn, MT_RCPTDELETE, "<+33612345678@sms.example.com>"),
        "the SMS recipient was left in the mail")
T.check(not mt.eom_check(conn, MT_RCPTDELETE, "<bob@example.org>"),
        "the other recipient was removed")
T.ok(mt.disconnect(conn), "disconnect")

-- Too many requests is API trouble too.
T.mock_fault('{"status":429}')
conn = T.try_send("Accepted throttled", "accept-2")
T.expect(conn, SMFIR_CONTINUE, "HTTP 429 with on_api_error = accept")
h = T.added_header(conn)
T.check(h and h:match('^failed; reason="OVH job: Too many requests .*HTTP 429.*"; removed=<%+33612345678@sms%.example%.com>$'),
        "X-Mail2SMS: %q", tostring(h))
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 0, "a job was recorded although OVH answered with errors")

-- A mail to SMS recipients only is left with no recipient: discarded, as on success, and
-- the log says the SMS was not sent.
T.mock_fault('{"status":503}')
conn = T.connect()
local eom = T.message(conn, { rcpts = { "<+33612345678@sms.example.com>" },
                              subject = "Only SMS", id = "accept-3" })
T.check(eom == SMFIR_DISCARD, "SMS-only mail with on_api_error = accept: got %s",
        T.reply_name(eom))
T.ok(mt.disconnect(conn), "disconnect")
T.check(T.milter_log():match("accepted without SMS") ~= nil,
        "no log line says the mail went on without its SMS")
