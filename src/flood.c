/* flood.c: flood control, what [limits] lets one job do now, decided in the state store.
 *
 * Each receiver of a job goes through, in order: the duplicate window (the same text to the
 * same number, once), the daily credit cap, per_receiver and per_sender (sliding windows,
 * atomic in the store: exact with several processes and mail servers), then the quiet
 * hours. What is over a limit is held for a digest, deferred or refused (over_limit); what
 * a job counted is given back when it certainly did not go, so that a refused post costs
 * no place. It must not post, nor decide whether a job was sent (dispatch.c does, and calls
 * this between the claim and the post), nor hold anything in memory: the store is the count. */
#include <string.h>
#include <syslog.h>
#include "flood.h"
#include "address.h"
#include "error.h"
#include "metrics.h"
#include "quiet.h"
#include "safeline.h"

/* A sender quoted in a reason (an SMTP reply, a header): an address's length. */
#define FLOOD_SENDER_SHOWN 254
/* Bytes of the text's SHA-256 that name it in a duplicate key: plenty against collisions
 * among one number's texts of a few minutes. */
#define FLOOD_TEXT_HASH 32
/* Credits are counted in hundredths in the store, whose values are integers. */
#define FLOOD_CREDIT_UNIT 100
/* The window of a night's quiet key, fixed as every key's must be (store.h): longer than
 * any night (a day less a minute, an hour more when the clocks go back), so that the
 * night's first SMS counts until the night ends. A window shrinking to the time left would
 * forget it after the middle of the night, and let a second SMS through. The key names
 * the night's end: the next night has a key of its own. */
#define FLOOD_QUIET_WINDOW (25 * 3600)

/* COUNT_DUP_OWN: a duplicate key this job's earlier attempt holds, given back by nobody
 * (the attempt's place), but whose ids the job records once sent. */
typedef enum { COUNT_DUP, COUNT_DUP_OWN, COUNT_RECEIVER, COUNT_SENDER, COUNT_QUIET } CountKind;

/* One place a job took in a window. */
typedef struct {
	char *key;
	gint64 at_ms;
	CountKind kind;
	const char *receiver; /* the job's string */
} FloodCount;

static void count_clear(gpointer p)
{
	g_free(((FloodCount *)p)->key);
}

char *flood_receiver_key(const char *number)
{
	return g_strconcat(FLOOD_RECEIVER_PREFIX, number, NULL);
}

/* A sender's key: logins and addresses compared without case, and without the angle
 * brackets the milter sees around an envelope sender and pipe(8) leaves out. */
static char *sender_key(const char *sender)
{
	g_autofree char *low = g_utf8_strdown(sender ? sender : "", -1);
	gsize n = strlen(low);

	if (n >= 2 && low[0] == '<' && low[n - 1] == '>') {
		low[n - 1] = '\0';
		return g_strconcat(FLOOD_SENDER_PREFIX, low + 1, NULL);
	}
	return g_strconcat(FLOOD_SENDER_PREFIX, low, NULL);
}

static char *dup_key(const char *number, const char *text)
{
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
	sum[FLOOD_TEXT_HASH] = '\0';
	return g_strconcat("duplicate:", number, ":", sum, NULL);
}

/* The value that names the job (by its tag) holding a duplicate key's window. */
static char *dup_owner_name(const char *key)
{
	return g_strconcat("owner:", key, NULL);
}

/* A job's tag as a store value: 60 bits of its hash. */
static gint64 tag_value(const char *tag)
{
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, tag, -1);
	sum[15] = '\0';
	return g_ascii_strtoll(sum, NULL, 16);
}

/* The value that keeps the ids a duplicate key's first SMS got. */
static char *dup_ids_name(const char *key)
{
	return g_strconcat("ids:", key, NULL);
}

static char *credits_name(const Cfg *cfg, gint64 now)
{
	g_autofree char *day = limits_day(cfg->limits_tz, now);
	return g_strconcat("credits:", day, NULL);
}

gboolean flood_spent(const Cfg *cfg, Store *st, gint64 now, GError **err)
{
	g_autofree char *name = NULL;
	gint64 spent = 0, at = 0;

	if (cfg->limits_daily_credits == 0)
		return FALSE;
	name = credits_name(cfg, now);
	return store_get_value(st, name, &spent, &at, err) &&
	       spent >= (gint64)cfg->limits_daily_credits * FLOOD_CREDIT_UNIT;
}

