/* textclean.c: cuts a plain mail text down to what an SMS reader wants (text_clean).
 *
 * Promises: valid UTF-8 out; LF the only line break and the only control character;
 * quoted replies ("> " lines and the "On ... wrote:" line before them), Outlook's quoted
 * original ("-----Original Message-----", a "From: / Sent:" header block), the signature
 * after "-- " and a short trailing disclaimer after a rule of dashes or underscores are gone;
 * spaces folded, lines trimmed, no empty lines. A phone shows a few lines at a time and every
 * character costs, so paragraphs are kept apart by one line break, not by blank lines, and
 * indentation is dropped (the phone reflows text anyway).
 *
 * Must not: cut the text to nothing because of a marker on its first line (a cut needs
 * content before it), take a table underline for a disclaimer rule, keep state. */
#include <string.h>

#include "textclean.h"

/* A trailing rule starts a disclaimer only when at most this many lines follow it. */
#define DISCLAIMER_MAX_LINES 12
/* An Outlook header block has its Sent:/Date: line within this many lines of From:. */
#define OUTLOOK_HEADER_SPAN 4

gboolean text_is_invisible(gunichar c)
{
	return c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E)
	       || (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
}

/* UTF8 with LF line ends only, TAB as space, other control characters and ANSI colour
 * sequences (cron output) removed. */
static char *normalise_chars(const char *utf8)
{
	GString *out = g_string_sized_new(strlen(utf8));

	for (const char *s = utf8; *s; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);

		if (c == '\r') {
			if (s[1] != '\n')
				g_string_append_c(out, '\n');
		} else if (c == '\n' || c == '\f' || c == '\v' || c == 0x85 || c == 0x2028
		           || c == 0x2029) {
			g_string_append_c(out, '\n');
		} else if (c == '\t') {
			g_string_append_c(out, ' ');
		} else if (c == 0x1B) {
			/* CSI: ESC [ parameters intermediates final */
			if (s[1] == '[') {
				s += 2;
				while (*s >= 0x20 && *s <= 0x3F)
					s++;
				if (!(*s >= 0x40 && *s <= 0x7E))
					s--;
			}
		} else if (!g_unichar_iscntrl(c) && !text_is_invisible(c)) {
			g_string_append_unichar(out, c);
		}
	}
	return g_string_free(out, FALSE);
}

static gboolean is_blank(const char *line)
{
	return *line == '\0';
}

/* LINE lower-cased for matching, with no-break spaces as spaces and leading '*' (bold in
 * text rendered from HTML) removed. */
static char *line_key(const char *line)
{
	while (*line == '*')
		line++;
	g_autofree char *folded = g_utf8_casefold(line, -1);
	GString *key = g_string_new(folded);

	g_string_replace(key, "\u00a0", " ", 0);
	g_string_replace(key, "\u202f", " ", 0);
	g_string_replace(key, "*", "", 0);
	return g_strstrip(g_string_free(key, FALSE));
}

static gboolean key_starts(const char *key, const char *const *prefixes)
{
	for (; *prefixes; prefixes++)
		if (g_str_has_prefix(key, *prefixes))
			return TRUE;
	return FALSE;
}

static gboolean key_ends(const char *key, const char *const *suffixes)
{
	for (; *suffixes; suffixes++)
		if (g_str_has_suffix(key, *suffixes))
			return TRUE;
	return FALSE;
}

/* A line of at least 5 characters, all '-' or '_'. */
static gboolean is_rule(const char *line)
{
	gsize n = strlen(line);

	return n >= 5 && strspn(line, "-_") == n;
}

/* "-----Original Message-----" and its translations (Outlook, Thunderbird). */
static gboolean is_original_separator(const char *line)
{
	static const char *const names[] = {
		"original message", "message d'origine", "message d\u2019origine",
		"ursprüngliche nachricht", "mensaje original", "messaggio originale",
		"oorspronkelijk bericht", "mensagem original", NULL
	};
	if (!g_str_has_prefix(line, "--"))
		return FALSE;
	g_autofree char *key = line_key(line);
	g_strdelimit(key, "-", ' ');
	g_strstrip(key);
	for (const char *const *n = names; *n; n++)
		if (strcmp(key, *n) == 0)
			return TRUE;
	return FALSE;
}

/* Outlook's header block over a quoted original: "From: X" then "Sent: ..." (or Date:)
 * within a few lines; French "De : X" / "Envoyé : ...", German "Von:" / "Gesendet:". */
static gboolean is_outlook_header(char **lines, guint i, guint end)
{
	static const char *const from[] = { "from:", "de :", "de:", "von:", "da:", "van:", NULL };
	static const char *const sent[] = {
		"sent:", "envoyé :", "envoyé:", "date:", "gesendet:", "inviato:", "enviado:",
		"verzonden:", NULL
	};
	g_autofree char *key = line_key(lines[i]);

	if (!key_starts(key, from))
		return FALSE;
	for (guint j = i + 1; j < end && j <= i + OUTLOOK_HEADER_SPAN; j++) {
		g_autofree char *k = line_key(lines[j]);
		if (key_starts(k, sent))
			return TRUE;
	}
	return FALSE;
}

