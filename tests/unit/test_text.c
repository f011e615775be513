/* test_text.c: part choice, decoding, charsets, subjects, format=flowed and text_clean,
 * on the sample mails of tests/corpus (or ../shared/mail) and on mails built here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <string.h>
#include <cmocka.h>
#include "message.h"

#include "charset.h"
#include "gsm.h"
#include "text.h"
#include "textclean.h"

/* Reads the sample mail NAME.eml from the corpus, trying the repository copy first. */
static GMimeMessage *load_sample(const char *name)
{
	const char *top = g_getenv("TOP") ? g_getenv("TOP") : ".";
	const char *dirs[] = { "tests/corpus", "../shared/mail" };
	g_autofree char *file = g_strconcat(name, ".eml", NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
		g_autofree char *path = g_build_filename(top, dirs[i], file, NULL);
		GMimeStream *stream = g_mime_stream_fs_open(path, O_RDONLY, 0, NULL);
		if (stream == NULL)
			continue;
		GMimeParser *parser = g_mime_parser_new_with_stream(stream);
		GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
		g_object_unref(parser);
		g_object_unref(stream);
		assert_non_null(msg);
		return msg;
	}
	fail_msg("sample mail %s not found under %s/tests/corpus or %s/../shared/mail", file, top,
	         top);
	return NULL;
}

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

static char *body_of(const char *mail)
{
	GMimeMessage *msg = parse(mail);
	char *body = text_body(msg);
	g_object_unref(msg);
	assert_true(g_utf8_validate(body, -1, NULL));
	return body;
}

#define assert_contains(hay, needle) \
	do { \
		if (strstr((hay), (needle)) == NULL) \
			fail_msg("\"%s\" not in \"%s\"", (needle), (hay)); \
	} while (0)
#define assert_absent(hay, needle) \
	do { \
		if (strstr((hay), (needle)) != NULL) \
			fail_msg("\"%s\" found in \"%s\"", (needle), (hay)); \
	} while (0)

/* Subject, body and their subject+body SMS for the sample NAME. */
typedef struct {
	char *subject, *body;
	GsmMessage *sms;
} Sample;

static Sample *sample(const char *name, guint max_segments)
{
	GMimeMessage *msg = load_sample(name);
	Sample *s = g_new0(Sample, 1);
	s->subject = text_subject(msg);
	s->body = text_body(msg);
	g_autofree char *all = g_strconcat(s->subject, "\n", s->body, NULL);
	s->sms = gsm_prepare(all, max_segments, TRUE);
	g_object_unref(msg);
	assert_true(g_utf8_validate(s->subject, -1, NULL));
	assert_true(g_utf8_validate(s->body, -1, NULL));
	assert_null(strpbrk(s->subject, "\r\n"));
	return s;
}

static void sample_free(Sample *s)
{
	g_free(s->subject);
	g_free(s->body);
	gsm_message_free(s->sms);
	g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Sample, sample_free)

static void sample_nagios_plain(void **state)
{
	(void)state;
	g_autoptr(Sample) s = sample("nagios-plain", 3);
	assert_contains(s->subject, "PROBLEM Service Alert: db1/Disk /var is CRITICAL");
	assert_contains(s->body, "free space: /var 312 MB");
	assert_absent(s->body, "\n\n");
	assert_int_equal(s->sms->encoding, GSM_ENC_GSM7);
}

static void sample_outlook_qp_french(void **state)
{
	(void)state;
	g_autoptr(Sample) s = sample("outlook-qp-french", 3);
	assert_contains(s->subject, "Livraison prévue");
	assert_contains(s->subject, "dépôt de Lyon");
	assert_contains(s->body, "Le camion arrivera à 14h30 au dépôt");
	assert_contains(s->body, "merci de prévenir l’équipe");
	assert_contains(s->body, "Cordialement,");
	assert_absent(s->body, "Responsable logistique");
	assert_absent(s->body, "Pouvez-vous confirmer");
	assert_absent(s->body, "a écrit");
	assert_absent(s->body, "Hervé");
	assert_int_equal(s->sms->encoding, GSM_ENC_UCS2);
}

