-- lib.lua: what the milter scripts share: connecting, sending a message step by step,
-- reading the stand-in OVH API's counters and jobs, and failing with a message that says
-- what was expected. Loaded with dofile(TESTDIR .. "/lib.lua"); tests/milter/run passes
-- SOCK, MOCK_CTL, MOCK_LOG, CONF, MILTER_PID, MILTER_LOG, TESTDIR and CLOSED_URL.

T = {}

-- miltertest exits 1 on a Lua error without printing it: say what failed first.
local lua_error = error
function error(msg, level)
	io.stderr:write(tostring(msg) .. "\n")
	lua_error(msg, (level or 1) + 1)
end

local reply_names = {
	[SMFIR_CONTINUE] = "CONTINUE", [SMFIR_ACCEPT] = "ACCEPT", [SMFIR_REJECT] = "REJECT",
	[SMFIR_TEMPFAIL] = "TEMPFAIL", [SMFIR_DISCARD] = "DISCARD",
	[SMFIR_REPLYCODE] = "REPLYCODE",
}

function T.fail(fmt, ...)
	error(string.format(fmt, ...), 2)
end

function T.check(cond, fmt, ...)
	if not cond then
		error(string.format(fmt, ...), 2)
	end
end

-- A miltertest call returns nil on success, else a string.
function T.ok(err, what)
	if err ~= nil then
		error(what .. ": " .. tostring(err), 2)
	end
end

function T.reply_name(r)
	return reply_names[r] or string.format("%q", string.char(r))
end

-- The last reply on CONN must be WANT (an SMFIR_* value).
function T.expect(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		error(string.format("%s: expected %s, got %s", what, T.reply_name(want),
		                    T.reply_name(got)), 2)
	end
end

-- The reply of end of message must be CODE XCODE TEXT exactly (as libmilter sends it:
-- '%' still doubled).
function T.expect_smtp(conn, code, xcode, text, what)
	local got = mt.getreply(conn)
	if got ~= SMFIR_REPLYCODE then
		error(string.format("%s: expected a %s %s reply, got %s", what, code, xcode,
		                    T.reply_name(got)), 2)
	end
	if not mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text) then
		error(string.format("%s: the reply is not %q", what,
		                    code .. " " .. xcode .. " " .. text), 2)
	end
end

-- A new connection from IP (default loopback) named HOST, connect information sent.
function T.connect(ip, host)
	local conn = mt.connect(SOCK, 40, 0.05)
	T.check(conn ~= nil, "cannot connect to the milter at %s", SOCK)
	T.ok(mt.conninfo(conn, host or "localhost", ip or "127.0.0.1"), "conninfo")
	T.expect(conn, SMFIR_CONTINUE, "connect")
	return conn
end

