/* phone.c: phone numbers as people write them to E.164.
 *
 * Promises: a number it returns is '+' and 8 to 15 digits, the first not 0; a refusal is an
 * M2S_ERR_NOUSER error whose text quotes the input made printable (it may end up in an SMTP
 * reply, so never a CR or LF). Must not: guess a country for an ambiguous national number,
 * consult the configuration, or allocate in proportion to hostile input (inputs longer than
 * PHONE_MAX_WRITTEN are refused before any work). */
#include <string.h>
#include "error.h"
#include "safeline.h"
#include "phone.h"

/* Longest text worth reading as a number, separators included. */
#define PHONE_MAX_WRITTEN 64

/* The countries a national number can be read for. The trunk prefix is what a caller dials
 * before a national number and what E.164 drops: "0" in most of Europe, none in Italy, Spain,
 * Portugal, Greece, the Nordic countries but Sweden and Finland (their numbers are dialled as
 * written), "06" in Hungary, "1" in the North American Numbering Plan. A fixed national length
 * is given only where the plan really is closed, so that a typo is refused here rather than
 * paid for at the gateway. */
static const PhoneCountry phone_table[] = {
	/* European Union */
	{ "AT", "43", "0", NULL, FALSE, 0 },
	{ "BE", "32", "0", NULL, FALSE, 0 },
	{ "BG", "359", "0", NULL, FALSE, 0 },
	{ "HR", "385", "0", NULL, FALSE, 0 },
	{ "CY", "357", "", NULL, FALSE, 8 },
	{ "CZ", "420", "", NULL, FALSE, 9 },
	{ "DK", "45", "", NULL, FALSE, 8 },
	{ "EE", "372", "", NULL, FALSE, 0 },
	{ "FI", "358", "0", NULL, FALSE, 0 },
	{ "FR", "33", "0", NULL, FALSE, 9 },
	{ "DE", "49", "0", NULL, FALSE, 0 },
	{ "GR", "30", "", NULL, FALSE, 10 },
	{ "HU", "36", "06", NULL, FALSE, 0 },
	{ "IE", "353", "0", NULL, FALSE, 0 },
	{ "IT", "39", "", NULL, FALSE, 0 },
	{ "LV", "371", "", NULL, FALSE, 8 },
	{ "LT", "370", "8", "0", FALSE, 8 },
	{ "LU", "352", "", NULL, FALSE, 0 },
	{ "MT", "356", "", NULL, FALSE, 8 },
	{ "NL", "31", "0", NULL, FALSE, 9 },
	{ "PL", "48", "", NULL, FALSE, 9 },
	{ "PT", "351", "", NULL, FALSE, 9 },
	{ "RO", "40", "0", NULL, FALSE, 9 },
	{ "SK", "421", "0", NULL, FALSE, 9 },
	{ "SI", "386", "0", NULL, FALSE, 8 },
	{ "ES", "34", "", NULL, FALSE, 9 },
	{ "SE", "46", "0", NULL, FALSE, 0 },
	/* the rest of Europe */
	{ "GB", "44", "0", NULL, FALSE, 0 },
	{ "CH", "41", "0", NULL, FALSE, 9 },
	{ "LI", "423", "", NULL, FALSE, 0 },
	{ "NO", "47", "", NULL, FALSE, 8 },
	{ "IS", "354", "", NULL, FALSE, 7 },
	{ "MC", "377", "", NULL, FALSE, 0 },
	{ "AD", "376", "", NULL, FALSE, 0 },
	{ "SM", "378", "", NULL, FALSE, 0 },
	{ "RS", "381", "0", NULL, FALSE, 0 },
	{ "BA", "387", "0", NULL, FALSE, 0 },
	{ "ME", "382", "0", NULL, FALSE, 0 },
	{ "MK", "389", "0", NULL, FALSE, 0 },
	{ "AL", "355", "0", NULL, FALSE, 0 },
	{ "UA", "380", "0", NULL, FALSE, 9 },
	{ "TR", "90", "0", NULL, FALSE, 10 },
	/* France outre-mer, numbered within the French plan */
	{ "RE", "262", "0", NULL, FALSE, 9 },
	{ "YT", "262", "0", NULL, FALSE, 9 },
	{ "GP", "590", "0", NULL, FALSE, 9 },
	{ "MQ", "596", "0", NULL, FALSE, 9 },
	{ "GF", "594", "0", NULL, FALSE, 9 },
	{ "NC", "687", "", NULL, FALSE, 6 },
	{ "PF", "689", "", NULL, FALSE, 8 },
	/* North American Numbering Plan */
	{ "US", "1", "1", NULL, TRUE, 10 },
	{ "CA", "1", "1", NULL, TRUE, 10 },
	{ "PR", "1", "1", NULL, TRUE, 10 },
	/* elsewhere */
	{ "MA", "212", "0", NULL, FALSE, 9 },
	{ "DZ", "213", "0", NULL, FALSE, 0 },
	{ "TN", "216", "", NULL, FALSE, 8 },
	{ "SN", "221", "", NULL, FALSE, 9 },
	{ "CI", "225", "", NULL, FALSE, 10 },
	{ "IL", "972", "0", NULL, FALSE, 0 },
	{ "ZA", "27", "0", NULL, FALSE, 9 },
	{ "AU", "61", "0", NULL, FALSE, 9 },
	{ "NZ", "64", "0", NULL, FALSE, 0 },
	{ "JP", "81", "0", NULL, FALSE, 0 },
	{ "IN", "91", "0", NULL, FALSE, 10 },
	{ "SG", "65", "", NULL, FALSE, 8 },
	{ "HK", "852", "", NULL, FALSE, 8 },
	{ NULL, NULL, NULL, NULL, FALSE, 0 },
};

