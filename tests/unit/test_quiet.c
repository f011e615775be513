/* test_quiet.c: quiet hours (quiet.c): the "HH:MM-HH:MM" syntax, the exact boundaries (the
 * start minute inside, the end minute outside), windows crossing midnight, and the nights
 * Europe/Paris changes its clocks (2026-03-29: 8 hours from 22:00 to 07:00; 2026-10-25:
 * 10 hours), with boundaries inside the skipped and the repeated hour. Each test runs with
 * the tz database's zone and with the POSIX rule of the same zone (no tzdata needed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "error.h"
#include "quiet.h"

static const char *const paris[] = { "Europe/Paris", "CET-1CEST,M3.5.0,M10.5.0/3" };

/* Seconds since the epoch of a UTC date and time. */
static gint64 utc(int y, int mo, int d, int h, int mi, int s)
{
	g_autoptr(GDateTime) t = g_date_time_new_utc(y, mo, d, h, mi, s);
	return g_date_time_to_unix(t);
}

static QuietHours window(const char *text)
{
	QuietHours q;
	g_autoptr(GError) e = NULL;

	if (!quiet_parse(text, &q, &e))
		fail_msg("'%s': %s", text, e->message);
	return q;
}

/* NOW is quiet in Q and it ends at WANT_END. */
static void assert_quiet(const QuietHours *q, GTimeZone *tz, gint64 now, gint64 want_end)
{
	gint64 end = -1;

	if (!quiet_at(q, tz, now, &end))
		fail_msg("%s: %" G_GINT64_FORMAT " is not quiet", g_time_zone_get_identifier(tz), now);
	if (end != want_end)
		fail_msg("%s: %" G_GINT64_FORMAT " ends at %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
		         g_time_zone_get_identifier(tz), now, end, want_end);
}

static void assert_not_quiet(const QuietHours *q, GTimeZone *tz, gint64 now)
{
	gint64 end = -1;

	if (quiet_at(q, tz, now, &end))
		fail_msg("%s: %" G_GINT64_FORMAT " is quiet (until %" G_GINT64_FORMAT ")",
		         g_time_zone_get_identifier(tz), now, end);
	assert_int_equal(end, -1);
}

static void parsed(void **state)
{
	static const struct { const char *text; guint start, end; } ok[] = {
		{ "22:00-07:00", 1320, 420 }, { "7:30-9:00", 450, 540 }, { "00:00-23:59", 0, 1439 },
		{ "23:59-00:00", 1439, 0 }, { "22:00 - 07:00", 1320, 420 }, { "none", 0, 0 },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
		QuietHours q = window(ok[i].text);
		assert_int_equal(q.start, ok[i].start);
		assert_int_equal(q.end, ok[i].end);
	}
	QuietHours q = window("22:00-07:00");
	g_autofree char *t = quiet_text(&q);
	assert_string_equal(t, "22:00-07:00");
	QuietHours none = { 0, 0 };
	g_autofree char *n = quiet_text(&none);
	assert_string_equal(n, "none");
}

static void refused(void **state)
{
	static const struct { const char *text, *why; } bad[] = {
		{ "25:00-07:00", "not of the form HH:MM-HH:MM with hours 00 to 23 (22:00-07:00): "
		                 "'25:00-07:00'" },
		{ "22:00-22:00", "the start and the end are the same time: '22:00-22:00'" },
		{ "24:00-07:00", "not of the form" }, { "22:60-07:00", "not of the form" },
		{ "22-07", "not of the form" }, { "22:00", "not of the form" },
		{ "22:00-07:00-08:00", "not of the form" }, { "", "not of the form" },
		{ "22h00-07h00", "not of the form" }, { "022:00-07:00", "not of the form" },
		{ "22:0-07:00", "not of the form" }, { "-22:00", "not of the form" },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		QuietHours q = { 1, 2 };
		g_autoptr(GError) e = NULL;
		if (quiet_parse(bad[i].text, &q, &e))
			fail_msg("'%s' accepted", bad[i].text);
		assert_int_equal(e->code, M2S_ERR_CONFIG);
		if (strstr(e->message, bad[i].why) == NULL)
			fail_msg("'%s': '%s' does not say '%s'", bad[i].text, e->message, bad[i].why);
		assert_int_equal(q.start, 1);
		assert_int_equal(q.end, 2);
	}
}

