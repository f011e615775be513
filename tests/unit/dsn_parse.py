#!/usr/bin/env python3
"""dsn_parse.py: reads a delivery status notification on stdin and checks it with Python's
email package, a parser that shares no code with GMime: multipart/report with
report-type=delivery-status, three parts (text/plain, message/delivery-status,
text/rfc822-headers), no parsing defect, and per recipient the Action and Status given as
arguments (ACTION:STATUS, in order); --subject checks the decoded Subject too.
Prints what it found; exits 1 on a mismatch."""
import argparse
import email
import email.policy
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subject")
    ap.add_argument("expect", nargs="+", help="ACTION:STATUS for each recipient, in order")
    args = ap.parse_args()
    want = [tuple(e.split(":", 1)) for e in args.expect]

    msg = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
    errors = []

    def check(ok, what):
        if not ok:
            errors.append(what)

    print("content type:", msg.get_content_type(), "report-type:", msg.get_param("report-type"))
    check(msg.get_content_type() == "multipart/report", "not multipart/report")
    check(msg.get_param("report-type") == "delivery-status", "report-type is not delivery-status")
    print("subject:", msg["subject"])
    if args.subject is not None:
        check(str(msg["subject"]) == args.subject, "subject is not %r" % args.subject)
    check(msg["auto-submitted"] == "auto-replied", "no Auto-Submitted: auto-replied")
    for part in msg.walk():
        if part.defects:
            errors.append("defects in %s: %s" % (part.get_content_type(), part.defects))

    parts = msg.get_payload() if msg.is_multipart() else []
    types = [p.get_content_type() for p in parts]
    print("parts:", types)
    check(types == ["text/plain", "message/delivery-status", "text/rfc822-headers"],
          "parts are not text/plain, message/delivery-status, text/rfc822-headers")
    if len(parts) >= 2 and parts[1].get_content_type() == "message/delivery-status":
        blocks = parts[1].get_payload()
        print("per-message:", dict(blocks[0].items()) if blocks else None)
        check(len(blocks) >= 1 and blocks[0]["reporting-mta"] is not None,
              "no Reporting-MTA in the per-message block")
        found = [(b["action"], b["status"]) for b in blocks[1:]]
        for b in blocks[1:]:
            print("recipient:", b["final-recipient"], "action:", b["action"],
                  "status:", b["status"], "diagnostic:", b["diagnostic-code"])
        check(found == want, "recipients %r, expected %r" % (found, want))

    for e in errors:
        print("MISMATCH:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
