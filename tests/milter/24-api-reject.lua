-- what: on_api_error = reject refuses OVH trouble with 554 5.3.0 (5xx) and 554 5.4.1 (unreachable)
-- config: apireject
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

-- Unreachable first: the milter has no connection to OVH open yet.
T.mock_fault('{"refuse":true}')
local conn = T.try_send("Rejected unreachable", "apireject-0")
local reason = T.failed_reason()
T.check(reason and reason:match("^OVH "), "no failure logged: %s", T.milter_log())
T.expect_smtp(conn, "554", "5.4.1", T.percent("SMS not sent: " .. reason),
              "OVH unreachable with on_api_error = reject")
T.ok(mt.disconnect(conn), "disconnect")
T.mock_fault('{"refuse":false}')

T.mock_fault('{"status":503}')
conn = T.try_send("Rejected 503", "apireject-1")
T.expect_smtp(conn, "554", "5.3.0",
              string.format("SMS not sent: OVH job: The service is temporarily unavailable " ..
                            "(Server::ServiceUnavailable, HTTP 503, query %s)",
                            tostring(T.mock_last_query())),
              "HTTP 503 with on_api_error = reject")
T.ok(mt.disconnect(conn), "disconnect")
T.mock_fault('{"status":0}')
