#!/usr/bin/env python3
"""Sends one mail over SMTP with smtplib and prints the replies as one JSON object.

    smtp.py --port P --from ADDR --to ADDR [--to ADDR...] [--rcpt-option OPT...] < MAIL

OPT is an ESMTP RCPT parameter given to every recipient (NOTIFY=NEVER); a --to value
"ADDR OPT..." gives that recipient its own parameters instead. --from "" is the null
sender. The output is
{"mail": "250 ...", "rcpt": {"ADDR": "250 ..."}, "data": "250 ..."}, "data" null when no
recipient was accepted. Exit status 0 once the dialogue took place, whatever the replies.
"""
import argparse
import json
import smtplib
import sys


def reply(code, msg):
    t = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return "%d %s" % (code, " ".join(t.split("\n")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--from", dest="sender", required=True)
    ap.add_argument("--to", action="append", required=True)
    ap.add_argument("--rcpt-option", action="append", default=[])
    a = ap.parse_args()
    raw = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    out = {"mail": None, "rcpt": {}, "data": None}
    try:
        s = smtplib.SMTP("127.0.0.1", a.port, timeout=120)
    except OSError as e:
        print("smtp.py: %s" % e, file=sys.stderr)
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