/* "HH:MM" local, or "DD/MM HH:MM" when not today. */
static char *local_time(const Cfg *cfg, gint64 now, gint64 at)
{
	g_autoptr(GDateTime) l = limits_local(cfg->limits_tz, at);
	g_autoptr(GDateTime) ln = limits_local(cfg->limits_tz, now);

	if (g_date_time_get_day_of_year(l) == g_date_time_get_day_of_year(ln) &&
	    g_date_time_get_year(l) == g_date_time_get_year(ln))
		return g_date_time_format(l, "%H:%M");
	return g_date_time_format(l, "%d/%m %H:%M");
}

/* The next local midnight after NOW, when the daily cap frees. */
static gint64 next_midnight(const Cfg *cfg, gint64 now)
{
	g_autoptr(GDateTime) l = limits_local(cfg->limits_tz, now);
	g_autoptr(GDateTime) day = g_date_time_new(cfg->limits_tz, g_date_time_get_year(l),
	                                           g_date_time_get_month(l),
	                                           g_date_time_get_day_of_month(l), 0, 0, 0);
	g_autoptr(GDateTime) next = g_date_time_add_days(day, 1);
	return g_date_time_to_unix(next);
}

/* The error of over_limit = tempfail or reject, saying which limit and when it frees. */
static void over_error(const Cfg *cfg, const char *reason, gint64 now, gint64 frees_at,
                       GError **err)
{
	g_autofree char *when = local_time(cfg, now, frees_at);
	gboolean reject = cfg->limits_over_limit == CFG_OVER_REJECT;

	g_set_error(err, M2S_ERROR, reject ? M2S_ERR_NOPERM : M2S_ERR_FLOOD,
	            "over the limit %s, until %s", reason, when);
}

/* An SMS over a limit, deferred or refused (over_limit), in the figures. */
static void count_over(const Cfg *cfg)
{
	metrics_flood(cfg->limits_over_limit == CFG_OVER_REJECT ? METRICS_FLOOD_OVER_REJECT
	                                                        : METRICS_FLOOD_OVER_TEMPFAIL);
}

void flood_give_back(Store *st, const FloodJob *fj)
{
	for (guint i = 0; fj->counted && i < fj->counted->len; i++) {
		FloodCount *c = &g_array_index(fj->counted, FloodCount, i);
		if (c->kind != COUNT_DUP_OWN)
			store_window_give_back(st, c->key, c->at_ms, NULL);
	}
}

/* Gives back what RECEIVER counted so far in FJ, and forgets it there. */
static void give_back_receiver(Store *st, FloodJob *fj, const char *receiver)
{
	for (guint i = fj->counted->len; i > 0; i--) {
		FloodCount *c = &g_array_index(fj->counted, FloodCount, i - 1);
		if (c->receiver == receiver) {
			if (c->kind != COUNT_DUP_OWN)
				store_window_give_back(st, c->key, c->at_ms, NULL);
			g_array_remove_index(fj->counted, i - 1);
		}
	}
}

/* Takes a place in KEY's window for RECEIVER; *ADMITTED and *FREES_AT (seconds) say how. */
static gboolean take(Store *st, FloodJob *fj, char *key, CountKind kind, const char *receiver,
                     gint64 now_ms, gint64 window_s, guint limit, gboolean *admitted,
                     gint64 *frees_at, GError **err)
{
	StoreWindow w;
	gboolean ok = fj->dry ? store_window_count(st, key, now_ms, window_s * 1000, limit, &w, err)
	                      : store_window_take(st, key, now_ms, window_s * 1000, limit, &w, err);

	if (!ok) {
		g_free(key);
		return FALSE;
	}
	*admitted = w.admitted;
	*frees_at = (w.frees_at_ms + 999) / 1000;
	if (w.admitted && !fj->dry) {
		FloodCount c = { key, now_ms, kind, receiver };
		g_array_append_val(fj->counted, c);
	} else {
		g_free(key);
	}
	return TRUE;
}

/* A duplicate of RECEIVER's text within the window: its earlier ids in FJ; FALSE with
 * M2S_ERR_BUSY while the first is still being sent. *DUP FALSE: the first, counted. */