-- MAIL FROM, with the {auth_authen} macro when AUTH is given.
function T.mail(conn, from, auth)
	if auth then
		T.ok(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", auth), "macro {auth_authen}")
	end
	T.ok(mt.mailfrom(conn, from), "mailfrom")
	T.expect(conn, SMFIR_CONTINUE, "MAIL FROM " .. from)
end

-- RCPT TO, returning the milter's reply.
function T.rcpt(conn, to)
	T.ok(mt.rcptto(conn, to), "rcptto " .. to)
	return mt.getreply(conn)
end

-- Headers (a list of {name, value}), end of headers, body, end of message; the queue id
-- macro "i" is sent with the recipients' macros. Returns the reply of end of message.
function T.content(conn, headers, body, qid)
	for _, h in ipairs(headers) do
		T.ok(mt.header(conn, h[1], h[2]), "header " .. h[1])
		T.expect(conn, SMFIR_CONTINUE, "header " .. h[1])
	end
	T.ok(mt.eoh(conn), "eoh")
	T.expect(conn, SMFIR_CONTINUE, "end of headers")
	T.ok(mt.bodystring(conn, body), "body")
	T.expect(conn, SMFIR_CONTINUE, "body")
	T.ok(mt.eom(conn), "eom")
	return mt.getreply(conn)
end

-- The usual headers of a small mail with SUBJECT and a Message-ID made of ID.
function T.headers(subject, id)
	return {
		{ "From", "Monitoring <alice@example.org>" },
		{ "To", "on-call" },
		{ "Subject", subject },
		{ "Message-ID", "<" .. id .. "@milter.test>" },
		{ "Date", "Mon, 02 Mar 2026 10:00:00 +0000" },
	}
end

-- A whole message: MAIL FROM, the recipients (each must be accepted), DATA, content.
-- Returns the reply of end of message.
function T.message(conn, m)
	T.mail(conn, m.from or "<alice@example.org>", m.auth)
	if m.qid then
		T.ok(mt.macro(conn, SMFIC_RCPT, "i", m.qid), "macro i")
	end
	for _, to in ipairs(m.rcpts) do
		local r = T.rcpt(conn, to)
		T.check(r == SMFIR_CONTINUE, "RCPT TO %s: expected CONTINUE, got %s", to,
		        T.reply_name(r))
	end
	T.ok(mt.data(conn), "data")
	T.expect(conn, SMFIR_CONTINUE, "DATA")
	return T.content(conn, T.headers(m.subject, m.id), m.body or "Body text.\r\n")
end

-- Runs a shell command and returns its standard output without the final newline.
function T.sh(cmd)
	local f = assert(io.popen(cmd, "r"))
	local out = f:read("*a")
	f:close()
	return (out:gsub("\n$", ""))
end

local function quote(s)
	return "'" .. string.gsub(s, "'", "'\\''") .. "'"
end
T.quote = quote

-- The stand-in's control port.
function T.mock_fault(json)
	local out = T.sh("curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' " ..
	                 "--data-binary " .. quote(json) .. " " .. MOCK_CTL .. "/fault 2>&1")
	T.check(not out:find("curl:"), "mock fault %s: %s", json, out)
end

function T.mock_reset()
	T.sh("curl -sS -X POST " .. MOCK_CTL .. "/reset")
end

-- {handshakes=, connections_open=, requests=, jobs=}
function T.mock_stats()
	local s = T.sh("curl -sS " .. MOCK_CTL .. "/stats")
	local t = {}
	for k, v in s:gmatch('"([%w_]+)":(%d+)') do
		t[k] = tonumber(v)
	end
	T.check(t.requests ~= nil, "mock stats unreadable: %s", s)
	return t
end

-- The recorded jobs, one line each: "receivers<TAB>valid<TAB>message" (lists comma-joined).
function T.mock_jobs()
	local py = "import json,sys\n" ..
		"for j in json.load(sys.stdin):\n" ..
		"    print(','.join(j['receivers']), ','.join(j['valid']), " ..
		"j['message'].replace('\\n', '\\\\n'), sep='\\t')\n"
	local out = T.sh("curl -sS " .. MOCK_CTL .. "/jobs | python3 -c " .. quote(py))
	local jobs = {}
	for line in (out .. "\n"):gmatch("([^\n]*)\n") do
		if line ~= "" then
			local rcv, valid, msg = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
			T.check(rcv ~= nil, "mock jobs unreadable: %s", out)
			jobs[#jobs + 1] = { receivers = rcv, valid = valid, message = msg }
		end
	end
	return jobs
end

-- The queryId of the stand-in's last logged request (it appears in OVH error texts).
-- The query id of the stand-in's last job POST (the reply quoted to the client is the
-- POST's, even when a tag lookup followed it).
function T.mock_last_query()
	local last = T.sh("grep '\"method\":\"POST\",\"path\":\"[^\"]*/jobs\"' " ..
	                  quote(MOCK_LOG) .. " | tail -n 1")
	return last:match('"queryId":"([^"]*)"')
end

-- The milter's own log (its stderr), as one string.
function T.milter_log()
	local f = io.open(MILTER_LOG, "r")
	if not f then
		return ""
	end
	local s = f:read("*a")
	f:close()
	return s
end

-- Waits up to SECONDS for PATTERN (a plain string) to appear in the milter's log after
-- byte offset FROM.
function T.wait_log(pattern, from, seconds)
	local tries = math.floor((seconds or 5) / 0.05)
	for _ = 1, tries do
		local log = T.milter_log()
		if log:find(pattern, (from or 0) + 1, true) then
			return true
		end
		mt.sleep(0.05)
	end
	return false
end

function T.write_file(path, text)
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
end

function T.read_file(path)
	local f = assert(io.open(path, "r"))
	local s = f:read("*a")
	f:close()
	return s
end

-- The X-Mail2SMS header added at end of message, or nil.
function T.added_header(conn)
	return mt.getheader(conn, "X-Mail2SMS", 0)
end

-- The milter's reply to each of RCPTS (a list) for one envelope from SENDER by a client at
-- IP, authenticated as AUTH (or not, when nil), text included (see rcpt_replies.py).
-- ENV (optional) is put before the command: "M2S_MESSAGE='Subject' M2S_CLIENT_PORT=0";
-- the lines about end of message, "EOM " removed, are the second result.
function T.rcpt_replies(ip, auth, sender, rcpts, env)
	local args = { "python3", TESTDIR .. "/rcpt_replies.py", PORT, ip, auth or "-", sender }
	for _, r in ipairs(rcpts) do
		args[#args + 1] = r
	end
	for i, a in ipairs(args) do
		args[i] = quote(a)
	end
	local out = T.sh((env and env .. " " or "") .. table.concat(args, " ") .. " 2>&1")
	local lines, eom = {}, {}
	for line in (out .. "\n"):gmatch("([^\n]*)\n") do
		if line:sub(1, 4) == "EOM " then
			eom[#eom + 1] = line:sub(5)
		elseif line ~= "" then
			lines[#lines + 1] = line
		end
	end
	T.check(#lines == #rcpts, "rcpt_replies: expected %d lines, got: %s", #rcpts, out)
	return lines, eom
end

-- The reason of the milter's last "failed" log line (what OVH or the transport said).
function T.failed_reason()
	local reason
	for r in T.milter_log():gmatch("failed tag=[^ ]* receivers=[^ ]* reason=([^\n]*)") do
		reason = r
	end
	return reason
end

-- The text libmilter carries for a reply saying TEXT: '%' doubled.
function T.percent(text)
	return (text:gsub("%%", "%%%%"))
end

-- Sends a one-SMS-recipient message plus a non-SMS one on a new connection and returns
-- the connection after end of message.
function T.try_send(subject, id, rcpt)
	local conn = T.connect()
	T.message(conn, { from = "<alice@example.org>",
	                  rcpts = { rcpt or "<+33612345678@sms.example.com>", "<bob@example.org>" },
	                  subject = subject, id = id })
	return conn
end
