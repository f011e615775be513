/* test_flood.c: flood control (flood.c) and the digests' pass (flush.c) against a real
 * SQLite state store in a scratch directory: sliding windows per receiver and per sender,
 * tempfail and reject, places given back, duplicates, the daily credit cap across local
 * midnights and daylight saving days, quiet hours and their exemptions, and the preview
 * that changes nothing.
 *
 * Every instant is given to the code under test (its NOW): nothing sleeps, and only the
 * digests' pass, which posts through dispatch.c with the real clock, is anchored at it.
 * Each test has its own configuration (loaded by cfg_load from a file, as a program does)
 * and its own store file. No test reaches OVH: the endpoint is a closed loopback port. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "cfg.h"
#include "error.h"
#include "flood.h"
#include "flush.h"
#include "gsm.h"
#include "runtime.h"
#include "store.h"

#define A "+33611111111"
#define B "+33622222222"
#define C "+33633333333"
#define EXEMPT "+33699999999"

/* One scratch directory for the run; each configuration names a store file of its own. */
static struct {
	char *dir;
	char *cwd;
	guint stores;
} fix;

/* What a test works with: the configuration and its open store. */
typedef struct {
	Cfg *cfg;
	Store *st;
} Lim;

static int group_setup(void **state)
{
	(void)state;
	fix.dir = g_dir_make_tmp("m2s-flood-XXXXXX", NULL);
	fix.cwd = g_get_current_dir();
	/* cfg_load looks for ovh.conf in ./ and ~/: neither may be the developer's. */
	g_assert(chdir(fix.dir) == 0);
	g_setenv("HOME", fix.dir, TRUE);
	g_unsetenv("OVH_ENDPOINT");
	g_unsetenv("OVH_APPLICATION_KEY");
	g_unsetenv("OVH_APPLICATION_SECRET");
	g_unsetenv("OVH_CONSUMER_KEY");
	return 0;
}

static int group_teardown(void **state)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", fix.dir);

	(void)state;
	g_assert(chdir(fix.cwd) == 0);
	g_assert(system(cmd) == 0);
	g_free(fix.dir);
	g_free(fix.cwd);
	return 0;
}

/* A configuration whose [limits] section is LIMITS, over a new SQLite store, and that store
 * opened. The OVH endpoint is a loopback port nothing listens on: a post fails at once,
 * certainly not executed. */
static void lim_open(Lim *l, const char *limits)
{
	guint n = ++fix.stores;
	g_autofree char *conf = g_strdup_printf("%s/m%u.conf", fix.dir, n);
	g_autofree char *text = g_strdup_printf(
		"[ovh]\n"
		"endpoint = https://127.0.0.1:9/1.0\n"
		"application_key = flood-ak\n"
		"application_secret = flood-as\n"
		"consumer_key = flood-ck\n"
		"service = sms-fl12345-1\n"
		"timeout = 2\n"
		"[addresses]\n"
		"domains = sms.example.com\n"
		"[aliases]\n"
		"oncall = " EXEMPT "\n"
		"[state]\n"
		"store = sqlite:%s/s%u.db\n"
		"[limits]\n"
		"%s",
		fix.dir, n, limits);
	g_autoptr(GError) e = NULL;
	StoreOptions opt = { 0 };

	g_assert(g_file_set_contents(conf, text, -1, NULL));
	g_assert(g_chmod(conf, 0600) == 0);
	l->cfg = cfg_load(conf, &e);
	if (l->cfg == NULL)
		fail_msg("cfg_load: %s", e->message);
	opt.keep = l->cfg->state_keep;
	l->st = NULL;
	if (!store_open(l->cfg->state_store, &opt, &l->st, &e))
		fail_msg("store_open %s: %s", l->cfg->state_store, e->message);
	assert_non_null(l->st);
}

static void lim_close(Lim *l)
{
	store_close(l->st);
	cfg_unref(l->cfg);
}

/* The instant the clocks of ZONE show that local date and time. */
static gint64 local(const char *zone, int y, int mo, int d, int h, int mi)
{
	g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(zone);
	g_autoptr(GDateTime) t = g_date_time_new(tz, y, mo, d, h, mi, 0);

	g_assert(tz != NULL && t != NULL);
	return g_date_time_to_unix(t);
}

static gint64 paris(int y, int mo, int d, int h, int mi)
{
	return local("Europe/Paris", y, mo, d, h, mi);
}

static gint64 utc(int y, int mo, int d, int h, int mi)
{
	return local("UTC", y, mo, d, h, mi);
}

/* A job of TEXT to the receivers that follow (NULL-terminated), each job its own tag, as
 * two mails have: one tag is one mail's retries. */
static MsgJob *job_new(const char *text, ...)
{
	static guint n;
	g_autofree char *tag = g_strdup_printf("m2s%017x", ++n);
	MsgJob *j = msg_job_new(tag, gsm_prepare(text, 3, FALSE));
	va_list ap;

	va_start(ap, text);
	for (const char *r = va_arg(ap, const char *); r != NULL; r = va_arg(ap, const char *))
		g_ptr_array_add(j->receivers, g_strdup(r));
	va_end(ap);
	return j;
}

