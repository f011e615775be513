/* ovhconf.c: completes [ovh] from the files and variables the official OVH clients read.
 *
 * Precedence, highest first: mail2sms.conf, OVH_* variables, ./ovh.conf, ~/.ovh.conf,
 * /etc/ovh.conf (python-ovh reads the files in reverse order, later ones overriding). The
 * endpoint is chosen first, then the keys are read from the section named after it. A file
 * that gives a secret and is readable by "other" is refused. Never prints a value. */
#include <string.h>
#include "ovhconf.h"
#include "error.h"
#include "ovh.h"

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

/* The ovh.conf files that exist, lowest precedence first; FALSE if one cannot be read. */
static gboolean ovhconf_files(GPtrArray *files, GError **err)
{
	/* $HOME as python-ovh reads it; g_get_home_dir() would cache the first value. */
	const char *env_home = g_getenv("HOME");
	g_autofree char *home = g_build_filename(env_home && *env_home ? env_home
	                                                               : g_get_home_dir(),
	                                         ".ovh.conf", NULL);
	const char *paths[] = { "/etc/ovh.conf", home, "ovh.conf" };

	for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
		OvhConfFile *f;

		if (!g_file_test(paths[i], G_FILE_TEST_EXISTS))
			continue;
		f = g_new0(OvhConfFile, 1);
		f->kf = g_key_file_new();
		f->path = g_strdup(paths[i]);
		g_ptr_array_add(files, f);
		if (!cfg_read_ini(f->kf, paths[i], err))
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
		cfg_error(err,
		          "%s: [ovh] endpoint: unknown '%s' (ovh-eu, ovh-ca, ovh-us, kimsufi-eu, "
		          "kimsufi-ca, soyoustart-eu, soyoustart-ca, or https://host[:port]/1.0)",
		          c->path ? c->path : "configuration", c->ovh_endpoint);
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
		if (*slot && i > 0 && from && !cfg_check_secret_mode(from, err))
			return FALSE;
	}
	return TRUE;
}
