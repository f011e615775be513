/* test_reply_mail.c: an SMS reply as a mail (reply_mail.c), parsed back with GMime: its
 * headers and thread, the Subject without "Re: Re:", its encoding, the body's charset,
 * transfer encoding, line ends and bounds, invalid UTF-8 and controls in the text, and
 * hostile strings that try to add headers or addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "message.h"
#include "reply_mail.h"

#define RECEIVED 1700000400

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

/* MSG's body, the transfer encoding undone. */
static char *body_of(GMimeMessage *msg)
{
	GMimeObject *part = g_mime_message_get_mime_part(msg);
	assert_true(GMIME_IS_TEXT_PART(part));
	GByteArray *bytes = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(part)), mem);
	g_object_unref(mem);
	g_byte_array_append(bytes, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(bytes, FALSE);
}

static GMimeContentEncoding encoding_of(GMimeMessage *msg)
{
	return g_mime_part_get_content_encoding(GMIME_PART(g_mime_message_get_mime_part(msg)));
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

static const char *addr_of(InternetAddressList *list)
{
	assert_int_equal(internet_address_list_length(list), 1);
	return internet_address_mailbox_get_addr(
		INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(list, 0)));
}

static ReplyMail base(void)
{
	return (ReplyMail){
		.from = "+33612345678@sms.example.com", .to = "alice@example.org",
		.subject = "Disk full on db1", .in_reply_to = "orig.1@example.org",
		.text = "On it.\r\nRebooting db1", .id = 42, .received = RECEIVED,
		.hostname = "h.example",
	};
}

/* Every header, the thread, and the body with LF line ends and a final newline. */
static void headers_and_body(void **s)
{
	(void)s;
	ReplyMail r = base();
	g_autofree char *mail = reply_mail_build(&r);
	assert_non_null(mail);
	assert_null(strchr(mail, '\r'));
	GMimeMessage *msg = parse(mail);
	GMimeObject *o = GMIME_OBJECT(msg);

	assert_string_equal(addr_of(g_mime_message_get_from(msg)), "+33612345678@sms.example.com");
	assert_string_equal(addr_of(g_mime_message_get_to(msg)), "alice@example.org");
	assert_string_equal(g_mime_message_get_subject(msg), "Re: Disk full on db1");
	assert_string_equal(g_mime_object_get_header(o, "In-Reply-To"), "<orig.1@example.org>");
	assert_string_equal(g_mime_object_get_header(o, "References"), "<orig.1@example.org>");
	assert_int_equal(g_date_time_to_unix(g_mime_message_get_date(msg)), RECEIVED);
	assert_true(g_str_has_suffix(g_mime_message_get_message_id(msg), "@h.example"));
	assert_string_equal(g_mime_object_get_header(o, "X-Mail2SMS-Reply"), "id=42");
	assert_string_equal(g_mime_object_get_header(o, "Auto-Submitted"), "auto-generated");
	assert_string_equal(g_mime_object_get_header(o, "MIME-Version"), "1.0");
	GMimeContentType *ct = g_mime_object_get_content_type(g_mime_message_get_mime_part(msg));
	assert_true(g_mime_content_type_is_type(ct, "text", "plain"));
	assert_string_equal(g_mime_content_type_get_parameter(ct, "charset"), "utf-8");
	g_autofree char *body = body_of(msg);
	assert_string_equal(body, "On it.\nRebooting db1\n");
	g_object_unref(msg);
}

