/* mailhdr.c: header values and GMime plumbing for the mails mail2sms writes itself (a
 * delivery report in dsn.c, an SMS reply in reply_mail.c).
 *
 * Promises: every value it returns is one line of valid UTF-8 within its bound (mailhdr.h),
 * so that no address, Message-ID, host or Subject taken from a mail, from OVH or from the
 * store can add a header or a line to the mail it goes into; addresses and Message-IDs
 * keep only the characters of an atom, so that one value cannot become two. Dates are UTC,
 * so that the result does not depend on the machine's time zone.
 *
 * Must not: read or write anything but memory, log, keep state, or encode MIME by hand:
 * GMime writes the headers (RFC 2047, folding) and chooses the transfer encodings. GMime is
 * initialised by the caller (msg_init). */
#include <string.h>

#include "mailhdr.h"
#include "safeline.h"

/* What an atom, a dot-atom or a domain literal holds besides letters and digits: the only
 * ASCII characters kept in an address or a Message-ID. */
#define MAILHDR_ATOM_CHARS "!#$%&'*+-/=?^_`{|}~.@[]"

/* S made one line, trimmed, with one pair of enclosing <> taken off, within MAX bytes cut
 * on a character boundary. */
static char *unbracket(const char *s, gsize max)
{
	g_autofree char *line = safeline(s, max + 2, FALSE);
	char *p = g_strstrip(line);
	gsize len = strlen(p);

	if (len >= 2 && p[0] == '<' && p[len - 1] == '>') {
		p++;
		len -= 2;
	}
	if (len > max) {
		len = max;
		while (len > 0 && ((guchar)p[len] & 0xC0) == 0x80)
			len--;
	}
	return g_strndup(p, len);
}

/* S with every ASCII byte that is not an atom character made '_', and every byte above 127
 * made NON_ASCII unless that is 0 (kept); NULL when S is empty. Takes S. */
static char *atom_only(char *s, char non_ascii)
{
	for (char *p = s; *p; p++) {
		guchar c = (guchar)*p;
		if (c >= 0x80) {
			if (non_ascii != '\0')
				*p = non_ascii;
		} else if (!g_ascii_isalnum(c) && strchr(MAILHDR_ATOM_CHARS, c) == NULL) {
			*p = '_';
		}
	}
	if (*s == '\0') {
		g_free(s);
		return NULL;
	}
	return s;
}

char *mailhdr_address(const char *addr)
{
	return atom_only(unbracket(addr, MAILHDR_ADDRESS_MAX), '\0');
}

char *mailhdr_address_ascii(const char *addr)
{
	return atom_only(unbracket(addr, MAILHDR_ADDRESS_MAX), '?');
}

char *mailhdr_msgid(const char *id)
{
	return atom_only(unbracket(id, MAILHDR_MSGID_MAX), '_');
}

char *mailhdr_host(const char *host)
{
	g_autofree char *line = safeline(host, MAILHDR_HOST_MAX, FALSE);
	char *h = g_strstrip(line);

	if (*h == '\0')
		return g_strdup("localhost");
	return g_strcanon(g_strdup(h), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                  "0123456789.-", '-');
}

/* A reply's reader knows the phone by its number, not by the gateway's domain. */
char *mailhdr_number(const char *addr)
{
	const char *at = strrchr(addr, '@');
	gsize len = at != NULL ? (gsize)(at - addr) : strlen(addr);
	gboolean number = len >= 2 && addr[0] == '+';

	for (gsize i = 1; number && i < len; i++)
		number = g_ascii_isdigit(addr[i]);
	return number ? g_strndup(addr, len) : g_strdup(addr);
}

/* Controls become spaces and runs of spaces one, so that a cleaned Subject reads as sent. */
char *mailhdr_subject(const char *subject)
{
	g_autofree char *line = safeline(subject, MAILHDR_SUBJECT_MAX, FALSE);
	g_auto(GStrv) words = g_strsplit(line, " ", -1);
	GString *out = g_string_new(NULL);

	for (char **w = words; *w != NULL; w++) {
		if (**w == '\0')
			continue;
		if (out->len > 0)
			g_string_append_c(out, ' ');
		g_string_append(out, *w);
	}
	return g_string_free(out, FALSE);
}

/* WHEN in UTC; out of GDateTime's range (years 1 to 9999), the epoch rather than no date. */
static GDateTime *utc(gint64 when)
{
	GDateTime *d = g_date_time_new_from_unix_utc(when);

	return d != NULL ? d : g_date_time_new_from_unix_utc(0);
}

char *mailhdr_date(gint64 when)
{
	g_autoptr(GDateTime) d = utc(when);

	return g_mime_utils_header_format_date(d);
}

/* The thread headers carry the parent alone: the original's own References are not known
 * here, and one id is enough for a reader to thread the answer under it. */
void mailhdr_set_ids(GMimeMessage *msg, gint64 when, const char *host, const char *parent)
{
	g_autofree char *id = g_mime_utils_generate_message_id(host);

	if (when != 0) {
		g_autoptr(GDateTime) d = utc(when);
		g_mime_message_set_date(msg, d);
	}
	g_mime_message_set_message_id(msg, id);
	if (parent != NULL) {
		g_autofree char *ref = g_strdup_printf("<%s>", parent);
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", ref, NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", ref, NULL);
	}
}

/* TRUE when TEXT has a byte above 127. */
static gboolean has_8bit(const char *text)
{
	for (const char *p = text; *p; p++)
		if ((guchar)*p >= 0x80)
			return TRUE;
	return FALSE;
}

/* GMime picks the transfer encoding from the bytes themselves, so no part is hand-encoded. */
GMimeTextPart *mailhdr_text_part(const char *subtype, const char *text, gboolean utf8_label)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *content =
		g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	/* Not g_mime_text_part_set_text(): it relabels and converts text that fits Latin-1. */
	g_mime_part_set_content(GMIME_PART(part), content);
	g_object_unref(content);
	g_object_unref(stream);
	if (utf8_label || has_8bit(text))
		g_mime_text_part_set_charset(part, "utf-8");
	/* 7-bit: quoted-printable or base64 for 8-bit text or lines past 998 bytes, so that the
	 * mail passes any relay whether or not it speaks 8BITMIME. */
	g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
	return part;
}

/* sendmail(1) takes LF line ends and makes them CR LF on the wire. */
char *mailhdr_to_string(GMimeMessage *msg)
{
	GMimeFormatOptions *opts = g_mime_format_options_new();

	g_mime_format_options_set_newline_format(opts, GMIME_NEWLINE_FORMAT_UNIX);
	char *text = g_mime_object_to_string(GMIME_OBJECT(msg), opts);
	g_mime_format_options_free(opts);
	return text;
}
