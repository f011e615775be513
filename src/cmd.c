/* cmd.c: what the subcommands share: option parsing and the one error line.
 *
 * A subcommand's failure is one line on stderr, "mail2sms: what happened", and a sysexits
 * code; nothing here decides what a failure means. */
#include <stdio.h>
#include <sysexits.h>
#include "cmd.h"
#include "error.h"

int cmd_fail(const GError *err)
{
	fprintf(stderr, "mail2sms: %s\n", err->message);
	return m2s_error_sysexit(err);
}

gboolean cmd_options(int *argc, char ***argv, const char *params, const char *summary,
                     const GOptionEntry *entries, int max_args)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(params);
	g_autoptr(GError) e = NULL;
	g_autofree char *prg = g_strconcat("mail2sms ", (*argv)[0], NULL);

	g_set_prgname(prg);
	g_option_context_set_summary(ctx, summary);
	if (entries)
		g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, &e)) {
		fprintf(stderr, "mail2sms %s: %s (see --help)\n", (*argv)[0], e->message);
		return FALSE;
	}
	if (*argc - 1 > max_args) {
		fprintf(stderr, "mail2sms %s: unexpected argument '%s' (see --help)\n", (*argv)[0],
		        (*argv)[max_args + 1]);
		return FALSE;
	}
	return TRUE;
}
