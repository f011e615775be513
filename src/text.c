/* text.c: from a parsed mail (GMime) to the UTF-8 subject and body an SMS carries.
 *
 * Promises: the body is the first text/plain of the message proper (multiparts walked in
 * order; attachments and forwarded message/rfc822 parts skipped), else the first text/html
 * made plain (html.c); transfer encodings are decoded and every charset becomes valid UTF-8
 * (charset.c; an unlabelled HTML part's <meta> charset is used); format=flowed is joined;
 * the body is cleaned of quotes, signature and disclaimers (textclean.c); the subject is one
 * clean line. Every result is valid UTF-8 without control characters other than LF in the
 * body.
 *
 * Must not: fail (a broken part gives "" or what could be read), read more than
 * TEXT_MAX_BYTES of one part, walk more than TEXT_MAX_PARTS parts or TEXT_MAX_DEPTH levels,
 * keep state. GMime is initialised by the mains (msg_init). */
#include <string.h>

#include "text.h"
#include "charset.h"
#include "html.h"
#include "textclean.h"

/* An SMS holds at most a few hundred characters: a megabyte of decoded text leaves quote
 * and signature cutting all the room it needs and bounds the work on a hostile part. */
#define TEXT_MAX_BYTES (1024 * 1024)
#define TEXT_MAX_PARTS 2000
#define TEXT_MAX_DEPTH 32
/* A charset named in an unlabelled HTML part's <meta> is looked for this far. */
#define HTML_SNIFF_BYTES 4096
/* Longer than any charset name IANA registers. */
#define HTML_CHARSET_MAX 40

/* TRUE when OBJ is a part the reader is meant to open separately. */
static gboolean is_attachment(GMimeObject *obj)
{
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);

	return disp != NULL && g_mime_content_disposition_is_attachment(disp);
}

typedef struct {
	GMimePart *plain;
	GMimePart *html;
	guint visited;
} TextParts;

/* Finds the first text/plain and the first text/html of the message proper, in order. */
static void find_parts(GMimeObject *obj, guint depth, TextParts *tp)
{
	if (obj == NULL || tp->visited++ >= TEXT_MAX_PARTS || depth > TEXT_MAX_DEPTH)
		return;
	if (GMIME_IS_MESSAGE_PART(obj) || GMIME_IS_MULTIPART_ENCRYPTED(obj))
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n && (tp->plain == NULL || tp->html == NULL); i++)
			find_parts(g_mime_multipart_get_part(mp, i), depth + 1, tp);
		return;
	}
	if (!GMIME_IS_PART(obj) || is_attachment(obj))
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	if (ct == NULL)
		return;
	if (tp->plain == NULL && g_mime_content_type_is_type(ct, "text", "plain"))
		tp->plain = GMIME_PART(obj);
	else if (tp->html == NULL && g_mime_content_type_is_type(ct, "text", "html"))
		tp->html = GMIME_PART(obj);
}

/* The decoded (transfer encoding undone) bytes of PART, at most TEXT_MAX_BYTES, cut after
 * the last whole line that fits. */
static GByteArray *part_bytes(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GByteArray *bytes = g_byte_array_new();

	if (content == NULL)
		return bytes;
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_mime_data_wrapper_write_to_stream(content, mem);
	g_object_unref(mem);
	if (bytes->len > TEXT_MAX_BYTES) {
		guint keep = TEXT_MAX_BYTES;
		while (keep > 0 && bytes->data[keep - 1] != '\n')
			keep--;
		g_byte_array_set_size(bytes, keep > 0 ? keep : TEXT_MAX_BYTES);
	}
	return bytes;
}

/* The charset an unlabelled HTML part names in its <meta>, or NULL. */
static char *html_meta_charset(const guint8 *data, gsize len)
{
	gsize n = MIN(len, HTML_SNIFF_BYTES);
	static const char key[] = "charset=";

	for (gsize i = 0; i + sizeof key - 1 < n; i++) {
		if (g_ascii_strncasecmp((const char *)data + i, key, sizeof key - 1) != 0)
			continue;
		gsize s = i + sizeof key - 1, e;
		while (s < n && (data[s] == '"' || data[s] == '\'' || data[s] == ' '))
			s++;
		for (e = s; e < n && e - s < HTML_CHARSET_MAX; e++)
			if (!g_ascii_isalnum(data[e]) && data[e] != '-' && data[e] != '_'
			    && data[e] != '.' && data[e] != ':')
				break;
		if (e > s)
			return g_strndup((const char *)data + s, e - s);
	}
	return NULL;
}