static gboolean duplicate(const Cfg *cfg, Store *st, FloodJob *fj, const MsgJob *job,
                          const char *receiver, gint64 now_ms, gboolean *dup, GError **err)
{
	g_autofree char *key = dup_key(receiver, job->sms->text);
	g_autofree char *name = dup_ids_name(key);
	g_autofree char *owner_name = dup_owner_name(key);
	gboolean admitted;
	gint64 frees_at, id = 0, at = 0, owner = 0, owner_at = 0;

	if (!take(st, fj, g_strdup(key), COUNT_DUP, receiver, now_ms,
	          cfg->limits_duplicate_window, 1, &admitted, &frees_at, err))
		return FALSE;
	*dup = !admitted;
	if (admitted)
		return fj->dry || store_set_value(st, owner_name, tag_value(job->tag), now_ms / 1000, err);
	if (!store_get_value(st, name, &id, &at, err))
		return FALSE;
	/* The ids must be those of the SMS holding the window (taken at FREES_AT - window,
	 * recorded by flood_sent with that same time): older ones are of an earlier window's
	 * SMS, and the one holding this window is still being sent. */
	if (at == 0 || at < frees_at - (gint64)cfg->limits_duplicate_window) {
		/* Unless it is this job's own earlier attempt, whose fate was in doubt and which
		 * OVH did not execute: that one is no other alert, and its place is this one. */
		if (!store_get_value(st, owner_name, &owner, &owner_at, err))
			return FALSE;
		if (owner_at > 0 && owner == tag_value(job->tag) &&
		    owner_at >= frees_at - (gint64)cfg->limits_duplicate_window) {
			FloodCount c = { g_strdup(key), now_ms, COUNT_DUP_OWN, receiver };
			if (!fj->dry)
				g_array_append_val(fj->counted, c);
			else
				g_free(c.key);
			*dup = FALSE;
			return TRUE;
		}
		g_set_error(err, M2S_ERROR, M2S_ERR_BUSY,
		            "the same text to this number is being sent by another session");
		return FALSE;
	}
	g_string_append_printf(fj->earlier_ids, "%s%" G_GINT64_FORMAT,
	                       fj->earlier_ids->len ? "," : "", id);
	g_ptr_array_add(fj->duplicate, (gpointer)receiver);
	if (!fj->dry)
		metrics_flood(METRICS_FLOOD_DUPLICATE);
	return TRUE;
}

/* per_receiver then per_sender for RECEIVER: *REASON (NULL: room) and *FREES_AT. */
static gboolean rates(const Cfg *cfg, Store *st, FloodJob *fj, const char *receiver,
                      const FloodMail *mail, gint64 now_ms, char **reason, gint64 *frees_at,
                      GError **err)
{
	gboolean ok = TRUE;

	*reason = NULL;
	if (cfg->limits_per_receiver.n != 0) {
		if (!take(st, fj, flood_receiver_key(receiver), COUNT_RECEIVER, receiver, now_ms,
		          cfg->limits_per_receiver.seconds, cfg->limits_per_receiver.n, &ok, frees_at,
		          err))
			return FALSE;
		if (!ok) {
			g_autofree char *l = limit_text(&cfg->limits_per_receiver);
			g_autofree char *m = addr_mask(receiver, cfg->log_numbers_full);
			*reason = g_strdup_printf("%s to %s", l, m);
			return TRUE;
		}
	}
	if (cfg->limits_per_sender.n != 0) {
		if (!take(st, fj, sender_key(mail->sender), COUNT_SENDER, receiver, now_ms,
		          cfg->limits_per_sender.seconds, cfg->limits_per_sender.n, &ok, frees_at,
		          err))
			return FALSE;
		if (!ok) {
			g_autofree char *l = limit_text(&cfg->limits_per_sender);
			g_autofree char *s = safeline(mail->sender, FLOOD_SENDER_SHOWN, FALSE);
			*reason = g_strdup_printf("%s from %s", l, s);
		}
	}
	return TRUE;
}

gboolean flood_quiet(const Cfg *cfg, const char *receiver, gint64 now, gint64 *ends_at)
{
	if (cfg->limits_quiet_hours.start == cfg->limits_quiet_hours.end)
		return FALSE;
	if (receiver != NULL && g_hash_table_contains(cfg->limits_exempt_numbers, receiver))
		return FALSE;
	return quiet_at(&cfg->limits_quiet_hours, cfg->limits_tz, now, ends_at);
}

/* The job is held back by the quiet hours: none of its numbers is exempt, the mail is not
 * urgent. A job with an exempt number goes at once to all of them: one SMS, one time. */
static gboolean job_quiet(const Cfg *cfg, const MsgJob *job, const FloodMail *mail,
                          gint64 now, gint64 *ends_at)
{
	if (mail->urgent || !flood_quiet(cfg, NULL, now, ends_at))
		return FALSE;
	for (guint i = 0; i < job->receivers->len; i++)
		if (g_hash_table_contains(cfg->limits_exempt_numbers, job->receivers->pdata[i]))
			return FALSE;
	return TRUE;
}

