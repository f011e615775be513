/* limits_rules.h: the pure rules of flood control: rates written N/DURATION, the time zone
 * that local rules follow, and the local day the daily credit cap counts in.
 *
 * No state here: counting, holding and digests go through the state store (store.h);
 * quiet hours are in quiet.h, urgent mail in urgent.h, the digest's text in digest.h. */
#ifndef M2S_LIMITS_RULES_H
#define M2S_LIMITS_RULES_H

#include <glib.h>

#define LIMIT_MAX_N 1000000               /* the largest count of a rate */
#define LIMIT_MAX_SECONDS (31 * 24 * 3600) /* the longest window of a rate */

/* At most N in any window of SECONDS (a sliding window: the N+1th within SECONDS of the
 * first is over the limit, whatever the clock says). N == 0: no limit. */
typedef struct {
	guint n;
	guint seconds;
} LimitRate;

/* Reads "N/DURATION" (10/1h, 200/1d, 60/1m; blanks around the slash allowed): N from 1 to
 * LIMIT_MAX_N, DURATION a number with a unit s, m, h or d (a bare number is seconds) from
 * 1s to 31d; "none" is no limit. FALSE with an M2S_ERR_CONFIG whose text says what is
 * wrong and quotes TEXT (but names no file nor key: the caller adds them); *OUT is then
 * untouched. */
gboolean limit_parse(const char *text, LimitRate *out, GError **err);

/* The canonical text of R for messages and logs: "10/1h", "90/90m"; "none" when R->n is 0.
 * Newly allocated; limit_parse reads it back to the same rate. */
char *limit_text(const LimitRate *r);

/* The time zone NAME: an IANA name ("Europe/Paris", "UTC"), an offset ("+01:00") or a
 * POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"); NULL or "" gives the system's local zone.
 * An unknown name is an M2S_ERR_CONFIG naming it, not the UTC GLib would fall back to. */
GTimeZone *limits_timezone(const char *name, GError **err);

/* The local day in TZ at NOW (seconds since the epoch), "2026-12-02": the key the daily
 * credit cap counts under. It changes at local midnight, whatever the offset that day. */
char *limits_day(GTimeZone *tz, gint64 now);
/* AT (seconds since the epoch) as a local time in TZ; NULL outside GDateTime's years. */
GDateTime *limits_local(GTimeZone *tz, gint64 at);

#endif
