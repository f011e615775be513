/* quiet.h: quiet hours, a daily window of local time (22:00-07:00) during which SMS are
 * posted with OVH's differedPeriod so that they arrive when it ends. */
#ifndef M2S_QUIET_H
#define M2S_QUIET_H

#include <glib.h>

/* Minutes after local midnight, 0..1439. START == END: no quiet hours (the zeroed
 * struct); END < START: the window crosses midnight. */
typedef struct {
	guint start;
	guint end;
} QuietHours;

/* Reads "HH:MM-HH:MM" (22:00-07:00; the hour may have one digit; blanks around the dash
 * allowed); a window crossing midnight is fine, equal start and end are refused; "none" is
 * no quiet hours. FALSE with an M2S_ERR_CONFIG quoting TEXT (no file nor key: the caller
 * adds them). */
gboolean quiet_parse(const char *text, QuietHours *out, GError **err);

/* "22:00-07:00", or "none". Newly allocated. */
char *quiet_text(const QuietHours *q);

/* TRUE when NOW (seconds since the epoch) is inside Q in TZ, with *ENDS_AT (may be NULL;
 * set only then) the instant it ends. The window runs from the start's local time to the
 * end's next local time (start minute inside, end minute outside), in real time: over a
 * night whose clocks skip an hour it is an hour shorter, over one that repeats an hour, an
 * hour longer. A boundary the clocks skip is the first instant after it; one they repeat,
 * its first occurrence. */
gboolean quiet_at(const QuietHours *q, GTimeZone *tz, gint64 now, gint64 *ends_at);

/* Minutes from NOW to ENDS_AT for OVH's differedPeriod: rounded up, at least 1, so that
 * the SMS never arrives before the window ends. */
int quiet_differed_minutes(gint64 now, gint64 ends_at);

#endif
