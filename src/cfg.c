/* cfg.c: loads mail2sms.conf into an immutable, reference-counted Cfg.
 *
 * Every key is checked here, once: an unknown section or key, a value out of range or a
 * secret readable by "other" is an M2S_ERR_CONFIG that names the file and the key. The file
 * is read by inifile.c; rates and time zones by limits_rules.c, quiet hours by quiet.c; OVH
 * credentials left out are completed from ovh.conf files and OVH_* variables, and the
 * endpoint resolved to its base URL, by ovhconf.c.
 * Error texts never quote a secret (the keys and secrets of [ovh]). */
#include <string.h>
#include "cfg.h"
#include "duration.h"
#include "error.h"
#include "phone.h"
#include "safeline.h"
#include "inifile.h"
#include "ovhconf.h"

/* OVH's limit for an alphanumeric sender name (the GSM network's, in fact). */
#define CFG_SENDER_MAX 11

typedef enum { K_STR, K_BOOL, K_UINT, K_LIST, K_SECRET, K_DURATION, K_RATE } KeyType;

/* One accepted key; OFF is where its value goes in Cfg. */
typedef struct {
	const char *section;
	const char *key;
	KeyType type;
	gsize off;
	guint min, max;  /* K_UINT and K_DURATION (seconds) bounds */
} KeyDef;

#define F(field) G_STRUCT_OFFSET(Cfg, field)
static const KeyDef keys[] = {
	{ "milter", "socket", K_STR, F(milter_socket), 0, 0 },
	{ "milter", "user", K_STR, F(milter_user), 0, 0 },
	{ "milter", "umask", K_STR, 0, 0, 0 },
	{ "milter", "pidfile", K_STR, F(milter_pidfile), 0, 0 },
	{ "milter", "on_api_error", K_STR, 0, 0, 0 },
	{ "milter", "on_config_error", K_STR, 0, 0, 0 },
	{ "milter", "keep_sms_recipients", K_BOOL, F(keep_sms_recipients), 0, 0 },
	{ "milter", "log_numbers", K_STR, 0, 0, 0 },
	{ "ovh", "endpoint", K_STR, F(ovh_endpoint), 0, 0 },
	{ "ovh", "application_key", K_SECRET, F(ovh_application_key), 0, 0 },
	{ "ovh", "application_secret", K_SECRET, F(ovh_application_secret), 0, 0 },
	{ "ovh", "consumer_key", K_SECRET, F(ovh_consumer_key), 0, 0 },
	{ "ovh", "service", K_STR, F(ovh_service), 0, 0 },
	{ "ovh", "ca_file", K_STR, F(ovh_ca_file), 0, 0 },
	{ "ovh", "timeout", K_UINT, F(ovh_timeout), 1, 300 },
	{ "ovh", "max_requests", K_RATE, F(ovh_max_requests), 0, 0 },
	/* A request waiting for the budget holds an SMTP session: far below its timeouts. */
	{ "ovh", "max_wait", K_DURATION, F(ovh_max_wait), 0, 20 },
	{ "ovh", "credits_alarm", K_UINT, F(ovh_credits_alarm), 0, 10000000 },
	{ "ovh", "alarm_to", K_LIST, F(ovh_alarm_to), 0, 0 },
	{ "sms", "sender", K_STR, F(sms_sender), 0, 0 },
	{ "sms", "sender_for_response", K_BOOL, F(sms_sender_for_response), 0, 0 },
	{ "sms", "no_stop_clause", K_BOOL, F(sms_no_stop_clause), 0, 0 },
	{ "sms", "priority", K_STR, F(sms_priority), 0, 0 },
	{ "sms", "validity", K_UINT, F(sms_validity), 1, 4320 },
	{ "sms", "text", K_STR, 0, 0, 0 },
	{ "sms", "max_segments", K_UINT, F(sms_max_segments), 1, 6 },
	{ "sms", "transliterate", K_BOOL, F(sms_transliterate), 0, 0 },
	{ "sms", "max_message_size", K_UINT, 0, 1024, 1024 * 1024 * 1024 },
	{ "addresses", "domains", K_LIST, F(addr_domains), 0, 0 },
	{ "addresses", "default_country", K_STR, F(addr_default_country), 0, 0 },
	{ "addresses", "allowed_prefixes", K_LIST, F(addr_allowed_prefixes), 0, 0 },
	{ "addresses", "subject_addresses", K_LIST, F(addr_subject_addresses), 0, 0 },
	{ "addresses", "max_recipients", K_UINT, F(addr_max_recipients), 1, 1000 },
	{ "access", "networks", K_LIST, 0, 0, 0 },
	{ "access", "authenticated", K_BOOL, F(access_authenticated), 0, 0 },
	{ "access", "senders", K_LIST, F(access_senders), 0, 0 },
	{ "state", "store", K_STR, F(state_store), 0, 0 },
	{ "state", "password_file", K_STR, F(state_password_file), 0, 0 },
	{ "state", "on_store_error", K_STR, 0, 0, 0 },
	{ "state", "claim_timeout", K_DURATION, F(state_claim_timeout), 10, 24 * 3600 },
	{ "state", "settle_time", K_DURATION, F(state_settle_time), 0, 24 * 3600 },
	{ "state", "keep", K_DURATION, F(state_keep), 3600, 366 * 24 * 3600 },
	{ "limits", "per_receiver", K_RATE, F(limits_per_receiver), 0, 0 },
	{ "limits", "per_sender", K_RATE, F(limits_per_sender), 0, 0 },
	{ "limits", "daily_credits", K_UINT, F(limits_daily_credits), 0, 10000000 },
	{ "limits", "duplicate_window", K_DURATION, F(limits_duplicate_window), 0, 7 * 24 * 3600 },
	{ "limits", "over_limit", K_STR, 0, 0, 0 },
	{ "limits", "quiet_hours", K_STR, 0, 0, 0 },
	{ "limits", "timezone", K_STR, 0, 0, 0 },
	{ "limits", "quiet_hours_exempt", K_LIST, F(limits_quiet_hours_exempt), 0, 0 },
	{ "metrics", "listen", K_STR, F(metrics_listen), 0, 0 },
	{ "replies", "enable", K_BOOL, F(replies_enable), 0, 0 },
	/* OVH's fair use is about 60 requests a minute: a poll costs one and more per reply. */
	{ "replies", "poll", K_DURATION, F(replies_poll), 10, 24 * 3600 },
	/* A short code takes answers for 48 hours; a virtual number keeps them longer. */
	{ "replies", "window", K_DURATION, F(replies_window), 60, 30 * 24 * 3600 },
	{ "replies", "unmatched_to", K_STR, F(replies_unmatched_to), 0, 0 },
	{ "reports", "notify", K_STR, 0, 0, 0 },
	{ "reports", "listen", K_STR, F(reports_listen), 0, 0 },
	{ "reports", "poll", K_DURATION, F(reports_poll), 30, 24 * 3600 },
	{ "reports", "sendmail", K_STR, F(reports_sendmail), 0, 0 },
	{ "reports", "token_file", K_STR, F(reports_token_file), 0, 0 },
};
#undef F

