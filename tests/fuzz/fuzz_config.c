/* fuzz_config.c: libFuzzer target over the configuration loader (cfg.c, ovhconf.c).
 *
 * Any bytes as mail2sms.conf: written (mode 0600) into a private directory that is also
 * $HOME and the working directory, with no OVH_* variable set, so that no ovh.conf of the
 * machine completes it; then cfg_load. Promises checked: a loaded Cfg has every field
 * within its documented bounds; a refusal is an M2S_ERR_CONFIG whose text is one printable
 * line naming the file and never holds the value of application_secret or consumer_key. */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include "fuzz_common.h"
#include "cfg.h"
#include "phone.h"

#define FUZZ_MAX_ERROR 4096

static char *fuzz_dir;
static char *fuzz_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const vars[] = { "OVH_ENDPOINT", "OVH_APPLICATION_KEY",
	                                    "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY" };
	(void)argc;
	(void)argv;
	fuzz_dir = g_dir_make_tmp("m2s-fuzz-config-XXXXXX", NULL);
	if (fuzz_dir == NULL || chdir(fuzz_dir) != 0)
		abort();
	g_setenv("HOME", fuzz_dir, TRUE);
	for (gsize i = 0; i < G_N_ELEMENTS(vars); i++)
		g_unsetenv(vars[i]);
	fuzz_path = g_build_filename(fuzz_dir, "mail2sms.conf", NULL);
	return 0;
}

/* Writes the input as the configuration file, readable by its owner only. */
static void write_conf(const uint8_t *data, size_t size)
{
	int fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
		abort();
}

/* The value cfg_load would read for [ovh] KEY, as GKeyFile and cfg.c see it, or NULL. */
static char *secret_of(const uint8_t *data, size_t size, const char *key)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autofree char *raw = NULL;
	char *v;

	for (char *p = text; p && *p;) {
		p += strspn(p, " \t");
		if (*p == ';')
			*p = '#';
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	if (!g_key_file_load_from_data(kf, text, strlen(text), G_KEY_FILE_NONE, NULL))
		return NULL;
	raw = g_key_file_get_value(kf, "ovh", key, NULL);
	if (raw == NULL)
		return NULL;
	v = g_strdup(raw);
	for (char *p = v; *p; p++)
		if ((*p == ';' || *p == '#') && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	return g_strstrip(v);
}

/* Occurrences of NEEDLE in HAY, ignoring ASCII case (lists are lower-cased when read). */
static guint count_ci(const char *hay, const char *needle)
{
	g_autofree char *h = g_ascii_strdown(hay, -1), *n = g_ascii_strdown(needle, -1);
	guint count = 0;

	for (const char *p = h; (p = strstr(p, n)) != NULL; p++)
		count++;
	return count;
}

/* A secret worth looking for in an error: like OVH's, letters and digits, at least 8 of
 * them with two of each kind (no fixed word of an error text is like that), written once in
 * the file and not part of its path; shorter or repeated values could be quoted for another
 * reason. */
static gboolean secret_checkable(const char *secret, const char *input)
{
	guint digits = 0, letters = 0;

	if (secret == NULL || strlen(secret) < 8)
		return FALSE;
	for (const char *p = secret; *p; p++) {
		if (g_ascii_isdigit(*p))
			digits++;
		else if (g_ascii_isalpha(*p))
			letters++;
		else
			return FALSE;
	}
	return digits >= 2 && letters >= 2 && count_ci(input, secret) == 1 &&
	       count_ci(fuzz_path, secret) == 0;
}

static void check_refusal(const GError *err, const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "application_secret", "consumer_key" };
	/* NUL bytes kept visible to the count: GKeyFile may read on past them. */
	g_autofree char *input = g_malloc(size + 1);

	for (size_t i = 0; i < size; i++)
		input[i] = data[i] ? (char)data[i] : '\x01';
	input[size] = '\0';
	fuzz_check_error(err, FUZZ_MAX_ERROR);
	if (err->code != M2S_ERR_CONFIG)
		fuzz_fail("a configuration refused with another kind than M2S_ERR_CONFIG",
		          err->message);
	if (!g_str_has_prefix(err->message, fuzz_path))
		fuzz_fail("a configuration error that does not name the file", err->message);
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_autofree char *secret = secret_of(data, size, keys[i]);
		if (secret_checkable(secret, input) && count_ci(err->message, secret) > 0)
			fuzz_fail("a secret in a configuration error", err->message);
	}
}

