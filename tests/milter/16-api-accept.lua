-- what: on_api_error = accept lets the mail through with X-Mail2SMS: failed; reason="..."
-- config: accept
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()
T.mock_fault('{"status":503}')
local conn = T.try_send("Accepted anyway", "accept-1")
T.expect(conn, SMFIR_CONTINUE, "end of message with on_api_error = accept")
local h = T.added_header(conn)
local want = string.format('failed; reason="OVH job: The service is temporarily unavailable ' ..
                           '(Server::ServiceUnavailable, HTTP 503, query %s)"',
                           tostring(T.mock_last_query()))
T.check(h == want, "X-Mail2SMS: %q, expected %q", tostring(h), want)
T.check(not mt.eom_check(conn, MT_RCPTDELETE, "<+33612345678@sms.example.com>"),
        "the SMS recipient was removed although nothing was sent")
T.ok(mt.disconnect(conn), "disconnect")

-- Too many requests is API trouble too.
T.mock_fault('{"status":429}')
conn = T.try_send("Accepted throttled", "accept-2")
T.expect(conn, SMFIR_CONTINUE, "HTTP 429 with on_api_error = accept")
h = T.added_header(conn)
T.check(h and h:match('^failed; reason="OVH job: Too many requests .*HTTP 429.*"$'),
        "X-Mail2SMS: %q", tostring(h))
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 0, "a job was recorded although OVH answered with errors")
