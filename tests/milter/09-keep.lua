-- what: keep_sms_recipients = true annotates the mail and neither removes recipients nor discards
-- config: keep
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()
local conn = T.connect()
local eom = T.message(conn, { from = "<alice@example.org>",
                              rcpts = { "<+33612345678@sms.example.com>" },
                              subject = "Kept", id = "keep-1" })
T.check(eom == SMFIR_CONTINUE, "end of message: expected CONTINUE, got %s", T.reply_name(eom))
local h = T.added_header(conn)
T.check(h and h:match("^sent; ids=%d+; receivers=%+33612345678; credits=1$"),
        "X-Mail2SMS: %q", tostring(h))
T.check(not mt.eom_check(conn, MT_RCPTDELETE, "<+33612345678@sms.example.com>"),
        "the SMS recipient was removed")
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 1, "expected one job")
