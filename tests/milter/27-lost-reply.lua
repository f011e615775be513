-- what: a job sent whose reply was lost, and that OVH cannot be asked about, is never posted again
-- config: postonly
dofile(TESTDIR .. "/lib.lua")

-- The job is executed, its reply lost; the key may not look jobs up by tag.
T.mock_reset()
T.mock_fault('{"drop_after_execute":1}')
local conn = T.try_send("Lost reply", "lost-1")
local got = mt.getreply(conn)
T.check(got == SMFIR_REPLYCODE, "first attempt: expected a 451 reply, got %s", T.reply_name(got))
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 1, "first attempt: %d jobs recorded, expected 1", #T.mock_jobs())

-- The client retries: the milter must ask OVH first, cannot, and so must not post.
conn = T.try_send("Lost reply", "lost-1")
got = mt.getreply(conn)
T.check(got == SMFIR_REPLYCODE, "retry: expected a 4xx reply, got %s", T.reply_name(got))
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 1, "retry: %d jobs recorded, expected 1 (sent twice)", #T.mock_jobs())
