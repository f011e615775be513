#!/usr/bin/env python3
"""Several mails per SMTP connection, with the time each mail takes: a client for tools/bench.

    smtp_mails.py --port P --to ADDR [--connections C] [--mails M] [--tag T]
                  [--stats URL --jobs N [--timeout S]]

Opens C connections in parallel and sends M mails on each, one after the other (smtp-source
opens one connection per mail, and so never shows what happens to the second mail of a
session). Every mail has its own Message-ID, Subject and body line, so that each one is a
distinct SMS job. For each mail it measures the time from MAIL FROM to the reply after the
end of DATA, the part of a session a milter can slow down. It prints one line of words:

    mails=100 failed=0 seconds=1.234 p50_ms=10.1 p90_ms=25.3 [jobs=500 jobs_seconds=2.345]

seconds runs from before the first connection to the end of the last session. With --stats
(the stand-in OVH API's /stats URL) it then waits until the stand-in counts N more jobs than
before the first connection and prints jobs_seconds, the time from the first connection to
that N-th job: the end-to-end time when mail is sent after the queue. On a time-out jobs says
how many came. A mail refused (any reply but 2xx) counts in failed, and the session goes on
with the next mail after RSET. Exit status 0 once the mails were sent, 1 when a connection
failed.
"""
import argparse
import json
import os
import smtplib
import sys
import threading
import time
import urllib.request


def jobs_now(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)["jobs"]


def session(args, conn, times, failed, errors, lock):
    try:
        s = smtplib.SMTP(args.host, args.port, timeout=args.smtp_timeout)
        s.ehlo("bench.example.org")
    except (OSError, smtplib.SMTPException) as e:
        with lock:
            errors.append("connection %d: %s" % (conn, e))
        return
    mine = []
    bad = 0
    try:
        for i in range(args.mails):
            mid = "bench-%s-%d-%d-%d@example.org" % (args.tag, os.getpid(), conn, i)
            body = ("From: bench@example.org\r\nTo: <%s>\r\nSubject: bench %s %d-%d\r\n"
                    "Message-ID: <%s>\r\n\r\nbench mail %s %d-%d\r\n"
                    % (args.to, args.tag, conn, i, mid, args.tag, conn, i))
            t0 = time.monotonic()
            code, _ = s.mail(args.sender)
            ok = code == 250
            if ok:
                code, _ = s.rcpt(args.to)
                ok = code in (250, 251)
            if ok:
                code, _ = s.data(body.encode())
                ok = code == 250
            t1 = time.monotonic()
            if ok:
                mine.append(t1 - t0)
            else:
                bad += 1
                s.rset()
        s.quit()
    except (OSError, smtplib.SMTPException) as e:
        with lock:
            errors.append("connection %d: %s" % (conn, e))
    with lock:
        times.extend(mine)
        failed[0] += bad


def percentile(sorted_times, p):
    """Nearest rank: the smallest time that p% of the mails did not exceed."""
    if not sorted_times:
        return 0.0
    k = max(0, -(-len(sorted_times) * p // 100) - 1)
    return sorted_times[int(k)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--from", dest="sender", default="bench@example.org")
    ap.add_argument("--to", required=True)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--mails", type=int, default=5)
    ap.add_argument("--tag", default="m")
    ap.add_argument("--stats")
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--smtp-timeout", type=float, default=120)
    args = ap.parse_args()

    base = jobs_now(args.stats) if args.stats else 0
    times, failed, errors = [], [0], []
    lock = threading.Lock()
    t_start = time.monotonic()
    threads = [threading.Thread(target=session,
                                args=(args, c, times, failed, errors, lock))
               for c in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_sent = time.monotonic()
    times.sort()
    out = "mails=%d failed=%d seconds=%.3f p50_ms=%.1f p90_ms=%.1f" % (
        len(times), failed[0], t_sent - t_start, 1000 * percentile(times, 50),
        1000 * percentile(times, 90))
    if args.stats:
        got = 0
        while True:
            got = jobs_now(args.stats) - base
            now = time.monotonic()
            if got >= args.jobs or now - t_start > args.timeout:
                break
            time.sleep(0.01)
        out += " jobs=%d jobs_seconds=%.3f" % (got, now - t_start)
    print(out)
    for e in errors[:5]:
        print("smtp_mails: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
