/* charset.h: bytes in a mail's charset, or unlabelled, to valid UTF-8 (charset.c). */
#ifndef M2S_CHARSET_H
#define M2S_CHARSET_H

#include <glib.h>

/* Bytes in CHARSET (NULL: unlabelled) to valid UTF-8: the charset when it converts (a
 * Latin-1 label read as Windows-1252, as mail clients mean it), else UTF-8 where the bytes
 * are UTF-8 and Windows-1252 for each byte that is not. NUL bytes dropped. Never fails. */
char *text_to_utf8(const char *bytes, gsize len, const char *charset);

#endif
