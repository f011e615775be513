/* test_address.c: recipients to phone numbers (address.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "address.h"
#include "error.h"

/* The configuration of tests/corpus/test.conf, built in memory. */
static Cfg *test_cfg(void)
{
	Cfg *cfg = cfg_new_default();
	g_strfreev(cfg->addr_domains);
	cfg->addr_domains = g_strsplit("sms.example.com other.example.org", " ", -1);
	g_free(cfg->addr_default_country);
	cfg->addr_default_country = g_strdup("FR");
	g_strfreev(cfg->addr_allowed_prefixes);
	cfg->addr_allowed_prefixes = g_strsplit("+33 +32", " ", -1);
	g_strfreev(cfg->addr_subject_addresses);
	cfg->addr_subject_addresses = g_strsplit("sms@example.com", " ", -1);
	GPtrArray *oncall = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(oncall, g_strdup("+33611111111"));
	g_ptr_array_add(oncall, g_strdup("06 22 22 22 22"));
	g_hash_table_replace(cfg->aliases, g_strdup("oncall"), oncall);
	GPtrArray *bad = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(bad, g_strdup("+33633333333"));
	g_ptr_array_add(bad, g_strdup("+79161234567"));
	g_hash_table_replace(cfg->aliases, g_strdup("abroad"), bad);
	return cfg;
}

static int setup(void **state)
{
	*state = test_cfg();
	return 0;
}

static int teardown(void **state)
{
	cfg_unref(*state);
	return 0;
}

/* Classifies ADDR and checks the kind and, for ADDR_NUMBERS, the numbers (comma-joined). */
static void expect_kind(const Cfg *cfg, const char *addr, AddrKind kind, const char *numbers)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) e = NULL;
	AddrKind got = addr_classify(cfg, addr, out, &e);
	if (got != kind)
		print_error("%s: kind %d, expected %d (%s)\n", addr, got, kind, e ? e->message : "");
	assert_int_equal(got, kind);
	if (kind == ADDR_REFUSED) {
		assert_non_null(e);
		assert_int_equal(out->len, 0);
		assert_null(strpbrk(e->message, "\r\n"));
		return;
	}
	assert_null(e);
	if (kind != ADDR_NUMBERS) {
		assert_int_equal(out->len, 0);
		return;
	}
	g_ptr_array_add(out, NULL);
	g_autofree char *joined = g_strjoinv(",", (char **)out->pdata);
	assert_string_equal(joined, numbers);
}

/* The refusal of ADDR: its code and the start of its reason. */
static void expect_refusal(const Cfg *cfg, const char *addr, int code, const char *reason)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) e = NULL;
	assert_int_equal(addr_classify(cfg, addr, out, &e), ADDR_REFUSED);
	assert_non_null(e);
	assert_true(e->domain == M2S_ERROR);
	if (e->code != code || !g_str_has_prefix(e->message, reason))
		print_error("%s: %d '%s', expected %d '%s'\n", addr, e->code, e->message, code,
		            reason);
	assert_int_equal(e->code, code);
	assert_true(g_str_has_prefix(e->message, reason));
}

static void test_number_forms(void **state)
{
	const Cfg *cfg = *state;
	expect_kind(cfg, "+33612345678@sms.example.com", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "<+33612345678@sms.example.com>", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, " <+33612345678@SMS.Example.COM> ", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "0033612345678@sms.example.com", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "0612345678@sms.example.com", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "06.12.34.56.78@sms.example.com", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "06-12-34-56-78@other.example.org", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "\"06 12 34 56 78\"@sms.example.com", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "+32470123456@sms.example.com", ADDR_NUMBERS, "+32470123456");
	expect_kind(cfg, "+33612345678@sms.example.com.", ADDR_NUMBERS, "+33612345678");
}