static void sample_zabbix_html_only(void **state)
{
	(void)state;
	g_autoptr(Sample) s = sample("zabbix-html-only", 3);
	assert_contains(s->subject, "High CPU utilization on web-03");
	assert_contains(s->body, "Host: web-03");
	assert_contains(s->body, "Opérateur : <ops> & astreinte");
	assert_contains(s->body, "Original problem ID: 881 204");
	assert_absent(s->body, "font-family");
	assert_absent(s->body, "<td>");
	assert_absent(s->body, "&nbsp;");
	assert_absent(s->body, "\r");
	assert_int_equal(s->sms->encoding, GSM_ENC_GSM7);
}

static void sample_attachment_ignored(void **state)
{
	(void)state;
	g_autoptr(Sample) s = sample("attachment-ignored", 3);
	assert_string_equal(s->body, "Article 4711 sous le seuil (3 restants).");
	assert_absent(s->sms->text, "PDF");
	assert_absent(s->sms->text, "report.pdf");
}

static void sample_cron_unlabelled_8bit(void **state)
{
	(void)state;
	g_autoptr(Sample) s = sample("cron-unlabelled-8bit", 3);
	assert_contains(s->subject, "nightly-backup");
	assert_contains(s->body, "connexion refusée");
	assert_contains(s->body, "échec");
	assert_int_equal(s->sms->encoding, GSM_ENC_GSM7);
}

static void sample_ups_latin1_base64(void **state)
{
	(void)state;
	g_autoptr(Sample) s = sample("ups-latin1-base64", 3);
	assert_string_equal(s->subject, "Onduleur salle B: batterie faible, autonomie 4 min");
	assert_contains(s->body, "passage sur batterie à 02:55");
	assert_contains(s->body, "autonomie estimée 4 min");
	assert_absent(s->body, "\r");
	assert_int_equal(s->sms->encoding, GSM_ENC_GSM7);
}

static void sample_alertmanager_long(void **state)
{
	(void)state;
	g_autoptr(Sample) s = sample("alertmanager-long", 3);
	assert_string_equal(s->subject, "[FIRING:3] KubePodCrashLooping production");
	assert_contains(s->body, "Alert: Pod production/api-0-7d9f8 is crash looping");
	assert_contains(s->sms->text, "[FIRING:3] KubePodCrashLooping production");
	assert_int_equal(s->sms->encoding, GSM_ENC_GSM7);
	assert_true(s->sms->truncated);
	assert_true(s->sms->segments <= 3);
}

static void sample_plus_and_subject_addressing(void **state)
{
	(void)state;
	g_autoptr(Sample) p = sample("plus-addressing", 3);
	assert_contains(p->subject, "Toner low");
	assert_contains(p->body, "black toner at 5%");
	g_autoptr(Sample) s = sample("subject-addressing", 3);
	assert_string_equal(s->body, "Le serveur de fichiers redémarre à 22h.");
	assert_int_equal(s->sms->encoding, GSM_ENC_GSM7);
	g_autoptr(Sample) i = sample("invalid-and-foreign", 3);
	assert_string_equal(i->body, "hello");
}

static void latin1_base64_body_is_decoded(void **state)
{
	(void)state;
	/* "Température élevée\r\n" in ISO-8859-1, base64. */
	g_autofree char *b = body_of("Content-Type: text/plain; charset=iso-8859-1\n"
	                             "Content-Transfer-Encoding: base64\n\n"
	                             "VGVtcOlyYXR1cmUg6WxldullDQo=\n");
	assert_string_equal(b, "Température élevée");
}

