-- what: a job OVH refused with 429 was not executed: its retry is sent without asking OVH first
-- config: postonly
dofile(TESTDIR .. "/lib.lua")

-- The key may post jobs but not look them up: asking first would block the retry.
T.mock_reset()
T.mock_fault('{"status":429,"count":1}')
local conn = T.try_send("Throttled", "throttled-1")
T.expect_smtp(conn, "451", "4.3.0",
              "SMS not sent: OVH job: Too many requests (Client::TooManyRequests, HTTP 429, query " ..
              tostring(T.mock_last_query()) .. ")", "HTTP 429")
T.ok(mt.disconnect(conn), "disconnect")
conn = T.try_send("Throttled", "throttled-1")
T.expect(conn, SMFIR_CONTINUE, "the retry is sent")
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 1, "expected 1 job, got %d", #T.mock_jobs())
