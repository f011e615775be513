/* html.h: HTML to the plain text a reader sees (html.c). */
#ifndef M2S_HTML_H
#define M2S_HTML_H

#include <glib.h>

/* HTML (UTF-8, whatever its <meta> says) to plain text with libxml2's HTML parser: no CSS,
 * scripts, comments, title or hidden elements; block elements and <br> give line breaks;
 * cells are kept apart; blockquote lines start with "> ". */
char *html_to_text(const char *html, gsize len);

#endif