static void unlabelled_8bit_cp1252_and_utf8_are_decoded(void **state)
{
	(void)state;
	g_autofree char *cp = body_of("Subject: x\n\nd\xe9p\xf4t \x96 l\x92\xe9quipe \x80\n");
	assert_string_equal(cp, "dépôt – l’équipe €");
	g_autofree char *u8 = body_of("Subject: x\n\nd\xc3\xa9p\xc3\xb4t\n");
	assert_string_equal(u8, "dépôt");
	/* Both in one text: each byte run decoded as what it is. */
	g_autofree char *mix = text_to_utf8("caf\xc3\xa9 / caf\xe9", 12, NULL);
	assert_string_equal(mix, "café / café");
}

static void mislabelled_ascii_with_8bit_is_decoded(void **state)
{
	(void)state;
	g_autofree char *b = body_of("Content-Type: text/plain; charset=us-ascii\n\n"
	                             "r\xc3\xa9seau / r\xe9seau\n");
	assert_string_equal(b, "réseau / réseau");
}

static void unknown_charset_label_falls_back(void **state)
{
	(void)state;
	g_autofree char *b = body_of("Content-Type: text/plain; charset=x-no-such-charset\n\n"
	                             "d\xe9j\xe0 vu, d\xc3\xa9j\xc3\xa0 vu\n");
	assert_string_equal(b, "déjà vu, déjà vu");
	g_autofree char *t = text_to_utf8("\xff\xfe\x00", 3, "bogus//charset");
	assert_true(g_utf8_validate(t, -1, NULL));
}

static void other_charsets_are_converted(void **state)
{
	(void)state;
	g_autofree char *k = text_to_utf8("\xf0\xd2\xc9\xd7\xc5\xd4", 6, "koi8-r");
	assert_string_equal(k, "Привет");
	g_autofree char *e = text_to_utf8("\xa4 \xe9", 3, "iso-8859-15");
	assert_string_equal(e, "€ é");
	/* UTF-16 carries NUL bytes; the result is still a whole C string. */
	g_autofree char *w = text_to_utf8("h\0i\0", 4, "utf-16le");
	assert_string_equal(w, "hi");
}

static void invalid_base64_does_not_crash(void **state)
{
	(void)state;
	g_autofree char *b = body_of("Content-Type: text/plain; charset=utf-8\n"
	                             "Content-Transfer-Encoding: base64\n\n"
	                             "!!!!****====SGVsbG8=%%%\x01\xff\n====\n");
	(void)b;
	g_autofree char *q = body_of("Content-Type: text/plain; charset=utf-8\n"
	                             "Content-Transfer-Encoding: quoted-printable\n\n"
	                             "broken =ZZ soft=\n=\n");
	assert_contains(q, "broken");
}

static void nul_bytes_are_dropped(void **state)
{
	(void)state;
	g_autofree char *t = text_to_utf8("a\0b\0c", 5, NULL);
	assert_string_equal(t, "abc");
}

static void encoded_subject_is_decoded_to_one_line(void **state)
{
	(void)state;
	GMimeMessage *msg = parse("Subject: =?utf-8?Q?Alerte=0D=0ABcc:_x@y?= =?iso-8859-1?Q?_d=E9p=F4t?=\n"
	                          "\tsuite\t\x01 fin\n\nbody\n");
	g_autofree char *s = text_subject(msg);
	assert_null(strpbrk(s, "\r\n\t\x01"));
	assert_string_equal(s, "Alerte Bcc: x@y dépôt suite fin");
	g_object_unref(msg);
}

static void missing_subject_is_empty(void **state)
{
	(void)state;
	GMimeMessage *msg = parse("From: a@b\n\nbody\n");
	g_autofree char *s = text_subject(msg);
	assert_string_equal(s, "");
	g_object_unref(msg);
}

static void format_flowed_is_joined(void **state)
{
	(void)state;
	g_autofree char *b = body_of("Content-Type: text/plain; charset=utf-8; format=flowed\n\n"
	                             "This is a long line that the \n"
	                             "client wrapped softly.\n"
	                             " From the start, stuffed.\n"
	                             "Hard break.\n");
	assert_string_equal(b, "This is a long line that the client wrapped softly.\n"
	                       "From the start, stuffed.\nHard break.");
	g_autofree char *d = body_of("Content-Type: text/plain; format=flowed; delsp=yes\n\n"
	                             "Disk is al \nmost full\n");
	assert_string_equal(d, "Disk is almost full");
}

