/* test_urgent.c: the headers that mark a mail urgent (urgent.c): each accepted form, with
 * blanks, folding and any case, and the look-alikes that are not urgent (X-Priority: 3,
 * Priority: non-urgent, a Subject saying URGENT, a header inside an attachment). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "urgent.h"

static void urgent_forms(void **state)
{
	static const char *const yes[][2] = {
		{ "X-Priority", "1" }, { "X-Priority", "2" }, { "X-Priority", "1 (Highest)" },
		{ "X-Priority", "2 (High)" }, { "x-priority", " 1 " }, { "X-PRIORITY", "1\r\n\t(Highest)" },
		{ "Importance", "high" }, { "Importance", "High" }, { "importance", " HIGH\r\n" },
		{ "Priority", "urgent" }, { "Priority", "Urgent" }, { "PRIORITY", "\turgent " },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(yes); i++)
		if (!urgent_header(yes[i][0], yes[i][1]))
			fail_msg("%s: '%s' is not urgent", yes[i][0], yes[i][1]);
}

static void not_urgent(void **state)
{
	static const char *const no[][2] = {
		{ "X-Priority", "3" }, { "X-Priority", "3 (Normal)" }, { "X-Priority", "5 (Lowest)" },
		{ "X-Priority", "12" }, { "X-Priority", "" }, { "X-Priority", "high" },
		{ "Importance", "normal" }, { "Importance", "low" }, { "Importance", "highest" },
		{ "Priority", "non-urgent" }, { "Priority", "normal" }, { "Priority", "" },
		{ "Subject", "URGENT: db1 down" }, { "X-MSMail-Priority", "High" },
		{ "X-Priority-1", "1" },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(no); i++)
		if (urgent_header(no[i][0], no[i][1]))
			fail_msg("%s: '%s' is urgent", no[i][0], no[i][1]);
	assert_false(urgent_header(NULL, "1"));
	assert_false(urgent_header("X-Priority", NULL));
}

static GMimeMessage *parse(const char *raw)
{
	/* GMime 3.2 declares no g_autoptr cleanup for its types. */
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, strlen(raw));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	assert_non_null(m);
	return m;
}

static void urgent_mails(void **state)
{
	static const struct { const char *headers; gboolean urgent; } mails[] = {
		{ "X-Priority: 1 (Highest)\n", TRUE },
		{ "Importance:\n high\n", TRUE },
		{ "X-Priority: 3\nImportance: high\n", TRUE },
		{ "X-Priority: 3 (Normal)\nImportance: normal\nPriority: non-urgent\n", FALSE },
		{ "Priority: urgent\n", TRUE },
		{ "", FALSE },
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(mails); i++) {
		g_autofree char *raw = g_strdup_printf(
			"From: nagios@example.com\nTo: +33612345678@sms.example.com\n"
			"Subject: URGENT PROBLEM db1\n%s\nbody\n", mails[i].headers);
		GMimeMessage *m = parse(raw);
		if (urgent_mail(m) != mails[i].urgent)
			fail_msg("mail %zu: urgent_mail is %d", i, !mails[i].urgent);
		g_object_unref(m);
	}
	assert_false(urgent_mail(NULL));
}

/* Only the mail's own headers count: an attached mail or a part saying urgent does not. */
static void attachment_headers_ignored(void **state)
{
	GMimeMessage *m = parse(
		"From: a@example.com\nTo: b@example.com\nSubject: fwd\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=XX\n\n"
		"--XX\nContent-Type: text/plain\nImportance: high\n\nhello\n"
		"--XX\nContent-Type: message/rfc822\n\nX-Priority: 1\nSubject: old\n\nold\n"
		"--XX--\n");
	(void)state;
	assert_false(urgent_mail(m));
	g_object_unref(m);
}

static int group_setup(void **state)
{
	(void)state;
	g_mime_init();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(urgent_forms),
		cmocka_unit_test(not_urgent),
		cmocka_unit_test(urgent_mails),
		cmocka_unit_test(attachment_headers_ignored),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
