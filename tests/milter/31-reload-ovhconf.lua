-- what: in the background, a reload (SIGUSR1) still reads ./ovh.conf from the directory the milter started in
-- config: ovhconf
-- start: background
dofile(TESTDIR .. "/lib.lua")

-- The credentials are only in ovh.conf of the start-up directory (tests/milter/run); the
-- daemon has since moved to /, where a reload must not look for it.
T.mock_reset()

local function send(to, id)
	local conn = T.connect()
	local eom = T.message(conn, { from = "<alice@example.org>", rcpts = { to, "<bob@example.org>" },
	                              subject = "Reload " .. id, id = id })
	T.ok(mt.disconnect(conn), "disconnect")
	return eom
end

-- DATA's reply for one SMS-looking recipient: CONTINUE when its domain is an SMS domain.
local function data_reply(to)
	local conn = T.connect()
	T.mail(conn, "<alice@example.org>")
	local r = T.rcpt(conn, to)
	T.check(r == SMFIR_CONTINUE, "RCPT %s: %s", to, T.reply_name(r))
	T.ok(mt.data(conn), "data")
	local d = mt.getreply(conn)
	T.ok(mt.abort(conn), "abort")
	T.ok(mt.disconnect(conn), "disconnect")
	return d
end

local eom = send("<+33612345678@sms.example.com>", "ovhconf-1")
T.check(eom == SMFIR_CONTINUE, "before the reload: end of message %s (credentials from ./ovh.conf)",
        T.reply_name(eom))
T.check(#T.mock_jobs() == 1, "before the reload: no job posted")

-- A new SMS domain shows when the reload has happened.
local original = T.read_file(CONF)
local moved = original:gsub("domains = sms.example.com", "domains = txt.example.net")
T.check(moved ~= original, "the test configuration has no 'domains = sms.example.com'")
T.write_file(CONF, moved)
T.check(T.sh("kill -USR1 " .. MILTER_PID .. " && echo sent") == "sent", "kill -USR1")
local reloaded = false
for _ = 1, 100 do
	if data_reply("<+33612345678@txt.example.net>") == SMFIR_CONTINUE then
		reloaded = true
		break
	end
	mt.sleep(0.05)
end
T.check(reloaded, "the configuration was not reloaded within 5 s of SIGUSR1")

eom = send("<+33612345678@txt.example.net>", "ovhconf-2")
T.check(eom == SMFIR_CONTINUE,
        "after the reload: end of message %s (the credentials of ./ovh.conf were lost)",
        T.reply_name(eom))
T.check(#T.mock_jobs() == 2, "after the reload: no job posted")
