/* cmd_account.c: the account subcommands: services, credits, senders, token, check-config.
 *
 * Each is one OVH call (or a few) with its result on stdout, one line per item, so that
 * scripts can read it; credits also records its figure for the low-credits alarm when one
 * is set (credits.c). Errors are one line on stderr and a sysexits code. Nothing here may
 * print a secret: check-config names keys, never their values. */
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>
#include "cmd.h"
#include "credits.h"
#include "error.h"
#include "ovh.h"
#include "ovh_http.h"

/* A command that prints one OVH list, a name per line. */
static int list_command(const char *config, int argc, char **argv, const char *summary,
                        GPtrArray *(*fetch)(OvhClient *, GError **))
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(OvhClient) c = NULL;
	g_autoptr(GPtrArray) list = NULL;

	if (!cmd_options(&argc, &argv, "", summary, NULL, 0))
		return EX_USAGE;
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	if ((c = ovh_client_new(cfg, &err)) == NULL || (list = fetch(c, &err)) == NULL)
		return cmd_fail(err);
	for (guint i = 0; i < list->len; i++)
		printf("%s\n", (char *)list->pdata[i]);
	return EX_OK;
}

int cmd_services(const char *config, int argc, char **argv)
{
	return list_command(config, argc, argv, "List the SMS services of the OVH account.",
	                    ovh_services);
}

int cmd_senders(const char *config, int argc, char **argv)
{
	return list_command(config, argc, argv, "List the senders of the SMS service.", ovh_senders);
}

/* With [ovh] credits_alarm set, the figure is a check like the others (credits.c): it is
 * recorded, and below the alarm the day's alarm goes if no process sent it yet. */
int cmd_credits(const char *config, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(OvhClient) c = NULL;
	g_autoptr(Runtime) rt = NULL;
	double credits;
	gboolean alarmed = FALSE;

	if (!cmd_options(&argc, &argv, "",
	                 "Print the credits left on the SMS service. With [ovh] credits_alarm "
	                 "set, below it, the day's alarm mail goes if no process sent it yet.",
	                 NULL, 0))
		return EX_USAGE;
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	if (cfg->ovh_credits_alarm == 0) {
		if ((c = ovh_client_new(cfg, &err)) == NULL || !ovh_credits(c, &credits, &err))
			return cmd_fail(err);
		printf("%s %g\n", ovh_service(c, NULL), credits);
		return EX_OK;
	}
	if ((rt = runtime_new(cfg, &err)) == NULL || !ovh_credits(runtime_ovh(rt), &credits, &err))
		return cmd_fail(err);
	const char *svc = ovh_service(runtime_ovh(rt), NULL);
	printf("%s %g\n", svc, credits);
	credits_seen(rt, svc, credits, g_get_real_time() / G_USEC_PER_SEC, &alarmed);
	if (credits < cfg->ovh_credits_alarm) {
		g_autofree char *to = g_strjoinv(", ", cfg->ovh_alarm_to);
		if (alarmed)
			printf("below credits_alarm = %u: the day's alarm mailed to %s\n",
			       cfg->ovh_credits_alarm, to);
		else
			printf("below credits_alarm = %u: the day's alarm went already, or could not "
			       "go (see the log)\n", cfg->ovh_credits_alarm);
	}
	return EX_OK;
}

int cmd_token(const char *config, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(OvhClient) c = NULL;
	g_autofree char *key = NULL, *url = NULL;

	if (!cmd_options(&argc, &argv, "",
	                 "Request a consumer key limited to GET /sms, GET /sms/*, "
	                 "POST /sms/*/jobs, GET /sms/*/outgoing, DELETE /sms/*/incoming/* "
	                 "(replies) and PUT /sms/* (reports setup).\nOpen the validation URL, "
	                 "log in, then set [ovh] consumer_key to the key.", NULL, 0))
		return EX_USAGE;
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	if ((c = ovh_client_new(cfg, &err)) == NULL ||
	    !ovh_request_credential(c, &key, &url, &err))
		return cmd_fail(err);
	printf("validation URL: %s\nconsumer key: %s\n", url, key);
	return EX_OK;
}

/* Checks locally (keys, files), then with OVH (credential, service, credits). */
int cmd_check_config(const char *config, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(OvhClient) c = NULL;
	g_autofree char *cred = NULL;
	gboolean offline = FALSE;
	double credits;
	const char *svc;
	const GOptionEntry entries[] = {
		{ "offline", 0, 0, G_OPTION_ARG_NONE, &offline,
		  "check the files only, make no API call", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!cmd_options(&argc, &argv, "",
	                 "Check the configuration file, then the credentials and the service "
	                 "with OVH.", entries, 0))
		return EX_USAGE;
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	if (cfg->ovh_ca_file && access(cfg->ovh_ca_file, R_OK) != 0) {
		g_set_error(&err, M2S_ERROR, M2S_ERR_CONFIG, "%s: [ovh] ca_file: cannot read %s",
		            cfg->path, cfg->ovh_ca_file);
		return cmd_fail(err);
	}
	printf("%s: syntax OK\n", cfg->path);
	if (!cfg_has_credentials(cfg, &err))
		return cmd_fail(err);
	if (offline)
		return EX_OK;
	if ((c = ovh_client_new(cfg, &err)) == NULL ||
	    (cred = ovh_current_credential(c, &err)) == NULL)
		return cmd_fail(err);
	printf("endpoint %s: credential %s\n", cfg->ovh_base_url, cred);
	if ((svc = ovh_service(c, &err)) == NULL || !ovh_credits(c, &credits, &err))
		return cmd_fail(err);
	printf("service %s: %g credits left\n", svc, credits);
	/* A retry is recognised by looking its tag up: without this right the delivery agent
	 * defers every mail, and the milter cannot tell a lost reply's fate. */
	GArray *ids = ovh_outgoing_by_tag(c, "m2s-check-config", 0, &err);
	if (ids == NULL) {
		g_prefix_error(&err, "the consumer key must allow GET /sms/*/outgoing: ");
		return cmd_fail(err);
	}
	g_array_unref(ids);
	printf("service %s: jobs can be looked up by tag\n", svc);
	return EX_OK;
}
