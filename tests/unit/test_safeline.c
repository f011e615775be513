/* test_safeline.c: the one sanitiser for text from outside (safeline.c): one line, valid
 * UTF-8, '%' doubled on demand, the bound in bytes held on a character boundary. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "error.h"
#include "safeline.h"

static void lines(void **state)
{
	(void)state;
	char *s = safeline("a\r\nb\tc\x7f" "d", 100, FALSE);
	assert_string_equal(s, "a  b c d");
	g_free(s);
	/* C1 controls and the Unicode line and paragraph separators too. */
	s = safeline("x\xc2\x85y\xe2\x80\xa8z\xe2\x80\xa9w", 100, FALSE);
	assert_string_equal(s, "x y z w");
	g_free(s);
	s = safeline(NULL, 100, TRUE);
	assert_string_equal(s, "");
	g_free(s);
	s = safeline("", 100, TRUE);
	assert_string_equal(s, "");
	g_free(s);
}

static void percent(void **state)
{
	(void)state;
	char *s = safeline("100% sure, %s %% %n", 100, TRUE);
	assert_string_equal(s, "100%% sure, %%s %%%% %%n");
	g_free(s);
	/* Without PERCENT (a header value), '%' stays as it is. */
	s = safeline("100% sure", 100, FALSE);
	assert_string_equal(s, "100% sure");
	g_free(s);
	/* A doubled '%' is never cut in half by the limit. */
	s = safeline("ab%", 3, TRUE);
	assert_string_equal(s, "ab");
	g_free(s);
	s = safeline("ab%", 4, TRUE);
	assert_string_equal(s, "ab%%");
	g_free(s);
}

static void limit(void **state)
{
	(void)state;
	GString *in = g_string_new(NULL);
	char *s;

	/* ASCII: exactly 980 bytes kept. */
	for (int i = 0; i < 1200; i++)
		g_string_append_c(in, 'a' + i % 26);
	s = safeline(in->str, 980, TRUE);
	assert_int_equal(strlen(s), 980);
	assert_memory_equal(s, in->str, 980);
	g_free(s);

	/* Two-byte characters from an odd offset: the cut falls on a character boundary, one
	 * byte short of 980, never inside "é". */
	g_string_assign(in, "x");
	for (int i = 0; i < 600; i++)
		g_string_append(in, "\xc3\xa9");
	s = safeline(in->str, 980, TRUE);
	assert_true(g_utf8_validate(s, -1, NULL));
	assert_int_equal(strlen(s), 979);
	g_free(s);

	/* Three- and four-byte characters. */
	g_string_truncate(in, 0);
	for (int i = 0; i < 400; i++)
		g_string_append(in, "\xe2\x82\xac" "\xf0\x9f\x93\xb1");
	s = safeline(in->str, 980, FALSE);
	assert_true(g_utf8_validate(s, -1, NULL));
	assert_true(strlen(s) <= 980);
	assert_true(strlen(s) > 980 - 4);
	g_free(s);

	/* Shorter text: untouched. */
	s = safeline("short", 980, TRUE);
	assert_string_equal(s, "short");
	g_free(s);
	g_string_free(in, TRUE);
}

/* Invalid UTF-8 (a mail in an unlabelled 8-bit charset) comes out valid. */
static void invalid_utf8(void **state)
{
	(void)state;
	char *s = safeline("caf\xe9 \xff\xfe ok", 100, TRUE);
	assert_true(g_utf8_validate(s, -1, NULL));
	assert_true(g_str_has_prefix(s, "caf"));
	assert_true(g_str_has_suffix(s, " ok"));
	g_free(s);
}

/* Found by fuzz_ovh_reply (seed ovh_reply/error-500-class): NEL and U+2028 in OVH's message
 * went into the error text, which ends up in logs and SMTP replies. */
static void ovh_texts(void **state)
{
	(void)state;
	g_autofree char *a = safeline("one\r\ntwo\xc2\x85" "three\xe2\x80\xa8" "four\xc2\x9b" "five",
	                              SAFELINE_OVH, FALSE);
	g_autofree char *b = safeline("caf\xc3\xa9 \xff ok", SAFELINE_OVH, FALSE);
	g_autofree char *long_text = g_strnfill(1000, 'x');
	g_autofree char *c = safeline(long_text, SAFELINE_OVH, FALSE);

	assert_string_equal(a, "one  two three four five");
	assert_string_equal(b, "caf\xc3\xa9 \xef\xbf\xbd ok");
	assert_int_equal(strlen(c), SAFELINE_OVH);
}

/* A number as written, quoted back: controls gone, at most SAFELINE_QUOTED bytes. */
static void quoted(void **state)
{
	(void)state;
	g_autofree char *a = safeline("a\r\nb\tc", SAFELINE_QUOTED, FALSE);
	g_autofree char *b = safeline("\xff\xfe" "abc", SAFELINE_QUOTED, FALSE);
	g_autofree char *c = safeline("0123456789012345678901234567890123456789012345",
	                              SAFELINE_QUOTED, FALSE);

	assert_string_equal(a, "a  b c");
	assert_true(g_utf8_validate(b, -1, NULL));
	assert_string_equal(c, "0123456789012345678901234567890123456789");
}

/* An error quoting a file's value: one line, bounded, the code kept. */
static void errors(void **state)
{
	(void)state;
	g_autoptr(GError) e = NULL;
	g_autofree char *v = g_strnfill(3000, 'v');

	safeline_error(&e, M2S_ERR_CONFIG, SAFELINE_CONFIG, "f: [sms] priority: not '%s\x01\n'", v);
	assert_int_equal(e->code, M2S_ERR_CONFIG);
	assert_int_equal(strlen(e->message), SAFELINE_CONFIG);
	assert_null(strchr(e->message, '\n'));
	g_clear_error(&e);
	safeline_error(&e, M2S_ERR_NOUSER, SAFELINE_QUOTED, "x\x01y");
	assert_string_equal(e->message, "x y");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines),
		cmocka_unit_test(percent),
		cmocka_unit_test(limit),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(ovh_texts),
		cmocka_unit_test(quoted),
		cmocka_unit_test(errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
