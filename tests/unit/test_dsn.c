/* test_dsn.c: delivery status notifications (dsn.c) parsed back with GMime and with
 * Python's email package (dsn_parse.py): the multipart/report structure and its fields,
 * the Subject per outcome and its encoding, hostile strings that try to add headers,
 * fields or recipients, the original header block that tries to break the report, the
 * bounds, and the meaning of each of OVH's ptt and receipt codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include "dsn.h"
#include "message.h"

#define NOW 1700000300
#define ARRIVAL 1700000000

static GMimeMessage *parse(const char *mail)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(mail, strlen(mail));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	assert_non_null(msg);
	return msg;
}

/* The decoded content of part I of MSG's multipart, which has N parts. */
static char *part_text(GMimeMessage *msg, int i)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	assert_true(GMIME_IS_MULTIPART(top));
	GMimeObject *obj = g_mime_multipart_get_part(GMIME_MULTIPART(top), i);
	assert_true(GMIME_IS_PART(obj));
	GByteArray *bytes = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));
	if (content != NULL)
		g_mime_data_wrapper_write_to_stream(content, mem);
	g_object_unref(mem);
	g_byte_array_append(bytes, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(bytes, FALSE);
}

/* The delivery-status part's blocks, each a table of its fields (lower-case names). */
static GPtrArray *status_blocks(GMimeMessage *msg)
{
	g_autofree char *text = part_text(msg, 1);
	g_auto(GStrv) blocks = g_strsplit(text, "\n\n", -1);
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);

	for (char **b = blocks; *b != NULL; b++) {
		if (**b == '\0' || strcmp(*b, "\n") == 0)
			continue;
		GHashTable *fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		g_auto(GStrv) lines = g_strsplit(*b, "\n", -1);
		for (char **l = lines; *l != NULL; l++) {
			if (**l == '\0')
				continue;
			char *colon = strchr(*l, ':');
			assert_non_null(colon);
			char *name = g_ascii_strdown(*l, colon - *l);
			/* A field given twice in one block would be an injected one. */
			assert_false(g_hash_table_contains(fields, name));
			g_hash_table_insert(fields, name, g_strdup(g_strstrip(colon + 1)));
		}
		g_ptr_array_add(out, fields);
	}
	return out;
}

static const char *field(GPtrArray *blocks, guint i, const char *name)
{
	assert_true(i < blocks->len);
	return g_hash_table_lookup(g_ptr_array_index(blocks, i), name);
}

/* The top header block of MAIL (up to its first empty line). */
static char *header_block(const char *mail)
{
	const char *end = strstr(mail, "\n\n");
	assert_non_null(end);
	return g_strndup(mail, end - mail + 1);
}

/* TRUE when a line of BLOCK starts with NAME (case-insensitive). */
static gboolean has_line(const char *block, const char *name)
{
	g_auto(GStrv) lines = g_strsplit(block, "\n", -1);

	for (char **l = lines; *l != NULL; l++)
		if (g_ascii_strncasecmp(*l, name, strlen(name)) == 0)
			return TRUE;
	return FALSE;
}

static const DsnRecipient two[] = {
	{ "+33612345678@sms.example.com", NULL, DSN_FAILED, "5.1.1",
	  "ptt=23 invalid or barred number", 1700000100 },
	{ "+33698765432@sms.example.com", "oncall@example.org", DSN_DELIVERED, "2.0.0", NULL,
	  1700000200 },
};

static Dsn base(const DsnRecipient *rcpts, guint n)
{
	return (Dsn){
		.reporting_mta = "h.example", .from = "MAILER-DAEMON@h.example",
		.to = "alice@example.org", .message_id = "<orig.1@example.org>",
		.subject = "Disk full on db1", .original_headers = NULL, .arrival = ARRIVAL,
		.now = NOW, .rcpts = rcpts, .n_rcpts = n,
	};
}