/* "Re:" is never piled up, whatever its case or spacing; no Subject names the number. */
static void subject_re_not_piled(void **s)
{
	(void)s;
	struct { const char *subject, *want; } cases[] = {
		{ "Disk full", "Re: Disk full" },
		{ "Re: Disk full", "Re: Disk full" },
		{ "RE: Disk full", "Re: Disk full" },
		{ "re:Disk full", "Re: Disk full" },
		{ "RE : Re: rE:  Disk full", "Re: Disk full" },
		{ "Reboot db1", "Re: Reboot db1" },
		{ "Re", "Re: Re" },
		{ "Re:", "SMS from +33612345678" },
		{ "", "SMS from +33612345678" },
		{ NULL, "SMS from +33612345678" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		ReplyMail r = base();
		r.subject = cases[i].subject;
		g_autofree char *mail = reply_mail_build(&r);
		GMimeMessage *msg = parse(mail);
		assert_string_equal(g_mime_message_get_subject(msg), cases[i].want);
		g_object_unref(msg);
	}
	/* A From that is not a number is named whole. */
	ReplyMail r = base();
	r.subject = NULL;
	r.from = "sms-12345@sms.example.com";
	g_autofree char *mail = reply_mail_build(&r);
	GMimeMessage *msg = parse(mail);
	assert_string_equal(g_mime_message_get_subject(msg), "SMS from sms-12345@sms.example.com");
	g_object_unref(msg);
}

/* An unmatched reply: no thread headers, no Date when unknown. */
static void unmatched_reply(void **s)
{
	(void)s;
	ReplyMail r = base();
	r.subject = NULL;
	r.in_reply_to = NULL;
	r.received = 0;
	r.hostname = NULL;
	g_autofree char *mail = reply_mail_build(&r);
	GMimeMessage *msg = parse(mail);
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"));
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "References"));
	assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "Date"));
	assert_true(g_str_has_suffix(g_mime_message_get_message_id(msg), "@localhost"));
	g_object_unref(msg);
}

/* A non-ASCII Subject and text: the mail is 7-bit, the Subject RFC 2047-encoded, the body
 * quoted-printable or base64 and decoded back whole. */
static void non_ascii_encoded(void **s)
{
	(void)s;
	ReplyMail r = base();
	r.subject = "Température critique — salle ß";
	r.text = "Ça chauffe, j'arrive. Привет 👍";
	g_autofree char *mail = reply_mail_build(&r);
	for (const char *p = mail; *p; p++)
		assert_true((guchar)*p < 0x80);
	g_autofree char *head = header_block(mail);
	assert_non_null(strstr(head, "Subject: Re: =?UTF-8?"));
	GMimeMessage *msg = parse(mail);
	assert_string_equal(g_mime_message_get_subject(msg), "Re: Température critique — salle ß");
	GMimeContentEncoding enc = encoding_of(msg);
	assert_true(enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	            enc == GMIME_CONTENT_ENCODING_BASE64);
	g_autofree char *body = body_of(msg);
	assert_string_equal(body, "Ça chauffe, j'arrive. Привет 👍\n");
	g_object_unref(msg);
}

