/* cmd.c: what the subcommands share: option parsing and the one error line.
 *
 * A subcommand's failure is one line on stderr, "mail2sms COMMAND: what happened", and a
 * sysexits code; usage errors are M2S_ERR_USAGE errors like any other and point at --help.
 * Nothing here decides what a failure means, and nothing here needs the configuration:
 * options are parsed before it is loaded. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include "cmd.h"
#include "error.h"

int cmd_fail(const GError *err)
{
	gboolean usage = err->domain == M2S_ERROR && err->code == M2S_ERR_USAGE;

	fprintf(stderr, "%s: %s%s\n", g_get_prgname(), err->message, usage ? " (see --help)" : "");
	return m2s_error_sysexit(err);
}

int cmd_usage(const char *fmt, ...)
{
	va_list ap;
	g_autoptr(GError) err = NULL;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	err = g_error_new_literal(M2S_ERROR, M2S_ERR_USAGE, msg);
	return cmd_fail(err);
}

/* Points (*argv)[1..] at the operands again, in the strings of the original vector ORIG
 * (of N elements): GOption hands them over as copies, with "--" taken out. Each operand is
 * matched to the first equal string after the previous one, which always exists. */
static void put_operands(int *argc, char ***argv, char **orig, int n, char **operands)
{
	int j = 1, k = 0;

	for (; operands && operands[k]; k++) {
		while (j < n && strcmp(orig[j], operands[k]) != 0)
			j++;
		(*argv)[k + 1] = j < n ? orig[j++] : "";
	}
	(*argv)[k + 1] = NULL;
	*argc = k + 1;
}

gboolean cmd_options(int *argc, char ***argv, const char *params, const char *summary,
                     const GOptionEntry *entries, int max_args)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(params);
	g_autoptr(GError) e = NULL;
	g_autofree char *prg = g_strconcat("mail2sms ", (*argv)[0], NULL);
	g_autofree char **orig = g_memdup2(*argv, sizeof **argv * (gsize)*argc);
	int n = *argc;
	g_auto(GStrv) operands = NULL;
	/* The operands, collected by GOption: left in argv, "--" would stay among them when
	 * what follows it looks like an option. */
	const GOptionEntry rest[] = {
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &operands, NULL, NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	/* Names the error lines and --help after the command. */
	g_set_prgname(prg);
	g_option_context_set_summary(ctx, summary);
	if (entries)
		g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, rest, NULL);
	if (!g_option_context_parse(ctx, argc, argv, &e)) {
		cmd_usage("%s", e->message);
		return FALSE;
	}
	put_operands(argc, argv, orig, n, operands);
	if (*argc - 1 > max_args) {
		cmd_usage("unexpected argument '%s'", (*argv)[max_args + 1]);
		return FALSE;
	}
	return TRUE;
}