/* The report parses back: headers, report type, the three parts and their fields. */
static void structure_parses_back(void **s)
{
	(void)s;
	Dsn d = base(two, 2);
	g_autofree char *mail = dsn_build(&d);
	assert_non_null(mail);
	assert_null(strchr(mail, '\r'));
	GMimeMessage *msg = parse(mail);

	InternetAddressList *from = g_mime_message_get_from(msg);
	assert_int_equal(internet_address_list_length(from), 1);
	InternetAddress *ia = internet_address_list_get_address(from, 0);
	assert_string_equal(internet_address_get_name(ia), "Mail Delivery System");
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)),
	                    "MAILER-DAEMON@h.example");
	InternetAddressList *to = g_mime_message_get_to(msg);
	assert_int_equal(internet_address_list_length(to), 1);
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
		internet_address_list_get_address(to, 0))), "alice@example.org");
	assert_string_equal(g_mime_message_get_subject(msg), "Undelivered SMS: Disk full on db1");
	assert_int_equal(g_date_time_to_unix(g_mime_message_get_date(msg)), NOW);
	assert_true(g_str_has_suffix(g_mime_message_get_message_id(msg), "@h.example"));
	GMimeObject *o = GMIME_OBJECT(msg);
	assert_string_equal(g_mime_object_get_header(o, "In-Reply-To"), "<orig.1@example.org>");
	assert_string_equal(g_mime_object_get_header(o, "References"), "<orig.1@example.org>");
	assert_string_equal(g_mime_object_get_header(o, "Auto-Submitted"), "auto-replied");
	assert_string_equal(g_mime_object_get_header(o, "MIME-Version"), "1.0");

	GMimeObject *top = g_mime_message_get_mime_part(msg);
	GMimeContentType *ct = g_mime_object_get_content_type(top);
	assert_true(g_mime_content_type_is_type(ct, "multipart", "report"));
	assert_string_equal(g_mime_content_type_get_parameter(ct, "report-type"),
	                    "delivery-status");
	assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(top)), 3);
	const char *types[][2] = { { "text", "plain" }, { "message", "delivery-status" },
	                           { "text", "rfc822-headers" } };
	for (int i = 0; i < 3; i++) {
		GMimeObject *part = g_mime_multipart_get_part(GMIME_MULTIPART(top), i);
		assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(part),
		                                        types[i][0], types[i][1]));
	}

	g_autofree char *human = part_text(msg, 0);
	assert_non_null(strstr(human, "The SMS to +33612345678 could not be delivered: invalid "
	                              "or barred number (ptt 23).\n"));
	assert_non_null(strstr(human, "The SMS to +33698765432 was delivered"));
	assert_non_null(strstr(human, "\"Disk full on db1\""));

	g_autoptr(GPtrArray) b = status_blocks(msg);
	assert_int_equal(b->len, 3);
	assert_string_equal(field(b, 0, "reporting-mta"), "dns; h.example");
	assert_string_equal(field(b, 0, "arrival-date"), "Tue, 14 Nov 2023 22:13:20 +0000");
	assert_string_equal(field(b, 1, "final-recipient"), "rfc822; +33612345678@sms.example.com");
	assert_null(field(b, 1, "original-recipient"));
	assert_string_equal(field(b, 1, "action"), "failed");
	assert_string_equal(field(b, 1, "status"), "5.1.1");
	assert_string_equal(field(b, 1, "diagnostic-code"), "x-ovh; ptt=23 invalid or barred number");
	assert_string_equal(field(b, 1, "last-attempt-date"), "Tue, 14 Nov 2023 22:15:00 +0000");
	assert_string_equal(field(b, 2, "original-recipient"), "rfc822; oncall@example.org");
	assert_string_equal(field(b, 2, "action"), "delivered");
	assert_string_equal(field(b, 2, "status"), "2.0.0");
	assert_null(field(b, 2, "diagnostic-code"));

	g_autofree char *orig = part_text(msg, 2);
	assert_string_equal(orig, "Message-ID: <orig.1@example.org>\nSubject: Disk full on db1\n");
	g_object_unref(msg);
}

