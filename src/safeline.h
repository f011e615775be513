/* safeline.h: text from outside (a mail, OVH, a configuration file, a command line) made one
 * safe line of at most a named number of bytes, before it reaches an SMTP reply, a header,
 * a log line, a JSON field or an error. */
#ifndef M2S_SAFELINE_H
#define M2S_SAFELINE_H

#include <glib.h>

/* The bounds, in bytes of the result. */
#define SAFELINE_REPLY  980   /* an SMTP reply's text, after its codes (libmilter's limit) */
#define SAFELINE_HEADER 900   /* the X-Mail2SMS value: with its name, within a 998-byte line */
#define SAFELINE_OVH    300   /* a text OVH sent: an error message, a status, a key */
#define SAFELINE_CONFIG 1000  /* a configuration error, with the names and values it quotes */
#define SAFELINE_FIELD  1000  /* a recipient or a reason in a plan (JSON, logs, replies) */
#define SAFELINE_QUOTED 40    /* a number as someone wrote it, quoted back in an error */

/* S (NULL: "") as one line of valid UTF-8: every control character (C0, DEL and C1) and
 * the Unicode line and paragraph separators become a space; at most MAX bytes, cut on a
 * character boundary; with PERCENT, '%' doubled (libmilter's reply format) and counted
 * as two. Newly allocated. */
char *safeline(const char *s, gsize max, gboolean percent);

/* Sets *ERR to an M2S_ERROR of CODE whose text is FMT made a safe line of at most MAX
 * bytes: for errors that quote what a file or a sender wrote. */
void safeline_error(GError **err, int code, gsize max, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

#endif
