/* address.h: recipients to phone numbers.
 *
 * An envelope or header address is either not for SMS, or gives E.164 numbers (directly,
 * through an alias, or through plus-addressing), or is a subject address whose numbers are
 * read from the Subject at end of message, or is refused with a reason. */
#ifndef M2S_ADDRESS_H
#define M2S_ADDRESS_H

#include <glib.h>
#include "cfg.h"

typedef enum {
	ADDR_NOT_SMS,      /* not ours: pass untouched */
	ADDR_NUMBERS,      /* numbers appended to the output array */
	ADDR_FROM_SUBJECT, /* a subject address without +number: numbers come from the Subject */
	ADDR_REFUSED,      /* *err says why: M2S_ERR_NOUSER (invalid) or M2S_ERR_NOPERM (prefix) */
} AddrKind;

/* Classifies ADDR (with or without <>); on ADDR_NUMBERS appends g_strdup'ed E.164 strings
 * to NUMBERS (duplicates are left to the caller). */
AddrKind addr_classify(const Cfg *cfg, const char *addr, GPtrArray *numbers, GError **err);

/* Reads the numbers and aliases of a Subject (comma or space separated) into NUMBERS;
 * FALSE with *err when one is invalid or not allowed. */
gboolean addr_numbers_from_subject(const Cfg *cfg, const char *subject, GPtrArray *numbers,
                                   GError **err);

/* Normalises one number as written (+33.., 0033.., 06.. with default_country) to E.164 and
 * checks allowed_prefixes; a newly allocated string, or NULL with *err. */
char *addr_number_normalise(const Cfg *cfg, const char *written, GError **err);

/* A number for logs: +3361234xxxx, unless full. */
char *addr_mask(const char *e164, gboolean full);
/* TEXT (an error, a reason) with every +NNNNNNNN number in it masked the same way. */
char *addr_mask_text(const char *text, gboolean full);

#endif
