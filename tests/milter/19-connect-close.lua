-- what: connect and close with no message, and a raw TCP probe, leave the milter working
dofile(TESTDIR .. "/lib.lua")

T.mock_reset()

-- Negotiation only what is used: add headers, delete recipients; HELO and unknown
-- commands skipped.
local conn = mt.connect(SOCK, 40, 0.05)
T.check(conn ~= nil, "connect")
T.ok(mt.negotiate(conn, nil, nil, nil), "negotiate")
T.check(mt.test_action(conn, SMFIF_ADDHDRS), "SMFIF_ADDHDRS not requested")
T.check(mt.test_action(conn, SMFIF_DELRCPT), "SMFIF_DELRCPT not requested")
T.check(not mt.test_action(conn, SMFIF_CHGBODY), "SMFIF_CHGBODY requested")
T.check(not mt.test_action(conn, SMFIF_ADDRCPT), "SMFIF_ADDRCPT requested")
T.check(mt.test_option(conn, SMFIP_NOHELO), "HELO not skipped")
T.check(mt.test_option(conn, SMFIP_NOUNKNOWN), "unknown commands not skipped")
-- Closed right after negotiation: no connect information at all.
T.ok(mt.disconnect(conn), "disconnect")

-- Connect information, then close.
conn = T.connect()
T.ok(mt.disconnect(conn), "disconnect")

-- MAIL FROM, then close without a recipient.
conn = T.connect()
T.mail(conn, "<alice@example.org>")
T.ok(mt.disconnect(conn), "disconnect")

-- An SMS recipient accepted, then the connection drops (no QUIT).
conn = T.connect()
T.mail(conn, "<alice@example.org>")
T.check(T.rcpt(conn, "<+33612345678@sms.example.com>") == SMFIR_CONTINUE, "rcpt")
T.ok(mt.data(conn), "data")
T.ok(mt.disconnect(conn, false), "abrupt disconnect")

-- Raw TCP probes: connect and close, and connect, send garbage, close.
local probe = "import socket\n" ..
	"s = socket.create_connection(('127.0.0.1', " .. PORT .. ")); s.close()\n" ..
	"s = socket.create_connection(('127.0.0.1', " .. PORT .. ")); " ..
	"s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); s.close()\n" ..
	"s = socket.create_connection(('127.0.0.1', " .. PORT .. ")); " ..
	"s.sendall(b'\\x00\\x00\\x00\\x01'); s.close()\n"
local out = T.sh("python3 -c " .. T.quote(probe) .. " 2>&1 && echo probed")
T.check(out == "probed", "the TCP probe failed: %s", out)
mt.sleep(0.2)

T.check(T.mock_stats().requests == 0, "closing connections caused an API request")

-- Still working: a full message.
conn = T.connect()
local eom = T.message(conn, { from = "<alice@example.org>",
                              rcpts = { "<+33612345678@sms.example.com>", "<bob@example.org>" },
                              subject = "After the probes", id = "probe-1" })
T.check(eom == SMFIR_CONTINUE, "end of message after the probes: %s", T.reply_name(eom))
T.ok(mt.disconnect(conn), "disconnect")
T.check(#T.mock_jobs() == 1, "expected one job after the probes")
