/* test_duration.c: durations as the configuration writes them (duration.c): every unit, the
 * refusals, no wrap past G_MAXUINT, and the text written back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "duration.h"

static void parsed(void **state)
{
	static const struct { const char *text; guint seconds; } ok[] = {
		{ "0", 0 }, { "120", 120 }, { "120s", 120 }, { "10m", 600 }, { "2h", 7200 },
		{ "7d", 604800 }, { "0m", 0 }, { "4294967295", 4294967295u },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
		guint s = 1;
		assert_true(duration_parse(ok[i].text, &s));
		assert_int_equal(s, ok[i].seconds);
	}
}

static void refused(void **state)
{
	static const char *const bad[] = {
		"", "s", "1y", "1hh", "1h30m", "1.5h", "-1", "+1", " 1", "1 ", "1 h", "4294967296",
		"49711d", "99999999999999999999999",
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		guint s = 7;
		if (duration_parse(bad[i], &s))
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(s, 7);
	}
	assert_false(duration_parse(NULL, NULL));
}

static void written_back(void **state)
{
	static const struct { guint seconds; const char *text; } w[] = {
		{ 0, "0s" }, { 45, "45s" }, { 60, "1m" }, { 90, "90s" }, { 5400, "90m" },
		{ 3600, "1h" }, { 86400, "1d" }, { 90000, "25h" }, { 31 * 86400, "31d" },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(w); i++) {
		g_autofree char *t = duration_text(w[i].seconds);
		guint back = 0;
		assert_string_equal(t, w[i].text);
		assert_true(duration_parse(t, &back));
		assert_int_equal(back, w[i].seconds);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parsed),
		cmocka_unit_test(refused),
		cmocka_unit_test(written_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
