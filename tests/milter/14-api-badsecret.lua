-- what: a bad application secret with on_config_error = reject gives 554 5.3.5
-- config: badsecret
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()
local conn = T.try_send("Bad secret", "badsecret-1")
local reason = T.failed_reason()
T.check(reason and reason:match("^OVH "), "no failure logged: %s", T.milter_log())
T.check(not reason:find("wrong-secret", 1, true), "the reply shows the secret")
T.expect_smtp(conn, "554", "5.3.5", T.percent("SMS not sent: " .. reason), "bad secret")
T.ok(mt.disconnect(conn), "disconnect")
