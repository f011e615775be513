-- what: OVH endpoint with nothing listening gives 451 4.4.1 naming the failure
-- config: unreachable
dofile(TESTDIR .. "/lib.lua")

local conn = T.try_send("Nobody there", "closed-1")
local reason = T.failed_reason()
T.check(reason and reason:match("^OVH "), "no failure logged: %s", T.milter_log())
T.expect_smtp(conn, "451", "4.4.1", T.percent("SMS not sent: " .. reason), "OVH port closed")
T.ok(mt.disconnect(conn), "disconnect")