static const char *const known_sections[] = { "milter", "ovh", "sms", "addresses", "aliases",
                                              "access", "state", "limits", "metrics",
                                              "replies", "reports", NULL };

const char *const *cfg_known_keys(void)
{
	static const char *names[G_N_ELEMENTS(keys) + 1];
	static gsize done;

	if (g_once_init_enter(&done)) {
		for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
			names[i] = g_intern_string(g_strconcat(keys[i].section, ".", keys[i].key, NULL));
		g_once_init_leave(&done, 1);
	}
	return names;
}

static void set_str(char **slot, const char *v)
{
	g_free(*slot);
	*slot = g_strdup(v);
}

Cfg *cfg_new_default(void)
{
	Cfg *c = g_new0(Cfg, 1);

	c->refcount = 1;
	c->milter_socket = g_strdup("inet:8891@127.0.0.1");
	c->milter_user = g_strdup("mail2sms");
	c->milter_umask = 007;
	c->on_api_error = CFG_ACT_TEMPFAIL;
	c->on_config_error = CFG_ACT_TEMPFAIL;
	c->ovh_timeout = 20;
	c->sms_no_stop_clause = TRUE;
	c->sms_priority = g_strdup("high");
	c->sms_validity = 2880;
	c->sms_text = CFG_TEXT_SUBJECT_BODY;
	c->sms_max_segments = 3;
	c->sms_transliterate = TRUE;
	c->max_message_size = 10 * 1024 * 1024;
	c->addr_domains = g_new0(char *, 1);
	c->addr_default_country = g_strdup("FR");
	c->addr_allowed_prefixes = g_new0(char *, 1);
	c->addr_subject_addresses = g_new0(char *, 1);
	c->addr_max_recipients = 50;
	c->aliases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                   (GDestroyNotify)g_ptr_array_unref);
	c->access_networks = g_ptr_array_new_with_free_func(g_object_unref);
	g_ptr_array_add(c->access_networks, g_inet_address_mask_new_from_string("127.0.0.0/8", NULL));
	g_ptr_array_add(c->access_networks, g_inet_address_mask_new_from_string("::1", NULL));
	c->access_authenticated = TRUE;
	c->access_senders = g_new0(char *, 1);
	c->state_store = g_strdup(CFG_DEFAULT_STORE);
	c->on_store_error = CFG_STORE_DEGRADE;
	c->state_claim_timeout = 120;
	c->state_settle_time = 10 * 60;
	c->state_keep = 7 * 24 * 3600;
	c->ovh_max_wait = 5;
	c->ovh_alarm_to = g_strsplit("postmaster", " ", -1);
	c->limits_over_limit = CFG_OVER_DIGEST;
	c->replies_poll = 60;
	c->replies_window = 48 * 3600;
	c->replies_unmatched_to = g_strdup("postmaster");
	c->reports_notify = CFG_NOTIFY_FAILURE;
	c->reports_poll = 5 * 60;
	c->reports_token_file = g_strdup("/var/lib/mail2sms/callback.token");
	c->limits_tz = g_time_zone_new_local();
	c->limits_quiet_hours_exempt = g_new0(char *, 1);
	c->limits_exempt_numbers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return c;
}

