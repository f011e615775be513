#!/usr/bin/env python3
"""Mails for the flood-control runs (tests/limits/run), and what to make of the stand-in's
records afterwards.

  mails.py send RUN N --port P [--port P2] --to ADDR [--to ADDR] [options]
        N mails over SMTP from THREADS threads (one connection per mail, as monitoring
        systems send), mail I to the I-th port in turn. Options:
          --threads T      concurrent senders (default 10)
          --kind K         storm: "PROBLEM hostI ..." alerts, distinct Subjects and
                           Message-IDs (default); same: one text, distinct Message-IDs
          --copy ADDR --copy-every K   mail I with I % K == 0 also goes to ADDR (a mail
                           recipient: its copy shows the X-Mail2SMS header)
          --retry          a 4xx reply is sent again after a second (a client's queue)
          --deadline S     ... for at most S seconds a mail (default 240)
          --from ADDR      the envelope sender (default nagios@example.org)
        "{i}" in --to is replaced by I (format spec allowed: {i:05d}).
        Prints one JSON object: {"replies": {"250": N, "451 4.7.1": N, ...} (each mail's
        last reply, code and enhanced code), "tempfails": N (4xx answered then retried),
        "seconds": S, "errors": [first few texts not 250]}.

  mails.py account RUN N LIMIT NUMBER... < jobs.json
        The accounting of a storm: for each NUMBER, the alerts of run RUN that reached it in
        a job of their own ("sent": their marker #RUN-I# in the text) and those counted in a
        digest (a job whose tag begins with m2sz, and whose text with
        "N alerts held "); prints per number
        "NUMBER: N alerts: X sent, M held in K digests, L lost" and exits 0 only when every
        number saw every alert exactly once: X + M = N, no alert sent twice, no alert sent
        and also listed in a digest, no alert listed in two digests nor twice in one, at
        most LIMIT sent.

  mails.py age-sqlite FILE SECONDS
        Moves every window event of the sqlite store FILE SECONDS back (the table windows of
        src/store_sqlite.c, times in ms): as if that much time had passed for the limits.
        Prints how many events moved.

  mails.py rate LOG WINDOW_S LIMIT SLACK_MS
        Reads the stand-in's request log (JSON lines with at_ms) and prints the most
        requests found in any WINDOW_S seconds, and in any WINDOW_S seconds less SLACK_MS;
        exits 0 when the latter is at most LIMIT.
"""
import argparse
import json
import re
import smtplib
import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate

DEADLINE = 240  # seconds one mail may be retried


def storm_mail(run, i, sender, to, copy):
    heads = ", ".join(to + ([copy] if copy else []))
    return (
        "From: Nagios <%s>\r\n"
        "To: %s\r\n"
        "Subject: PROBLEM host%d load CRITICAL #%s-%d#\r\n"
        "Date: %s\r\n"
        "Message-ID: <limits.%s.%d@example.org>\r\n"
        "\r\n"
        "***** Nagios *****\r\n"
        "Host: host%d\r\nState: CRITICAL\r\nload average: 42.00\r\n"
        % (sender, heads, i, run, i, formatdate(), run, i, i)
    )


def same_mail(run, i, sender, to, copy):
    heads = ", ".join(to + ([copy] if copy else []))
    return (
        "From: Nagios <%s>\r\n"
        "To: %s\r\n"
        "Subject: PROBLEM db1 disk CRITICAL %s\r\n"
        "Date: %s\r\n"
        "Message-ID: <limits.%s.%d@example.org>\r\n"
        "\r\n"
        "DISK CRITICAL - /var 99%% full\r\n" % (sender, heads, run, formatdate(), run, i)
    )


def reply_text(code, msg):
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return "%d %s" % (code, " ".join(text.split()))


def send_one(port, sender, rcpts, text):
    """One SMTP transaction; returns the reply that decided it ("250 ...", "451 4.7.1 ...")."""
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as s:
        s.ehlo("monitor.example.org")
        code, msg = s.mail(sender)
        if code // 100 != 2:
            return reply_text(code, msg)
        worst = None
        accepted = 0
        for r in rcpts:
            code, msg = s.rcpt(r)
            if code // 100 == 2:
                accepted += 1
            elif worst is None:
                worst = reply_text(code, msg)
        if worst is not None:  # a refused recipient decides, as a client's queue sees it
            s.rset()
            return worst
        code, msg = s.data(text.encode())
        return reply_text(code, msg)


