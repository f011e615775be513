/* reports.c: delivery reports (reports.h): a sent SMS's state, from OVH's callback or a
 * poll, mailed to the job's envelope sender as an RFC 3464 report (dsn.c).
 *
 * Promises: a report only for an SMS of a job the store keeps (an id OVH or a caller made
 * up is never mailed), only when the recipient's NOTIFY= (kept per receiver when one was
 * given) or [reports] notify asks for its action, never to the null sender, and at most
 * once per SMS and action across every process and host sharing the store (counted there
 * before the mail is handed over; given back when the MTA refused it). Polling costs one
 * request per list and one per SMS that needs a report, never one per SMS sent. It must
 * not block the mail path: reports_job_sent writes at most a few store values and, for
 * receivers OVH refused, hands one report to the MTA. */
#include <string.h>
#include <syslog.h>
#include "reports.h"
#include "address.h"
#include "dsn.h"
#include "error.h"
#include "metrics.h"
#include "ovh_twoway.h"
#include "sendmail.h"
#include "store.h"

/* Store names: the receivers' NOTIFY= of a job (a text), a report mailed (a value), and
 * the last time a job asked for delivery reports of success (a value). */
#define NOTIFY_PREFIX "notify:"
#define DONE_PREFIX "report:"
#define SUCCESS_ASKED "reports:success-asked"

/* deliveryReceipt values OVH lists by: 1 delivered, 2 failed. */
#define DLR_DELIVERED 1
#define DLR_FAILED 2

gboolean reports_parse_notify(const char *value, guint *flags)
{
	g_auto(GStrv) words = g_strsplit(value, ",", -1);
	guint f = 0;

	if (words[0] == NULL)
		return FALSE;
	if (g_ascii_strcasecmp(value, "NEVER") == 0) {
		*flags = 0;
		return TRUE;
	}
	for (char **w = words; *w != NULL; w++) {
		if (g_ascii_strcasecmp(*w, "SUCCESS") == 0)
			f |= CFG_NOTIFY_SUCCESS;
		else if (g_ascii_strcasecmp(*w, "FAILURE") == 0)
			f |= CFG_NOTIFY_FAILURE;
		else if (g_ascii_strcasecmp(*w, "DELAY") == 0)
			f |= CFG_NOTIFY_DELAY;
		else
			return FALSE;
	}
	*flags = f;
	return TRUE;
}

char *reports_envelope_address(const char *sender)
{
	g_autofree char *s = g_strstrip(g_strdup(sender != NULL ? sender : ""));
	gsize len = strlen(s);

	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s[len - 1] = '\0';
		memmove(s, s + 1, len - 1);
		g_strstrip(s);
	}
	return *s != '\0' ? g_steal_pointer(&s) : NULL;
}

const char *reports_domain(const Cfg *cfg)
{
	return cfg->addr_domains[0] != NULL ? cfg->addr_domains[0] : g_get_host_name();
}

char *reports_number_address(const Cfg *cfg, const char *number)
{
	return g_strconcat(number, "@", reports_domain(cfg), NULL);
}

/* The receiver the SMS ID went to: ids and receivers are kept in the same order (OVH
 * answers one id per valid receiver). NULL when ID is not among them. */
static char *receiver_of(const StoreJobMeta *meta, gint64 id)
{
	g_auto(GStrv) ids = g_strsplit(meta->ids, ",", -1);
	g_auto(GStrv) receivers = g_strsplit(meta->receivers, ",", -1);
	guint n = g_strv_length(receivers);

	for (guint i = 0; ids[i] != NULL && i < n; i++)
		if (g_ascii_strtoll(ids[i], NULL, 10) == id)
			return g_strdup(receivers[i]);
	return NULL;
}

/* The CfgNotify flags of RECEIVER in the job TAG: its NOTIFY= as kept, else the default. */
static guint notify_of(const Cfg *cfg, Store *st, const char *tag, const char *receiver)
{
	g_autofree char *name = g_strconcat(NOTIFY_PREFIX, tag, NULL);
	g_autofree char *text = NULL;
	gint64 at = 0;

	if (!store_get_text(st, name, &text, &at, NULL) || text == NULL)
		return cfg->reports_notify;
	g_auto(GStrv) pairs = g_strsplit(text, ";", -1);
	for (char **p = pairs; *p != NULL; p++) {
		char *eq = strrchr(*p, '=');
		if (eq != NULL && (gsize)(eq - *p) == strlen(receiver) &&
		    strncmp(*p, receiver, eq - *p) == 0)
			return (guint)g_ascii_strtoull(eq + 1, NULL, 10);
	}
	return cfg->reports_notify;
}

