/* address.c: recipients to phone numbers.
 *
 * An address is NUMBER@<sms domain>, ALIAS@<sms domain>, a subject address (numbers in the
 * Subject), a subject address with +NUMBER or +ALIAS in its local part, or not ours.
 * Promises: every number it hands out is E.164 and inside allowed_prefixes; a refusal says
 * why in one printable line (it becomes an SMTP reply). Must not: look at the message,
 * deduplicate (message.c does, across recipients), or accept postmaster@ as a number, since
 * RFC 5321 wants that mailbox to reach a person. */
#include <string.h>
#include "address.h"
#include "error.h"
#include "safeline.h"
#include "phone.h"

/* A number in a log keeps its first eight characters ('+' and the country and operator
 * digits): enough to debug routing, not enough to call anyone. */
#define ADDR_MASK_KEEP 8
/* An address longer than this is not a mailbox anyone types (RFC 5321: 64 + 1 + 255). */
#define ADDR_MAX_LEN 320
/* Tokens read from one Subject: more would be refused by max_recipients anyway. */
#define ADDR_MAX_SUBJECT_TOKENS 1000

/* TRUE when PREFIX ("+33") allows E164 ("+33612345678"). */
static gboolean addr_prefix_matches(const char *prefix, const char *e164)
{
	/* The configuration checks the "+NNN" form; tolerate "0033" and "33" all the same. */
	const char *p = prefix;
	if (*p == '+')
		p++;
	else if (p[0] == '0' && p[1] == '0')
		p += 2;
	return *p != '\0' && g_str_has_prefix(e164 + 1, p);
}

/* Checks NUMBER against allowed_prefixes (empty: everything is allowed). */
static gboolean addr_number_allowed(const Cfg *cfg, const char *e164, GError **err)
{
	if (cfg->addr_allowed_prefixes == NULL || cfg->addr_allowed_prefixes[0] == NULL)
		return TRUE;
	for (char **p = cfg->addr_allowed_prefixes; *p != NULL; p++)
		if (addr_prefix_matches(*p, e164))
			return TRUE;
	g_set_error(err, M2S_ERROR, M2S_ERR_NOPERM, "destination %s not allowed", e164);
	return FALSE;
}

char *addr_number_normalise(const Cfg *cfg, const char *written, GError **err)
{
	const PhoneCountry *country = phone_country(cfg->addr_default_country);
	g_autofree char *e164 = phone_normalise(written, country, err);
	if (e164 == NULL || !addr_number_allowed(cfg, e164, err))
		return NULL;
	return g_steal_pointer(&e164);
}

/* Appends the numbers of alias NAME to NUMBERS. FALSE when NAME is no alias (and *err is
 * left alone) or when one of its numbers fails (*err set, NUMBERS unchanged). */
static gboolean addr_expand_alias(const Cfg *cfg, const char *name, GPtrArray *numbers,
                                  gboolean *found, GError **err)
{
	*found = FALSE;
	if (cfg->aliases == NULL)
		return FALSE;
	g_autofree char *key = g_ascii_strdown(name, -1);
	GPtrArray *list = g_hash_table_lookup(cfg->aliases, key);
	if (list == NULL)
		return FALSE;
	*found = TRUE;
	guint before = numbers->len;
	for (guint i = 0; i < list->len; i++) {
		GError *e = NULL;
		char *n = addr_number_normalise(cfg, g_ptr_array_index(list, i), &e);
		if (n == NULL) {
			/* The group is all or nothing: half an on-call group is a silent failure. */
			g_set_error(err, M2S_ERROR, e->code, "alias %s: %s", key, e->message);
			g_error_free(e);
			while (numbers->len > before)
				g_ptr_array_remove_index(numbers, numbers->len - 1);
			return FALSE;
		}
		g_ptr_array_add(numbers, n);
	}
	return TRUE;
}

/* A number or an alias, as written in a local part or a Subject, appended to NUMBERS. */
static gboolean addr_number_or_alias(const Cfg *cfg, const char *token, GPtrArray *numbers,
                                     GError **err)
{
	gboolean found;
	if (addr_expand_alias(cfg, token, numbers, &found, err))
		return TRUE;
	if (found)
		return FALSE;
	char *n = addr_number_normalise(cfg, token, err);
	if (n == NULL)
		return FALSE;
	g_ptr_array_add(numbers, n);
	return TRUE;
}

