/* digest.c: the text of a digest SMS, which replaces the alerts held over a limit.
 *
 * Subjects go newest first: when the room runs out it is the oldest that are cut, and the
 * newest say where an incident stands now (a RECOVERY after its PROBLEM, the last of a
 * cascade). A subject repeated (a flapping check) is listed once with its count, at the
 * place of its newest occurrence, so that one noisy alert does not push out the others.
 * Promises: one line of valid UTF-8 (controls and runs of blanks in subjects become one
 * space), at most max_chars characters, never cut inside a character.
 * Must not: read the clock, the store or the configuration: everything is given. */
#include <string.h>
#include "digest.h"
#include "safeline.h"

#define ELLIPSIS "..."

/* A subject made one line: controls and runs of blanks to one space, trimmed. */
static char *clean_subject(const char *s)
{
	g_autofree char *line = safeline(s, SAFELINE_FIELD, FALSE);
	GString *out = g_string_new(NULL);

	for (const char *p = line; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_isspace(c)) {
			if (out->len > 0 && out->str[out->len - 1] != ' ')
				g_string_append_c(out, ' ');
		} else {
			g_string_append_unichar(out, c);
		}
	}
	if (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	if (out->len == 0)
		g_string_append(out, "(no subject)");
	return g_string_free(out, FALSE);
}

/* Appends "FIRST-LAST" in local time: HH:MM on one day, dd/mm HH:MM across two. */
static void append_span(GString *out, gint64 first_at, gint64 last_at, GTimeZone *tz)
{
	g_autoptr(GDateTime) a = limits_local(tz, first_at);
	g_autoptr(GDateTime) b = limits_local(tz, last_at);
	g_autofree char *from = NULL, *to = NULL;
	const char *fmt;

	if (a == NULL || b == NULL)
		return;
	fmt = g_date_time_get_year(a) == g_date_time_get_year(b) &&
	      g_date_time_get_day_of_year(a) == g_date_time_get_day_of_year(b)
	      ? "%H:%M" : "%d/%m %H:%M";
	from = g_date_time_format(a, fmt);
	to = g_date_time_format(b, fmt);
	g_string_append_printf(out, " %s", from);
	if (strcmp(from, to) != 0)
		g_string_append_printf(out, "-%s", to);
}

/* One distinct subject and how many times it came. */
typedef struct {
	char *text;
	guint n;
} Subject;

static void subject_free(gpointer p)
{
	Subject *s = p;

	g_free(s->text);
	g_free(s);
}

/* Appends the subjects, each once, in the order given, with "(xN)" when repeated. */
static void append_subjects(GString *out, GPtrArray *subjects)
{
	g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func(subject_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; subjects != NULL && i < subjects->len; i++) {
		g_autofree char *text = clean_subject(g_ptr_array_index(subjects, i));
		Subject *s = g_hash_table_lookup(seen, text);

		if (s == NULL) {
			s = g_new0(Subject, 1);
			s->text = g_steal_pointer(&text);
			g_ptr_array_add(order, s);
			g_hash_table_insert(seen, s->text, s);
		}
		s->n++;
	}
	for (guint i = 0; i < order->len; i++) {
		const Subject *s = g_ptr_array_index(order, i);

		g_string_append(out, i == 0 ? ": " : "; ");
		g_string_append(out, s->text);
		if (s->n > 1)
			g_string_append_printf(out, " (x%u)", s->n);
	}
}

/* TEXT cut to MAX characters, "..." included, on a character boundary, without the blanks
 * and separator the cut leaves before the ellipsis. */
static char *cut(const char *text, gsize max)
{
	const char *end;
	GString *out;

	if (max <= strlen(ELLIPSIS))
		return g_utf8_substring(ELLIPSIS, 0, (glong)max);
	end = g_utf8_offset_to_pointer(text, (glong)(max - strlen(ELLIPSIS)));
	out = g_string_new_len(text, end - text);
	while (out->len > 0 && strchr(" ;:", out->str[out->len - 1]) != NULL)
		g_string_truncate(out, out->len - 1);
	g_string_append(out, ELLIPSIS);
	return g_string_free(out, FALSE);
}

char *digest_text(guint count, gint64 first_at, gint64 last_at, const LimitRate *limit,
                  GPtrArray *subjects_newest_first, GTimeZone *tz, gsize max_chars)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "%u %s held", count, count == 1 ? "alert" : "alerts");
	append_span(out, first_at, last_at, tz);
	if (limit != NULL && limit->n != 0) {
		g_autofree char *rate = limit_text(limit);
		g_string_append_printf(out, " (limit %s)", rate);
	}
	append_subjects(out, subjects_newest_first);
	if (max_chars != 0 && (gsize)g_utf8_strlen(out->str, -1) > max_chars) {
		char *text = cut(out->str, max_chars);
		g_string_free(out, TRUE);
		return text;
	}
	return g_string_free(out, FALSE);
}
