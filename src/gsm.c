/* gsm.c: GSM 03.38 for SMS text: which encoding, how many parts, how to make it fit.
 *
 * Promises: the encoding is decided from the whole text (GSM-7 when every character is in the
 * basic or extension table, UCS-2 otherwise); segments are counted the way a handset packs
 * them (160/153 septets, 70/67 UTF-16 units, an escape pair or a surrogate pair never split
 * across parts); truncation keeps whole characters and ends with "..." (GSM-7) or "…"
 * (UCS-2) within max_segments parts. Transliteration only replaces typography (quotes,
 * dashes, ellipsis, odd spaces) and only when that makes the whole text GSM-7.
 *
 * Must not: change letters (ê stays ê and makes the message UCS-2), read past the text,
 * keep state between calls. An empty text is one (empty) segment; refusing it is the
 * caller's decision. */
#include <string.h>

#include "gsm.h"

#define GSM7_SINGLE 160 /* septets in a one-part message */
#define GSM7_MULTI 153  /* septets per part when the UDH takes its 6 bytes */
#define UCS2_SINGLE 70  /* UTF-16 units in a one-part message */
#define UCS2_MULTI 67
#define MAX_PARTS 255   /* the concatenation header counts parts in one byte */
/* Truncation prefers to cut after a word when one ends this close to the limit. */
#define WORD_CUT_WINDOW 20

/* Non-ASCII code points of the GSM 03.38 basic table (ASCII is handled by gsm_septets). */
static const gunichar gsm_basic_extra[] = {
	0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, /* £ ¥ è é ù ì ò Ç */
	0x00D8, 0x00F8, 0x00C5, 0x00E5,                                 /* Ø ø Å å */
	0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3, /* Δ Φ Γ Λ Ω Π Ψ Σ */
	0x0398, 0x039E,                                                 /* Θ Ξ */
	0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1,                 /* Æ æ ß É ¤ ¡ */
	0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, 0x00BF,                 /* Ä Ö Ñ Ü § ¿ */
	0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,                         /* ä ö ñ ü à */
};

/* Typography that has a GSM-7 spelling. Applied only when the result is all GSM-7. */
typedef struct {
	gunichar from;
	const char *to;
} GsmTranslit;

static const GsmTranslit gsm_translit[] = {
	{ 0x2018, "'" }, { 0x2019, "'" }, { 0x201A, "'" }, { 0x201B, "'" },  /* ‘ ’ ‚ ‛ */
	{ 0x2032, "'" }, { 0x2039, "'" }, { 0x203A, "'" }, { 0x0060, "'" },  /* ′ ‹ › ` */
	{ 0x00B4, "'" },                                                     /* ´ */
	{ 0x201C, "\"" }, { 0x201D, "\"" }, { 0x201E, "\"" }, { 0x201F, "\"" }, /* “ ” „ ‟ */
	{ 0x2033, "\"" }, { 0x00AB, "\"" }, { 0x00BB, "\"" },                /* ″ « » */
	{ 0x2010, "-" }, { 0x2011, "-" }, { 0x2012, "-" }, { 0x2013, "-" },  /* ‐ ‑ ‒ – */
	{ 0x2014, "-" }, { 0x2015, "-" }, { 0x2212, "-" }, { 0x2043, "-" },  /* — ― − ⁃ */
	{ 0x2026, "..." },                                                   /* … */
	{ 0x00A0, " " }, { 0x2000, " " }, { 0x2001, " " }, { 0x2002, " " },  /* spaces */
	{ 0x2003, " " }, { 0x2004, " " }, { 0x2005, " " }, { 0x2006, " " },
	{ 0x2007, " " }, { 0x2008, " " }, { 0x2009, " " }, { 0x200A, " " },
	{ 0x202F, " " }, { 0x205F, " " }, { 0x3000, " " }, { 0x0009, " " },
	{ 0x200B, "" }, { 0x200C, "" }, { 0x200D, "" }, { 0x2060, "" },      /* invisible */
	{ 0xFEFF, "" }, { 0x00AD, "" },                                      /* BOM, soft hyphen */
	{ 0x2028, "\n" }, { 0x2029, "\n" },                                  /* line, paragraph */
	{ 0x2022, "-" }, { 0x2023, "-" }, { 0x2219, "-" }, { 0x00B7, "." },  /* • ‣ ∙ · */
	{ 0x00D7, "x" }, { 0x00F7, "/" }, { 0x2044, "/" },                   /* × ÷ ⁄ */
	{ 0x2122, "TM" }, { 0x00A9, "(c)" }, { 0x00AE, "(R)" },              /* ™ © ® */
	{ 0x2190, "<-" }, { 0x2192, "->" }, { 0x21D2, "=>" },                /* ← → ⇒ */
	{ 0x2264, "<=" }, { 0x2265, ">=" }, { 0x2260, "!=" },                /* ≤ ≥ ≠ */
};

