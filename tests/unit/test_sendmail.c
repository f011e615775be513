/* test_sendmail.c: handing a mail to sendmail -oi -t (sendmail.c) with fake sendmail
 * programs: found first in PATH (relative entries skipped), the mail and the arguments
 * passed whole, a failure named with the first line it printed, and one that exits
 * without reading neither kills the process (SIGPIPE) nor counts as sent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "error.h"
#include "sendmail.h"

static char *dir;

/* DIR/NAME/sendmail running SCRIPT (a shell body); returns the directory. */
static char *fake(const char *name, const char *script)
{
	char *bin = g_build_filename(dir, name, NULL);
	g_autofree char *path = g_build_filename(bin, "sendmail", NULL);
	g_autofree char *text = g_strconcat("#!/bin/sh\n", script, NULL);

	g_assert(g_mkdir(bin, 0700) == 0);
	g_assert(g_file_set_contents(path, text, -1, NULL));
	g_assert(g_chmod(path, 0700) == 0);
	return bin;
}

/* PATH with BIN first, then the system's (the fake sendmails run cat). */
static void path_first(const char *bin)
{
	g_autofree char *path = g_strconcat(bin, ":/usr/bin:/bin", NULL);

	g_setenv("PATH", path, TRUE);
}

static int setup(void **s)
{
	(void)s;
	dir = g_dir_make_tmp("m2s-sendmail-XXXXXX", NULL);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	g_assert(system(cmd) == 0);
	g_free(dir);
	return 0;
}

/* The first sendmail in an absolute PATH entry; a relative entry is never used. */
static void found_in_path(void **s)
{
	(void)s;
	g_autofree char *a = fake("a", "exit 0\n");
	g_autofree char *b = fake("b", "exit 0\n");
	g_autofree char *path = g_strdup_printf(".:%s:%s", a, b);
	g_autofree char *want = g_build_filename(a, "sendmail", NULL);
	g_autofree char *cwd = g_get_current_dir();

	g_assert(chdir(b) == 0);
	g_setenv("PATH", path, TRUE);
	g_autofree char *got = sendmail_program();
	g_assert(chdir(cwd) == 0);
	assert_string_equal(got, want);
}

/* The mail reaches it whole, with the envelope after "--" (a recipient is never an option). */
static void mail_passed_whole(void **s)
{
	(void)s;
	g_autofree char *out = g_build_filename(dir, "got", NULL);
	g_autofree char *script = g_strdup_printf("echo \"$*\" >'%s.args'\ncat >'%s'\n", out, out);
	g_autofree char *bin = fake("good", script);
	g_autofree char *args = NULL, *got = NULL, *argfile = g_strconcat(out, ".args", NULL);
	g_autoptr(GError) e = NULL;
	const char *mail = "To: postmaster\nSubject: test\n\n.\nA line with a dot above.\n";

	path_first(bin);
	if (!sendmail_deliver(NULL, mail, "<>",
	                      (const char *const[]){ "postmaster", "-x@example.org", NULL }, &e))
		fail_msg("sendmail_deliver: %s", e->message);
	assert_true(g_file_get_contents(out, &got, NULL, NULL));
	assert_string_equal(got, mail);
	assert_true(g_file_get_contents(argfile, &args, NULL, NULL));
	assert_string_equal(args, "-i -f <> -- postmaster -x@example.org\n");
}

/* A failure: its exit status and the first line it said, in an M2S_ERR_IO. */
static void failure_named(void **s)
{
	(void)s;
	g_autofree char *bin = fake("bad", "cat >/dev/null\necho 'postdrop: fatal: no queue' >&2\n"
	                                   "echo 'second line' >&2\nexit 75\n");
	g_autoptr(GError) e = NULL;

	path_first(bin);
	assert_false(sendmail_deliver(NULL, "To: postmaster\n\nx\n", "<>",
	                              (const char *const[]){ "postmaster", NULL }, &e));
	assert_non_null(e);
	assert_int_equal(e->code, M2S_ERR_IO);
	assert_non_null(strstr(e->message, "exit status 75: postdrop: fatal: no queue"));
	assert_null(strstr(e->message, "second line"));
}

/* One that exits before reading a mail larger than a pipe holds: the write fails (EPIPE),
 * the process lives on, and the mail does not count as sent. */
static void early_exit_no_sigpipe(void **s)
{
	(void)s;
	g_autofree char *bin = fake("early", "exit 0\n");
	g_autoptr(GString) big = g_string_new("To: postmaster\n\n");
	g_autoptr(GError) e = NULL;

	while (big->len < 1024 * 1024)
		g_string_append(big, "a line of the body that nobody reads\n");
	path_first(bin);
	assert_false(sendmail_deliver(NULL, big->str, "<>",
	                              (const char *const[]){ "postmaster", NULL }, &e));
	assert_non_null(e);
	assert_non_null(strstr(e->message, "writing the mail"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(found_in_path),
		cmocka_unit_test(mail_passed_whole),
		cmocka_unit_test(failure_named),
		cmocka_unit_test(early_exit_no_sigpipe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