Cfg *cfg_ref(Cfg *cfg)
{
	g_atomic_int_inc(&cfg->refcount);
	return cfg;
}

void cfg_unref(Cfg *c)
{
	if (c == NULL || !g_atomic_int_dec_and_test(&c->refcount))
		return;
	g_free(c->path);
	g_free(c->milter_socket);
	g_free(c->milter_user);
	g_free(c->milter_pidfile);
	g_free(c->ovh_endpoint);
	g_free(c->ovh_base_url);
	g_free(c->ovh_application_key);
	if (c->ovh_application_secret)
		memset(c->ovh_application_secret, 0, strlen(c->ovh_application_secret));
	g_free(c->ovh_application_secret);
	g_free(c->ovh_consumer_key);
	g_free(c->ovh_service);
	g_free(c->ovh_ca_file);
	g_strfreev(c->ovh_alarm_to);
	g_free(c->sms_sender);
	g_free(c->sms_priority);
	g_strfreev(c->addr_domains);
	g_free(c->addr_default_country);
	g_strfreev(c->addr_allowed_prefixes);
	g_strfreev(c->addr_subject_addresses);
	g_hash_table_unref(c->aliases);
	g_ptr_array_unref(c->access_networks);
	g_strfreev(c->access_senders);
	g_free(c->state_store);
	g_free(c->state_password_file);
	g_free(c->metrics_listen);
	g_free(c->metrics_host);
	g_free(c->replies_unmatched_to);
	g_free(c->reports_listen);
	g_free(c->reports_host);
	g_free(c->reports_sendmail);
	g_free(c->reports_token_file);
	g_free(c->limits_timezone);
	g_time_zone_unref(c->limits_tz);
	g_strfreev(c->limits_quiet_hours_exempt);
	g_hash_table_unref(c->limits_exempt_numbers);
	g_free(c);
}

/* Splits a list written with commas and/or blanks; lower-cased when LOWER. */
static char **split_list(const char *v, gboolean lower)
{
	g_auto(GStrv) parts = g_strsplit_set(v, ", \t", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = parts; *p; p++)
		if (**p)
			g_ptr_array_add(out, lower ? g_ascii_strdown(*p, -1) : g_strdup(*p));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static gboolean parse_bool(const char *v, gboolean *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };

	if (g_strv_contains(yes, v))
		*out = TRUE;
	else if (g_strv_contains(no, v))
		*out = FALSE;
	else
		return FALSE;
	return TRUE;
}

static gboolean parse_action(const char *v, CfgAction *out)
{
	if (strcmp(v, "tempfail") == 0)
		*out = CFG_ACT_TEMPFAIL;
	else if (strcmp(v, "reject") == 0)
		*out = CFG_ACT_REJECT;
	else if (strcmp(v, "accept") == 0)
		*out = CFG_ACT_ACCEPT;
	else
		return FALSE;
	return TRUE;
}