def cmd_send(a):
    make = storm_mail if a.kind == "storm" else same_mail
    lock = threading.Lock()
    replies, errors = {}, []
    tempfails = [0]

    def one(i):
        port = a.port[i % len(a.port)]
        to = [t.format(i=i) for t in a.to]
        copy = a.copy if a.copy and a.copy_every and i % a.copy_every == 0 else None
        text = make(a.run, i, a.sender, to, copy)
        t0 = time.time()
        while True:
            try:
                rep = send_one(port, a.sender, to + ([copy] if copy else []), text)
            except (OSError, smtplib.SMTPException) as e:
                rep = "000 %s" % e
            if a.retry and rep[:1] in "40" and time.time() - t0 < a.deadline:
                with lock:
                    tempfails[0] += 1
                time.sleep(1)
                continue
            break
        key = " ".join(rep.split()[:2]) if rep[:1] != "2" else rep[:3]
        with lock:
            replies[key] = replies.get(key, 0) + 1
            if rep[:1] != "2" and len(errors) < 5:
                errors.append(rep)

    t0 = time.time()
    with ThreadPoolExecutor(max_workers=a.threads) as ex:
        list(ex.map(one, range(a.n)))
    print(json.dumps({"replies": replies, "tempfails": tempfails[0],
                      "seconds": round(time.time() - t0, 1), "errors": errors}))
    return 0


DIGEST = re.compile(r"^(\d+) alerts? held ")


def cmd_account(a):
    jobs = json.load(sys.stdin)
    marker = re.compile(r"#%s-(\d+)#" % re.escape(a.run))
    good = True
    for num in a.numbers:
        sent, listed, problems = {}, {}, []
        held = digests = 0
        for j in jobs:
            if num not in j.get("valid", j.get("receivers", [])):
                continue
            text = j.get("message", "")
            d = DIGEST.match(text)
            if d and j.get("tag", "").startswith("m2sz"):
                digests += 1
                held += int(d.group(1))
                # The subjects the digest lists (it may be cut): each at most once, and
                # "(xN)" would say one was counted N times.
                if re.search(r"#%s-\d+# \(x\d+\)" % re.escape(a.run), text):
                    problems.append("a digest lists an alert more than once")
                for m in marker.findall(text):
                    listed[m] = listed.get(m, 0) + 1
            else:
                for m in set(marker.findall(text)):
                    sent[m] = sent.get(m, 0) + 1
        twice = sorted(int(m) for m, c in sent.items() if c > 1)
        both = sorted(int(m) for m in listed if m in sent)
        relisted = sorted(int(m) for m, c in listed.items() if c > 1)
        if twice:
            problems.append("sent twice: %s" % twice[:10])
        if both:
            problems.append("sent and in a digest: %s" % both[:10])
        if relisted:
            problems.append("in two digests: %s" % relisted[:10])
        if len(sent) > a.limit:
            problems.append("%d sent, more than the limit %d" % (len(sent), a.limit))
        lost = a.n - len(sent) - held
        if lost != 0:
            problems.append("%d %s" % (abs(lost), "lost" if lost > 0 else "counted twice"))
        print("%s: %d alerts: %d sent, %d held in %d digest%s, %d lost%s" % (
            num, a.n, len(sent), held, digests, "" if digests == 1 else "s", max(lost, 0),
            "" if not problems else " (" + "; ".join(problems) + ")"))
        good = good and not problems
    return 0 if good else 1


def cmd_age_sqlite(a):
    db = sqlite3.connect(a.file, timeout=30)
    shift = int(a.seconds) * 1000
    with db:
        cur = db.execute("UPDATE windows SET at = at - ?1, expires = expires - ?1", (shift,))
    print(cur.rowcount)
    db.close()
    return 0


def cmd_rate(a):
    times = sorted(json.loads(line)["at_ms"] for line in open(a.log) if line.strip())

    def most(span_ms):
        best, lo = 0, 0
        for hi in range(len(times)):
            while times[hi] - times[lo] >= span_ms:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    full = most(a.window * 1000)
    slack = most(a.window * 1000 - a.slack)
    print("%d requests; at most %d in any %d s, %d in any %.1f s" % (
        len(times), full, a.window, slack, (a.window * 1000 - a.slack) / 1000.0))
    return 0 if slack <= a.limit else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("run")
    s.add_argument("n", type=int)
    s.add_argument("--port", type=int, action="append", required=True)
    s.add_argument("--to", action="append", required=True)
    s.add_argument("--threads", type=int, default=10)
    s.add_argument("--kind", choices=("storm", "same"), default="storm")
    s.add_argument("--copy")
    s.add_argument("--copy-every", type=int, default=0)
    s.add_argument("--retry", action="store_true")
    s.add_argument("--deadline", type=int, default=DEADLINE)
    s.add_argument("--from", dest="sender", default="nagios@example.org")
    s = sub.add_parser("account")
    s.add_argument("run")
    s.add_argument("n", type=int)
    s.add_argument("limit", type=int)
    s.add_argument("numbers", nargs="+")
    s = sub.add_parser("age-sqlite")
    s.add_argument("file")
    s.add_argument("seconds", type=int)
    s = sub.add_parser("rate")
    s.add_argument("log")
    s.add_argument("window", type=int)
    s.add_argument("limit", type=int)
    s.add_argument("slack", type=int)
    a = ap.parse_args()
    return {"send": cmd_send, "account": cmd_account, "age-sqlite": cmd_age_sqlite,
            "rate": cmd_rate}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
