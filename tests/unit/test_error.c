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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_its_exit),
		cmocka_unit_test(success_and_foreign_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
