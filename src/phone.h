/* phone.h: phone numbers as people write them to E.164.
 *
 * Knows the country calling codes and trunk prefixes needed to read a national number;
 * knows nothing of mail, aliases or the configuration (address.c adds those). */
#ifndef M2S_PHONE_H
#define M2S_PHONE_H

#include <glib.h>

/* E.164: '+', then 8 to 15 digits, the first not 0. */
#define PHONE_E164_MIN_DIGITS 8
#define PHONE_E164_MAX_DIGITS 15

typedef struct {
	const char *iso;        /* ISO 3166 alpha-2, upper case: "FR" */
	const char *code;       /* country calling code, digits: "33" */
	const char *trunk;      /* national trunk prefix, "" when the country has none */
	const char *trunk_alt;  /* a second accepted trunk prefix or NULL (LT: 8 and 0) */
	gboolean trunk_optional;/* NANP: "2125551234" and "12125551234" are both national */
	guint national_digits;  /* exact length of a national significant number, 0: any */
} PhoneCountry;

/* The country for an ISO code (case-insensitive; "UK" is accepted for "GB"), or NULL. */
const PhoneCountry *phone_country(const char *iso);

/* Every known country, terminated by an entry whose iso is NULL. */
const PhoneCountry *phone_countries(void);

/* Normalises WRITTEN (+33.., 0033.., national with COUNTRY, which may be NULL) to E.164.
 * Separators ". - / ( )" and spaces are ignored, "+33 (0)6..." is understood. A newly
 * allocated string, or NULL with an M2S_ERR_NOUSER error whose text names WRITTEN. */
char *phone_normalise(const char *written, const PhoneCountry *country, GError **err);

/* TRUE when S is already a well-formed E.164 number. */
gboolean phone_is_e164(const char *s);

#endif
