/* credits.c: how many credits the SMS service has left, and the alarm when they run low.
 *
 * A check is one OVH request (GET /sms/{service}). Processes that share a state store
 * share one schedule: the time of the last check is in the store, and a check that falls
 * due is claimed there (store_add_value on a name made of that time: of many processes due
 * at once, the first to add wins), so a crowd of delivery agents asks OVH once every
 * CREDITS_PERIOD, not once each. The figure is kept in the store too, in hundredths of a
 * credit (the store holds integers), and in this process's memory for credits_last and
 * the mail2sms_credits_left gauge.
 * The alarm is claimed the same way, once per local day, before its mail is written: two
 * processes never both send it. It must not ask OVH on the mail path (the milter checks
 * from a thread of its own, short processes once they are done), and its mail quotes only
 * the configuration and OVH's figure, never a mail. */
#include <string.h>
#include <syslog.h>
#include "credits.h"
#include "limits_rules.h"
#include "metrics.h"
#include "sendmail.h"

#define CREDITS_CHECKED_NAME "credits:checked"   /* value: when the last check began */
#define CREDITS_CLAIM_PREFIX "credits:check:"    /* + that time: the next check's claim */
#define CREDITS_LEFT_NAME "credits:left"         /* value: hundredths of a credit */
#define CREDITS_ALARM_PREFIX "credits:alarm:"    /* + the local day: the day's alarm */

static struct {
	GMutex lock;
	gboolean known;     /* credits and at hold a figure */
	double credits;
	gint64 at;
	gint64 checked_at;  /* the last check this process knows of, 0: none */
} mem;

gboolean credits_last(double *credits, gint64 *at)
{
	g_mutex_lock(&mem.lock);
	gboolean known = mem.known;
	if (known) {
		*credits = mem.credits;
		*at = mem.at;
	}
	g_mutex_unlock(&mem.lock);
	return known;
}

/* Keeps CREDITS read at AT as the figure (and the mail2sms_credits_left gauge's), unless a
 * later one is known already. */
static void remember(double credits, gint64 at)
{
	g_mutex_lock(&mem.lock);
	if (!mem.known || at >= mem.at) {
		mem.known = TRUE;
		mem.credits = credits;
		mem.at = at;
		metrics_set_credits_left(credits);
	}
	g_mutex_unlock(&mem.lock);
}

/* CREDITS in hundredths, rounded: the store keeps integers. */
static gint64 hundredths(double credits)
{
	return (gint64)(credits * 100 + (credits < 0 ? -0.5 : 0.5));
}

/* This process knows of a check at AT. */
static void checked(gint64 at)
{
	g_mutex_lock(&mem.lock);
	if (at > mem.checked_at)
		mem.checked_at = at;
	g_mutex_unlock(&mem.lock);
}

/* S with every character but letters, digits, '.', '-' and '_' made '_': a service or host
 * name goes into a Subject. */