static void test_default_countries(void **state)
{
	Cfg *cfg = *state;
	g_strfreev(cfg->addr_allowed_prefixes);
	cfg->addr_allowed_prefixes = g_new0(char *, 1);
	static const struct {
		const char *country, *addr, *e164;
	} cases[] = {
		{ "BE", "0470123456@sms.example.com", "+32470123456" },
		{ "DE", "015112345678@sms.example.com", "+4915112345678" },
		{ "GB", "07700900123@sms.example.com", "+447700900123" },
		{ "IT", "3123456789@sms.example.com", "+393123456789" },
		{ "CH", "0791234567@sms.example.com", "+41791234567" },
		{ "US", "2125551234@sms.example.com", "+12125551234" },
		{ "US", "1-212-555-1234@sms.example.com", "+12125551234" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_free(cfg->addr_default_country);
		cfg->addr_default_country = g_strdup(cases[i].country);
		expect_kind(cfg, cases[i].addr, ADDR_NUMBERS, cases[i].e164);
	}
}

static void test_refusals(void **state)
{
	const Cfg *cfg = *state;
	expect_refusal(cfg, "12@sms.example.com", M2S_ERR_NOUSER, "12: not a phone number");
	expect_refusal(cfg, "+3361234@sms.example.com", M2S_ERR_NOUSER, "+3361234: not a phone");
	expect_refusal(cfg, "+3361234567890123@sms.example.com", M2S_ERR_NOUSER,
	               "+3361234567890123: not a phone number (too long)");
	expect_refusal(cfg, "06123x5678@sms.example.com", M2S_ERR_NOUSER, "06123x5678: not a");
	expect_refusal(cfg, "00@sms.example.com", M2S_ERR_NOUSER, "00: not a phone number");
	expect_refusal(cfg, "nobody@sms.example.com", M2S_ERR_NOUSER,
	               "nobody: not a phone number or alias");
	expect_refusal(cfg, "+79161234567@sms.example.com", M2S_ERR_NOPERM,
	               "destination +79161234567 not allowed");
	expect_refusal(cfg, "0044770090012@sms.example.com", M2S_ERR_NOPERM,
	               "destination +44770090012 not allowed");
	/* One bad number refuses the whole alias: half an on-call group is worse. */
	expect_refusal(cfg, "abroad@sms.example.com", M2S_ERR_NOPERM, "alias abroad: destination");
}

static void test_not_sms(void **state)
{
	const Cfg *cfg = *state;
	expect_kind(cfg, "alice@example.com", ADDR_NOT_SMS, NULL);
	expect_kind(cfg, "+33612345678@example.com", ADDR_NOT_SMS, NULL);
	expect_kind(cfg, "+33612345678@sms.example.com.evil.org", ADDR_NOT_SMS, NULL);
	expect_kind(cfg, "postmaster@sms.example.com", ADDR_NOT_SMS, NULL);
	expect_kind(cfg, "no-at-sign", ADDR_NOT_SMS, NULL);
	expect_kind(cfg, "@sms.example.com", ADDR_NOT_SMS, NULL);
	expect_kind(cfg, "", ADDR_NOT_SMS, NULL);
	expect_kind(cfg, "other+33612345678@example.com", ADDR_NOT_SMS, NULL);
}

static void test_aliases(void **state)
{
	const Cfg *cfg = *state;
	expect_kind(cfg, "oncall@sms.example.com", ADDR_NUMBERS, "+33611111111,+33622222222");
	expect_kind(cfg, "OnCall@SMS.example.com", ADDR_NUMBERS, "+33611111111,+33622222222");
}

static void test_subject_addresses(void **state)
{
	const Cfg *cfg = *state;
	expect_kind(cfg, "sms@example.com", ADDR_FROM_SUBJECT, NULL);
	expect_kind(cfg, "<SMS@Example.com>", ADDR_FROM_SUBJECT, NULL);
	/* Plus-addressing: the + doubles as the international +. */
	expect_kind(cfg, "sms+33612345678@example.com", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "sms+0612345678@example.com", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "sms+0033612345678@example.com", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "sms+06.12.34.56.78@example.com", ADDR_NUMBERS, "+33612345678");
	expect_kind(cfg, "sms+oncall@example.com", ADDR_NUMBERS, "+33611111111,+33622222222");
	expect_kind(cfg, "SMS+OnCall@example.com", ADDR_NUMBERS, "+33611111111,+33622222222");
	expect_refusal(cfg, "sms+12@example.com", M2S_ERR_NOUSER, "+12: not a phone number");
	expect_refusal(cfg, "sms+79161234567@example.com", M2S_ERR_NOPERM, "destination +7916");
	expect_refusal(cfg, "sms+@example.com", M2S_ERR_NOUSER, "sms+: no number");
	expect_refusal(cfg, "sms+nobody@example.com", M2S_ERR_NOUSER, "nobody: not a phone");
}

/* Reads SUBJECT and checks the numbers (comma-joined) or, with EXPECT NULL, the refusal. */
static void expect_subject(const Cfg *cfg, const char *subject, const char *expect, int code)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) e = NULL;
	gboolean ok = addr_numbers_from_subject(cfg, subject, out, &e);
	if (expect == NULL) {
		assert_false(ok);
		assert_non_null(e);
		assert_int_equal(e->code, code);
		assert_int_equal(out->len, 0);
		return;
	}
	if (!ok)
		print_error("'%s': %s\n", subject, e->message);
	assert_true(ok);
	g_ptr_array_add(out, NULL);
	g_autofree char *joined = g_strjoinv(",", (char **)out->pdata);
	assert_string_equal(joined, expect);
}

