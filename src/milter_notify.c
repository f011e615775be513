/* milter_notify.c: the milter's messages to systemd (sd_notify(3)), for Type=notify.
 *
 * READY=1 goes out once the milter's own socket answers an option negotiation (so after
 * the socket is open, the privileges dropped and libmilter's accept loop running);
 * RELOADING=1 and READY=1 frame each reload, refused or not; STOPPING=1 is the last
 * message. With a watchdog (WatchdogSec=, seen by sd_watchdog_enabled()), a thread sends
 * WATCHDOG=1 every half interval, and only after a probe (milter_probe.c) got libmilter's
 * answer: a milter whose accept loop or workers hang stops pinging and systemd restarts
 * it. STATUS= says in one line what "systemctl status" should show. Everything from
 * outside (the socket's notation, an error) goes through safeline(): a newline in it would
 * be a message of its own.
 * The state is one per process, like the notification socket it speaks to, and behind one
 * lock: the reload thread, libmilter's signal thread (milter_main.c's sigwait()) and the
 * notify thread all send. It must not send anything without NOTIFY_SOCKET, nor anything
 * after STOPPING=1, nor WATCHDOG=1 without a probe that just succeeded, and must never
 * stop the milter: a failure here is logged and mail goes on. */
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include "milter_notify.h"
#include "milter_probe.h"
#include "safeline.h"

/* Milliseconds between two probes while waiting for libmilter at start-up. */
#define NOTIFY_START_RETRY_MS 100
/* The longest a probe may take: an MTA waits longer (Postfix's milter_connect_timeout is
 * 30 s), but a healthy milter answers a negotiation in well under a millisecond. */
#define NOTIFY_PROBE_TIMEOUT_MS 5000
/* Bounds of the texts in a status line. */
#define NOTIFY_SPEC_MAX 200
#define NOTIFY_REASON_MAX 300

typedef struct {
	GMutex lock;
	gboolean on;         /* NOTIFY_SOCKET was set at start */
	gboolean ready;      /* READY=1 went out */
	gboolean reloading;  /* RELOADING=1 went out, READY=1 not yet */
	gboolean stopping;   /* STOPPING=1 went out: nothing follows it */
	gboolean warned;     /* a failed sd_notify() was logged */
	char *socket;        /* the socket's notation, one safe line */
	char *serving;       /* the status line while the milter answers */
	char *trouble;       /* the status line while it does not, else NULL */
	MilterProbe *probe;
	guint64 watchdog_usec;  /* 0: no watchdog */
} Notifier;

static Notifier notifier;

