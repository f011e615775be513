#!/usr/bin/env python3
"""Sends one mail over SMTP and prints every reply as one JSON object.

    smtpsend.py [--host H] --port P --from ADDR --to ADDR [--to ADDR...] [--file MAIL]
                [--rcpt-option OPT...]

The mail is read from --file or stdin (LF or CRLF). OPT is an ESMTP RCPT parameter given
to every recipient (NOTIFY=NEVER); a --to value "ADDR OPT..." gives that recipient its own
instead. --from "" is the null sender. The output is
{"mail": "250 2.1.0 Ok", "rcpt": {"ADDR": "250 2.1.5 Ok", ...}, "data": "250 2.0.0 Ok: queued as X"}
with "data" null when no recipient was accepted. swaks cannot take an address that starts
with "+" (it reads it as one of its options), hence this sender. Exit status 0 once the
dialogue took place, whatever the replies; 1 when the server cannot be reached.
"""
import argparse
import json
import smtplib
import sys


def reply(code, msg):
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return "%d %s" % (code, " ".join(text.split("\n")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--from", dest="sender", required=True)
    ap.add_argument("--to", action="append", required=True)
    ap.add_argument("--file")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--rcpt-option", action="append", default=[])
    a = ap.parse_args()
    raw = open(a.file, "rb").read() if a.file else sys.stdin.buffer.read()
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    out = {"mail": None, "rcpt": {}, "data": None}
    try:
        s = smtplib.SMTP(a.host, a.port, timeout=a.timeout)
    except OSError as e:
        print("smtpsend: %s:%d: %s" % (a.host, a.port, e), file=sys.stderr)
        return 1
    try:
        s.ehlo("client.example.org")
        out["mail"] = reply(*s.mail(a.sender))
        accepted = 0
        for r in a.to:
            words = r.split()
            r, opts = words[0], (words[1:] or a.rcpt_option)
            code, msg = s.rcpt(r, opts)
            out["rcpt"][r] = reply(code, msg)
            accepted += code // 100 == 2
        if accepted and out["mail"].startswith("2"):
            try:
                out["data"] = reply(*s.data(raw))
            except smtplib.SMTPDataError as e:
                out["data"] = reply(e.smtp_code, e.smtp_error)
        s.quit()
    except smtplib.SMTPServerDisconnected as e:
        out["disconnected"] = str(e)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