static void test_subject_numbers(void **state)
{
	const Cfg *cfg = *state;
	expect_subject(cfg, "+33612345678, 06 98 76 54 32", "+33612345678,+33698765432", 0);
	expect_subject(cfg, "+33612345678 0698765432", "+33612345678,+33698765432", 0);
	expect_subject(cfg, "+33612345678;+32470123456", "+33612345678,+32470123456", 0);
	expect_subject(cfg, " oncall , 0612345678 ", "+33611111111,+33622222222,+33612345678", 0);
	expect_subject(cfg, "oncall 0612345678", "+33611111111,+33622222222,+33612345678", 0);
	expect_subject(cfg, "0612345678", "+33612345678", 0);
	expect_subject(cfg, "", NULL, M2S_ERR_NOUSER);
	expect_subject(cfg, " , ; ", NULL, M2S_ERR_NOUSER);
	expect_subject(cfg, NULL, NULL, M2S_ERR_NOUSER);
	expect_subject(cfg, "Server down", NULL, M2S_ERR_NOUSER);
	expect_subject(cfg, "0612345678, 12", NULL, M2S_ERR_NOUSER);
	expect_subject(cfg, "0612345678, +79161234567", NULL, M2S_ERR_NOPERM);
	/* Thousands of tokens are refused without expanding them all. */
	GString *many = g_string_new(NULL);
	for (int i = 0; i < 3000; i++)
		g_string_append(many, "0612345678,");
	expect_subject(cfg, many->str, NULL, M2S_ERR_TOO_MANY);
	g_string_free(many, TRUE);
}

static void test_normalise(void **state)
{
	const Cfg *cfg = *state;
	g_autoptr(GError) e = NULL;
	g_autofree char *n = addr_number_normalise(cfg, "06 12 34 56 78", &e);
	assert_string_equal(n, "+33612345678");
	g_autofree char *m = addr_number_normalise(cfg, "+41791234567", &e);
	assert_null(m);
	assert_int_equal(e->code, M2S_ERR_NOPERM);
}

static void test_no_prefix_list(void **state)
{
	Cfg *cfg = *state;
	g_strfreev(cfg->addr_allowed_prefixes);
	cfg->addr_allowed_prefixes = g_new0(char *, 1);
	expect_kind(cfg, "+79161234567@sms.example.com", ADDR_NUMBERS, "+79161234567");
	expect_kind(cfg, "abroad@sms.example.com", ADDR_NUMBERS, "+33633333333,+79161234567");
}

static void test_mask(void **state)
{
	(void)state;
	g_autofree char *a = addr_mask("+33612345678", FALSE);
	assert_string_equal(a, "+3361234xxxx");
	g_autofree char *b = addr_mask("+33612345678", TRUE);
	assert_string_equal(b, "+33612345678");
	g_autofree char *c = addr_mask("+4915112345678", FALSE);
	assert_string_equal(c, "+4915112xxxxxx");
	g_autofree char *d = addr_mask("+1234", FALSE);
	assert_string_equal(d, "+1234");
}

/* Numbers inside a reason are masked like addr_mask masks one; short ones are left. */
static void test_mask_text(void **state)
{
	(void)state;
	g_autofree char *a = addr_mask_text("OVH refused every receiver (+33612345678, +3212)", FALSE);
	g_autofree char *b = addr_mask_text("destination +79161234567 not allowed", FALSE);
	g_autofree char *c = addr_mask_text("+33612345678", TRUE);
	assert_string_equal(a, "OVH refused every receiver (+3361234xxxx, +3212)");
	assert_string_equal(b, "destination +7916123xxxx not allowed");
	assert_string_equal(c, "+33612345678");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_number_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_countries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_sms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_normalise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_prefix_list, setup, teardown),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_mask_text),
	};
	return cmocka_run_group_tests_name("address", tests, NULL, NULL);
}
