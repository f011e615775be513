/* flush.c: the digests that are due, each one SMS that sums up the alerts [limits] held for
 * one number, sent exactly once whichever process (a milter's digest thread, `mail2sms
 * flush` from its timer, on any mail server of a shared store) gets there first.
 *
 * A digest is due when its number may receive an SMS again (per_receiver has room, or,
 * with per_sender alone, one digest per per_sender window), outside its quiet hours, and
 * before the day's credits are spent. The store moves the held alerts into the digest's
 * tag in one step; the tag is claimed and posted like any job, so a taker that dies leaves
 * a digest the next pass finds, in doubt, and asks OVH about. A digest that certainly did
 * not go gives its alerts back to be counted in the next one: none is dropped uncounted.
 * It must not apply the limits to the digest itself again: it counted its place here. */
#include <string.h>
#include <syslog.h>
#include "flush.h"
#include "address.h"
#include "digest.h"
#include "dispatch.h"
#include "error.h"
#include "flood.h"
#include "metrics.h"

/* A digest tag: OVH allows 20 characters; a job's are "m2s" and 17 hex digits, so "m2sz",
 * which no job tag starts with, tells a digest apart in OVH's lists and in the logs. */
#define FLUSH_TAG_PREFIX "m2sz"
#define FLUSH_TAG_HEX 16

/* A new digest's tag, unique to QUEUE and this moment. */
static char *digest_tag(const char *queue, gint64 now)
{
	g_autofree char *seed = g_strdup_printf("%s|%" G_GINT64_FORMAT "|%u", queue, now,
	                                        g_random_int());
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);

	sum[FLUSH_TAG_HEX] = '\0';
	return g_strconcat(FLUSH_TAG_PREFIX, sum, NULL);
}

/* The window a new digest to NUMBER takes a place in: per_receiver's (the digest is an SMS
 * to that number like any other), else one digest per per_sender window. *KEY NULL: no
 * window, the digest goes at once. */
static void digest_window(const Cfg *cfg, const char *number, char **key, gint64 *window_ms,
                          guint *limit)
{
	*key = NULL;
	if (cfg->limits_per_receiver.n != 0) {
		*key = flood_receiver_key(number);
		*window_ms = (gint64)cfg->limits_per_receiver.seconds * 1000;
		*limit = cfg->limits_per_receiver.n;
	} else if (cfg->limits_per_sender.n != 0) {
		*key = g_strconcat("digest:", number, NULL);
		*window_ms = (gint64)cfg->limits_per_sender.seconds * 1000;
		*limit = 1;
	}
}

/* The digest's job: its text to NUMBER under TAG, at most max_segments parts. */
static MsgJob *digest_job(const Cfg *cfg, const char *number, const char *tag,
                          const StoreHeld *h)
{
	const LimitRate *limit = cfg->limits_per_receiver.n != 0 ? &cfg->limits_per_receiver
	                                                          : NULL;
	g_autofree char *whole = digest_text(h->count, h->first_at, h->last_at, limit,
	                                     h->summaries, cfg->limits_tz, 0);
	GsmEncoding enc = gsm_encoding(whole, cfg->sms_transliterate);
	g_autofree char *text = digest_text(h->count, h->first_at, h->last_at, limit, h->summaries,
	                                    cfg->limits_tz,
	                                    gsm_capacity(enc, cfg->sms_max_segments));
	MsgJob *job = msg_job_new(tag, gsm_prepare(text, cfg->sms_max_segments,
	                                           cfg->sms_transliterate));

	g_ptr_array_add(job->receivers, g_strdup(number));
	return job;
}

/* Takes QUEUE's held alerts into a digest and posts it: 1 sent, 0 not due or nothing to
 * send, -1 failed (logged; the alerts wait for the next pass). */