/* An alert from SENDER. */
static FloodMail mail_from(const char *sender)
{
	FloodMail m = { .sender = sender, .summary = "PROBLEM db1 disk", .urgent = FALSE };
	return m;
}

/* flood_decide that must succeed. */
static void decide(Lim *l, const MsgJob *j, const FloodMail *m, gint64 now, FloodJob *fj)
{
	g_autoptr(GError) e = NULL;

	if (!flood_decide(l->cfg, l->st, j, m, now, fj, &e))
		fail_msg("flood_decide: %s", e->message);
}

/* flood_decide that must fail with CODE and a message holding WANT (NULL: any). */
static void refused(Lim *l, const MsgJob *j, const FloodMail *m, gint64 now, int code,
                    const char *want)
{
	g_auto(FloodJob) fj = { 0 };
	g_autoptr(GError) e = NULL;

	assert_false(flood_decide(l->cfg, l->st, j, m, now, &fj, &e));
	assert_non_null(e);
	if (e->domain != M2S_ERROR || e->code != code)
		fail_msg("expected code %d, got %d: %s", code, e->code, e->message);
	if (want != NULL && strstr(e->message, want) == NULL)
		fail_msg("'%s' does not contain '%s'", e->message, want);
	/* Nothing stays counted: there is nothing to give back. */
	assert_int_equal(fj.counted ? fj.counted->len : 0, 0);
}

/* One decision for a one-receiver job of TEXT to TO from SENDER: 'n' now, 'h' held,
 * 'd' duplicate. */
static char verdict(Lim *l, const char *text, const char *to, const char *sender, gint64 now)
{
	g_autoptr(MsgJob) j = job_new(text, to, NULL);
	FloodMail m = mail_from(sender);
	g_auto(FloodJob) fj = { 0 };

	decide(l, j, &m, now, &fj);
	assert_int_equal(fj.now->len + fj.held->len + fj.duplicate->len, 1);
	return fj.now->len ? 'n' : fj.held->len ? 'h' : 'd';
}

/* What OVH answered for FJ's receivers now: one id each from FIRST_ID on, CREDITS in all. */
static void sent(Lim *l, const FloodJob *fj, gint64 first_id, double credits, gint64 now)
{
	OvhJobResult r = { 0 };

	r.ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	r.valid = g_ptr_array_new_with_free_func(g_free);
	r.invalid = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < fj->now->len; i++) {
		gint64 id = first_id + i;
		g_array_append_val(r.ids, id);
		g_ptr_array_add(r.valid, g_strdup(fj->now->pdata[i]));
	}
	r.credits = credits;
	flood_sent(l->cfg, l->st, fj, &r, now);
	g_array_unref(r.ids);
	g_ptr_array_unref(r.valid);
	g_ptr_array_unref(r.invalid);
}

/* Events in KEY's window of WINDOW_S seconds at NOW. */
static guint in_window(Lim *l, const char *key, gint64 window_s, gint64 now)
{
	StoreWindow w;
	g_autoptr(GError) e = NULL;

	if (!store_window_count(l->st, key, now * 1000, window_s * 1000, 1000000, &w, &e))
		fail_msg("store_window_count: %s", e->message);
	return w.count;
}

/* SMS counted to NUMBER in per_receiver's window at NOW. */
static guint to_number(Lim *l, const char *number, gint64 now)
{
	g_autofree char *key = flood_receiver_key(number);
	return in_window(l, key, l->cfg->limits_per_receiver.seconds, now);
}

/* SMS counted from SENDER (already lower case) in per_sender's window at NOW. */
static guint from_sender(Lim *l, const char *sender, gint64 now)
{
	g_autofree char *key = g_strconcat("sender:", sender, NULL);
	return in_window(l, key, l->cfg->limits_per_sender.seconds, now);
}

/* Alerts held for NUMBER at NOW, 0 when its queue is empty. */
static guint held_for(Lim *l, const char *number, gint64 now, char **digest_tag)
{
	g_autoptr(GPtrArray) qs = g_ptr_array_new();
	g_autoptr(GError) e = NULL;
	guint n = 0;

	if (!store_held_list(l->st, now, qs, &e))
		fail_msg("store_held_list: %s", e->message);
	for (guint i = 0; i < qs->len; i++) {
		const StoreHeldQueue *q = qs->pdata[i];
		if (strcmp(q->queue, number) == 0) {
			n = q->count;
			if (digest_tag != NULL)
				*digest_tag = g_strdup(q->digest_tag);
		}
	}
	return n;
}

/* ---- per_receiver, per_sender ---- */

/* 10/1h: the 10th passes, the 11th is held for a digest, and a place frees exactly an hour
 * after the first SMS, not on the hour. */
