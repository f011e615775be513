/* cmd_parse.c: `mail2sms parse [--recipient ADDR]... < mail`.
 *
 * Shows what a mail would become: the plan of message.c as JSON on stdout (DESIGN.md).
 * Promises: no API call, nothing sent, nothing written but stdout and one error line.
 * Exit status: EX_OK whenever the mail could be read, even when some or all recipients are
 * refused (the refusals are in the JSON: that is what an administrator runs it to see);
 * EX_DATAERR when the input is not a mail, EX_IOERR when stdin cannot be read. */
#include <stdio.h>
#include <unistd.h>
#include <sysexits.h>
#include <gmime/gmime.h>
#include "cmd.h"
#include "error.h"
#include "message.h"

int cmd_parse(const char *config, int argc, char **argv)
{
	g_autoptr(Cfg) cfg = NULL;
	g_auto(GStrv) recipients = NULL;
	const GOptionEntry entries[] = {
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &recipients,
		  "an envelope recipient (repeat it; default: the To and Cc headers)", "ADDR" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	if (!cmd_options(&argc, &argv, "< MAIL",
	                 "Prints, as JSON, the SMS jobs the mail on standard input would give and "
	                 "the recipients that would be refused. Nothing is sent.",
	                 entries, 0))
		return EX_USAGE;

	g_autoptr(GError) err = NULL;
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	GMimeMessage *msg = msg_parse_fd(cfg, STDIN_FILENO, &err);
	if (msg == NULL)
		return cmd_fail(err);

	MsgPlan *plan = msg_plan(cfg, msg, (const char *const *)recipients);
	msg_plan_identify(plan, msg, NULL, NULL);  /* the tags the milter would use */
	g_autofree char *json = msg_plan_to_json(plan);
	msg_plan_free(plan);
	g_object_unref(msg);
	if (printf("%s\n", json) < 0 || fflush(stdout) != 0) {
		g_set_error(&err, M2S_ERROR, M2S_ERR_IO, "cannot write the result");
		return cmd_fail(err);
	}
	return EX_OK;
}
