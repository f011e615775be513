/* duration.h: durations as the configuration writes them: a number of seconds, or a number
 * with one unit s, m, h or d ("120", "120s", "10m", "2h", "7d"). */
#ifndef M2S_DURATION_H
#define M2S_DURATION_H

#include <glib.h>

/* Reads TEXT into *SECONDS; FALSE (and *SECONDS untouched) when it is not a duration, or
 * one beyond G_MAXUINT seconds. Bounds are the caller's. */
gboolean duration_parse(const char *text, guint *seconds);

/* SECONDS written with the largest unit that divides it ("1h", "90m", "45s", "0s"), as
 * duration_parse reads it back. Newly allocated. */
char *duration_text(guint seconds);

#endif
