/* text.h: from a parsed mail to the plain UTF-8 text an SMS reader wants. */
#ifndef M2S_TEXT_H
#define M2S_TEXT_H

#include <glib.h>
#include <gmime/gmime.h>

/* The decoded Subject (RFC 2047, any charset, control characters removed, one line), "" if
 * none. */
char *text_subject(GMimeMessage *msg);

/* The body text: first text/plain of the message proper, else text/html as text; decoded
 * to UTF-8, quotes, signature and disclaimers cut, blank runs folded. "" when there is none. */
char *text_body(GMimeMessage *msg);

#endif
