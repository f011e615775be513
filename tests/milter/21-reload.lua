-- what: SIGUSR1 reloads the configuration for new messages; a bad file is refused and the old one kept
-- config: reload
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

local original = T.read_file(CONF)
local function reload(text, expect)
	local from = #T.milter_log()
	if text then
		T.write_file(CONF, text)
	end
	T.check(T.sh("kill -USR1 " .. MILTER_PID .. " && echo sent") == "sent", "kill -USR1")
	T.check(T.wait_log(expect, from, 5), "no %q in the log after SIGUSR1:\n%s", expect,
	        T.milter_log():sub(from + 1))
end
local function data_reply(conn, to)
	T.mail(conn, "<alice@example.org>")
	local r = T.rcpt(conn, to)
	T.check(r == SMFIR_CONTINUE, "RCPT %s: %s", to, T.reply_name(r))
	T.ok(mt.data(conn), "data")
	local d = mt.getreply(conn)
	T.ok(mt.abort(conn), "abort")
	return d
end

-- A message begun before the reload keeps the configuration it started with.
local early = T.connect()
T.mail(early, "<alice@example.org>")

local moved = original:gsub("domains = sms.example.com", "domains = txt.example.net")
T.check(moved ~= original, "the test configuration has no 'domains = sms.example.com'")
reload(moved, "configuration reloaded")

T.check(T.rcpt(early, "<+33612345678@sms.example.com>") == SMFIR_CONTINUE, "early rcpt")
T.ok(mt.data(early), "data")
T.expect(early, SMFIR_CONTINUE, "DATA of a message begun before the reload (old domain)")
T.ok(mt.abort(early), "abort")
T.ok(mt.disconnect(early), "disconnect")

-- New connections follow the new file.
local conn = T.connect()
T.check(data_reply(conn, "<+33612345678@sms.example.com>") == SMFIR_ACCEPT,
        "the old SMS domain is still an SMS domain after the reload")
T.check(data_reply(conn, "<+33612345678@txt.example.net>") == SMFIR_CONTINUE,
        "the new SMS domain is not one after the reload")
local eom = T.message(conn, { from = "<alice@example.org>",
                              rcpts = { "<+33612345678@txt.example.net>", "<bob@example.org>" },
                              subject = "New domain", id = "reload-1" })
T.check(eom == SMFIR_CONTINUE, "end of message to the new domain: %s", T.reply_name(eom))
T.ok(mt.disconnect(conn), "disconnect")
local jobs = T.mock_jobs()
T.check(#jobs == 1 and jobs[1].receivers == "+33612345678", "the new domain's mail not sent")

-- A broken file: refused, logged, the running configuration kept.
reload("[addresses\ndomains = nowhere.example\n", "reload refused")
conn = T.connect()
T.check(data_reply(conn, "<+33612345678@txt.example.net>") == SMFIR_CONTINUE,
        "a broken file replaced the running configuration")
T.ok(mt.disconnect(conn), "disconnect")

-- A good file whose secrets "other" may read: refused too.
T.write_file(CONF, original)
T.check(T.sh("chmod 644 " .. T.quote(CONF) .. " && echo done") == "done", "chmod")
reload(nil, "reload refused")
conn = T.connect()
T.check(data_reply(conn, "<+33612345678@txt.example.net>") == SMFIR_CONTINUE,
        "a world-readable file with secrets was loaded")
T.ok(mt.disconnect(conn), "disconnect")

-- Fixed: the next SIGUSR1 takes it.
T.check(T.sh("chmod 600 " .. T.quote(CONF) .. " && echo done") == "done", "chmod")
reload(nil, "configuration reloaded")
conn = T.connect()
T.check(data_reply(conn, "<+33612345678@sms.example.com>") == SMFIR_CONTINUE,
        "the original file was not taken back")
T.check(data_reply(conn, "<+33612345678@txt.example.net>") == SMFIR_ACCEPT,
        "the replaced domain is still an SMS domain")
T.ok(mt.disconnect(conn), "disconnect")