/* Holds RECEIVER's alert for a digest, giving back what it counted: the digest counts. */
static gboolean hold(Store *st, FloodJob *fj, const char *receiver, const FloodMail *mail,
                     const char *reason, gint64 now, GError **err)
{
	give_back_receiver(st, fj, receiver);
	if (!fj->dry && !store_hold(st, receiver, now, mail->summary, err))
		return FALSE;
	if (!fj->dry)
		metrics_flood(METRICS_FLOOD_HELD);
	g_ptr_array_add(fj->held, (gpointer)receiver);
	if (fj->reason == NULL)
		fj->reason = g_strdup(reason);
	return TRUE;
}

/* One receiver through the limits, with the job's quiet state; FALSE: the job fails. */
static gboolean decide_one(const Cfg *cfg, Store *st, const MsgJob *job, const FloodMail *mail,
                           const char *r, gint64 now, gboolean spent, gint64 quiet_end,
                           FloodJob *out, GError **err)
{
	gint64 now_ms = now * 1000, frees_at = now;
	g_autofree char *reason = NULL;
	gboolean dup = FALSE, admitted;

	if (cfg->limits_duplicate_window != 0) {
		if (!duplicate(cfg, st, out, job, r, now_ms, &dup, err))
			return FALSE;
		if (dup)
			return TRUE;
	}
	if (spent) {
		reason = g_strdup_printf("daily_credits = %u", cfg->limits_daily_credits);
		frees_at = next_midnight(cfg, now);
	} else if (!rates(cfg, st, out, r, mail, now_ms, &reason, &frees_at, err)) {
		return FALSE;
	}
	if (reason != NULL) {
		if (cfg->limits_over_limit == CFG_OVER_DIGEST)
			return hold(st, out, r, mail, reason, now, err);
		if (!out->dry)
			count_over(cfg);
		over_error(cfg, reason, now, frees_at, err);
		return FALSE;
	}
	if (quiet_end > 0) {
		/* The first SMS of the night goes with differedPeriod; the next ones wait for one
		 * digest at the end. */
		g_autofree char *key_end = g_strdup_printf("quiet:%s:%" G_GINT64_FORMAT, r, quiet_end);
		if (!take(st, out, g_steal_pointer(&key_end), COUNT_QUIET, r, now_ms,
		          FLOOD_QUIET_WINDOW, 1, &admitted, &frees_at, err))
			return FALSE;
		if (!admitted) {
			g_autofree char *until = local_time(cfg, now, quiet_end);
			g_autofree char *why = g_strdup_printf("quiet hours until %s", until);
			return hold(st, out, r, mail, why, now, err);
		}
		out->differed = (guint)quiet_differed_minutes(now, quiet_end);
	}
	g_ptr_array_add(out->now, (gpointer)r);
	return TRUE;
}