/* Joins format=flowed text (RFC 3676): a line ending in a space continues on the next line
 * of the same quote depth; space-stuffing is removed; with DELSP the soft space goes too.
 * Quote marks are kept (written ">> ") so that quote cutting still sees them. */
static char *flowed_join(const char *text, gboolean delsp)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_sized_new(strlen(text));
	gboolean open = FALSE;  /* the last line written was flowed */
	guint open_depth = 0;

	for (guint i = 0; lines[i] != NULL; i++) {
		char *line = lines[i];
		gsize len = strlen(line);
		guint depth = 0;

		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		while (line[depth] == '>')
			depth++;
		char *body = line + depth;
		if (*body == ' ')
			body++;
		gsize blen = strlen(body);
		gboolean sig = strcmp(body, "-- ") == 0;
		gboolean flowed = blen > 0 && body[blen - 1] == ' ' && !sig;

		if (open && depth != open_depth)
			g_string_append_c(out, '\n');
		if (!open || depth != open_depth) {
			for (guint d = 0; d < depth; d++)
				g_string_append_c(out, '>');
			if (depth > 0)
				g_string_append_c(out, ' ');
		}
		if (flowed && delsp)
			blen--;
		g_string_append_len(out, body, blen);
		if (!flowed && lines[i + 1] != NULL)
			g_string_append_c(out, '\n');
		open = flowed;
		open_depth = depth;
	}
	return g_string_free(out, FALSE);
}

/* PART's text as UTF-8, format=flowed joined; HTML is made plain. */
static char *part_text(GMimePart *part, gboolean html)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	g_autoptr(GByteArray) bytes = part_bytes(part);
	const char *charset = g_mime_object_get_content_type_parameter(obj, "charset");
	g_autofree char *sniffed = NULL;

	if (html && (charset == NULL || *charset == '\0'))
		charset = sniffed = html_meta_charset(bytes->data, bytes->len);
	g_autofree char *utf8 = text_to_utf8((const char *)bytes->data, bytes->len, charset);
	if (html)
		return html_to_text(utf8, strlen(utf8));

	const char *format = g_mime_object_get_content_type_parameter(obj, "format");
	if (format != NULL && g_ascii_strcasecmp(format, "flowed") == 0) {
		const char *delsp = g_mime_object_get_content_type_parameter(obj, "delsp");
		return flowed_join(utf8, delsp != NULL && g_ascii_strcasecmp(delsp, "yes") == 0);
	}
	return g_steal_pointer(&utf8);
}

char *text_body(GMimeMessage *msg)
{
	TextParts tp = { 0 };

	if (msg == NULL)
		return g_strdup("");
	find_parts(g_mime_message_get_mime_part(msg), 0, &tp);
	if (tp.plain != NULL) {
		g_autofree char *raw = part_text(tp.plain, FALSE);
		char *clean = text_clean(raw);
		/* An empty text/plain beside HTML carries nothing: the HTML is the message. */
		if (*clean != '\0' || tp.html == NULL)
			return clean;
		g_free(clean);
	}
	if (tp.html != NULL) {
		g_autofree char *raw = part_text(tp.html, TRUE);
		return text_clean(raw);
	}
	return g_strdup("");
}

char *text_subject(GMimeMessage *msg)
{
	const char *raw = msg != NULL ? g_mime_message_get_subject(msg) : NULL;

	if (raw == NULL)
		return g_strdup("");
	g_autofree char *valid = g_utf8_make_valid(raw, -1);
	GString *out = g_string_sized_new(strlen(valid));
	gboolean space = FALSE;

	/* Every control character (an encoded CR or LF included) and line separator becomes a
	 * space: a subject is one line, and a line break in it could forge a header later. */
	for (const char *s = valid; *s; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);

		if (text_is_invisible(c))
			continue;
		if (c == ' ' || g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029) {
			space = TRUE;
			continue;
		}
		if (space && out->len > 0)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}
