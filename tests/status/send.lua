-- send.lua: one mail to an SMS address (and bob@example.org) through the milter, for
-- tests/status/run: SOCK is the milter's socket, QID the queue id, RCPT the SMS recipient. Fails unless the milter
-- answers at end of message with an X-Mail2SMS "sent" header; prints its ids on stderr.
local conn = mt.connect(SOCK, 40, 0.05)
assert(conn, "cannot connect to the milter at " .. SOCK)
assert(mt.conninfo(conn, "localhost", "127.0.0.1") == nil, "conninfo")
assert(mt.mailfrom(conn, "<alice@example.org>") == nil, "mailfrom")
assert(mt.macro(conn, SMFIC_RCPT, "i", QID) == nil, "macro i")
-- A second, ordinary recipient keeps the mail (and the header added to it).
for _, to in ipairs({ "<" .. RCPT .. ">", "<bob@example.org>" }) do
	assert(mt.rcptto(conn, to) == nil, "rcptto " .. to)
	assert(mt.getreply(conn) == SMFIR_CONTINUE, "RCPT TO " .. to .. " refused")
end
assert(mt.data(conn) == nil, "data")
for _, h in ipairs({ { "From", "alice@example.org" }, { "Subject", "Status through the milter" },
                     { "Message-ID", "<" .. QID .. "@status.test>" } }) do
	assert(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1])
end
assert(mt.eoh(conn) == nil, "eoh")
assert(mt.bodystring(conn, "Sent by the milter.\r\n") == nil, "body")
assert(mt.eom(conn) == nil, "eom")
local header = mt.getheader(conn, "X-Mail2SMS", 0)
if header == nil or not header:match("^sent; ids=") then
	io.stderr:write("no X-Mail2SMS sent header: " .. tostring(header) .. "\n")
	os.exit(1)
end
io.stderr:write(header .. "\n")
mt.disconnect(conn)