/* A summer night (UTC+2): 22:00 local is 20:00 UTC, 07:00 is 05:00 UTC. */
static void boundaries_crossing_midnight(void **state)
{
	QuietHours q = window("22:00-07:00");
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(paris); i++) {
		GTimeZone *tz = g_time_zone_new_identifier(paris[i]);
		gint64 end = utc(2026, 6, 11, 5, 0, 0);
		if (tz == NULL) {
			print_message("no time zone %s (tzdata): skipped\n", paris[i]);
			continue;
		}
		assert_not_quiet(&q, tz, utc(2026, 6, 10, 19, 59, 59));
		assert_quiet(&q, tz, utc(2026, 6, 10, 20, 0, 0), end);
		assert_quiet(&q, tz, utc(2026, 6, 10, 22, 0, 0), end);  /* local midnight */
		assert_quiet(&q, tz, utc(2026, 6, 11, 4, 59, 59), end);
		assert_not_quiet(&q, tz, utc(2026, 6, 11, 5, 0, 0));
		assert_not_quiet(&q, tz, utc(2026, 6, 11, 12, 0, 0));
		/* In winter (UTC+1) the same local window is an hour later in UTC. */
		assert_not_quiet(&q, tz, utc(2026, 12, 10, 20, 59, 59));
		assert_quiet(&q, tz, utc(2026, 12, 10, 21, 0, 0), utc(2026, 12, 11, 6, 0, 0));
		assert_quiet(&q, tz, utc(2026, 12, 11, 5, 59, 59), utc(2026, 12, 11, 6, 0, 0));
		assert_not_quiet(&q, tz, utc(2026, 12, 11, 6, 0, 0));
		g_time_zone_unref(tz);
	}
}

static void boundaries_within_a_day(void **state)
{
	QuietHours q = window("12:00-14:00");
	GTimeZone *u = g_time_zone_new_utc();
	QuietHours none = { 0, 0 };
	(void)state;

	assert_not_quiet(&q, u, utc(2026, 6, 10, 11, 59, 59));
	assert_quiet(&q, u, utc(2026, 6, 10, 12, 0, 0), utc(2026, 6, 10, 14, 0, 0));
	assert_quiet(&q, u, utc(2026, 6, 10, 13, 59, 59), utc(2026, 6, 10, 14, 0, 0));
	assert_not_quiet(&q, u, utc(2026, 6, 10, 14, 0, 0));
	assert_not_quiet(&q, u, utc(2026, 6, 10, 0, 0, 0));
	assert_not_quiet(&none, u, utc(2026, 6, 10, 0, 0, 0));
	assert_true(quiet_at(&q, u, utc(2026, 6, 10, 12, 30, 0), NULL));  /* ENDS_AT may be NULL */
	g_time_zone_unref(u);
}

/* 2026-03-29, 02:00 CET becomes 03:00 CEST (01:00 UTC): 22:00 CET is 21:00 UTC, 07:00 CEST is
 * 05:00 UTC, 8 hours of real time. */
static void spring_forward_night(void **state)
{
	QuietHours night = window("22:00-07:00");
	QuietHours from_gap = window("02:30-06:00");
	QuietHours to_gap = window("22:00-02:30");
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(paris); i++) {
		GTimeZone *tz = g_time_zone_new_identifier(paris[i]);
		gint64 start = utc(2026, 3, 28, 21, 0, 0), end = utc(2026, 3, 29, 5, 0, 0);
		gint64 jump = utc(2026, 3, 29, 1, 0, 0), got = 0;
		if (tz == NULL) {
			print_message("no time zone %s (tzdata): skipped\n", paris[i]);
			continue;
		}
		assert_int_equal(end - start, 8 * 3600);
		assert_not_quiet(&night, tz, start - 1);
		assert_quiet(&night, tz, start, end);
		assert_quiet(&night, tz, jump - 1, end);  /* 01:59:59 CET */
		assert_quiet(&night, tz, jump, end);      /* 03:00:00 CEST */
		assert_quiet(&night, tz, end - 1, end);
		assert_not_quiet(&night, tz, end);
		assert_true(quiet_at(&night, tz, start, &got));
		assert_int_equal(quiet_differed_minutes(start, got), 480);
		/* A start the clocks skip (02:30) is the first instant after it, 03:00 CEST. */
		assert_not_quiet(&from_gap, tz, jump - 1);
		assert_quiet(&from_gap, tz, jump, utc(2026, 3, 29, 4, 0, 0));
		/* An end the clocks skip ends the window at the jump. */
		assert_quiet(&to_gap, tz, jump - 1, jump);
		assert_not_quiet(&to_gap, tz, jump);
		/* The next night is an ordinary summer night again: 20:00 to 05:00 UTC. */
		assert_quiet(&night, tz, utc(2026, 3, 29, 20, 0, 0), utc(2026, 3, 30, 5, 0, 0));
		assert_not_quiet(&night, tz, utc(2026, 3, 29, 19, 59, 59));
		g_time_zone_unref(tz);
	}
}