/* The Subject names the worst outcome; no original Subject leaves the word alone. */
static void subject_per_outcome(void **s)
{
	(void)s;
	struct { DsnAction a, b; const char *subject, *want; } cases[] = {
		{ DSN_FAILED, DSN_DELIVERED, "x", "Undelivered SMS: x" },
		{ DSN_DELIVERED, DSN_DELAYED, "x", "Delayed SMS: x" },
		{ DSN_DELIVERED, DSN_DELIVERED, "x", "Delivered SMS: x" },
		{ DSN_DELIVERED, DSN_RELAYED, "x", "Sent SMS: x" },
		{ DSN_DELAYED, DSN_FAILED, NULL, "Undelivered SMS" },
		{ DSN_DELIVERED, DSN_DELIVERED, " \t ", "Delivered SMS" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		DsnRecipient r[2] = { two[0], two[1] };
		r[0].action = cases[i].a;
		r[1].action = cases[i].b;
		Dsn d = base(r, 2);
		d.subject = cases[i].subject;
		g_autofree char *mail = dsn_build(&d);
		GMimeMessage *msg = parse(mail);
		assert_string_equal(g_mime_message_get_subject(msg), cases[i].want);
		g_object_unref(msg);
	}
}

/* A non-ASCII Subject is RFC 2047-encoded: the whole report is 7-bit, and decodes back. */
static void non_ascii_subject_encoded(void **s)
{
	(void)s;
	Dsn d = base(two, 2);
	d.subject = "Température critique — salle ß";
	g_autofree char *mail = dsn_build(&d);
	for (const char *p = mail; *p; p++)
		assert_true((guchar)*p < 0x80);
	g_autofree char *head = header_block(mail);
	assert_non_null(strstr(head, "=?UTF-8?"));
	GMimeMessage *msg = parse(mail);
	assert_string_equal(g_mime_message_get_subject(msg),
	                    "Undelivered SMS: Température critique — salle ß");
	g_autofree char *human = part_text(msg, 0);
	assert_non_null(strstr(human, "\"Température critique — salle ß\""));
	g_autofree char *orig = part_text(msg, 2);
	assert_null(strstr(orig, "é"));
	assert_non_null(strstr(orig, "Subject: =?UTF-8?"));
	g_object_unref(msg);
}

/* The original Subject is cut at 200 bytes on a character boundary. */
static void subject_bounded(void **s)
{
	(void)s;
	GString *long_subject = g_string_new(NULL);
	for (int i = 0; i < 1000; i++)
		g_string_append(long_subject, "é");
	Dsn d = base(two, 2);
	d.subject = long_subject->str;
	g_autofree char *mail = dsn_build(&d);
	GMimeMessage *msg = parse(mail);
	const char *got = g_mime_message_get_subject(msg);
	assert_true(g_utf8_validate(got, -1, NULL));
	assert_int_equal(strlen(got), strlen("Undelivered SMS: ") + 200);
	g_object_unref(msg);
	g_string_free(long_subject, TRUE);
}

/* CR, LF and other controls in every string cannot add a header, a field, a block or an
 * address. */
static void header_injection_fails(void **s)
{
	(void)s;
	DsnRecipient r[] = { {
		"+33612345678@sms.example.com\nAction: delivered",
		"x@y\r\nX-Evil: 5",
		DSN_FAILED,
		"5.1.1\nAction: delivered",
		"ptt=23 bad\nAction: delivered\n\nFinal-Recipient: rfc822; evil@x\nAction: "
		"delivered\nStatus: 2.0.0\r\n",
		1700000100,
	} };
	Dsn d = base(r, 1);
	d.reporting_mta = "h.example\nX-Evil: 1\n";
	d.from = "daemon@h.example\r\nX-Evil: 2";
	d.to = "bob@example.org>, evil@x.example <\r\nBcc: evil@x.example";
	d.message_id = "<a@b>\r\nX-Evil: 3";
	d.subject = "alert\r\nBcc: evil@x.example\r\n\r\nbody";

	g_autofree char *mail = dsn_build(&d);
	assert_non_null(mail);
	g_autofree char *head = header_block(mail);
	assert_false(has_line(head, "Bcc"));
	assert_false(has_line(head, "X-Evil"));
	assert_null(strchr(mail, '\r'));
	GMimeMessage *msg = parse(mail);
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "Bcc"));
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "X-Evil"));
	assert_int_equal(internet_address_list_length(g_mime_message_get_to(msg)), 1);
	assert_int_equal(internet_address_list_length(g_mime_message_get_from(msg)), 1);
	assert_null(strstr(g_mime_message_get_subject(msg), "\n"));

	g_autoptr(GPtrArray) b = status_blocks(msg);
	assert_int_equal(b->len, 2);
	assert_string_equal(field(b, 1, "action"), "failed");
	assert_string_equal(field(b, 1, "status"), "5.0.0");
	assert_false(g_str_has_prefix(field(b, 1, "final-recipient"), "rfc822; evil"));
	assert_non_null(strstr(field(b, 1, "diagnostic-code"), "Action: delivered"));
	g_autofree char *status = part_text(msg, 1);
	assert_false(has_line(status, "X-Evil"));
	assert_false(has_line(status, "Status: 2.0.0"));
	g_autofree char *orig = part_text(msg, 2);
	assert_false(has_line(orig, "X-Evil"));
	assert_false(has_line(orig, "Bcc"));
	g_object_unref(msg);
}