static void per_receiver_window_slides(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 14, 2);

	(void)state;
	lim_open(&l, "per_receiver = 10/1h\ntimezone = Europe/Paris\n");
	for (int i = 0; i < 10; i++)
		assert_int_equal(verdict(&l, "disk", A, "nagios@example.com", t0 + i * 60), 'n');
	{
		g_autoptr(MsgJob) j = job_new("disk", A, NULL);
		FloodMail m = mail_from("nagios@example.com");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0 + 600, &fj);
		assert_int_equal(fj.now->len, 0);
		assert_int_equal(fj.held->len, 1);
		assert_string_equal(fj.held->pdata[0], A);
		assert_int_equal(fj.differed, 0);
		assert_non_null(fj.reason);
		assert_non_null(strstr(fj.reason, "10/1h to +3361"));
		/* The held SMS took no place: the digest will. */
		assert_int_equal(to_number(&l, A, t0 + 600), 10);
	}
	assert_int_equal(held_for(&l, A, t0 + 600, NULL), 1);
	/* Another number has its own window. */
	assert_int_equal(verdict(&l, "disk", B, "nagios@example.com", t0 + 600), 'n');
	/* One second before the first leaves the window: still full. */
	assert_int_equal(verdict(&l, "disk", A, "nagios@example.com", t0 + 3599), 'h');
	assert_int_equal(held_for(&l, A, t0 + 3599, NULL), 2);
	/* At first + 3600 the first SMS is out of the window: room for exactly one. */
	assert_int_equal(verdict(&l, "disk", A, "nagios@example.com", t0 + 3600), 'n');
	assert_int_equal(verdict(&l, "disk", A, "nagios@example.com", t0 + 3600), 'h');
	lim_close(&l);
}

/* per_sender counts a sender's SMS once per number, whatever the case of its address or
 * login; another sender is not held back by it. */
static void per_sender_window_and_case(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 9, 0);

	(void)state;
	lim_open(&l, "per_sender = 3/1h\n");
	{
		g_autoptr(MsgJob) j = job_new("load", A, B, NULL);
		FloodMail m = mail_from("Nagios@Example.COM");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0, &fj);
		assert_int_equal(fj.now->len, 2);
	}
	assert_int_equal(from_sender(&l, "nagios@example.com", t0), 2);
	assert_int_equal(verdict(&l, "load", C, "nagios@example.com", t0 + 10), 'n');
	{
		g_autoptr(MsgJob) j = job_new("load", A, NULL);
		FloodMail m = mail_from("NAGIOS@example.com");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0 + 20, &fj);
		assert_int_equal(fj.held->len, 1);
		assert_non_null(strstr(fj.reason, "3/1h from NAGIOS@example.com"));
	}
	/* An SMTP AUTH login is a sender of its own (dispatch.c gives it instead of the
	 * envelope sender), and so is any other address. */
	assert_int_equal(verdict(&l, "load", A, "Alice", t0 + 30), 'n');
	assert_int_equal(verdict(&l, "load", A, "alice", t0 + 40), 'n');
	assert_int_equal(from_sender(&l, "alice", t0 + 40), 2);
	/* The window slides for senders too. */
	assert_int_equal(verdict(&l, "load", A, "nagios@example.com", t0 + 3599), 'h');
	assert_int_equal(verdict(&l, "load", A, "nagios@example.com", t0 + 3600), 'n');
	assert_int_equal(held_for(&l, A, t0 + 3600, NULL), 2);
	lim_close(&l);
}

/* Held over per_sender, an alert gives back the per_receiver place it took on the way: a
 * number held for a digest is not counted for an SMS it did not get. */
static void held_over_sender_frees_receiver_place(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 9, 0);

	(void)state;
	lim_open(&l, "per_receiver = 10/1h\nper_sender = 1/1h\n");
	assert_int_equal(verdict(&l, "x", A, "nagios", t0), 'n');
	assert_int_equal(verdict(&l, "x", B, "nagios", t0 + 1), 'h');
	assert_int_equal(to_number(&l, B, t0 + 1), 0);
	assert_int_equal(from_sender(&l, "nagios", t0 + 1), 1);
	assert_int_equal(held_for(&l, B, t0 + 1, NULL), 1);
	lim_close(&l);
}

/* over_limit = tempfail: M2S_ERR_FLOOD naming the limit and when it frees, in the zone of
 * [limits]; what the job counted for its other numbers is given back. */
