/* metrics.h: what mail2sms counts about its own work, kept in this process's memory and
 * rendered in the Prometheus text format (version 0.0.4).
 *
 * Every series belongs to a fixed table: each label takes its values from a small enum
 * below, never from a mail (no number, address or tag). Counting is one relaxed atomic add
 * on a 64-bit slot, with no lock and no lookup, from any thread: the module costs nothing
 * when no one scrapes. Serving the figures is metrics_http.c's, adding those of the short
 * processes (the delivery agent, `mail2sms flush`) through the state store
 * metrics_store.c's. */
#ifndef M2S_METRICS_H
#define M2S_METRICS_H

#include <glib.h>

/* mail2sms_mails_total{result}: what became of a mail, counted once per mail (the
 * milter: when its transaction ends; the delivery agent: when it exits). */
typedef enum {
	METRICS_MAIL_NOT_SMS,   /* no SMS recipient: passed untouched */
	METRICS_MAIL_SENT,      /* its SMS went out (or had gone out at an earlier attempt) */
	METRICS_MAIL_REFUSED,   /* 5xx, or a delivery agent's bounce */
	METRICS_MAIL_TEMPFAIL,  /* 4xx, or EX_TEMPFAIL: the MTA tries again */
	METRICS_MAIL_HELD,      /* nothing sent, held by flood control for a digest */
	METRICS_MAIL_DUPLICATE, /* nothing sent, the same text went out within duplicate_window */
	METRICS_MAIL_FAILED,    /* on_api_error = accept: passed without its SMS */
	METRICS_MAIL_N
} MetricsMail;

/* mail2sms_jobs_total{outcome}: one job (one text to its receivers), each attempt. */
typedef enum {
	METRICS_JOB_SENT,         /* posted to OVH now, at least one receiver taken */
	METRICS_JOB_ALREADY_SENT, /* sent by an earlier attempt: nothing posted */
	METRICS_JOB_LIMITED,      /* every receiver held or a duplicate: nothing posted */
	METRICS_JOB_REFUSED,      /* will never go (its numbers, its text) */
	METRICS_JOB_FAILED,       /* did not go this time (OVH, the store, the set-up) */
	METRICS_JOB_N
} MetricsJob;

/* mail2sms_sms_parts_total{outcome}: SMS parts (segments x receivers). */
typedef enum {
	METRICS_PARTS_SENT,    /* taken by OVH */
	METRICS_PARTS_REFUSED, /* receivers OVH refused */
	METRICS_PARTS_FAILED,  /* of a job that did not go this time */
	METRICS_PARTS_N
} MetricsParts;

/* mail2sms_ovh_requests_total{call}: which API call (ovh.c's names, see metrics_ovh_request). */
typedef enum {
	METRICS_CALL_JOB,
	METRICS_CALL_OUTGOING,
	METRICS_CALL_CREDITS,
	METRICS_CALL_SERVICES,
	METRICS_CALL_SENDERS,
	METRICS_CALL_CREDENTIAL,
	METRICS_CALL_TIME,
	METRICS_CALL_OTHER,
	METRICS_CALL_N
} MetricsCall;

/* The state store's backend (store_operations_total and store_errors_total). */
typedef enum { METRICS_BACKEND_SQLITE, METRICS_BACKEND_REDIS, METRICS_BACKEND_N } MetricsBackend;

/* What flood control did ([limits]). */
typedef enum {
	METRICS_FLOOD_HELD,          /* an alert held for a digest (one receiver) */
	METRICS_FLOOD_DUPLICATE,     /* a receiver that had the same text within the window */
	METRICS_FLOOD_DIGEST,        /* a digest sent */
	METRICS_FLOOD_OVER_TEMPFAIL, /* over a limit with over_limit = tempfail */
	METRICS_FLOOD_OVER_REJECT,   /* over a limit with over_limit = reject */
	METRICS_FLOOD_N
} MetricsFlood;

/* What came back: replies and delivery reports (mail2sms_twoway_total{event}). */
typedef enum {
	METRICS_TWOWAY_REPLY,            /* an incoming SMS mailed to whoever paged the number */
	METRICS_TWOWAY_REPLY_UNMATCHED,  /* one that matched no job, mailed to unmatched_to */
	METRICS_TWOWAY_REPORT,           /* a delivery report mailed */
	METRICS_TWOWAY_CALLBACK,         /* a callback from OVH taken */
	METRICS_TWOWAY_CALLBACK_UNKNOWN, /* a callback for an SMS id no job the store keeps has */
	METRICS_TWOWAY_CALLBACK_REFUSED, /* a callback with a bad token or path: 404 */
	METRICS_TWOWAY_N
} MetricsTwoway;

void metrics_mail(MetricsMail result);
void metrics_twoway(MetricsTwoway event);
/* mail2sms_failures_total{reason}: a refusal or a deferral answered (an SMTP reply at RCPT or
 * at end of message, a delivery agent's exit), or a mail let through without its SMS
 * (on_api_error = accept), by ERR's code in M2S_ERROR. */
void metrics_failure(const GError *err);
void metrics_job(MetricsJob outcome);
void metrics_parts(MetricsParts outcome, guint64 n);
/* Receivers OVH refused in a job it answered (invalidReceivers). */
void metrics_receivers_refused(guint64 n);
void metrics_credits_spent(double credits);
/* One HTTP exchange with OVH: WHAT is the name ovh.c gives the call ("job", "service", ...),
 * STATUS the HTTP status (0: no reply came), USEC how long it took. */
void metrics_ovh_request(const char *what, long status, gint64 usec);
/* WHAT's label (ovh.c's "service" is the credits call, "clock" the time). */
MetricsCall metrics_call_of(const char *what);
/* One call into the state store's backend, and whether it failed. */
void metrics_store_op(MetricsBackend backend, gboolean ok);
void metrics_flood(MetricsFlood what);
/* mail2sms_sessions: milter connections open (+1 at connect, -1 at close). */
void metrics_session(int delta);
void metrics_reload(gboolean ok);
/* mail2sms_credits_left: absent from the output until first set. */
void metrics_set_credits_left(double credits);

/* The counters as slots: what metrics_store.c saves and reads back. A slot is one series of
 * a counter, or one bucket (not cumulative), the sum or nothing else of a histogram. */
guint metrics_n_slots(void);
/* A slot's name, stable across versions (the store keeps values under it): the series as
 * rendered for a counter, an internal name for a histogram's parts. */
const char *metrics_slot_name(guint slot);
/* This process's count in SLOT. */
guint64 metrics_slot_value(guint slot);

/* What a scrape adds to this process's own counts. */
typedef struct {
	const guint64 *extra; /* metrics_n_slots() values added slot by slot; NULL: none */
	int store_up;         /* mail2sms_store_up: 1, 0, or -1 (no store: not rendered) */
} MetricsView;

/* Appends every series to OUT in the text format 0.0.4. */
void metrics_render(GString *out, const MetricsView *view);

#endif