/* ASCII text stays 7bit; a line past 998 bytes is encoded rather than sent raw. */
static void ascii_and_long_lines(void **s)
{
	(void)s;
	ReplyMail r = base();
	r.text = "OK\n";
	g_autofree char *mail = reply_mail_build(&r);
	GMimeMessage *msg = parse(mail);
	GMimeContentEncoding enc = encoding_of(msg);
	assert_true(enc == GMIME_CONTENT_ENCODING_DEFAULT || enc == GMIME_CONTENT_ENCODING_7BIT);
	g_autofree char *body = body_of(msg);
	assert_string_equal(body, "OK\n");
	g_object_unref(msg);

	char *line = g_strnfill(3000, 'x');
	r.text = line;
	g_autofree char *mail2 = reply_mail_build(&r);
	g_auto(GStrv) lines = g_strsplit(mail2, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		assert_true(strlen(*l) <= 998);
	msg = parse(mail2);
	assert_int_equal(encoding_of(msg), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_autofree char *body2 = body_of(msg);
	assert_int_equal(strlen(body2), 3001);
	assert_true(g_str_has_prefix(body2, line));
	g_object_unref(msg);
	g_free(line);
}

/* Invalid UTF-8 becomes valid; controls but tab and newline become spaces; CR and the
 * Unicode separators become newlines. */
static void text_made_valid_and_clean(void **s)
{
	(void)s;
	ReplyMail r = base();
	r.text = "caf\xe9 \xff!\x1b[31mred\x07\ta\rb\xe2\x80\xa8" "c";
	g_autofree char *mail = reply_mail_build(&r);
	GMimeMessage *msg = parse(mail);
	g_autofree char *body = body_of(msg);
	assert_true(g_utf8_validate(body, -1, NULL));
	assert_string_equal(body, "caf\xef\xbf\xbd \xef\xbf\xbd! [31mred \ta\nb\nc\n");
	g_object_unref(msg);
}

/* The text is cut at REPLY_MAIL_TEXT_MAX bytes on a character boundary. */
static void text_bounded(void **s)
{
	(void)s;
	GString *t = g_string_new(NULL);
	while (t->len < 100 * 1024)
		g_string_append(t, "é€");
	ReplyMail r = base();
	r.text = t->str;
	g_autofree char *mail = reply_mail_build(&r);
	GMimeMessage *msg = parse(mail);
	g_autofree char *body = body_of(msg);
	assert_true(g_utf8_validate(body, -1, NULL));
	assert_null(strstr(body, "\xef\xbf\xbd"));
	assert_true(strlen(body) <= REPLY_MAIL_TEXT_MAX + 1);
	assert_true(strlen(body) >= REPLY_MAIL_TEXT_MAX - 4);
	assert_true(g_str_has_suffix(body, "\n"));
	g_object_unref(msg);
	g_string_free(t, TRUE);

	/* Invalid bytes grow into three-byte U+FFFD: the bound holds on the result. */
	char *junk = g_strnfill(50 * 1024, '\xff');
	r.text = junk;
	g_autofree char *mail2 = reply_mail_build(&r);
	msg = parse(mail2);
	g_autofree char *body2 = body_of(msg);
	assert_true(g_utf8_validate(body2, -1, NULL));
	assert_true(strlen(body2) <= REPLY_MAIL_TEXT_MAX + 1);
	g_object_unref(msg);
	g_free(junk);
}

/* CR, LF and delimiters in every field cannot add a header or an address. */
static void header_injection_fails(void **s)
{
	(void)s;
	ReplyMail r = {
		.from = "+33612345678@sms.example.com\r\nBcc: evil@x.example",
		.to = "alice@example.org>, evil@x.example <\nX-Evil: 1",
		.subject = "x\r\nBcc: evil@x.example\r\n\r\nbody",
		.in_reply_to = "<a@b>\r\nX-Evil: 2",
		.text = "hi\r\n\r\nX-Evil: 3\n",
		.id = -7,
		.received = RECEIVED,
		.hostname = "h.example\nX-Evil: 4",
	};
	g_autofree char *mail = reply_mail_build(&r);
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
	assert_null(strchr(g_mime_message_get_subject(msg), '\n'));
	assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(msg), "X-Mail2SMS-Reply"),
	                    "id=-7");
	g_autofree char *body = body_of(msg);
	assert_string_equal(body, "hi\n\nX-Evil: 3\n");
	g_object_unref(msg);
}

/* A long non-ASCII address is cut within its bound on a character boundary. */
static void address_bounded(void **s)
{
	(void)s;
	GString *to = g_string_new(NULL);
	while (to->len < 1000)
		g_string_append(to, "é");
	g_string_append(to, "@example.org");
	ReplyMail r = base();
	r.to = to->str;
	g_autofree char *mail = reply_mail_build(&r);
	GMimeMessage *msg = parse(mail);
	const char *got = addr_of(g_mime_message_get_to(msg));
	assert_true(g_utf8_validate(got, -1, NULL));
	assert_true(strlen(got) <= 320);
	assert_true(strlen(got) >= 318);
	g_object_unref(msg);
	g_string_free(to, TRUE);
}

/* No mail without a From or a To address. */
static void required_addresses(void **s)
{
	(void)s;
	const char *bad[] = { NULL, "", "<>", " \r\n" };
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		ReplyMail r = base();
		r.to = bad[i];
		assert_null(reply_mail_build(&r));
		r = base();
		r.from = bad[i];
		assert_null(reply_mail_build(&r));
	}
	ReplyMail r = base();
	r.text = NULL;
	g_autofree char *mail = reply_mail_build(&r);
	GMimeMessage *msg = parse(mail);
	g_autofree char *body = body_of(msg);
	assert_string_equal(body, "\n");
	g_object_unref(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(headers_and_body),
		cmocka_unit_test(subject_re_not_piled),
		cmocka_unit_test(unmatched_reply),
		cmocka_unit_test(non_ascii_encoded),
		cmocka_unit_test(ascii_and_long_lines),
		cmocka_unit_test(text_made_valid_and_clean),
		cmocka_unit_test(text_bounded),
		cmocka_unit_test(header_injection_fails),
		cmocka_unit_test(address_bounded),
		cmocka_unit_test(required_addresses),
	};
	msg_init();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_mime_shutdown();
	return rc;
}