/* The NOTIFY= word a report of ACTION needs: RFC 3461 sends "relayed" (OVH lost track of
 * it) only to whoever asked for success. */
static guint notify_needed(DsnAction action)
{
	return action == DSN_FAILED ? CFG_NOTIFY_FAILURE
	       : action == DSN_DELAYED ? CFG_NOTIFY_DELAY : CFG_NOTIFY_SUCCESS;
}

static const char *action_name(DsnAction action)
{
	static const char *const names[] = {
		[DSN_FAILED] = "failed", [DSN_DELAYED] = "delayed",
		[DSN_DELIVERED] = "delivered", [DSN_RELAYED] = "relayed",
	};
	return names[action];
}

/* Hands the report D to the MTA: from the null sender (a report is never bounced), to its
 * To, written by MAILER-DAEMON at the gateway's domain (dsn.c's default for the
 * Reporting-MTA). */
static gboolean mail_report(const Cfg *cfg, Dsn *d, GError **err)
{
	d->reporting_mta = reports_domain(cfg);
	g_autofree char *text = dsn_build(d);

	if (text == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_DATA, "no report can be written to '%s'", d->to);
		return FALSE;
	}
	return sendmail_deliver(cfg->reports_sendmail, text, "<>",
	                        (const char *const[]){ d->to, NULL }, err);
}

/* What a report on the SMS ID needs, read from the store: its job, its receiver and the
 * bare address of the job's sender. */
typedef struct {
	StoreJobMeta meta;
	char *receiver;
	char *to;
} Target;

static void target_clear(Target *t)
{
	store_job_meta_clear(&t->meta);
	g_free(t->receiver);
	g_free(t->to);
	memset(t, 0, sizeof *t);
}

/* Reads *T for the SMS ID: 1, 0 when no job the store keeps has it (T cleared), -1 with
 * *ERR when the store failed. */
static int target_read(Store *st, gint64 id, Target *t, GError **err)
{
	memset(t, 0, sizeof *t);
	int found = store_lookup_job(st, id, &t->meta, err);
	if (found <= 0)
		return found;
	t->receiver = receiver_of(&t->meta, id);
	t->to = reports_envelope_address(t->meta.sender);
	return 1;
}

/* TRUE when a report of ACTION is asked for T: the receiver's NOTIFY= (or the default)
 * takes ACTION, and the sender is not null. */
static gboolean target_asked(const Cfg *cfg, Store *st, const Target *t, DsnAction action)
{
	return t->receiver != NULL && t->to != NULL &&
	       (notify_of(cfg, st, t->meta.tag, t->receiver) & notify_needed(action));
}

/* The store's name for "the report of ACTION on the SMS ID was mailed". */
static char *done_name(gint64 id, DsnAction action)
{
	return g_strdup_printf(DONE_PREFIX "%" G_GINT64_FORMAT ":%s", id, action_name(action));
}

ReportOutcome reports_state(Runtime *rt, gint64 id, int ptt, int dlr, gint64 now,
                            GError **err)
{
	const Cfg *cfg = runtime_cfg(rt);
	g_autoptr(GError) e = NULL;
	Store *st = runtime_store(rt, &e);
	DsnAction action;
	const char *status, *text;
	Target t;

	if (st == NULL) {
		if (e == NULL)
			return REPORT_UNKNOWN;  /* store = none: no job is kept */
		g_propagate_error(err, g_steal_pointer(&e));
		return REPORT_ERROR;
	}
	/* An unknown id is told apart from one that needs no report (the callback's 404). */
	int known = target_read(st, id, &t, err);
	if (known <= 0)
		return known < 0 ? REPORT_ERROR : REPORT_UNKNOWN;
	if (!dsn_from_ptt(ptt, dlr, &action, &status, &text) || !target_asked(cfg, st, &t, action)) {
		target_clear(&t);
		return REPORT_NOTHING;
	}
	g_autofree char *done = done_name(id, action);
	gint64 total = 0;
	ReportOutcome out = REPORT_NOTHING;
	if (!store_add_value(st, done, 1, now, &total, err)) {
		target_clear(&t);
		return REPORT_ERROR;
	}
	if (total == 1) {
		g_autofree char *final = reports_number_address(cfg, t.receiver);
		g_autofree char *diag = dsn_diagnostic(ptt, text);
		g_autofree char *masked = addr_mask(t.receiver, cfg->log_numbers_full);
		DsnRecipient rc = { .final_recipient = final, .action = action, .status = status,
		                    .diagnostic = diag, .last_attempt = now };
		Dsn d = { .to = t.to, .message_id = *t.meta.message_id ? t.meta.message_id : NULL,
		          .subject = t.meta.subject, .arrival = t.meta.sent_at, .now = now,
		          .rcpts = &rc, .n_rcpts = 1 };
		if (mail_report(cfg, &d, err)) {
			metrics_twoway(METRICS_TWOWAY_REPORT);
			syslog(LOG_INFO, "report: id=%" G_GINT64_FORMAT " receiver=%s %s status=%s "
			       "ptt=%d mailed to %s", id, masked, action_name(action), status, ptt,
			       t.to);
			out = REPORT_MAILED;
		} else {
			/* Not mailed: the next callback or poll of this state may try again. */
			store_add_value(st, done, -1, now, NULL, NULL);
			out = REPORT_ERROR;
		}
	}
	target_clear(&t);
	return out;
}