guint gsm_septets(gunichar c)
{
	if (c == '\n' || c == '\r')
		return 1;
	if (c == '\f')
		return 2;
	if (c >= 0x20 && c < 0x7F) {
		if (strchr("^{}\\[~]|", (int)c) != NULL)
			return 2;
		return c == '`' ? 0 : 1;
	}
	if (c == 0x20AC) /* € */
		return 2;
	for (gsize i = 0; i < G_N_ELEMENTS(gsm_basic_extra); i++)
		if (gsm_basic_extra[i] == c)
			return 1;
	return 0;
}

/* Units one character takes in ENCODING: septets, or UTF-16 code units. */
static guint gsm_units(gunichar c, GsmEncoding encoding)
{
	if (encoding == GSM_ENC_GSM7)
		return gsm_septets(c);
	return c > 0xFFFF ? 2 : 1;
}

/* Packs characters into parts like a sender does: a character that does not fit whole in
 * the current part starts the next one. Counts both ways at once, since the single-part
 * capacity applies only when the whole text fits in it. */
typedef struct {
	guint single_cap, multi_cap;
	guint64 total;  /* units of everything added */
	guint parts;    /* parts when packed at multi_cap */
	guint used;     /* units in the last of those parts */
} GsmPacker;

static void packer_init(GsmPacker *p, GsmEncoding encoding)
{
	p->single_cap = encoding == GSM_ENC_GSM7 ? GSM7_SINGLE : UCS2_SINGLE;
	p->multi_cap = encoding == GSM_ENC_GSM7 ? GSM7_MULTI : UCS2_MULTI;
	p->total = 0;
	p->parts = 1;
	p->used = 0;
}

static void packer_add(GsmPacker *p, guint units)
{
	p->total += units;
	if (p->used + units > p->multi_cap) {
		if (p->parts < G_MAXUINT)
			p->parts++;
		p->used = 0;
	}
	p->used += units;
}

static guint packer_segments(const GsmPacker *p)
{
	return p->total <= p->single_cap ? 1 : p->parts;
}

/* Adds every character of UTF8 (units in ENCODING; unrepresentable ones count one). */
static void packer_add_text(GsmPacker *p, const char *utf8, GsmEncoding encoding)
{
	for (const char *s = utf8; *s; s = g_utf8_next_char(s)) {
		guint u = gsm_units(g_utf8_get_char(s), encoding);
		packer_add(p, u ? u : 1);
	}
}

guint gsm_count_segments(const char *utf8, GsmEncoding encoding)
{
	GsmPacker p;

	packer_init(&p, encoding);
	if (utf8 != NULL)
		packer_add_text(&p, utf8, encoding);
	return packer_segments(&p);
}

/* TRUE when every character of UTF8 is in the GSM-7 basic or extension table. */
static gboolean gsm_is_gsm7(const char *utf8)
{
	for (const char *s = utf8; *s; s = g_utf8_next_char(s))
		if (gsm_septets(g_utf8_get_char(s)) == 0)
			return FALSE;
	return TRUE;
}

static const char *translit_lookup(gunichar c)
{
	for (gsize i = 0; i < G_N_ELEMENTS(gsm_translit); i++)
		if (gsm_translit[i].from == c)
			return gsm_translit[i].to;
	return NULL;
}

/* UTF8 with typography replaced; NULL when something else still needs UCS-2, because then
 * the message costs UCS-2 anyway and the original typography is better kept. */
static char *gsm_transliterate(const char *utf8)
{
	GString *out = g_string_sized_new(strlen(utf8));

	for (const char *s = utf8; *s; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);
		const char *to;

		if (gsm_septets(c) > 0)
			g_string_append_unichar(out, c);
		else if ((to = translit_lookup(c)) != NULL)
			g_string_append(out, to);
		else {
			g_string_free(out, TRUE);
			return NULL;
		}
	}
	return g_string_free(out, FALSE);
}