/* The value of a key with an inline "; comment" or "# comment" removed and blanks trimmed:
 * the documented examples put comments after values, which GKeyFile alone would keep. */
static char *clean_value(const char *raw)
{
	char *v = g_strdup(raw);

	for (char *p = v; *p; p++)
		if ((*p == ';' || *p == '#') && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	return g_strstrip(v);
}

static gboolean bad(GError **err, const char *path, const KeyDef *k, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static gboolean bad(GError **err, const char *path, const KeyDef *k, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG, "%s: [%s] %s: %s", path, k->section,
	               k->key, msg);
	return FALSE;
}

/* [metrics] or [reports] listen: "ADDRESS:PORT", the address an IP literal ([...] for
 * IPv6), into C. No name: a listener bound at start-up must not depend on the resolver. */
static gboolean parse_listen(Cfg *c, const KeyDef *k, const char *v, GError **err)
{
	g_autofree char *host = NULL;
	const char *port = NULL, *end = v[0] == '[' ? strchr(v, ']') : strrchr(v, ':');
	guint64 n;

	if (v[0] == '[' && end != NULL && end[1] == ':') {
		host = g_strndup(v + 1, end - v - 1);
		port = end + 2;
	} else if (v[0] != '[' && end != NULL) {
		host = g_strndup(v, end - v);
		port = end + 1;
	}
	if (host == NULL)
		return bad(err, c->path, k, "must be ADDRESS:PORT (127.0.0.1:9464, [::1]:9464), "
		           "not '%s'", v);
	if (v[0] != '[' && strchr(host, ':') != NULL)
		return bad(err, c->path, k, "an IPv6 address goes in brackets ([::1]:9464), not "
		           "'%s'", v);
	g_autoptr(GInetAddress) a = g_inet_address_new_from_string(host);
	if (a == NULL)
		return bad(err, c->path, k, "'%s' is not an IP address (a name is not accepted: "
		           "the listener must not wait for DNS)", host);
	if ((v[0] == '[') != (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6))
		return bad(err, c->path, k, "brackets are for an IPv6 address alone, not '%s'", v);
	if (!g_ascii_string_to_unsigned(port, 10, 1, 65535, &n, NULL))
		return bad(err, c->path, k, "the port must be a number from 1 to 65535, not '%s'",
		           port);
	gboolean metrics = k->off == G_STRUCT_OFFSET(Cfg, metrics_listen);
	set_str(metrics ? &c->metrics_listen : &c->reports_listen, v);
	set_str(metrics ? &c->metrics_host : &c->reports_host, host);
	*(metrics ? &c->metrics_port : &c->reports_port) = (guint)n;
	return TRUE;
}

/* Stores one checked value; the keys without a plain slot (off 0) are decoded here. */
static gboolean apply(Cfg *c, const KeyDef *k, const char *v, GError **err)
{
	const char *path = c->path;
	void *slot = (char *)c + k->off;

	if (strcmp(k->key, "umask") == 0) {
		char *end;
		guint64 m = g_ascii_strtoull(v, &end, 8);
		if (!*v || *end || m > 0777)
			return bad(err, path, k, "not an octal mask: '%s'", v);
		c->milter_umask = (guint)m;
	} else if (strcmp(k->key, "on_api_error") == 0) {
		if (!parse_action(v, &c->on_api_error))
			return bad(err, path, k, "must be tempfail, reject or accept, not '%s'", v);
	} else if (strcmp(k->key, "on_config_error") == 0) {
		CfgAction a;
		if (!parse_action(v, &a) || a == CFG_ACT_ACCEPT)
			return bad(err, path, k, "must be tempfail or reject, not '%s'", v);
		c->on_config_error = a;
	} else if (strcmp(k->key, "log_numbers") == 0) {
		if (strcmp(v, "full") != 0 && strcmp(v, "masked") != 0)
			return bad(err, path, k, "must be masked or full, not '%s'", v);
		c->log_numbers_full = strcmp(v, "full") == 0;
	} else if (strcmp(k->key, "text") == 0) {
		if (strcmp(v, "subject+body") == 0)
			c->sms_text = CFG_TEXT_SUBJECT_BODY;
		else if (strcmp(v, "subject") == 0)
			c->sms_text = CFG_TEXT_SUBJECT;
		else if (strcmp(v, "body") == 0)
			c->sms_text = CFG_TEXT_BODY;
		else
			return bad(err, path, k, "must be subject+body, subject or body, not '%s'", v);
	} else if (strcmp(k->key, "networks") == 0) {
		g_auto(GStrv) nets = split_list(v, FALSE);
		g_ptr_array_set_size(c->access_networks, 0);
		for (char **n = nets; *n; n++) {
			GInetAddressMask *m = g_inet_address_mask_new_from_string(*n, NULL);
			if (m == NULL)
				return bad(err, path, k, "not an address or network: '%s'", *n);
			g_ptr_array_add(c->access_networks, m);
		}
	} else if (strcmp(k->key, "max_message_size") == 0) {
		char *end;
		guint64 n = g_ascii_strtoull(v, &end, 10);
		if (!*v || *end || n < k->min || n > k->max)
			return bad(err, path, k, "must be a size in bytes from %u to %u, not '%s'",
			           k->min, k->max, v);
		c->max_message_size = n;
	} else if (strcmp(k->key, "on_store_error") == 0) {
		if (strcmp(v, "degrade") == 0)
			c->on_store_error = CFG_STORE_DEGRADE;
		else if (strcmp(v, "tempfail") == 0)
			c->on_store_error = CFG_STORE_TEMPFAIL;
		else
			return bad(err, path, k, "must be degrade or tempfail, not '%s'", v);
	} else if (strcmp(k->key, "store") == 0) {
		if (strcmp(v, "none") != 0 && !g_str_has_prefix(v, "sqlite:/") &&
		    !g_str_has_prefix(v, "redis://") && !g_str_has_prefix(v, "unix:/"))
			return bad(err, path, k, "must be sqlite:/PATH, redis://HOST:PORT/DB, "
			           "unix:/PATH?db=N or none, not '%s'", v);
		set_str(slot, v);
	} else if (strcmp(k->key, "over_limit") == 0) {
		if (strcmp(v, "digest") == 0)
			c->limits_over_limit = CFG_OVER_DIGEST;
		else if (strcmp(v, "tempfail") == 0)
			c->limits_over_limit = CFG_OVER_TEMPFAIL;
		else if (strcmp(v, "reject") == 0)
			c->limits_over_limit = CFG_OVER_REJECT;
		else
			return bad(err, path, k, "must be digest, tempfail or reject, not '%s'", v);
	} else if (strcmp(k->key, "quiet_hours") == 0) {
		g_autoptr(GError) e = NULL;
		if (!quiet_parse(v, &c->limits_quiet_hours, &e))
			return bad(err, path, k, "%s", e->message);
	} else if (strcmp(k->key, "timezone") == 0) {
		g_autoptr(GError) e = NULL;
		GTimeZone *tz = limits_timezone(v, &e);
		if (tz == NULL)
			return bad(err, path, k, "%s", e->message);
		g_time_zone_unref(c->limits_tz);
		c->limits_tz = tz;
		set_str(&c->limits_timezone, v);
	} else if (k->off == G_STRUCT_OFFSET(Cfg, metrics_listen) ||
	           k->off == G_STRUCT_OFFSET(Cfg, reports_listen)) {
		return parse_listen(c, k, v, err);
	} else if (strcmp(k->key, "notify") == 0) {
		if (strcmp(v, "failure") == 0)
			c->reports_notify = CFG_NOTIFY_FAILURE;
		else if (strcmp(v, "always") == 0)
			c->reports_notify = CFG_NOTIFY_SUCCESS | CFG_NOTIFY_FAILURE | CFG_NOTIFY_DELAY;
		else if (strcmp(v, "never") == 0)
			c->reports_notify = 0;
		else
			return bad(err, path, k, "must be failure, always or never, not '%s'", v);
	} else if (k->type == K_RATE) {
		g_autoptr(GError) e = NULL;
		if (!limit_parse(v, slot, &e))
			return bad(err, path, k, "%s", e->message);
	} else if (k->type == K_DURATION) {
		guint n;
		if (!duration_parse(v, &n) || n < k->min || n > k->max)
			return bad(err, path, k, "must be a duration from %us to %us (120s, 10m, 7d), "
			           "not '%s'", k->min, k->max, v);
		*(guint *)slot = n;
	} else if (k->type == K_BOOL) {
		if (!parse_bool(v, slot))
			return bad(err, path, k, "must be true or false, not '%s'", v);
	} else if (k->type == K_UINT) {
		char *end;
		guint64 n = g_ascii_strtoull(v, &end, 10);
		if (!*v || *end || n < k->min || n > k->max)
			return bad(err, path, k, "must be a number from %u to %u, not '%s'", k->min,
			           k->max, v);
		*(guint *)slot = (guint)n;
	} else if (k->type == K_LIST) {
		g_strfreev(*(char ***)slot);
		/* Addresses and domains are compared without case; prefixes have none, and an
		 * alarm recipient's local part is the MTA's to judge. */
		*(char ***)slot = split_list(v, k->off != G_STRUCT_OFFSET(Cfg, addr_allowed_prefixes) &&
		                                k->off != G_STRUCT_OFFSET(Cfg, ovh_alarm_to));
	} else {
		set_str(slot, v);
	}
	return TRUE;
}

static const KeyDef *find_key(const char *section, const char *key)
{
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

/* [aliases]: NAME = numbers; the numbers are checked when used (address.c). */
static gboolean load_aliases(Cfg *c, GKeyFile *kf, GError **err)
{
	g_auto(GStrv) names = g_key_file_get_keys(kf, "aliases", NULL, NULL);

	for (char **n = names; n && *n; n++) {
		g_autofree char *raw = g_key_file_get_value(kf, "aliases", *n, NULL);
		g_autofree char *v = clean_value(raw ? raw : "");
		g_auto(GStrv) nums = split_list(v, FALSE);
		GPtrArray *list = g_ptr_array_new_with_free_func(g_free);

		for (char **p = nums; *p; p++)
			g_ptr_array_add(list, g_strdup(*p));
		if (list->len == 0) {
			g_ptr_array_unref(list);
			safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG, "%s: [aliases] %s: no number",
			               c->path, *n);
			return FALSE;
		}
		g_hash_table_replace(c->aliases, g_ascii_strdown(*n, -1), list);
	}
	return TRUE;
}

/* [limits] quiet_hours_exempt to a set of E.164 numbers: each entry is an alias of
 * [aliases] (all its numbers) or a number; read once here, so that a typo is found at load
 * and a lookup costs one hash. */
static gboolean load_exempt(Cfg *c, GError **err)
{
	const KeyDef *k = find_key("limits", "quiet_hours_exempt");
	const PhoneCountry *country = phone_country(c->addr_default_country);

	for (char **p = c->limits_quiet_hours_exempt; *p; p++) {
		GPtrArray *alias = g_hash_table_lookup(c->aliases, *p);
		g_autoptr(GError) e = NULL;

		if (alias == NULL) {
			char *n = phone_normalise(*p, country, &e);
			if (n == NULL)
				return bad(err, c->path, k, "'%s' is neither a number nor an alias", *p);
			g_hash_table_add(c->limits_exempt_numbers, n);
			continue;
		}
		for (guint i = 0; i < alias->len; i++) {
			char *n = phone_normalise(g_ptr_array_index(alias, i), country, &e);
			if (n == NULL)
				return bad(err, c->path, k, "alias %s: %s", *p, e->message);
			g_hash_table_add(c->limits_exempt_numbers, n);
		}
	}
	return TRUE;
}

gboolean cfg_reports_polled(const Cfg *c)
{
	/* notify = never still mails what a NOTIFY=SUCCESS or FAILURE asked for. */
	return c->reports_listen == NULL && strcmp(c->state_store, "none") != 0;
}

gboolean cfg_limits_on(const Cfg *c)
{
	return c->limits_per_receiver.n != 0 || c->limits_per_sender.n != 0 ||
	       c->limits_daily_credits != 0 || c->limits_duplicate_window != 0 ||
	       c->limits_quiet_hours.start != c->limits_quiet_hours.end;
}

/* The store forgets a count, a held alert or the day's credits keep after it was written:
 * a keep shorter than what a limit must remember would quietly lift the limit. */
static gboolean keep_covers_limits(const Cfg *c, GError **err)
{
	guint need = MAX(MAX(c->limits_per_receiver.seconds, c->limits_per_sender.seconds),
	                 c->limits_duplicate_window);
	const char *what = "a [limits] window";

	if (c->limits_daily_credits != 0 || c->limits_quiet_hours.start != c->limits_quiet_hours.end) {
		/* A local day, and a night's count, which may last 25 hours over a DST change. */
		if (need < 25 * 3600)
			what = c->limits_daily_credits != 0 ? "daily_credits" : "quiet_hours";
		need = MAX(need, 25 * 3600);
	}
	if (!cfg_limits_on(c) || (gint64)c->state_keep >= (gint64)need)
		return TRUE;
	safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
	               "%s: [state] keep = %us is shorter than %s needs (%us): the store would "
	               "forget what the limit counts", c->path, (guint)c->state_keep, what, need);
	return FALSE;
}

