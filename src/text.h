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

/* Cleans a plain text body (the rules of text_body after decoding), exposed for tests. */
char *text_clean(const char *utf8);

/* HTML to plain text with libxml2's HTML parser (html.c). */
char *html_to_text(const char *html, gsize len);

/* Bytes in CHARSET (NULL: unlabelled) to valid UTF-8: the charset, else UTF-8, else
 * Windows-1252. Never fails. */
char *text_to_utf8(const char *bytes, gsize len, const char *charset);

#endif