/* LIST holds no empty string; when LOWER, no upper-case ASCII letter either. */
static void check_list(char **list, gboolean lower, const char *what)
{
	if (list == NULL)
		fuzz_fail("a NULL list", what);
	for (char **p = list; *p; p++) {
		if (**p == '\0')
			fuzz_fail("an empty item in a list", what);
		for (const char *q = *p; lower && *q; q++)
			if (g_ascii_isupper(*q))
				fuzz_fail("an upper-case item in a lower-case list", *p);
	}
}

/* A rate off (n == 0) or within 1..LIMIT_MAX_N per 1s..31d. */
static void check_rate(const LimitRate *r, const char *what)
{
	if (r->n != 0 && (r->n > LIMIT_MAX_N || r->seconds < 1 || r->seconds > LIMIT_MAX_SECONDS))
		fuzz_fail("a rate out of 1..1000000 per 1s..31d", what);
}

/* [limits] and the OVH budget within what cfg.h and the manual promise. */
static void check_limits(const Cfg *c)
{
	GHashTableIter it;
	gpointer number;

	check_rate(&c->limits_per_receiver, "per_receiver");
	check_rate(&c->limits_per_sender, "per_sender");
	check_rate(&c->ovh_max_requests, "max_requests");
	if (c->ovh_max_wait > 20)
		fuzz_fail("max_wait beyond 20s", NULL);
	if (c->limits_daily_credits > 10000000)
		fuzz_fail("daily_credits beyond 10000000", NULL);
	if (c->limits_duplicate_window > 7 * 24 * 3600)
		fuzz_fail("duplicate_window beyond 7d", NULL);
	if (c->limits_over_limit != CFG_OVER_DIGEST && c->limits_over_limit != CFG_OVER_TEMPFAIL &&
	    c->limits_over_limit != CFG_OVER_REJECT)
		fuzz_fail("over_limit", NULL);
	if (c->limits_quiet_hours.start >= 24 * 60 || c->limits_quiet_hours.end >= 24 * 60)
		fuzz_fail("quiet hours beyond 23:59", NULL);
	if (c->limits_tz == NULL)
		fuzz_fail("no time zone", c->limits_timezone);
	check_list(c->limits_quiet_hours_exempt, FALSE, "quiet_hours_exempt");
	g_hash_table_iter_init(&it, c->limits_exempt_numbers);
	while (g_hash_table_iter_next(&it, &number, NULL))
		if (!phone_is_e164(number))
			fuzz_fail("an exempt number not in E.164", number);
	if (cfg_limits_on(c) && strcmp(c->state_store, "none") == 0)
		fuzz_fail("limits that count without a state store", NULL);
}

