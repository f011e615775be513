/* gsm.h: GSM 03.38 encoding decision, segment counting, transliteration, truncation. */
#ifndef M2S_GSM_H
#define M2S_GSM_H

#include <glib.h>

typedef enum { GSM_ENC_GSM7, GSM_ENC_UCS2 } GsmEncoding;

typedef struct {
	char *text;           /* UTF-8, as it will be sent (transliterated, maybe truncated) */
	GsmEncoding encoding;
	guint segments;       /* parts it will take */
	guint characters;     /* characters of text (Unicode code points) */
	gboolean truncated;
} GsmMessage;

/* Prepares UTF8 for sending: transliterates when that keeps it GSM-7 (if TRANSLITERATE),
 * chooses the encoding, truncates to MAX_SEGMENTS parts with an ellipsis ("..." in GSM-7,
 * "…" in UCS-2, which keeps a truncated UCS-2 text UCS-2). Invalid UTF-8 is repaired;
 * MAX_SEGMENTS 0 means 1. An empty text gives "" in one GSM-7 segment: OVH refuses empty
 * messages, so refusing them is the caller's decision. Never NULL. */
GsmMessage *gsm_prepare(const char *utf8, guint max_segments, gboolean transliterate);
void gsm_message_free(GsmMessage *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GsmMessage, gsm_message_free)

/* Septets of one code point in GSM-7: 1 basic, 2 extension, 0 not representable. */
guint gsm_septets(gunichar c);
/* Parts for UTF8 in ENCODING (1 for the empty text): one part up to 160 septets or 70
 * UTF-16 units, else parts of 153 or 67 filled the way a sender fills them, an escape pair or
 * a surrogate pair that does not fit whole moving to the next part (so it can be one more
 * than ceil(n/153)). In GSM-7, a character outside the tables counts one. */
guint gsm_count_segments(const char *utf8, GsmEncoding encoding);
/* Characters of ENCODING that SEGMENTS parts hold: 160 (GSM-7) or 70 (UCS-2) in one
 * part, 153 or 67 per part in more (SEGMENTS 0 means 1), for texts built to fit (digests).
 * A GSM-7 extension character or a UCS-2 surrogate pair takes two units: a text holding
 * some may still be cut by gsm_prepare. */
guint gsm_capacity(GsmEncoding encoding, guint segments);
/* The encoding gsm_prepare would choose for UTF8 (NULL: ""), transliterating when
 * TRANSLITERATE. */
GsmEncoding gsm_encoding(const char *utf8, gboolean transliterate);

#endif
