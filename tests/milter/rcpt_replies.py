#!/usr/bin/env python3
"""rcpt_replies.py: the milter's reply to each RCPT, text included.

miltertest tells a Lua script only that a recipient was answered with a reply code
(SMFIR_REPLYCODE), not which code nor which text; this speaks the milter protocol itself
for one envelope and prints one line per recipient: "CONTINUE", "REJECT", "TEMPFAIL",
"ACCEPT", "DISCARD", or the reply line as the milter sent it ("550 5.1.1 text"), with any
CR, LF or other control character shown as \\r, \\n, \\xNN so that the caller can see it.

With M2S_MESSAGE set (a Subject), the message follows: DATA, a few headers, a body, end
of message; then one line per request of end of message ("ADDHEADER name: value",
"DELRCPT <addr>", ...) and the final reply, each prefixed with "EOM ". M2S_CLIENT_HOST and
M2S_CLIENT_PORT change the connect information (default client.test, 12345).

usage: rcpt_replies.py PORT CLIENT_IP AUTH_USER|- SENDER RCPT...
"""
import hashlib
import os
import socket
import struct
import sys

# The "no reply" protocol options (libmilter's mfdef.h): a step the milter asked to get
# no reply for is answered by nothing, as an MTA honours it.
NR_CONN, NR_HDR, NR_EOH = 0x1000, 0x80, 0x40000
NAMES = {b"c": "CONTINUE", b"r": "REJECT", b"t": "TEMPFAIL", b"a": "ACCEPT", b"d": "DISCARD"}


def send(sock, cmd, data=b""):
    sock.sendall(struct.pack(">I", len(data) + 1) + cmd + data)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("the milter closed the connection")
        buf += chunk
    return buf


def recv(sock):
    (n,) = struct.unpack(">I", recv_exact(sock, 4))
    pkt = recv_exact(sock, n)
    return pkt[:1], pkt[1:]


def shown(data):
    out = []
    for b in data.rstrip(b"\0"):
        if b == 13:
            out.append("\\r")
        elif b == 10:
            out.append("\\n")
        elif b < 32 or b == 127:
            out.append("\\x%02x" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def reply(sock, none=False):
    if none:
        return "CONTINUE"
    cmd, data = recv(sock)
    if cmd == b"y":
        return shown(data)
    return NAMES.get(cmd, "UNEXPECTED %r" % cmd)


def message(sock, subject, pflags):
    send(sock, b"T")
    r = reply(sock)
    print("EOM DATA " + r)
    if r != "CONTINUE":
        return
    for name, value in (("From", "alice@example.org"), ("Subject", subject),
                        ("Message-ID", "<%s@milter.test>" % hashlib.sha1(subject.encode()).hexdigest()[:16])):
        send(sock, b"L", name.encode() + b"\0" + value.encode() + b"\0")
        r = reply(sock, pflags & NR_HDR)
        if r != "CONTINUE":
            print("EOM header " + r)
            return
    send(sock, b"N")
    reply(sock, pflags & NR_EOH)
    send(sock, b"B", b"Body.\r\n")
    reply(sock)
    send(sock, b"E")
    while True:
        cmd, data = recv(sock)
        if cmd == b"h":
            name, value = data.rstrip(b"\0").split(b"\0", 1)
            print("EOM ADDHEADER %s: %s" % (shown(name), shown(value)))
        elif cmd == b"-":
            print("EOM DELRCPT " + shown(data))
        elif cmd == b"p":
            continue
        elif cmd == b"y":
            print("EOM " + shown(data))
            return
        else:
            print("EOM " + NAMES.get(cmd, "UNEXPECTED %r" % cmd))
            return


def main(argv):
    if len(argv) < 6:
        sys.stderr.write(__doc__)
        return 2
    mport, ip, auth, sender, rcpts = int(argv[1]), argv[2], argv[3], argv[4], argv[5:]
    sock = socket.create_connection(("127.0.0.1", mport), timeout=20)
    # Protocol version 6, every action and every protocol option offered.
    send(sock, b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
    cmd, data = recv(sock)
    if cmd != b"O" or len(data) < 12:
        print("UNEXPECTED negotiation %r" % cmd)
        return 1
    (pflags,) = struct.unpack(">I", data[8:12])
    family = b"6" if ":" in ip else b"4"
    host = os.environ.get("M2S_CLIENT_HOST", "client.test").encode()
    port = int(os.environ.get("M2S_CLIENT_PORT", "12345"))
    send(sock, b"C", host + b"\0" + family + struct.pack(">H", port) + ip.encode() + b"\0")
    r = reply(sock, pflags & NR_CONN)
    if r != "CONTINUE":
        print("connect: " + r)
        return 1
    if auth != "-":
        send(sock, b"D", b"M" + b"{auth_authen}\0" + auth.encode() + b"\0")
    send(sock, b"M", sender.encode() + b"\0")
    r = reply(sock)
    if r != "CONTINUE":
        print("mail: " + r)
        return 1
    for rcpt in rcpts:
        send(sock, b"R", rcpt.encode("utf-8", "surrogateescape") + b"\0")
        print(reply(sock))
    subject = os.environ.get("M2S_MESSAGE")
    if subject is not None:
        message(sock, subject, pflags)
    send(sock, b"Q")
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
