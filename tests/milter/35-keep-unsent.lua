-- what: keep_sms_recipients keeps only the recipients an SMS went to: OVH's refusal (on_api_error = accept) and numbers OVH refused take theirs out, as the SMS domain's discard(8) transport would log them sent
-- config: keepaccept
dofile(TESTDIR .. "/lib.lua")

-- OVH down, on_api_error = accept: the mail goes on to bob without its SMS recipient.
T.mock_reset()
T.mock_fault('{"status":503}')
local conn = T.try_send("Kept but not sent", "keepunsent-1")
T.expect(conn, SMFIR_CONTINUE, "end of message with on_api_error = accept")
local h = T.added_header(conn)
T.check(h and h:match('^failed; reason=".*HTTP 503.*"; removed=<%+33612345678@sms%.example%.com>$'),
        "X-Mail2SMS: %q", tostring(h))
T.check(mt.eom_check(conn, MT_RCPTDELETE, "<+33612345678@sms.example.com>"),
        "the SMS recipient whose SMS did not go was left in the mail")
T.check(not mt.eom_check(conn, MT_RCPTDELETE, "<bob@example.org>"),
        "the other recipient was removed")
T.ok(mt.disconnect(conn), "disconnect")

-- SMS recipients only, none sent: nothing is left to deliver.
conn = T.connect()
local eom = T.message(conn, { rcpts = { "<+33612345678@sms.example.com>" },
                              subject = "Only SMS", id = "keepunsent-2" })
T.check(eom == SMFIR_DISCARD, "SMS-only mail, not sent, with keep: got %s", T.reply_name(eom))
T.ok(mt.disconnect(conn), "disconnect")

-- One job, one number OVH refuses and one it takes: the refused one's recipient leaves
-- the mail, the other stays.
T.mock_fault('{"status":0}')
T.mock_reset()
conn = T.connect()
eom = T.message(conn, { rcpts = { "<+33612345678@sms.example.com>",
                                  "<+33699990000@sms.example.com>" },
                        subject = "One of two", id = "keepunsent-3" })
T.check(eom == SMFIR_CONTINUE, "one of two receivers refused: got %s", T.reply_name(eom))
h = T.added_header(conn)
T.check(h and h:match("^sent; ids=%d+; receivers=%+33612345678; invalid=%+33699990000; credits=1$"),
        "X-Mail2SMS: %q", tostring(h))
T.check(mt.eom_check(conn, MT_RCPTDELETE, "<+33699990000@sms.example.com>"),
        "the recipient OVH refused was left in the mail")
T.check(not mt.eom_check(conn, MT_RCPTDELETE, "<+33612345678@sms.example.com>"),
        "the recipient the SMS went to was removed")
T.ok(mt.disconnect(conn), "disconnect")
