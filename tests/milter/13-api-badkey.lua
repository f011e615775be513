-- what: a bad consumer key gives 451 4.3.5 (on_config_error = tempfail)
-- config: badkey
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()
local conn = T.try_send("Bad key", "badkey-1")
local reason = T.failed_reason()
T.check(reason and reason:match("^OVH "), "no failure logged: %s", T.milter_log())
T.check(not reason:find("not-a-consumer-key", 1, true), "the reply shows the consumer key")
T.expect_smtp(conn, "451", "4.3.5", T.percent("SMS not sent: " .. reason), "bad consumer key")
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 0, "a job was recorded with a bad consumer key")
