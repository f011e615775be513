#!/usr/bin/env python3
"""Mails for the fault runs (tests/fault/run), and the count of what the stand-in executed.

  mails.py send PORT RUN N [RATE]   N distinct SMS mails, one SMTP session, to 127.0.0.1:PORT,
                                    at most RATE a second (default: as fast as taken); a mail
                                    answered 4xx is sent again after a second
  mails.py both PORTA PORTB RUN N   each mail to both servers at the same moment, as a client
                                    that timed out at the first MX and retries on the second;
                                    each side sends again after a 4xx until it gets a 250;
                                    prints how many replies were 4xx before the 250
  mails.py count RUN N              reads the stand-in's /jobs on stdin and prints
                                    "N mails: X exactly once, Y lost, Z duplicated"; exit 0
                                    only when every mail was executed exactly once

Mail I of run RUN carries the marker #RUN-I# in its text and a Message-ID of its own: the
SMS text holds the marker, so counting markers in the executed jobs counts SMS per mail.
"""
import json
import re
import smtplib
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate

SENDER = "fault@example.org"
DEADLINE = 600  # seconds one mail may take to be accepted in "both"


def number(i):
    return "+3361%07d" % (i % 10000000)


def mail(run, i):
    rcpt = number(i) + "@sms.example.com"
    text = (
        "From: Fault run <%s>\r\n"
        "To: %s\r\n"
        "Subject: fault %s %d\r\n"
        "Date: %s\r\n"
        "Message-ID: <fault.%s.%d@example.org>\r\n"
        "\r\n"
        "alert #%s-%d#\r\n" % (SENDER, rcpt, run, i, formatdate(), run, i, run, i)
    )
    return rcpt, text


def deliver(port, rcpt, text, retry_4xx):
    """Sends one mail; returns the number of 4xx replies before it was accepted."""
    tempfails = 0
    t0 = time.time()
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as s:
                s.sendmail(SENDER, [rcpt], text.encode())
            return tempfails
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as e:
            code = getattr(e, "smtp_code", None)
            if code is None:  # SMTPRecipientsRefused: one recipient, its code
                code = list(e.recipients.values())[0][0]
            if not (400 <= code < 500) or not retry_4xx or time.time() - t0 > DEADLINE:
                raise
            tempfails += 1
            time.sleep(1)


def cmd_send(port, run, n, rate):
    t0 = time.time()
    with smtplib.SMTP("127.0.0.1", int(port), timeout=120) as s:
        for i in range(n):
            if rate > 0:
                time.sleep(max(0.0, t0 + i / rate - time.time()))
            rcpt, text = mail(run, i)
            while True:
                try:
                    s.sendmail(SENDER, [rcpt], text.encode())
                    break
                except smtplib.SMTPResponseException as e:
                    if not 400 <= e.smtp_code < 500:
                        raise
                    s.rset()
                    time.sleep(1)
    return 0


def cmd_both(porta, portb, run, n):
    lock = threading.Lock()
    tempfails = [0]

    def one(i):
        rcpt, text = mail(run, i)
        results = []

        def side(port):
            results.append(deliver(int(port), rcpt, text, True))

        threads = [threading.Thread(target=side, args=(p,)) for p in (porta, portb)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if len(results) != 2:
            raise RuntimeError("mail %d: not accepted by both servers" % i)
        with lock:
            tempfails[0] += sum(results)

    with ThreadPoolExecutor(max_workers=10) as pool:
        for f in [pool.submit(one, i) for i in range(n)]:
            f.result()
    print(tempfails[0])
    return 0


def cmd_count(run, n):
    jobs = json.load(sys.stdin)
    per = {}
    pat = re.compile(r"#%s-(\d+)#" % re.escape(run))
    for job in jobs:
        for m in pat.findall(job.get("message", "")):
            per[int(m)] = per.get(int(m), 0) + 1
    once = sum(1 for i in range(n) if per.get(i, 0) == 1)
    lost = [i for i in range(n) if per.get(i, 0) == 0]
    dup = [i for i in range(n) if per.get(i, 0) > 1]
    print("%d mails: %d exactly once, %d lost, %d duplicated" % (n, once, len(lost), len(dup)))
    if lost:
        print("# lost: %s" % " ".join("#%s-%d#" % (run, i) for i in lost[:20]), file=sys.stderr)
    if dup:
        print("# duplicated: %s" % " ".join("#%s-%d# x%d" % (run, i, per[i]) for i in dup[:20]),
              file=sys.stderr)
    return 0 if once == n else 1


def main(argv):
    if len(argv) in (5, 6) and argv[1] == "send":
        return cmd_send(argv[2], argv[3], int(argv[4]), float(argv[5]) if len(argv) == 6 else 0)
    if len(argv) == 6 and argv[1] == "both":
        return cmd_both(argv[2], argv[3], argv[4], int(argv[5]))
    if len(argv) == 4 and argv[1] == "count":
        return cmd_count(argv[2], int(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