static void format_flowed_quotes_stay_quotes(void **state)
{
	(void)state;
	g_autofree char *b = body_of("Content-Type: text/plain; format=flowed\n\n"
	                             "Yes.\n\nOn Mon, Bob wrote:\n> Are you \n> there?\n");
	assert_string_equal(b, "Yes.");
}

static void html_is_used_when_no_plain_text(void **state)
{
	(void)state;
	g_autofree char *b = body_of(
	    "Content-Type: multipart/alternative; boundary=B\n\n"
	    "--B\nContent-Type: text/html\n\n"
	    "<html><head><meta charset=\"iso-8859-1\"></head><body>d\xe9p\xf4t</body></html>\n"
	    "--B--\n");
	assert_string_equal(b, "dépôt");
}

static void html_reply_quotes_and_signature_are_cut(void **state)
{
	(void)state;
	g_autofree char *o = body_of(
	    "Content-Type: text/html; charset=windows-1252\n\n"
	    "<p>Bonjour,<br><br>Le camion arrivera \xe0 14h30.<br><br>Cordialement,<br>-- <br>"
	    "Herv\xe9" "<br>Responsable logistique<br><br>Le lun. 23 nov. 2026 \xe0 18:02, Marc "
	    "<marc@example.fr> a \xe9" "crit :<br>> Pouvez-vous confirmer ?<br></p>\n");
	assert_string_equal(o, "Bonjour,\nLe camion arrivera à 14h30.\nCordialement,");
	g_autofree char *g = body_of(
	    "Content-Type: text/html; charset=utf-8\n\n"
	    "<div dir=\"ltr\">Oui, c'est bon.</div><br><div class=\"gmail_quote\">"
	    "<div class=\"gmail_attr\">Le lun. 23 nov. 2026 à 18:02, Marc &lt;<a href=\"mailto:"
	    "m@x.fr\">m@x.fr</a>&gt; a écrit&nbsp;:<br></div><blockquote class=\"gmail_quote\">"
	    "<div>Pouvez-vous confirmer ?</div></blockquote></div>\n");
	assert_string_equal(g, "Oui, c'est bon.");
}

static void empty_plain_text_falls_back_to_html(void **state)
{
	(void)state;
	g_autofree char *b = body_of("Content-Type: multipart/alternative; boundary=B\n\n"
	                             "--B\nContent-Type: text/plain\n\n\n"
	                             "--B\nContent-Type: text/html\n\n<p>from html</p>\n"
	                             "--B--\n");
	assert_string_equal(b, "from html");
}

static void plain_text_is_preferred_to_html(void **state)
{
	(void)state;
	g_autofree char *b = body_of("Content-Type: multipart/alternative; boundary=B\n\n"
	                             "--B\nContent-Type: text/html\n\n<p>from html</p>\n"
	                             "--B\nContent-Type: text/plain\n\nfrom plain\n"
	                             "--B--\n");
	assert_string_equal(b, "from plain");
}

static void forwarded_message_and_attachments_are_skipped(void **state)
{
	(void)state;
	g_autofree char *b = body_of(
	    "Content-Type: multipart/mixed; boundary=B\n\n"
	    "--B\nContent-Type: text/plain; name=log.txt\nContent-Disposition: attachment\n\n"
	    "attached log\n"
	    "--B\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner text\n"
	    "--B\nContent-Type: multipart/alternative; boundary=C\n\n"
	    "--C\nContent-Type: text/plain\n\nthe real text\n--C--\n"
	    "--B--\n");
	assert_string_equal(b, "the real text");
	g_autofree char *none = body_of("Content-Type: multipart/mixed; boundary=B\n\n"
	                                "--B\nContent-Type: message/rfc822\n\n"
	                                "Subject: inner\n\ninner text\n--B--\n");
	assert_string_equal(none, "");
}