/* TRUE when SMS ID needs a report of ACTION the store has not recorded as mailed: ours,
 * asked for, to a sender. Costs store reads, no request. */
static gboolean wanted(const Cfg *cfg, Store *st, gint64 id, DsnAction action)
{
	Target t;
	gint64 v = 0, at = 0;

	if (target_read(st, id, &t, NULL) <= 0)
		return FALSE;
	gboolean asked = target_asked(cfg, st, &t, action);
	target_clear(&t);
	g_autofree char *done = done_name(id, action);
	return asked && store_get_value(st, done, &v, &at, NULL) && v <= 0;
}

int reports_poll(Runtime *rt, gint64 now, GError **err)
{
	const Cfg *cfg = runtime_cfg(rt);
	OvhClient *c = runtime_ovh(rt);
	Store *st = runtime_store(rt, err);
	/* An SMS changes state until its validity runs out; an hour more for OVH's lag. */
	gint64 since = now - (gint64)cfg->sms_validity * 60 - 3600;
	int mailed = 0;

	if (st == NULL)
		return err != NULL && *err != NULL ? -1 : 0;
	g_autoptr(GArray) failed = ovh_outgoing_by_receipt(c, DLR_FAILED, since, err);
	if (failed == NULL)
		return -1;
	for (guint i = 0; i < failed->len; i++) {
		gint64 id = g_array_index(failed, gint64, i);
		OvhOutgoing o;
		g_autoptr(GError) e = NULL;

		if (!wanted(cfg, st, id, DSN_FAILED))
			continue;
		/* The code that says why is only in the SMS itself. */
		if (!ovh_outgoing_get(c, id, &o, &e)) {
			syslog(LOG_WARNING, "reports: SMS %" G_GINT64_FORMAT ": %s (the next poll tries "
			       "again)", id, e->message);
			continue;
		}
		if (reports_state(rt, id, o.ptt, o.dlr, now, &e) == REPORT_MAILED)
			mailed++;
		else if (e != NULL)
			syslog(LOG_WARNING, "reports: SMS %" G_GINT64_FORMAT ": %s", id, e->message);
		ovh_outgoing_clear(&o);
	}
	gint64 asked = 0, asked_at = 0;
	if (!(cfg->reports_notify & CFG_NOTIFY_SUCCESS) &&
	    (!store_get_value(st, SUCCESS_ASKED, &asked, &asked_at, NULL) || asked_at < since))
		return mailed;
	g_autoptr(GArray) delivered = ovh_outgoing_by_receipt(c, DLR_DELIVERED, since, err);
	if (delivered == NULL)
		return -1;
	for (guint i = 0; i < delivered->len; i++) {
		gint64 id = g_array_index(delivered, gint64, i);
		g_autoptr(GError) e = NULL;

		if (!wanted(cfg, st, id, DSN_DELIVERED))
			continue;
		/* Listed as delivered: ptt 4, no need to read it. */
		if (reports_state(rt, id, 4, DLR_DELIVERED, now, &e) == REPORT_MAILED)
			mailed++;
		else if (e != NULL)
			syslog(LOG_WARNING, "reports: SMS %" G_GINT64_FORMAT ": %s", id, e->message);
	}
	return mailed;
}

