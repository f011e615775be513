/* replies.c: SMS replies (replies.h): OVH's incoming SMS, each mailed to the envelope
 * sender of the job it answers, from the number's own address, so that answering the mail
 * pages the number again: a conversation.
 *
 * An incoming SMS carries no link to the SMS it answers: it is matched by the tag OVH
 * repeats (when it does), else by its number, to the last job sent to that number within
 * [replies] window; one that matches nothing goes to unmatched_to. Exactly once: its id is
 * claimed in the store (one process handles it), marked just before the mail is handed
 * over, recorded once the MTA took it, and only then deleted at OVH. A process that stops
 * after the mark leaves a reply that may have been mailed: it is deleted, never mailed
 * again (a reply lost in that instant rather than one mailed twice). It must not delete an
 * incoming SMS the MTA did not take. */
#include <string.h>
#include <syslog.h>
#include "replies.h"
#include "address.h"
#include "error.h"
#include "metrics.h"
#include "ovh_twoway.h"
#include "reply_mail.h"
#include "reports.h"
#include "sendmail.h"
#include "store.h"

/* Store names: an incoming SMS's claim (a tag), its mark before mailing (a value); a
 * number's last job and a tag's job (values: the job's first SMS id). */
#define CLAIM_PREFIX "reply:"
#define MAILING_PREFIX "reply-mailing:"
#define NUMBER_PREFIX "reply-to:"
#define TAG_PREFIX "reply-tag:"

void replies_job_sent(Runtime *rt, const MsgJob *job, const OvhJobResult *r)
{
	const Cfg *cfg = runtime_cfg(rt);
	g_autoptr(GError) e = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (!cfg->replies_enable || r->ids->len == 0)
		return;
	Store *st = runtime_store(rt, &e);
	gint64 first = g_array_index(r->ids, gint64, 0);
	g_autofree char *tag = g_strconcat(TAG_PREFIX, job->tag, NULL);
	gboolean ok = st != NULL && store_set_value(st, tag, first, now, &e);
	for (guint i = 0; ok && i < r->valid->len; i++) {
		g_autofree char *name = g_strconcat(NUMBER_PREFIX, (char *)r->valid->pdata[i], NULL);
		ok = store_set_value(st, name, first, now, &e);
	}
	if (!ok)
		syslog(LOG_ERR, "tag=%s: replies to it will not find it: %s", job->tag,
		       e != NULL ? e->message : "no state store");
}

/* The job the value NAME points to, if set within WINDOW before AT: 1 with *META. */
static int job_by_value(Store *st, const char *name, gint64 at, gint64 window,
                        StoreJobMeta *meta)
{
	gint64 id = 0, set_at = 0;

	if (!store_get_value(st, name, &id, &set_at, NULL) || id <= 0 || set_at + window < at)
		return 0;
	return store_lookup_job(st, id, meta, NULL) > 0;
}

/* The job IN answers: by its tag, else by its number; 1 with *META, 0 for none. */
static int match(const Cfg *cfg, Store *st, const OvhIncoming *in, const char *number,
                 gint64 now, StoreJobMeta *meta)
{
	gint64 at = in->created > 0 ? in->created : now;

	if (*in->tag != '\0') {
		g_autofree char *name = g_strconcat(TAG_PREFIX, in->tag, NULL);
		if (job_by_value(st, name, at, cfg->replies_window, meta))
			return 1;
	}
	if (number == NULL)
		return 0;
	g_autofree char *name = g_strconcat(NUMBER_PREFIX, number, NULL);
	return job_by_value(st, name, at, cfg->replies_window, meta);
}