/* Splits ADDR into a lower-case domain and a local part without quotes; FALSE when it is
 * not a mailbox at all. */
static gboolean addr_split(const char *addr, char **local, char **domain)
{
	g_autofree char *a = g_strstrip(g_strdup(addr));
	char *s = a;
	gsize len = strlen(s);
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s[len - 1] = '\0';
		s++;
		g_strstrip(s);
	}
	char *at = strrchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0')
		return FALSE;
	*at = '\0';
	char *dom = at + 1;
	gsize dl = strlen(dom);
	if (dom[dl - 1] == '.')
		dom[dl - 1] = '\0';
	/* A quoted local part: "06 12 34 56 78"@sms.example.com. */
	gsize ll = strlen(s);
	if (ll >= 2 && s[0] == '"' && s[ll - 1] == '"') {
		s[ll - 1] = '\0';
		s++;
	}
	*local = g_strdup(s);
	*domain = g_ascii_strdown(dom, -1);
	return TRUE;
}

/* TRUE when DOMAIN is one of the configured SMS domains. */
static gboolean addr_is_sms_domain(const Cfg *cfg, const char *domain)
{
	for (char **d = cfg->addr_domains; d != NULL && *d != NULL; d++)
		if (g_ascii_strcasecmp(*d, domain) == 0)
			return TRUE;
	return FALSE;
}

/* TRUE when LOCAL@DOMAIN is one of the subject addresses. */
static gboolean addr_is_subject_address(const Cfg *cfg, const char *local, const char *domain)
{
	if (cfg->addr_subject_addresses == NULL)
		return FALSE;
	g_autofree char *lower = g_ascii_strdown(local, -1);
	g_autofree char *full = g_strconcat(lower, "@", domain, NULL);
	for (char **s = cfg->addr_subject_addresses; *s != NULL; s++)
		if (g_ascii_strcasecmp(*s, full) == 0)
			return TRUE;
	return FALSE;
}

/* Moves the error of a number into the address's refusal. */
static AddrKind addr_refuse(GError **err, GError *e)
{
	g_propagate_error(err, e);
	return ADDR_REFUSED;
}

AddrKind addr_classify(const Cfg *cfg, const char *addr, GPtrArray *numbers, GError **err)
{
	if (addr == NULL || strlen(addr) > ADDR_MAX_LEN)
		return ADDR_NOT_SMS;
	g_autofree char *local = NULL;
	g_autofree char *domain = NULL;
	if (!addr_split(addr, &local, &domain))
		return ADDR_NOT_SMS;

	/* Subject addresses first: sms@sms.example.com may be both. */
	if (addr_is_subject_address(cfg, local, domain))
		return ADDR_FROM_SUBJECT;
	char *plus = strchr(local, '+');
	if (plus != NULL && plus != local) {
		g_autofree char *base = g_strndup(local, plus - local);
		if (addr_is_subject_address(cfg, base, domain)) {
			const char *detail = plus + 1;
			GError *e = NULL;
			if (*detail == '\0') {
				g_set_error(err, M2S_ERROR, M2S_ERR_NOUSER,
				            "%s+: no number or alias after the +", base);
				return ADDR_REFUSED;
			}
			/* The '+' of plus-addressing doubles as the international '+':
			 * sms+33612345678 is +33612345678, sms+0612345678 national,
			 * sms+0033612345678 international again. */
			g_autofree char *token = g_ascii_isdigit(*detail) && *detail != '0'
			                                 ? g_strconcat("+", detail, NULL)
			                                 : g_strdup(detail);
			if (!addr_number_or_alias(cfg, token, numbers, &e))
				return addr_refuse(err, e);
			return ADDR_NUMBERS;
		}
	}

	if (!addr_is_sms_domain(cfg, domain))
		return ADDR_NOT_SMS;
	if (g_ascii_strcasecmp(local, "postmaster") == 0 &&
	    (cfg->aliases == NULL || !g_hash_table_contains(cfg->aliases, "postmaster")))
		return ADDR_NOT_SMS;

	GError *e = NULL;
	if (!addr_number_or_alias(cfg, local, numbers, &e)) {
		/* A name that is neither a number nor an alias deserves a plainer reason than
		 * "not a phone number". */
		if (e->code == M2S_ERR_NOUSER && g_ascii_isalpha(local[0])) {
			g_autofree char *shown = safeline(local, SAFELINE_QUOTED, FALSE);
			g_clear_error(&e);
			g_set_error(&e, M2S_ERROR, M2S_ERR_NOUSER, "%s: not a phone number or alias",
			            shown);
		}
		return addr_refuse(err, e);
	}
	return ADDR_NUMBERS;
}