/* The NOTIFY= flags of NUMBER in JOB: those of the first of its addresses that gave one and
 * pages NUMBER; -1 when none did. */
static int job_notify(const Cfg *cfg, const MsgPlan *plan, const MsgJob *job, const char *number)
{
	for (guint i = 0; job->addresses != NULL && i < job->addresses->len; i++) {
		g_autofree char *lower = g_ascii_strdown(job->addresses->pdata[i], -1);
		gpointer v = g_hash_table_lookup(plan->notify, lower);
		if (v == NULL)
			continue;
		g_autoptr(GPtrArray) numbers = g_ptr_array_new_with_free_func(g_free);
		addr_classify(cfg, job->addresses->pdata[i], numbers, NULL);
		for (guint k = 0; k < numbers->len; k++)
			if (strcmp(numbers->pdata[k], number) == 0)
				return (int)GPOINTER_TO_UINT(v) - 1;
	}
	return -1;
}

/* The report of the receivers OVH refused in a job that went out, mailed now. */
static void report_refused(const Cfg *cfg, const MsgPlan *plan, const char *sender,
                           const MsgJob *job, const OvhJobResult *r, gint64 now)
{
	g_autoptr(GArray) rcpts = g_array_new(FALSE, TRUE, sizeof(DsnRecipient));
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < r->invalid->len; i++) {
		const char *number = r->invalid->pdata[i];
		int f = plan->notify != NULL ? job_notify(cfg, plan, job, number) : -1;
		if (!((f < 0 ? cfg->reports_notify : (guint)f) & CFG_NOTIFY_FAILURE))
			continue;
		char *final = reports_number_address(cfg, number);
		g_ptr_array_add(keep, final);
		DsnRecipient rc = { .final_recipient = final, .action = DSN_FAILED,
		                    .status = DSN_REFUSED_STATUS, .diagnostic = DSN_REFUSED_TEXT,
		                    .last_attempt = now };
		g_array_append_val(rcpts, rc);
	}
	if (rcpts->len == 0)
		return;
	Dsn d = { .to = sender,
	          .message_id = plan->message_id, .subject = plan->subject, .arrival = now,
	          .now = now, .rcpts = (DsnRecipient *)rcpts->data, .n_rcpts = rcpts->len };
	g_autoptr(GError) e = NULL;
	if (mail_report(cfg, &d, &e)) {
		metrics_twoway(METRICS_TWOWAY_REPORT);
		syslog(LOG_INFO, "report: tag=%s %u receivers refused by OVH: failed status="
		       DSN_REFUSED_STATUS " mailed to %s", job->tag, rcpts->len, sender);
	} else
		syslog(LOG_ERR, "report: tag=%s %u receivers refused by OVH, the report to %s was "
		       "not mailed: %s", job->tag, rcpts->len, sender, e->message);
}

void reports_job_sent(Runtime *rt, const MsgPlan *plan, const char *sender, const MsgJob *job,
                      const OvhJobResult *r)
{
	const Cfg *cfg = runtime_cfg(rt);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	g_autofree char *to = reports_envelope_address(sender);

	if (to != NULL && r->invalid->len > 0)
		report_refused(cfg, plan, to, job, r, now);
	if (plan->notify == NULL || to == NULL)
		return;
	/* Only what differs from the default is kept: most mail gives no NOTIFY= at all. */
	g_autoptr(GString) text = g_string_new(NULL);
	gboolean success = FALSE;
	for (guint i = 0; i < r->valid->len; i++) {
		int f = job_notify(cfg, plan, job, r->valid->pdata[i]);
		if (f < 0 || (guint)f == cfg->reports_notify)
			continue;
		g_string_append_printf(text, "%s%s=%d", text->len ? ";" : "",
		                       (char *)r->valid->pdata[i], f);
		success |= (f & CFG_NOTIFY_SUCCESS) != 0;
	}
	if (text->len == 0)
		return;
	g_autoptr(GError) e = NULL;
	Store *st = runtime_store(rt, &e);
	g_autofree char *name = g_strconcat(NOTIFY_PREFIX, job->tag, NULL);
	if (st == NULL || !store_set_text(st, name, text->str, now, &e) ||
	    (success && !store_set_value(st, SUCCESS_ASKED, 1, now, &e)))
		syslog(LOG_ERR, "tag=%s: the recipients' NOTIFY= is not kept, the default applies: "
		       "%s", job->tag, e != NULL ? e->message : "no state store");
}
