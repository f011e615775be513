/* cmd_twoway.c: `mail2sms poll` (one look at OVH for SMS replies and for the delivery
 * reports due; with --due only when it is this process's turn in the period, the systemd
 * timer's way, so that the timer next to a milter costs no request more) and `mail2sms reports
 * setup URL` (a new callback token, and OVH's callBack set to URL/callback/TOKEN).
 *
 * poll goes through the same code as the milter's poll thread (replies.c, reports.c), so
 * running both is harmless: each reply and each report is claimed in the store. setup
 * prints the URL without its token: the token is a secret, kept in [reports] token_file
 * alone. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include "cmd.h"
#include "error.h"
#include "metrics_store.h"
#include "ovh_twoway.h"
#include "replies.h"
#include "reports.h"
#include "reports_token.h"
#include "runtime.h"
#include "store.h"

int cmd_poll(const char *config, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(Runtime) rt = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	gboolean due = FALSE;
	int replies = 0, reports = 0;
	const GOptionEntry entries[] = {
		{ "due", 0, 0, G_OPTION_ARG_NONE, &due, "only what is due: each poll once per its "
		  "[replies] or [reports] poll period across the processes sharing the store (the "
		  "milters' threads included), nothing without OVH credentials (the timer's way)",
		  NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!cmd_options(&argc, &argv, "",
	                 "Mail the SMS replies ([replies] enable) and the delivery reports due "
	                 "([reports], when no listen is set). Harmless next to a running "
	                 "milter, which polls too.", entries, 0))
		return EX_USAGE;
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	gboolean do_replies = cfg->replies_enable, do_reports = cfg_reports_polled(cfg);
	if (!do_replies && !do_reports) {
		printf("nothing to poll: [replies] enable is false, and [reports] %s\n",
		       cfg->reports_listen != NULL ? "takes callbacks" : "needs a state store");
		return EX_OK;
	}
	if (due && !cfg_has_credentials(cfg, NULL)) {
		printf("nothing polled: no OVH credentials ([ovh])\n");
		return EX_OK;
	}
	if ((rt = runtime_new(cfg, &err)) == NULL || runtime_store(rt, &err) == NULL)
		return cmd_fail(err);
	if (due) {
		Store *st = runtime_store(rt, NULL);
		do_replies = do_replies && store_take_turn(st, "replies", now, cfg->replies_poll);
		do_reports = do_reports && store_take_turn(st, "reports", now, cfg->reports_poll);
	}
	gboolean ok = (!do_replies || (replies = replies_poll(rt, now, &err)) >= 0) &&
	              (!do_reports || (reports = reports_poll(rt, now, &err)) >= 0);
	/* What it mailed counts in the milter's figures, whether or not it went to the end. */
	metrics_store_save_process(cfg, rt);
	if (!ok)
		return cmd_fail(err);
	printf("%d repl%s mailed, %d report%s mailed%s\n", replies, replies == 1 ? "y" : "ies",
	       reports, reports == 1 ? "" : "s",
	       due && !do_replies && !do_reports ? " (nothing due)" : "");
	return EX_OK;
}

int cmd_reports(const char *config, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(Runtime) rt = NULL;

	if (!cmd_options(&argc, &argv, "setup URL",
	                 "Write a new callback token to [reports] token_file and set OVH's "
	                 "callBack to URL/callback/TOKEN, URL being where the site's HTTPS proxy "
	                 "forwards to [reports] listen.", NULL, 2))
		return EX_USAGE;
	if (argc != 3 || strcmp(argv[1], "setup") != 0)
		return cmd_usage("reports setup URL");
	const char *base = argv[2];
	if (!g_str_has_prefix(base, "https://") && !g_str_has_prefix(base, "http://"))
		return cmd_usage("the URL must start with https:// (or http://), not '%s'", base);
	if ((cfg = cfg_load(config, &err)) == NULL || (rt = runtime_new(cfg, &err)) == NULL)
		return cmd_fail(err);
	g_autofree char *token = reports_token_new(cfg, &err);
	if (token == NULL)
		return cmd_fail(err);
	gsize len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	g_autofree char *prefix = g_strndup(base, len);
	g_autofree char *url = g_strconcat(prefix, "/callback/", token, NULL);
	memset(token, 0, strlen(token));
	gboolean ok = ovh_set_callback(runtime_ovh(rt), url, &err);
	memset(url, 0, strlen(url));
	/* OVH calls the old URL until the PUT succeeds: the old token stays until then. */
	if (!reports_token_commit(cfg, ok, ok ? &err : NULL) || !ok)
		return cmd_fail(err);
	printf("callBack set to %s/callback/<the token in %s>\n", prefix, cfg->reports_token_file);
	if (cfg->reports_listen == NULL)
		printf("note: [reports] listen is not set: the milter takes no callback until it is "
		       "(and restarted)\n");
	return EX_OK;
}