/* Sends MSG to systemd; the first failure is logged. Called with the lock held. */
static void send_locked(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void send_locked(const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;
	int rc;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	rc = sd_notify(0, msg);
	if (rc < 0 && !notifier.warned) {
		notifier.warned = TRUE;
		syslog(LOG_WARNING, "cannot notify systemd: %s", g_strerror(-rc));
	}
}

/* The local time now, for a status line. */
static char *now_text(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();

	return g_date_time_format(now, "%F %T");
}

/* The status line systemd shows now. Called with the lock held. */
static const char *status_locked(void)
{
	return notifier.trouble ? notifier.trouble : notifier.serving;
}

/* The serving status line after a (re)load described by WHAT ("loaded", "reloaded"). */
static void set_serving_locked(const char *what)
{
	g_autofree char *now = now_text();

	g_free(notifier.serving);
	notifier.serving = g_strdup_printf("Serving mail on %s (configuration %s %s)",
	                                   notifier.socket, what, now);
}

/* How long a probe may take: a quarter of the watchdog's interval, at most
 * NOTIFY_PROBE_TIMEOUT_MS, so that a ping sent after it still falls well within the
 * interval. */
static int probe_timeout_ms(guint64 watchdog_usec)
{
	guint64 ms = watchdog_usec / 4000;

	return watchdog_usec == 0 || ms > NOTIFY_PROBE_TIMEOUT_MS ? NOTIFY_PROBE_TIMEOUT_MS
	                                                            : (int)MAX(ms, 1);
}

/* Acts on one probe's result: READY=1 the first time it answers, WATCHDOG=1 each time
 * with a watchdog, the status line when it stops or starts answering again. TRUE when
 * nothing is left to do (ready without a watchdog, or stopping). */
static gboolean after_probe(gboolean ok, const GError *e)
{
	g_autofree char *why = safeline(e ? e->message : "", NOTIFY_REASON_MAX, FALSE);
	g_autofree char *now = NULL;
	gboolean done;

	g_mutex_lock(&notifier.lock);
	if (notifier.stopping) {
		done = TRUE;
	} else if (ok) {
		if (!notifier.ready) {
			notifier.ready = TRUE;
			g_clear_pointer(&notifier.trouble, g_free);
			send_locked("READY=1\nSTATUS=%s", notifier.serving);
		} else if (notifier.trouble) {
			g_clear_pointer(&notifier.trouble, g_free);
			syslog(LOG_NOTICE, "watchdog: %s answers again", notifier.socket);
			send_locked("STATUS=%s", notifier.serving);
		}
		if (notifier.watchdog_usec)
			send_locked("WATCHDOG=1");
		done = notifier.watchdog_usec == 0;
	} else {
		if (notifier.trouble == NULL) {
			now = now_text();
			if (notifier.ready) {
				notifier.trouble = g_strdup_printf(
					"Not answering on %s since %s (%s)%s", notifier.socket, now, why,
					notifier.watchdog_usec ? ": the watchdog is not pinged" : "");
				syslog(LOG_WARNING, "watchdog: %s does not answer: %s%s",
				       notifier.socket, why,
				       notifier.watchdog_usec ? "; systemd is not told it is alive" : "");
			} else {
				notifier.trouble = g_strdup_printf(
					"Starting: waiting for libmilter to answer on %s (%s)",
					notifier.socket, why);
			}
			send_locked("STATUS=%s", notifier.trouble);
		}
		done = FALSE;
	}
	g_mutex_unlock(&notifier.lock);
	return done;
}

/* Probes the socket until libmilter answers (READY=1), then, with a watchdog, every half
 * interval for as long as the milter runs (WATCHDOG=1 after each answer). */
static gpointer notify_loop(gpointer unused)
{
	guint64 wd = notifier.watchdog_usec;  /* set before the thread started, never changed */
	int timeout = probe_timeout_ms(wd);

	(void)unused;
	for (;;) {
		g_autoptr(GError) e = NULL;
		gboolean ok = milter_probe_run(notifier.probe, timeout, &e);
		gboolean ready;

		if (after_probe(ok, e))
			break;
		g_mutex_lock(&notifier.lock);
		ready = notifier.ready;
		g_mutex_unlock(&notifier.lock);
		g_usleep(ready ? wd / 2 : NOTIFY_START_RETRY_MS * 1000);
	}
	return NULL;
}

void milter_notify_start(const char *socket_spec)
{
	const char *env = g_getenv("NOTIFY_SOCKET");
	g_autoptr(GError) e = NULL;
	uint64_t usec = 0;

	if (env == NULL || *env == '\0')
		return;
	g_mutex_lock(&notifier.lock);
	notifier.on = TRUE;
	notifier.socket = safeline(socket_spec, NOTIFY_SPEC_MAX, FALSE);
	set_serving_locked("loaded");
	if (sd_watchdog_enabled(0, &usec) > 0)
		notifier.watchdog_usec = usec;
	notifier.probe = milter_probe_new(socket_spec, &e);
	if (notifier.probe == NULL) {
		/* libmilter listens on it, so this cannot happen but for a notation it reads
		 * and the probe does not: ready all the same, the watchdog never pinged. */
		g_autofree char *why = safeline(e->message, NOTIFY_REASON_MAX, FALSE);

		syslog(LOG_ERR, "cannot probe the socket %s: %s%s", notifier.socket, why,
		       notifier.watchdog_usec ? "; systemd's watchdog will restart the milter" : "");
		notifier.ready = TRUE;
		notifier.trouble = g_strdup_printf("Serving mail on %s, which cannot be probed (%s)",
		                                   notifier.socket, why);
		send_locked("READY=1\nSTATUS=%s", notifier.trouble);
		g_mutex_unlock(&notifier.lock);
		return;
	}
	send_locked("STATUS=Starting: waiting for libmilter to answer on %s", notifier.socket);
	g_mutex_unlock(&notifier.lock);
	g_thread_unref(g_thread_new("notify", notify_loop, NULL));
}

void milter_notify_reloading(const char *signal_name)
{
	struct timespec ts;

	g_mutex_lock(&notifier.lock);
	if (notifier.on && notifier.ready && !notifier.stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		notifier.reloading = TRUE;
		send_locked("RELOADING=1\nMONOTONIC_USEC=%" G_GUINT64_FORMAT
		            "\nSTATUS=Reloading the configuration (%s)",
		            (guint64)ts.tv_sec * G_USEC_PER_SEC + (guint64)ts.tv_nsec / 1000,
		            signal_name);
	}
	g_mutex_unlock(&notifier.lock);
}

/* READY=1 after a reload, with the status line systemd shows now. */
static void reload_done_locked(void)
{
	if (notifier.reloading && !notifier.stopping)
		send_locked("READY=1\nSTATUS=%s", status_locked());
	notifier.reloading = FALSE;
}

void milter_notify_reloaded(void)
{
	g_mutex_lock(&notifier.lock);
	if (notifier.on) {
		set_serving_locked("reloaded");
		reload_done_locked();
	}
	g_mutex_unlock(&notifier.lock);
}

void milter_notify_reload_refused(const char *reason)
{
	g_autofree char *why = safeline(reason, NOTIFY_REASON_MAX, FALSE);
	g_autofree char *now = NULL;

	g_mutex_lock(&notifier.lock);
	if (notifier.on) {
		now = now_text();
		g_free(notifier.serving);
		notifier.serving = g_strdup_printf(
			"Serving mail on %s with the previous configuration: reload refused %s (%s)",
			notifier.socket, now, why);
		reload_done_locked();
	}
	g_mutex_unlock(&notifier.lock);
}

void milter_notify_stopping(void)
{
	g_mutex_lock(&notifier.lock);
	if (notifier.on && !notifier.stopping) {
		notifier.stopping = TRUE;
		send_locked("STOPPING=1\nSTATUS=Stopping: libmilter closes the sessions in progress");
	}
	g_mutex_unlock(&notifier.lock);
}
