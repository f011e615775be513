/* milter_notify.h: the milter's messages to systemd (milter_notify.c): readiness, reloads,
 * stop, a status line and the watchdog. Each function does nothing when systemd did not
 * start the milter with a notification socket (NOTIFY_SOCKET). */
#ifndef M2S_MILTER_NOTIFY_H
#define M2S_MILTER_NOTIFY_H

/* Starts the thread that sends READY=1 once libmilter answers on SOCKET_SPEC, then
 * WATCHDOG=1 for as long as it answers, when systemd asks for a watchdog. Call it once,
 * with the socket open and the privileges dropped, before smfi_main(). */
void milter_notify_start(const char *socket_spec);

/* RELOADING=1 (with MONOTONIC_USEC) before a configuration is read again on SIGNAL_NAME. */
void milter_notify_reloading(const char *signal_name);

/* READY=1 after the reload that milter_notify_reloading() announced, which worked. */
void milter_notify_reloaded(void);

/* READY=1 after a reload refused for REASON, with a status line that says so. */
void milter_notify_reload_refused(const char *reason);

/* STOPPING=1, once; nothing is sent after it. */
void milter_notify_stopping(void);

#endif
