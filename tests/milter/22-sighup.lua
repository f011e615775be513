-- what: SIGHUP reloads the configuration like SIGUSR1 and the milter keeps running (libmilter alone would stop)
-- config: reload
dofile(TESTDIR .. "/lib.lua")

local original = T.read_file(CONF)

-- Sends SIGHUP COUNT times and waits for as many "reloaded" lines.
local function hup(count, what)
	local from = #T.milter_log()
	for _ = 1, count do
		T.check(T.sh("kill -HUP " .. MILTER_PID .. " && sleep 0.02 && echo sent") == "sent",
		        "kill -HUP")
	end
	T.check(T.wait_log("(SIGHUP)", from, 5),
	        "%s: no \"configuration reloaded ... (SIGHUP)\" in the log:\n%s", what,
	        T.milter_log():sub(from + 1))
	T.check(T.sh("kill -0 " .. MILTER_PID .. " && echo alive") == "alive",
	        "%s: the milter stopped", what)
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

local moved = original:gsub("domains = sms.example.com", "domains = txt.example.net")
T.check(moved ~= original, "the test configuration has no 'domains = sms.example.com'")
T.write_file(CONF, moved)
hup(1, "one SIGHUP")

-- New connections follow the new file.
local conn = T.connect()
T.check(data_reply(conn, "<+33612345678@txt.example.net>") == SMFIR_CONTINUE,
        "the new SMS domain is not one after SIGHUP")
T.check(data_reply(conn, "<+33612345678@sms.example.com>") == SMFIR_ACCEPT,
        "the old SMS domain is still one after SIGHUP")
T.ok(mt.disconnect(conn), "disconnect")

-- A burst: every SIGHUP is a reload, none stops the milter.
T.write_file(CONF, original)
hup(20, "twenty SIGHUPs")
conn = T.connect()
T.check(data_reply(conn, "<+33612345678@sms.example.com>") == SMFIR_CONTINUE,
        "the original file was not taken back after SIGHUP")
T.ok(mt.disconnect(conn), "disconnect")
