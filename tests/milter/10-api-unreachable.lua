-- what: OVH unreachable (connections refused) gives 451 4.4.1; the retry after recovery is sent
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()
T.mock_fault('{"refuse":true}')

local conn = T.try_send("Unreachable", "unreach-1")
local reason = T.failed_reason()
T.check(reason and reason:match("^OVH "), "no failure logged: %s", T.milter_log())
T.expect_smtp(conn, "451", "4.4.1", T.percent("SMS not sent: " .. reason), "OVH refusing connections")
T.check(not mt.eom_check(conn, MT_RCPTDELETE, "<+33612345678@sms.example.com>"),
        "a recipient was removed although nothing was sent")
T.check(mt.getheader(conn, "X-Mail2SMS", 0) == nil, "a header was added to a refused mail")
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 0, "a job was recorded while refusing connections")

-- OVH is back: the client's retry (the same mail) is sent this time.
T.mock_fault('{"refuse":false}')
conn = T.try_send("Unreachable", "unreach-1")
T.expect(conn, SMFIR_CONTINUE, "the retry once OVH answers again")
T.check(T.added_header(conn) ~= nil, "the retry got no X-Mail2SMS header")
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 1, "the retry was not sent")
