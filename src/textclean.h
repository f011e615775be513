/* textclean.h: a plain mail text cut down to what an SMS reader wants (textclean.c). */
#ifndef M2S_TEXTCLEAN_H
#define M2S_TEXTCLEAN_H

#include <glib.h>

/* Cleans a plain text body (the rules of text_body after decoding): quoted replies,
 * signature, Outlook original and trailing disclaimer cut; LF line ends; control characters
 * gone (TAB as a space); spaces folded; lines trimmed; no empty lines (on a phone a line
 * break is enough to part paragraphs, and each character costs). */
char *text_clean(const char *utf8);

/* Bidirectional marks and overrides, BOM: invisible, they only cost characters and can
 * make a text read differently. */
gboolean text_is_invisible(gunichar c);

#endif