/* An alarm recipient as sendmail -t reads it from the To: header: a local name (postmaster)
 * or an address, with none of the characters that would make it a header of its own, a
 * group or a comment. */
static gboolean alarm_recipient(const char *r)
{
	static const char local_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789._+=-";
	static const char domain_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789.-";
	const char *at = strchr(r, '@');
	gsize local = at != NULL ? (gsize)(at - r) : strlen(r);
	g_autofree char *lower = g_ascii_strdown(r, -1);

	if (local == 0 || strspn(lower, local_chars) != local)
		return FALSE;
	if (at == NULL)
		return TRUE;
	const char *dom = lower + local + 1;
	return dom[0] != '\0' && dom[0] != '.' && dom[0] != '-' &&
	       strspn(dom, domain_chars) == strlen(dom) && strstr(dom, "..") == NULL;
}

/* Checks what single keys cannot: values that depend on each other. */
static gboolean check_whole(Cfg *c, GError **err)
{
	static const char *const prios[] = { "high", "medium", "low", "veryLow", NULL };
	const KeyDef *k;

	if (!g_strv_contains(prios, c->sms_priority)) {
		k = find_key("sms", "priority");
		return bad(err, c->path, k, "must be high, medium, low or veryLow, not '%s'",
		           c->sms_priority);
	}
	if (c->sms_sender && strlen(c->sms_sender) > CFG_SENDER_MAX) {
		k = find_key("sms", "sender");
		return bad(err, c->path, k, "at most %d characters", CFG_SENDER_MAX);
	}
	if (strlen(c->addr_default_country) != 2) {
		k = find_key("addresses", "default_country");
		return bad(err, c->path, k, "a two-letter country code, not '%s'",
		           c->addr_default_country);
	}
	for (char **p = c->addr_allowed_prefixes; *p; p++) {
		const char *s = *p;
		if (s[0] != '+' || !s[1] || strspn(s + 1, "0123456789") != strlen(s + 1)) {
			k = find_key("addresses", "allowed_prefixes");
			return bad(err, c->path, k, "'%s' is not of the form +NNN", s);
		}
	}
	for (char **p = c->ovh_alarm_to; *p; p++)
		if (!alarm_recipient(*p)) {
			k = find_key("ovh", "alarm_to");
			return bad(err, c->path, k, "'%s' is neither a local name nor an address", *p);
		}
	if (!alarm_recipient(c->replies_unmatched_to)) {
		k = find_key("replies", "unmatched_to");
		return bad(err, c->path, k, "'%s' is neither a local name nor an address",
		           c->replies_unmatched_to);
	}
	if (c->reports_sendmail != NULL && !g_path_is_absolute(c->reports_sendmail) &&
	    !g_regex_match_simple("^smtp://(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?/?$",
	                          c->reports_sendmail, 0, 0)) {
		k = find_key("reports", "sendmail");
		return bad(err, c->path, k, "must be an absolute path or smtp://HOST[:PORT], not '%s'",
		           c->reports_sendmail);
	}
	if (!g_path_is_absolute(c->reports_token_file)) {
		k = find_key("reports", "token_file");
		return bad(err, c->path, k, "must be an absolute path, not '%s'",
		           c->reports_token_file);
	}
	/* Replies are matched to the jobs the store keeps; a window longer than it keeps them
	 * would match nothing in its last part. */
	if (c->replies_enable && strcmp(c->state_store, "none") == 0) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [replies] enable needs a state store ([state] store), not none",
		               c->path);
		return FALSE;
	}
	if (c->replies_enable && !c->sms_sender_for_response) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [replies] enable needs [sms] sender_for_response = true: only an "
		               "SMS sent from a short code can be answered", c->path);
		return FALSE;
	}
	if (c->reports_listen != NULL && c->metrics_listen != NULL &&
	    c->reports_port == c->metrics_port &&
	    (strcmp(c->reports_host, c->metrics_host) == 0 ||
	     strcmp(c->reports_host, "0.0.0.0") == 0 || strcmp(c->metrics_host, "0.0.0.0") == 0 ||
	     strcmp(c->reports_host, "::") == 0 || strcmp(c->metrics_host, "::") == 0)) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [reports] listen and [metrics] listen are one address (%s): each "
		               "needs its own port", c->path, c->reports_listen);
		return FALSE;
	}
	if (c->replies_enable && c->state_keep < c->replies_window) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [state] keep = %us is shorter than [replies] window = %us: the "
		               "store would forget the jobs replies answer", c->path,
		               (guint)c->state_keep, c->replies_window);
		return FALSE;
	}
	if (c->reports_listen != NULL && strcmp(c->state_store, "none") == 0) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [reports] listen needs a state store ([state] store), not none",
		               c->path);
		return FALSE;
	}
	for (char **p = c->addr_subject_addresses; *p; p++)
		if (strchr(*p, '@') == NULL) {
			k = find_key("addresses", "subject_addresses");
			return bad(err, c->path, k, "'%s' is not an address", *p);
		}
	if (!load_exempt(c, err))
		return FALSE;
	/* Without a store each process would count alone: a limit that only seems to hold. */
	if (cfg_limits_on(c) && strcmp(c->state_store, "none") == 0) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [limits] needs a state store ([state] store), not none", c->path);
		return FALSE;
	}
	if (!keep_covers_limits(c, err))
		return FALSE;
	/* The day's alarm is claimed for a local day (25 hours over a DST change): forgotten
	 * sooner, it would be mailed again the same day. */
	if (c->ovh_credits_alarm != 0 && c->state_keep < 25 * 3600) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [state] keep = %us is shorter than credits_alarm needs (%us): "
		               "the store would forget the day's alarm", c->path,
		               (guint)c->state_keep, 25 * 3600);
		return FALSE;
	}
	/* Once a day across every process: the day's alarm is claimed in the store. */
	if (c->ovh_credits_alarm != 0 && strcmp(c->state_store, "none") == 0) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [ovh] credits_alarm needs a state store ([state] store), not none",
		               c->path);
		return FALSE;
	}
	if (c->ovh_max_requests.n != 0 && strcmp(c->state_store, "none") == 0) {
		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [ovh] max_requests needs a state store ([state] store), not none",
		               c->path);
		return FALSE;
	}
	return TRUE;
}

