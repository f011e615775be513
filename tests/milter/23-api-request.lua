-- what: OVH refusing the request itself (HTTP 400) gives 554 5.3.0, a permanent failure
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()
T.mock_fault('{"status":400}')
local conn = T.try_send("Refused request", "request-1")
T.expect_smtp(conn, "554", "5.3.0",
              string.format("SMS not sent: OVH job: Injected error (Server::Error, HTTP 400, query %s)",
                            tostring(T.mock_last_query())),
              "HTTP 400")
T.ok(mt.disconnect(conn), "disconnect")
