-- what: OVH 503, 500 and 429 give 451 4.3.0 with OVH's message
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local cases = {
	{ 503, "OVH job: The service is temporarily unavailable (Server::ServiceUnavailable, HTTP 503, query %s)" },
	{ 429, "OVH job: Too many requests (Client::TooManyRequests, HTTP 429, query %s)" },
	{ 500, "OVH job: Internal server error (INTERNAL_SERVER_ERROR, HTTP 500, query %s)" },
}
-- One connection, one message per case: a tempfail leaves the connection usable.
local conn = T.connect()
for i, c in ipairs(cases) do
	T.mock_fault(string.format('{"status":%d}', c[1]))
	T.message(conn, { from = "<alice@example.org>",
	                  rcpts = { "<+33612345678@sms.example.com>", "<bob@example.org>" },
	                  subject = "Server trouble " .. i, id = "server-" .. i })
	local text = "SMS not sent: " .. string.format(c[2], tostring(T.mock_last_query()))
	T.expect_smtp(conn, "451", "4.3.0", T.percent(text), "HTTP " .. c[1])
	T.mock_fault('{"status":0}')
end
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 0, "a job was recorded although OVH answered with an error")