static char *header_word(const char *s)
{
	char *w = g_strndup(s != NULL && *s ? s : "unknown", 64);

	g_strcanon(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", '_');
	return w;
}

/* The alarm's mail: its headers, then a body that says what to do. */
static char *alarm_mail(const Cfg *cfg, const char *service, double credits, gint64 now)
{
	g_autofree char *to = g_strjoinv(", ", cfg->ovh_alarm_to);
	g_autofree char *svc = header_word(service);
	g_autofree char *host = header_word(g_get_host_name());
	g_autoptr(GDateTime) local = limits_local(cfg->limits_tz, now);
	g_autofree char *when = local ? g_date_time_format(local, "%Y-%m-%d %H:%M %Z") : NULL;

	return g_strdup_printf(
		"From: mail2sms <MAILER-DAEMON@%s>\n"
		"To: %s\n"
		"Subject: mail2sms: %g SMS credits left on %s\n"
		"Auto-Submitted: auto-generated\n"
		"MIME-Version: 1.0\n"
		"Content-Type: text/plain; charset=us-ascii\n"
		"\n"
		"The OVH SMS service %s has %g credits left, below [ovh] credits_alarm = %u\n"
		"(checked on %s at %s).\n"
		"\n"
		"Once they are spent OVH refuses every SMS: mail to phone numbers is deferred,\n"
		"then bounced. Credits are bought in the OVHcloud Control Panel (Telecom, SMS).\n"
		"\n"
		"This mail is sent once a day while the credits stay below the alarm;\n"
		"'mail2sms status' shows the figure.\n",
		host, to, credits, svc, svc, credits, cfg->ovh_credits_alarm, host,
		when ? when : "an unknown time");
}

/* The day's alarm for CREDITS (below credits_alarm): claimed in ST, then logged and
 * mailed; the claim is given back when the mail could not be sent. */
static gboolean day_alarm(const Cfg *cfg, Store *st, const char *service, double credits,
                          gint64 now)
{
	g_autofree char *day = limits_day(cfg->limits_tz, now);
	g_autofree char *name = g_strconcat(CREDITS_ALARM_PREFIX, day, NULL);
	g_autofree char *to = g_strjoinv(", ", cfg->ovh_alarm_to);
	g_autoptr(GError) e = NULL;
	gint64 total = 0;

	if (st == NULL || !store_add_value(st, name, 1, now, &total, &e)) {
		syslog(LOG_ERR, "credits: %g left on %s, below credits_alarm = %u, but the day's "
		       "alarm cannot be claimed: %s", credits, service, cfg->ovh_credits_alarm,
		       e != NULL ? e->message : "no state store");
		return FALSE;
	}
	if (total != 1)
		return FALSE;
	syslog(LOG_WARNING, "credits: %g left on %s, below credits_alarm = %u: mailing %s "
	       "(once a day)", credits, service, cfg->ovh_credits_alarm, to);
	g_autofree char *mail = alarm_mail(cfg, service, credits, now);
	/* From the null sender: an alarm that cannot be delivered bounces to no one. */
	if (!sendmail_deliver(cfg->reports_sendmail, mail, "<>",
	                      (const char *const *)cfg->ovh_alarm_to, &e)) {
		syslog(LOG_ERR, "credits: the alarm mail to %s was not sent: %s (tried again at "
		       "the next check)", to, e->message);
		g_clear_error(&e);
		store_add_value(st, name, -1, now, NULL, NULL);
		return FALSE;
	}
	return TRUE;
}

void credits_seen(Runtime *rt, const char *service, double credits, gint64 now,
                  gboolean *alarmed)
{
	const Cfg *cfg = runtime_cfg(rt);
	g_autoptr(GError) e = NULL;
	Store *st = runtime_store(rt, &e);
	gboolean sent = FALSE;

	remember(credits, now);
	checked(now);
	if (st != NULL && (!store_set_value(st, CREDITS_CHECKED_NAME, now, now, &e) ||
	                   !store_set_value(st, CREDITS_LEFT_NAME, hundredths(credits), now,
	                                    &e))) {
		syslog(LOG_ERR, "credits: %g left, not recorded: %s", credits, e->message);
		g_clear_error(&e);
	}
	if (cfg->ovh_credits_alarm != 0 && credits < cfg->ovh_credits_alarm)
		sent = day_alarm(cfg, st, service, credits, now);
	if (alarmed != NULL)
		*alarmed = sent;
}

/* The store's figure into this process's memory (another process checked). */
static void learn(Store *st)
{
	gint64 hundredths, at;

	if (store_get_value(st, CREDITS_LEFT_NAME, &hundredths, &at, NULL) && at > 0)
		remember((double)hundredths / 100, at);
}

/* NOW is within CREDITS_PERIOD after a check at AT (a clock set back makes it due). */
static gboolean recent(gint64 at, gint64 now)
{
	return at > 0 && now >= at && now - at < CREDITS_PERIOD;
}

/* The store's say on a check at NOW: TRUE when this process is to ask (the claim won);
 * FALSE with *ERR NULL when it is not due or another process asks. */
static gboolean claim_check(Store *st, gint64 now, GError **err)
{
	gint64 last = 0, at = 0, total = 0;

	if (!store_get_value(st, CREDITS_CHECKED_NAME, &last, &at, err))
		return FALSE;
	if (at == 0)
		last = 0;
	if (recent(last, now)) {
		checked(last);
		learn(st);
		return FALSE;
	}
	/* Named after the check it follows: each check's successor is claimed once. */
	g_autofree char *claim = g_strdup_printf(CREDITS_CLAIM_PREFIX "%" G_GINT64_FORMAT, last);
	if (!store_add_value(st, claim, 1, now, &total, err))
		return FALSE;
	checked(now);
	if (total != 1) {
		learn(st);
		return FALSE;
	}
	return store_set_value(st, CREDITS_CHECKED_NAME, now, now, err);
}

int credits_check(Runtime *rt, gint64 now, gboolean daemon, GError **err)
{
	g_autoptr(GError) e = NULL;
	double credits;

	g_mutex_lock(&mem.lock);
	gboolean due = !recent(mem.checked_at, now);
	g_mutex_unlock(&mem.lock);
	if (!due)
		return 0;
	Store *st = runtime_store(rt, &e);
	if (st != NULL && !claim_check(st, now, &e)) {
		if (e == NULL)
			return 0;
		if (!daemon) {
			g_propagate_error(err, g_steal_pointer(&e));
			return -1;
		}
		st = NULL;
	}
	if (st == NULL && !daemon)
		return 0;
	/* Without the store a daemon goes by its own memory: the next try in CREDITS_PERIOD,
	 * whatever this one gives. */
	checked(now);
	const char *svc = ovh_service(runtime_ovh(rt), err);
	if (svc == NULL || !ovh_credits(runtime_ovh(rt), &credits, err))
		return -1;
	credits_seen(rt, svc, credits, now, NULL);
	return 1;
}

gboolean credits_recorded(const Cfg *cfg, Store *st, gint64 now, double *credits, gint64 *at,
                          gboolean *alarmed_today, GError **err)
{
	g_autofree char *day = limits_day(cfg->limits_tz, now);
	g_autofree char *name = g_strconcat(CREDITS_ALARM_PREFIX, day, NULL);
	gint64 hundredths = 0, sent = 0, sent_at = 0;

	*credits = 0;
	if (!store_get_value(st, CREDITS_LEFT_NAME, &hundredths, at, err) ||
	    !store_get_value(st, name, &sent, &sent_at, err))
		return FALSE;
	*credits = (double)hundredths / 100;
	*alarmed_today = sent_at > 0 && sent > 0;
	return TRUE;
}
