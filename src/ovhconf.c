/* ovhconf.c: completes [ovh] from the files and variables the official OVH clients read, and
 * knows the OVH endpoint names (ovh-eu ...) and their base URLs.
 *
 * Precedence, highest first: mail2sms.conf, OVH_* variables, ./ovh.conf, ~/.ovh.conf,
 * /etc/ovh.conf (python-ovh reads the files in reverse order, later ones overriding);
 * ./ovh.conf is the one of the directory the process was in at its first load. The
 * endpoint is chosen first, then the keys are read from the section named after it. A file
 * that gives a secret and is readable by "other" is refused. Never prints a value. */
#include <string.h>
#include "ovhconf.h"
#include "error.h"
#include "safeline.h"
#include "inifile.h"

static const char *const cred_keys[] = { "application_key", "application_secret",
                                         "consumer_key" };
static const char *const cred_vars[] = { "OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET",
                                         "OVH_CONSUMER_KEY" };

static char **cred_slot(Cfg *c, int i)
{
	return i == 0 ? &c->ovh_application_key
	       : i == 1 ? &c->ovh_application_secret
	                : &c->ovh_consumer_key;
}

/* The endpoint names the official clients know, and their base URLs. */
static const struct { const char *name, *url; } endpoints[] = {
	{ "ovh-eu", "https://eu.api.ovh.com/1.0" },
	{ "ovh-ca", "https://ca.api.ovh.com/1.0" },
	{ "ovh-us", "https://api.us.ovhcloud.com/1.0" },
	{ "kimsufi-eu", "https://eu.api.kimsufi.com/1.0" },
	{ "kimsufi-ca", "https://ca.api.kimsufi.com/1.0" },
	{ "soyoustart-eu", "https://eu.api.soyoustart.com/1.0" },
	{ "soyoustart-ca", "https://ca.api.soyoustart.com/1.0" },
};

/* A name of the table (any case), else an https:// URL without blanks, query or fragment,
 * its trailing '/' removed. */
char *ovh_endpoint_url(const char *endpoint)
{
	for (gsize i = 0; i < G_N_ELEMENTS(endpoints); i++)
		if (g_ascii_strcasecmp(endpoint, endpoints[i].name) == 0)
			return g_strdup(endpoints[i].url);
	if (g_str_has_prefix(endpoint, "https://") && !strpbrk(endpoint, " \t\r\n?#")) {
		const char *host = endpoint + strlen("https://");
		gsize n = strlen(endpoint);

		while (n > 0 && endpoint[n - 1] == '/')
			n--;
		/* A host must be left once the trailing slashes are cut ("https:////" has none),
		 * and no control character curl would refuse in a URL. */
		if (n <= strlen("https://") || *host == '/' || *host == ':')
			return NULL;
		for (const char *p = endpoint; *p; p++)
			if (g_ascii_iscntrl(*p))
				return NULL;
		return g_strndup(endpoint, n);
	}
	return NULL;
}

/* What an endpoint may be, for the error that refuses one: every name of the table, then the
 * URL form, so that the text cannot fall behind the table. */
static char *endpoint_choices(void)
{
	GString *s = g_string_new(NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(endpoints); i++)
		g_string_append_printf(s, "%s, ", endpoints[i].name);
	g_string_append(s, "or https://host[:port]/1.0");
	return g_string_free(s, FALSE);
}

typedef struct {
	char *path;
	GKeyFile *kf;
} OvhConfFile;

static void ovhconf_file_free(OvhConfFile *f)
{
	g_free(f->path);
	g_key_file_free(f->kf);
	g_free(f);
}

/* ./ovh.conf as an absolute path, resolved against the working directory of the first
 * load (start-up) and kept: the milter moves to / when it goes to the background, and its
 * reloads must read the file it started with. Written once, never changed after. */
static const char *local_ovh_conf(void)
{
	static char *path;

	if (g_once_init_enter(&path))
		g_once_init_leave(&path, g_canonicalize_filename("ovh.conf", NULL));
	return path;
}

/* The ovh.conf files that exist, lowest precedence first; FALSE if one cannot be read. */
static gboolean ovhconf_files(GPtrArray *files, GError **err)
{
	/* $HOME as python-ovh reads it; g_get_home_dir() would cache the first value. */
	const char *env_home = g_getenv("HOME");
	g_autofree char *home = g_build_filename(env_home && *env_home ? env_home
	                                                               : g_get_home_dir(),
	                                         ".ovh.conf", NULL);
	const char *paths[] = { "/etc/ovh.conf", home, local_ovh_conf() };

	for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
		OvhConfFile *f;

		if (!g_file_test(paths[i], G_FILE_TEST_EXISTS))
			continue;
		f = g_new0(OvhConfFile, 1);
		f->kf = g_key_file_new();
		f->path = g_strdup(paths[i]);
		g_ptr_array_add(files, f);
		if (!ini_read(f->kf, paths[i], err))
			return FALSE;
	}
	return TRUE;
}

/* The value of SECTION.KEY in the highest-precedence file that has it, and that file. */
static char *files_lookup(GPtrArray *files, const char *section, const char *key,
                          const char **from)
{
	for (guint i = files->len; i-- > 0;) {
		OvhConfFile *f = files->pdata[i];
		g_autofree char *v = g_key_file_get_value(f->kf, section, key, NULL);

		if (v && *g_strstrip(v)) {
			*from = f->path;
			return g_steal_pointer(&v);
		}
	}
	return NULL;
}

gboolean ovhconf_complete(Cfg *c, GError **err)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify)ovhconf_file_free);

	if (!ovhconf_files(files, err))
		return FALSE;

	if (c->ovh_endpoint == NULL) {
		const char *env = g_getenv("OVH_ENDPOINT");
		const char *from = NULL;

		c->ovh_endpoint = env && *env ? g_strdup(env)
		                              : files_lookup(files, "default", "endpoint", &from);
		if (c->ovh_endpoint == NULL)
			c->ovh_endpoint = g_strdup("ovh-eu");
	}
	c->ovh_base_url = ovh_endpoint_url(c->ovh_endpoint);
	if (c->ovh_base_url == NULL) {
		g_autofree char *choices = endpoint_choices();

		safeline_error(err, M2S_ERR_CONFIG, SAFELINE_CONFIG,
		               "%s: [ovh] endpoint: unknown '%s' (%s)",
		               c->path ? c->path : "configuration", c->ovh_endpoint, choices);
		return FALSE;
	}
	for (int i = 0; i < 3; i++) {
		char **slot = cred_slot(c, i);
		const char *env = g_getenv(cred_vars[i]);
		const char *from = NULL;

		if (*slot)
			continue;
		if (env && *env) {
			*slot = g_strdup(env);
			continue;
		}
		*slot = files_lookup(files, c->ovh_endpoint, cred_keys[i], &from);
		if (*slot && i > 0 && from && !ini_check_secret_mode(from, err))
			return FALSE;
	}
	return TRUE;
}
