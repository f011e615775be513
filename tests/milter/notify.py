#!/usr/bin/env python3
"""notify.py: mail2sms-milter's systemd notifications, without systemd.

Usage: notify.py MILTER CONF WORKDIR

Plays systemd's part: binds a unix datagram socket given to the milter as NOTIFY_SOCKET,
with WATCHDOG_USEC=2000000 and WATCHDOG_PID set to the milter's own pid (started through
sh, which execs it), starts the milter in the foreground on a free loopback port, and
prints one TAP line per check:
  1. READY=1 once libmilter answers, with a STATUS= line;
  2. SIGUSR1: RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC, now), then READY=1;
  3. WATCHDOG=1 within 3 s, while the milter answers;
  4. libmilter frozen (every thread of the process but the milter's "notify" thread stopped
     with ptrace, so that the thread that pings keeps running while nothing serves mail):
     no WATCHDOG=1 for 3 s and a STATUS= saying so; thawed, WATCHDOG=1 again;
  5. SIGHUP with an unknown key in the file: RELOADING=1, then READY=1 with a STATUS=
     saying the reload was refused;
  6. SIGTERM: STOPPING=1, last, exit status 0, and the whole sequence in order
     (READY, RELOADING, READY, WATCHDOG..., STOPPING).
Exit status 1 when a check failed.
"""
import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

WATCHDOG_USEC = 2000000
PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000

failed = 0


def tap(ok, what, diag=""):
    """One TAP line; DIAG as comments when it failed."""
    global failed
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        failed += 1
        for line in diag.splitlines():
            print("#   " + line, flush=True)


class Listener:
    """The notification socket: every datagram kept, in order, with its arrival time."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.lock = threading.Lock()
        self.msgs = []  # (monotonic seconds, {key: value}, raw text)
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            data = self.sock.recv(65536).decode("utf-8", "replace")
            fields = dict(line.split("=", 1) for line in data.split("\n") if "=" in line)
            with self.lock:
                self.msgs.append((time.monotonic(), fields, data))

    def count(self):
        with self.lock:
            return len(self.msgs)

    def since(self, start):
        """The messages from index START on."""
        with self.lock:
            return list(self.msgs[start:])

    def wait(self, start, pred, timeout):
        """The index of the first message from START on for which PRED holds, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for i, (_, fields, _) in enumerate(self.since(start)):
                if pred(fields):
                    return start + i
            time.sleep(0.05)
        return None

    def dump(self, start=0):
        return "\n".join("%.2f %r" % (t, raw) for t, _, raw in self.since(start))