/* Original headers with a boundary line, a body, stray lines, controls, invalid UTF-8 and
 * an overlong line keep the report's three parts, and only header lines are kept. */
static void original_headers_cannot_break_report(void **s)
{
	(void)s;
	GString *h = g_string_new("From: alice@example.org\r\n"
	                          "Subject: =?utf-8?q?caf=C3=A9?=\r\n"
	                          "\tfolded on\r\n"
	                          "--=-boundary--\r\n"
	                          "mbox From line\r\n"
	                          " continuing the stray line\r\n"
	                          "X-Control: a\x1b[31m\x07 b\r\n"
	                          "X-Latin1: caf\xe9\r\n"
	                          "X-Long: ");
	for (int i = 0; i < 2000; i++)
		g_string_append_c(h, 'x');
	g_string_append(h, "\r\nX-Last: yes\r\n\r\nContent-Type: text/html\r\n\r\n--x--\r\n");
	Dsn d = base(two, 2);
	d.original_headers = h->str;
	g_autofree char *mail = dsn_build(&d);
	g_string_free(h, TRUE);

	GMimeMessage *msg = parse(mail);
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(top)), 3);
	g_autofree char *orig = part_text(msg, 2);
	assert_true(g_utf8_validate(orig, -1, NULL));
	assert_non_null(strstr(orig, "From: alice@example.org\n"));
	assert_non_null(strstr(orig, "Subject: =?utf-8?q?caf=C3=A9?=\n folded on\n"));
	assert_non_null(strstr(orig, "X-Control: a [31m  b\n"));
	assert_non_null(strstr(orig, "X-Latin1: caf\xef\xbf\xbd\n"));
	assert_non_null(strstr(orig, "X-Last: yes\n"));
	assert_null(strstr(orig, "--"));
	assert_null(strstr(orig, "mbox"));
	assert_null(strstr(orig, "continuing"));
	assert_null(strstr(orig, "Content-Type"));
	assert_null(strchr(orig, '\r'));
	assert_null(strstr(orig, "\n\n"));
	/* The 2000-byte line passes in a 7-bit encoding, no raw line longer than 998. */
	g_auto(GStrv) lines = g_strsplit(mail, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		assert_true(strlen(*l) <= 998);
	g_object_unref(msg);
}

/* At most 64 KiB of original headers, cut after a whole line. */
static void original_headers_bounded(void **s)
{
	(void)s;
	GString *h = g_string_new(NULL);
	for (int i = 0; h->len < 200 * 1024; i++)
		g_string_append_printf(h, "X-Filler-%d: %s\n", i, "0123456789abcdef0123456789");
	Dsn d = base(two, 2);
	d.original_headers = h->str;
	g_autofree char *mail = dsn_build(&d);
	g_string_free(h, TRUE);
	GMimeMessage *msg = parse(mail);
	g_autofree char *orig = part_text(msg, 2);
	assert_true(strlen(orig) <= DSN_HEADERS_MAX);
	assert_true(strlen(orig) > DSN_HEADERS_MAX - 100);
	assert_true(g_str_has_suffix(orig, "0123456789abcdef0123456789\n"));
	g_object_unref(msg);
}