static const char *const attribution_openers[] = {
	"on ", "le ", "am ", "el ", "il ", "op ", "den ", "em ", NULL
};

/* "On Mon, ... Marc <m@example.fr> wrote:", "Le lun. ... a écrit :" and translations. */
static gboolean is_attribution(const char *line)
{
	static const char *const ends[] = {
		"wrote:", "a écrit :", "a écrit:", "schrieb:", "escribió:", "ha scritto:",
		"skrev:", "schreef:", "escreveu:", "napisał:", "kirjoitti:", NULL
	};
	g_autofree char *key = line_key(line);

	return key_ends(key, ends);
}

static gboolean is_attribution_opener(const char *line)
{
	g_autofree char *key = line_key(line);

	return key_starts(key, attribution_openers);
}

/* A phone's automatic last line ("Sent from my iPhone"). */
static gboolean is_device_signature(const char *line)
{
	static const char *const starts[] = {
		"sent from my ", "envoyé de mon ", "envoyé depuis mon ", "get outlook for ",
		"von meinem ", NULL
	};
	g_autofree char *key = line_key(line);

	return key_starts(key, starts);
}

/* Where the kept text ends: the first Outlook original or signature marker that follows
 * some content. */
static guint find_cut(char **lines, guint n)
{
	gboolean content = FALSE;

	for (guint i = 0; i < n; i++) {
		const char *l = lines[i];

		if (content && (strcmp(l, "--") == 0 || is_original_separator(l)
		                || is_outlook_header(lines, i, n)))
			return i;
		if (!is_blank(l) && l[0] != '>')
			content = TRUE;
	}
	return n;
}

/* Marks quoted lines and the attribution line(s) just before each quoted block. */
static void drop_quotes(char **lines, guint end, gboolean *drop)
{
	for (guint i = 0; i < end; i++) {
		if (lines[i][0] != '>')
			continue;
		drop[i] = TRUE;
		if (i > 0 && lines[i - 1][0] == '>')
			continue;
		guint j = i;
		while (j > 0 && is_blank(lines[j - 1]))
			j--;
		if (j == 0 || !is_attribution(lines[j - 1]))
			continue;
		drop[j - 1] = TRUE;
		/* Clients wrap a long attribution: "On ..., Marc <" / "m@example.fr> wrote:". */
		if (j >= 2 && !is_blank(lines[j - 2]) && !is_attribution_opener(lines[j - 1])
		    && is_attribution_opener(lines[j - 2]))
			drop[j - 2] = TRUE;
	}
}

/* The index of a trailing disclaimer's rule, or END: the last rule with content before it,
 * at most DISCLAIMER_MAX_LINES lines after it, and not the underline of a heading (a rule
 * right under a line of about its length). */
static guint find_disclaimer(char **lines, guint end, const gboolean *drop)
{
	guint after = 0;

	for (guint k = end; k-- > 0;) {
		if (drop[k] || is_blank(lines[k]))
			continue;
		if (is_rule(lines[k])) {
			gboolean underline = k > 0 && !is_blank(lines[k - 1]) && !drop[k - 1]
			                     && ABS((glong)g_utf8_strlen(lines[k - 1], -1)
			                            - (glong)strlen(lines[k])) <= 2;
			gboolean content = FALSE;
			for (guint i = 0; i < k && !content; i++)
				content = !drop[i] && !is_blank(lines[i]) && !is_rule(lines[i]);
			if (content && !underline)
				return k;
		}
		if (++after > DISCLAIMER_MAX_LINES)
			break;
	}
	return end;
}

/* LINE with runs of spaces folded to one, appended to OUT. */
static void append_folded(GString *out, const char *line)
{
	gboolean space = FALSE;

	for (const char *s = line; *s; s++) {
		if (*s == ' ') {
			space = TRUE;
			continue;
		}
		if (space)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_c(out, *s);
	}
}

char *text_clean(const char *utf8)
{
	if (utf8 == NULL)
		return g_strdup("");
	g_autofree char *valid = g_utf8_make_valid(utf8, -1);
	g_autofree char *norm = normalise_chars(valid);
	g_auto(GStrv) lines = g_strsplit(norm, "\n", -1);
	guint n = g_strv_length(lines);
	g_autofree gboolean *drop = g_new0(gboolean, n + 1);

	for (guint i = 0; i < n; i++)
		g_strstrip(lines[i]);

	guint end = find_cut(lines, n);
	drop_quotes(lines, end, drop);
	end = find_disclaimer(lines, end, drop);
	/* What a cut leaves at the end: Outlook's "____" over its header block, a lone
	 * attribution whose quote was cut, an automatic "Sent from my phone". */
	while (end > 0 && (drop[end - 1] || is_blank(lines[end - 1]) || is_rule(lines[end - 1])
	                   || is_attribution(lines[end - 1]) || is_device_signature(lines[end - 1])))
		end--;

	GString *out = g_string_sized_new(strlen(norm));
	for (guint i = 0; i < end; i++) {
		if (drop[i] || is_blank(lines[i]))
			continue;
		if (out->len > 0)
			g_string_append_c(out, '\n');
		append_folded(out, lines[i]);
	}
	return g_string_free(out, FALSE);
}
