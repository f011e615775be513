/* test_error.c: the exit code of every error kind, which Postfix's pipe(8) turns into
 * deliver, defer or bounce. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sysexits.h>
#include "error.h"

static void check(int code, int want)
{
	g_autoptr(GError) e = g_error_new(M2S_ERROR, code, "x");
	assert_int_equal(m2s_error_sysexit(e), want);
}

static void every_code_has_its_exit(void **s)
{
	(void)s;
	check(M2S_ERR_UNREACHABLE, EX_TEMPFAIL);
	check(M2S_ERR_NO_REPLY, EX_TEMPFAIL);
	check(M2S_ERR_SERVER, EX_TEMPFAIL);
	check(M2S_ERR_THROTTLED, EX_TEMPFAIL);
	check(M2S_ERR_TOO_MANY, EX_TEMPFAIL);
	check(M2S_ERR_LIMIT, EX_NOPERM);
	check(M2S_ERR_CONFIG, EX_CONFIG);
	check(M2S_ERR_REQUEST, EX_DATAERR);
	check(M2S_ERR_DATA, EX_DATAERR);
	check(M2S_ERR_NOUSER, EX_NOUSER);
	check(M2S_ERR_NOPERM, EX_NOPERM);
	check(M2S_ERR_USAGE, EX_USAGE);
	check(M2S_ERR_IO, EX_IOERR);
	check(M2S_ERR_BUSY, EX_TEMPFAIL);
}

static void success_and_foreign_errors(void **s)
{
	(void)s;
	g_autoptr(GError) e = g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");
	assert_int_equal(m2s_error_sysexit(NULL), EX_OK);
	assert_int_equal(m2s_error_sysexit(e), EX_SOFTWARE);
}

/* Each code has a word of its own (status --json shows it), and an unknown one is
 * "other". */
static void every_code_has_its_name(void **s)
{
	(void)s;
	static const struct { int code; const char *name; } want[] = {
		{ M2S_ERR_UNREACHABLE, "unreachable" }, { M2S_ERR_NO_REPLY, "no_reply" },
		{ M2S_ERR_SERVER, "server" },           { M2S_ERR_THROTTLED, "throttled" },
		{ M2S_ERR_CONFIG, "config" },           { M2S_ERR_REQUEST, "request" },
		{ M2S_ERR_NOUSER, "nouser" },           { M2S_ERR_NOPERM, "noperm" },
		{ M2S_ERR_TOO_MANY, "too_many" },       { M2S_ERR_LIMIT, "limit" },
		{ M2S_ERR_DATA, "data" },               { M2S_ERR_USAGE, "usage" },
		{ M2S_ERR_IO, "io" },                   { M2S_ERR_BUSY, "busy" },
		{ M2S_ERR_FLOOD, "flood" },             { 0, "other" },
		{ M2S_ERR_FLOOD + 1, "other" },
	};
	g_autoptr(GError) foreign = g_error_new(G_FILE_ERROR, M2S_ERR_CONFIG, "x");

	for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
		g_autoptr(GError) e = g_error_new(M2S_ERROR, want[i].code, "x");
		assert_string_equal(m2s_error_name(e), want[i].name);
	}
	assert_string_equal(m2s_error_name(foreign), "other");
	assert_string_equal(m2s_error_name(NULL), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_its_exit),
		cmocka_unit_test(success_and_foreign_errors),
		cmocka_unit_test(every_code_has_its_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