static int flush_one(Runtime *rt, Store *st, const StoreHeldQueue *q, gint64 now)
{
	const Cfg *cfg = runtime_cfg(rt);
	g_autofree char *tag = q->digest_tag ? g_strdup(q->digest_tag) : NULL;
	g_autofree char *key = NULL;
	gint64 window_ms = 0, quiet_end;
	guint limit = 0;
	StoreWindow w = { .admitted = TRUE };
	g_autoptr(GError) e = NULL;

	if (tag == NULL) {
		/* A new digest: its number's turn, outside its quiet hours. A digest taken
		 * earlier and not done goes again at once: it counted its place then. */
		if (flood_quiet(cfg, q->queue, now, &quiet_end))
			return 0;
		digest_window(cfg, q->queue, &key, &window_ms, &limit);
		if (key != NULL && !store_window_take(st, key, now * 1000, window_ms, limit, &w, &e)) {
			syslog(LOG_ERR, "digest: %s", e->message);
			return -1;
		}
		if (!w.admitted)
			return 0;
		tag = digest_tag(q->queue, now);
	}
	StoreHeld h = { 0 };
	if (!store_held_take(st, q->queue, tag, now, &h, &e)) {
		syslog(LOG_ERR, "digest: %s", e->message);
		if (key != NULL)
			store_window_give_back(st, key, now * 1000, NULL);
		return -1;
	}
	if (h.count == 0) {
		store_held_clear(&h);
		if (key != NULL)
			store_window_give_back(st, key, now * 1000, NULL);
		return 0;
	}
	MsgJob *job = digest_job(cfg, q->queue, tag, &h);
	StoreMail mail = { .subject = "digest" };
	DispatchHow how;
	g_autofree char *who = addr_mask(q->queue, cfg->log_numbers_full);
	OvhJobResult *r = dispatch_job(rt, job, &mail, NULL, FALSE, &how, &e);
	int rc = 1;

	if (r != NULL) {
		g_autofree char *ids = ovh_ids_text(r->ids);
		/* dispatch_job applies no limit, so counts no credit: the digest spent some. One
		 * found sent by an earlier pass has none here (OVH's listing gives no credits). */
		if (!(how & DISPATCH_EARLIER)) {
			flood_spend(cfg, st, r->credits, now);
			metrics_flood(METRICS_FLOOD_DIGEST);
		}
		store_held_done(st, tag, NULL);
		syslog(LOG_INFO, "digest %s ids=%s receivers=%s alerts=%u tag=%s",
		       how & DISPATCH_EARLIER ? "already sent" : "sent", ids, who, h.count, tag);
		ovh_job_result_free(r);
	} else {
		g_autofree char *why = addr_mask_text(e->message, cfg->log_numbers_full);
		gboolean maybe = g_error_matches(e, M2S_ERROR, M2S_ERR_NO_REPLY) ||
		                 g_error_matches(e, M2S_ERROR, M2S_ERR_SERVER) ||
		                 g_error_matches(e, M2S_ERROR, M2S_ERR_BUSY);
		/* Maybe sent (or being sent elsewhere): the digest stays, its tag says. */
		if (!maybe) {
			store_held_return(st, tag, NULL);
			if (key != NULL)
				store_window_give_back(st, key, now * 1000, NULL);
		}
		syslog(LOG_WARNING, "digest failed receivers=%s alerts=%u tag=%s reason=%s%s", who,
		       h.count, tag, why, maybe ? " (tried again at the next pass)" : "");
		rc = -1;
	}
	msg_job_free(job);
	store_held_clear(&h);
	return rc;
}

int flush_digests(Runtime *rt, gint64 now, GError **err)
{
	const Cfg *cfg = runtime_cfg(rt);
	g_autoptr(GPtrArray) queues = g_ptr_array_new();
	int sent = 0;
	Store *st = runtime_store(rt, err);

	if (st == NULL)
		return err == NULL || *err == NULL ? 0 : -1;
	if (!store_held_list(st, now, queues, err))
		return -1;
	/* The day's credits spent: digests wait for the next day like any SMS. */
	if (queues->len > 0 && flood_spent(cfg, st, now, NULL))
		return 0;
	for (guint i = 0; i < queues->len; i++)
		if (flush_one(rt, st, queues->pdata[i], now) > 0)
			sent++;
	return sent;
}
