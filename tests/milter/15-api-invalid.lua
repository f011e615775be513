-- what: every receiver refused by OVH gives 550 5.1.1 naming them
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()
local conn = T.try_send("Invalid at OVH", "invalid-1", "<+33699990000@sms.example.com>")
T.expect_smtp(conn, "550", "5.1.1", "SMS not sent: OVH refused every receiver (+33699990000)",
              "OVH refusing the only receiver")
T.check(not mt.eom_check(conn, MT_RCPTDELETE, "<+33699990000@sms.example.com>"),
        "the refused recipient was removed")
T.ok(mt.disconnect(conn), "disconnect")
