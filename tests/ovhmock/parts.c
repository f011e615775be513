/*
 * parts.c: how many SMS parts a text costs, as OVH bills it. A text made only of GSM 03.38
 * characters goes as GSM-7 (basic table 1 septet, extension table 2): 160 septets in one
 * part, 153 per part beyond. Anything else goes as UCS-2 (a character outside the BMP is a
 * surrogate pair, 2 units): 70 units in one part, 67 per part beyond. A part never ends
 * inside an escape pair or a surrogate pair.
 * It only measures: it must not change or refuse the text.
 */
#include "mock.h"

#include <string.h>

/* Basic-table characters outside printable ASCII. */
static const gunichar gsm_basic[] = {
	0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8,
	0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3,
	0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6,
	0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* Septets for c in GSM-7, or 0 when it has no GSM-7 form. */
static int gsm_septets(gunichar c)
{
	if (c == '\n' || c == '\r')
		return 1;
	if (c == '\f' || c == 0x20AC || (c < 0x80 && c && strchr("^{}\\[~]|", (int)c)))
		return 2;
	if (c >= 0x20 && c < 0x7F && c != '`')
		return 1;
	for (gsize i = 0; i < G_N_ELEMENTS(gsm_basic); i++)
		if (gsm_basic[i] == c)
			return 1;
	return 0;
}

void parts_count(const char *utf8, struct sms_parts *out)
{
	const char *p;
	int single, multi, fill = 0;

	memset(out, 0, sizeof *out);
	out->gsm7 = TRUE;
	for (p = utf8; *p; p = g_utf8_next_char(p)) {
		out->chars++;
		if (!gsm_septets(g_utf8_get_char(p)))
			out->gsm7 = FALSE;
	}
	single = out->gsm7 ? 160 : 70;
	multi = out->gsm7 ? 153 : 67;
	out->parts = 1;
	for (p = utf8; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		int cost = out->gsm7 ? gsm_septets(c) : (c > 0xFFFF ? 2 : 1);

		out->units += cost;
		if (fill + cost > multi) {
			out->parts++;
			fill = 0;
		}
		fill += cost;
	}
	if (out->units <= single)
		out->parts = 1;
}
