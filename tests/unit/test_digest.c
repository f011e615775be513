/* test_digest.c: the text of a digest SMS (digest.c): the header line, local times on one
 * day and across two, subjects newest first with their repeats counted, the cut at
 * max_chars with "...", never inside a UTF-8 character, and within what gsm_capacity()
 * says the parts hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "digest.h"
#include "gsm.h"

/* Seconds since the epoch of a UTC date and time. */
static gint64 utc(int y, int mo, int d, int h, int mi, int s)
{
	g_autoptr(GDateTime) t = g_date_time_new_utc(y, mo, d, h, mi, s);
	return g_date_time_to_unix(t);
}

/* The strings given, newest first, in a GPtrArray that does not own them. */
static GPtrArray *list(const char *first, ...)
{
	GPtrArray *a = g_ptr_array_new();
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		g_ptr_array_add(a, (gpointer)s);
	va_end(ap);
	return a;
}

static const LimitRate per_hour = { 10, 3600 };

static void header_and_order(void **state)
{
	GTimeZone *tz = g_time_zone_new_utc();
	g_autoptr(GPtrArray) s = list("PROBLEM db1 disk", "PROBLEM db2 disk", NULL);
	g_autofree char *t = digest_text(12, utc(2026, 12, 2, 14, 2, 10), utc(2026, 12, 2, 14, 58, 0),
	                                 &per_hour, s, tz, 0);
	(void)state;

	assert_string_equal(t, "12 alerts held 14:02-14:58 (limit 10/1h): PROBLEM db1 disk; "
	                       "PROBLEM db2 disk");
	g_time_zone_unref(tz);
}

/* Times are local: 14:02 UTC is 15:02 in Paris in December (a POSIX rule: no tzdata). */
static void local_times(void **state)
{
	GTimeZone *tz = g_time_zone_new_identifier("CET-1CEST,M3.5.0,M10.5.0/3");
	g_autoptr(GPtrArray) s = list("x", NULL);
	g_autofree char *one = digest_text(1, utc(2026, 12, 2, 14, 2, 0), utc(2026, 12, 2, 14, 2, 50),
	                                   &per_hour, s, tz, 0);
	/* 22:50 and 23:10 UTC are 23:50 and 00:10 the next day in Paris. */
	g_autofree char *two = digest_text(3, utc(2026, 12, 2, 22, 50, 0), utc(2026, 12, 2, 23, 10, 0),
	                                   &per_hour, s, tz, 0);
	(void)state;

	assert_string_equal(one, "1 alert held 15:02 (limit 10/1h): x");
	assert_string_equal(two, "3 alerts held 02/12 23:50-03/12 00:10 (limit 10/1h): x");
	g_time_zone_unref(tz);
}

/* A repeated subject is listed once, at its newest place, with its count. */
static void repeats_counted(void **state)
{
	GTimeZone *tz = g_time_zone_new_utc();
	g_autoptr(GPtrArray) s = list("PROBLEM db1 disk", "PROBLEM db2 disk", "PROBLEM db1 disk",
	                              "RECOVERY web", "PROBLEM db1 disk", "PROBLEM db2 disk", NULL);
	g_autofree char *t = digest_text(6, utc(2026, 12, 2, 14, 0, 0), utc(2026, 12, 2, 14, 30, 0),
	                                 &per_hour, s, tz, 0);
	(void)state;

	assert_string_equal(t, "6 alerts held 14:00-14:30 (limit 10/1h): PROBLEM db1 disk (x3); "
	                       "PROBLEM db2 disk (x2); RECOVERY web");
	g_time_zone_unref(tz);
}

