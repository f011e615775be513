/* test_phone.c: phone numbers as written to E.164 (phone.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "error.h"
#include "phone.h"

/* Normalises W for country ISO and checks the result (EXPECT NULL: a NOUSER refusal). */
static void check(const char *w, const char *iso, const char *expect)
{
	GError *e = NULL;
	char *got = phone_normalise(w, iso ? phone_country(iso) : NULL, &e);
	if (expect == NULL) {
		if (got != NULL)
			print_error("'%s' (%s) gave %s, expected a refusal\n", w, iso, got);
		assert_null(got);
		assert_non_null(e);
		assert_int_equal(e->code, M2S_ERR_NOUSER);
		assert_true(e->domain == M2S_ERROR);
		assert_null(strchr(e->message, '\n'));
		assert_null(strchr(e->message, '\r'));
		g_error_free(e);
	} else {
		if (got == NULL)
			print_error("'%s' (%s): %s\n", w, iso, e->message);
		assert_non_null(got);
		assert_string_equal(got, expect);
		assert_true(phone_is_e164(got));
		assert_null(e);
		g_free(got);
	}
}

static void test_international(void **state)
{
	(void)state;
	check("+33612345678", "FR", "+33612345678");
	check("0033612345678", "FR", "+33612345678");
	check("+33 6 12 34 56 78", "FR", "+33612345678");
	check("+33.6.12.34.56.78", NULL, "+33612345678");
	check("+33-6-12-34-56-78", "DE", "+33612345678");
	check("+33 (0)6 12 34 56 78", "FR", "+33612345678");
	check("0033 (0)6 12 34 56 78", "FR", "+33612345678");
	check("+1 (212) 555-1234", "FR", "+12125551234");
	check("+447700900123", NULL, "+447700900123");
	check("011 33 6 12 34 56 78", "US", "+33612345678");
}

static void test_national(void **state)
{
	(void)state;
	check("0612345678", "FR", "+33612345678");
	check("06 12 34 56 78", "FR", "+33612345678");
	check("06.12.34.56.78", "FR", "+33612345678");
	check("06-12-34-56-78", "fr", "+33612345678");
	check("0470 12 34 56", "BE", "+32470123456");
	check("0470/12.34.56", "BE", "+32470123456");
	check("0151 12345678", "DE", "+4915112345678");
	check("07700 900123", "GB", "+447700900123");
	check("07700 900123", "UK", "+447700900123");
	/* Italy has no trunk prefix: the leading 0 of a landline stays, mobiles start with 3. */
	check("312 345 6789", "IT", "+393123456789");
	check("06 1234 5678", "IT", "+390612345678");
	check("079 123 45 67", "CH", "+41791234567");
	check("(212) 555-1234", "US", "+12125551234");
	check("1 212 555 1234", "US", "+12125551234");
	check("613-555-0123", "CA", "+16135550123");
	check("06 20 123 4567", "HU", "+36201234567");
	check("8 612 34567", "LT", "+37061234567");
	check("0 612 34567", "LT", "+37061234567");
	check("612 345 678", "ES", "+34612345678");
	check("412 34 567", "NO", "+4741234567");
	check("0692 12 34 56", "RE", "+262692123456");
}

static void test_refusals(void **state)
{
	(void)state;
	check("12", "FR", NULL);                     /* too short */
	check("+3361234", "FR", NULL);               /* 7 digits */
	check("+3361234567890123", "FR", NULL);      /* 16 digits */
	check("061234567", "FR", NULL);              /* 8 national digits in France */
	check("06123456789", "FR", NULL);            /* 10 */
	check("0612abc678", "FR", NULL);             /* letters */
	check("oncall", "FR", NULL);
	check("00", "FR", NULL);                     /* international prefix and nothing */
	check("+", "FR", NULL);
	check("", "FR", NULL);
	check("+0612345678", "FR", NULL);            /* a country code never starts with 0 */
	check("000612345678", "FR", NULL);
	check("612345678", "FR", NULL);              /* no trunk prefix: ambiguous */
	check("0612345678", NULL, NULL);             /* national without a country */
	check("555-1234", "US", NULL);               /* 7 digits in the NANP */
	check("+33 6 12+34", "FR", NULL);            /* a second + */
	check("06\r\n12345678", "FR", NULL);
	check("0612345678901234567890123456789012345678901234567890123456789012345", "FR", NULL);
}

static void test_refusal_text(void **state)
{
	(void)state;
	GError *e = NULL;
	assert_null(phone_normalise("12", phone_country("FR"), &e));
	assert_true(g_str_has_prefix(e->message, "12: not a phone number"));
	g_clear_error(&e);
	/* Control characters from an address never reach an error text. */
	assert_null(phone_normalise("06\r\nRCPT TO:<x>", phone_country("FR"), &e));
	assert_null(strpbrk(e->message, "\r\n"));
	g_clear_error(&e);
}

static void test_countries(void **state)
{
	(void)state;
	static const char *const required[] = {
		"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
		"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "GB",
		"CH", "NO", "IS", "LI", "US", "CA", NULL,
	};
	for (const char *const *p = required; *p; p++) {
		const PhoneCountry *c = phone_country(*p);
		if (c == NULL)
			print_error("no country %s\n", *p);
		assert_non_null(c);
		assert_true(c->code[0] >= '1' && c->code[0] <= '9');
	}
	assert_null(phone_country("XX"));
	assert_null(phone_country(NULL));
	assert_string_equal(phone_country("us")->trunk, "1");
	assert_string_equal(phone_country("IT")->trunk, "");
	/* Every entry has a code made of digits and an upper-case ISO code. */
	for (const PhoneCountry *c = phone_countries(); c->iso; c++) {
		assert_int_equal(strlen(c->iso), 2);
		assert_true(g_ascii_isupper(c->iso[0]) && g_ascii_isupper(c->iso[1]));
		assert_int_equal(strspn(c->code, "0123456789"), strlen(c->code));
	}
}

static void test_is_e164(void **state)
{
	(void)state;
	assert_true(phone_is_e164("+33612345678"));
	assert_true(phone_is_e164("+12125551234"));
	assert_false(phone_is_e164("33612345678"));
	assert_false(phone_is_e164("+0612345678"));
	assert_false(phone_is_e164("+3361234"));
	assert_false(phone_is_e164("+3361234567890123"));
	assert_false(phone_is_e164("+33 612345678"));
	assert_false(phone_is_e164(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_international),
		cmocka_unit_test(test_national),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_refusal_text),
		cmocka_unit_test(test_countries),
		cmocka_unit_test(test_is_e164),
	};
	return cmocka_run_group_tests_name("phone", tests, NULL, NULL);
}
