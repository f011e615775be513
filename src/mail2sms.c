/* mail2sms.c: the command-line front end: global options, configuration, dispatch.
 *
 * It reads -c FILE (default /etc/mail2sms/mail2sms.conf), loads the configuration once and
 * hands it to one subcommand (cmd_*.c). It maps nothing itself: each subcommand returns its
 * <sysexits.h> code. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include "cfg.h"
#include "cmd.h"
#include "error.h"
#include "message.h"

static const struct {
	const char *name;
	int (*run)(Cfg *, int, char **);
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
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mail2sms [-c FILE] COMMAND [OPTIONS]\n\n"
	             "  -c FILE   configuration file (default " CFG_DEFAULT_PATH ")\n"
	             "  -V        print the version\n\ncommands:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %s\n", commands[i].help);
	fprintf(out, "\n'mail2sms COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	const char *path = CFG_DEFAULT_PATH;
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	int i = 1, rc;

	msg_init();

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (g_str_has_prefix(argv[i], "--config=")) {
			path = argv[i] + strlen("--config=");
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EX_OK;
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("mail2sms %s\n", M2S_VERSION);
			return EX_OK;
		} else {
			fprintf(stderr, "mail2sms: unknown option %s\n", argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	for (gsize k = 0; k < G_N_ELEMENTS(commands); k++) {
		if (strcmp(argv[i], commands[k].name) != 0)
			continue;
		/* --help must work without a readable configuration. */
		for (int j = i + 1; j < argc; j++)
			if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0)
				return commands[k].run(NULL, argc - i, argv + i);
		cfg = cfg_load(path, &err);
		if (cfg == NULL) {
			rc = cmd_fail(err);
			return commands[k].run == cmd_deliver ? cmd_deliver_exit(NULL, err) : rc;
		}
		return commands[k].run(cfg, argc - i, argv + i);
	}
	fprintf(stderr, "mail2sms: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return EX_USAGE;
}