static void tempfail_names_limit_and_local_time(void **state)
{
	Lim l;
	/* 14:10 in Paris (CEST) is 12:10 UTC. */
	gint64 t0 = paris(2026, 6, 15, 14, 0);

	(void)state;
	lim_open(&l, "per_receiver = 2/1h\nper_sender = 100/1h\nover_limit = tempfail\n"
	             "timezone = Europe/Paris\n");
	assert_int_equal(verdict(&l, "x", A, "nagios", t0), 'n');
	assert_int_equal(verdict(&l, "x", A, "nagios", t0 + 5 * 60), 'n');
	{
		/* B first: it is counted, then A fails the job. */
		g_autoptr(MsgJob) j = job_new("x", B, A, NULL);
		FloodMail m = mail_from("nagios");
		refused(&l, j, &m, t0 + 10 * 60, M2S_ERR_FLOOD, "2/1h to +3361");
		refused(&l, j, &m, t0 + 10 * 60, M2S_ERR_FLOOD, "until 15:00");
	}
	assert_int_equal(to_number(&l, B, t0 + 10 * 60), 0);
	assert_int_equal(to_number(&l, A, t0 + 10 * 60), 2);
	assert_int_equal(from_sender(&l, "nagios", t0 + 10 * 60), 2);
	assert_int_equal(held_for(&l, A, t0 + 10 * 60, NULL), 0);
	/* Nothing stayed counted: the next call to B alone goes. */
	assert_int_equal(verdict(&l, "x", B, "nagios", t0 + 11 * 60), 'n');
	assert_int_equal(to_number(&l, B, t0 + 11 * 60), 1);
	/* And A frees at 15:00 exactly, the first SMS + 1h. */
	assert_int_equal(verdict(&l, "x", A, "nagios", t0 + 3600), 'n');
	lim_close(&l);
}

/* The same in UTC says 12:xx: the time is the configured zone's, not the machine's. */
static void tempfail_time_follows_timezone(void **state)
{
	Lim l;
	gint64 t0 = utc(2026, 6, 15, 12, 0);

	(void)state;
	lim_open(&l, "per_receiver = 1/1h\nover_limit = tempfail\ntimezone = UTC\n");
	assert_int_equal(verdict(&l, "x", A, "nagios", t0), 'n');
	{
		g_autoptr(MsgJob) j = job_new("x", A, NULL);
		FloodMail m = mail_from("nagios");
		refused(&l, j, &m, t0 + 60, M2S_ERR_FLOOD, "until 13:00");
	}
	lim_close(&l);
}

/* over_limit = reject: M2S_ERR_NOPERM with the same words; nothing counted. */
static void reject_is_noperm(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 14, 0);

	(void)state;
	lim_open(&l, "per_sender = 1/30m\nover_limit = reject\ntimezone = Europe/Paris\n");
	assert_int_equal(verdict(&l, "x", A, "nagios", t0), 'n');
	{
		g_autoptr(MsgJob) j = job_new("x", B, NULL);
		FloodMail m = mail_from("nagios");
		refused(&l, j, &m, t0 + 60, M2S_ERR_NOPERM, "over the limit 1/30m from nagios");
		refused(&l, j, &m, t0 + 60, M2S_ERR_NOPERM, "until 14:30");
	}
	assert_int_equal(from_sender(&l, "nagios", t0 + 60), 1);
	assert_int_equal(held_for(&l, B, t0 + 60, NULL), 0);
	lim_close(&l);
}

/* A job that certainly did not go gives its places back, all of them. */
static void give_back_frees_places(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 14, 0);

	(void)state;
	lim_open(&l, "per_receiver = 1/1h\nper_sender = 2/1h\nduplicate_window = 15m\n");
	{
		g_autoptr(MsgJob) j = job_new("disk full", A, B, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0, &fj);
		assert_int_equal(fj.now->len, 2);
		assert_int_equal(to_number(&l, A, t0), 1);
		assert_int_equal(from_sender(&l, "nagios", t0), 2);
		flood_give_back(l.st, &fj);
	}
	assert_int_equal(to_number(&l, A, t0), 0);
	assert_int_equal(to_number(&l, B, t0), 0);
	assert_int_equal(from_sender(&l, "nagios", t0), 0);
	/* Neither over a limit nor a duplicate, nor "being sent": it goes now. */
	{
		g_autoptr(MsgJob) j = job_new("disk full", A, B, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0 + 1, &fj);
		assert_int_equal(fj.now->len, 2);
	}
	lim_close(&l);
}

/* ---- duplicate_window ---- */

static void duplicates(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 14, 0);

	(void)state;
	lim_open(&l, "duplicate_window = 15m\n");
	{
		g_autoptr(MsgJob) j = job_new("PROBLEM db1 disk", A, B, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0, &fj);
		assert_int_equal(fj.now->len, 2);
		sent(&l, &fj, 1001, 2, t0);
	}
	{
		/* The same text again: each number's own earlier id. */
		g_autoptr(MsgJob) j = job_new("PROBLEM db1 disk", B, A, NULL);
		FloodMail m = mail_from("someone-else");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0 + 60, &fj);
		assert_int_equal(fj.now->len, 0);
		assert_int_equal(fj.duplicate->len, 2);
		assert_string_equal(fj.earlier_ids->str, "1002,1001");
		assert_int_equal(held_for(&l, A, t0 + 60, NULL), 0);
	}
	/* Another text, or another number, is no duplicate. */
	assert_int_equal(verdict(&l, "PROBLEM db2 disk", A, "nagios", t0 + 60), 'n');
	assert_int_equal(verdict(&l, "PROBLEM db1 disk", C, "nagios", t0 + 60), 'n');
	/* Still within the window at t0 + 899. */
	assert_int_equal(verdict(&l, "PROBLEM db1 disk", A, "nagios", t0 + 899), 'd');
	/* After the window it is sent again. */
	assert_int_equal(verdict(&l, "PROBLEM db1 disk", A, "nagios", t0 + 900), 'n');
	lim_close(&l);
}

