-- what: an X-Mail2SMS header the client wrote is removed from SMS mail; only the milter's own is left
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

-- A sender forging "sent" for the filters downstream, in two spellings.
local conn = T.connect()
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<+33612345678@sms.example.com>") == SMFIR_CONTINUE, "rcpt sms")
T.check(T.rcpt(conn, "<bob@example.org>") == SMFIR_CONTINUE, "rcpt bob")
T.ok(mt.data(conn), "data")
T.expect(conn, SMFIR_CONTINUE, "DATA")
local headers = T.headers("Forged", "forged-1")
table.insert(headers, { "X-Mail2SMS", "sent; ids=999; receivers=+33600000000; credits=0" })
table.insert(headers, { "x-mail2sms", "sent; ids=998" })
local eom = T.content(conn, headers, "Body.\r\n")
T.check(eom == SMFIR_CONTINUE, "end of message: expected CONTINUE, got %s", T.reply_name(eom))
T.check(mt.eom_check(conn, MT_HDRDELETE, "X-Mail2SMS"), "the client's X-Mail2SMS was not removed")
local h = T.added_header(conn)
T.check(h ~= nil and h:match("^sent; ids=%d+; receivers=%+33612345678; credits=1$") ~= nil
        and not h:match("ids=99[89]"), "X-Mail2SMS: %q", tostring(h))
T.check(mt.eom_check(conn, MT_HDRADD, "X-Mail2SMS", h), "the milter's header is not added")
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 1, "expected one job, got %d", #T.mock_jobs())

-- Mail without such a header has nothing removed.
conn = T.try_send("Plain", "forged-2")
T.expect(conn, SMFIR_CONTINUE, "end of message")
T.check(not mt.eom_check(conn, MT_HDRDELETE), "a header was removed from a mail without a forged one")
T.ok(mt.disconnect(conn), "disconnect")
