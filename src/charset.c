/* charset.c: bytes in any charset, or in none, to valid UTF-8 (text_to_utf8).
 *
 * Promises: a label that converts is obeyed, a Latin-1 label read as Windows-1252 (as mail
 * clients mean it); unlabelled bytes, or bytes whose label does not convert, are read as UTF-8
 * where they are UTF-8 and as Windows-1252 byte by byte where they are not. The result is
 * always valid UTF-8 without NUL bytes. Must not fail, or keep state; it knows nothing of
 * MIME parts or HTML. */
#include <gmime/gmime.h>

#include "charset.h"

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