/* Mails the incoming SMS IN (claimed as TAG at NOW); TRUE once the MTA took it. */
static gboolean mail_reply(Runtime *rt, Store *st, const OvhIncoming *in, const char *mark,
                           gint64 now, GError **err)
{
	const Cfg *cfg = runtime_cfg(rt);
	StoreJobMeta meta = { 0 };
	g_autofree char *number = addr_number_normalise(cfg, in->sender, NULL);
	int matched = match(cfg, st, in, number, now, &meta);
	g_autofree char *sender = matched ? reports_envelope_address(meta.sender) : NULL;
	const char *to = sender != NULL ? sender : cfg->replies_unmatched_to;
	g_autofree char *from = reports_number_address(cfg, number != NULL ? number : in->sender);
	ReplyMail rm = { .from = from, .to = to,
	                 .subject = matched ? meta.subject : NULL,
	                 .in_reply_to = matched && *meta.message_id ? meta.message_id : NULL,
	                 .text = in->message, .id = in->id,
	                 .received = in->created > 0 ? in->created : now,
	                 .hostname = reports_domain(cfg) };
	g_autofree char *text = reply_mail_build(&rm);
	g_autofree char *masked = addr_mask(number != NULL ? number : in->sender,
	                                    cfg->log_numbers_full);
	gboolean ok;

	if (text == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_DATA, "no reply can be written to '%s'", to);
		store_job_meta_clear(&meta);
		return FALSE;
	}
	/* From here, a process that stops may have mailed it. */
	ok = store_set_value(st, mark, 1, now, err) &&
	     sendmail_deliver(cfg->reports_sendmail, text, "<>",
	                      (const char *const[]){ to, NULL }, err);
	if (!ok) {
		store_set_value(st, mark, 0, now, NULL);
	} else {
		metrics_twoway(matched ? METRICS_TWOWAY_REPLY : METRICS_TWOWAY_REPLY_UNMATCHED);
		syslog(LOG_INFO, "reply: id=%" G_GINT64_FORMAT " from=%s %s%s: mailed to %s",
		       in->id, masked, matched ? "answers ids=" : "matches no job",
		       matched ? meta.ids : "", to);
	}
	store_job_meta_clear(&meta);
	return ok;
}

/* One incoming SMS ID: 1 mailed, 0 not (mailed before, someone else's, or left for the next
 * poll), -1 with *err when the store failed. */
static int handle(Runtime *rt, Store *st, OvhClient *c, gint64 id, gint64 now, GError **err)
{
	const Cfg *cfg = runtime_cfg(rt);
	g_autofree char *tag = g_strdup_printf(CLAIM_PREFIX "%" G_GINT64_FORMAT, id);
	g_autofree char *mark = g_strdup_printf(MAILING_PREFIX "%" G_GINT64_FORMAT, id);
	g_autoptr(GError) e = NULL;
	int mailed = 0;

	switch (store_claim(st, tag, now, cfg->state_claim_timeout, NULL, err)) {
	case CLAIM_ERROR:
		return -1;
	case CLAIM_BUSY:
		return 0;
	case CLAIM_IN_DOUBT: {
		/* A process stopped while handling it: mailed already if it had marked it. */
		gint64 v = 0, at = 0;
		if (!store_get_value(st, mark, &v, &at, err))
			return -1;
		if (v > 0) {
			syslog(LOG_WARNING, "reply: id=%" G_GINT64_FORMAT " may have been mailed by a "
			       "process that stopped: not mailed again", id);
			break;
		}
		/* It was not mailed: handled as a new one. */
		G_GNUC_FALLTHROUGH;
	}
	case CLAIM_WON: {
		g_autoptr(OvhIncoming) in = ovh_incoming_get(c, id, &e);
		if (in == NULL || !mail_reply(rt, st, in, mark, now, &e)) {
			syslog(LOG_WARNING, "reply: id=%" G_GINT64_FORMAT ": %s (the next poll tries "
			       "again)", id, e->message);
			store_release(st, tag, now, NULL);
			return 0;
		}
		mailed = 1;
		break;
	}
	case CLAIM_SENT:
		break;  /* mailed, not deleted yet */
	}
	if (!store_sent(st, tag, now, "", 0, "", NULL, &e))
		syslog(LOG_ERR, "reply: id=%" G_GINT64_FORMAT ": mailed, but %s", id, e->message);
	else if (!ovh_incoming_delete(c, id, &e))
		syslog(LOG_WARNING, "reply: id=%" G_GINT64_FORMAT ": mailed, not deleted at OVH "
		       "yet: %s", id, e->message);
	return mailed;
}

int replies_poll(Runtime *rt, gint64 now, GError **err)
{
	OvhClient *c = runtime_ovh(rt);
	Store *st = runtime_store(rt, err);
	int mailed = 0;

	if (st == NULL) {
		if (err != NULL && *err == NULL)
			g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "[replies] needs a state store");
		return -1;
	}
	g_autoptr(GArray) ids = ovh_incoming_ids(c, err);
	if (ids == NULL)
		return -1;
	for (guint i = 0; i < ids->len; i++) {
		int r = handle(rt, st, c, g_array_index(ids, gint64, i), now, err);
		if (r < 0)
			return mailed > 0 ? mailed : -1;
		mailed += r;
	}
	return mailed;
}