static void many_parts_and_broken_boundaries_are_bounded(void **state)
{
	(void)state;
	GString *m = g_string_new("Content-Type: multipart/mixed; boundary=B\n\n");
	for (int i = 0; i < 3000; i++)
		g_string_append(m, "--B\nContent-Type: image/png\n\nxx\n");
	g_string_append(m, "--B\nContent-Type: text/plain\n\nlate\n--B--\n");
	g_autofree char *b = body_of(m->str);
	assert_string_equal(b, "");
	g_string_free(m, TRUE);

	g_autofree char *broken = body_of("Content-Type: multipart/mixed; boundary=B\n\n"
	                                  "--B\nContent-Type: text/plain\n\nno end boundary\n--X\n");
	assert_contains(broken, "no end boundary");
}

static void long_line_is_kept_within_bounds(void **state)
{
	(void)state;
	GString *m = g_string_new("Subject: x\n\n");
	for (int i = 0; i < 200000; i++)
		g_string_append_c(m, 'a' + i % 26);
	g_string_append_c(m, '\n');
	g_autofree char *b = body_of(m->str);
	assert_int_equal(strlen(b), 200000);
	g_string_free(m, TRUE);
}

static void clean_cuts_quotes_and_attribution(void **state)
{
	(void)state;
	g_autofree char *a = text_clean("OK for me.\n\nOn Mon, 23 Nov 2026, Marc <m@x.fr> wrote:\n"
	                                "> Can you?\n> Thanks\n");
	assert_string_equal(a, "OK for me.");
	g_autofree char *b = text_clean("D'accord.\n\nLe lun. 23 nov. 2026 à 18:02, Marc <m@x.fr> "
	                                "a\u00a0écrit\u00a0:\n\n> Pouvez-vous ?\n");
	assert_string_equal(b, "D'accord.");
	/* A wrapped attribution and inline replies between quotes. */
	g_autofree char *c = text_clean("On Mon, Nov 23, 2026 at 6:02 PM Marc <\nm@x.fr> wrote:\n"
	                                "> first?\nyes\n> second?\nno\n");
	assert_string_equal(c, "yes\nno");
}

static void clean_cuts_outlook_original(void **state)
{
	(void)state;
	g_autofree char *a = text_clean("Reçu.\n\n-----Original Message-----\nFrom: x\nold text\n");
	assert_string_equal(a, "Reçu.");
	g_autofree char *b = text_clean("Bien reçu.\n-----Message d'origine-----\nDe : x\nancien\n");
	assert_string_equal(b, "Bien reçu.");
	g_autofree char *c = text_clean("Done.\n\n________________________________\n"
	                                "From: Ops <ops@x>\nSent: Monday\nTo: me\nSubject: y\n\nold\n");
	assert_string_equal(c, "Done.");
	g_autofree char *d = text_clean("Fait.\n\nDe\u00a0: Ops <ops@x>\nEnvoyé\u00a0: lundi\n"
	                                "À : moi\n\nancien\n");
	assert_string_equal(d, "Fait.");
	/* A From: line without Sent: is content. */
	g_autofree char *e = text_clean("Alert\nFrom: sensor 4\nValue: 7\n");
	assert_string_equal(e, "Alert\nFrom: sensor 4\nValue: 7");
}

static void clean_cuts_signature(void **state)
{
	(void)state;
	g_autofree char *a = text_clean("Server down.\n-- \nJohn\nOps team\n");
	assert_string_equal(a, "Server down.");
	g_autofree char *b = text_clean("Server down.\n--\nJohn\n");
	assert_string_equal(b, "Server down.");
	/* A marker with nothing before it does not cut the text to nothing. */
	g_autofree char *c = text_clean("-- \nonly this\n");
	assert_string_equal(c, "--\nonly this");
	g_autofree char *d = text_clean("Back at 5.\n\nSent from my iPhone\n");
	assert_string_equal(d, "Back at 5.");
}

