/* test_limits_rules.c: rates written N/DURATION, their canonical text, time zones refused by
 * name, and the local day of the daily cap at midnight and on daylight saving days
 * (limits_rules.c). Every instant is given: nothing reads the clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "error.h"
#include "limits_rules.h"

/* Seconds since the epoch of a UTC date and time. */
static gint64 utc(int y, int mo, int d, int h, int mi, int s)
{
	g_autoptr(GDateTime) t = g_date_time_new_utc(y, mo, d, h, mi, s);
	return g_date_time_to_unix(t);
}

static void rates_accepted(void **state)
{
	static const struct { const char *text; guint n, seconds; } ok[] = {
		{ "10/1h", 10, 3600 }, { "200/1h", 200, 3600 }, { "60/1m", 60, 60 },
		{ "1/1s", 1, 1 }, { "1000000/31d", 1000000, 31 * 86400 }, { "5/90", 5, 90 },
		{ "10 / 1h", 10, 3600 }, { "3/2d", 3, 2 * 86400 }, { "none", 0, 0 },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
		LimitRate r = { 99, 99 };
		g_autoptr(GError) e = NULL;
		if (!limit_parse(ok[i].text, &r, &e))
			fail_msg("'%s' refused: %s", ok[i].text, e->message);
		assert_int_equal(r.n, ok[i].n);
		assert_int_equal(r.seconds, ok[i].seconds);
	}
}

static void rates_refused(void **state)
{
	static const struct { const char *text, *why; } bad[] = {
		{ "10/0m", "the window must be from 1s to 31d: '10/0m'" },
		{ "10/32d", "the window must be from 1s to 31d" },
		{ "0/1h", "the count must be from 1 to 1000000: '0/1h'" },
		{ "1000001/1h", "the count must be from 1 to 1000000" },
		{ "x/1h", "not of the form N/DURATION" },
		{ "10/1y", "not of the form N/DURATION" },
		{ "10", "not of the form N/DURATION" },
		{ "10/", "not of the form" }, { "/1h", "not of the form" },
		{ "-1/1h", "not of the form" }, { "+1/1h", "not of the form" },
		{ "10/1h30m", "not of the form" }, { "10/1.5h", "not of the form" },
		{ "10/1h/2", "not of the form" }, { "", "not of the form" },
		{ "99999999999999999999/1h", "the count must be" },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		LimitRate r = { 7, 7 };
		g_autoptr(GError) e = NULL;
		if (limit_parse(bad[i].text, &r, &e))
			fail_msg("'%s' accepted", bad[i].text);
		assert_int_equal(e->code, M2S_ERR_CONFIG);
		if (strstr(e->message, bad[i].why) == NULL)
			fail_msg("'%s': '%s' does not say '%s'", bad[i].text, e->message, bad[i].why);
		assert_int_equal(r.n, 7);
		assert_int_equal(r.seconds, 7);
	}
}

static void rates_written_back(void **state)
{
	static const struct { LimitRate r; const char *text; } w[] = {
		{ { 10, 3600 }, "10/1h" }, { { 90, 5400 }, "90/90m" }, { { 5, 90 }, "5/90s" },
		{ { 1, 7 * 86400 }, "1/7d" }, { { 0, 3600 }, "none" }, { { 60, 60 }, "60/1m" },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(w); i++) {
		g_autofree char *t = limit_text(&w[i].r);
		LimitRate back;
		assert_string_equal(t, w[i].text);
		assert_true(limit_parse(t, &back, NULL));
		assert_int_equal(back.n, w[i].r.n);
		if (back.n != 0)
			assert_int_equal(back.seconds, w[i].r.seconds);
	}
	g_autofree char *none = limit_text(NULL);
	assert_string_equal(none, "none");
}

