/* reply_mail.c: an SMS answered to mail2sms (OVH's incoming list) as the mail that brings
 * it back: from the number's address, so that answering the mail pages the number again,
 * to the sender of the mail it answers, in that mail's thread.
 *
 * Promises: GMime writes the headers (RFC 2047 for a non-ASCII Subject) and chooses the
 * body's transfer encoding; the body is valid UTF-8 with LF line ends and a final newline,
 * at most REPLY_MAIL_TEXT_MAX bytes of the reply's text. Every string the caller passes is
 * taken as hostile: no CR, LF or other control character in it reaches a header as such,
 * so none can add a header or a recipient; addresses and the Message-ID keep only atom
 * characters (mailhdr.c).
 *
 * Must not: read or write anything but memory (the caller hands the text to sendmail), log,
 * or keep state. GMime is initialised by the caller (msg_init). */
#include <string.h>

#include "reply_mail.h"
#include "mailhdr.h"

/* SUBJECT past its leading "Re:" prefixes, in any case and with a space before the colon
 * as French clients write it ("RE : "). */
static const char *past_re(const char *subject)
{
	const char *p = subject;

	for (;;) {
		const char *q = p;
		if (g_ascii_tolower(q[0]) != 'r' || g_ascii_tolower(q[1]) != 'e')
			return p;
		q += 2;
		while (*q == ' ')
			q++;
		if (*q != ':')
			return p;
		q++;
		while (*q == ' ')
			q++;
		p = q;
	}
}

/* "Re: " and the original Subject, or "SMS from NUMBER" when there is none. */
static char *reply_subject(const ReplyMail *r, const char *from)
{
	g_autofree char *orig = r->subject != NULL ? mailhdr_subject(r->subject) : NULL;
	const char *rest = orig != NULL ? past_re(orig) : "";

	if (*rest == '\0') {
		g_autofree char *number = mailhdr_number(from);
		return g_strconcat("SMS from ", number, NULL);
	}
	return g_strconcat("Re: ", rest, NULL);
}

/* TEXT as the body: at most REPLY_MAIL_TEXT_MAX bytes of valid UTF-8 cut on a character,
 * CR LF and CR made LF (and the Unicode line separators), other controls but tab made
 * spaces, ending with a newline. */
static char *reply_body(const char *text)
{
	const char *t = text != NULL ? text : "";
	gsize len = strnlen(t, REPLY_MAIL_TEXT_MAX + 1);
	GString *out = g_string_new(NULL);

	/* Cut on a character start, so that the bound does not make a U+FFFD of its own. */
	if (len > REPLY_MAIL_TEXT_MAX) {
		len = REPLY_MAIL_TEXT_MAX;
		for (int i = 0; i < 3 && len > 0 && ((guchar)t[len] & 0xC0) == 0x80; i++)
			len--;
	}
	g_autofree char *valid = g_utf8_make_valid(t, len);
	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		gsize n = g_utf8_next_char(p) - p;

		/* U+FFFD for an invalid byte is three bytes: the bound holds on the result. */
		if (out->len + n > REPLY_MAIL_TEXT_MAX)
			break;
		if (c == '\r' && p[1] == '\n')
			continue;
		if (c == '\r' || c == '\n' || c == 0x2028 || c == 0x2029)
			g_string_append_c(out, '\n');
		else if (c == '\t')
			g_string_append_c(out, '\t');
		else if (g_unichar_iscntrl(c))
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, p, n);
	}
	if (out->len == 0 || out->str[out->len - 1] != '\n')
		g_string_append_c(out, '\n');
	return g_string_free(out, FALSE);
}

/* From the number and in the original's thread, so that answering the mail pages the
 * number and the exchange reads as one conversation. */
char *reply_mail_build(const ReplyMail *r)
{
	g_autofree char *from = mailhdr_address(r->from);
	g_autofree char *to = mailhdr_address(r->to);

	if (from == NULL || to == NULL)
		return NULL;
	g_autofree char *host = mailhdr_host(r->hostname);
	g_autofree char *parent = mailhdr_msgid(r->in_reply_to);
	g_autofree char *subject = reply_subject(r, from);
	g_autofree char *body = reply_body(r->text);
	g_autofree char *mark = g_strdup_printf("id=%" G_GINT64_FORMAT, r->id);

	GMimeMessage *msg = g_mime_message_new(FALSE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL, from);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	mailhdr_set_ids(msg, r->received, host, parent);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Mail2SMS-Reply", mark, NULL);
	/* RFC 3834: written by a program, not a person; no vacation reply should answer it. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-generated", NULL);

	GMimeTextPart *part = mailhdr_text_part("plain", body, TRUE);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	g_object_unref(part);
	char *text = mailhdr_to_string(msg);
	g_object_unref(msg);
	return text;
}
