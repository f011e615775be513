/* access.c: the [access] rules: a client in `networks`, or an SMTP AUTH user when
 * `authenticated` is true, and then an envelope sender in `senders` when that list is set.
 *
 * The default lets loopback and authenticated users only: an open SMS relay burns the
 * account's credits. Nothing here trusts a header; only the envelope and the connection. */
#include <string.h>
#include "access.h"
#include "error.h"

/* TRUE when IP (as libmilter or the MTA writes it) is in [access] networks; something that
 * is not an address, such as "unknown", is in none. */
static gboolean client_in_networks(const Cfg *cfg, const char *ip)
{
	g_autoptr(GInetAddress) a = NULL;
	const char *s = ip;
	g_autofree char *bare = NULL;

	/* Sendmail writes IPv6 clients as "IPv6:addr", Postfix and libmilter as "[addr]". */
	if (g_str_has_prefix(s, "IPv6:"))
		s += 5;
	if (s[0] == '[') {
		bare = g_strndup(s + 1, strcspn(s + 1, "]"));
		s = bare;
	}
	a = g_inet_address_new_from_string(s);
	if (a == NULL)
		return FALSE;
	for (guint i = 0; i < cfg->access_networks->len; i++)
		if (g_inet_address_mask_matches(cfg->access_networks->pdata[i], a))
			return TRUE;
	/* An IPv4 client seen through an IPv6 socket as ::ffff:a.b.c.d. */
	if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6 &&
	    g_str_has_prefix(s, "::ffff:") && strchr(s + 7, '.'))
		return client_in_networks(cfg, s + 7);
	return FALSE;
}

/* TRUE when SENDER (with or without <>) matches [access] senders, by address or @domain. */
static gboolean sender_listed(const Cfg *cfg, const char *sender)
{
	g_autofree char *s = g_ascii_strdown(sender ? sender : "", -1);
	gsize n = strlen(s);
	const char *at;

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	at = strrchr(s, '@');
	for (char **p = cfg->access_senders; *p; p++) {
		if (**p == '@' ? at && strcmp(at, *p) == 0 : strcmp(s, *p) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean access_may_send(const Cfg *cfg, const char *client_ip, const char *auth_user,
                         const char *sender, GError **err)
{
	gboolean authed = auth_user && *auth_user;

	if (client_ip) {
		if (!(client_in_networks(cfg, client_ip) || (authed && cfg->access_authenticated))) {
			g_set_error(err, M2S_ERROR, M2S_ERR_NOPERM, "%s",
			            authed ? "authenticated users may not send SMS here"
			                   : "this client may not send SMS (authenticate first)");
			return FALSE;
		}
	}
	if (cfg->access_senders[0] && !sender_listed(cfg, sender)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_NOPERM, "sender not allowed to send SMS");
		return FALSE;
	}
	return TRUE;
}
