/* test_credits.c: the credits figure and the low-credits alarm (credits.c) with a sqlite
 * store and a fake sendmail first in PATH: one mail a local day, again the next day, the
 * day given back when sendmail fails, nothing above the alarm; a check not due is not
 * made, one due is; the figure credits_last and `mail2sms status` read.
 *
 * The times are made up (the store and the alarm take the caller's), so the day changes
 * without waiting. OVH is never reached: the endpoint is a closed loopback port, which is
 * how the test sees that a check was made. The memory of credits.c lives as long as the
 * process: the cases run in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <glib/gstdio.h>
#include "credits.h"
#include "error.h"

/* 2027-01-15 10:00:00 UTC. */
#define T0 1800007200
#define DAY (24 * 3600)

static char *dir;
static char *mails;   /* what the fake sendmail received */
static Runtime *rt;

/* Writes the fake sendmail into DIR/NAME/: it keeps each mail in `mails`, or fails. */
static void fake_sendmail(const char *name, gboolean works)
{
	g_autofree char *bin = g_build_filename(dir, name, NULL);
	g_autofree char *path = g_build_filename(bin, "sendmail", NULL);
	g_autofree char *script = works
		? g_strdup_printf("#!/bin/sh\n{ cat; echo '--- end'; } >>'%s'\n", mails)
		: g_strdup("#!/bin/sh\necho 'sendmail: fatal: no way' >&2\nexit 75\n");

	g_assert(g_mkdir(bin, 0700) == 0);
	g_assert(g_file_set_contents(path, script, -1, NULL));
	g_assert(g_chmod(path, 0700) == 0);
}

/* PATH with NAME's fake sendmail first. */
static void use_sendmail(const char *name)
{
	g_autofree char *path = g_strdup_printf("%s/%s:/usr/bin:/bin", dir, name);

	g_setenv("PATH", path, TRUE);
}

static int setup(void **s)
{
	(void)s;
	g_autoptr(Cfg) cfg = cfg_new_default();
	g_autoptr(GError) e = NULL;

	dir = g_dir_make_tmp("m2s-credits-XXXXXX", NULL);
	mails = g_build_filename(dir, "mails", NULL);
	fake_sendmail("good", TRUE);
	fake_sendmail("bad", FALSE);
	use_sendmail("good");
	cfg->ovh_base_url = g_strdup("https://127.0.0.1:1/1.0");
	cfg->ovh_application_key = g_strdup("ak");
	cfg->ovh_application_secret = g_strdup("as");
	cfg->ovh_consumer_key = g_strdup("ck");
	cfg->ovh_service = g_strdup("sms-cr12345-1");
	cfg->ovh_timeout = 2;
	cfg->ovh_credits_alarm = 100;
	g_strfreev(cfg->ovh_alarm_to);
	cfg->ovh_alarm_to = g_strsplit("ops@example.com postmaster", " ", -1);
	g_time_zone_unref(cfg->limits_tz);
	cfg->limits_tz = g_time_zone_new_utc();
	g_free(cfg->state_store);
	cfg->state_store = g_strdup_printf("sqlite:%s/state.db", dir);
	rt = runtime_new(cfg, &e);
	if (rt == NULL)
		fail_msg("runtime_new: %s", e->message);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	runtime_unref(rt);
	g_assert(system(cmd) == 0);
	g_free(mails);
	g_free(dir);
	return 0;
}

/* How many mails the fake sendmail kept. */
static int mail_count(void)
{
	g_autofree char *text = NULL;
	int n = 0;

	if (!g_file_get_contents(mails, &text, NULL, NULL))
		return 0;
	for (const char *p = text; (p = strstr(p, "--- end\n")) != NULL; p++)
		n++;
	return n;
}

/* credits_seen, and whether it sent the alarm. */
static gboolean seen(double credits, gint64 now)
{
	gboolean alarmed = TRUE;

	credits_seen(rt, "sms-cr12345-1", credits, now, &alarmed);
	return alarmed;
}