/* Cuts TEXT so that it plus ELLIPSIS fits in MAX parts of ENCODING; returns the new text.
 * Walks once, remembering the last character boundary where the prefix and the ellipsis
 * still fit, and the last word end before it. */
static char *gsm_truncate(const char *text, GsmEncoding encoding, guint max)
{
	const char *ellipsis = encoding == GSM_ENC_GSM7 ? "..." : "\u2026";
	GsmPacker p;
	const char *fit_end = text;     /* prefix [text, fit_end) fits with the ellipsis */
	const char *word_end = NULL;    /* a boundary before a space, within the fitting prefix */
	guint fit_chars = 0, chars = 0, word_chars = 0;

	packer_init(&p, encoding);
	for (const char *s = text; *s; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);
		guint u = gsm_units(c, encoding);
		GsmPacker probe;

		if (g_unichar_isspace(c) && s > text) {
			word_end = s;
			word_chars = chars;
		}
		packer_add(&p, u ? u : 1);
		probe = p;
		packer_add_text(&probe, ellipsis, encoding);
		if (packer_segments(&probe) > max)
			break;
		fit_end = g_utf8_next_char(s);
		fit_chars = ++chars;
	}
	/* A whole word reads better than a cut one, when it costs only a few characters. */
	if (word_end != NULL && fit_chars - word_chars <= WORD_CUT_WINDOW && word_end < fit_end
	    && !g_unichar_isspace(g_utf8_get_char(fit_end)))
		fit_end = word_end;
	while (fit_end > text) {
		const char *prev = g_utf8_prev_char(fit_end);
		if (!g_unichar_isspace(g_utf8_get_char(prev)))
			break;
		fit_end = prev;
	}
	GString *out = g_string_new_len(text, fit_end - text);
	g_string_append(out, ellipsis);
	return g_string_free(out, FALSE);
}

guint gsm_capacity(GsmEncoding encoding, guint segments)
{
	if (segments <= 1)
		return encoding == GSM_ENC_GSM7 ? GSM7_SINGLE : UCS2_SINGLE;
	segments = MIN(segments, MAX_PARTS);
	return segments * (encoding == GSM_ENC_GSM7 ? GSM7_MULTI : UCS2_MULTI);
}

GsmEncoding gsm_encoding(const char *utf8, gboolean transliterate)
{
	g_autofree char *text = g_utf8_make_valid(utf8 != NULL ? utf8 : "", -1);
	g_autofree char *t = NULL;

	if (gsm_is_gsm7(text))
		return GSM_ENC_GSM7;
	/* gsm_transliterate gives a text only when all of it becomes GSM-7. */
	t = transliterate ? gsm_transliterate(text) : NULL;
	return t != NULL ? GSM_ENC_GSM7 : GSM_ENC_UCS2;
}

GsmMessage *gsm_prepare(const char *utf8, guint max_segments, gboolean transliterate)
{
	GsmMessage *m = g_new0(GsmMessage, 1);
	g_autofree char *text = g_utf8_make_valid(utf8 != NULL ? utf8 : "", -1);

	if (max_segments == 0)
		max_segments = 1;
	if (max_segments > MAX_PARTS)
		max_segments = MAX_PARTS;
	if (transliterate && !gsm_is_gsm7(text)) {
		char *t = gsm_transliterate(text);
		if (t != NULL) {
			g_free(text);
			text = t;
		}
	}
	m->encoding = gsm_is_gsm7(text) ? GSM_ENC_GSM7 : GSM_ENC_UCS2;
	if (gsm_count_segments(text, m->encoding) > max_segments) {
		char *t = gsm_truncate(text, m->encoding, max_segments);
		g_free(text);
		text = t;
		m->truncated = TRUE;
	}
	m->segments = gsm_count_segments(text, m->encoding);
	m->characters = (guint)g_utf8_strlen(text, -1);
	m->text = g_steal_pointer(&text);
	return m;
}

void gsm_message_free(GsmMessage *m)
{
	if (m == NULL)
		return;
	g_free(m->text);
	g_free(m);
}
