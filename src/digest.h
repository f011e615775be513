/* digest.h: the text of the one SMS that sums up the alerts held over a limit. */
#ifndef M2S_DIGEST_H
#define M2S_DIGEST_H

#include <glib.h>
#include "limits_rules.h"

/* "12 alerts held 14:02-14:58 (limit 10/1h): PROBLEM db1 disk (x5); PROBLEM db2 disk; ..."
 * COUNT alerts held between FIRST_AT and LAST_AT (seconds since the epoch, shown as local
 * HH:MM in TZ, "02/12 23:50-03/12 00:10" when on two local days); LIMIT (NULL: not shown)
 * the rate they went over; SUBJECTS_NEWEST_FIRST (char*, may be NULL or hold fewer than
 * COUNT) their subjects, the newest first, each listed once with "(xN)" when repeated, at
 * its newest place. At most MAX_CHARS characters (0: no bound), cut on a character
 * boundary and ended with "..." when cut: gsm_capacity() gives the room of the parts
 * allowed. Newly allocated. */
char *digest_text(guint count, gint64 first_at, gint64 last_at, const LimitRate *limit,
                  GPtrArray *subjects_newest_first, GTimeZone *tz, gsize max_chars);

#endif