/* The same text while the first is still being sent (no flood_sent yet): not sent twice,
 * and no id to give: M2S_ERR_BUSY, the mail comes back later. */
static void duplicate_being_sent_is_busy(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 14, 0);

	(void)state;
	lim_open(&l, "duplicate_window = 15m\n");
	assert_int_equal(verdict(&l, "PROBLEM cpu", A, "nagios", t0), 'n');
	{
		g_autoptr(MsgJob) j = job_new("PROBLEM cpu", A, NULL);
		FloodMail m = mail_from("nagios");
		refused(&l, j, &m, t0 + 10, M2S_ERR_BUSY, "being sent");
	}
	lim_close(&l);
}

/* The first SMS of a text went out and its window passed; the same text is sent again,
 * and while that one is being sent a third copy comes: it is M2S_ERR_BUSY too, not a
 * duplicate of the first SMS, whose window is over. */
static void duplicate_of_a_resend_being_sent_is_busy(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 14, 0);

	(void)state;
	lim_open(&l, "duplicate_window = 15m\n");
	{
		g_autoptr(MsgJob) j = job_new("PROBLEM cpu", A, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0, &fj);
		sent(&l, &fj, 2001, 1, t0);
	}
	assert_int_equal(verdict(&l, "PROBLEM cpu", A, "nagios", t0 + 900), 'n');
	{
		g_autoptr(MsgJob) j = job_new("PROBLEM cpu", A, NULL);
		FloodMail m = mail_from("nagios");
		refused(&l, j, &m, t0 + 901, M2S_ERR_BUSY, "being sent");
	}
	lim_close(&l);
}

/* ---- daily_credits ---- */

/* Spends CREDITS on one SMS to A at NOW, which must go. */
static void spend(Lim *l, double credits, gint64 now)
{
	g_autoptr(MsgJob) j = job_new("x", A, NULL);
	FloodMail m = mail_from("nagios");
	g_auto(FloodJob) fj = { 0 };

	decide(l, j, &m, now, &fj);
	assert_int_equal(fj.now->len, 1);
	sent(l, &fj, 1, credits, now);
}

/* 5 credits a day: 2 + 2 + 2 spent, the next SMS is over the cap until the next local
 * midnight, also on the days daylight saving makes 23 and 25 hours long. */
static void daily_credits_until_local_midnight(void **state)
{
	Lim l;
	/* Saturday 28 March 2026, the eve of the spring change in Paris. */
	gint64 t0 = paris(2026, 3, 28, 22, 0);

	(void)state;
	lim_open(&l, "daily_credits = 5\ntimezone = Europe/Paris\n");
	spend(&l, 2, t0);
	spend(&l, 2, t0 + 60);
	assert_false(flood_spent(l.cfg, l.st, t0 + 60, NULL));
	spend(&l, 2, t0 + 120);
	assert_true(flood_spent(l.cfg, l.st, t0 + 120, NULL));
	{
		g_autoptr(MsgJob) j = job_new("y", B, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0 + 180, &fj);
		assert_int_equal(fj.held->len, 1);
		assert_string_equal(fj.reason, "daily_credits = 5");
	}
	assert_int_equal(verdict(&l, "z", B, "nagios", paris(2026, 3, 28, 23, 59) + 59), 'h');
	/* Paris midnight, 23:00 UTC: a new day. */
	assert_int_equal(paris(2026, 3, 29, 0, 0), utc(2026, 3, 28, 23, 0));
	assert_int_equal(verdict(&l, "z", B, "nagios", paris(2026, 3, 29, 0, 0)), 'n');
	/* Sunday 29 March has 23 hours; it ends at 22:00 UTC. */
	spend(&l, 3, utc(2026, 3, 29, 8, 0));
	spend(&l, 3, utc(2026, 3, 29, 9, 0));
	assert_int_equal(verdict(&l, "z", B, "nagios", utc(2026, 3, 29, 21, 59) + 59), 'h');
	assert_int_equal(verdict(&l, "z", B, "nagios", utc(2026, 3, 29, 22, 0)), 'n');
	lim_close(&l);
}

/* The autumn change: Sunday 25 October 2026 has 25 hours, from 22:00 UTC on the 24th to
 * 23:00 UTC on the 25th; tempfail says when the cap frees. */
