/* safeline.c: the one sanitiser for text from outside (safeline.h).
 *
 * Nothing an outsider wrote (a Subject, an address, a configuration value) nor anything OVH
 * answers may add a line to the SMTP dialogue, a header or a log, nor grow it past its
 * bound. It must not drop a character silently except past the bound, and knows nothing of
 * where the line goes: the callers name the bound. */
#include "safeline.h"
#include "error.h"

/* TRUE for what breaks a line or a terminal: controls (C0, DEL, C1), U+2028 and U+2029. */
static gboolean breaks_line(gunichar c)
{
	return g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029;
}

char *safeline(const char *s, gsize max, gboolean percent)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_new(NULL);

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		gsize len = g_utf8_next_char(p) - p;
		gsize need = (c == '%' && percent) ? 2 : breaks_line(c) ? 1 : len;

		if (out->len + need > max)
			break;
		if (breaks_line(c))
			g_string_append_c(out, ' ');
		else if (c == '%' && percent)
			g_string_append(out, "%%");
		else
			g_string_append_len(out, p, len);
	}
	return g_string_free(out, FALSE);
}

void safeline_error(GError **err, int code, gsize max, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *raw = NULL, *line = NULL;

	va_start(ap, fmt);
	raw = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	line = safeline(raw, max, FALSE);
	g_set_error_literal(err, M2S_ERROR, code, line);
}