/* Splits S on any of the characters in SEPS, dropping empty pieces. */
static GPtrArray *addr_split_on(const char *s, const char *seps)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) parts = g_strsplit_set(s, seps, -1);
	for (char **p = parts; *p != NULL; p++) {
		g_strstrip(*p);
		if (**p != '\0')
			g_ptr_array_add(out, g_strdup(*p));
	}
	return out;
}

gboolean addr_numbers_from_subject(const Cfg *cfg, const char *subject, GPtrArray *numbers,
                                   GError **err)
{
	guint before = numbers->len;
	guint tokens = 0;
	g_autoptr(GPtrArray) pieces = addr_split_on(subject != NULL ? subject : "", ",;");

	/* Comma- or semicolon-separated pieces; a piece is one number even with spaces in it
	 * ("06 98 76 54 32"), else a list of space-separated numbers and aliases. */
	for (guint i = 0; i < pieces->len; i++) {
		const char *piece = g_ptr_array_index(pieces, i);
		GError *e = NULL;
		if (++tokens > ADDR_MAX_SUBJECT_TOKENS)
			goto too_many;
		if (addr_number_or_alias(cfg, piece, numbers, &e))
			continue;
		g_autoptr(GPtrArray) words = addr_split_on(piece, " \t");
		if (words->len < 2 || e->code != M2S_ERR_NOUSER) {
			g_propagate_error(err, e);
			goto fail;
		}
		g_clear_error(&e);
		for (guint j = 0; j < words->len; j++) {
			if (++tokens > ADDR_MAX_SUBJECT_TOKENS)
				goto too_many;
			if (!addr_number_or_alias(cfg, g_ptr_array_index(words, j), numbers, err))
				goto fail;
		}
	}
	if (numbers->len == before) {
		g_set_error(err, M2S_ERROR, M2S_ERR_NOUSER, "no number or alias in the Subject");
		return FALSE;
	}
	return TRUE;

too_many:
	g_set_error(err, M2S_ERROR, M2S_ERR_TOO_MANY, "too many numbers in the Subject");
fail:
	while (numbers->len > before)
		g_ptr_array_remove_index(numbers, numbers->len - 1);
	return FALSE;
}

/* Appends the number NUM (LEN bytes) masked: its first ADDR_MASK_KEEP characters, then one
 * 'x' for each of the others. */
static void addr_mask_into(GString *s, const char *num, gsize len)
{
	g_string_append_len(s, num, MIN(len, ADDR_MASK_KEEP));
	for (gsize i = ADDR_MASK_KEEP; i < len; i++)
		g_string_append_c(s, 'x');
}

char *addr_mask_text(const char *text, gboolean full)
{
	GString *s = g_string_new(NULL);
	const char *p = text ? text : "";

	if (full)
		return g_strdup(p);
	while (*p) {
		gsize digits = p[0] == '+' ? strspn(p + 1, "0123456789") : 0;
		/* A '+' and enough digits to hold more than what a mask keeps is a number. */
		if (digits >= ADDR_MASK_KEEP - 1) {
			addr_mask_into(s, p, digits + 1);
			p += digits + 1;
		} else {
			g_string_append_c(s, *p++);
		}
	}
	return g_string_free(s, FALSE);
}

char *addr_mask(const char *e164, gboolean full)
{
	if (e164 == NULL)
		return g_strdup("");
	if (full)
		return g_strdup(e164);
	GString *s = g_string_new(NULL);
	addr_mask_into(s, e164, strlen(e164));
	return g_string_free(s, FALSE);
}