static void daily_credits_on_a_25_hour_day(void **state)
{
	Lim l;

	(void)state;
	lim_open(&l, "daily_credits = 5\nover_limit = tempfail\ntimezone = Europe/Paris\n");
	spend(&l, 6, utc(2026, 10, 24, 22, 0));
	{
		g_autoptr(MsgJob) j = job_new("y", B, NULL);
		FloodMail m = mail_from("nagios");
		refused(&l, j, &m, utc(2026, 10, 25, 22, 30), M2S_ERR_FLOOD, "daily_credits = 5");
		refused(&l, j, &m, utc(2026, 10, 25, 22, 30), M2S_ERR_FLOOD, "until 26/10 00:00");
	}
	assert_false(flood_rcpt(l.cfg, l.st, "nagios", utc(2026, 10, 25, 22, 59) + 59, NULL));
	assert_true(flood_rcpt(l.cfg, l.st, "nagios", utc(2026, 10, 25, 23, 0), NULL));
	assert_int_equal(verdict(&l, "z", B, "nagios", utc(2026, 10, 25, 23, 0)), 'n');
	lim_close(&l);
}

/* ---- flood_rcpt ---- */

static void rcpt_answers(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 14, 0);
	g_autoptr(GError) e = NULL;

	(void)state;
	lim_open(&l, "per_sender = 2/1h\nover_limit = tempfail\ntimezone = Europe/Paris\n");
	assert_true(flood_rcpt(l.cfg, l.st, "Alice", t0, NULL));
	assert_int_equal(verdict(&l, "x", A, "alice", t0), 'n');
	assert_int_equal(verdict(&l, "x", B, "alice", t0 + 60), 'n');
	assert_false(flood_rcpt(l.cfg, l.st, "ALICE", t0 + 120, &e));
	assert_non_null(e);
	assert_int_equal(e->code, M2S_ERR_FLOOD);
	assert_non_null(strstr(e->message, "2/1h from ALICE"));
	assert_non_null(strstr(e->message, "until 15:00"));
	/* It counted nothing, and another sender is not concerned. */
	assert_int_equal(from_sender(&l, "alice", t0 + 120), 2);
	assert_true(flood_rcpt(l.cfg, l.st, "bob", t0 + 120, NULL));
	assert_true(flood_rcpt(l.cfg, l.st, "alice", t0 + 3600, NULL));
	/* No store: nothing to ask, the mail goes on. */
	assert_true(flood_rcpt(l.cfg, NULL, "alice", t0 + 120, NULL));
	lim_close(&l);

	/* With digest nothing is refused at RCPT: the mail is accepted and its SMS held. */
	lim_open(&l, "per_sender = 1/1h\n");
	assert_int_equal(verdict(&l, "x", A, "alice", t0), 'n');
	assert_true(flood_rcpt(l.cfg, l.st, "alice", t0 + 1, NULL));
	lim_close(&l);

	/* reject: M2S_ERR_NOPERM. */
	lim_open(&l, "per_sender = 1/1h\nover_limit = reject\n");
	assert_int_equal(verdict(&l, "x", A, "alice", t0), 'n');
	g_clear_error(&e);
	assert_false(flood_rcpt(l.cfg, l.st, "alice", t0 + 1, &e));
	assert_int_equal(e->code, M2S_ERR_NOPERM);
	lim_close(&l);
}

/* ---- quiet hours ---- */

/* The first alert of the night to NUMBER at NOW goes, held back by OVH for WANT minutes. */
static void first_of_night(Lim *l, const char *number, gint64 now, guint want)
{
	g_autoptr(MsgJob) j = job_new("PROBLEM web", number, NULL);
	FloodMail m = mail_from("nagios");
	g_auto(FloodJob) fj = { 0 };

	decide(l, j, &m, now, &fj);
	assert_int_equal(fj.now->len, 1);
	assert_int_equal(fj.differed, want);
}

static void quiet_hours_first_differed_then_held(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 23, 0);

	(void)state;
	lim_open(&l, "quiet_hours = 22:00-07:00\ntimezone = Europe/Paris\n"
	             "quiet_hours_exempt = oncall\n");
	first_of_night(&l, A, t0, 8 * 60);
	{
		g_autoptr(MsgJob) j = job_new("PROBLEM web", A, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0 + 5 * 60, &fj);
		assert_int_equal(fj.held->len, 1);
		assert_int_equal(fj.differed, 0);
		/* The night ends tomorrow: the reason says which day. */
		assert_string_equal(fj.reason, "quiet hours until 16/06 07:00");
	}
	assert_int_equal(held_for(&l, A, t0 + 5 * 60, NULL), 1);
	/* Each number has its own first SMS of the night. */
	first_of_night(&l, B, t0 + 6 * 60, 8 * 60 - 6);
	/* An exempt number, and an urgent mail, go at once. */
	{
		g_autoptr(MsgJob) j = job_new("PROBLEM web", EXEMPT, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0 + 7 * 60, &fj);
		assert_int_equal(fj.now->len, 1);
		assert_int_equal(fj.differed, 0);
	}
	{
		g_autoptr(MsgJob) j = job_new("PROBLEM web", A, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		m.urgent = TRUE;
		decide(&l, j, &m, t0 + 8 * 60, &fj);
		assert_int_equal(fj.now->len, 1);
		assert_int_equal(fj.differed, 0);
	}
	{
		/* One SMS, one time: a job with an exempt number goes at once to all of them. */
		g_autoptr(MsgJob) j = job_new("PROBLEM web", A, EXEMPT, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, t0 + 9 * 60, &fj);
		assert_int_equal(fj.now->len, 2);
		assert_int_equal(fj.differed, 0);
	}
	/* The next night starts afresh; the day in between is not quiet. */
	first_of_night(&l, C, paris(2026, 6, 16, 12, 0), 0);
	first_of_night(&l, A, paris(2026, 6, 16, 22, 0), 9 * 60);
	lim_close(&l);
}

