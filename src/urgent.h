/* urgent.h: whether a mail says it is urgent (X-Priority, Importance, Priority headers):
 * urgent mail is paged at once, even in quiet hours. */
#ifndef M2S_URGENT_H
#define M2S_URGENT_H

#include <glib.h>
#include <gmime/gmime.h>

/* TRUE when the header NAME: VALUE (raw or decoded; any case, folded or padded with
 * blanks) marks the mail urgent: X-Priority 1 or 2 ("1 (Highest)", "2 (High)"),
 * Importance: high, Priority: urgent. Any other header or value is FALSE. For the milter's
 * header callback as well as for a parsed mail. */
gboolean urgent_header(const char *name, const char *value);

/* TRUE when one header of MSG's top level is urgent_header(). */
gboolean urgent_mail(GMimeMessage *msg);

#endif