/* 2026-10-25, 03:00 CEST falls back to 02:00 CET (01:00 UTC): 22:00 CEST is 20:00 UTC,
 * 07:00 CET is 06:00 UTC, 10 hours of real time. */
static void fall_back_night(void **state)
{
	QuietHours night = window("22:00-07:00");
	QuietHours from_repeat = window("02:30-05:00");
	QuietHours to_repeat = window("22:00-02:30");
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(paris); i++) {
		GTimeZone *tz = g_time_zone_new_identifier(paris[i]);
		gint64 start = utc(2026, 10, 24, 20, 0, 0), end = utc(2026, 10, 25, 6, 0, 0);
		gint64 first = utc(2026, 10, 25, 0, 30, 0);   /* 02:30 CEST */
		gint64 second = utc(2026, 10, 25, 1, 30, 0);  /* 02:30 CET */
		gint64 got = 0;
		if (tz == NULL) {
			print_message("no time zone %s (tzdata): skipped\n", paris[i]);
			continue;
		}
		assert_int_equal(end - start, 10 * 3600);
		assert_not_quiet(&night, tz, start - 1);
		assert_quiet(&night, tz, start, end);
		assert_quiet(&night, tz, first, end);
		assert_quiet(&night, tz, second, end);
		assert_quiet(&night, tz, end - 1, end);
		assert_not_quiet(&night, tz, end);
		assert_true(quiet_at(&night, tz, start, &got));
		assert_int_equal(quiet_differed_minutes(start, got), 600);
		/* A start the clocks repeat is its first occurrence... */
		assert_not_quiet(&from_repeat, tz, first - 1);
		assert_quiet(&from_repeat, tz, first, utc(2026, 10, 25, 4, 0, 0));
		assert_quiet(&from_repeat, tz, second, utc(2026, 10, 25, 4, 0, 0));
		/* ...and so is an end: the second 02:30 is after the window. */
		assert_quiet(&to_repeat, tz, first - 1, first);
		assert_not_quiet(&to_repeat, tz, first);
		assert_not_quiet(&to_repeat, tz, second);
		g_time_zone_unref(tz);
	}
}

/* A zone west of UTC: New York springs forward on 2026-03-08 at 02:00 EST (07:00 UTC). */
static void west_of_utc(void **state)
{
	QuietHours night = window("22:00-07:00");
	GTimeZone *tz = g_time_zone_new_identifier("EST5EDT,M3.2.0,M11.1.0");
	gint64 start = utc(2026, 3, 8, 3, 0, 0), end = utc(2026, 3, 8, 11, 0, 0);
	(void)state;

	assert_non_null(tz);
	assert_quiet(&night, tz, start, end);
	assert_quiet(&night, tz, utc(2026, 3, 8, 7, 0, 0), end);
	assert_not_quiet(&night, tz, start - 1);
	assert_not_quiet(&night, tz, end);
	g_time_zone_unref(tz);
}

static void differed_minutes(void **state)
{
	gint64 now = utc(2026, 6, 10, 20, 0, 0);
	(void)state;

	assert_int_equal(quiet_differed_minutes(now, now), 1);
	assert_int_equal(quiet_differed_minutes(now, now - 100), 1);
	assert_int_equal(quiet_differed_minutes(now, now + 1), 1);
	assert_int_equal(quiet_differed_minutes(now, now + 60), 1);
	assert_int_equal(quiet_differed_minutes(now, now + 61), 2);
	assert_int_equal(quiet_differed_minutes(now, now + 119), 2);
	assert_int_equal(quiet_differed_minutes(now, now + 120), 2);
	assert_int_equal(quiet_differed_minutes(now, now + 9 * 3600), 540);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parsed),
		cmocka_unit_test(refused),
		cmocka_unit_test(boundaries_crossing_midnight),
		cmocka_unit_test(boundaries_within_a_day),
		cmocka_unit_test(spring_forward_night),
		cmocka_unit_test(fall_back_night),
		cmocka_unit_test(west_of_utc),
		cmocka_unit_test(differed_minutes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