/* Without an original Message-ID there is no In-Reply-To or References; without it and a
 * Subject the third part is empty but there. */
static void unknown_original(void **s)
{
	(void)s;
	Dsn d = base(two, 2);
	d.message_id = NULL;
	d.subject = NULL;
	d.arrival = 0;
	g_autofree char *mail = dsn_build(&d);
	GMimeMessage *msg = parse(mail);
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"));
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "References"));
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(top)), 3);
	g_autofree char *orig = part_text(msg, 2);
	assert_string_equal(orig, "");
	g_autoptr(GPtrArray) b = status_blocks(msg);
	assert_null(field(b, 0, "arrival-date"));
	g_object_unref(msg);
}

/* A status that is not an RFC 3463 code becomes its action's X.0.0. */
static void malformed_status_replaced(void **s)
{
	(void)s;
	struct { DsnAction a; const char *status, *want; } cases[] = {
		{ DSN_FAILED, "4.4.7", "4.4.7" },     { DSN_FAILED, "5.7.1", "5.7.1" },
		{ DSN_FAILED, "5.123.999", "5.123.999" }, { DSN_FAILED, "9.9.9", "5.0.0" },
		{ DSN_FAILED, "5.1", "5.0.0" },       { DSN_FAILED, "5.1.1 ", "5.0.0" },
		{ DSN_FAILED, "5.1234.1", "5.0.0" },  { DSN_DELAYED, NULL, "4.0.0" },
		{ DSN_DELIVERED, "", "2.0.0" },       { DSN_RELAYED, "x", "2.0.0" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		DsnRecipient r = two[0];
		r.action = cases[i].a;
		r.status = cases[i].status;
		Dsn d = base(&r, 1);
		g_autofree char *mail = dsn_build(&d);
		GMimeMessage *msg = parse(mail);
		g_autoptr(GPtrArray) b = status_blocks(msg);
		assert_string_equal(field(b, 1, "status"), cases[i].want);
		g_object_unref(msg);
	}
}

/* The delivery-status part is ASCII whatever the addresses and diagnostic hold. */
static void status_part_ascii(void **s)
{
	(void)s;
	DsnRecipient r = two[0];
	r.final_recipient = "jos\xc3\xa9@sms.example.com";
	r.original_recipient = "<\xc3\xa9t\xc3\xa9@example.org>";
	r.diagnostic = "ptt=23 num\xc3\xa9ro invalide";
	Dsn d = base(&r, 1);
	g_autofree char *mail = dsn_build(&d);
	GMimeMessage *msg = parse(mail);
	g_autoptr(GPtrArray) b = status_blocks(msg);
	assert_string_equal(field(b, 1, "final-recipient"), "rfc822; jos??@sms.example.com");
	assert_string_equal(field(b, 1, "original-recipient"), "rfc822; ??t??@example.org");
	assert_string_equal(field(b, 1, "diagnostic-code"), "x-ovh; ptt=23 num??ro invalide");
	g_autofree char *human = part_text(msg, 0);
	assert_non_null(strstr(human, "could not be delivered: num\xc3\xa9ro invalide (ptt 23)."));
	g_object_unref(msg);
}

/* No report without a recipient address or a recipient. */
static void required_fields(void **s)
{
	(void)s;
	const char *bad_to[] = { NULL, "", "<>", " \r\n " };
	for (gsize i = 0; i < G_N_ELEMENTS(bad_to); i++) {
		Dsn d = base(two, 2);
		d.to = bad_to[i];
		assert_null(dsn_build(&d));
	}
	Dsn d = base(two, 0);
	assert_null(dsn_build(&d));
	d = base(NULL, 1);
	assert_null(dsn_build(&d));
	DsnRecipient r = two[0];
	r.final_recipient = NULL;
	d = base(&r, 1);
	assert_null(dsn_build(&d));
	/* NULL From and host: defaults. */
	d = base(two, 1);
	d.from = NULL;
	d.reporting_mta = NULL;
	g_autofree char *mail = dsn_build(&d);
	GMimeMessage *msg = parse(mail);
	InternetAddress *ia = internet_address_list_get_address(g_mime_message_get_from(msg), 0);
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)),
	                    "MAILER-DAEMON@localhost");
	g_object_unref(msg);
}

