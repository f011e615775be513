/* cmd_deliver.c: `mail2sms deliver`, the Postfix pipe(8) delivery agent.
 *
 * Reads one mail on stdin (at most max_message_size bytes), builds its jobs with the same
 * engine as the milter, posts them and exits with the sysexits code that makes Postfix do
 * the right thing: 0 sent, EX_TEMPFAIL defer and retry, EX_NOUSER/EX_NOPERM/EX_DATAERR
 * bounce. Its last stderr line is the reason, which Postfix puts in the DSN. It never sends
 * a job twice: before posting, OVH is asked whether the job's tag was already sent (an
 * earlier attempt of Postfix's retry may have gone through). Its counts go to the state store
 * at exit, where the milter's figures find them ([metrics] listen). */
#include <stdio.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>
#include "access.h"
#include "cmd.h"
#include "dispatch.h"
#include "error.h"
#include "message.h"
#include "metrics.h"
#include "metrics_store.h"

/* The read size while draining: any size works, this one keeps the reads few. */
#define DRAIN_CHUNK 65536

/* Reads what is left of the mail beyond max_message_size, unused: Postfix's pipe(8) counts
 * a reader that stops early as a failed delivery (broken pipe). */
static void drain_stdin(void)
{
	char buf[DRAIN_CHUNK];

	while (read(STDIN_FILENO, buf, sizeof buf) > 0)
		;
}

/* Postfix bounces on EX_CONFIG: a broken set-up (an expired consumer key, say) would
 * bounce every SMS until fixed. Unless on_config_error = reject, it defers instead, as the
 * milter's 451 4.3.5 does; Postfix's queue keeps the mail meanwhile. */
int cmd_deliver_exit(const Cfg *cfg, const GError *err)
{
	int rc = m2s_error_sysexit(err);

	if (rc == EX_CONFIG && (cfg == NULL || cfg->on_config_error != CFG_ACT_REJECT))
		return EX_TEMPFAIL;
	return rc;
}

/* The mail's outcome counted, and this process's counts saved for the milter's figures
 * ([metrics] listen); then RC, the exit code. */
static int done(const Cfg *cfg, Runtime *rt, MetricsMail result, int rc)
{
	metrics_mail(result);
	metrics_store_save_process(cfg, rt);
	return rc;
}

/* The reason on stderr (Postfix puts it in the DSN) and the exit code for it, counted. */
static int fail(const Cfg *cfg, Runtime *rt, const GError *err)
{
	int rc = cmd_deliver_exit(cfg, err);

	cmd_fail(err);
	metrics_failure(err);
	return done(cfg, rt, rc == EX_TEMPFAIL ? METRICS_MAIL_TEMPFAIL : METRICS_MAIL_REFUSED, rc);
}

int cmd_deliver(const char *config, int argc, char **argv)
{
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GError) denied = NULL;
	g_auto(GStrv) rcpts = NULL;
	g_autofree char *sender = NULL, *queue_id = NULL;
	g_autoptr(Runtime) rt = NULL;
	g_autoptr(MsgPlan) plan = NULL;
	GMimeMessage *mime;
	DispatchReport report = { 0 };
	gboolean ok;
	const GOptionEntry entries[] = {
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &rcpts,
		  "an envelope recipient (repeat for several)", "ADDR" },
		{ "sender", 'f', 0, G_OPTION_ARG_STRING, &sender, "the envelope sender", "SENDER" },
		{ "queue-id", 'q', 0, G_OPTION_ARG_STRING, &queue_id,
		  "the MTA queue id, for the log", "ID" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!cmd_options(&argc, &argv, "< mail",
	                 "Deliver one mail as SMS (Postfix pipe(8) transport); the exit code "
	                 "is from sysexits.h.", entries, 0))
		return EX_USAGE;
	if (rcpts == NULL)
		return cmd_usage("--recipient is needed");
	if ((cfg = cfg_load(config, &err)) == NULL)
		return fail(NULL, NULL, err);
	openlog("mail2sms", LOG_PID, LOG_MAIL);
	/* No SMTP client here: Postfix judged it before queueing the mail. */
	access_may_send(cfg, NULL, NULL, sender, &denied);
	mime = msg_parse_fd(cfg, STDIN_FILENO, &err);
	drain_stdin();
	if (mime == NULL)
		return fail(cfg, NULL, err);
	plan = msg_plan_new(cfg, denied, MSG_PLAN_SMS_ONLY);
	for (char **r = rcpts; *r != NULL; r++)
		msg_plan_add(plan, mime, *r, NULL);
	msg_plan_finish(plan, mime);
	msg_plan_identify(plan, mime, queue_id, NULL);  /* Postfix keeps it across retries */
	g_object_unref(mime);
	if (!msg_plan_verdict(plan, &err) || (rt = runtime_new(cfg, &err)) == NULL)
		return fail(cfg, NULL, err);
	ok = dispatch_plan(rt, plan, queue_id, sender, DISPATCH_ASK | DISPATCH_ONCE_PER_MAIL, NULL,
	                   NULL, &report, &err);
	/* Before the lines pipe(8) reads: nothing of this reaches stdout or stderr. */
	cmd_finish(rt, TRUE);
	/* pipe(8) logs this line: the only trace of receivers OVH refused in a job sent. */
	if (ok && report.ids != NULL)
		printf("sent ids=%s%s%s%s\n", report.ids->str,
		       report.invalid && report.invalid->len ? " refused by OVH: " : "",
		       report.invalid && report.invalid->len ? report.invalid->str : "",
		       report.no_store ? " (state store down)" : "");
	if (ok && report.duplicate != NULL)
		printf("duplicate of ids=%s\n", report.earlier_ids->str);
	if (ok && report.held != NULL)
		printf("held for a digest (%s)\n", report.held_reason);
	MetricsMail result = dispatch_mail_result(&report);
	dispatch_report_clear(&report);
	return ok ? done(cfg, rt, result, EX_OK) : fail(cfg, rt, err);
}