const PhoneCountry *phone_countries(void)
{
	return phone_table;
}

const PhoneCountry *phone_country(const char *iso)
{
	if (iso == NULL)
		return NULL;
	/* "UK" is not an ISO code, but it is what people write in a config file. */
	if (g_ascii_strcasecmp(iso, "UK") == 0)
		iso = "GB";
	for (const PhoneCountry *c = phone_table; c->iso != NULL; c++)
		if (g_ascii_strcasecmp(c->iso, iso) == 0)
			return c;
	return NULL;
}

gboolean phone_is_e164(const char *s)
{
	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return FALSE;
	gsize n = strlen(s + 1);
	if (n < PHONE_E164_MIN_DIGITS || n > PHONE_E164_MAX_DIGITS)
		return FALSE;
	for (const char *p = s + 1; *p != '\0'; p++)
		if (!g_ascii_isdigit(*p))
			return FALSE;
	return TRUE;
}

/* Sets a NOUSER error quoting WRITTEN; always returns NULL for the caller's convenience. */
static char *phone_refuse(GError **err, const char *written, const char *why)
{
	g_autofree char *shown = safeline(written ? written : "(none)", SAFELINE_QUOTED, FALSE);
	g_set_error(err, M2S_ERROR, M2S_ERR_NOUSER, "%s: not a phone number%s%s%s", shown,
	            why != NULL ? " (" : "", why != NULL ? why : "", why != NULL ? ")" : "");
	return NULL;
}

static gboolean phone_is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '.' || c == '-' || c == '/' || c == '(' || c == ')';
}

/* Strips a national trunk prefix from DIGITS, or says that it is missing. */
static const char *phone_strip_trunk(const PhoneCountry *c, const char *digits,
                                     gboolean *missing)
{
	*missing = FALSE;
	if (c->trunk[0] == '\0')
		return digits;
	if (g_str_has_prefix(digits, c->trunk))
		return digits + strlen(c->trunk);
	if (c->trunk_alt != NULL && g_str_has_prefix(digits, c->trunk_alt))
		return digits + strlen(c->trunk_alt);
	if (!c->trunk_optional)
		*missing = TRUE;
	return digits;
}

char *phone_normalise(const char *written, const PhoneCountry *country, GError **err)
{
	if (written == NULL || *written == '\0')
		return phone_refuse(err, "\"\"", NULL);
	if (strlen(written) > PHONE_MAX_WRITTEN)
		return phone_refuse(err, written, "too long");

	/* Collect the digits and whether the number was written as international. */
	char digits[PHONE_MAX_WRITTEN + 1];
	gsize nd = 0;
	gboolean plus = FALSE;
	for (const char *p = written; *p != '\0'; p++) {
		if (g_ascii_isdigit(*p)) {
			digits[nd++] = *p;
		} else if (*p == '+' && nd == 0 && !plus) {
			plus = TRUE;
		} else if (*p == '(' && p[1] == '0' && p[2] == ')' &&
		           (plus || (nd >= 2 && digits[0] == '0' && digits[1] == '0'))) {
			/* "+33 (0)6 12..": the bracketed trunk prefix is for national callers. */
			p += 2;
		} else if (!phone_is_separator(*p)) {
			return phone_refuse(err, written, NULL);
		}
	}
	digits[nd] = '\0';
	if (nd == 0)
		return phone_refuse(err, written, NULL);

	g_autofree char *intl = NULL;
	if (plus) {
		intl = g_strdup(digits);
	} else if (g_str_has_prefix(digits, "00")) {
		intl = g_strdup(digits + 2);
	} else if (country != NULL && strcmp(country->code, "1") == 0 &&
	           g_str_has_prefix(digits, "011")) {
		/* The North American international prefix. */
		intl = g_strdup(digits + 3);
	} else {
		if (country == NULL)
			return phone_refuse(err, written, "no default country for a national number");
		gboolean missing;
		const char *nsn = phone_strip_trunk(country, digits, &missing);
		if (missing) {
			g_autofree char *why = g_strdup_printf(
			        "a national number starts with %s, or write +%s...", country->trunk,
			        country->code);
			return phone_refuse(err, written, why);
		}
		gsize len = strlen(nsn);
		if (country->national_digits != 0 && len != country->national_digits)
			return phone_refuse(err, written,
			                    len < country->national_digits ? "too short" : "too long");
		intl = g_strconcat(country->code, nsn, NULL);
	}

	gsize len = strlen(intl);
	if (len == 0 || intl[0] == '0')
		return phone_refuse(err, written, NULL);
	if (len < PHONE_E164_MIN_DIGITS)
		return phone_refuse(err, written, "too short");
	if (len > PHONE_E164_MAX_DIGITS)
		return phone_refuse(err, written, "too long");
	return g_strconcat("+", intl, NULL);
}