def has(key):
    return lambda f: f.get(key) == "1"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def freeze(pid):
    """Stops every thread of PID but its "notify" thread (PTRACE_SEIZE, PTRACE_INTERRUPT);
    the tids stopped, or raises OSError."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    stopped = []
    for tid in sorted(int(t) for t in os.listdir("/proc/%d/task" % pid)):
        with open("/proc/%d/task/%d/comm" % (pid, tid)) as f:
            if f.read().strip() == "notify":
                continue
        if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0 or \
           libc.ptrace(PTRACE_INTERRUPT, tid, None, None) != 0:
            e = ctypes.get_errno()
            thaw(stopped)
            raise OSError(e, "ptrace %d: %s" % (tid, os.strerror(e)))
        os.waitpid(tid, WALL)
        stopped.append(tid)
    return stopped


def thaw(tids):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    for tid in tids:
        libc.ptrace(PTRACE_DETACH, tid, None, None)


def main():
    milter, conf, work = sys.argv[1:4]
    sockpath = os.path.join(work, "notify.sock")
    log = os.path.join(work, "notify.milter.log")
    if os.path.exists(sockpath):
        os.unlink(sockpath)
    lst = Listener(sockpath)
    port = free_port()
    spec = "inet:%d@127.0.0.1" % port
    env = dict(os.environ, NOTIFY_SOCKET=sockpath, WATCHDOG_USEC=str(WATCHDOG_USEC))
    env.pop("WATCHDOG_PID", None)
    with open(log, "w") as logf:
        proc = subprocess.Popen(
            ["sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$0" "$@"',
             milter, "-c", conf, "-f", "-u", "", "-p", spec],
            env=env, stdout=logf, stderr=subprocess.STDOUT)
    with open(conf) as f:
        original = f.read()

    def milter_log():
        with open(log) as f:
            return "milter log:\n" + "".join(f.readlines()[-20:])

    try:
        # 1. READY=1, with a status line.
        ready = lst.wait(0, has("READY"), 15)
        status = lst.since(ready)[0][1].get("STATUS", "") if ready is not None else ""
        tap(ready is not None and status.startswith("Serving mail on " + spec),
            "notify: READY=1 once libmilter answers on its socket, with STATUS=Serving mail on it",
            "messages:\n" + lst.dump() + "\n" + milter_log())
        if ready is None:
            return

        # 2. SIGUSR1: RELOADING=1 with MONOTONIC_USEC, then READY=1.
        mark = lst.count()
        before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        proc.send_signal(signal.SIGUSR1)
        rel = lst.wait(mark, has("RELOADING"), 5)
        after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        ready2 = lst.wait(rel, has("READY"), 5) if rel is not None else None
        usec = lst.since(rel)[0][1].get("MONOTONIC_USEC", "") if rel is not None else ""
        tap(rel is not None and ready2 is not None and usec.isdigit() and
            before <= int(usec) <= after,
            "notify: SIGUSR1 gives RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC), then READY=1",
            "MONOTONIC_USEC=%s, signal sent at %d, RELOADING seen by %d\nmessages:\n%s\n%s"
            % (usec, before, after, lst.dump(mark), milter_log()))

        # 3. WATCHDOG=1 while the milter answers.
        mark = ready2 if ready2 is not None else lst.count()
        wd = lst.wait(mark, has("WATCHDOG"), 3)
        tap(wd is not None,
            "notify: WATCHDOG=1 within 3 s while the milter answers (WATCHDOG_USEC=2000000)",
            "messages:\n" + lst.dump(mark) + "\n" + milter_log())

        # 4. libmilter frozen: no WATCHDOG=1; thawed: WATCHDOG=1 again.
        what = ("notify: libmilter's threads frozen, no WATCHDOG=1 for 3 s and "
                "STATUS=Not answering; thawed, WATCHDOG=1 again")
        try:
            tids = freeze(proc.pid)
        except OSError as e:
            print("ok - %s # SKIP cannot freeze them: %s" % (what, e), flush=True)
            tids = None
        if tids is not None:
            time.sleep(0.3)  # a ping on its way when the threads stopped
            mark = lst.count()
            time.sleep(3)
            during = lst.since(mark)
            thaw(tids)
            pings = [m for m in during if m[1].get("WATCHDOG") == "1"]
            said = [m for m in during if m[1].get("STATUS", "").startswith("Not answering on")]
            back = lst.wait(mark + len(during), has("WATCHDOG"), 3)
            serving = lst.wait(mark + len(during),
                               lambda f: f.get("STATUS", "").startswith("Serving mail"), 3)
            tap(not pings and said and back is not None and serving is not None, what,
                "%d threads frozen; %d WATCHDOG=1 while frozen; after the thaw: %s\n"
                "messages:\n%s\n%s"
                % (len(tids), len(pings), lst.dump(mark + len(during)), lst.dump(mark),
                   milter_log()))

        # 5. A reload refused: READY=1 all the same, and the status line says so.
        with open(conf, "a") as f:
            f.write("\n[milter]\nno_such_key = 1\n")
        mark = lst.count()
        proc.send_signal(signal.SIGHUP)
        rel = lst.wait(mark, has("RELOADING"), 5)
        ready3 = lst.wait(rel, has("READY"), 5) if rel is not None else None
        status = lst.since(ready3)[0][1].get("STATUS", "") if ready3 is not None else ""
        with open(conf, "w") as f:
            f.write(original)
        tap(ready3 is not None and "reload refused" in status and "no_such_key" in status
            and proc.poll() is None,
            "notify: a refused reload (SIGHUP, unknown key) gives RELOADING=1, then READY=1 "
            "with STATUS= saying it was refused",
            "messages:\n" + lst.dump(mark) + "\n" + milter_log())

        # 6. SIGTERM: STOPPING=1, last; the whole sequence in order.
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(15)
        except subprocess.TimeoutExpired:
            rc = None
        time.sleep(0.2)
        seq = []
        for _, fields, _ in lst.since(0):
            seq += [k for k in ("READY", "RELOADING", "WATCHDOG", "STOPPING")
                    if fields.get(k) == "1"]
        text = " ".join(seq)
        # READY, the SIGUSR1 reload, pings, the refused reload, pings, STOPPING last.
        order = re.fullmatch(r"READY (WATCHDOG )*RELOADING (WATCHDOG )*READY (WATCHDOG )+"
                             r"(WATCHDOG )*RELOADING (WATCHDOG )*READY (WATCHDOG )*STOPPING",
                             text)
        tap(rc == 0 and order is not None,
            "notify: SIGTERM gives STOPPING=1, the last message, and exit status 0; in all "
            "READY, RELOADING, READY, WATCHDOG, STOPPING in this order",
            "exit status %s; sequence: %s\n%s" % (rc, text, milter_log()))
    finally:
        with open(conf, "w") as f:
            f.write(original)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
    sys.exit(1 if failed else 0)