/* flood_decide, or with DRY flood_preview: the same path, reading the counts only. */
static gboolean decide(const Cfg *cfg, Store *st, const MsgJob *job, const FloodMail *mail,
                       gint64 now, gboolean dry, FloodJob *out, GError **err)
{
	gint64 quiet_end = 0;
	g_autoptr(GError) e = NULL;

	memset(out, 0, sizeof *out);
	out->dry = dry;
	out->now = g_ptr_array_new();
	out->held = g_ptr_array_new();
	out->duplicate = g_ptr_array_new();
	out->earlier_ids = g_string_new(NULL);
	out->counted = g_array_new(FALSE, FALSE, sizeof(FloodCount));
	g_array_set_clear_func(out->counted, count_clear);
	if (!job_quiet(cfg, job, mail, now, &quiet_end))
		quiet_end = 0;
	if (!cfg_limits_on(cfg) && quiet_end == 0) {
		for (guint i = 0; i < job->receivers->len; i++)
			g_ptr_array_add(out->now, job->receivers->pdata[i]);
		return TRUE;
	}
	gboolean over_cap = flood_spent(cfg, st, now, &e);
	if (e != NULL) {
		g_propagate_error(err, g_steal_pointer(&e));
		return FALSE;
	}
	for (guint i = 0; i < job->receivers->len; i++) {
		if (!decide_one(cfg, st, job, mail, job->receivers->pdata[i], now, over_cap,
		                quiet_end, out, err)) {
			flood_give_back(st, out);
			g_array_set_size(out->counted, 0);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean flood_decide(const Cfg *cfg, Store *st, const MsgJob *job, const FloodMail *mail,
                      gint64 now, FloodJob *out, GError **err)
{
	return decide(cfg, st, job, mail, now, FALSE, out, err);
}

gboolean flood_preview(const Cfg *cfg, Store *st, const MsgJob *job, const FloodMail *mail,
                       gint64 now, FloodJob *out, GError **err)
{
	return decide(cfg, st, job, mail, now, TRUE, out, err);
}

void flood_sent(const Cfg *cfg, Store *st, const FloodJob *fj, const OvhJobResult *r,
                gint64 now)
{
	for (guint i = 0; fj->counted && i < fj->counted->len; i++) {
		FloodCount *c = &g_array_index(fj->counted, FloodCount, i);
		if ((c->kind != COUNT_DUP && c->kind != COUNT_DUP_OWN) || r->ids->len == 0)
			continue;
		/* One id per valid receiver, in OVH's order: this receiver's, else the first. */
		gint64 id = g_array_index(r->ids, gint64, 0);
		for (guint j = 0; j < r->valid->len && r->valid->len == r->ids->len; j++)
			if (strcmp(r->valid->pdata[j], c->receiver) == 0)
				id = g_array_index(r->ids, gint64, j);
		g_autofree char *name = dup_ids_name(c->key);
		store_set_value(st, name, id, now, NULL);
	}
	flood_spend(cfg, st, r->credits, now);
}

void flood_found(const Cfg *cfg, Store *st, const MsgJob *job, const OvhJobResult *r,
                 gint64 now)
{
	if (cfg->limits_duplicate_window == 0 || r->ids->len == 0)
		return;
	for (guint i = 0; i < r->valid->len; i++) {
		const char *receiver = r->valid->pdata[i];
		g_autofree char *key = dup_key(receiver, job->sms->text);
		g_autofree char *owner_name = dup_owner_name(key);
		g_autofree char *name = dup_ids_name(key);
		gint64 owner = 0, at = 0;
		gint64 id = r->ids->len == r->valid->len ? g_array_index(r->ids, gint64, i)
		                                         : g_array_index(r->ids, gint64, 0);
		if (store_get_value(st, owner_name, &owner, &at, NULL) && at > 0 &&
		    owner == tag_value(job->tag))
			store_set_value(st, name, id, now, NULL);
	}
}

void flood_spend(const Cfg *cfg, Store *st, double credits, gint64 now)
{
	g_autofree char *name = NULL;
	gint64 total = 0, delta = (gint64)(credits * FLOOD_CREDIT_UNIT + 0.5);
	gint64 cap = (gint64)cfg->limits_daily_credits * FLOOD_CREDIT_UNIT;

	if (cfg->limits_daily_credits == 0 || delta <= 0)
		return;
	name = credits_name(cfg, now);
	if (store_add_value(st, name, delta, now, &total, NULL) && total >= cap &&
	    total - delta < cap)
		syslog(LOG_WARNING, "daily_credits = %u reached: over_limit applies to SMS mail "
		       "until midnight", cfg->limits_daily_credits);
}

void flood_job_clear(FloodJob *fj)
{
	if (fj->now)
		g_ptr_array_unref(fj->now);
	if (fj->held)
		g_ptr_array_unref(fj->held);
	if (fj->duplicate)
		g_ptr_array_unref(fj->duplicate);
	if (fj->earlier_ids)
		g_string_free(fj->earlier_ids, TRUE);
	if (fj->counted)
		g_array_unref(fj->counted);
	g_free(fj->reason);
	memset(fj, 0, sizeof *fj);
}

gboolean flood_rcpt(const Cfg *cfg, Store *st, const char *sender, gint64 now, GError **err)
{
	StoreWindow w;

	if (st == NULL || cfg->limits_over_limit == CFG_OVER_DIGEST)
		return TRUE;
	if (flood_spent(cfg, st, now, NULL)) {
		g_autofree char *why = g_strdup_printf("daily_credits = %u", cfg->limits_daily_credits);
		count_over(cfg);
		over_error(cfg, why, now, next_midnight(cfg, now), err);
		return FALSE;
	}
	if (cfg->limits_per_sender.n != 0) {
		g_autofree char *key = sender_key(sender);
		if (store_window_count(st, key, now * 1000,
		                       (gint64)cfg->limits_per_sender.seconds * 1000,
		                       cfg->limits_per_sender.n, &w, NULL) &&
		    !w.admitted) {
			g_autofree char *l = limit_text(&cfg->limits_per_sender);
			g_autofree char *s = safeline(sender, FLOOD_SENDER_SHOWN, FALSE);
			g_autofree char *why = g_strdup_printf("%s from %s", l, s);
			count_over(cfg);
			over_error(cfg, why, now, (w.frees_at_ms + 999) / 1000, err);
			return FALSE;
		}
	}
	return TRUE;
}