/* GLib's g_time_zone_new() gives UTC for a name it does not know: a typo must not. */
static void time_zones(void **state)
{
	static const char *const bad[] = { "Europe/Pari", "Mars/Olympus", "Paris", "CEST", "../../etc/passwd" };
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) e = NULL;
		GTimeZone *tz = limits_timezone(bad[i], &e);
		if (tz != NULL)
			fail_msg("'%s' accepted as %s", bad[i], g_time_zone_get_identifier(tz));
		assert_int_equal(e->code, M2S_ERR_CONFIG);
		assert_non_null(strstr(e->message, "unknown time zone"));
		assert_non_null(strstr(e->message, bad[i]));
	}
	GTimeZone *u = limits_timezone("UTC", NULL);
	assert_non_null(u);
	assert_int_equal(g_time_zone_get_offset(u, 0), 0);
	g_time_zone_unref(u);
	GTimeZone *local = limits_timezone(NULL, NULL);
	assert_non_null(local);
	g_time_zone_unref(local);
	local = limits_timezone("", NULL);
	assert_non_null(local);
	g_time_zone_unref(local);
	GTimeZone *rule = limits_timezone("CET-1CEST,M3.5.0,M10.5.0/3", NULL);
	assert_non_null(rule);
	g_time_zone_unref(rule);
}

static void assert_day(GTimeZone *tz, gint64 t, const char *want)
{
	g_autofree char *d = limits_day(tz, t);
	if (strcmp(d, want) != 0)
		fail_msg("%s at %" G_GINT64_FORMAT ": %s, not %s", g_time_zone_get_identifier(tz), t,
		         d, want);
}

/* The day changes at local midnight: 23:00 UTC in winter, 22:00 UTC in summer in Paris; the
 * spring day lasts 23 hours, the autumn day 25. */
static void local_days(void **state)
{
	static const char *const zones[] = { "Europe/Paris", "CET-1CEST,M3.5.0,M10.5.0/3" };
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(zones); i++) {
		GTimeZone *tz = g_time_zone_new_identifier(zones[i]);
		if (tz == NULL) {
			print_message("no time zone %s (tzdata): skipped\n", zones[i]);
			continue;
		}
		assert_day(tz, utc(2026, 12, 1, 22, 59, 59), "2026-12-01");
		assert_day(tz, utc(2026, 12, 1, 23, 0, 0), "2026-12-02");
		assert_day(tz, utc(2026, 7, 14, 21, 59, 59), "2026-07-14");
		assert_day(tz, utc(2026, 7, 14, 22, 0, 0), "2026-07-15");
		/* 2026-03-29: from 23:00 UTC the day before to 22:00 UTC (23 hours). */
		assert_day(tz, utc(2026, 3, 28, 22, 59, 59), "2026-03-28");
		assert_day(tz, utc(2026, 3, 28, 23, 0, 0), "2026-03-29");
		assert_day(tz, utc(2026, 3, 29, 1, 30, 0), "2026-03-29");
		assert_day(tz, utc(2026, 3, 29, 21, 59, 59), "2026-03-29");
		assert_day(tz, utc(2026, 3, 29, 22, 0, 0), "2026-03-30");
		/* 2026-10-25: from 22:00 UTC the day before to 23:00 UTC (25 hours). */
		assert_day(tz, utc(2026, 10, 24, 21, 59, 59), "2026-10-24");
		assert_day(tz, utc(2026, 10, 24, 22, 0, 0), "2026-10-25");
		assert_day(tz, utc(2026, 10, 25, 22, 59, 59), "2026-10-25");
		assert_day(tz, utc(2026, 10, 25, 23, 0, 0), "2026-10-26");
		g_time_zone_unref(tz);
	}
	GTimeZone *u = g_time_zone_new_utc();
	assert_day(u, utc(2026, 12, 2, 23, 59, 59), "2026-12-02");
	assert_day(u, utc(2026, 12, 3, 0, 0, 0), "2026-12-03");
	g_time_zone_unref(u);
	GTimeZone *ny = g_time_zone_new_identifier("America/New_York");
	if (ny != NULL) {
		assert_day(ny, utc(2026, 12, 3, 4, 59, 59), "2026-12-02");
		assert_day(ny, utc(2026, 12, 3, 5, 0, 0), "2026-12-03");
		g_time_zone_unref(ny);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rates_accepted),
		cmocka_unit_test(rates_refused),
		cmocka_unit_test(rates_written_back),
		cmocka_unit_test(time_zones),
		cmocka_unit_test(local_days),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