static void clean_cuts_trailing_disclaimer(void **state)
{
	(void)state;
	g_autofree char *a = text_clean("Invoice ready.\n\n______________________\n"
	                                "This e-mail is confidential.\nIf you are not the "
	                                "intended recipient, delete it.\n");
	assert_string_equal(a, "Invoice ready.");
	g_autofree char *b = text_clean("Backup ok.\n\n-----\nCONFIDENTIALITY NOTICE\n");
	assert_string_equal(b, "Backup ok.");
	/* An underline under a heading is not a disclaimer rule. */
	g_autofree char *c = text_clean("Report\n------\nHost  State\nweb1  up\n");
	assert_string_equal(c, "Report\n------\nHost State\nweb1 up");
	/* A rule followed by a long text is not near the end. */
	GString *s = g_string_new("Intro\n\n-----\n");
	for (int i = 0; i < 20; i++)
		g_string_append_printf(s, "line %d\n", i);
	g_autofree char *d = text_clean(s->str);
	assert_contains(d, "line 19");
	g_string_free(s, TRUE);
}

static void clean_normalises_lines_and_controls(void **state)
{
	(void)state;
	g_autofree char *a = text_clean("  a\r\nb\rc\t\td  \x01\x7f\n\n\n\ne   \x1b[31mred\x1b[0m \n\n");
	assert_string_equal(a, "a\nb\nc d\ne red");
	g_autofree char *b = text_clean("x\u2028y\u202ez\xc2\x85w");
	assert_string_equal(b, "x\nyz\nw");
	g_autofree char *c = text_clean("bad \xff\xfe bytes");
	assert_true(g_utf8_validate(c, -1, NULL));
	g_autofree char *d = text_clean("");
	assert_string_equal(d, "");
	g_autofree char *e = text_clean(" \n \n\t\n");
	assert_string_equal(e, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sample_nagios_plain),
		cmocka_unit_test(sample_outlook_qp_french),
		cmocka_unit_test(sample_zabbix_html_only),
		cmocka_unit_test(sample_attachment_ignored),
		cmocka_unit_test(sample_cron_unlabelled_8bit),
		cmocka_unit_test(sample_ups_latin1_base64),
		cmocka_unit_test(sample_alertmanager_long),
		cmocka_unit_test(sample_plus_and_subject_addressing),
		cmocka_unit_test(latin1_base64_body_is_decoded),
		cmocka_unit_test(unlabelled_8bit_cp1252_and_utf8_are_decoded),
		cmocka_unit_test(mislabelled_ascii_with_8bit_is_decoded),
		cmocka_unit_test(unknown_charset_label_falls_back),
		cmocka_unit_test(other_charsets_are_converted),
		cmocka_unit_test(invalid_base64_does_not_crash),
		cmocka_unit_test(nul_bytes_are_dropped),
		cmocka_unit_test(encoded_subject_is_decoded_to_one_line),
		cmocka_unit_test(missing_subject_is_empty),
		cmocka_unit_test(format_flowed_is_joined),
		cmocka_unit_test(format_flowed_quotes_stay_quotes),
		cmocka_unit_test(html_is_used_when_no_plain_text),
		cmocka_unit_test(html_reply_quotes_and_signature_are_cut),
		cmocka_unit_test(empty_plain_text_falls_back_to_html),
		cmocka_unit_test(plain_text_is_preferred_to_html),
		cmocka_unit_test(forwarded_message_and_attachments_are_skipped),
		cmocka_unit_test(many_parts_and_broken_boundaries_are_bounded),
		cmocka_unit_test(long_line_is_kept_within_bounds),
		cmocka_unit_test(clean_cuts_quotes_and_attribution),
		cmocka_unit_test(clean_cuts_outlook_original),
		cmocka_unit_test(clean_cuts_signature),
		cmocka_unit_test(clean_cuts_trailing_disclaimer),
		cmocka_unit_test(clean_normalises_lines_and_controls),
	};
	msg_init();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_mime_shutdown();
	return rc;
}