/* Every field of a loaded configuration within what cfg.h and the manual promise. */
static void check_cfg(const Cfg *c)
{
	static const char *const prios[] = { "high", "medium", "low", "veryLow", NULL };
	GHashTableIter it;
	gpointer name, list;

	if (c->refcount != 1 || c->path == NULL || strcmp(c->path, fuzz_path) != 0)
		fuzz_fail("refcount or path", c->path);
	if (c->milter_umask > 0777)
		fuzz_fail("umask beyond 0777", NULL);
	if (c->on_config_error == CFG_ACT_ACCEPT)
		fuzz_fail("on_config_error = accept", NULL);
	if (c->ovh_timeout < 1 || c->ovh_timeout > 300)
		fuzz_fail("ovh timeout out of 1..300", NULL);
	if (c->sms_validity < 1 || c->sms_validity > 4320)
		fuzz_fail("sms validity out of 1..4320", NULL);
	if (c->sms_max_segments < 1 || c->sms_max_segments > 6)
		fuzz_fail("sms max_segments out of 1..6", NULL);
	if (c->max_message_size < 1024 || c->max_message_size > 1024 * 1024 * 1024)
		fuzz_fail("max_message_size out of 1 KiB..1 GiB", NULL);
	if (c->addr_max_recipients < 1 || c->addr_max_recipients > 1000)
		fuzz_fail("max_recipients out of 1..1000", NULL);
	if (c->sms_priority == NULL || !g_strv_contains(prios, c->sms_priority))
		fuzz_fail("priority not one of high medium low veryLow", c->sms_priority);
	if (c->sms_sender && strlen(c->sms_sender) > 11)
		fuzz_fail("sender longer than 11", c->sms_sender);
	if (c->addr_default_country == NULL || strlen(c->addr_default_country) != 2)
		fuzz_fail("default_country not two characters", c->addr_default_country);
	if (c->sms_text != CFG_TEXT_SUBJECT_BODY && c->sms_text != CFG_TEXT_SUBJECT &&
	    c->sms_text != CFG_TEXT_BODY)
		fuzz_fail("sms text mode", NULL);
	check_list(c->addr_domains, TRUE, "domains");
	check_list(c->addr_allowed_prefixes, FALSE, "allowed_prefixes");
	check_list(c->addr_subject_addresses, TRUE, "subject_addresses");
	check_list(c->access_senders, TRUE, "senders");
	for (char **p = c->addr_allowed_prefixes; *p; p++)
		if ((*p)[0] != '+' || !(*p)[1] || strspn(*p + 1, "0123456789") != strlen(*p + 1))
			fuzz_fail("an allowed prefix not of the form +NNN", *p);
	for (char **p = c->addr_subject_addresses; *p; p++)
		if (strchr(*p, '@') == NULL)
			fuzz_fail("a subject address without @", *p);
	if (c->ovh_endpoint == NULL || c->ovh_base_url == NULL ||
	    !g_str_has_prefix(c->ovh_base_url, "https://") ||
	    strlen(c->ovh_base_url) <= strlen("https://") ||
	    g_str_has_suffix(c->ovh_base_url, "/") || strpbrk(c->ovh_base_url, " \t\r\n?#") ||
	    c->ovh_base_url[8] == '/' || c->ovh_base_url[8] == ':')
		fuzz_fail("endpoint without a usable base URL", c->ovh_base_url);
	for (const char *p = c->ovh_base_url; *p; p++)
		if (g_ascii_iscntrl(*p))
			fuzz_fail("a control character in the base URL", c->ovh_base_url);
	for (guint i = 0; i < c->access_networks->len; i++)
		if (!G_IS_INET_ADDRESS_MASK(c->access_networks->pdata[i]))
			fuzz_fail("an access network that is not one", NULL);
	g_hash_table_iter_init(&it, c->aliases);
	while (g_hash_table_iter_next(&it, &name, &list)) {
		for (const char *q = name; *q; q++)
			if (g_ascii_isupper(*q))
				fuzz_fail("an alias name not lower-cased", name);
		if (((GPtrArray *)list)->len == 0)
			fuzz_fail("an alias without a number", name);
	}
	check_limits(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *err = NULL;
	Cfg *c;

	write_conf(data, size);
	c = cfg_load(fuzz_path, &err);
	if ((c != NULL) == (err != NULL))
		fuzz_fail("a configuration and an error, or neither", err ? err->message : NULL);
	if (c)
		check_cfg(c);
	else
		check_refusal(err, data, size);
	cfg_unref(c);
	g_clear_error(&err);
	return 0;
}