/* Past DSN_MAX_RCPTS recipients the blocks stop and the text counts the rest. */
static void recipients_bounded(void **s)
{
	(void)s;
	guint n = DSN_MAX_RCPTS + 5;
	DsnRecipient *r = g_new(DsnRecipient, n);
	for (guint i = 0; i < n; i++)
		r[i] = two[0];
	Dsn d = base(r, n);
	g_autofree char *mail = dsn_build(&d);
	GMimeMessage *msg = parse(mail);
	g_autoptr(GPtrArray) b = status_blocks(msg);
	assert_int_equal(b->len, DSN_MAX_RCPTS + 1);
	g_autofree char *human = part_text(msg, 0);
	assert_non_null(strstr(human, "5 more recipients are not listed."));
	g_object_unref(msg);
	g_free(r);
}

/* Each outcome's sentence, the refusal at posting time, and dsn_diagnostic(). */
static void human_sentences(void **s)
{
	(void)s;
	g_autofree char *diag24 = dsn_diagnostic(24, "subscriber absent");
	g_autofree char *diag6 = dsn_diagnostic(6, "final state unknown");
	DsnRecipient r[] = {
		{ "+33600000001@sms.example.com", NULL, DSN_DELAYED, "4.4.1", diag24, 0 },
		{ "+33600000002@sms.example.com", NULL, DSN_RELAYED, "2.0.0", diag6, 0 },
		{ "+33600000003@sms.example.com", NULL, DSN_FAILED, DSN_REFUSED_STATUS,
		  DSN_REFUSED_TEXT, 0 },
		{ "+33600000004@sms.example.com", NULL, DSN_FAILED, "5.0.0", NULL, 0 },
		{ "oncall@sms.example.com", NULL, DSN_DELIVERED, "2.0.0", NULL, 0 },
	};
	assert_string_equal(diag24, "ptt=24 subscriber absent");
	g_autofree char *bare = dsn_diagnostic(-1, "text");
	assert_string_equal(bare, "text");
	g_autofree char *code = dsn_diagnostic(7, NULL);
	assert_string_equal(code, "ptt=7");
	Dsn d = base(r, G_N_ELEMENTS(r));
	g_autofree char *mail = dsn_build(&d);
	GMimeMessage *msg = parse(mail);
	g_autofree char *human = part_text(msg, 0);
	assert_non_null(strstr(human, "The SMS to +33600000001 is delayed: subscriber absent "
	                              "(ptt 24). Delivery is still being attempted.\n"));
	assert_non_null(strstr(human, "The SMS to +33600000002 was handed to the mobile "
	                              "operator, which will not say whether it arrived: final "
	                              "state unknown (ptt 6).\n"));
	assert_non_null(strstr(human, "The SMS to +33600000003 could not be delivered: invalid "
	                              "receiver (refused by OVH).\n"));
	assert_non_null(strstr(human, "The SMS to +33600000004 could not be delivered "
	                              "(status 5.0.0).\n"));
	assert_non_null(strstr(human, "The SMS to oncall@sms.example.com was delivered.\n"));
	g_autoptr(GPtrArray) b = status_blocks(msg);
	assert_string_equal(field(b, 2, "action"), "relayed");
	assert_string_equal(field(b, 3, "diagnostic-code"),
	                    "x-ovh; invalid receiver (refused by OVH)");
	assert_string_equal(field(b, 3, "status"), "5.1.1");
	g_object_unref(msg);
}

