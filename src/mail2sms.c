/* mail2sms.c: the command-line front end: global options and dispatch to one subcommand.
 *
 * It reads the global options (-c FILE, -V, --help) up to the command name and hands the
 * rest of the command line, with the configuration file's path, to the subcommand
 * (cmd_*.c). It must not load the configuration itself: a subcommand parses its own
 * options first, so that --help, and any usage error, never depend on a readable file,
 * whatever the arguments are. It maps nothing: each subcommand returns its <sysexits.h>
 * code. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include "cfg.h"
#include "cmd.h"
#include "error.h"
#include "message.h"

static const struct {
	const char *name;
	int (*run)(const char *, int, char **);
	const char *help;
} commands[] = {
	{ "send", cmd_send, "send --to N[,N] [--sender S] TEXT   send one SMS" },
	{ "parse", cmd_parse, "parse [--recipient ADDR]... < mail   show the jobs a mail gives" },
	{ "deliver", cmd_deliver, "deliver --recipient ADDR... < mail  Postfix pipe(8) agent" },
	{ "services", cmd_services, "services                           list the SMS services" },
	{ "credits", cmd_credits, "credits                            credits left" },
	{ "senders", cmd_senders, "senders                            senders of the service" },
	{ "token", cmd_token, "token                              request a consumer key" },
	{ "check-config", cmd_check_config, "check-config                       check the "
	  "configuration and the credentials" },
	{ "flush", cmd_flush, "flush                              send the digests that are due" },
	{ "limits", cmd_limits, "limits                             what flood control holds" },
	{ "status", cmd_status, "status [--json]                    how the gateway does "
	  "(exit status not 0 on trouble)" },
	{ "poll", cmd_poll, "poll                               mail SMS replies and delivery "
	  "reports" },
	{ "reports", cmd_reports, "reports setup URL                  set OVH's delivery "
	  "callback" },
};

/* The commands, one a line, for --help. */
static char *commands_help(void)
{
	GString *s = g_string_new("commands:\n");

	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		g_string_append_printf(s, "  %s\n", commands[i].help);
	g_string_append(s, "\n'mail2sms COMMAND --help' describes a command.");
	return g_string_free(s, FALSE);
}

int main(int argc, char **argv)
{
	g_autofree char *path = NULL;
	g_autofree char *description = commands_help();
	gboolean version = FALSE;
	const GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &path,
		  "configuration file (default " CFG_DEFAULT_PATH ")", "FILE" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "print the version", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND [OPTIONS]");

	msg_init();
	g_set_prgname("mail2sms");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, description);
	/* Stops at the command name: what follows is the command's to parse. */
	g_option_context_set_strict_posix(ctx, TRUE);
	g_autoptr(GError) err = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &err))
		return cmd_usage("%s", err->message);
	if (version) {
		printf("mail2sms %s\n", M2S_VERSION);
		return EX_OK;
	}
	if (argc < 2)
		return cmd_usage("a command is needed");
	for (gsize k = 0; k < G_N_ELEMENTS(commands); k++)
		if (strcmp(argv[1], commands[k].name) == 0)
			return commands[k].run(path ? path : CFG_DEFAULT_PATH, argc - 1, argv + 1);
	return cmd_usage("unknown command '%s'", argv[1]);
}
