/* fuzz_address.c: libFuzzer target over recipients and numbers (address.c, phone.c).
 *
 * Input: byte 0 picks the function, byte 1 the country for phone_normalise; the rest is the
 * text (an address, a Subject, a number as written, a text to mask). The configuration is
 * fixed: two SMS domains, a subject address, aliases good and bad, allowed prefixes +33, +32
 * and +1. Promises checked: every number handed out is E.164 and allowed, and normalising it
 * again gives it back; a refusal is an M2S_ERROR of a documented kind whose text is one
 * printable line; a failed call leaves the numbers as they were; masking keeps the text's
 * length, validity and no more than 7 digits of any +number. */
#include <stdint.h>
#include "fuzz_common.h"
#include "address.h"
#include "cfg.h"
#include "phone.h"
#include "safeline.h"

#define FUZZ_MAX_ERROR 512

static Cfg *fuzz_cfg;
static const PhoneCountry *countries[256];
static guint n_countries;

static void fuzz_alias(const char *name, const char *numbers)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) parts = g_strsplit(numbers, ",", -1);

	for (char **p = parts; *p != NULL; p++)
		g_ptr_array_add(list, g_strdup(*p));
	g_hash_table_replace(fuzz_cfg->aliases, g_strdup(name), list);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_cfg = cfg_new_default();
	g_strfreev(fuzz_cfg->addr_domains);
	fuzz_cfg->addr_domains = g_strsplit("sms.example.com sms.example.org", " ", -1);
	g_strfreev(fuzz_cfg->addr_allowed_prefixes);
	fuzz_cfg->addr_allowed_prefixes = g_strsplit("+33 +32 +1", " ", -1);
	g_strfreev(fuzz_cfg->addr_subject_addresses);
	fuzz_cfg->addr_subject_addresses = g_strsplit("sms@example.com", " ", -1);
	fuzz_alias("oncall", "+33611111111,06 22 22 22 22,0033633333333");
	fuzz_alias("broken", "+33611111111,12");
	fuzz_alias("abroad", "+33611111111,+447700900123");
	fuzz_alias("postmaster", "+32470123456");
	/* NULL first: a national number without a country. */
	countries[n_countries++] = NULL;
	for (const PhoneCountry *c = phone_countries(); c->iso && n_countries < 256; c++)
		countries[n_countries++] = c;
	return 0;
}

/* E164 is what the configuration lets out. */
static void check_number(const char *e164)
{
	gboolean allowed = FALSE;

	if (!phone_is_e164(e164))
		fuzz_fail("a number that is not E.164", e164);
	for (char **p = fuzz_cfg->addr_allowed_prefixes; *p; p++)
		allowed |= g_str_has_prefix(e164, *p);
	if (!allowed)
		fuzz_fail("a number outside allowed_prefixes", e164);
}

/* Numbers appended to NUMBERS from BEFORE on are E.164 and allowed. */
static void check_numbers(GPtrArray *numbers, guint before)
{
	for (guint i = before; i < numbers->len; i++)
		check_number(numbers->pdata[i]);
}

/* A refusal: one of the documented kinds, one printable line, maskable. */
static void check_refusal(const GError *err, gboolean may_be_too_many)
{
	fuzz_check_error(err, FUZZ_MAX_ERROR);
	if (err->code != M2S_ERR_NOUSER && err->code != M2S_ERR_NOPERM &&
	    !(may_be_too_many && (err->code == M2S_ERR_TOO_MANY || err->code == M2S_ERR_LIMIT)))
		fuzz_fail("a refusal of an undocumented kind", err->message);
	g_autofree char *masked = addr_mask_text(err->message, FALSE);
	fuzz_check_line(masked, FUZZ_MAX_ERROR, "masked error");
}

/* TEXT masked: same length, still valid UTF-8 when TEXT was, no +number of 8 digits left. */
static void check_mask(const char *text)
{
	g_autofree char *masked = addr_mask_text(text, FALSE);
	g_autofree char *full = addr_mask_text(text, TRUE);

	if (strcmp(full, text) != 0)
		fuzz_fail("a text masked with full changed", full);
	if (strlen(masked) != strlen(text))
		fuzz_fail("masking changed the length", masked);
	if (g_utf8_validate(text, -1, NULL) && !g_utf8_validate(masked, -1, NULL))
		fuzz_fail("masking made a text invalid UTF-8", masked);
	for (const char *p = masked; (p = strchr(p, '+')) != NULL; p++)
		if (strspn(p + 1, "0123456789") >= 8)
			fuzz_fail("a number left unmasked", masked);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) numbers = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *text = NULL;
	GError *err = NULL;

	if (size < 2)
		return 0;
	text = fuzz_string(data + 2, size - 2);
	/* A number already there: a failed call must leave it. */
	g_ptr_array_add(numbers, g_strdup("+33600000000"));

	switch (data[0] % 5) {
	case 0: {
		AddrKind k = addr_classify(fuzz_cfg, text, numbers, &err);
		if (k == ADDR_REFUSED) {
			check_refusal(err, FALSE);
			if (numbers->len != 1)
				fuzz_fail("a refused address gave numbers", text);
		} else {
			if (err)
				fuzz_fail("an error without a refusal", err->message);
			if ((k == ADDR_NUMBERS) != (numbers->len > 1))
				fuzz_fail("numbers without ADDR_NUMBERS or the reverse", text);
			check_numbers(numbers, 1);
		}
		break;
	}
	case 1: {
		gboolean ok = addr_numbers_from_subject(fuzz_cfg, text, numbers, &err);
		if (ok == (err != NULL))
			fuzz_fail("a result and an error, or neither", text);
		if (ok) {
			if (numbers->len < 2)
				fuzz_fail("a Subject accepted without a number", text);
			check_numbers(numbers, 1);
		} else {
			check_refusal(err, TRUE);
			if (numbers->len != 1)
				fuzz_fail("a refused Subject left numbers", text);
		}
		break;
	}
	case 2: {
		g_autofree char *n = addr_number_normalise(fuzz_cfg, text, &err);
		if ((n != NULL) == (err != NULL))
			fuzz_fail("a number and an error, or neither", text);
		if (n)
			check_number(n);
		else
			check_refusal(err, FALSE);
		break;
	}
	case 3: {
		const PhoneCountry *c = countries[data[1] % n_countries];
		g_autofree char *n = phone_normalise(text, c, &err);
		if ((n != NULL) == (err != NULL))
			fuzz_fail("a number and an error, or neither", text);
		if (n) {
			if (!phone_is_e164(n))
				fuzz_fail("phone_normalise gave a number that is not E.164", n);
			/* E.164 is a fixed point, whatever the country. */
			g_autofree char *again = phone_normalise(n, countries[(data[1] + 1) % n_countries],
			                                         NULL);
			if (again == NULL || strcmp(again, n) != 0)
				fuzz_fail("an E.164 number does not normalise to itself", n);
		} else {
			fuzz_check_error(err, FUZZ_MAX_ERROR);
			if (err->code != M2S_ERR_NOUSER)
				fuzz_fail("phone_normalise refused with another kind than NOUSER",
				          err->message);
		}
		break;
	}
	default: {
		g_autofree char *shown = safeline(text, SAFELINE_QUOTED, FALSE);
		fuzz_check_line(shown, SAFELINE_QUOTED, "safeline");
		check_mask(text);
		break;
	}
	}
	g_clear_error(&err);
	return 0;
}
