/* test_reports.c: what reports.c decides without OVH or an MTA: SMTP's NOTIFY= read as RFC
 * 3461 writes it, and the address an SMS number is written as in a report or a reply. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "cfg.h"
#include "reports.h"

static void notify_values(void **state)
{
	static const struct {
		const char *text;
		gboolean ok;
		guint flags;
	} cases[] = {
		{ "NEVER", TRUE, 0 },
		{ "never", TRUE, 0 },
		{ "SUCCESS", TRUE, CFG_NOTIFY_SUCCESS },
		{ "FAILURE", TRUE, CFG_NOTIFY_FAILURE },
		{ "SUCCESS,FAILURE,DELAY", TRUE,
		  CFG_NOTIFY_SUCCESS | CFG_NOTIFY_FAILURE | CFG_NOTIFY_DELAY },
		{ "delay,Failure", TRUE, CFG_NOTIFY_FAILURE | CFG_NOTIFY_DELAY },
		{ "", FALSE, 0 },
		{ "NEVER,SUCCESS", FALSE, 0 },
		{ "SUCCESS,", FALSE, 0 },
		{ "SUCCESS FAILURE", FALSE, 0 },
		{ "ALWAYS", FALSE, 0 },
	};

	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint f = 99;
		gboolean ok = reports_parse_notify(cases[i].text, &f);
		if (ok != cases[i].ok)
			fail_msg("'%s': %s", cases[i].text, ok ? "taken" : "refused");
		if (ok)
			assert_int_equal(f, cases[i].flags);
		else
			assert_int_equal(f, 99);  /* untouched */
	}
}

static void number_address(void **state)
{
	g_autoptr(Cfg) cfg = cfg_new_default();
	g_autofree char *none = reports_number_address(cfg, "+33612345678");

	(void)state;
	/* No SMS domain: the host's name, still an address. */
	assert_true(g_str_has_prefix(none, "+33612345678@"));
	assert_true(strlen(none) > strlen("+33612345678@"));
	g_strfreev(cfg->addr_domains);
	cfg->addr_domains = g_strsplit("sms.example.com other.example.com", " ", -1);
	g_autofree char *a = reports_number_address(cfg, "+33612345678");
	assert_string_equal(a, "+33612345678@sms.example.com");
}

/* libmilter gives "<a@b>", the delivery agent "a@b"; "<>" and "" are the null sender. */
static void envelope_address(void **state)
{
	static const char *const cases[][2] = {
		{ "<nagios@example.org>", "nagios@example.org" },
		{ "nagios@example.org", "nagios@example.org" },
		{ " < ops@example.org > ", "ops@example.org" },
		{ "<>", NULL },
		{ "", NULL },
		{ "  ", NULL },
	};

	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *a = reports_envelope_address(cases[i][0]);
		if (g_strcmp0(a, cases[i][1]) != 0)
			fail_msg("'%s' gave '%s'", cases[i][0], a ? a : "(null)");
	}
	assert_null(reports_envelope_address(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notify_values),
		cmocka_unit_test(number_address),
		cmocka_unit_test(envelope_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
