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

/* Cleans a plain text body (the rules of text_body after decoding), exposed for tests:
 * quoted replies, signature, Outlook original and trailing disclaimer cut; LF line ends;
 * control characters gone (TAB as a space); spaces folded; lines trimmed; no empty lines
 * (on a phone a line break is enough to part paragraphs, and each character costs). */
char *text_clean(const char *utf8);

/* Bidirectional marks and overrides, BOM: invisible, they only cost characters and can
 * make a text read differently. */
gboolean text_is_invisible(gunichar c);

/* HTML (UTF-8, whatever its <meta> says) to plain text with libxml2's HTML parser (html.c):
 * no CSS, scripts, comments, title or hidden elements; block elements and <br> give line
 * breaks; cells are kept apart; blockquote lines start with "> ". */
char *html_to_text(const char *html, gsize len);

/* Bytes in CHARSET (NULL: unlabelled) to valid UTF-8: the charset when it converts (a
 * Latin-1 label read as Windows-1252, as mail clients mean it), else UTF-8 where the bytes
 * are UTF-8 and Windows-1252 for each byte that is not. NUL bytes dropped. Never fails. */
char *text_to_utf8(const char *bytes, gsize len, const char *charset);

#endif