Cfg *cfg_load(const char *path, GError **err)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(Cfg) c = cfg_new_default();
	g_auto(GStrv) groups = NULL;
	gboolean secret = FALSE;

	c->path = g_strdup(path);
	if (!ini_read(kf, path, err))
		return NULL;
	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		g_auto(GStrv) names = NULL;

		if (!g_strv_contains(known_sections, *g)) {
			safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG, "%s: unknown section [%s]",
			               path, *g);
			return NULL;
		}
		if (strcmp(*g, "aliases") == 0)
			continue;
		names = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **n = names; n && *n; n++) {
			const KeyDef *k = find_key(*g, *n);
			g_autofree char *raw = NULL, *v = NULL;

			if (k == NULL) {
				safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
				               "%s: unknown key '%s' in [%s]", path, *n, *g);
				return NULL;
			}
			raw = g_key_file_get_value(kf, *g, *n, NULL);
			v = clean_value(raw ? raw : "");
			/* An empty value means "not set": the default holds; but an empty user
			 * means "do not switch", the only way to say it in the file. */
			if (*v == '\0' && k->off != G_STRUCT_OFFSET(Cfg, milter_user))
				continue;
			if (k->type == K_SECRET && k->off != G_STRUCT_OFFSET(Cfg, ovh_application_key))
				secret = TRUE;
			if (!apply(c, k, v, err))
				return NULL;
		}
	}
	if (secret && !ini_check_secret_mode(path, err))
		return NULL;
	if (!load_aliases(c, kf, err) || !check_whole(c, err))
		return NULL;
	if (!ovhconf_complete(c, err))
		return NULL;
	return g_steal_pointer(&c);
}

gboolean cfg_has_credentials(const Cfg *c, GError **err)
{
	const char *missing = !c->ovh_application_key      ? "application_key"
	                      : !c->ovh_application_secret ? "application_secret"
	                      : !c->ovh_consumer_key       ? "consumer_key"
	                                                   : NULL;

	if (missing == NULL)
		return TRUE;
	g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG,
	            "%s: [ovh] %s is not set (nor in ovh.conf or OVH_* variables; "
	            "'mail2sms token' makes a consumer key)", c->path ? c->path : "configuration",
	            missing);
	return FALSE;
}