/* Every code of OVH's list, alone and with receipts. */
static void ptt_mapping(void **s)
{
	(void)s;
	struct { int ptt, dlr; gboolean report; DsnAction action; const char *status, *text; }
	cases[] = {
		{ 1, -1, TRUE, DSN_DELAYED, "4.4.1", "retrying: the phone is unreachable" },
		{ 2, -1, TRUE, DSN_DELAYED, "4.4.0", "retrying: the operator is unreachable" },
		{ 3, -1, FALSE, 0, NULL, NULL },
		{ 3, 0, FALSE, 0, NULL, NULL },
		{ 3, 4, FALSE, 0, NULL, NULL },
		{ 3, 8, FALSE, 0, NULL, NULL },
		{ 4, -1, TRUE, DSN_DELIVERED, "2.0.0", "delivered" },
		{ 5, -1, TRUE, DSN_FAILED, "5.0.0", "undelivered" },
		{ 6, -1, TRUE, DSN_RELAYED, "2.0.0", "final state unknown" },
		{ 8, -1, TRUE, DSN_FAILED, "4.4.7", "expired before it could be delivered" },
		{ 20, -1, TRUE, DSN_FAILED, "5.6.0", "undeliverable as is" },
		{ 21, -1, TRUE, DSN_FAILED, "5.2.2", "subscriber out of credit" },
		{ 23, -1, TRUE, DSN_FAILED, "5.1.1", "invalid or barred number" },
		{ 24, -1, TRUE, DSN_DELAYED, "4.4.1", "subscriber absent" },
		{ 25, -1, TRUE, DSN_DELAYED, "4.4.0", "network failure" },
		{ 26, -1, TRUE, DSN_DELAYED, "4.3.0", "phone error" },
		{ 27, -1, TRUE, DSN_FAILED, "5.3.3", "handset incompatible" },
		{ 28, -1, TRUE, DSN_FAILED, "5.7.1", "suspected spam" },
		{ 29, -1, TRUE, DSN_FAILED, "5.7.1", "content not permitted" },
		{ 33, -1, TRUE, DSN_FAILED, "5.7.1", "parental lock" },
		/* A final receipt ends a state that is not final. */
		{ 3, 1, TRUE, DSN_DELIVERED, "2.0.0", "delivered" },
		{ 3, 2, TRUE, DSN_FAILED, "5.0.0", "undelivered" },
		{ 6, 1, TRUE, DSN_DELIVERED, "2.0.0", "delivered" },
		{ 6, 16, TRUE, DSN_FAILED, "5.0.0", "undelivered" },
		{ 24, 2, TRUE, DSN_FAILED, "4.4.1", "subscriber absent" },
		{ 26, 16, TRUE, DSN_FAILED, "4.3.0", "phone error" },
		{ 1, 1, TRUE, DSN_DELIVERED, "2.0.0", "delivered" },
		{ 24, 4, TRUE, DSN_DELAYED, "4.4.1", "subscriber absent" },
		/* A final ptt is more precise than the receipt. */
		{ 23, 1, TRUE, DSN_FAILED, "5.1.1", "invalid or barred number" },
		{ 4, 2, TRUE, DSN_DELIVERED, "2.0.0", "delivered" },
		/* Unknown codes: the receipt decides. */
		{ 99, 1, TRUE, DSN_DELIVERED, "2.0.0", "delivered" },
		{ 99, 2, TRUE, DSN_FAILED, "5.0.0", "undelivered" },
		{ 99, 16, TRUE, DSN_FAILED, "5.0.0", "undelivered" },
		{ -1, 2, TRUE, DSN_FAILED, "5.0.0", "undelivered" },
		{ 99, 0, FALSE, 0, NULL, NULL },
		{ 99, 4, FALSE, 0, NULL, NULL },
		{ 99, 8, FALSE, 0, NULL, NULL },
		{ 99, -1, FALSE, 0, NULL, NULL },
		{ -1, -1, FALSE, 0, NULL, NULL },
		{ 0, 0, FALSE, 0, NULL, NULL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		DsnAction action = (DsnAction)-1;
		const char *status = "unset", *text = "unset";
		gboolean got = dsn_from_ptt(cases[i].ptt, cases[i].dlr, &action, &status, &text);
		if (got != cases[i].report)
			fail_msg("ptt %d dlr %d: report %d", cases[i].ptt, cases[i].dlr, got);
		if (!got)
			continue;
		if (action != cases[i].action)
			fail_msg("ptt %d dlr %d: action %d", cases[i].ptt, cases[i].dlr, action);
		assert_string_equal(status, cases[i].status);
		assert_string_equal(text, cases[i].text);
	}
}

/* Python's email package reads the report as this code wrote it, and the check is able to
 * fail (a wrong expectation is caught). */
static void python_email_parses(void **s)
{
	(void)s;
	g_autofree char *python = g_find_program_in_path("python3");
	if (python == NULL)
		skip();
	const char *top = g_getenv("TOP") ? g_getenv("TOP") : ".";
	g_autofree char *script = g_build_filename(top, "tests", "unit", "dsn_parse.py", NULL);
	assert_true(g_file_test(script, G_FILE_TEST_IS_REGULAR));

	DsnRecipient r[] = { two[0], two[1], two[0] };
	r[2].final_recipient = "+33600000009@sms.example.com";
	r[2].action = DSN_DELAYED;
	r[2].status = "4.4.1";
	r[2].diagnostic = "ptt=24 subscriber absent";
	Dsn d = base(r, G_N_ELEMENTS(r));
	d.subject = "Température\r\nBcc: x@y critique";
	d.original_headers = "From: a@b\nSubject: x\n--=-b\nX: y\n\nbody\n";
	g_autofree char *mail = dsn_build(&d);
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("m2s-dsn-XXXXXX", &path, NULL);
	assert_true(fd >= 0);
	close(fd);
	assert_true(g_file_set_contents(path, mail, -1, NULL));

	struct { const char *args[4]; gboolean ok; } runs[] = {
		{ { "failed:5.1.1", "delivered:2.0.0", "delayed:4.4.1", NULL }, TRUE },
		{ { "failed:5.1.1", "delivered:2.0.0", "failed:4.4.1", NULL }, FALSE },
		{ { "failed:5.1.1", "delivered:2.0.0", NULL, NULL }, FALSE },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(runs); i++) {
		g_autoptr(GPtrArray) argv = g_ptr_array_new();
		g_ptr_array_add(argv, python);
		g_ptr_array_add(argv, script);
		g_ptr_array_add(argv, "--subject");
		g_ptr_array_add(argv, "Undelivered SMS: Température Bcc: x@y critique");
		for (const char *const *a = runs[i].args; *a != NULL; a++)
			g_ptr_array_add(argv, (char *)*a);
		g_ptr_array_add(argv, NULL);
		g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
			G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
		g_subprocess_launcher_set_stdin_file_path(l, path);
		g_autoptr(GError) e = NULL;
		g_autoptr(GSubprocess) p = g_subprocess_launcher_spawnv(
			l, (const char *const *)argv->pdata, &e);
		assert_non_null(p);
		g_autofree char *out = NULL;
		assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &e));
		gboolean ok = g_subprocess_get_if_exited(p) && g_subprocess_get_exit_status(p) == 0;
		if (ok != runs[i].ok)
			fail_msg("dsn_parse.py run %zu: exit %s, expected %s:\n%s", i,
			         ok ? "0" : "non-zero", runs[i].ok ? "0" : "non-zero", out);
		if (ok)
			print_message("%s", out);
	}
	g_unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(structure_parses_back),
		cmocka_unit_test(subject_per_outcome),
		cmocka_unit_test(non_ascii_subject_encoded),
		cmocka_unit_test(subject_bounded),
		cmocka_unit_test(header_injection_fails),
		cmocka_unit_test(original_headers_cannot_break_report),
		cmocka_unit_test(original_headers_bounded),
		cmocka_unit_test(unknown_original),
		cmocka_unit_test(malformed_status_replaced),
		cmocka_unit_test(status_part_ascii),
		cmocka_unit_test(required_fields),
		cmocka_unit_test(recipients_bounded),
		cmocka_unit_test(human_sentences),
		cmocka_unit_test(ptt_mapping),
		cmocka_unit_test(python_email_parses),
	};
	msg_init();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_mime_shutdown();
	return rc;
}
