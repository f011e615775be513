/* limits_rules.c: flood-control rates (N/DURATION), the time zone of local rules, the
 * local day.
 *
 * Promises: a rate is either off (n == 0) or within 1..LIMIT_MAX_N per 1s..31d; what
 * limit_text writes, limit_parse reads back; an unknown time zone is refused by name.
 * Must not: keep any state, read the clock (every instant is given), or know where a rate
 * is applied (per receiver, per sender, OVH requests: the callers decide). */
#include <string.h>
#include "duration.h"
#include "error.h"
#include "limits_rules.h"
#include "safeline.h"

gboolean limit_parse(const char *text, LimitRate *out, GError **err)
{
	const char *slash = text != NULL ? strchr(text, '/') : NULL;
	g_autofree char *count = NULL, *window = NULL;
	guint64 n;
	guint seconds;
	char *end;

	if (text != NULL && strcmp(text, "none") == 0) {
		out->n = out->seconds = 0;
		return TRUE;
	}
	if (slash == NULL) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "not of the form N/DURATION (10/1h, 200/1d): '%s'", text ? text : "");
		return FALSE;
	}
	count = g_strstrip(g_strndup(text, slash - text));
	window = g_strstrip(g_strdup(slash + 1));
	n = g_ascii_strtoull(count, &end, 10);
	if (!g_ascii_isdigit(*count) || *end != '\0' || !duration_parse(window, &seconds)) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "not of the form N/DURATION with a unit s, m, h or d (10/1h, 200/1d): "
		               "'%s'", text);
		return FALSE;
	}
	if (n < 1 || n > LIMIT_MAX_N) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "the count must be from 1 to %u: '%s'", LIMIT_MAX_N, text);
		return FALSE;
	}
	if (seconds < 1 || seconds > LIMIT_MAX_SECONDS) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "the window must be from 1s to 31d: '%s'", text);
		return FALSE;
	}
	out->n = (guint)n;
	out->seconds = seconds;
	return TRUE;
}

char *limit_text(const LimitRate *r)
{
	g_autofree char *window = NULL;

	if (r == NULL || r->n == 0)
		return g_strdup("none");
	window = duration_text(r->seconds);
	return g_strdup_printf("%u/%s", r->n, window);
}

/* g_time_zone_new_identifier, not g_time_zone_new: the latter gives UTC for a name it does
 * not know, and a typo would silently move quiet hours and the daily cap by hours. Before
 * GLib 2.68 only g_time_zone_new exists: a UTC that was not asked for is that fallback. */
GTimeZone *limits_timezone(const char *name, GError **err)
{
	GTimeZone *tz;

	if (name == NULL || *name == '\0')
		return g_time_zone_new_local();
#if GLIB_CHECK_VERSION(2, 68, 0)
	tz = g_time_zone_new_identifier(name);
#else
	tz = g_time_zone_new(name);
	if (strcmp(g_time_zone_get_identifier(tz), "UTC") == 0 && strcmp(name, "UTC") != 0)
		g_clear_pointer(&tz, g_time_zone_unref);
#endif
	if (tz == NULL)
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "unknown time zone '%s' (an IANA name such as Europe/Paris, or UTC)",
		               name);
	return tz;
}

GDateTime *limits_local(GTimeZone *tz, gint64 at)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(at);

	return utc != NULL ? g_date_time_to_timezone(utc, tz) : NULL;
}

char *limits_day(GTimeZone *tz, gint64 now)
{
	g_autoptr(GDateTime) local = limits_local(tz, now);

	/* Outside GDateTime's years 1..9999: no real clock gets there; a fixed key keeps the
	 * caller's code simple. */
	if (local == NULL)
		return g_strdup("0000-00-00");
	return g_date_time_format(local, "%Y-%m-%d");
}
