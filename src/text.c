/* text.c: from a parsed mail (GMime) to the UTF-8 subject and body an SMS carries.
 *
 * Promises: the body is the first text/plain of the message proper (multiparts walked in
 * order; attachments and forwarded message/rfc822 parts skipped), else the first text/html
 * made plain; transfer encodings are decoded and every charset becomes valid UTF-8 (the
 * label when it converts, else UTF-8 where the bytes are UTF-8 and Windows-1252 for the
 * rest); format=flowed is joined; the subject is one clean line. Every result is valid
 * UTF-8 without control characters other than LF in the body.
 *
 * Must not: fail (a broken part gives "" or what could be read), read more than
 * TEXT_MAX_BYTES of one part, walk more than TEXT_MAX_PARTS parts or TEXT_MAX_DEPTH levels,
 * keep state. g_mime_init() is the caller's job. */
#include <string.h>

#include "text.h"

/* An SMS holds at most a few hundred characters: a megabyte of decoded text leaves quote
 * and signature cutting all the room it needs and bounds the work on a hostile part. */
#define TEXT_MAX_BYTES (1024 * 1024)
#define TEXT_MAX_PARTS 2000
#define TEXT_MAX_DEPTH 32
/* A charset named in an unlabelled HTML part's <meta> is looked for this far. */
#define HTML_SNIFF_BYTES 4096

/* Windows-1252 0x80..0x9F; the five unassigned bytes map to the C1 controls (as browsers do)
 * which cleaning strips. 0xA0..0xFF are ISO-8859-1, that is the same code point. */
static const gunichar cp1252_high[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static gunichar cp1252_char(guchar b)
{
	if (b >= 0x80 && b < 0xA0)
		return cp1252_high[b - 0x80];
	return b;
}

/* All of BYTES as Windows-1252 (a superset of ISO-8859-1 that every byte decodes in). */
static char *decode_cp1252(const char *bytes, gsize len)
{
	GString *out = g_string_sized_new(len + len / 4);

	for (gsize i = 0; i < len; i++) {
		guchar b = (guchar)bytes[i];
		if (b == 0)
			continue;
		if (b < 0x80)
			g_string_append_c(out, (char)b);
		else
			g_string_append_unichar(out, cp1252_char(b));
	}
	return g_string_free(out, FALSE);
}

/* UTF-8 where BYTES are valid UTF-8, Windows-1252 for each byte that is not: mail without a
 * label mixes both (a UTF-8 template around a Latin-1 file name), and a valid multibyte
 * UTF-8 sequence is very unlikely to be Windows-1252 text by accident. NUL bytes dropped. */
static char *decode_mixed(const char *bytes, gsize len)
{
	GString *out = g_string_sized_new(len + 16);
	const char *p = bytes, *end = bytes + len;

	while (p < end) {
		const char *valid_end;
		g_utf8_validate(p, end - p, &valid_end);
		g_string_append_len(out, p, valid_end - p);
		p = valid_end;
		if (p < end) {
			guchar b = (guchar)*p++;
			if (b != 0)
				g_string_append_unichar(out, cp1252_char(b));
		}
	}
	return g_string_free(out, FALSE);
}

/* TRUE when CHARSET is one of NAMES (case-insensitive), NULL-terminated. */
static gboolean charset_is(const char *charset, const char *const *names)
{
	for (; *names; names++)
		if (g_ascii_strcasecmp(charset, *names) == 0)
			return TRUE;
	return FALSE;
}

char *text_to_utf8(const char *bytes, gsize len, const char *charset)
{
	static const char *const mixed_labels[] = {
		"utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "unknown-8bit",
		"x-unknown", "unknown", "default", NULL
	};
	/* Mail labelled Latin-1 is Windows-1252 in practice (Outlook's curly quotes). */
	static const char *const cp1252_labels[] = {
		"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "windows-1252", "cp1252",
		"x-cp1252", "cp819", "ibm819", NULL
	};
	char *out = NULL;

	if (bytes == NULL)
		return g_strdup("");
	if (charset != NULL && *charset != '\0' && !charset_is(charset, mixed_labels)) {
		const char *canon = g_mime_charset_canon_name(charset);

		if (charset_is(charset, cp1252_labels) || (canon && charset_is(canon, cp1252_labels)))
			out = decode_cp1252(bytes, len);
		else if (canon && charset_is(canon, mixed_labels))
			out = NULL;
		else {
			gsize written = 0;
			char *conv = g_convert(bytes, len, "UTF-8", g_mime_charset_iconv_name(charset),
			                       NULL, &written, NULL);
			if (conv != NULL) {
				/* UTF-16 and friends can carry U+0000: keep the string a C string. */
				out = decode_mixed(conv, written);
				g_free(conv);
			}
		}
	}
	if (out == NULL)
		out = decode_mixed(bytes, len);
	return out;
}

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
		for (e = s; e < n && e - s < 40; e++)
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
