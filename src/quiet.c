/* quiet.c: quiet hours: parsing "HH:MM-HH:MM" and where an instant stands against them.
 *
 * Promises: every answer is about real instants (seconds since the epoch) computed from
 * the time zone's own rules, so daylight saving nights get their real length; a window is
 * [start, end): its start minute is inside, its end minute outside.
 * Must not: read the clock (NOW is given), keep state, or decide what happens to an SMS
 * inside the window (urgent mail and exempt numbers are the caller's business). */
#include <string.h>
#include "error.h"
#include "quiet.h"
#include "safeline.h"

#define DAY (24 * 3600)

/* Reads "H:MM" or "HH:MM" into minutes after midnight. */
static gboolean read_clock(const char *s, guint *minutes)
{
	gsize len = strlen(s);
	guint h, m;

	if ((len != 4 && len != 5) || s[len - 3] != ':' || !g_ascii_isdigit(s[0]) ||
	    !g_ascii_isdigit(s[len - 2]) || !g_ascii_isdigit(s[len - 1]) ||
	    (len == 5 && !g_ascii_isdigit(s[1])))
		return FALSE;
	h = len == 5 ? (guint)(s[0] - '0') * 10 + (guint)(s[1] - '0') : (guint)(s[0] - '0');
	m = (guint)(s[len - 2] - '0') * 10 + (guint)(s[len - 1] - '0');
	if (h > 23 || m > 59)
		return FALSE;
	*minutes = h * 60 + m;
	return TRUE;
}

gboolean quiet_parse(const char *text, QuietHours *out, GError **err)
{
	const char *dash = text != NULL ? strchr(text, '-') : NULL;
	g_autofree char *from = NULL, *to = NULL;
	guint start, end;

	if (text != NULL && strcmp(text, "none") == 0) {
		out->start = out->end = 0;
		return TRUE;
	}
	if (dash != NULL) {
		from = g_strstrip(g_strndup(text, dash - text));
		to = g_strstrip(g_strdup(dash + 1));
	}
	if (dash == NULL || !read_clock(from, &start) || !read_clock(to, &end)) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "not of the form HH:MM-HH:MM with hours 00 to 23 (22:00-07:00): '%s'",
		               text ? text : "");
		return FALSE;
	}
	if (start == end) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "the start and the end are the same time: '%s'", text);
		return FALSE;
	}
	out->start = start;
	out->end = end;
	return TRUE;
}

char *quiet_text(const QuietHours *q)
{
	if (q == NULL || q->start == q->end)
		return g_strdup("none");
	return g_strdup_printf("%02u:%02u-%02u:%02u", q->start / 60, q->start % 60, q->end / 60,
	                       q->end % 60);
}

/* The offset from UTC, in seconds, in force in TZ at the instant T. */
static gint64 offset_at(GTimeZone *tz, gint64 t)
{
	gint i = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, t);

	return i < 0 ? 0 : g_time_zone_get_offset(tz, i);
}

/* The instant at which TZ's clocks show WALL (a local time written as seconds since
 * 1970-01-01 00:00 of the local calendar). Not g_date_time_new(): it takes the standard
 * time's occurrence of a repeated time, the second one in Europe/Paris, where the first is
 * wanted. Assumes the offset changes at most once within a day of WALL, as it does in
 * every zone of the tz database since 1950. */
static gint64 local_instant(GTimeZone *tz, gint64 wall)
{
	gint64 before = offset_at(tz, wall - DAY), after = offset_at(tz, wall + DAY);
	gint64 t1 = wall - before, t2 = wall - after;
	gboolean ok1 = offset_at(tz, t1) == before, ok2 = offset_at(tz, t2) == after;
	gint64 lo, hi, off_lo;

	if (ok1 && ok2)
		return MIN(t1, t2);  /* a repeated time: its first occurrence */
	if (ok1 || ok2)
		return ok1 ? t1 : t2;
	/* Skipped: the clocks jumped over WALL between t2 and t1 (the offset grew). The
	 * first valid instant after it is that jump: find it by bisection. */
	lo = MIN(t1, t2);
	hi = MAX(t1, t2);
	off_lo = offset_at(tz, lo);
	while (hi - lo > 1) {
		gint64 mid = lo + (hi - lo) / 2;
		if (offset_at(tz, mid) == off_lo)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

gboolean quiet_at(const QuietHours *q, GTimeZone *tz, gint64 now, gint64 *ends_at)
{
	gint64 wall, today;

	if (q == NULL || q->start == q->end)
		return FALSE;
	wall = now + offset_at(tz, now);
	today = wall - (((wall % DAY) + DAY) % DAY);
	/* A window that crossed midnight may have started yesterday; one that did not can
	 * only be today's, and yesterday's has ended by now. */
	for (gint64 day = today - DAY; day <= today; day += DAY) {
		gint64 start = local_instant(tz, day + (gint64)q->start * 60);
		gint64 end = local_instant(tz, day + (q->end < q->start ? DAY : 0) +
		                                   (gint64)q->end * 60);
		if (start <= now && now < end) {
			if (ends_at != NULL)
				*ends_at = end;
			return TRUE;
		}
	}
	return FALSE;
}

int quiet_differed_minutes(gint64 now, gint64 ends_at)
{
	gint64 left = ends_at - now;

	if (left <= 60)
		return 1;
	return (int)MIN((left + 59) / 60, (gint64)G_MAXINT);
}
