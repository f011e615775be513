/* cmd_parse.c: `mail2sms parse [--recipient ADDR]... < mail`.
 *
 * Shows what a mail would become: the plan of message.c as JSON on stdout (DESIGN.md).
 * With [limits], each job says what flood control would do to it now ("limits"), read from
 * the state store without changing it (per_sender counts --sender, else the null sender).
 * Promises: no API call, nothing sent, nothing written but stdout and one error line.
 * Exit status: EX_OK whenever the mail could be read, even when some or all recipients are
 * refused (the refusals are in the JSON: that is what an administrator runs it to see);
 * EX_DATAERR when the input is not a mail, EX_IOERR when stdin cannot be read. */
#include <stdio.h>
#include <unistd.h>
#include <sysexits.h>
#include <gmime/gmime.h>
#include <json-c/json.h>
#include "cmd.h"
#include "error.h"
#include "flood.h"
#include "message.h"
#include "store.h"
#include "tags.h"

/* A list of strings as JSON. */
static json_object *strings(GPtrArray *list)
{
	json_object *a = json_object_new_array();

	for (guint i = 0; list && i < list->len; i++)
		json_object_array_add(a, json_object_new_string(list->pdata[i]));
	return a;
}

/* "limits" for each job of PLAN in the plan's JSON: what flood_preview says, or why the
 * store could not say. The store is opened read-mostly: nothing is counted or held. */
static char *with_limits(const Cfg *cfg, const MsgPlan *plan, const char *json)
{
	StoreOptions opt = { .password_file = cfg->state_password_file, .keep = cfg->state_keep,
		             .retry_window = TAGS_RETRY_WINDOW };
	g_autoptr(GError) e = NULL;
	Store *st = NULL;
	json_object *root = json_tokener_parse(json);
	json_object *jobs = NULL;

	if (root == NULL || !json_object_object_get_ex(root, "jobs", &jobs)) {
		json_object_put(root);
		return g_strdup(json);
	}
	gboolean open = store_open(cfg->state_store, &opt, &st, &e);
	FloodMail fmail = { .sender = plan->login, .summary = plan->subject, .urgent = plan->urgent };
	for (guint i = 0; i < plan->jobs->len; i++) {
		const MsgJob *job = plan->jobs->pdata[i];
		json_object *l = json_object_new_object();
		g_auto(FloodJob) fj = { 0 };
		g_autoptr(GError) je = NULL;
		if (!open) {
			json_object_object_add(l, "error", json_object_new_string(e->message));
		} else if (!flood_preview(cfg, st, job, &fmail, g_get_real_time() / G_USEC_PER_SEC,
		                          &fj, &je)) {
			json_object_object_add(l, "error", json_object_new_string(je->message));
		} else {
			json_object_object_add(l, "now", strings(fj.now));
			json_object_object_add(l, "held", strings(fj.held));
			json_object_object_add(l, "duplicate", strings(fj.duplicate));
			if (fj.reason)
				json_object_object_add(l, "reason", json_object_new_string(fj.reason));
			json_object_object_add(l, "differed", json_object_new_int((int)fj.differed));
		}
		json_object_object_add(json_object_array_get_idx(jobs, i), "limits", l);
	}
	store_close(st);
	char *out = g_strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
	                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}

int cmd_parse(const char *config, int argc, char **argv)
{
	g_autoptr(Cfg) cfg = NULL;
	g_auto(GStrv) recipients = NULL;
	g_autofree char *sender = NULL;
	const GOptionEntry entries[] = {
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &recipients,
		  "an envelope recipient (repeat it; default: the To and Cc headers)", "ADDR" },
		{ "sender", 'f', 0, G_OPTION_ARG_STRING, &sender,
		  "the envelope sender, or SMTP AUTH login, that per_sender would count", "ADDR" },
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
	plan->login = g_strdup(sender);
	g_autofree char *json = msg_plan_to_json(plan);
	if (cfg_limits_on(cfg)) {
		char *limited = with_limits(cfg, plan, json);
		g_free(json);
		json = limited;
	}
	msg_plan_free(plan);
	g_object_unref(msg);
	if (printf("%s\n", json) < 0 || fflush(stdout) != 0) {
		g_set_error(&err, M2S_ERROR, M2S_ERR_IO, "cannot write the result");
		return cmd_fail(err);
	}
	return EX_OK;
}