/* The night's second alert is held whenever it comes, also after the middle of the night
 * (the first SMS's place must last until the night ends). */
static void quiet_hours_late_second_alert_held(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 23, 0);

	(void)state;
	lim_open(&l, "quiet_hours = 22:00-07:00\ntimezone = Europe/Paris\n");
	first_of_night(&l, A, t0, 8 * 60);
	assert_int_equal(verdict(&l, "PROBLEM web", A, "nagios", paris(2026, 6, 16, 4, 0)), 'h');
	assert_int_equal(verdict(&l, "PROBLEM web", A, "nagios", paris(2026, 6, 16, 6, 59)), 'h');
	/* At 07:00 the night is over. */
	{
		g_autoptr(MsgJob) j = job_new("PROBLEM web", A, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		decide(&l, j, &m, paris(2026, 6, 16, 7, 0), &fj);
		assert_int_equal(fj.now->len, 1);
		assert_int_equal(fj.differed, 0);
	}
	lim_close(&l);
}

/* differedPeriod in real minutes over the nights the clocks change: 23:00 to 07:00 is 7
 * hours on 28/29 March 2026 and 9 hours on 24/25 October 2026. */
static void quiet_hours_across_dst_nights(void **state)
{
	Lim l;

	(void)state;
	lim_open(&l, "quiet_hours = 22:00-07:00\ntimezone = Europe/Paris\n");
	first_of_night(&l, A, paris(2026, 3, 28, 23, 0), 7 * 60);
	first_of_night(&l, B, paris(2026, 3, 29, 1, 30), 4 * 60 + 30);
	first_of_night(&l, A, paris(2026, 10, 24, 23, 0), 9 * 60);
	/* 01:30 CEST, before the clocks go back at 03:00 CEST: 6.5 real hours to 07:00 CET. */
	first_of_night(&l, B, utc(2026, 10, 24, 23, 30), 6 * 60 + 30);
	/* A few seconds before the end: at least one minute, never early. */
	first_of_night(&l, C, paris(2026, 10, 25, 7, 0) - 10, 1);
	lim_close(&l);
}

/* ---- flood_preview ---- */

/* `mail2sms parse` shows what would happen, and changes nothing: no place taken, nothing
 * held, no duplicate recorded, the night's first SMS still to come. */
