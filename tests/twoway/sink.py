#!/usr/bin/env python3
"""Reads mails captured by smtp-sink and prints them as one JSON array, oldest first.

    sink.py FILE...

Each mail: {"file", "mail_from" (X-Mail-Args: the envelope sender, "<>" for the null sender),
"rcpts" (every X-Rcpt-Args: the envelope recipients, "<addr>"), "rcpt_args" (the same with
any ESMTP argument: ORCPT=...),
"from" (the address of From:), "to", "subject", "message_id", "in_reply_to", "references",
"x_reply" (X-Mail2SMS-Reply), "content_type", "report_type", "body" (the first text/plain
part, decoded), "dsn" (a multipart/report's per-recipient fields: [{"final_recipient",
"action", "status"}]), "reporting_mta" (its per-message Reporting-MTA), "postfix" (true when the report is Postfix's own: its per-message
fields carry X-Postfix-Queue-ID)}.
"""
import email
import email.policy
import email.utils
import json
import sys


def addr(v):
    return email.utils.parseaddr(str(v))[1] if v is not None else None


def text(v):
    return str(v) if v is not None else None


def first_plain(msg):
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            try:
                return part.get_content()
            except Exception:  # an undecodable part: its raw text
                return part.get_payload()
    return None


def dsn_fields(msg):
    recipients, postfix, mta = [], False, None
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for i, b in enumerate(blocks):
            if i == 0:
                postfix = b.get("X-Postfix-Queue-ID") is not None
                mta = text(b.get("Reporting-MTA"))
                continue
            if b.get("Final-Recipient") is None and b.get("Action") is None:
                continue
            recipients.append({
                "final_recipient": text(b.get("Final-Recipient")),
                "action": text(b.get("Action")),
                "status": text(b.get("Status")),
            })
    return recipients, postfix, mta


def one(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    dsn, postfix, mta = dsn_fields(msg)
    return {
        "file": path,
        "mail_from": text(msg.get("X-Mail-Args")),
        "rcpts": [str(r).split()[0] for r in (msg.get_all("X-Rcpt-Args") or []) if str(r).split()],
        "rcpt_args": [str(r) for r in (msg.get_all("X-Rcpt-Args") or [])],
        "from": addr(msg.get("From")),
        "to": addr(msg.get("To")),
        "subject": text(msg.get("Subject")),
        "message_id": text(msg.get("Message-ID")),
        "in_reply_to": text(msg.get("In-Reply-To")),
        "references": text(msg.get("References")),
        "x_reply": text(msg.get("X-Mail2SMS-Reply")),
        "content_type": msg.get_content_type(),
        "report_type": msg.get_param("report-type"),
        "body": first_plain(msg),
        "dsn": dsn,
        "reporting_mta": mta,
        "postfix": postfix,
    }


def main():
    out = []
    for p in sys.argv[1:]:
        try:
            out.append(one(p))
        except Exception as e:  # a mail that cannot be read is shown, not skipped
            out.append({"file": p, "error": str(e), "rcpts": [], "dsn": [], "postfix": False})
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
