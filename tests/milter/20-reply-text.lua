-- what: reply texts are one line with '%' doubled, whatever the address or Subject holds
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

-- RCPT: hostile local parts are echoed without a line break and with '%' doubled.
local r = T.rcpt_replies("127.0.0.1", nil, "<alice@example.org>",
                         { "<12%s%n@sms.example.com>",
                           "<\"+336\r\n250 2.0.0 ok\"@sms.example.com>",
                           "<bob%\r\nX-Injected: yes@sms.example.com>" })
for i, line in ipairs(r) do
	T.check(line:match("^5%d%d 5%.%d%.%d "), "address %d: not a 5xx reply: %q", i, line)
	T.check(not line:find("\\r", 1, true) and not line:find("\\n", 1, true),
	        "address %d: the reply holds CR or LF: %q", i, line)
	T.check(not line:find("\\x", 1, true), "address %d: a control character: %q", i, line)
	-- Every '%' comes in pairs.
	T.check(not line:gsub("%%%%", ""):find("%", 1, true),
	        "address %d: a single '%%' in %q", i, line)
end
T.check(r[1] == "550 5.1.1 SMS not sent: 12%%s%%n: not a phone number", "address 1: %q", r[1])

-- End of message: numbers read from the Subject (subject_addresses), a hostile one.
local conn = T.connect()
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<sms@example.com>") == SMFIR_CONTINUE, "rcpt sms@example.com")
T.ok(mt.data(conn), "data")
T.expect(conn, SMFIR_CONTINUE, "DATA")
local eom = T.content(conn, {
	{ "From", "alice@example.org" },
	{ "Subject", "=?utf-8?q?100=25=0D=0A550_5.0.0_injected?=" },
	{ "Message-ID", "<text-1@milter.test>" },
}, "Body.\r\n")
T.expect_smtp(conn, "550", "5.1.1",
              "SMS not sent: <sms@example.com>: 100%%: not a phone number",
              "a Subject with '%' and CR LF")
T.ok(mt.disconnect(conn), "disconnect")
T.check(T.mock_stats().requests == 0, "a refused Subject caused an API request")
