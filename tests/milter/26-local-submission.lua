-- what: local submissions (non_smtpd_milters) are never refused at RCPT; refusals come at end of message
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

-- Postfix hands local sendmail mail over as from "localhost" [127.0.0.1], port 0.
local here = "M2S_CLIENT_HOST=localhost M2S_CLIENT_PORT=0"

local r, eom = T.rcpt_replies("127.0.0.1", nil, "<root@example.org>",
                              { "<12@sms.example.com>", "<+79161234567@sms.example.com>",
                                "<bob@example.org>" },
                              here .. " M2S_MESSAGE='Local invalid'")
for i, line in ipairs(r) do
	T.check(line == "CONTINUE", "local submission, RCPT %d refused: %q", i, line)
end
T.check(eom[1] == "DATA CONTINUE", "DATA: %q", tostring(eom[1]))
T.check(eom[#eom] == "550 5.1.1 SMS not sent: <12@sms.example.com>: 12: not a phone number " ..
                     "(a national number starts with 0, or write +33...) (and others)",
        "end of message: %q", tostring(eom[#eom]))
T.check(T.mock_stats().requests == 0, "a refused local submission caused an API request")

-- A valid number: sent at end of message like any other.
r, eom = T.rcpt_replies("127.0.0.1", nil, "<root@example.org>",
                        { "<+33612345678@sms.example.com>", "<bob@example.org>" },
                        here .. " M2S_MESSAGE='Local valid'")
local all = table.concat(eom, "\n")
T.check(all:find("ADDHEADER X-Mail2SMS: sent; ids=", 1, true) and
        all:find("DELRCPT <+33612345678@sms.example.com>", 1, true) and
        eom[#eom] == "CONTINUE", "local submission, valid number:\n%s", all)
T.check(#T.mock_jobs() == 1, "local submission: expected one job")

-- The same envelope from a real SMTP client on loopback is refused at RCPT.
r = T.rcpt_replies("127.0.0.1", nil, "<root@example.org>", { "<12@sms.example.com>" },
                   "M2S_CLIENT_HOST=localhost")
T.check(r[1]:sub(1, 10) == "550 5.1.1 ", "SMTP client on loopback: %q", r[1])