static void preview_changes_nothing(void **state)
{
	Lim l;
	gint64 t0 = paris(2026, 6, 15, 14, 0);

	(void)state;
	lim_open(&l, "per_receiver = 2/1h\nper_sender = 5/1h\nduplicate_window = 15m\n"
	             "quiet_hours = 22:00-07:00\ntimezone = Europe/Paris\n");
	assert_int_equal(verdict(&l, "x", A, "nagios", t0), 'n');
	assert_int_equal(verdict(&l, "y", A, "nagios", t0 + 1), 'n');
	for (int round = 0; round < 2; round++) {
		g_autoptr(MsgJob) j = job_new("z", A, B, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };
		g_autoptr(GError) e = NULL;

		if (!flood_preview(l.cfg, l.st, j, &m, t0 + 2, &fj, &e))
			fail_msg("flood_preview: %s", e->message);
		assert_int_equal(fj.held->len, 1);
		assert_string_equal(fj.held->pdata[0], A);
		assert_int_equal(fj.now->len, 1);
		assert_string_equal(fj.now->pdata[0], B);
		assert_int_equal(fj.counted->len, 0);
		assert_int_equal(to_number(&l, A, t0 + 2), 2);
		assert_int_equal(to_number(&l, B, t0 + 2), 0);
		assert_int_equal(from_sender(&l, "nagios", t0 + 2), 2);
		assert_int_equal(held_for(&l, A, t0 + 2, NULL), 0);
	}
	/* The previewed text was not remembered: sent for real, it is no duplicate. */
	assert_int_equal(verdict(&l, "z", B, "nagios", t0 + 3), 'n');
	/* At night the preview says differed, and the real first SMS still gets it. */
	for (int round = 0; round < 2; round++) {
		g_autoptr(MsgJob) j = job_new("night", C, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		assert_true(flood_preview(l.cfg, l.st, j, &m, paris(2026, 6, 15, 23, 0), &fj, NULL));
		assert_int_equal(fj.now->len, 1);
		assert_int_equal(fj.differed, 8 * 60);
	}
	first_of_night(&l, C, paris(2026, 6, 15, 23, 0), 8 * 60);
	lim_close(&l);
}

/* ---- the digests' pass (flush.c) ---- */

/* A runtime over L's configuration (the store it opens is the same file). */
static Runtime *runtime_of(Lim *l)
{
	g_autoptr(GError) e = NULL;
	Runtime *rt = runtime_new(l->cfg, &e);

	if (rt == NULL)
		fail_msg("runtime_new: %s", e->message);
	return rt;
}

static int flush(Runtime *rt, gint64 now)
{
	g_autoptr(GError) e = NULL;
	int n = flush_digests(rt, now, &e);

	if (n < 0)
		fail_msg("flush_digests: %s", e->message);
	return n;
}

/* A digest waits while its number's window is full and while the day's credits are spent;
 * when it is due and its post certainly fails, its alerts are held again, with its place
 * given back, for the next pass. The digests' pass claims with the real clock: these
 * instants are anchored at it. */
static void flush_waits_and_returns(void **state)
{
	Lim l;
	gint64 t0 = g_get_real_time() / G_USEC_PER_SEC - 2 * 3600;
	g_autoptr(Runtime) rt = NULL;
	g_autofree char *tag = NULL;

	(void)state;
	lim_open(&l, "per_receiver = 1/1h\ndaily_credits = 1000\ntimezone = UTC\n");
	rt = runtime_of(&l);
	assert_int_equal(verdict(&l, "x", A, "nagios", t0), 'n');
	assert_int_equal(verdict(&l, "x", A, "nagios", t0 + 60), 'h');
	assert_int_equal(verdict(&l, "y", A, "nagios", t0 + 120), 'h');
	/* The window is full until t0 + 3600: not due. */
	assert_int_equal(flush(rt, t0 + 180), 0);
	assert_int_equal(held_for(&l, A, t0 + 180, &tag), 2);
	assert_null(tag);
	assert_int_equal(to_number(&l, A, t0 + 180), 1);
	/* Due, but OVH cannot be reached (nothing was posted): the alerts wait again, and the
	 * place the digest took is free. */
	assert_int_equal(flush(rt, t0 + 3600), 0);
	assert_int_equal(held_for(&l, A, t0 + 3600, &tag), 2);
	assert_null(tag);
	assert_int_equal(to_number(&l, A, t0 + 3600), 0);
	lim_close(&l);
}

static void flush_waits_for_credits_and_quiet_hours(void **state)
{
	Lim l;
	g_autoptr(Runtime) rt = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	g_autofree char *day = NULL;

	(void)state;
	/* Quiet hours that hold now, whatever the time: from the current minute, UTC. */
	{
		g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(now);
		int m = g_date_time_get_hour(t) * 60 + g_date_time_get_minute(t);
		int end = (m + 120) % 1440;
		g_autofree char *limits = g_strdup_printf(
			"quiet_hours = %02d:%02d-%02d:%02d\ntimezone = UTC\ndaily_credits = 1\n",
			m / 60, m % 60, end / 60, end % 60);
		lim_open(&l, limits);
	}
	rt = runtime_of(&l);
	first_of_night(&l, A, now, 120);
	assert_int_equal(verdict(&l, "x", A, "nagios", now + 1), 'h');
	assert_int_equal(flush(rt, now + 2), 0);
	assert_int_equal(held_for(&l, A, now + 2, NULL), 1);
	/* The credits spent, the digest waits even past the night. */
	{
		g_autoptr(MsgJob) j = job_new("x", B, NULL);
		FloodMail m = mail_from("nagios");
		g_auto(FloodJob) fj = { 0 };

		m.urgent = TRUE;
		decide(&l, j, &m, now + 3, &fj);
		sent(&l, &fj, 1, 1, now + 3);
	}
	assert_true(flood_spent(l.cfg, l.st, now + 3, NULL));
	assert_int_equal(flush(rt, now + 121 * 60), 0);
	assert_int_equal(held_for(&l, A, now + 121 * 60, NULL), 1);
	lim_close(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(per_receiver_window_slides),
		cmocka_unit_test(per_sender_window_and_case),
		cmocka_unit_test(held_over_sender_frees_receiver_place),
		cmocka_unit_test(tempfail_names_limit_and_local_time),
		cmocka_unit_test(tempfail_time_follows_timezone),
		cmocka_unit_test(reject_is_noperm),
		cmocka_unit_test(give_back_frees_places),
		cmocka_unit_test(duplicates),
		cmocka_unit_test(duplicate_being_sent_is_busy),
		cmocka_unit_test(duplicate_of_a_resend_being_sent_is_busy),
		cmocka_unit_test(daily_credits_until_local_midnight),
		cmocka_unit_test(daily_credits_on_a_25_hour_day),
		cmocka_unit_test(rcpt_answers),
		cmocka_unit_test(quiet_hours_first_differed_then_held),
		cmocka_unit_test(quiet_hours_late_second_alert_held),
		cmocka_unit_test(quiet_hours_across_dst_nights),
		cmocka_unit_test(preview_changes_nothing),
		cmocka_unit_test(flush_waits_and_returns),
		cmocka_unit_test(flush_waits_for_credits_and_quiet_hours),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
