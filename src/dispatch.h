/* dispatch.h: posts the jobs of a plan and logs one line per job. */
#ifndef M2S_DISPATCH_H
#define M2S_DISPATCH_H

#include "message.h"
#include "metrics.h"
#include "runtime.h"

typedef struct {
	GString *ids;          /* "1,2,3" over every job sent */
	gboolean no_store;     /* the state store was down: decided as without one */
	GString *receivers;    /* "+33...,+33..." valid receivers */
	GString *invalid;      /* receivers OVH refused in jobs otherwise sent */
	double credits;
	GString *held;         /* receivers over a [limits] limit, held for a digest */
	char *held_reason;     /* the first reason: "10/1h to +3361234xxxx" */
	GString *duplicate;    /* receivers that got the same text within duplicate_window */
	GString *earlier_ids;  /* the ids they got then */
} DispatchReport;

/* Called before each job, so that a front end can tell its MTA it is still alive. */
typedef void (*DispatchProgress)(void *arg);

typedef enum {
	DISPATCH_EARLIER = 1 << 0,   /* sent by an earlier attempt: nothing posted now */
	DISPATCH_NO_STORE = 1 << 1,  /* the state store was down: decided as without one */
	DISPATCH_PAGED = 1 << 2,     /* every number paged by another job of the mail */
} DispatchHow;

typedef enum {
	/* Ask OVH by tag before posting when no store decides (dispatch_job's ASK). */
	DISPATCH_ASK = 1 << 0,
	/* Each call plans part of the mail's recipients (the delivery agent): a number the
	 * mail's other jobs paged is not paged again (the store's number claim, keyed by the
	 * Message-ID, else the queue id). */
	DISPATCH_ONCE_PER_MAIL = 1 << 1,
} DispatchFlags;

/* The fate of one JOB. With a state store its tag is claimed first: sent already (recorded
 * ids), being sent by someone else (M2S_ERR_BUSY), in doubt (OVH asked by tag; a doubtful
 * attempt younger than settle_time waits, M2S_ERR_BUSY), else posted and its outcome
 * recorded with MAIL (may be NULL). Without one (or with one down and on_store_error =
 * degrade) this process's memory decides, and OVH is asked by tag when an attempt is in
 * doubt or with ASK (the delivery agent, whose earlier attempts ran in other processes).
 * SENDER, when not NULL, replaces the configured one. *HOW says how it went. NULL with
 * *err when it did not go out, or when OVH had to be asked and could not be: posting then
 * could send it twice. */
OvhJobResult *dispatch_job(Runtime *rt, const MsgJob *job, const StoreMail *mail,
                           const char *sender, gboolean ask, DispatchHow *how, GError **err);

/* Posts every job of PLAN. A transient failure stops there; a permanent one does not hold
 * back the other jobs. FALSE with the (first) failure in *err; the jobs sent are in REPORT
 * either way. Each job goes through dispatch_job, with FLAGS. QUEUE_ID (may be NULL)
 * prefixes the log lines and, with SENDER (the envelope sender), is kept with each job
 * sent. */
gboolean dispatch_plan(Runtime *rt, const MsgPlan *plan, const char *queue_id,
                       const char *sender, DispatchFlags flags, DispatchProgress progress,
                       void *arg, DispatchReport *report, GError **err);
/* What became of a mail dispatch_plan sent, for mail2sms_mails_total: sent when an SMS
 * went (now or at an earlier attempt), else held, else a duplicate. */
MetricsMail dispatch_mail_result(const DispatchReport *report);
void dispatch_report_clear(DispatchReport *report);

#endif