/* Subjects are made one line; an empty one is named; no limit, no subjects: less said. */
static void odd_subjects(void **state)
{
	GTimeZone *tz = g_time_zone_new_utc();
	g_autoptr(GPtrArray) s = list("  PROBLEM\r\n\tdb1   disk ", "", "PROBLEM db1 disk", NULL);
	g_autofree char *t = digest_text(3, utc(2026, 12, 2, 14, 0, 0), utc(2026, 12, 2, 14, 5, 0),
	                                 NULL, s, tz, 0);
	g_autofree char *bare = digest_text(2, utc(2026, 12, 2, 14, 0, 0),
	                                    utc(2026, 12, 2, 14, 5, 0), &per_hour, NULL, tz, 0);
	(void)state;

	assert_string_equal(t, "3 alerts held 14:00-14:05: PROBLEM db1 disk (x2); (no subject)");
	assert_string_equal(bare, "2 alerts held 14:00-14:05 (limit 10/1h)");
	g_time_zone_unref(tz);
}

/* Every bound from 1 to the whole length: at most that many characters, valid UTF-8, the
 * start of the whole text and "..." when cut. */
static void cut_on_characters(void **state)
{
	GTimeZone *tz = g_time_zone_new_utc();
	g_autoptr(GPtrArray) s = list("Défaut disque sur db1 €", "Alerte 🔥 température",
	                              "PROBLÈME réseau", NULL);
	g_autofree char *whole = digest_text(40, utc(2026, 12, 2, 14, 0, 0),
	                                     utc(2026, 12, 2, 14, 5, 0), &per_hour, s, tz, 0);
	glong len = g_utf8_strlen(whole, -1);
	(void)state;

	for (glong max = 1; max <= len + 2; max++) {
		g_autofree char *t = digest_text(40, utc(2026, 12, 2, 14, 0, 0),
		                                 utc(2026, 12, 2, 14, 5, 0), &per_hour, s, tz,
		                                 (gsize)max);
		assert_true(g_utf8_validate(t, -1, NULL));
		assert_true(g_utf8_strlen(t, -1) <= max);
		if (max >= len) {
			assert_string_equal(t, whole);
			continue;
		}
		assert_true(g_str_has_suffix(t, "...") || max < 3);
		if (max > 3) {
			gsize kept = strlen(t) - 3;
			assert_memory_equal(t, whole, kept);
			/* No blank nor separator left before the ellipsis. */
			assert_null(strchr(" ;:", t[kept - 1]));
		}
	}
	g_time_zone_unref(tz);
}

/* The digest of many alerts in the room of 3 GSM-7 parts fits 3 parts. */
static void fits_the_parts(void **state)
{
	GTimeZone *tz = g_time_zone_new_utc();
	g_autoptr(GPtrArray) s = g_ptr_array_new_with_free_func(g_free);
	(void)state;

	for (int i = 60; i > 0; i--)
		g_ptr_array_add(s, g_strdup_printf("PROBLEM host%02d disk full", i));
	g_autofree char *whole = digest_text(60, utc(2026, 12, 2, 14, 0, 0),
	                                     utc(2026, 12, 2, 14, 59, 0), &per_hour, s, tz, 0);
	GsmEncoding enc = gsm_encoding(whole, TRUE);
	g_autofree char *t = digest_text(60, utc(2026, 12, 2, 14, 0, 0),
	                                 utc(2026, 12, 2, 14, 59, 0), &per_hour, s, tz,
	                                 gsm_capacity(enc, 3));
	g_autoptr(GsmMessage) m = gsm_prepare(t, 3, TRUE);

	assert_int_equal(enc, GSM_ENC_GSM7);
	assert_true(g_utf8_strlen(t, -1) <= 459 && g_utf8_strlen(t, -1) > 440);
	assert_false(m->truncated);
	assert_int_equal(m->segments, 3);
	assert_true(g_str_has_prefix(t, "60 alerts held 14:00-14:59 (limit 10/1h): "
	                                "PROBLEM host60 disk full; PROBLEM host59"));
	assert_true(g_str_has_suffix(t, "..."));
	g_time_zone_unref(tz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_and_order),
		cmocka_unit_test(local_times),
		cmocka_unit_test(repeats_counted),
		cmocka_unit_test(odd_subjects),
		cmocka_unit_test(cut_on_characters),
		cmocka_unit_test(fits_the_parts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