/* No figure before the first check. */
static void nothing_known_yet(void **s)
{
	(void)s;
	double c;
	gint64 at;

	assert_false(credits_last(&c, &at));
}

/* Below the alarm: one mail the first time of the day, none after, none above it. */
static void one_mail_a_day(void **s)
{
	(void)s;
	double c;
	gint64 at;
	gboolean today;
	g_autofree char *text = NULL;

	assert_true(seen(50, T0));
	assert_int_equal(mail_count(), 1);
	assert_false(seen(49, T0 + 3600));
	assert_false(seen(40, T0 + 13 * 3600 + 59 * 60));  /* 23:59 the same day */
	assert_false(seen(500, T0 + 14 * 3600 - 1));
	assert_int_equal(mail_count(), 1);
	assert_true(credits_last(&c, &at));
	assert_true(c > 499.99 && c < 500.01);
	assert_int_equal(at, T0 + 14 * 3600 - 1);
	assert_true(credits_recorded(runtime_cfg(rt), runtime_store(rt, NULL), T0 + 14 * 3600 - 1,
	                             &c, &at, &today, NULL));
	assert_true(today);
	assert_true(c > 499.99 && c < 500.01);
	assert_true(g_file_get_contents(mails, &text, NULL, NULL));
	assert_non_null(strstr(text, "To: ops@example.com, postmaster\n"));
	assert_non_null(strstr(text, "Subject: mail2sms: 50 SMS credits left on sms-cr12345-1\n"));
	assert_non_null(strstr(text, "(checked on "));
	assert_non_null(strstr(text, "at 2027-01-15 10:00 UTC)"));
}

/* The next local day (midnight UTC here): the alarm goes again, once. */
static void again_the_next_day(void **s)
{
	(void)s;
	double c;
	gint64 at;
	gboolean today = TRUE;

	assert_true(credits_recorded(runtime_cfg(rt), runtime_store(rt, NULL), T0 + 14 * 3600,
	                             &c, &at, &today, NULL));
	assert_false(today);
	assert_true(seen(30, T0 + 14 * 3600));
	assert_false(seen(30, T0 + DAY));
	assert_int_equal(mail_count(), 2);
}

/* A sendmail that fails gives the day back: the next check tries again and sends. */
static void failed_mail_given_back(void **s)
{
	(void)s;
	use_sendmail("bad");
	assert_false(seen(20, T0 + 2 * DAY));
	assert_false(seen(20, T0 + 2 * DAY + 300));
	assert_int_equal(mail_count(), 2);
	use_sendmail("good");
	assert_true(seen(20, T0 + 2 * DAY + 600));
	assert_false(seen(20, T0 + 2 * DAY + 900));
	assert_int_equal(mail_count(), 3);
}

/* A check within CREDITS_PERIOD of the last is not made; one after it is (OVH is a closed
 * port: the attempt fails, which shows it was made), and then not again so soon. */
static void check_when_due(void **s)
{
	(void)s;
	gint64 last = T0 + 2 * DAY + 900;
	g_autoptr(GError) e = NULL;

	assert_int_equal(credits_check(rt, last + 10, FALSE, &e), 0);
	assert_int_equal(credits_check(rt, last + CREDITS_PERIOD - 1, FALSE, &e), 0);
	assert_null(e);
	assert_int_equal(credits_check(rt, last + CREDITS_PERIOD, FALSE, &e), -1);
	assert_non_null(e);
	assert_int_equal(e->code, M2S_ERR_UNREACHABLE);
	g_clear_error(&e);
	assert_int_equal(credits_check(rt, last + CREDITS_PERIOD + 1, FALSE, &e), 0);
	assert_int_equal(credits_check(rt, last + 2 * CREDITS_PERIOD - 1, TRUE, &e), 0);
	assert_int_equal(credits_check(rt, last + 2 * CREDITS_PERIOD, TRUE, &e), -1);
	assert_int_equal(mail_count(), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_known_yet),
		cmocka_unit_test(one_mail_a_day),
		cmocka_unit_test(again_the_next_day),
		cmocka_unit_test(failed_mail_given_back),
		cmocka_unit_test(check_when_due),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
